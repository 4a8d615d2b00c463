#!/usr/bin/env bash
# Builds dupelink in release mode and installs it under a prefix: the binary, the man page, the
# bash, zsh and fish completions, and the systemd service and timer (disabled; enable the timer
# after adjusting the volume in the service).
#
# usage: Scripts/install.sh [PREFIX]     (default /usr/local; run as root for a system prefix)
# Environment: DUPELINK_BINARY uses that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
binary=${DUPELINK_BINARY:-}
if [ -z "$binary" ]; then
    swift build -c release --product dupelink
    binary=.build/release/dupelink
fi
install -D -m 0755 "$binary" "$prefix/bin/dupelink"
install -D -m 0644 man/dupelink.1 "$prefix/share/man/man1/dupelink.1"
"$binary" --generate-completion-script bash | install -D -m 0644 /dev/stdin "$prefix/share/bash-completion/completions/dupelink"
"$binary" --generate-completion-script zsh | install -D -m 0644 /dev/stdin "$prefix/share/zsh/site-functions/_dupelink"
"$binary" --generate-completion-script fish | install -D -m 0644 /dev/stdin "$prefix/share/fish/vendor_completions.d/dupelink.fish"
for unit in man/systemd/dupelink-backup.service man/systemd/dupelink-backup.timer; do
    sed "s|/usr/local/bin/dupelink|$prefix/bin/dupelink|" "$unit" |
        install -D -m 0644 /dev/stdin "$prefix/lib/systemd/system/$(basename "$unit")"
done
echo "installed dupelink under $prefix"
