#!/usr/bin/env bash
# Runs dupelink and its peers in report-only mode on one corpus and prints one markdown table.
#
# usage: Benchmarks/peers.sh [--runs K] [--tools LIST] [--manifest PATH] [--no-cold] [--no-warm]
#                            [--no-build] [--keep] CORPUS
#   --runs K        runs per tool and cache state (default 3); tools alternate within each round
#   --tools LIST    comma-separated subset of dupelink,jdupes,rdfind,rmlint,fdupes,hardlink (default: all)
#   --manifest P    expected classes (default: CORPUS.manifest.json, written by make-corpus.py)
#   --no-cold       skip cold-cache runs;  --no-warm: skip warm-cache runs
#   --no-build      do not run `swift build -c release` when the dupelink binary is missing
#   --keep          keep the work directory (reports, stderr, timings) and print its path
# Environment: DUPELINK (default <repo>/.build/release/dupelink).
# Exit status: 0 when every tool found the same classes as the manifest (or as dupelink, or as the
# first tool, when there is no manifest); 1 when they differ; 2 on a usage or setup error.
#
# Each run is timed by `/usr/bin/time -f '%e %U %S %M'`: wall seconds, user and system CPU seconds,
# peak resident set size. A cold run follows `sync; echo 3 > /proc/sys/vm/drop_caches` (root only,
# and not inside every container: the table says when caches could not be dropped); a warm run
# follows the same tool's cold run, so the page cache holds what that tool reads. Each round runs
# every tool once cold and once warm, and the order of tools rotates from round to round.
#
# Flags, chosen so that every tool reports the same thing: classes of regular files with identical
# contents, empty files and symbolic links left out, hidden files included, nothing changed on disk.
#   dupelink  scan --no-catalog --format json ROOT
#             Never writes; names of one inode are one member; follows no symlink below ROOT.
#   jdupes    -r -q -0 ROOT
#             -r recurse; -q no progress; -0 NUL-separated names (a name may hold a newline).
#             Defaults kept: symlinks not followed (no -s), empty files ignored (no -z), hard links
#             of one inode not matched to each other (no -H), byte-for-byte confirmation on.
#             NEVER -Q (hash only, no byte check) or -T (first block only): both are documented as
#             unsafe and would compare a different algorithm, not a faster one.
#   rdfind    -dryrun true -outputname WORK/results.txt ROOT   (run in a temporary cwd)
#             Defaults kept: -ignoreempty true, -followsymlinks false, -removeidentinode true (one
#             name per inode, like dupelink). rdfind trusts a full-file SHA-1 and never byte-compares.
#   rmlint    -T df -r -F -o json:WORK/rmlint.json ROOT         (run in a temporary cwd)
#             -T df duplicates only (not empty files, bad links, ...); -r include hidden files (its
#             default leaves them out, the others include them); -F ignore symlinks completely (its
#             default, -@, treats them as small files); -o replaces the default outputs, so no
#             rmlint.sh is written. Defaults kept: blake2b digests, no byte compare (-p would add
#             one), -l: names of one inode are reported in the same group.
#   fdupes    -r -q -n ROOT
#             -n leaves out empty files (fdupes counts them by default); no -s, no -H; byte compare.
#   hardlink  -n -c -y memcmp -v ROOT                           (util-linux)
#             -n dry run: compares, prints "[DryRun] Linking KEEPER to DUPLICATE", changes nothing;
#             -c content only (same as -pot: mode, owner and mtime may differ, as for the others);
#             -y memcmp byte comparison (its default, sha256 in the kernel, trusts a digest); -v
#             prints each link, which is the report. Defaults kept: empty files and symlinks left
#             out, names of one inode are already linked and not printed.
# Hard links differ between tools (jdupes and fdupes treat names of one inode as non-duplicates,
# rdfind drops all but one, rmlint lists them all); the check is fair because peers-report.py
# compares classes of inodes, not of names, and drops any class that has only one inode.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
all_tools=dupelink,jdupes,rdfind,rmlint,fdupes,hardlink

runs=3 tools=$all_tools manifest= do_cold=1 do_warm=1 do_build=1 keep=0 corpus=
usage() { sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=${2:?}; shift 2 ;;
        --tools) tools=${2:?}; shift 2 ;;
        --manifest) manifest=${2:?}; shift 2 ;;
        --no-cold) do_cold=0; shift ;;
        --no-warm) do_warm=0; shift ;;
        --no-build) do_build=0; shift ;;
        --keep) keep=1; shift ;;
        -h|--help) usage 0 ;;
        -*) echo "peers.sh: unknown option $1" >&2; usage ;;
        *) [ -z "$corpus" ] || usage; corpus=$1; shift ;;
    esac
done
[ -n "$corpus" ] || usage
[ -d "$corpus" ] || { echo "peers.sh: $corpus is not a directory" >&2; exit 2; }
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "peers.sh: --runs takes a positive number" >&2; exit 2; }
root=$(realpath "$corpus")
[ -n "$manifest" ] || manifest="$root.manifest.json"
[ -f "$manifest" ] || { echo "peers.sh: no manifest at $manifest; classes are checked between tools only" >&2; manifest=; }
IFS=, read -r -a selected <<< "$tools"
for tool in "${selected[@]}"; do
    case ",$all_tools," in *",$tool,"*) ;; *) echo "peers.sh: unknown tool $tool" >&2; exit 2 ;; esac
done

# --- install what is missing ---------------------------------------------------------------------
missing_packages=()
for tool in "${selected[@]}"; do
    [ "$tool" = dupelink ] && continue
    # util-linux ships hardlink (Debian 12 and later); the others are packages of their own name.
    command -v "$tool" >/dev/null || missing_packages+=("$([ "$tool" = hardlink ] && echo util-linux || echo "$tool")")
done
[ -x /usr/bin/time ] || missing_packages+=(time)
if [ ${#missing_packages[@]} -gt 0 ]; then
    echo "peers.sh: installing ${missing_packages[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "peers.sh: need root to install ${missing_packages[*]}" >&2; exit 2
    fi
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_packages[@]}" >&2
fi

notes=()
DUPELINK=${DUPELINK:-$repo/.build/release/dupelink}
tools_run=()
for tool in "${selected[@]}"; do
    if [ "$tool" = dupelink ]; then
        if [ ! -x "$DUPELINK" ] && [ $do_build = 1 ] && [ "$DUPELINK" = "$repo/.build/release/dupelink" ]; then
            echo "peers.sh: building dupelink (swift build -c release --product dupelink in $repo)" >&2
            (cd "$repo" && swift build -c release --product dupelink >&2) || echo "peers.sh: build failed" >&2
        fi
        if [ ! -x "$DUPELINK" ]; then
            echo "peers.sh: skipping dupelink: no binary at $DUPELINK" >&2
            notes+=("dupelink skipped: no binary at $DUPELINK")
            continue
        fi
        # Probe: two equal files must come back as one class in the JSON the parser expects.
        probe=$(mktemp -d "${TMPDIR:-/tmp}/dupelink-probe.XXXXXX")
        echo probe > "$probe/a"; echo probe > "$probe/b"
        if ! "$DUPELINK" scan --no-catalog --format json "$probe" 2>/dev/null |
            python3 -c 'import json,sys; assert len(json.load(sys.stdin)["classes"]) == 1' 2>/dev/null; then
            rm -rf "$probe"
            echo "peers.sh: skipping dupelink: $DUPELINK scan --no-catalog --format json gives no classes JSON yet" >&2
            notes+=("dupelink skipped: $DUPELINK scan --no-catalog --format json gives no classes JSON yet")
            continue
        fi
        rm -rf "$probe"
    fi
    tools_run+=("$tool")
done
[ ${#tools_run[@]} -gt 0 ] || { echo "peers.sh: no tool to run" >&2; exit 2; }

# --- cold cache: allowed here? ---------------------------------------------------------------------
cold=0 cold_note=
if [ $do_cold = 1 ]; then
    if sync && (echo 3 > /proc/sys/vm/drop_caches) 2>/dev/null; then
        cold=1
    else
        cold_note="cannot write /proc/sys/vm/drop_caches: not root, or a read-only /proc in a container"
        echo "peers.sh: cold runs skipped: $cold_note" >&2
    fi
else
    cold_note="--no-cold"
fi
[ $cold = 1 ] || [ $do_warm = 1 ] || { echo "peers.sh: nothing to measure" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/dupelink-peers.XXXXXX")
cleanup() { [ $keep = 1 ] && echo "peers.sh: kept $work" >&2 || rm -rf "$work"; }
trap cleanup EXIT

# Runs one tool once; its report goes to $dir/stdout, timings to $dir/time, exit status to $dir/status.
run_tool() {
    local tool=$1 dir=$2
    mkdir -p "$dir/cwd"
    local -a command
    case "$tool" in
        dupelink) command=("$DUPELINK" scan --no-catalog --format json "$root") ;;
        jdupes) command=(jdupes -r -q -0 "$root") ;;
        rdfind) command=(rdfind -dryrun true -outputname "$dir/results.txt" "$root") ;;
        rmlint) command=(rmlint -T df -r -F -o "json:$dir/rmlint.json" "$root") ;;
        fdupes) command=(fdupes -r -q -n "$root") ;;
        hardlink) command=(hardlink -n -c -y memcmp -v "$root") ;;
    esac
    local status=0
    (cd "$dir/cwd" && /usr/bin/time -f '%e %U %S %M' -o "$dir/time" "${command[@]}" >"$dir/out" 2>"$dir/stderr") || status=$?
    local report="$dir/out"
    case "$tool" in
        rdfind) report="$dir/results.txt" ;;
        rmlint) report="$dir/rmlint.json" ;;
    esac
    if [ -f "$report" ]; then
        mv "$report" "$dir/stdout"
    elif [ "$status" = 0 ]; then
        status=99  # exited 0 without writing its report
    fi
    echo "$status" > "$dir/status"
    rm -rf "$dir/cwd"
    if [ "$status" != 0 ]; then
        echo "peers.sh: $tool exited with status $status (see $dir/stderr)" >&2
        keep=1
    fi
}

drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
count=${#tools_run[@]}
for ((round = 1; round <= runs; round++)); do
    for ((i = 0; i < count; i++)); do
        tool=${tools_run[(i + round - 1) % count]}
        if [ $cold = 1 ]; then
            drop_caches
            run_tool "$tool" "$work/$tool/cold-$round"
            echo "peers.sh: round $round/$runs $tool cold $(tail -n1 "$work/$tool/cold-$round/time")" >&2
        fi
        if [ $do_warm = 1 ]; then
            # Without a cold run just before, warm the cache with one untimed run of the same tool.
            [ $cold = 1 ] || [ $round -gt 1 ] || run_tool "$tool" "$work/$tool/prime"
            run_tool "$tool" "$work/$tool/warm-$round"
            echo "peers.sh: round $round/$runs $tool warm $(tail -n1 "$work/$tool/warm-$round/time")" >&2
        fi
    done
done

notes+=("load average (1, 5, 15 min) at start: $load_start; at end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown); $(nproc) CPUs")
python3 - "$work/meta.json" "$root" "$manifest" "$runs" "$cold" "$cold_note" "${#notes[@]}" "${notes[@]}" "${tools_run[@]}" <<'EOF'
import json, sys
path, root, manifest, runs, cold, cold_note, n = sys.argv[1:8]
rest = sys.argv[8:]
notes, tools = rest[:int(n)], rest[int(n):]
json.dump({"root": root, "manifest": manifest or None, "runs": int(runs), "cold": cold == "1",
           "coldNote": cold_note, "notes": notes, "tools": tools}, open(path, "w"))
EOF
rm -rf "$work"/*/prime
status=0
python3 "$here/peers-report.py" "$work" || status=$?
exit $status
