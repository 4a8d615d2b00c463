#!/usr/bin/env python3
"""Read what hdd.sh recorded and print the calibration and one markdown table per queue mode.

usage: report.py WORKDIR

WORKDIR is laid out by hdd.sh:
  meta.json                                   corpus, manifest, tools, runs, modes, loop direct I/O
  results/calibration-MODE-seq.txt            dd's last line (bytes copied, seconds)
  results/calibration-MODE-fioJ.json          fio's JSON, J readers; ...fioJ.stats.json the daemon's
  results/MODE/TOOL/run-N/{time,status,stdout,disk.json}   (rdfind: results.txt)
disk.json is the daemon's counters for that run alone (reset before it).

Exit status: 0 when every run exited 0 and every tool's classes equal the manifest's; 1 otherwise.
Classes are compared as sets of inodes with the parsers of peers-report.py.
"""

import importlib.util
import json
import math
import os
import re
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("peers_report", os.path.join(HERE, "..", "peers-report.py"))
peers_report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(peers_report)

PEERS = ["jdupes", "rdfind", "fdupes"]
FIXED = ["dupelink-j1", "dupelink-j2", "dupelink-j4"]
BEFORE = ["before", "before-j1", "before-j2", "before-j4"]


def load(path):
    with open(path) as f:
        return json.load(f)


def runs(work, mode, tool):
    """[(wall, cpu, rss, disk stats)] of the runs that exited 0; and the number that failed."""
    base = os.path.join(work, "results", mode, tool)
    ok, failed = [], 0
    if not os.path.isdir(base):
        return ok, failed
    for entry in sorted(os.listdir(base)):
        d = os.path.join(base, entry)
        status = open(os.path.join(d, "status")).read().strip() if os.path.exists(os.path.join(d, "status")) else "?"
        measured = peers_report.read_time(os.path.join(d, "time"))
        if status != "0" or not measured or not os.path.exists(os.path.join(d, "disk.json")):
            failed += 1
            continue
        ok.append((*measured, load(os.path.join(d, "disk.json"))))
    return ok, failed


def median(values):
    return statistics.median(values) if values else None


def calibration(work, meta):
    modes = meta["modes"].split()
    rows = []
    for mode in modes:
        base = os.path.join(work, "results", f"calibration-{mode}")
        if not os.path.exists(base + "-seq.txt"):
            continue
        line = open(base + "-seq.txt").read()
        m = re.match(r"(\d+) bytes .*copied, ([0-9.]+) s", line)
        seq = f"{int(m.group(1)) / float(m.group(2)) / 1e6:.0f}" if m else "n/a"
        row = [mode, seq]
        for jobs in (1, 8):
            path = base + f"-fio{jobs}.json"
            if not os.path.exists(path):
                row += ["n/a", "n/a", "n/a"]
                continue
            read = load(path)["jobs"][0]["read"]
            disk = load(base + f"-fio{jobs}.stats.json")
            modelled = disk["busy_s"] / disk["requests"] * 1000 if disk["requests"] else float("nan")
            row += [f"{read['iops']:.0f}", f"{read['clat_ns']['mean'] / 1e6:.2f} / {modelled:.2f}",
                    f"{disk['depth_mean']:.1f} / {disk['depth_max']}"]
        rows.append(row)
    if not rows:
        return
    # What the model gives a 4 KiB read at a uniformly random place, the head at another: the mean
    # of sqrt(|x - y|) over the unit square is 8/15.
    print("Calibration (cold; dd: 256 MiB file, 1 MiB reads through ext4, read-ahead 128 KiB; fio: "
          "4 KiB random reads, O_DIRECT, anywhere on the loop device, 6 s):")
    print()
    print("| queue | sequential MB/s | 4 KiB reads/s, 1 reader | latency ms, measured / modelled | depth mean / max "
          "| 4 KiB reads/s, 8 readers | latency ms, measured / modelled | depth mean / max |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print("Model's mean for a random 4 KiB read, one at a time: 1 + 7.5 x 8/15 + 4.17 + 0.03 = 9.20 ms "
          "(109 reads/s); sequential: 160 MB/s.")
    print()


def fmt(value, digits=2):
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}"


def table(work, meta, mode, tools):
    print(f"Queue: **{mode}** ({'no command queue: requests in arrival order' if mode == 'fifo' else 'NCQ: shortest positioning time first among the 32 oldest pending requests'}); "
          f"{meta['runs']} cold runs per tool; medians (min-max of wall).")
    print()
    print("| tool | wall s (min-max) | CPU s | requests | seeks | MB read | seeks per GB read | busy s | queue depth mean / max |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    summary, failures = {}, 0
    for tool in tools:
        ok, failed = runs(work, mode, tool)
        failures += failed
        if not ok:
            print(f"| {tool} | failed ({failed} runs) | | | | | | | |")
            continue
        walls = [r[0] for r in ok]
        disks = [r[3] for r in ok]
        s = {
            "wall": median(walls), "min": min(walls), "max": max(walls),
            "cpu": median([r[1] for r in ok]),
            "requests": median([d["requests"] for d in disks]),
            "seeks": median([d["seeks"] for d in disks]),
            "mb": median([d["bytes_read"] / 1e6 for d in disks]),
            "mb_min": min(d["bytes_read"] / 1e6 for d in disks),
            "mb_max": max(d["bytes_read"] / 1e6 for d in disks),
            "seeks_per_gb": median([d["seeks"] / (d["bytes_read"] / 1e9) if d["bytes_read"] else math.inf for d in disks]),
            "busy": median([d["busy_s"] for d in disks]),
            "depth_mean": median([d["depth_mean"] for d in disks]),
            "depth_max": max(d["depth_max"] for d in disks),
        }
        summary[tool] = s
        note = f" ({failed} failed)" if failed else ""
        spread = f" ({s['min']:.2f}-{s['max']:.2f})" if len(walls) > 1 else ""
        # Bytes read hardly vary from run to run (read-ahead timing: 1 or 2 %); when they do by more
        # than 5 %, show the range: that run re-read something (fdupes now and then re-reads a big
        # file, 150 to 260 MB more, also with the model off).
        mb_spread = f" ({s['mb_min']:.0f}-{s['mb_max']:.0f})" if s["mb_max"] > 1.05 * s["mb_min"] else ""
        print(f"| {tool}{note} | {s['wall']:.2f}{spread} | {s['cpu']:.2f} | {s['requests']:.0f} | {s['seeks']:.0f} | "
              f"{s['mb']:.0f}{mb_spread} | {s['seeks_per_gb']:.0f} | {s['busy']:.2f} | {s['depth_mean']:.1f} / {s['depth_max']} |")
    print()
    d = summary.get("dupelink")
    peers = {t: summary[t] for t in PEERS if t in summary}
    fixed = {t: summary[t] for t in FIXED if t in summary}
    if d and peers:
        fastest = min(peers, key=lambda t: peers[t]["wall"])
        fewest = min(peers, key=lambda t: peers[t]["seeks_per_gb"])
        print(f"- dupelink (default --jobs) / fastest peer ({fastest}): {d['wall']:.2f} / {peers[fastest]['wall']:.2f} s "
              f"= **{d['wall'] / peers[fastest]['wall']:.2f}x**")
        print(f"- seeks per GB read, dupelink / fewest of the peers ({fewest}): {d['seeks_per_gb']:.0f} / "
              f"{peers[fewest]['seeks_per_gb']:.0f} = **{d['seeks_per_gb'] / peers[fewest]['seeks_per_gb']:.2f}x**")
    if d and fixed:
        best = min(fixed, key=lambda t: fixed[t]["wall"])
        print(f"- dupelink default / best fixed --jobs ({best}): {d['wall']:.2f} / {fixed[best]['wall']:.2f} s "
              f"= **{d['wall'] / fixed[best]['wall']:.2f}x**")
    earlier = {t: summary[t] for t in BEFORE if t in summary}
    if d and earlier:
        best = min(earlier, key=lambda t: earlier[t]["wall"])
        print(f"- dupelink default / best setting of the build before (DUPELINK_BEFORE, {best}): {d['wall']:.2f} / "
              f"{earlier[best]['wall']:.2f} s = **{d['wall'] / earlier[best]['wall']:.2f}x**")
    print()
    return failures


def class_check(work, meta, tools):
    root = meta["corpus"]
    if not os.path.isdir(root):
        print(f"Class check skipped: {root} is not mounted.")
        print()
        return 0
    reference, _ = peers_report.inode_classes(peers_report.parse_manifest(meta["manifest"], root))
    problems = 0
    lines = []
    for tool in tools:
        # The newest successful run of the tool, in any queue mode.
        report = None
        for mode in reversed(meta["modes"].split()):
            base = os.path.join(work, "results", mode, tool)
            if not os.path.isdir(base):
                continue
            for entry in sorted(os.listdir(base), reverse=True):
                d = os.path.join(base, entry)
                if open(os.path.join(d, "status")).read().strip() == "0":
                    report = os.path.join(d, "results.txt" if tool == "rdfind" else "stdout")
                    break
            if report:
                break
        if not report:
            lines.append(f"{tool}: no successful run")
            problems += 1
            continue
        parser = peers_report.PARSERS["dupelink" if tool.startswith(("dupelink", "before")) else tool]
        with open(report, "rb") as f:
            found, missing = peers_report.inode_classes(parser(f.read()))
        if found != reference:
            lines.append(peers_report.describe_difference(tool, found, reference, "the manifest"))
            problems += 1
        else:
            lines.append(f"{tool}: {len(found)} classes")
    if problems:
        print("Class check against the manifest: " + "; ".join(lines))
    else:
        inodes = sum(len(c) for c in reference)
        print(f"Class check: every tool found the manifest's {len(reference)} classes ({inodes} inodes).")
    print()
    return problems


def main(work):
    meta = load(os.path.join(work, "meta.json"))
    tools = meta["tools"].split(",")
    manifest = load(meta["manifest"])
    counts = manifest["counts"]
    fuse = ""
    for root, _, names in os.walk(os.path.join(work, "results")):
        if "disk.json" in names:
            disk = load(os.path.join(root, "disk.json"))
            fuse = (f", FUSE asynchronous direct I/O {'on' if disk.get('async_dio') else 'off'}, "
                    f"max_background {disk.get('max_background', '?')}")
            break
    print(f"Corpus: make-corpus.py {meta['corpus_args']}: {counts['names']} names, {counts['inodes']} inodes, "
          f"{counts['bytes'] / 1e9:.2f} GB, {counts['classes']} classes; generated in {meta['generation_s']:.0f} s "
          f"(model off). Image {meta['image_gb']} GiB ext4, loop direct I/O {meta['dio']}{fuse}.")
    print()
    calibration(work, meta)
    failures = 0
    for mode in meta["modes"].split():
        failures += table(work, meta, mode, tools)
    problems = class_check(work, meta, tools)
    if "runs_ended" in meta:
        print(f"Time: {meta['runs_ended'] - meta['started']} s from start to the end of the last run.")
    return 1 if failures or problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: report.py WORKDIR")
    sys.exit(main(sys.argv[1]))
