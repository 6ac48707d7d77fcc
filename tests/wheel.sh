#!/usr/bin/env bash
# The wheel journey as shipped: builds the `keysweep` wheel with maturin from pypi/ (as the release workflow
# does, but in the dev profile, which reuses the test build: minutes saved, same packaging), installs it with
# pip into a fresh virtualenv and runs it there, then runs the `keysweep` pre-commit hook (language: python)
# with real pre-commit: pre-commit installs this repository's pyproject.toml, whose dependency keysweep==VERSION
# resolves to the wheel just built (PIP_FIND_LINKS with PIP_NO_INDEX: nothing is compiled, nothing comes from
# an index), and no other keysweep is on PATH.
# Usage: tests/wheel.sh VENV   (a virtualenv with maturin and pre-commit; .ci/run makes one)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$(cd "${1:?usage: tests/wheel.sh VENV}" && pwd)"
version="$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
wheels="$tmp/wheels"

(cd "$root/pypi" && "$venv/bin/maturin" build --profile dev --out "$wheels" 2>&1 | tail -n 1)
wheel="$(ls "$wheels"/keysweep-"$version"-*.whl)"
"$venv/bin/python" -c 'import sys, zipfile; print(*zipfile.ZipFile(sys.argv[1]).namelist(), sep="\n")' "$wheel" \
  | grep -x "keysweep-$version.data/scripts/keysweep" >/dev/null \
  || { echo "FAIL: $wheel does not carry the keysweep binary as a script" >&2; exit 1; }

# A fresh virtualenv, the wheel only: the binary lands on the venv's PATH and runs.
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --no-index --find-links "$wheels" keysweep
got="$("$tmp/venv/bin/keysweep" --version)"
[ "$got" = "keysweep $version" ] || { echo "FAIL: the wheel's keysweep says '$got'" >&2; exit 1; }
mkdir "$tmp/tree"
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt > "$tmp/tree/AuthKey_FAKE123456.p8"
set +e
"$tmp/venv/bin/keysweep" scan -q "$tmp/tree" > /dev/null
code=$?
set -e
[ "$code" = 1 ] || { echo "FAIL: the wheel's keysweep exited $code on a tree with a (fake) key, not 1" >&2; exit 1; }
echo "wheel: $(basename "$wheel") installs into a fresh venv and finds a key"

# The hook users install: pre-commit builds this repository's pyproject.toml (setuptools, from the wheelhouse)
# and installs its dependency, the wheel above.
"$venv/bin/pip" download -q --only-binary :all: -d "$wheels" "setuptools>=61"
clean_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
PATH="$clean_path" HOOK=keysweep PIP_NO_INDEX=1 PIP_FIND_LINKS="$wheels" PRE_COMMIT_HOME="$tmp/pre-commit-home" \
  bash "$root/tests/pre-commit.sh" "$venv/bin/pre-commit"
