#!/usr/bin/env bash
# The GitHub Action's install steps (action.yml calls them; tests/action-run.py runs them against a release
# served on 127.0.0.1). Two commands:
#   action-install.sh resolve   which keysweep to install, as step outputs: `mode` (release or source),
#                               `version`, `target` and the cache `key`, which names the version
#   action-install.sh install   installs it into $RUNNER_TEMP/keysweep-install/bin (unless the cache restored
#                               it) and puts that directory on PATH
# release: the prebuilt archive of VERSION for this runner, downloaded from the action's GitHub releases and
#   checked against the SHA-256 recorded in the action's own release/SHA256SUMS, so pinning the action pins the
#   binary it runs; a mismatch stops the job before anything runs.
# source: `cargo install --locked` from the action's own source, when asked (build-from-source: true) or when
#   release/SHA256SUMS records no archive for this version and runner (it says so).
# Environment: ACTION_PATH (the action's checkout), KEYSWEEP_VERSION (empty: the action's own version),
#   KEYSWEEP_BUILD_FROM_SOURCE (true/false), KEYSWEEP_RELEASE_URL (default
#   https://github.com/OWNER/REPO/releases/download, the action's repository from ACTION_REPOSITORY or from
#   ACTION_PATH; plain http only to a loopback address), RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_OUTPUT,
#   GITHUB_PATH.
set -euo pipefail

die() { echo "::error title=keysweep install::$*" >&2; exit 2; }
output() { if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >> "$GITHUB_OUTPUT"; fi; echo "$1=$2"; }

action_path="${ACTION_PATH:?ACTION_PATH: the directory of the action}"
own_version="$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$action_path/Cargo.toml" | head -n 1)"
version="${KEYSWEEP_VERSION:-}"
version="${version#v}"
[ -n "$version" ] || version="$own_version"
case "$version" in
  *[!0-9A-Za-z.+-]* | "") die "version '${KEYSWEEP_VERSION:-}' is not a version number (e.g. 0.1.0)" ;;
esac

target=""
case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
esac
case "$target" in
  *windows*) archive="keysweep-$version-$target.zip" exe=keysweep.exe ;;
  *) archive="keysweep-$version-$target.tar.gz" exe=keysweep ;;
esac

# The SHA-256 this checkout of the action records for the archive (lines of `sha256sum` output; # comments).
sums="$action_path/release/SHA256SUMS"
expected=""
if [ -n "$target" ] && [ -f "$sums" ]; then
  expected="$(awk -v f="$archive" '!/^#/ && ($2 == f || $2 == "*" f) { print $1; exit }' "$sums")"
fi

mode=release
reason=""
if [ "${KEYSWEEP_BUILD_FROM_SOURCE:-false}" = true ]; then
  mode=source reason="build-from-source is set"
elif [ -z "$target" ]; then
  mode=source reason="no prebuilt binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"
elif [ -z "$expected" ]; then
  mode=source reason="release/SHA256SUMS of this action records no $archive"
fi
[ "$mode" = source ] && [ "$version" != "$own_version" ] \
  && die "version $version: $reason, and the action's own source is version $own_version; pin the action at v$version instead"

case "${1:-}" in
  resolve)
    output mode "$mode"
    output version "$version"
    output target "$target"
    if [ "$mode" = release ]; then
      output key "release-$version-$target"
    else
      # A new commit of the same version must not reuse an old binary: the key digests the sources.
      files="$(cd "$action_path" && find Cargo.toml Cargo.lock build.rs src rules -type f | LC_ALL=C sort)"
      digest="$(cd "$action_path" && { echo "$files"; echo "$files" | git hash-object --stdin-paths; } | git hash-object --stdin)"
      output key "source-$version-$digest"
    fi
    exit 0
    ;;
  install) ;;
  *) die "usage: action-install.sh resolve|install" ;;
esac

root="${RUNNER_TEMP:?RUNNER_TEMP}/keysweep-install"
bin="$root/bin"
if [ -x "$bin/$exe" ] && "$bin/$exe" --version 2>/dev/null | grep -qF " $version"; then
  echo "keysweep $version: restored from the cache"
elif [ "$mode" = source ]; then
  echo "::notice title=keysweep install::building keysweep $version from source ($reason); this takes minutes"
  command -v cargo >/dev/null || die "building from source needs cargo (rustup) on the runner"
  cargo install --locked --path "$action_path" --root "$root"
else
  repo="${ACTION_REPOSITORY:-}"
  if [ -z "$repo" ]; then
    # github.action_repository is not promised inside composite actions; the runner checks actions out to
    # …/_actions/OWNER/REPO/REF, which names it.
    case "$action_path" in
      */_actions/*/*/*) repo="$(echo "${action_path#*/_actions/}" | cut -d/ -f1-2)" ;;
    esac
  fi
  [ -n "${KEYSWEEP_RELEASE_URL:-}" ] || [ -n "$repo" ] \
    || die "cannot tell which repository this action comes from: set the release-url input"
  base="${KEYSWEEP_RELEASE_URL:-https://github.com/$repo/releases/download}"
  case "$base" in
    https://*) ;;
    http://127.0.0.1[:/]* | http://localhost[:/]* | http://\[::1\][:/]*) ;;
    *) die "KEYSWEEP_RELEASE_URL must be https:// (plain http only to a loopback address)" ;;
  esac
  case "$expected" in
    *[!0-9a-f]* | "") die "release/SHA256SUMS: the entry for $archive is not a SHA-256" ;;
  esac
  [ ${#expected} -eq 64 ] || die "release/SHA256SUMS: the entry for $archive is not a SHA-256"
  work="$(mktemp -d "${RUNNER_TEMP}/keysweep-download.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  url="$base/v$version/$archive"
  echo "keysweep $version: downloading $url"
  curl -fsSL --retry 3 --connect-timeout 30 --max-time 600 --max-filesize 200000000 -o "$work/$archive" "$url" \
    || die "downloading $url failed"
  if command -v sha256sum >/dev/null; then
    got="$(sha256sum "$work/$archive" | cut -d' ' -f1)"
  else
    got="$(shasum -a 256 "$work/$archive" | cut -d' ' -f1)"
  fi
  [ "$got" = "$expected" ] \
    || die "$archive has SHA-256 $got, but the action records $expected: refusing to run it"
  case "$archive" in
    *.zip) (cd "$work" && unzip -q "$archive") ;;
    *) tar -xzf "$work/$archive" -C "$work" ;;
  esac
  [ -f "$work/keysweep-$version-$target/$exe" ] || die "$archive holds no keysweep-$version-$target/$exe"
  mkdir -p "$bin"
  cp "$work/keysweep-$version-$target/$exe" "$bin/$exe"
  chmod +x "$bin/$exe"
  echo "keysweep $version: $archive verified (SHA-256 $got)"
fi
"$bin/$exe" --version >/dev/null || die "the installed keysweep does not run"
if [ -n "${GITHUB_PATH:-}" ]; then echo "$bin" >> "$GITHUB_PATH"; fi
