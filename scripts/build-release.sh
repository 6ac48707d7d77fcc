#!/usr/bin/env bash
# Builds one release archive of keysweep for a target triple and writes its SHA-256 beside it:
#   scripts/build-release.sh TARGET [OUT_DIR]     e.g. x86_64-unknown-linux-musl dist/
# Produces OUT_DIR/keysweep-VERSION-TARGET.tar.gz (keysweep.zip with keysweep.exe for Windows targets)
# holding the binary, the licences, the README, completions and the man page, and OUT_DIR/ARCHIVE.sha256
# (`sha256sum -c` format). Linux musl targets are static. The release workflow runs it per target; run it here
# to check a build (x86_64-unknown-linux-musl needs `rustup target add` and Debian's musl-tools). BINARY=path
# packages that binary instead of building one.
set -euo pipefail
target=${1:?usage: $0 TARGET [OUT_DIR]}
out=${2:-dist}
cd "$(dirname "$0")/.."
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
# Archives carry no debug info (80 MB with line tables, a tenth without).
export CARGO_PROFILE_RELEASE_STRIP=debuginfo
exe=keysweep
case "$target" in *windows*) exe=keysweep.exe ;; esac
if [ -n "${BINARY:-}" ]; then
  bin=$BINARY   # package a binary built elsewhere (the Action's install test packages the debug build)
else
  "${CARGO:-cargo}" build --release --locked --target "$target"   # CARGO=cross for targets this host cannot link
  bin=target/$target/release/$exe
fi
name=keysweep-$version-$target
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/completions" "$out"
cp "$bin" "$stage/$name/$exe"
cp LICENSE-MIT LICENSE-APACHE README.md "$stage/$name/"
# Completions and the man page come from the binary itself, when it runs on this machine.
if "$bin" --version >/dev/null 2>&1; then
  for shell in bash zsh fish powershell; do
    "$bin" completions "$shell" > "$stage/$name/completions/keysweep.$shell"
  done
  "$bin" man > "$stage/$name/keysweep.1"
fi
case "$target" in
  *windows*) archive=$name.zip; (cd "$stage" && zip -qr "$OLDPWD/$out/$archive" "$name") ;;
  *) archive=$name.tar.gz; tar -C "$stage" -czf "$out/$archive" "$name" ;;
esac
(cd "$out" && sha256sum "$archive" > "$archive.sha256")
echo "$out/$archive"
