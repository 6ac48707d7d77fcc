#!/usr/bin/env python3
"""Checks that README.md and docs/*.md point only at what exists, and pin only what exists.

- Files: a relative Markdown link, a path under one of the repository's top-level folders (`benches/…`,
  `scripts/…`, `docs/…`, globs allowed), a path going up out of the repository (`../…`, which a user's
  clone does not have), and a capitalised document name (`DESIGN.md`) must name a file of the repository.
- Pins: where an example pins keysweep itself (`rev:` under a keysweep `repo:`, `uses: …/keysweep@…`), the
  pin is a placeholder (`<…>`), a full commit SHA, or the tag `v<version>` of Cargo.toml's version, and that
  tag must exist in this repository.
- Versions: pyproject.toml (the pre-commit hook's package) has Cargo.toml's version and depends on the keysweep
  wheel of that version.

Every error is printed as `file:line: message`; the exit code is then 1. `--self-test` first checks that
planted mistakes are caught. Usage: docs-check.py [--self-test] [REPO_ROOT]
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
import tempfile

SKIP_DIRS = {".git", "target", "node_modules"}
LINK = re.compile(r"\]\(([^)\s]+)\)")
UP = re.compile(r"(?<![\w/.-])\.\./[\w./*-]+")
DOC_NAME = re.compile(r"(?<![\w/.-])[A-Z][A-Z0-9_-]+\.md\b")
REV = re.compile(r"^\s*rev:\s*(\S+)")
REPO = re.compile(r"^\s*-?\s*repo:\s*(\S+)")
USES = re.compile(r"uses:\s*[\w<>.-]+/keysweep@(\S+)")
SHA = re.compile(r"^[0-9a-f]{40}$")


def markdown_files(root: str) -> list[str]:
    files = ["README.md"] if os.path.exists(os.path.join(root, "README.md")) else []
    files += sorted(os.path.relpath(p, root) for p in glob.glob(os.path.join(root, "docs", "**", "*.md"), recursive=True))
    return files


def version_of(root: str) -> str:
    with open(os.path.join(root, "Cargo.toml"), encoding="utf-8") as f:
        m = re.search(r'^version\s*=\s*"([^"]+)"', f.read(), re.M)
    return m.group(1) if m else "?"


def tags_of(root: str) -> set[str]:
    out = subprocess.run(["git", "-C", root, "tag", "-l"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return set(out.stdout.split()) if out.returncode == 0 else set()


def exists(root: str, base_dir: str, path: str) -> bool:
    path = path.split("#", 1)[0].rstrip(".,;:")
    if not path:
        return True
    full = os.path.normpath(os.path.join(root, base_dir, path))
    if not (full + os.sep).startswith(os.path.normpath(root) + os.sep) and full != os.path.normpath(root):
        return False  # outside the repository: a user's clone does not have it
    return bool(glob.glob(full)) if any(c in path for c in "*?[") else os.path.exists(full)


def check(root: str) -> list[str]:
    root = os.path.abspath(root)
    top_dirs = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)) and d not in SKIP_DIRS)
    in_repo = re.compile(r"(?<![\w/.-])(?:" + "|".join(re.escape(d) for d in top_dirs) + r")/[\w./*-]*") if top_dirs else None
    version, tags = version_of(root), tags_of(root)
    errors = []
    for rel in markdown_files(root):
        base = os.path.dirname(rel)
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            lines = f.read().split("\n")
        keysweep_repo = False
        for n, line in enumerate(lines, 1):
            for m in LINK.finditer(line):
                target = m.group(1)
                if not re.match(r"^(https?:|mailto:|#)", target) and not exists(root, base, target):
                    errors.append(f"{rel}:{n}: link to {target}, which is not in the repository")
            text = LINK.sub("]()", line)  # each link target is checked once, above
            for m in UP.finditer(text):
                path = m.group(0)
                full = os.path.normpath(os.path.join(root, base, path))
                if not full.startswith(root + os.sep):
                    errors.append(f"{rel}:{n}: {path} is outside the repository (a user's clone does not have it)")
                elif not exists(root, base, path):
                    errors.append(f"{rel}:{n}: {path} is not in the repository")
            for m in in_repo.finditer(text) if in_repo else ():
                if not exists(root, "", m.group(0)):
                    errors.append(f"{rel}:{n}: {m.group(0)} is not in the repository")
            for m in DOC_NAME.finditer(line):
                name = m.group(0)
                if not (os.path.exists(os.path.join(root, name)) or os.path.exists(os.path.join(root, "docs", name))):
                    errors.append(f"{rel}:{n}: {name} is not in the repository")
            repo = REPO.match(line)
            if repo:
                keysweep_repo = repo.group(1).rstrip("/").endswith("/keysweep")
            pins = [m.group(1) for m in USES.finditer(line)]
            rev = REV.match(line)
            if rev and keysweep_repo:
                pins.append(rev.group(1))
            for pin in pins:
                if pin.startswith("<") or SHA.match(pin):
                    continue
                if pin != f"v{version}":
                    errors.append(f"{rel}:{n}: pins keysweep at {pin}; Cargo.toml's version is {version} (tag v{version})")
                elif pin not in tags:
                    errors.append(f"{rel}:{n}: pins keysweep at {pin}, a tag this repository does not have; pin a commit SHA")
    return errors + version_errors(root, version)


def version_errors(root: str, version: str) -> list[str]:
    """The pre-commit hook's package (pyproject.toml) must carry Cargo.toml's version and pin the keysweep wheel
    of that version: a mismatch installs another keysweep than the revision a user pinned."""
    path = os.path.join(root, "pyproject.toml")
    if not os.path.exists(path):
        return []
    errors = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f.read().split("\n"), 1):
            m = re.match(r'^version\s*=\s*"([^"]+)"', line)
            if m and m.group(1) != version:
                errors.append(f"pyproject.toml:{n}: version {m.group(1)}; Cargo.toml's version is {version}")
            for m in re.finditer(r'"keysweep\s*==\s*([^"]+)"', line):
                if m.group(1).strip() != version:
                    errors.append(f"pyproject.toml:{n}: depends on keysweep=={m.group(1)}; Cargo.toml's version is {version}")
    return errors


def self_test() -> None:
    files = {
        "Cargo.toml": '[package]\nname = "keysweep"\nversion = "0.2.0"\n',
        "README.md": (
            "See [the sweeps](docs/sweeps.md), [gone](docs/gone.md), `scripts/action.sh`, `scripts/nope.sh`,\n"
            "`rules/*.toml`, `../shared/X.md` and DESIGN.md.\n"
            "```yaml\n  - repo: https://github.com/x/keysweep\n    rev: v0.1.0\n"
            "  - repo: https://github.com/x/other\n    rev: v9\n"
            "      - uses: x/keysweep@v0.2.0\n      - uses: x/keysweep@<full commit SHA>\n```\n"
        ),
        "docs/sweeps.md": "Back to [the README](../README.md), `../scripts/action.sh`.\n",
        "scripts/action.sh": "",
        "rules/a.toml": "",
        "pyproject.toml": '[project]\nname = "keysweep-pre-commit"\nversion = "0.2.0"\ndependencies = ["keysweep==0.1.0"]\n',
    }
    expected = [
        "README.md:1: link to docs/gone.md, which is not in the repository",
        "README.md:1: scripts/nope.sh is not in the repository",
        "README.md:2: ../shared/X.md is outside the repository (a user's clone does not have it)",
        "README.md:2: DESIGN.md is not in the repository",
        "README.md:5: pins keysweep at v0.1.0; Cargo.toml's version is 0.2.0 (tag v0.2.0)",
        "README.md:8: pins keysweep at v0.2.0, a tag this repository does not have; pin a commit SHA",
        "pyproject.toml:4: depends on keysweep==0.1.0; Cargo.toml's version is 0.2.0",
    ]
    with tempfile.TemporaryDirectory() as root:
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w", encoding="utf-8") as f:
                f.write(text)
        errors = check(root)
    if errors != expected:
        print("docs-check self-test FAILED; expected:", *expected, "got:", *errors, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print(f"docs-check self-test: {len(expected)} planted mistakes caught at their lines")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--self-test"]:
        self_test()
        argv = argv[1:]
    root = argv[0] if argv else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    errors = check(root)
    for e in errors:
        print(e, file=sys.stderr)
    print(f"docs-check: {', '.join(markdown_files(os.path.abspath(root)))}: {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
