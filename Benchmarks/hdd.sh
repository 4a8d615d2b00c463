#!/usr/bin/env bash
# dupelink and its peers on a simulated 7200 rpm disk: FUSE daemon (hdd/hddsim.c) + loop + ext4.
#
# usage: Benchmarks/hdd.sh [--runs K] [--queue fifo|ncq|both] [--files N] [--max-total-mb M]
#                          [--image-gb G] [--tools LIST] [--no-calibrate] [--work DIR] [--keep]
#   --runs K          cold runs per tool and queue mode (default 3); tools alternate within a round
#   --queue Q         fifo (no command queue), ncq (reordering among 32 pending) or both (default)
#   --files N         files in the corpus (default 1500; --files 500 --runs 1 is a quick run)
#   --max-total-mb M  cap on the corpus bytes (default N + 100 MiB); the three big files (a far
#                     copy and a same-size near miss among them) get a quarter of it
#   --image-gb G      size of the sparse ext4 image, the modelled disk's capacity (default 4)
#   --tools LIST      comma-separated subset of dupelink,dupelink-j1,dupelink-j2,dupelink-j4,
#                     before,before-j1,before-j2,before-j4 (DUPELINK_BEFORE, an older build),
#                     jdupes,rdfind,fdupes (default: all)
#   --no-calibrate    skip the dd and fio calibration
#   --work DIR        work directory (default: a new /var/tmp/dupelink-hdd.XXXXXX)
#   --keep            keep the work directory, image included, and print its path
# Environment: DUPELINK (default <repo>/.build/release/dupelink; never built here); DUPELINK_BEFORE,
# another build for the before* tools, so that a change is measured in one run against the old one.
# Exit status: 0 when every run succeeded and every tool found the manifest's classes; 1 when a
# tool failed or found other classes; 2 on a usage or setup error. Needs root, /dev/fuse, a C
# compiler and libfuse3-dev (installed with apt-get when missing, like fuse3, fio and the peers).
#
# What it does: compiles hdd/hddsim.c into the work directory, makes a sparse ext4 image
# (mkfs.ext4, inode tables written up front so no lazy init runs during the benchmark), serves it
# through hddsim (FUSE, direct I/O; see the comment at its top for the model), attaches
# MOUNT/disk.img to a loop device with --direct-io=on (so the loop device hands the FUSE daemon
# many requests at once: FUSE's asynchronous direct I/O) and mounts it with noatime. The loop
# device is made to look like a disk: rotational, mq-deadline, read_ahead_kb 128; hddsim raises
# FUSE's max_background from 12 to 64 so that more than 32 requests can be pending. The corpus is
# generated with the model off (memory speed), then the model is switched on. Every run is cold:
# before it the ext4 file system is unmounted and mounted again and the loop device's buffers are
# flushed, which drops exactly the simulated disk's caches (the image's own page cache on the
# host stays, so the daemon's reads of it cost no real I/O; the daemon sleeps the modelled time).
# The daemon's counters (requests, seeks, bytes, modelled busy time, queue depth) are reset
# before each run and read after it.
#
# Tools and flags (report only, as in peers.sh):
#   dupelink     scan --no-catalog --format json ROOT          (default --jobs: 2 x CPUs, >= 8)
#   dupelink-jN  scan --no-catalog --format json --jobs N ROOT
#   before, before-jN   the same with $DUPELINK_BEFORE
#   jdupes       -r -q -0 ROOT
#   rdfind       -dryrun true -outputname WORK/.../results.txt ROOT   (in a temporary cwd)
#   fdupes       -r -q -n ROOT
# Reports go to files in the work directory (the host's disk, not the simulated one) so that the
# classes can be checked against the manifest afterwards.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
all_tools=dupelink,dupelink-j1,dupelink-j2,dupelink-j4,jdupes,rdfind,fdupes
known_tools=$all_tools,before,before-j1,before-j2,before-j4
dupelink=${DUPELINK:-$repo/.build/release/dupelink}
before=${DUPELINK_BEFORE:-}

runs=3 queue=both files=1500 total_mb= image_gb=4 tools=$all_tools calibrate=1 work= keep=0
usage() { sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }
die() { echo "hdd.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=${2:?}; shift 2 ;;
        --queue) queue=${2:?}; shift 2 ;;
        --files) files=${2:?}; shift 2 ;;
        --max-total-mb) total_mb=${2:?}; shift 2 ;;
        --image-gb) image_gb=${2:?}; shift 2 ;;
        --tools) tools=${2:?}; shift 2 ;;
        --no-calibrate) calibrate=0; shift ;;
        --work) work=${2:?}; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "hdd.sh: unknown argument $1" >&2; usage ;;
    esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs takes a positive number"
[[ "$files" =~ ^[1-9][0-9]*$ ]] && [ "$files" -ge 100 ] || die "--files takes a number of at least 100"
[[ "$image_gb" =~ ^[1-9][0-9]*$ ]] || die "--image-gb takes a positive whole number"
[ -n "$total_mb" ] || total_mb=$(( files + 100 ))
[[ "$total_mb" =~ ^[1-9][0-9]*$ ]] || die "--max-total-mb takes a positive whole number"
[ $(( total_mb * 2 )) -lt $(( image_gb * 1024 )) ] || die "the corpus ($total_mb MiB) must fit in half of the image ($image_gb GiB)"
case "$queue" in fifo|ncq) modes=("$queue") ;; both) modes=(fifo ncq) ;; *) die "--queue takes fifo, ncq or both" ;; esac
IFS=, read -r -a selected <<< "$tools"
for t in "${selected[@]}"; do
    [[ ",$known_tools," == *",$t,"* ]] || die "unknown tool $t (known: $known_tools)"
done

[ "$(id -u)" = 0 ] || die "must run as root (loop devices, mounts, FUSE)"
[ -c /dev/fuse ] || die "no /dev/fuse"
if [[ ",$tools," == *",dupelink"* ]]; then
    [ -x "$dupelink" ] || die "no dupelink binary at $dupelink (swift build -c release --product dupelink, or set DUPELINK)"
fi
if [[ ",$tools," == *",before"* ]]; then
    [ -n "$before" ] && [ -x "$before" ] || die "the before tools need DUPELINK_BEFORE, an executable dupelink build"
fi

# -- packages -------------------------------------------------------------------------------------
missing=()
command -v cc >/dev/null || missing+=(gcc)
command -v pkg-config >/dev/null || missing+=(pkg-config)
pkg-config --exists fuse3 2>/dev/null || missing+=(libfuse3-dev)
command -v fusermount3 >/dev/null || missing+=(fuse3)
command -v fio >/dev/null || missing+=(fio)
[ -x /usr/bin/time ] || missing+=(time)
for t in "${selected[@]}"; do
    case "$t" in jdupes|rdfind|fdupes) command -v "$t" >/dev/null || missing+=("$t") ;; esac
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "hdd.sh: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 \
        || die "could not install ${missing[*]}"
fi
pkg-config --exists fuse3 || die "no libfuse3 development files (apt-get install libfuse3-dev)"
command -v fio >/dev/null || { echo "hdd.sh: no fio; the random-read calibration is skipped" >&2; }

# -- set-up and teardown --------------------------------------------------------------------------
if [ -z "$work" ]; then
    work=$(mktemp -d /var/tmp/dupelink-hdd.XXXXXX)
else
    mkdir -p "$work"
    [ -z "$(ls -A "$work")" ] || die "--work $work is not empty"
fi
work=$(realpath "$work")
image=$work/disk.img fusedir=$work/fuse fs=$work/fs results=$work/results
control=$fusedir/control
mkdir -p "$fusedir" "$fs" "$results"
daemon_pid= loopdev=
started=$(date +%s)

teardown() {
    local status=$?
    trap - EXIT INT TERM
    set +e
    cd /
    # By what is mounted and attached, not by flags: a signal can arrive between a command and the
    # line that would record it.
    if mountpoint -q "$fs"; then
        umount "$fs" || { sleep 1; umount "$fs"; } || umount -l "$fs"
    fi
    if mountpoint -q "$fusedir"; then
        for dev in $loopdev $(losetup -n -O NAME -j "$fusedir/disk.img" 2>/dev/null); do
            losetup "$dev" >/dev/null 2>&1 && losetup -d "$dev"
        done
        fusermount3 -u "$fusedir" || { sleep 1; fusermount3 -u "$fusedir"; } || umount -l "$fusedir"
    fi
    if [ -n "$daemon_pid" ]; then
        for _ in $(seq 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
        kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
    fi
    if [ "$keep" = 1 ]; then
        echo "hdd.sh: kept $work (image $image)" >&2
    elif mountpoint -q "$fs" || mountpoint -q "$fusedir"; then
        echo "hdd.sh: $fs or $fusedir is still mounted; left $work in place" >&2
    else
        rm -rf "$work"
    fi
    echo "hdd.sh: total time $(( $(date +%s) - started )) s" >&2
    exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { echo "hdd.sh: $*" >&2; }
ctl() { printf '%s\n' "$*" > "$control"; }
stats() { cat "$control"; }

say "work directory $work"
truncate -s "${image_gb}G" "$image"
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 -L hddsim "$image"

# shellcheck disable=SC2046  # pkg-config's flags are words
cc -O2 -Wall -o "$work/hddsim" "$here/hdd/hddsim.c" $(pkg-config --cflags --libs fuse3) -lm -lpthread \
    || die "could not compile hdd/hddsim.c"
# A little priority, so that its sleeps end on time on a machine that is busy compiling.
nice -n -10 "$work/hddsim" --model off --queue ncq "$image" "$fusedir" > "$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do
    [ -e "$control" ] && break
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/daemon.log" >&2; die "hddsim exited"; }
    sleep 0.1
done
[ -e "$control" ] || die "hddsim did not mount $fusedir"

dio=on
loopdev=$(losetup -f --show --direct-io=on "$fusedir/disk.img" 2>/dev/null) \
    || { dio=off; loopdev=$(losetup -f --show "$fusedir/disk.img"); }
lo=${loopdev#/dev/}
[ "$(cat "/sys/block/$lo/loop/dio" 2>/dev/null)" = 1 ] || dio=off
[ "$dio" = on ] || say "loop direct I/O not accepted: the daemon gets one request at a time (no queue)"
echo 1 > "/sys/block/$lo/queue/rotational" 2>/dev/null || true
echo mq-deadline > "/sys/block/$lo/queue/scheduler" 2>/dev/null || true
echo 128 > "/sys/block/$lo/queue/read_ahead_kb"
mount -o noatime "$loopdev" "$fs"

cold() {
    sync
    umount "$fs"
    blockdev --flushbufs "$loopdev"
    mount -o noatime "$loopdev" "$fs"
}

# -- corpus, with the model off -------------------------------------------------------------------
corpus=$fs/corpus manifest=$work/corpus.manifest.json
corpus_args=(--files "$files" --seed 42 --median-kb 256 --max-total-mb "$total_mb" --max-file-mb 300 --big-files 3)
say "generating the corpus (make-corpus.py ${corpus_args[*]}), model off"
t0=$(date +%s.%N)
python3 "$here/make-corpus.py" "${corpus_args[@]}" --out "$corpus" --manifest "$manifest" --quiet
# A 256 MiB file for the sequential calibration, outside the corpus.
dd if=/dev/urandom of="$fs/calibration.bin" bs=1M count=256 status=none
sync
generation_s=$(echo "$(date +%s.%N) - $t0" | bc)
ctl "model on"

# -- calibration ----------------------------------------------------------------------------------
if [ "$calibrate" = 1 ]; then
    say "calibrating"
    for mode in "${modes[@]}"; do
        ctl "queue $mode"
        cold; ctl reset
        dd if="$fs/calibration.bin" of=/dev/null bs=1M 2>&1 | tail -1 > "$results/calibration-$mode-seq.txt"
        stats > "$results/calibration-$mode-seq.json"
        command -v fio >/dev/null || continue
        for jobs in 1 8; do
            ctl reset
            # Random 4 KiB reads anywhere on the disk: the loop device, read-only, O_DIRECT.
            fio --name=rand --filename="$loopdev" --readonly --rw=randread --bs=4k --direct=1 \
                --ioengine=psync --numjobs="$jobs" --runtime=6 --time_based --group_reporting \
                --output-format=json > "$results/calibration-$mode-fio$jobs.json"
            stats > "$results/calibration-$mode-fio$jobs.stats.json"
        done
    done
fi

# -- runs -----------------------------------------------------------------------------------------
tool_command() {  # tool, run directory -> the command line, in the array cmd
    case "$1" in
        dupelink) cmd=("$dupelink" scan --no-catalog --format json "$corpus") ;;
        dupelink-j*) cmd=("$dupelink" scan --no-catalog --format json --jobs "${1#dupelink-j}" "$corpus") ;;
        before) cmd=("$before" scan --no-catalog --format json "$corpus") ;;
        before-j*) cmd=("$before" scan --no-catalog --format json --jobs "${1#before-j}" "$corpus") ;;
        jdupes) cmd=(jdupes -r -q -0 "$corpus") ;;
        rdfind) cmd=(rdfind -dryrun true -outputname "$2/results.txt" "$corpus") ;;
        fdupes) cmd=(fdupes -r -q -n "$corpus") ;;
    esac
}

n=${#selected[@]}
for mode in "${modes[@]}"; do
    ctl "queue $mode"
    for round in $(seq "$runs"); do
        for i in $(seq 0 $(( n - 1 ))); do
            tool=${selected[$(( (i + round - 1) % n ))]}
            dir=$results/$mode/$tool/run-$round
            mkdir -p "$dir"
            tool_command "$tool" "$dir"
            cold
            ctl reset
            status=0
            (cd "$dir" && /usr/bin/time -f '%e %U %S %M' -o "$dir/time" "${cmd[@]}" > "$dir/stdout" 2> "$dir/stderr") || status=$?
            stats > "$dir/disk.json"
            echo "$status" > "$dir/status"
            say "$mode round $round: $tool $(tail -1 "$dir/time" | cut -d' ' -f1) s (exit $status)"
        done
    done
done

cat > "$work/meta.json" <<EOF
{"corpus": "$corpus", "manifest": "$manifest", "tools": "$tools", "runs": $runs,
 "modes": "${modes[*]}", "dio": "$dio", "loopdev": "$loopdev", "image_gb": $image_gb,
 "corpus_args": "${corpus_args[*]}", "generation_s": $generation_s, "calibrated": $calibrate,
 "dupelink": "$dupelink", "repo_commit": "$(git -C "$repo" log -1 --format=%h 2>/dev/null || echo unknown)",
 "started": $started, "runs_ended": $(date +%s)}
EOF
report_status=0
python3 "$here/hdd/report.py" "$work" || report_status=$?
say "runs took $(( $(date +%s) - started )) s so far"
exit "$report_status"
