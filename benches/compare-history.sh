#!/usr/bin/env bash
# Whole-history scan against the floor and other scanners, in one run (compare ratios, not absolute seconds):
#   benches/compare-history.sh REPO            # a normal clone or a bare repository, kept OUTSIDE the project
# Prints, for each tool, the median of $RUNS runs (default 3) of wall time, CPU time (user+sys) and peak RSS
# (GNU time -v), and the ratio of wall time to the floor:
#   floor       git cat-file --batch-all-objects --batch > /dev/null   (inflate every object once, one thread)
#   keysweep    keysweep scan REPO --history (release build; built here if missing)
#   noseyparker noseyparker scan (when installed)
#   gitleaks    gitleaks git (when installed)
# Then `keysweep scan --staged` on a generated 10 000-file repository with a one-file change
# (fixtures/gen-repo.sh), median of 5; skip it with STAGED=0.
set -euo pipefail

repo=${1:?usage: compare-history.sh REPO}
repo=$(cd "$repo" && pwd)
runs=${RUNS:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
ks=${KEYSWEEP:-$here/target/release/keysweep}
if [ ! -x "$ks" ]; then
    (cd "$here" && cargo build --release --quiet)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure NAME CMD... → one line: name, median wall, its CPU and peak RSS, ratio to the floor.
floor_wall=""
measure() {
    local name=$1
    shift
    local i
    for ((i = 0; i < runs; i++)); do
        /usr/bin/time -f '%e %U %S %M' -o "$tmp/t.$i" "$@" > /dev/null 2> "$tmp/err" || true
    done
    # Median by wall time.
    local line
    line=$(for ((i = 0; i < runs; i++)); do tail -n 1 "$tmp/t.$i"; done | sort -n | sed -n "$(((runs + 1) / 2))p")
    local wall user sys rss
    read -r wall user sys rss <<< "$line"
    [ -z "$floor_wall" ] && floor_wall=$wall
    awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v f="$floor_wall" 'BEGIN {
        printf "%-12s wall %7.2f s   cpu %7.2f s   peak rss %7.1f MB", n, w, u + s, r / 1024
        if (f != "none") printf "   %5.2fx floor", (f > 0 ? w / f : 0)
        printf "\n"
    }'
}

git_dir=$(git -C "$repo" rev-parse --absolute-git-dir)
echo "corpus: $repo ($(git -C "$repo" rev-list --all | wc -l) commits, $(du -sh "$git_dir/objects" | cut -f1) objects), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), median of $runs"
measure floor git -C "$repo" cat-file --batch-all-objects --batch
measure keysweep "$ks" scan "$repo" --history -q --format json
if command -v noseyparker > /dev/null; then
    measure noseyparker sh -c "rm -rf '$tmp/np' && noseyparker scan --datastore '$tmp/np' --progress never '$repo'"
fi
if command -v gitleaks > /dev/null; then
    measure gitleaks gitleaks git --no-banner --exit-code 0 --report-path "$tmp/gl.json" "$repo"
fi
echo "keysweep summary: $("$ks" scan "$repo" --history --format json 2> /dev/null | sed -n '/"summary"/,$p' | tr -d ' \n')"

if [ "${STAGED:-1}" != 0 ]; then
    "$here/fixtures/gen-repo.sh" "$tmp/staged" 10000 > /dev/null
    floor_wall="none"
    runs=5
    echo "--staged, 10 000 files, one staged change:"
    measure staged "$ks" scan "$tmp/staged" --staged -q
fi
