#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for MINUTES each, one after another, and prints executions and
# crashes per target. Seeds come from fuzz/seed.py (run when fuzz/corpus is missing); crashing inputs are kept
# under fuzz/artifacts/<target>/ and each one becomes a regression test.
#
# Usage: bash fuzz/run.sh [MINUTES] [TARGET...]   (default: 1 minute, every target; SECONDS_EACH=N overrides)
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")"

minutes=${1:-1}
shift || true
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list); fi
[ -d corpus ] || python3 seed.py
cargo +nightly fuzz build -O >/dev/null
mkdir -p logs
printf '%-12s %12s %10s %8s  %s\n' target executions exec/s crashes log
total=0
for t in "${targets[@]}"; do
  log="logs/$t.log"
  mkdir -p "corpus/$t"
  # -timeout: an input taking over 5 s is a hang; -rss_limit_mb: over 2 GiB is a memory blow-up.
  cargo +nightly fuzz run -O "$t" "corpus/$t" -- -max_total_time=${SECONDS_EACH:-$((minutes * 60))} -timeout=5 \
    -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || true
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  crashes=$(find "artifacts/$t" -type f 2>/dev/null | wc -l)
  total=$((total + ${runs:-0}))
  printf '%-12s %12s %10s %8s  %s\n' "$t" "${runs:-?}" "${rate:-?}" "$crashes" "fuzz/$log"
done
echo "total executions: $total"
