#!/usr/bin/env bash
# Whole-command benchmark: `keysweep scan PATH` (release build) against the floor of reading the same tree,
# `rg -uuu -c AKIA PATH` (ripgrep, one literal, every file), and against ripgrep searching every keyword of the
# built-in rules case-insensitively (`rg -uuu -c -i -F -f KEYWORDS PATH`: the prefilter pass alone, done by
# ripgrep). Prints wall times, peak RSS and the ratios, then runs the ignored huge-input tests
# (`cargo test --release -- --ignored`).
#   benches/compare.sh PATH [RUNS]
# Installs nothing: it uses hyperfine when present (else repeated `/usr/bin/time -v`); ripgrep is required
# for the comparison. On Debian/Ubuntu: `apt-get install hyperfine ripgrep`.
# Set SKIP_IGNORED_TESTS=1 to skip the huge-input tests; KEYSWEEP_CONFIG=FILE scans with extra rule directories.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 PATH [RUNS]" >&2
  exit 2
fi
target=$1
runs=${2:-5}
cd "$(dirname "$0")/.."
[[ -e "$target" ]] || { echo "compare.sh: $target: no such file or directory" >&2; exit 2; }

echo "== building keysweep (release)"
cargo build --release --quiet
ks=$PWD/target/release/keysweep

have_rg=1
command -v rg >/dev/null || { have_rg=0; echo "compare.sh: ripgrep (rg) not found; install it (apt-get install ripgrep) for the comparison" >&2; }
have_time=1
[[ -x /usr/bin/time ]] || { have_time=0; echo "compare.sh: /usr/bin/time not found (apt-get install time): no peak RSS" >&2; }

ks_cmd=("$ks" scan "$target" --format json -o /dev/null)
rg_cmd=(rg -uuu -c AKIA "$target")
kw_file=$(mktemp)
trap 'rm -f "$kw_file"' EXIT
python3 - "$kw_file" <<'PY'
import glob, sys, tomllib
words = {k.lower() for f in glob.glob("rules/*.toml")
         for r in tomllib.load(open(f, "rb")).get("rule", []) for k in r.get("keywords", [])}
open(sys.argv[1], "w").write("".join(w + "\n" for w in sorted(words)))
PY
rg_kw_cmd=(rg -uuu -c -i -F -f "$kw_file" "$target")

size=$(du -sb "$target" 2>/dev/null | cut -f1 || echo 0)
files=$(find "$target" -type f 2>/dev/null | wc -l)
echo "== input: $target ($files files, $((size / 1000000)) MB on disk)"

# Warm the page cache so both commands read from memory.
"${ks_cmd[@]}" >/dev/null 2>&1 || true
[[ $have_rg == 1 ]] && { "${rg_cmd[@]}" >/dev/null 2>&1 || true; }

# Median wall seconds of RUNS runs of a command.
median_wall() {
  local -a t=()
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    e=$(date +%s.%N)
    t+=("$(echo "$e - $s" | bc -l)")
  done
  printf '%s\n' "${t[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

# Peak RSS in MB of one run.
peak_rss_mb() {
  if [[ $have_time == 0 ]]; then echo "?"; return; fi
  { /usr/bin/time -v "$@" 2>&1 >/dev/null || true; } | awk -F: '/Maximum resident set size/ {printf "%.0f", $2 / 1024}'
}

if command -v hyperfine >/dev/null; then
  echo "== hyperfine ($runs runs each)"
  hf=(hyperfine --warmup 1 --runs "$runs" --ignore-failure --export-json /tmp/keysweep-compare.json
      -n keysweep "${ks_cmd[*]}")
  [[ $have_rg == 1 ]] && hf+=(-n ripgrep "${rg_cmd[*]}" -n ripgrep-keywords "${rg_kw_cmd[*]}")
  "${hf[@]}"
  median() { python3 -c 'import json,sys;print(json.load(open("/tmp/keysweep-compare.json"))["results"][int(sys.argv[1])]["median"])' "$1" 2>/dev/null; }
  ks_wall=$(median 0 || median_wall "${ks_cmd[@]}")
  rg_wall=$(median 1 || echo "")
  rg_kw_wall=$(median 2 || echo "")
else
  echo "== hyperfine not found (apt-get install hyperfine); median of $runs runs"
  ks_wall=$(median_wall "${ks_cmd[@]}")
  rg_wall=""
  rg_kw_wall=""
  [[ $have_rg == 1 ]] && rg_wall=$(median_wall "${rg_cmd[@]}") && rg_kw_wall=$(median_wall "${rg_kw_cmd[@]}")
fi

ks_rss=$(peak_rss_mb "${ks_cmd[@]}")
echo
printf '%-10s %10s %12s\n' command "wall (s)" "peak RSS MB"
printf '%-10s %10.3f %12s\n' keysweep "$ks_wall" "$ks_rss"
if [[ $have_rg == 1 && -n "$rg_wall" ]]; then
  rg_rss=$(peak_rss_mb "${rg_cmd[@]}")
  printf '%-10s %10.3f %12s\n' ripgrep "$rg_wall" "$rg_rss"
  ratio=$(echo "$ks_wall / $rg_wall" | bc -l)
  if [[ -n "$rg_kw_wall" ]]; then
    printf '%-10s %10.3f %12s\n' rg-kw "$rg_kw_wall" "$(peak_rss_mb "${rg_kw_cmd[@]}")"
  fi
  printf 'ratio keysweep/ripgrep: %.2fx (target: within 2x)\n' "$ratio"
  if [[ -n "$rg_kw_wall" ]]; then
    printf 'ratio keysweep/ripgrep with the %d rule keywords (-i -F -f): %.2fx\n' \
      "$(wc -l <"$kw_file")" "$(echo "$ks_wall / $rg_kw_wall" | bc -l)"
  fi
fi
"$ks" scan "$target" 2>/dev/null | tail -n 1 || true

if [[ ${SKIP_IGNORED_TESTS:-0} != 1 ]]; then
  echo
  echo "== huge-input tests (cargo test --release -- --ignored)"
  cargo test --release --quiet --test cli -- --ignored
fi
