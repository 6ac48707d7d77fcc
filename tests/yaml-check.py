#!/usr/bin/env python3
"""Parses every YAML file the repository ships, and every ```yaml / ```yml block its Markdown shows users.

A user copies these as they are: action.yml (GitHub loads it for every `uses:`), .pre-commit-hooks.yaml,
the workflows under .github/, and the examples in README.md and docs/. Each must load with a real YAML
parser (PyYAML), and no mapping may repeat a key (PyYAML keeps the last one silently; GitHub rejects the
file). A block that is deliberately a fragment is skipped when the line before its fence is
`<!-- yaml-fragment -->`; prefer making the block whole.

Every error is printed as `file:line:column: message` (lines of a Markdown block are counted in the
Markdown file) and the exit code is 1. `--self-test` first checks that broken inputs are caught at the
right lines. Usage: yaml-check.py [--self-test] [REPO_ROOT]
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

try:
    import yaml
except ImportError:  # pragma: no cover - a setup error, not a finding
    sys.exit("yaml-check: PyYAML is missing (pip install PyYAML; .ci/run installs it into target/ci-venv)")

FRAGMENT_MARK = "<!-- yaml-fragment -->"
SKIP_DIRS = {".git", "target", "node_modules"}
REQUIRED = ["action.yml", ".pre-commit-hooks.yaml"]
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key repeated in one mapping."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue  # PyYAML reports an unhashable key itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"duplicate key {key!r} (first at line {seen[key].line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep)


def parse_errors(text: str) -> list[tuple[int, int, str]]:
    """(0-based line, 0-based column, message) of the first error in `text`, or nothing."""
    try:
        for _ in yaml.load_all(text, Loader=StrictLoader):
            pass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        message = " ".join(p for p in (e.context, e.problem) if p)
        return [(mark.line if mark else 0, mark.column if mark else 0, message)]
    except yaml.YAMLError as e:
        return [(0, 0, str(e))]
    return []


def yaml_blocks(md: str):
    """(1-based line of the first content line, text, is_fragment) for each yaml/yml fenced block."""
    lines = md.split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info = m.group("fence"), m.group("info").lower()
        prev = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        close = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        if info in ("yaml", "yml"):
            indent = len(m.group("indent"))
            body = [l[indent:] if l[:indent].strip() == "" else l for l in lines[i + 1 : j]]
            yield i + 2, "\n".join(body) + "\n", prev == FRAGMENT_MARK
        i = j + 1


def collect(root: str):
    """The repository's YAML files and Markdown files, relative to root, sorted."""
    yml, md = [], []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in filenames:
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            if name.endswith((".yml", ".yaml")):
                yml.append(rel)
            elif name.endswith(".md"):
                md.append(rel)
    return sorted(yml), sorted(md)


def check(root: str) -> tuple[list[str], str]:
    """Error lines and a one-line summary for the repository at root."""
    errors = []
    yml, md = collect(root)
    for required in REQUIRED:
        if required not in yml:
            errors.append(f"{required}:1:1: missing")
    for rel in yml:
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            text = f.read()
        for line, col, message in parse_errors(text):
            errors.append(f"{rel}:{line + 1}:{col + 1}: {message}")
    blocks = fragments = 0
    for rel in md:
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            text = f.read()
        for first, body, fragment in yaml_blocks(text):
            if fragment:
                fragments += 1
                continue
            blocks += 1
            for line, col, message in parse_errors(body):
                errors.append(f"{rel}:{first + line}:{col + 1}: {message} (in a yaml block)")
    summary = (
        f"yaml-check: {len(yml)} YAML files and {blocks} Markdown yaml blocks parsed, "
        f"{fragments} fragments skipped, {len(errors)} errors"
    )
    return errors, summary


def self_test() -> None:
    """Broken inputs must be reported at the right file and line; a marked fragment must be skipped."""
    files = {
        "action.yml": "name: x\ninputs:\n  a:\n    description: needs `security-events: write`.\n",
        ".pre-commit-hooks.yaml": "- id: a\n  id: b\n",
        ".github/workflows/ok.yml": "on: push\njobs: {}\n",
        "docs/x.md": (
            "# x\n\n```yaml\nsteps:\n  - with: { name: shard-${{ matrix.shard }} }\n```\n\n"
            "<!-- yaml-fragment -->\n```yml\n  - broken: [\n```\n\n```sh\n: not yaml: [\n```\n"
        ),
        "target/ignored.yml": "[",
    }
    expected = [
        ".pre-commit-hooks.yaml:2:3: while constructing a mapping duplicate key 'id' (first at line 1)",
        "action.yml:4:40: mapping values are not allowed here",
        "docs/x.md:5:26: while parsing a flow mapping expected ',' or '}', but got '{' (in a yaml block)",
    ]
    with tempfile.TemporaryDirectory() as root:
        for rel, text in files.items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        errors, summary = check(root)
    if errors != expected or "1 fragments skipped" not in summary:
        print("yaml-check self-test FAILED", *errors, summary, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print("yaml-check self-test: 3 broken inputs caught at their lines, 1 fragment skipped")


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--self-test":
        self_test()
        argv = argv[1:]
    root = argv[0] if argv else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    errors, summary = check(os.path.abspath(root))
    for e in errors:
        print(e, file=sys.stderr)
    print(summary)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
