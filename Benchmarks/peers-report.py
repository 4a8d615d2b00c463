#!/usr/bin/env python3
"""Read what peers.sh recorded, check that every tool found the same duplicate classes, print the table.

usage: peers-report.py WORKDIR

WORKDIR is laid out by peers.sh:
  WORKDIR/meta.json                      corpus root, manifest path, tools, runs, whether caches dropped
  WORKDIR/<tool>/<cold|warm>-<n>/time    `/usr/bin/time -f '%e %U %S %M'` output (last line used)
  WORKDIR/<tool>/<cold|warm>-<n>/stdout  the tool's report (rdfind: results.txt, rmlint: rmlint.json)

Classes are compared as sets of inodes, not names, so tools that print every name of a hard-linked
file, one name, or none of an inode that is only linked to itself, are compared fairly: each reported
class becomes the set of (device, inode) of its paths (found by lstat now, after the runs), and sets
with fewer than two inodes are dropped (names of one file are not duplicates).
"""

import base64
import json
import os
import re
import statistics
import sys


# -- parsers: one per tool, each returns a list of classes, a class being a list of path bytes --------

def parse_dupelink(data):
    """dupelink `scan --format json`: {"classes": [{"size": N, "files": [{"path"|"pathBase64"}...]}]}.

    The one place to adapt when the schema moves: a file entry may also be a bare string, and a class
    may name its list "files", "members" or "paths".
    """
    document = json.loads(data.decode("utf-8"))
    classes = []
    for entry in document.get("classes", []):
        files = entry.get("files") or entry.get("members") or entry.get("paths") or []
        paths = []
        for f in files:
            if isinstance(f, str):
                paths.append(os.fsencode(f))
            elif "pathBase64" in f:
                paths.append(base64.b64decode(f["pathBase64"]))
            else:
                paths.append(os.fsencode(f["path"]))
        classes.append(paths)
    return classes


def parse_blank_line_groups(data, separator=b"\n"):
    """fdupes and jdupes: one path per line, classes separated by an empty line (jdupes -0: NULs)."""
    classes, current = [], []
    for line in data.split(separator):
        if line:
            current.append(line)
        elif current:
            classes.append(current)
            current = []
    if current:
        classes.append(current)
    return classes


def parse_jdupes(data):
    return parse_blank_line_groups(data, b"\0")


def parse_fdupes(data):
    return parse_blank_line_groups(data, b"\n")


def parse_rdfind(data):
    """rdfind results.txt: `duptype id depth size device inode priority name`; one class per |id|."""
    classes = {}
    for line in data.split(b"\n"):
        if not line or line.startswith(b"#"):
            continue
        fields = line.split(b" ", 7)
        if len(fields) < 8:
            continue
        classes.setdefault(abs(int(fields[1])), []).append(fields[7])
    return list(classes.values())


def parse_rmlint(data):
    """rmlint -o json: [header, lint..., footer]; each class starts at its `is_original` entry.

    rmlint writes a name that is not UTF-8 with its bytes as lone surrogates (\\udcXX), which
    os.fsencode turns back into the original bytes.
    """
    document = json.loads(data.decode("utf-8", "surrogateescape"))
    classes, current, size = [], [], None
    for item in document:
        if item.get("type") != "duplicate_file":
            continue
        if item.get("is_original") or item.get("size") != size:
            if current:
                classes.append(current)
            current, size = [], item.get("size")
        current.append(os.fsencode(item["path"]))
    if current:
        classes.append(current)
    return classes


def parse_hardlink(data):
    """util-linux hardlink -n -v: `[DryRun] Linking KEEPER to DUPLICATE (-N B)` per name it would
    replace; the pairs are joined into classes. A name holding " to " or a newline followed by
    "[DryRun]" would be split wrongly (the corpus has neither)."""
    pattern = re.compile(rb"^\[DryRun\] Linking (.*?) to (.*?) \(-[^()]*\)$", re.M | re.S)
    parent = {}

    def find(path):
        parent.setdefault(path, path)
        while parent[path] != path:
            parent[path] = parent[parent[path]]
            path = parent[path]
        return path

    for keeper, duplicate in pattern.findall(data):
        parent[find(duplicate)] = find(keeper)
    classes = {}
    for path in parent:
        classes.setdefault(find(path), []).append(path)
    return list(classes.values())


PARSERS = {"dupelink": parse_dupelink, "jdupes": parse_jdupes, "rdfind": parse_rdfind,
           "rmlint": parse_rmlint, "fdupes": parse_fdupes, "hardlink": parse_hardlink}


def parse_manifest(path, root):
    with open(path) as f:
        manifest = json.load(f)
    classes = []
    for entry in manifest["classes"]:
        paths = []
        for f in entry["files"]:
            relative = base64.b64decode(f["pathBase64"]) if "pathBase64" in f else os.fsencode(f["path"])
            paths.append(os.fsencode(root) + b"/" + relative)
        classes.append(paths)
    return classes


# -- normalisation and comparison -----------------------------------------------------------------

def inode_classes(classes):
    """Turns classes of paths into a set of frozensets of (device, inode); returns it and the errors."""
    result, missing = set(), 0
    for paths in classes:
        inodes = set()
        for path in paths:
            try:
                st = os.lstat(path)
            except OSError:
                missing += 1
                continue
            inodes.add((st.st_dev, st.st_ino))
        if len(inodes) >= 2:
            result.add(frozenset(inodes))
    return result, missing


def describe_difference(name, found, reference, reference_name):
    missing = len(reference - found)
    extra = len(found - reference)
    # A class split or merged shows as both missing and extra; count inodes for scale.
    missing_inodes = len(set().union(*(reference - found)) - set().union(*found)) if missing else 0
    return (f"{name} differs from {reference_name}: {missing} of {len(reference)} classes not found as such, "
            f"{extra} classes found that {reference_name} does not have"
            + (f" ({missing_inodes} duplicate inodes never reported)" if missing_inodes else ""))


# -- timing -----------------------------------------------------------------------------------------

def read_time(path):
    """`%e %U %S %M` -> (wall s, cpu s, max RSS KiB); GNU time may add a status line first."""
    try:
        with open(path) as f:
            lines = [l for l in f.read().split("\n") if l.strip()]
        wall, user, system, rss = lines[-1].split()
        return float(wall), float(user) + float(system), int(rss)
    except (OSError, ValueError, IndexError):
        return None


def seconds(value):
    if value is None:
        return "n/a"
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def spread(values):
    """Median, and the range when there are several runs: `11.27 s (9.93-16.46)`."""
    if not values:
        return "n/a"
    text = seconds(statistics.median(values))
    if len(values) > 1:
        low, high = min(values), max(values)
        text += f" ({low:.2f}-{high:.2f})" if high < 100 else f" ({low:.0f}-{high:.0f})"
    return text


def runs_of(work, tool, mode):
    results = []
    directory = os.path.join(work, tool)
    if not os.path.isdir(directory):
        return results
    for entry in sorted(os.listdir(directory)):
        if entry.startswith(mode + "-"):
            measured = read_time(os.path.join(directory, entry, "time"))
            status_path = os.path.join(directory, entry, "status")
            status = open(status_path).read().strip() if os.path.exists(status_path) else "0"
            if measured and status == "0":
                results.append(measured)
    return results


def main(work):
    with open(os.path.join(work, "meta.json")) as f:
        meta = json.load(f)
    root, tools = meta["root"], meta["tools"]

    # Classes from each tool's last successful warm (else cold) report.
    found, raw_counts, notes = {}, {}, []
    for tool in tools:
        directory = os.path.join(work, tool)
        reports = sorted((e for e in os.listdir(directory) if os.path.exists(os.path.join(directory, e, "status"))
                          and open(os.path.join(directory, e, "status")).read().strip() == "0"),
                         key=lambda e: (e.startswith("warm"), e)) if os.path.isdir(directory) else []
        if not reports:
            notes.append(f"{tool}: no successful run; see {directory}/*/stderr")
            continue
        with open(os.path.join(directory, reports[-1], "stdout"), "rb") as f:
            data = f.read()
        try:
            classes = PARSERS[tool](data)
        except (ValueError, KeyError) as error:
            notes.append(f"{tool}: could not parse {reports[-1]}/stdout: {error}")
            continue
        raw_counts[tool] = len(classes)
        found[tool], missing = inode_classes(classes)
        if missing:
            notes.append(f"{tool}: {missing} reported paths no longer exist")

    reference_name, reference = None, None
    if meta.get("manifest") and os.path.exists(meta["manifest"]):
        reference_name = "manifest"
        reference, _ = inode_classes(parse_manifest(meta["manifest"], root))
    elif "dupelink" in found:
        reference_name, reference = "dupelink", found["dupelink"]
    elif found:
        reference_name = next(iter(found))
        reference = found[reference_name]

    # The table.
    dupelink_cold = dupelink_warm = None
    stats = {}
    for tool in tools:
        cold, warm = runs_of(work, tool, "cold"), runs_of(work, tool, "warm")
        stats[tool] = {
            "cold": statistics.median(r[0] for r in cold) if cold else None,
            "warm": statistics.median(r[0] for r in warm) if warm else None,
            "coldWalls": [r[0] for r in cold],
            "warmWalls": [r[0] for r in warm],
            "cpuCold": statistics.median(r[1] for r in cold) if cold else None,
            "cpuWarm": statistics.median(r[1] for r in warm) if warm else None,
            "rss": max((r[2] for r in cold + warm), default=None),
            "runs": (len(cold), len(warm)),
        }
    if "dupelink" in stats:
        dupelink_cold, dupelink_warm = stats["dupelink"]["cold"], stats["dupelink"]["warm"]

    def ratio(ours, theirs):
        if ours is None or not theirs:
            return "n/a"
        return f"{ours / theirs:.2f}"

    print(f"Corpus `{root}`; {meta['runs']} runs per tool and cache state; medians (min-max of wall). "
          f"Cold cache: {'dropped before each cold run' if meta['cold'] else 'NOT dropped (' + meta['coldNote'] + ')'}.")
    print()
    print("| tool | cold wall | warm wall | CPU user+sys (cold / warm) | peak RSS | classes found | dupelink/peer wall (cold / warm) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for tool in tools:
        s = stats[tool]
        if s["runs"] == (0, 0):
            print(f"| {tool} | skipped | | | | | |")
            continue
        rss = f"{s['rss'] / 1024:.0f} MiB" if s["rss"] is not None else "n/a"
        classes = str(len(found[tool])) if tool in found else "n/a"
        if tool in raw_counts and raw_counts[tool] != len(found.get(tool, ())):
            classes += f" ({raw_counts[tool]} as printed)"
        ratios = "1.00 / 1.00" if tool == "dupelink" else f"{ratio(dupelink_cold, s['cold'])} / {ratio(dupelink_warm, s['warm'])}"
        cold_wall = spread(s["coldWalls"]) if meta["cold"] else "n/a"
        print(f"| {tool} | {cold_wall} | {spread(s['warmWalls'])} | {seconds(s['cpuCold'])} / {seconds(s['cpuWarm'])} "
              f"| {rss} | {classes} | {ratios} |")
    print()

    # The agreement check.
    if reference is None:
        print("Class check: nothing to compare (no tool produced a report).")
        agree = False
    else:
        differences = [describe_difference(tool, found[tool], reference, reference_name)
                       for tool in tools if tool in found and found[tool] != reference]
        absent = [tool for tool in tools if tool not in found]
        if not differences and not absent:
            print(f"Class check: all tools agree ({len(reference)} classes, "
                  f"{sum(len(c) for c in reference)} inodes, reference: {reference_name}).")
            agree = True
        else:
            agree = False
            print(f"Class check against {reference_name} ({len(reference)} classes):")
            for line in differences:
                print(f"- {line}")
            for tool in absent:
                print(f"- {tool}: no report to compare")
            agreeing = [t for t in tools if t in found and found[t] == reference]
            if agreeing:
                print(f"- agree with {reference_name}: {', '.join(agreeing)}")
    for note in notes + meta.get("notes", []):
        print(f"Note: {note}")
    return 0 if agree else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    sys.exit(main(sys.argv[1]))
