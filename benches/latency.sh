#!/usr/bin/env bash
# Latency of the two commands a developer waits on, each a fresh process (so rule loading is included):
#   scan --staged   on a generated repository of $FILES files (default 100 000) with a one-file staged change
#                   (the pre-commit hook); wanted well under 50 ms
#   scan DIR        a cold scan of a directory holding one small file; wanted under 15 ms
# Median and minimum wall time (bash's microsecond clock) of $RUNS runs (default 21), after one untimed run each.
#   benches/latency.sh            # KEYSWEEP=BIN to time another build; WORK=DIR keeps the generated repository
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
ks=${KEYSWEEP:-$here/target/release/keysweep}
if [ -z "${KEYSWEEP:-}" ]; then
    (cd "$here" && cargo build --release --quiet)
fi
runs=${RUNS:-21}
files=${FILES:-100000}
work=${WORK:-}
if [ -z "$work" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
[ -d "$work/staged" ] || "$here/fixtures/gen-repo.sh" "$work/staged" "$files" > /dev/null
mkdir -p "$work/one"
printf 'fake example configuration: nothing secret here\n' > "$work/one/README.txt"

# time_ms NAME CMD... → one line: name, median and minimum wall time in milliseconds.
time_ms() {
    local name=$1
    shift
    "$@" > /dev/null 2>&1 || true
    local i
    local start end
    for ((i = 0; i < runs; i++)); do
        start=$EPOCHREALTIME
        "$@" > /dev/null 2>&1 || true
        end=$EPOCHREALTIME
        echo "$start $end"
    done | awk '{ print ($2 - $1) * 1000 }' | sort -n | awk -v n="$name" '{ v[NR] = $1 }
        END { printf "%-28s median %6.0f ms   min %6.0f ms   (%d runs)\n", n, v[int((NR + 1) / 2)], v[1], NR }'
}

echo "$(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
time_ms "scan --staged ($files files)" "$ks" scan "$work/staged" --staged -q
time_ms "scan (one-file tree)" "$ks" scan "$work/one" -q
time_ms "--version (process floor)" "$ks" --version
