#!/bin/sh
# Times `dupelink scan --no-catalog` on two identical sparse files: 8 GiB apparent, 64 MiB of
# data each (16 extents of 4 MiB, 512 MiB apart), warm page cache. Before dupelink read sparse
# files by their data maps it read the holes as 16 GiB of zeros.
#
# usage: Benchmarks/sparse.sh [--runs K] [--dir DIR] DUPELINK...
#   DUPELINK  one or more dupelink binaries to time, in turn (e.g. .build-before/.../dupelink
#             .build/release/dupelink)
#   --dir     where to make the files (default /var/tmp; must be a filesystem with holes: ext4, XFS, btrfs)
#   --runs    timed runs per binary after one warm-up run (default 3)
# Prints, per binary and run, the wall time and the content stage's "bytes read" from --stats.
set -eu
runs=3
dir=/var/tmp
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        --) shift; break ;;
        -*) echo "usage: $0 [--runs K] [--dir DIR] DUPELINK..." >&2; exit 2 ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--runs K] [--dir DIR] DUPELINK..." >&2; exit 2; }

work=$(mktemp -d "$dir/dupelink-sparse-XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'EOF'
import os, random, sys
work = sys.argv[1]
size, extent, spacing = 8 << 30, 4 << 20, 512 << 20
rng = random.Random(42)
data = [rng.randbytes(extent) for _ in range(16)]
for name in ("a", "b"):
    with open(os.path.join(work, name), "wb") as f:
        f.truncate(size)
        for index, chunk in enumerate(data):
            f.seek(index * spacing + (1 << 20))
            f.write(chunk)
EOF
sync
ls -ls "$work"

for binary in "$@"; do
    echo "== $binary"
    "$binary" scan --no-catalog --quiet "$work" > /dev/null  # warm-up: page cache, binary
    run=1
    while [ "$run" -le "$runs" ]; do
        start=$(date +%s.%N)
        "$binary" scan --no-catalog --quiet --stats "$work" > /dev/null 2> "$work/stats"
        end=$(date +%s.%N)
        read_bytes=$(sed -n 's/^stats: bytes read, content: \([0-9]*\).*/\1/p' "$work/stats")
        printf 'run %d: %.2f s wall, content bytes read %s\n' "$run" "$(echo "$end - $start" | bc)" "$read_bytes"
        run=$((run + 1))
    done
done
