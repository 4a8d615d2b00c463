#!/usr/bin/env bash
# Measures what the final byte comparison (each pair read again under the leases right before its
# swap) costs `dupelink link`: the same corpus, copied fresh for every run, linked by a build from
# before the comparison and by this tree's build, cold and warm; prints one markdown table.
#
# usage: Benchmarks/link-compare.sh [--runs K] [--files N] [--median-kb K] [--max-total-mb M]
#                                   [--before REV] [--work DIR] [--keep]
#   --runs K          runs per build and cache state (default 3; the table shows medians)
#   --files N         names in the corpus (default 3000), from make-corpus.py --seed 42
#   --median-kb K     median file size (default 256); --max-total-mb M: corpus cap (default 1500)
#   --before REV      the build to compare with (default: the parent of the commit that added
#                     Sources/DupelinkCore/Link/FinalComparison.swift), built into .build-before
#   --work DIR        where the corpus and its copies go (default: a new directory in /var/tmp;
#                     put it on the disk to measure, not on tmpfs)
#   --keep            keep the work directory and print its path
# Needs root for the cold runs (`sync; echo 3 > /proc/sys/vm/drop_caches` before each) and for
# the leases on files it does not own. Each run: `cp -a` the pristine corpus (hard links kept),
# `sync`, drop the caches for a cold run (a warm run keeps the copy's pages cached), then
# `/usr/bin/time dupelink link --no-catalog --quiet --stats --summary-json - COPY`. A third state,
# `catalog`, is the worst case for the comparison: `dupelink scan --catalog` of the copy first, then
# caches dropped and `link --catalog` timed; the scan trusts the catalog and reads nothing, so the
# final comparison reads every pair from the disk.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
runs=3 files=3000 median_kb=256 max_total_mb=1500 before= work= keep=0
usage() { sed -n '6,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --files) files=$2; shift 2 ;;
        --median-kb) median_kb=$2; shift 2 ;;
        --max-total-mb) max_total_mb=$2; shift 2 ;;
        --before) before=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "link-compare.sh: unknown option $1" >&2; usage ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "link-compare.sh: run as root (cold runs drop the page cache)" >&2; exit 2; }
[ -x /usr/bin/time ] || apt-get install -y time >&2

if [ -z "$before" ]; then
    added=$(git -C "$repo" log --diff-filter=A --format=%H -n 1 -- Sources/DupelinkCore/Link/FinalComparison.swift)
    [ -n "$added" ] || { echo "link-compare.sh: no commit adds FinalComparison.swift; give --before REV" >&2; exit 2; }
    before="$added^"
fi
before_commit=$(git -C "$repo" rev-parse --short "$before")
after_commit=$(git -C "$repo" rev-parse --short HEAD)
[ -z "$(git -C "$repo" status --porcelain -- Sources Package.swift)" ] || after_commit="$after_commit+changes"

work=${work:-$(mktemp -d /var/tmp/dupelink-link-compare.XXXXXX)}
mkdir -p "$work"
cleanup() { if [ "$keep" = 1 ]; then echo "work directory: $work" >&2; else rm -rf "$work"; fi; }
trap cleanup EXIT

echo "building this tree (release) ..." >&2
(cd "$repo" && swift build -c release --product dupelink >&2)
after_bin=$repo/.build/release/dupelink
echo "building $before_commit into .build-before ..." >&2
rm -rf "$work/src-before" && mkdir -p "$work/src-before"
git -C "$repo" archive "$before" | tar -x -C "$work/src-before"
swift build -c release --product dupelink --package-path "$work/src-before" --scratch-path "$repo/.build-before" >&2
before_bin=$repo/.build-before/release/dupelink

corpus=$work/corpus
if [ ! -f "$corpus.manifest.json" ]; then
    rm -rf "$corpus"
    python3 "$here/make-corpus.py" --files "$files" --seed 42 --median-kb "$median_kb" \
        --max-total-mb "$max_total_mb" --out "$corpus" --quiet
fi
corpus_bytes=$(du -sb "$corpus" | cut -f1)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# run NAME BINARY STATE: one fresh copy linked; appends "NAME STATE wall summary-line" to results
: > "$work/results"
run() {
    local name=$1 binary=$2 state=$3 copy=$work/copy
    rm -rf "$copy"
    cp -a "$corpus" "$copy"
    sync
    local catalog=(--no-catalog)
    if [ "$state" = catalog ]; then
        rm -f "$work/catalog.sqlite"*
        catalog=(--catalog "$work/catalog.sqlite")
        "$binary" scan --quiet "${catalog[@]}" "$copy" > /dev/null || [ $? = 1 ]
    fi
    if [ "$state" != warm ]; then echo 3 > /proc/sys/vm/drop_caches; fi
    local status=0
    /usr/bin/time -f "%e" -o "$work/time" "$binary" link "${catalog[@]}" --quiet --stats --summary-json - "$copy" \
        > /dev/null 2> "$work/err" || status=$?
    # 1: some names were left out with a warning (the corpus has unreadable names for no one, but
    # a pair can be refused); anything else is a failure.
    [ "$status" = 0 ] || [ "$status" = 1 ] || { echo "link-compare.sh: $name $state failed ($status):" >&2; cat "$work/err" >&2; exit 2; }
    local summary stats
    summary=$(grep '^{' "$work/err" | tail -n 1)
    stats=$(grep '^stats: bytes compared' "$work/err" || true)
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$state" "$(tail -n 1 "$work/time")" "$summary" "$stats" >> "$work/results"
}

for round in $(seq 1 "$runs"); do
    # Alternate which build goes first, so neither always follows the other's writes.
    if [ $((round % 2)) = 1 ]; then order="before after"; else order="after before"; fi
    for state in cold warm catalog; do
        for name in $order; do
            if [ "$name" = before ]; then run before "$before_bin" "$state"; else run after "$after_bin" "$state"; fi
        done
    done
done
rm -rf "$work/copy"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$work/results" "$before_commit" "$after_commit" "$files" "$corpus_bytes" "$runs" "$load_start" "$load_end" <<'PY'
import json, re, statistics, sys
path, before, after, files, corpus_bytes, runs, load_start, load_end = sys.argv[1:]
rows = {}
for line in open(path):
    name, state, wall, summary, stats = (line.rstrip("\n").split("\t") + [""] * 5)[:5]
    summary = json.loads(summary) if summary else {}
    rows.setdefault((name, state), []).append((float(wall), summary))

def median(values):
    return statistics.median(values) if values else None

def fmt_seconds(value):
    return "n/a" if value is None else f"{value:.2f} s"

def fmt_bytes(value):
    if value is None:
        return "n/a"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= size:
            return f"{value / size:.2f} {unit}"
    return f"{value} B"

gib = int(corpus_bytes) / (1 << 30)
print(f"Corpus: make-corpus.py --files {files} --seed 42 ({gib:.2f} GiB on disk), copied fresh for each run; "
      f"{runs} runs per build and cache state; medians (min-max of wall).")
print()
print("| build | cache | wall | names linked | bytes freed | bytes compared | seconds comparing |")
print("|---|---|---:|---:|---:|---:|---:|")
walls = {}
for name, label in (("before", f"before ({before})"), ("after", f"after ({after})")):
    for state in ("cold", "warm", "catalog"):
        entries = rows.get((name, state), [])
        if not entries:
            continue
        wall = [w for w, _ in entries]
        walls[(name, state)] = median(wall)
        last = entries[-1][1]
        compared = [s.get("bytesCompared") for _, s in entries if s.get("bytesCompared") is not None]
        comparing = [s.get("secondsComparing") for _, s in entries if s.get("secondsComparing") is not None]
        spread = f" ({min(wall):.2f}-{max(wall):.2f})" if len(wall) > 1 else ""
        print(f"| {label} | {state} | {median(wall):.2f} s{spread} | {last.get('filesLinked', 'n/a')} | "
              f"{fmt_bytes(last.get('bytesFreed'))} | {fmt_bytes(median(compared)) if compared else 'n/a'} | "
              f"{fmt_seconds(median(comparing)) if comparing else 'n/a'} |")
print()
for state in ("cold", "warm", "catalog"):
    b, a = walls.get(("before", state)), walls.get(("after", state))
    if b and a:
        print(f"{state}: after/before wall = {a / b:.2f} ({a - b:+.2f} s)")
print("cold: caches dropped before `link --no-catalog` (its scan reads the pairs, the comparison mostly finds them cached); "
      "warm: the fresh copy's pages cached; catalog: `scan --catalog` of the copy, caches dropped, then `link --catalog` "
      "(the scan trusts the catalog, the comparison reads every pair from the disk).")
print(f"Load average (1, 5, 15 min) at start: {load_start}; at end: {load_end}")
PY
