#!/usr/bin/env bash
# Measures what the catalog buys: a first scan (empty catalog), a rescan of the unchanged tree, a
# scan without a catalog, and jdupes -r, on one corpus in one run, and prints one markdown table
# plus the catalog's size.
#
# usage: Benchmarks/rescan.sh [--runs K] [--cold] CORPUS
#   --runs K   repetitions of each measurement (default 3; the table shows medians)
#   --cold     drop the page cache (root only) before every measurement; default: warm cache
# Environment: DUPELINK (default <repo>/.build/release/dupelink; built if missing).
set -euo pipefail

runs=3
cold=0
while [ $# -gt 1 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --cold) cold=1; shift ;;
        *) echo "rescan.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ $# -eq 1 ] || { echo "usage: rescan.sh [--runs K] [--cold] CORPUS" >&2; exit 2; }
corpus=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
dupelink=${DUPELINK:-$repo/.build/release/dupelink}
[ -x "$dupelink" ] || (cd "$repo" && swift build -c release --product dupelink >&2)
command -v jdupes >/dev/null || apt-get install -y jdupes >&2
[ -x /usr/bin/time ] || apt-get install -y time >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
files=$(find "$corpus" -type f | wc -l)

drop() {
    if [ "$cold" = 1 ]; then sync; echo 3 > /proc/sys/vm/drop_caches; fi
}

# measure NAME COMMAND...: appends "NAME wall user sys rss_kb" to $work/times
measure() {
    local name=$1; shift
    drop
    /usr/bin/time -f "$name %e %U %S %M" -a -o "$work/times" "$@" > "$work/out" 2> "$work/err" || {
        local status=$?
        # dupelink exits 1 for warnings (unreadable files in a corpus are fine to measure).
        [ "$status" = 1 ] || { echo "rescan.sh: $name failed ($status):" >&2; cat "$work/err" >&2; exit 2; }
    }
}

for round in $(seq 1 "$runs"); do
    rm -f "$work/catalog.sqlite"*
    measure "dupelink first scan (empty catalog)" "$dupelink" scan --quiet --catalog "$work/catalog.sqlite" --format json "$corpus"
    measure "dupelink rescan, unchanged tree" "$dupelink" scan --quiet --catalog "$work/catalog.sqlite" --format json "$corpus"
    measure "dupelink scan --no-catalog" "$dupelink" scan --quiet --no-catalog --format json "$corpus"
    measure "jdupes -r" jdupes -r -q "$corpus"
done
catalog_bytes=$(cat "$work"/catalog.sqlite* 2>/dev/null | wc -c)

python3 - "$work/times" "$files" "$catalog_bytes" "$cold" <<'PY'
import sys, statistics, collections
path, files, catalog, cold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
rows = collections.OrderedDict()
for line in open(path):
    parts = line.rsplit(None, 4)
    if len(parts) != 5: continue
    name, wall, user, system, rss = parts
    rows.setdefault(name, []).append((float(wall), float(user) + float(system), int(rss)))
jdupes = statistics.median(r[0] for r in rows["jdupes -r"])
print(f"{files} files, {'cold' if cold else 'warm'} page cache, medians of {len(rows['jdupes -r'])} runs\n")
print("| run | wall | CPU | peak RSS | wall / jdupes |")
print("|---|---:|---:|---:|---:|")
for name, values in rows.items():
    wall = statistics.median(v[0] for v in values)
    cpu = statistics.median(v[1] for v in values)
    rss = statistics.median(v[2] for v in values)
    print(f"| {name} | {wall:.2f} s | {cpu:.2f} s | {rss/1024:.0f} MiB | {wall/jdupes:.2f} |")
print(f"\ncatalog: {catalog/1e6:.1f} MB for {files} files ({catalog/files*100000/1e6:.1f} MB per 100,000 files)")
PY
