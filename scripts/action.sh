#!/usr/bin/env bash
# The GitHub Action's logic (action.yml calls it; the tests run it with a simulated event).
# Chooses what to scan from the event, reads config and baseline from the pull request's BASE commit (a pull
# request cannot allowlist its own leak: inline allow comments are not honoured either), runs one scan that
# prints annotations and writes SARIF and a Markdown step summary, and exits with keysweep's code
# (0 clean, 1 findings — 0 when fail-on-findings is false —, 2 error). Never revokes anything.
# Needs only bash, git and keysweep on PATH.
set -uo pipefail

path="${INPUT_PATH:-.}"
mode="${INPUT_MODE:-}"
base="${INPUT_BASE:-}"
head="${INPUT_HEAD:-}"
config="${INPUT_CONFIG:-.keysweep.toml}"
baseline="${INPUT_BASELINE:-}"
inventory="${INPUT_INVENTORY:-}"
sarif="${INPUT_SARIF_FILE:-keysweep.sarif}"
fail_on_findings="${INPUT_FAIL_ON_FINDINGS:-true}"
fail_on="${INPUT_FAIL_ON:-low}"
event="${GITHUB_EVENT_NAME:-}"
event_path="${GITHUB_EVENT_PATH:-}"
tmp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/keysweep-action.$$"
mkdir -p "$tmp"
tmp="$(cd "$tmp" && pwd)"

output() { # name value: a step output, when running under Actions
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >> "$GITHUB_OUTPUT"; fi
}
field() { # dotted.path: a value from the event payload, empty if absent
  [ -n "$event_path" ] && [ -f "$event_path" ] && keysweep ci-event --event "$event_path" "$1" 2>/dev/null
}

case "$event" in
  pull_request|pull_request_target)
    [ -n "$mode" ] || mode=diff
    [ -n "$base" ] || base="$(field pull_request.base.sha)"
    [ -n "$head" ] || head="$(field pull_request.head.sha)"
    ;;
  push)
    [ -n "$mode" ] || mode=history
    if [ "$mode" = diff ]; then
      [ -n "$base" ] || base="$(field before)"
      [ -n "$head" ] || head="$(field after)"
    fi
    ;;
  *)
    [ -n "$mode" ] || mode=history
    ;;
esac
[ -n "$head" ] || head=HEAD

args=(scan "$path" --format github --report "sarif=$sarif" --report "markdown=$tmp/summary.md" --fail-on "$fail_on")
case "$mode" in
  diff)
    if [ -z "$base" ] || [ "$base" = "0000000000000000000000000000000000000000" ]; then
      echo "keysweep: no base commit for a diff scan; scanning the whole history instead" >&2
      args+=(--history)
    else
      if ! git -C "$path" cat-file -e "$base^{commit}" 2>/dev/null; then
        echo "keysweep: base commit $base is not in the clone; use actions/checkout with fetch-depth: 0" >&2
        output exit-code 2
        exit 2
      fi
      args+=(--diff "$base..$head" --no-inline-allow)
      # Policy comes from the base commit: what the pull request itself adds cannot suppress its findings.
      policy="$tmp/base.keysweep.toml"
      if git -C "$path" cat-file -e "$base:$config" 2>/dev/null; then
        git -C "$path" show "$base:$config" > "$policy"
      else
        : > "$policy"
        # No .keysweep.toml at the base: a gitleaks or Betterleaks config and ignore file there are imported,
        # from the base commit too (their ignore entries resolved against the base's files).
        import=()
        mkdir -p "$tmp/imported"
        for name in .betterleaks.toml .gitleaks.toml; do
          if git -C "$path" cat-file -e "$base:$name" 2>/dev/null; then
            git -C "$path" show "$base:$name" > "$tmp/imported/$name"
            import+=(--from "$tmp/imported/$name")
            break
          fi
        done
        for name in .betterleaksignore .gitleaksignore; do
          if git -C "$path" cat-file -e "$base:$name" 2>/dev/null; then
            git -C "$path" show "$base:$name" > "$tmp/imported/$name"
            import+=(--ignore "$tmp/imported/$name")
            break
          fi
        done
        if [ "${#import[@]}" -gt 0 ]; then
          (cd "$path" && keysweep config import "${import[@]}" --rev "$base" --force -o "$tmp/imported/keysweep.toml") >&2
          if [ "$?" -gt 1 ]; then
            echo "::error title=keysweep::the base commit's gitleaks/Betterleaks config could not be imported"
            output exit-code 2
            exit 2
          fi
          policy="$tmp/imported/keysweep.toml"
          if [ -z "$baseline" ] && [ -f "$tmp/imported/keysweep-baseline.json" ]; then
            args+=(--baseline "$tmp/imported/keysweep-baseline.json")
          fi
        fi
      fi
      args+=(--config "$policy")
      if [ -n "$baseline" ]; then
        if git -C "$path" cat-file -e "$base:$baseline" 2>/dev/null; then
          git -C "$path" show "$base:$baseline" > "$tmp/base.baseline.json"
          args+=(--baseline "$tmp/base.baseline.json")
        else
          echo "keysweep: baseline $baseline does not exist at the base commit; not used" >&2
        fi
      fi
    fi
    ;;
  history)
    args+=(--history)
    # A shallow checkout (actions/checkout's default depth 1) holds one commit: deepen it, or fail loudly
    # rather than report a partial history as clean.
    if [ "$(git -C "$path" rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
      echo "keysweep: the checkout is shallow; fetching the whole history (actions/checkout with fetch-depth: 0 avoids this)" >&2
      # (With no remote, `git fetch --unshallow` succeeds and fetches nothing: ask again afterwards.)
      git -C "$path" fetch --quiet --unshallow >&2
      if [ "$(git -C "$path" rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
        echo "::error title=keysweep::shallow clone: the history is incomplete and could not be deepened; use actions/checkout with fetch-depth: 0"
        output exit-code 2
        exit 2
      fi
    fi
    ;;
  tree) ;;
  *) echo "keysweep: unknown mode '$mode' (diff, history, tree)" >&2; output exit-code 2; exit 2 ;;
esac
if [ "$mode" != diff ]; then
  [ -f "$path/$config" ] && args+=(--config "$path/$config")
  [ -n "$baseline" ] && args+=(--baseline "$baseline")
fi
[ -n "$inventory" ] && args+=(--inventory "$inventory")

echo "keysweep ${args[*]}" >&2
keysweep "${args[@]}"
code=$?

if [ -f "$tmp/summary.md" ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$tmp/summary.md" >> "$GITHUB_STEP_SUMMARY"
fi
output exit-code "$code"
[ -f "$sarif" ] && output sarif-file "$sarif"
rm -rf "$tmp"

if [ "$code" = 1 ] && [ "$fail_on_findings" != true ]; then
  exit 0
fi
exit "$code"
