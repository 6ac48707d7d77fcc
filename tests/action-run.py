#!/usr/bin/env python3
"""Runs the real action.yml, step by step, the way the Actions runner runs a composite action, on simulated
events: no test drives a script directly here. What it does for each step of `runs.steps`:

- evaluates `if:` (default `success()`) and every `${{ }}` in `run`, `env` and `with` against the contexts a
  runner provides (`inputs` with their defaults, `github`, `runner`, `steps.<id>.outputs`); an expression or a
  context this evaluator does not know is an error, never silently empty;
- runs a `run:` step with `bash --noprofile --norc -eo pipefail` (what `shell: bash` means), with
  GITHUB_OUTPUT, GITHUB_PATH, GITHUB_ENV, GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH, RUNNER_TEMP… set, reads the
  outputs it wrote and prepends what it added to PATH for the next steps;
- does not run a `uses:` step (actions/cache, codeql upload-sarif): it records the step with its evaluated
  `with:` (the tests check the cache key and that the SARIF file to upload exists and is SARIF 2.1.0).

The scenarios (`main`): the action is checked out as the runner would (`…/_actions/OWNER/keysweep/REF`), with
a release archive of the keysweep under test (packaged by scripts/build-release.sh) served on 127.0.0.1 and its
SHA-256 recorded in the checkout's release/SHA256SUMS. Then:
1. a pull request that adds a (generated, fake) key: the binary is downloaded and verified, the scan fails the
   job, annotates the file, writes SARIF; the Result step exits 1;
2. a clean pull request: passes, with keysweep restored from the cache directory;
3. a pull request that appends a line to a file holding an old key: passes (only what the PR adds counts);
4. a tampered archive: the install stops on the SHA-256 mismatch, nothing from the archive runs, the job fails;
5. no SHA-256 recorded for the version: the action builds from source with `cargo install --locked` (a stand-in
   cargo records the call), after saying why.
Usage: action-run.py [--keysweep BIN] (default target/debug/keysweep; needs PyYAML, git, openssl)
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


# ---------------------------------------------------------------------------------------------------------------
# Expressions: the subset of the Actions expression language that action.yml uses, and errors for the rest.

TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>&&|\|\||==|!=|!|\(|\))|(?P<name>[A-Za-z_][\w.-]*(?:\(\))?))")


class ExprError(Exception):
    pass


def tokens(expr: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        m = TOKEN.match(expr, pos)
        if not m:
            raise ExprError(f"cannot parse {expr[pos:]!r} in {expr!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def lookup(name: str, ctx: dict, status: dict):
    if name.endswith("()"):
        fn = name[:-2]
        if fn == "always":
            return True
        if fn == "success":
            return not status["failed"]
        if fn == "failure":
            return status["failed"]
        raise ExprError(f"unknown function {name}")
    if name in ("true", "false"):
        return name == "true"
    parts = name.split(".")
    if parts[0] not in ctx:
        raise ExprError(f"unknown context {parts[0]!r} in {name}")
    value = ctx[parts[0]]
    for p in parts[1:]:
        if not isinstance(value, dict):
            if parts[0] == "steps":
                return ""  # a step that did not run: its outputs are null
            raise ExprError(f"{name}: {p!r} of a non-object")
        if parts[0] in ("inputs", "github", "runner") and p not in value and value is ctx[parts[0]]:
            raise ExprError(f"{name}: no such {parts[0]} property")
        value = value.get(p, "")
    return value


def evaluate(expr: str, ctx: dict, status: dict):
    toks = tokens(expr)
    pos = 0

    def peek():
        return toks[pos][1] if pos < len(toks) else None

    def take():
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def primary():
        kind, text = take()
        if text == "(":
            v = disjunction()
            if take()[1] != ")":
                raise ExprError(f"unbalanced parentheses in {expr!r}")
            return v
        if text == "!":
            return not truthy(primary())
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "name":
            return lookup(text, ctx, status)
        raise ExprError(f"unexpected {text!r} in {expr!r}")

    def equality():
        v = primary()
        while peek() in ("==", "!="):
            op = take()[1]
            w = primary()
            v = (norm(v) == norm(w)) if op == "==" else (norm(v) != norm(w))
        return v

    def conjunction():
        v = equality()
        while peek() == "&&":
            take()
            w = equality()
            v = w if truthy(v) else v
        return v

    def disjunction():
        v = conjunction()
        while peek() == "||":
            take()
            w = conjunction()
            v = v if truthy(v) else w
        return v

    v = disjunction()
    if pos != len(toks):
        raise ExprError(f"trailing {toks[pos][1]!r} in {expr!r}")
    return v


def norm(v):
    return str(v).lower() if isinstance(v, bool) else str(v)


def truthy(v) -> bool:
    return bool(v) if not isinstance(v, str) else v != ""


def interpolate(text: str, ctx: dict, status: dict) -> str:
    def one(m):
        v = evaluate(m.group(1), ctx, status)
        return norm(v)

    return re.sub(r"\$\{\{(.*?)\}\}", one, str(text))


# ---------------------------------------------------------------------------------------------------------------
# The runner.


def read_outputs(path: str) -> dict:
    out = {}
    if not os.path.exists(path):
        return out
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            value = []
            while i < len(lines) and lines[i] != delim:
                value.append(lines[i])
                i += 1
            i += 1
            out[name] = "\n".join(value)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
    return out


def run_action(action_dir: str, workspace: str, runner_temp: str, event_name: str, event: dict,
               inputs: dict, env_extra: dict) -> dict:
    """Runs action.yml's steps; returns {'steps': [...], 'failed': bool, 'log': str, 'outputs': {...}}."""
    with open(os.path.join(action_dir, "action.yml"), encoding="utf-8") as f:
        action = yaml.safe_load(f)
    declared = action.get("inputs") or {}
    unknown = set(inputs) - set(declared)
    if unknown:
        raise ExprError(f"inputs not declared by action.yml: {sorted(unknown)}")
    values = {k: str((v or {}).get("default", "")) for k, v in declared.items()}
    values.update(inputs)
    os.makedirs(runner_temp, exist_ok=True)
    event_path = os.path.join(runner_temp, "event.json")
    with open(event_path, "w", encoding="utf-8") as f:
        json.dump(event, f)
    ctx = {
        "inputs": values,
        "github": {"action_path": action_dir, "action_repository": "", "event_name": event_name,
                   "workspace": workspace, "token": "fake-token-for-tests"},
        "runner": {"os": "Linux", "arch": "X64", "temp": runner_temp},
        "steps": {},
    }
    status = {"failed": False}
    path_add: list[str] = []
    log = []
    records = []
    summary = os.path.join(runner_temp, "summary.md")
    for n, step in enumerate(action["runs"]["steps"]):
        name = step.get("name", f"step {n}")
        cond = str(step.get("if", "success()"))
        cond = cond[3:-2] if cond.startswith("${{") else cond
        if not truthy(evaluate(cond, ctx, status)):
            records.append({"name": name, "ran": False, "uses": step.get("uses", ""), "with": {}})
            continue
        if "uses" in step:
            with_ = {k: interpolate(v, ctx, status) for k, v in (step.get("with") or {}).items()}
            records.append({"name": name, "ran": False, "uses": step["uses"], "with": with_})
            continue
        if step.get("shell") != "bash":
            raise ExprError(f"{name}: only `shell: bash` is simulated")
        script = interpolate(step["run"], ctx, status)
        env = dict(os.environ)
        env.update(env_extra)
        env["PATH"] = os.pathsep.join(path_add + [env_extra.get("PATH", os.environ["PATH"])])
        outputs = os.path.join(runner_temp, f"output-{n}")
        gh_path = os.path.join(runner_temp, f"path-{n}")
        env.update({
            "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": event_path, "GITHUB_WORKSPACE": workspace, "GITHUB_ACTION_PATH": action_dir,
            "GITHUB_OUTPUT": outputs, "GITHUB_PATH": gh_path, "GITHUB_ENV": os.path.join(runner_temp, "env"),
            "GITHUB_STEP_SUMMARY": summary, "RUNNER_TEMP": runner_temp, "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64", "NO_COLOR": "1",
        })
        for k, v in (step.get("env") or {}).items():
            env[k] = interpolate(v, ctx, status)
        p = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=workspace,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
        log.append(f"--- {name} (exit {p.returncode})\n{p.stdout}")
        if "id" in step:
            ctx["steps"][step["id"]] = {"outputs": read_outputs(outputs)}
        if os.path.exists(gh_path):
            path_add = [l for l in open(gh_path, encoding="utf-8").read().split("\n") if l][::-1] + path_add
        records.append({"name": name, "ran": True, "code": p.returncode})
        if p.returncode != 0:
            status["failed"] = True
    outs = {k: interpolate(v.get("value", ""), ctx, status) for k, v in (action.get("outputs") or {}).items()}
    return {"steps": records, "failed": status["failed"], "log": "\n".join(log), "outputs": outs}


# ---------------------------------------------------------------------------------------------------------------
# Scenarios.

FAILS: list[str] = []


def check(cond: bool, what: str, result: dict | None = None) -> None:
    if not cond:
        FAILS.append(what)
        print(f"FAIL: {what}", file=sys.stderr)
        if result is not None:
            print(result["log"], file=sys.stderr)


def git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "-C", repo, *args], check=True, stdout=subprocess.PIPE, text=True).stdout.strip()


def fake_key() -> str:
    key = subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                         check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    return key


def serve(directory: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=directory))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main(argv: list[str]) -> int:
    keysweep = os.path.abspath(argv[argv.index("--keysweep") + 1]) if "--keysweep" in argv \
        else os.path.join(ROOT, "target", "debug", "keysweep")
    if not os.access(keysweep, os.X_OK):
        print(f"action-run: {keysweep} is not built (cargo build)", file=sys.stderr)
        return 2
    version = re.search(r'^version\s*=\s*"([^"]+)"', open(os.path.join(ROOT, "Cargo.toml")).read(), re.M).group(1)
    target = "x86_64-unknown-linux-musl"
    archive = f"keysweep-{version}-{target}.tar.gz"
    tmp = tempfile.mkdtemp(prefix="keysweep-action-")
    try:
        # The action as the runner checks it out: …/_actions/OWNER/REPO/REF.
        action_dir = os.path.join(tmp, "_actions", "example-org", "keysweep", f"v{version}")
        os.makedirs(action_dir)
        for rel in ("action.yml", "Cargo.toml", "Cargo.lock", "build.rs", "src", "rules", "scripts", "release"):
            src = os.path.join(ROOT, rel)
            (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(action_dir, rel))
        # The release: the binary under test, packaged as the release workflow packages it, served locally.
        downloads = os.path.join(tmp, "downloads")
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "build-release.sh"), target,
                        os.path.join(downloads, f"v{version}")], check=True, stdout=subprocess.DEVNULL,
                       env=dict(os.environ, BINARY=keysweep))
        sha_line = open(os.path.join(downloads, f"v{version}", archive + ".sha256")).read()
        sums = os.path.join(action_dir, "release", "SHA256SUMS")
        recorded = open(sums).read()
        with open(sums, "a") as f:
            f.write(sha_line)
        server, url = serve(downloads)

        # A repository with an old key in app.env (base) and a pull request.
        repo = os.path.join(tmp, "repo")
        os.makedirs(repo)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "config", "user.email", "dev@example.com")
        git(repo, "config", "user.name", "Dev")
        old_key = fake_key()
        with open(os.path.join(repo, "app.env"), "w") as f:
            f.write("# fake key generated by the test\nKEY=\"" + old_key.replace("\n", "\\n") + "\"\n")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", "base")
        base = git(repo, "rev-parse", "HEAD")

        def pr(files: dict[str, str], label: str) -> dict:
            git(repo, "checkout", "-q", "-B", label, base)
            for rel, text in files.items():
                with open(os.path.join(repo, rel), "a") as f:
                    f.write(text)
            git(repo, "add", ".")
            git(repo, "commit", "-q", "-m", label)
            return {"pull_request": {"base": {"sha": base}, "head": {"sha": git(repo, "rev-parse", "HEAD")}}}

        runner = os.path.join(tmp, "runner")
        env: dict[str, str] = {}

        def upload(result: dict) -> dict:
            return next(s for s in result["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))

        # 1. A pull request that adds a key.
        new_key = fake_key()
        r = run_action(action_dir, repo, runner, "pull_request", pr({"AuthKey_FAKE123456.p8": new_key}, "leak"),
                       {"sarif-file": os.path.join(runner, "k.sarif"), "release-url": url}, env)
        check(r["failed"], "a pull request adding a key must fail the job", r)
        check(f"{archive} verified" in r["log"], "the release archive is downloaded and its SHA-256 verified", r)
        check("::error" in r["log"] and "AuthKey_FAKE123456.p8" in r["log"], "the leak is annotated", r)
        check(new_key.split("\n")[1] not in r["log"], "the key never reaches the log", r)
        check(r["outputs"].get("exit-code") == "1", f"exit-code output is 1, got {r['outputs']}", r)
        cache = next(s for s in r["steps"] if s.get("uses", "").startswith("actions/cache"))
        check(cache["with"]["key"] == f"keysweep-Linux-X64-release-{version}-{target}",
              f"the cache key names the version: {cache['with']['key']}", r)
        sarif_file = upload(r)["with"].get("sarif_file", "")
        sarif = json.load(open(sarif_file)) if os.path.isfile(sarif_file) else {}
        check(sarif.get("version") == "2.1.0" and bool(sarif["runs"][0]["results"]),
              "SARIF with the result is uploaded", r)

        # 2. A clean pull request: passes; keysweep comes from the cache directory.
        r = run_action(action_dir, repo, runner, "pull_request", pr({"main.py": "print('hi')\n"}, "clean"),
                       {"release-url": url}, env)
        check(not r["failed"], "a clean pull request passes", r)
        check("restored from the cache" in r["log"], "a warm run reuses the installed binary", r)

        # 3. Appending to the file with the old key: not the pull request's leak.
        r = run_action(action_dir, repo, runner, "pull_request", pr({"app.env": "DEBUG=1\n"}, "touch"),
                       {"release-url": url}, env)
        check(not r["failed"] and r["outputs"].get("exit-code") == "0",
              "a pull request appending a line beside an old key passes", r)

        # 4. A tampered archive (fresh runner, so nothing cached): refused before anything runs.
        path = os.path.join(downloads, f"v{version}", archive)
        with open(path, "ab") as f:
            f.write(b"tampered")
        r = run_action(action_dir, repo, os.path.join(tmp, "runner2"), "pull_request",
                       pr({"x.txt": "x\n"}, "tamper"), {"release-url": url}, env)
        check(r["failed"] and "refusing to run it" in r["log"], "a tampered archive stops the install", r)
        scan = next(s for s in r["steps"] if s["name"] == "Scan")
        check(not scan["ran"], "nothing runs after a failed install", r)
        check(not os.path.exists(os.path.join(tmp, "runner2", "keysweep-install", "bin", "keysweep")),
              "the tampered binary is not installed", r)

        # 5. No SHA-256 recorded: builds from source with cargo install --locked (a stand-in cargo).
        with open(sums, "w") as f:
            f.write(recorded)
        fake_bin = os.path.join(tmp, "fake-bin")
        os.makedirs(fake_bin)
        with open(os.path.join(fake_bin, "cargo"), "w") as f:
            f.write("#!/bin/sh\necho \"cargo $*\" >> \"$CARGO_CALLS\"\nroot=''\nwhile [ $# -gt 0 ]; do\n"
                    "  [ \"$1\" = --root ] && root=$2\n  shift\ndone\nmkdir -p \"$root/bin\"\n"
                    f"cp '{keysweep}' \"$root/bin/keysweep\"\n")
        os.chmod(os.path.join(fake_bin, "cargo"), 0o755)
        calls = os.path.join(tmp, "cargo-calls")
        r = run_action(action_dir, repo, os.path.join(tmp, "runner3"), "pull_request",
                       pr({"y.txt": "y\n"}, "source"), {"release-url": url},
                       dict(env, CARGO_CALLS=calls, PATH=fake_bin + os.pathsep + os.environ["PATH"]))
        check(not r["failed"], "the source build fallback works", r)
        check("records no" in r["log"], "the fallback says why", r)
        made = open(calls).read() if os.path.exists(calls) else ""
        check(f"install --locked --path {action_dir}" in made, f"cargo install --locked from the action: {made!r}", r)
        server.shutdown()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"action-run: 5 scenarios, {len(FAILS)} failed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
