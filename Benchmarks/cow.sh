#!/usr/bin/env bash
# Copy-on-write benchmark: dupelink dedupe against jdupes -B and duperemove -d on loop-mounted
# btrfs and XFS (reflink=1) images, one markdown table per filesystem.
#
# usage: Benchmarks/cow.sh [--corpus DIR | --big] [--files N] [--fs LIST] [--tools LIST]
#                          [--runs K] [--image-mb M] [--dir DIR] [--keep] [--help]
#   --corpus DIR   copy this corpus (made by make-corpus.py) into each image
#   --big          the 100k-file corpus: --corpus /var/tmp/bench/c100k (4.9 GB)
#   --files N      without --corpus: generate (or reuse) DIR/bench/cN with make-corpus.py
#                  --files N --seed 42 (default 10000: about 480 MB)
#   --fs LIST      comma-separated subset of btrfs,xfs (default: both)
#   --tools LIST   comma-separated subset of dupelink,jdupes,duperemove,duperemove-hashfile
#                  (default: dupelink,jdupes,duperemove)
#   --runs K       rounds (default 3): each tool runs once per round, the order rotating; the
#                  table gives the median wall time and bytes freed
#   --image-mb M   size of each image (default: twice the corpus plus 1 GiB, sparse)
#   --dir DIR      where images, corpora and mounts go (default /var/tmp)
#   --keep         keep the work directory (outputs, checksum lists) and print its path
# Environment: DUPELINK (default <repo>/.build/release/dupelink; built with swift build -c release
# when missing). Needs root (losetup, mount, drop_caches), btrfs-progs, xfsprogs, jdupes, duperemove.
#
# For each filesystem: make an image in DIR, mkfs (mkfs.xfs -m reflink=1; mkfs.btrfs), attach it
# with losetup and mount it. Then, for each tool in turn, on a fresh copy of the corpus
# (cp -a --reflink=never: nothing shared to begin with):
#   1. commit (sync; btrfs filesystem sync), list the sha256 of every regular file, read the
#      free space (df -B1, available bytes), drop the caches (sync; echo 3 > drop_caches);
#   2. run the tool and commit the filesystem again, timed together by wall clock (dupelink
#      commits itself to measure what it freed; the others leave their metadata to write back
#      later, so the commit is timed for every tool):
#        dupelink             dedupe --no-catalog --quiet --stats ROOT   (stage times in WORK/<fs>-dupelink.out)
#        jdupes               -r -B -q ROOT        (-B: FIDEDUPERANGE on whole files)
#        duperemove           -dr -q ROOT          (block hashes in memory)
#        duperemove-hashfile  -dr -q --hashfile=WORK/hashes ROOT   (block hashes in SQLite)
#   3. read the free space: bytes freed is the growth of available bytes;
#   4. list the sha256 of every file again: "content ok" when the lists are identical;
#   5. remove the copy and commit.
# The table gives wall seconds, bytes freed, the content check, and the ratios dupelink/jdupes
# for wall time and bytes freed (the issue's target: wall <= 0.5, freed >= 1).
# Everything made is torn down on exit, also when a step fails or on Ctrl-C: umount,
# losetup -d, the images removed.
# Exit status: 0 when every content check passed; 1 when one failed; 2 on a usage or setup error.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
usage() { sed -n '5,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

corpus= files=10000 filesystems=btrfs,xfs tools=dupelink,jdupes,duperemove image_mb= dir=/var/tmp keep=0 runs=3
while [ $# -gt 0 ]; do
    case "$1" in
        --corpus) corpus=$2; shift 2 ;;
        --big) corpus=/var/tmp/bench/c100k; shift ;;
        --files) files=$2; shift 2 ;;
        --fs) filesystems=$2; shift 2 ;;
        --tools) tools=$2; shift 2 ;;
        --image-mb) image_mb=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown argument: $1" >&2; usage ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "cow.sh needs root (losetup, mount, drop_caches)" >&2; exit 2; }
for tool in $(tr , ' ' <<< "$tools"); do
    case "$tool" in
        dupelink) ;;
        jdupes) command -v jdupes > /dev/null || { echo "jdupes is missing (apt-get install jdupes)" >&2; exit 2; } ;;
        duperemove|duperemove-hashfile)
            command -v duperemove > /dev/null || { echo "duperemove is missing (apt-get install duperemove)" >&2; exit 2; } ;;
        *) echo "unknown tool: $tool" >&2; usage ;;
    esac
done
for fs in $(tr , ' ' <<< "$filesystems"); do
    case "$fs" in
        btrfs) command -v mkfs.btrfs > /dev/null || { echo "mkfs.btrfs is missing (btrfs-progs)" >&2; exit 2; } ;;
        xfs) command -v mkfs.xfs > /dev/null || { echo "mkfs.xfs is missing (xfsprogs)" >&2; exit 2; } ;;
        *) echo "unknown filesystem: $fs" >&2; usage ;;
    esac
done

dupelink=${DUPELINK:-$repo/.build/release/dupelink}
if [ ! -x "$dupelink" ]; then
    (cd "$repo" && swift build -c release) >&2
fi

if [ -z "$corpus" ]; then
    corpus=$dir/bench/c$((files / 1000))k
    [ "$files" -lt 1000 ] && corpus=$dir/bench/c$files
    if [ ! -d "$corpus" ]; then
        mkdir -p "$(dirname "$corpus")"
        python3 "$here/make-corpus.py" --files "$files" --seed 42 --out "$corpus" --quiet
    fi
fi
[ -d "$corpus" ] || { echo "no corpus at $corpus" >&2; exit 2; }
corpus_bytes=$(du -sb "$corpus" | cut -f1)
[ -n "$image_mb" ] || image_mb=$((corpus_bytes * 2 / 1048576 + 1024))

work=$(mktemp -d "$dir/dupelink-cow-XXXXXX")
mounts=() loops=()
teardown() {
    local status=$?
    set +e
    for point in "${mounts[@]}"; do [ -n "$point" ] && { umount "$point" 2> /dev/null || umount -l "$point"; }; done
    for loop in "${loops[@]}"; do [ -n "$loop" ] && losetup -d "$loop" 2> /dev/null; done
    rm -f "$work"/*.img
    if [ "$keep" -eq 1 ]; then
        echo "kept $work" >&2
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT TERM

drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }
commit() {  # commit the filesystem at $1 so that its free space is settled
    sync
    if [ "$2" = btrfs ]; then btrfs filesystem sync "$1" > /dev/null; fi
}
available() { df -B1 --output=avail "$1" | tail -1 | tr -d ' '; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
checksums() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum) > "$2"; }

run_tool() {  # tool root -> runs it; its output goes to WORK/<fs>-<tool>.out
    case "$1" in
        dupelink) "$dupelink" dedupe --no-catalog --quiet --stats "$2" ;;
        jdupes) jdupes -r -B -q "$2" ;;
        duperemove) duperemove -dr -q "$2" ;;
        duperemove-hashfile) rm -f "$work/hashes"; duperemove -dr -q --hashfile="$work/hashes" "$2" ;;
    esac
}

echo "corpus $corpus: $(find "$corpus" -type f | wc -l) files, $corpus_bytes bytes; dupelink $dupelink"
commit=$(git -C "$repo" rev-parse --short HEAD 2> /dev/null || echo unknown)
git -C "$repo" diff --quiet HEAD -- Sources 2> /dev/null || commit="$commit with uncommitted changes to Sources"
echo "commit $commit; kernel $(uname -r); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
failed=0
for fs in $(tr , ' ' <<< "$filesystems"); do
    image=$work/$fs.img
    truncate -s "${image_mb}M" "$image"
    case "$fs" in
        xfs) mkfs.xfs -q -m reflink=1 "$image" ;;
        btrfs) mkfs.btrfs -q "$image" > /dev/null ;;
    esac
    loop=$(losetup -f --show "$image")
    loops+=("$loop")
    point=$work/mnt-$fs
    mkdir -p "$point"
    mount "$loop" "$point"
    mounts+=("$point")

    declare -A walls=() freeds=() ok=() notes=()
    tool_list=($(tr , ' ' <<< "$tools"))
    for ((round = 0; round < runs; round++)); do
        for ((index = 0; index < ${#tool_list[@]}; index++)); do
            tool=${tool_list[$(((index + round) % ${#tool_list[@]}))]}
            root=$point/run
            cp -a --reflink=never "$corpus" "$root"
            commit "$point" "$fs"
            checksums "$root" "$work/$fs-$tool.before"
            before=$(available "$point")
            drop_caches
            start=$(date +%s.%N)
            status=0
            run_tool "$tool" "$root" > "$work/$fs-$tool.out" 2>&1 || status=$?
            commit "$point" "$fs"
            end=$(date +%s.%N)
            after=$(available "$point")
            checksums "$root" "$work/$fs-$tool.after"
            walls[$tool]="${walls[$tool]:-} $(echo "$end - $start" | bc)"
            freeds[$tool]="${freeds[$tool]:-} $((after - before))"
            [ -n "${ok[$tool]:-}" ] || ok[$tool]=yes
            if ! cmp -s "$work/$fs-$tool.before" "$work/$fs-$tool.after"; then ok[$tool]=NO; failed=1; fi
            # dupelink exits 0, or 1/3 when some files were skipped or none needed sharing.
            case "$tool:$status" in dupelink:[013]|*:0) ;; *) notes[$tool]=" (exit $status)" ;; esac
            rm -rf "$root"
            commit "$point" "$fs"
        done
    done
    declare -A wall=() freed=()
    for tool in "${tool_list[@]}"; do
        wall[$tool]=$(median <<< "${walls[$tool]}")
        freed[$tool]=$(median <<< "${freeds[$tool]}")
    done

    echo
    echo "### $fs"
    echo
    echo "median of $runs runs each; wall includes the commit after the tool"
    echo
    echo "| tool | wall s | bytes freed | content check ok | wall s of each run |"
    echo "| --- | ---: | ---: | --- | --- |"
    for tool in $(tr , ' ' <<< "$tools"); do
        printf '| %s | %.2f | %.0f | %s | %s |\n' "$tool" "${wall[$tool]}" "${freed[$tool]}" "${ok[$tool]}${notes[$tool]:-}" \
            "$(for value in ${walls[$tool]}; do printf '%.2f ' "$value"; done | sed 's/ $//')"
    done
    if [ -n "${wall[dupelink]:-}" ] && [ -n "${wall[jdupes]:-}" ]; then
        wall_ratio=$(echo "scale=3; ${wall[dupelink]} / ${wall[jdupes]}" | bc)
        freed_ratio=n/a
        [ "${freed[jdupes]%.*}" -gt 0 ] && freed_ratio=$(echo "scale=3; ${freed[dupelink]} / ${freed[jdupes]}" | bc)
        echo
        echo "dupelink/jdupes: wall $wall_ratio (target <= 0.5), bytes freed $freed_ratio (target >= 1)"
    fi
    umount "$point"
    mounts=("${mounts[@]/$point}")
    losetup -d "$loop"
    loops=("${loops[@]/$loop}")
    rm -f "$image"
    unset wall freed walls freeds ok notes
done
exit "$failed"
