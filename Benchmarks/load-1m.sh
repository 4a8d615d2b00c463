#!/usr/bin/env bash
# Load test: generates a corpus of a million files and scans it with dupelink and with jdupes, each
# under `/usr/bin/time -v`, and prints wall time, peak resident set size, exit status and the
# number of classes found by each.
#
# usage: Benchmarks/load-1m.sh [--files N] [--seed S] [--keep] [--no-build] [--corpus DIR] [WORKDIR]
#   --files N     files in the corpus (default 1000000)
#   --seed S      corpus seed (default 1)
#   --keep        keep the corpus and the reports (default: the corpus is deleted at the end)
#   --no-build    do not run `swift build -c release` when the dupelink binary is missing
#   --corpus DIR  scan DIR (made earlier by make-corpus.py) instead of generating one; it is kept
#   WORKDIR       where the corpus and reports go (default /work/dupelink-load); a million files
#                 take about 10 GB and 3-5 minutes to generate
# Environment: DUPELINK (default <repo>/.build/release/dupelink).
# Exit status: 0 when both tools ran and dupelink's peak RSS was at most jdupes' (the load
# target); 1 when dupelink failed, found no class, or used more memory; 2 on a usage or setup error.
#
# Flags, as in peers.sh: `dupelink scan --no-catalog --format json ROOT` (reads every candidate,
# writes nothing) and `jdupes -r -q ROOT` (byte confirmation on, no symlinks followed). Each tool
# runs once unmeasured first, so both measured runs are warm (as warm as the page cache can hold);
# for cold figures, use peers.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
files=1000000 seed=1 keep=0 build=1 work=/work/dupelink-load corpus=
usage() { sed -n '6,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --files) files=${2:?}; shift 2 ;;
        --seed) seed=${2:?}; shift 2 ;;
        --keep) keep=1; shift ;;
        --no-build) build=0; shift ;;
        --corpus) corpus=${2:?}; shift 2 ;;
        -h|--help) usage ;;
        -*) echo "load-1m.sh: unknown option $1" >&2; usage ;;
        *) work=$1; shift ;;
    esac
done

dupelink=${DUPELINK:-$repo/.build/release/dupelink}
if [ ! -x "$dupelink" ]; then
    [ "$build" = 1 ] || { echo "load-1m.sh: $dupelink is missing (build it, or drop --no-build)" >&2; exit 2; }
    (cd "$repo" && swift build -c release --product dupelink >&2)
fi
for tool in /usr/bin/time jdupes python3; do
    command -v "$tool" >/dev/null || { echo "load-1m.sh: $tool is not installed" >&2; exit 2; }
done
mkdir -p "$work"
if [ -n "$corpus" ]; then
    [ -d "$corpus" ] || { echo "load-1m.sh: $corpus is not a directory" >&2; exit 2; }
    echo "corpus: $corpus, $(find "$corpus" -type f | wc -l) files, $(du -sh "$corpus" | cut -f1)" >&2
else
    if [ -e "$work/corpus" ]; then echo "load-1m.sh: $work/corpus exists; remove it, choose another WORKDIR, or pass --corpus" >&2; exit 2; fi
    corpus=$work/corpus
    cleanup() { if [ "$keep" = 0 ]; then rm -rf "$work/corpus" "$work/corpus.manifest.json"; fi; }
    trap cleanup EXIT
    start=$(date +%s)
    python3 "$here/make-corpus.py" --files "$files" --seed "$seed" --out "$corpus" --quiet
    echo "corpus: $files files, $(du -sh "$corpus" | cut -f1), generated in $(( $(date +%s) - start )) s" >&2
fi

# Runs one tool under /usr/bin/time -v; its report goes to WORK/NAME.out, the timing to WORK/NAME.time.
measure() {
    local name=$1; shift
    set +e
    /usr/bin/time -v "$@" > "$work/$name.out" 2> "$work/$name.time"
    set -e
}
# A first, unmeasured run of each reads the candidates into the page cache (a million files do not
# fit in it on every machine; whichever ran first would otherwise pay for the disk alone).
"$dupelink" scan --quiet --no-catalog --format json "$corpus" > /dev/null 2>&1 || true
jdupes -r -q "$corpus" > /dev/null 2>&1 || true
measure dupelink "$dupelink" scan --no-catalog --format json "$corpus"
measure jdupes jdupes -r -q "$corpus"
measure find find "$corpus" -printf '%s\n'

field() { grep -F "$2" "$work/$1.time" | tail -1 | sed 's/.*: //'; }
dupelink_classes=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["classes"]))' "$work/dupelink.out" 2>/dev/null || echo "?")
# jdupes prints classes as blocks of names separated by a blank line.
jdupes_classes=$(awk 'BEGIN{n=0; inblock=0} /^$/{inblock=0; next} {if(!inblock){n++; inblock=1}} END{print n}' "$work/jdupes.out")

printf '| tool | wall time | peak RSS (KiB) | exit status | classes |\n| --- | --- | --- | --- | --- |\n'
for name in dupelink jdupes; do
    classes=$([ "$name" = dupelink ] && echo "$dupelink_classes" || echo "$jdupes_classes")
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$(field "$name" 'Elapsed (wall clock) time')" \
        "$(field "$name" 'Maximum resident set size')" "$(field "$name" 'Exit status')" "$classes"
done
echo "(classes may differ in count where names of one inode are involved: dupelink folds them into one member, jdupes without -H does not match them; peers.sh compares classes exactly)" >&2

# The walk target: dupelink's own walk (statistics.walkSeconds) within 1.5x of find's whole run.
walk=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["statistics"]["walkSeconds"], 2))' "$work/dupelink.out" 2>/dev/null || echo "?")
find_wall=$(field find 'Elapsed (wall clock) time')
echo "walk: dupelink ${walk} s, find -printf '%s' ${find_wall} (m:ss)"

dupelink_kb=$(field dupelink 'Maximum resident set size')
jdupes_kb=$(field jdupes 'Maximum resident set size')
dupelink_status=$(field dupelink 'Exit status')
if [ "$dupelink_status" != 0 ] || [ "$dupelink_classes" = "?" ] || [ "$dupelink_classes" = 0 ]; then
    echo "load target: NOT MET (dupelink exited $dupelink_status with $dupelink_classes classes)"
    exit 1
fi
if [ "$dupelink_kb" -le "$jdupes_kb" ]; then
    echo "load target: met (peak RSS $dupelink_kb KiB <= jdupes' $jdupes_kb KiB, ratio $(python3 -c "print(round($dupelink_kb/$jdupes_kb, 2))"))"
else
    echo "load target: NOT MET (peak RSS $dupelink_kb KiB > jdupes' $jdupes_kb KiB)"
    exit 1
fi
