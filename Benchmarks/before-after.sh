#!/usr/bin/env bash
# Times two dupelink binaries on one corpus in alternation, so both see the same machine: a
# change's cost measured against a build of the commit before it.
#
# usage: Benchmarks/before-after.sh [--runs K] BEFORE AFTER CORPUS [-- SCAN-OPTIONS...]
#   --runs K   rounds (default 5); each round runs BEFORE then AFTER cold (caches dropped,
#              root only), then both warm, alternating which goes first
#   SCAN-OPTIONS default to: scan --no-catalog --format json
# Prints the median and range of wall seconds per binary and cache state, their ratio, and the
# last warm run's --stats lines of AFTER (for stage times).
set -euo pipefail
runs=5
if [ "${1:-}" = --runs ]; then runs=$2; shift 2; fi
[ $# -ge 3 ] || { sed -n 5,10p "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
before=$1 after=$2 corpus=$3; shift 3
[ "${1:-}" = -- ] && shift
options=("$@"); [ ${#options[@]} -gt 0 ] || options=(scan --no-catalog --format json)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
drop() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || echo "cannot drop caches" >&2; }
timed() { # binary label
    local start end; start=$(date +%s.%N)
    "$1" "${options[@]}" "$corpus" > /dev/null 2>> "$work/$2.err" || true
    end=$(date +%s.%N); echo "$end - $start" | bc >> "$work/$2"
}
for round in $(seq "$runs"); do
    for which in before after; do drop; timed "${!which}" "$which-cold"; done
    if [ $((round % 2)) = 0 ]; then order="after before"; else order="before after"; fi
    for which in $order; do timed "${!which}" "$which-warm"; done
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f s (%.2f-%.2f)", m, a[1], a[NR]}'; }
med() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
echo "corpus $corpus; $runs rounds; options: ${options[*]}"
echo "| cache | before | after | after/before |"
echo "|---|---:|---:|---:|"
for state in cold warm; do
    ratio=$(echo "scale=3; $(med "$work/after-$state") / $(med "$work/before-$state")" | bc)
    echo "| $state | $(median "$work/before-$state") | $(median "$work/after-$state") | $ratio |"
done
echo "stats of AFTER, warm:"
"$after" "${options[@]}" --stats "$corpus" 2>&1 > /dev/null | grep '^stats:' || true
