#!/usr/bin/env bash
# Packages keysweep as `cargo publish` would and builds it from the .crate: `cargo package --locked` (never
# --no-verify) unpacks the .crate into target/package/ and builds it there with its own Cargo.lock, which is
# what `cargo install keysweep` does on a user's machine. Then checks that the .crate holds what the build and
# the licence need: build.rs (without it the build stops on `OUT_DIR not defined`), every rules/*.toml
# (build.rs embeds whatever rule files it finds, so a missing one would not fail the build), README.md and
# both licence files.
# In CI (CI=true) the clone must be clean, as for a release; elsewhere uncommitted changes are packaged too
# (--allow-dirty), so the check can run before a commit. Usage: scripts/check-package.sh
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)"
dirty=()
[ "${CI:-}" = true ] || dirty=(--allow-dirty)
cargo package --locked "${dirty[@]}"

crate="target/package/keysweep-$version.crate"
[ -f "$crate" ] || { echo "check-package: $crate was not written" >&2; exit 1; }
contents="$(tar -tzf "$crate" | sed "s|^keysweep-$version/||")"
missing=()
for f in build.rs Cargo.toml Cargo.lock README.md LICENSE-MIT LICENSE-APACHE rules/*.toml; do
  grep -qxF "$f" <<<"$contents" || missing+=("$f")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "check-package: $crate lacks: ${missing[*]} (Cargo.toml's include)" >&2
  exit 1
fi
echo "check-package: $crate built from its own contents ($(grep -c . <<<"$contents") files, $(ls rules/*.toml | wc -l) rule files)"
