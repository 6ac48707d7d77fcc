#!/usr/bin/env bash
# Runs a pre-commit hook the way a developer would: `pre-commit try-repo <this repo> HOOK` in a scratch
# repository. A staged (fake) key must block the commit with a readable message; a clean change must pass.
# HOOK=keysweep-system (the default) runs the already-built keysweep on PATH; HOOK=keysweep is the hook users
# install, which installs this repository's pyproject.toml and with it the keysweep wheel (tests/wheel.sh runs
# it with the wheel it built, and with no other keysweep on PATH). Usage: tests/pre-commit.sh [PRE_COMMIT_BIN]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pre_commit="${1:-pre-commit}"
hook="${HOOK:-keysweep-system}"
bin_dir="$root/target/debug"
if [ "$hook" = keysweep-system ]; then
  [ -x "$bin_dir/keysweep" ] || { echo "build keysweep first (cargo build)" >&2; exit 2; }
  export PATH="$bin_dir:$PATH"
elif command -v keysweep >/dev/null; then
  echo "pre-commit.sh: HOOK=$hook must install its own keysweep, but one is on PATH: $(command -v keysweep)" >&2
  exit 2
fi
export NO_COLOR=1

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
git init -q .
git config user.email "dev@example.com"
git config user.name "Dev"
echo "# scratch repository for the pre-commit test" > README.md
git add README.md
git commit -q -m init

# try-repo needs the hooks file committed in a repository: use a throwaway copy of this one's HEAD plus the
# working tree's hook definitions.
hooks="$(mktemp -d)"
trap 'rm -rf "$scratch" "$hooks"' EXIT
cp "$root/.pre-commit-hooks.yaml" "$root/pyproject.toml" "$hooks/"
git -C "$hooks" init -q . && git -C "$hooks" add . && git -C "$hooks" -c user.email=t@example.com -c user.name=t commit -q -m hooks

# 1. A clean change passes.
echo "print('hello')" > app.py
git add app.py
"$pre_commit" try-repo "$hooks" "$hook" > clean.log 2>&1 || { cat clean.log; echo "FAIL: a clean change was blocked"; exit 1; }

# 2. A staged fake key blocks the commit, with a readable message.
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt > AuthKey_FAKE123456.p8
git add AuthKey_FAKE123456.p8
if "$pre_commit" try-repo "$hooks" "$hook" > leak.log 2>&1; then
  cat leak.log; echo "FAIL: a staged key did not block the commit"; exit 1
fi
grep -q "AuthKey_FAKE123456.p8" leak.log || { cat leak.log; echo "FAIL: the message does not name the file"; exit 1; }
body_line="$(sed -n 2p AuthKey_FAKE123456.p8)"
if grep -qF "$body_line" leak.log; then cat leak.log; echo "FAIL: the key was printed unredacted"; exit 1; fi

# 3. An unstaged key does not block (only what the commit records is scanned).
git reset -q AuthKey_FAKE123456.p8
"$pre_commit" try-repo "$hooks" "$hook" > unstaged.log 2>&1 || { cat unstaged.log; echo "FAIL: an unstaged key blocked the commit"; exit 1; }

echo "pre-commit ($hook): 3 passed, 0 failed"
