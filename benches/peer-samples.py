#!/usr/bin/env python3
"""Measure keysweep on other scanners' own public test inputs (issue 13: >= 75 % of their positives found, no
more of their negatives flagged than before).

    benches/peer-samples.py [--keysweep BIN] [--json FILE] [--only PEER] CHECKOUT...
    benches/peer-samples.py --render BEFORE.json AFTER.json     (the tables of docs/coverage.md)

Each CHECKOUT is a local clone (a work tree or a bare repository: `git show HEAD:` reads the files) of
  - mongodb/kingfisher: `data/rules/*.yml`, each rule's `examples` and `negative_examples`;
  - gitleaks/gitleaks (or its fork betterleaks/betterleaks, told apart by its Go module):
    `cmd/generate/config/rules/*.go`, the string literals of each generator's `tps` (true positives) and `fps`
    (false positives) lists. Samples built at run time (`secrets.NewSecret(...)`,
    `utils.GenerateSampleSecrets(...)`, `fmt.Sprintf`) are not literal and are skipped; an element built with
    `+` is kept only when every part is a literal.
The peer is recognised from the files the checkout holds. Each sample is written to its own file in a temporary
directory (never into this repository), one `keysweep scan --format json` runs over all of them, and the script
prints per peer and per peer file (the peer's provider): positives found / total and negatives flagged / total,
then totals. A sample counts as found (or flagged) when keysweep reports any finding in its file; `generic`
counts the positives found only by a catch-all rule (`generic.*`).

Nothing is copied into the repository: the samples live in the temporary directory, deleted at exit (unless
--keep).
"""

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

KINGFISHER_DIR = "data/rules"
GITLEAKS_DIR = "cmd/generate/config/rules"


class Checkout:
    """Reads files of a work tree or of a bare repository's HEAD."""

    def __init__(self, path):
        self.path = path
        self.bare = not os.path.isdir(os.path.join(path, ".git")) and os.path.isfile(
            os.path.join(path, "HEAD")
        )

    def _git(self, *args):
        return subprocess.run(
            ["git", "-C", self.path, *args], check=True, capture_output=True
        ).stdout

    def list(self, directory):
        if self.bare:
            out = self._git("ls-tree", "--name-only", "HEAD", directory + "/")
            return sorted(out.decode().splitlines())
        full = os.path.join(self.path, directory)
        if not os.path.isdir(full):
            return []
        return sorted(os.path.join(directory, n) for n in os.listdir(full))

    def read(self, name):
        if self.bare:
            return self._git("show", "HEAD:" + name).decode("utf-8", "replace")
        with open(os.path.join(self.path, name), encoding="utf-8", errors="replace") as f:
            return f.read()


# ---------------------------------------------------------------- kingfisher


def kingfisher_samples(checkout):
    import yaml  # PyYAML; only this peer needs it

    for name in checkout.list(KINGFISHER_DIR):
        if not name.endswith((".yml", ".yaml")):
            continue
        provider = os.path.basename(name).rsplit(".", 1)[0]
        try:
            doc = yaml.safe_load(checkout.read(name))
        except yaml.YAMLError as e:
            print(f"skipping {name}: {e}", file=sys.stderr)
            continue
        for rule in (doc or {}).get("rules") or []:
            if not isinstance(rule, dict):
                continue
            for kind, key in (("pos", "examples"), ("neg", "negative_examples")):
                for sample in rule.get(key) or []:
                    if isinstance(sample, str) and sample.strip():
                        yield provider, kind, sample


# ---------------------------------------------------------------- gitleaks

GO_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}


def go_tokens(text, i):
    """Tokens of a Go expression list from text[i] on, up to the bracket closing it: yields (kind, value, end)
    with kind 'str' (a decoded literal), ',' , '+', 'open', 'close' or 'other'."""
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n":
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == "`":
            j = text.find("`", i + 1)
            if j < 0:
                return
            yield "str", text[i + 1 : j].replace("\r", ""), j + 1
            i = j + 1
        elif c == '"':
            out, j = [], i + 1
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    e = text[j + 1]
                    if e in GO_ESCAPES:
                        out.append(GO_ESCAPES[e])
                        j += 2
                    elif e == "x" and re.match(r"[0-9a-fA-F]{2}", text[j + 2 : j + 4]):
                        out.append(chr(int(text[j + 2 : j + 4], 16)))
                        j += 4
                    elif e == "u" and re.match(r"[0-9a-fA-F]{4}", text[j + 2 : j + 6]):
                        out.append(chr(int(text[j + 2 : j + 6], 16)))
                        j += 6
                    else:
                        out.append(e)
                        j += 2
                else:
                    out.append(text[j])
                    j += 1
            yield "str", "".join(out), j + 1
            i = j + 1
        elif c in "([{":
            yield "open", c, i + 1
            i += 1
        elif c in ")]}":
            yield "close", c, i + 1
            i += 1
        elif c in ",+":
            yield c, c, i + 1
            i += 1
        else:
            j = i + 1
            while j < n and text[j] not in " \t\r\n`\"()[]{},+/":
                j += 1
            yield "other", text[i:j], j
            i = j


def literal_elements(text, start):
    """The elements of the list opened just before `start` that are string literals (or `+` of literals)."""
    depth, parts, literal, out = 0, [], True, []

    def flush():
        if parts and literal:
            out.append("".join(parts))

    for kind, value, _end in go_tokens(text, start):
        if kind == "open":
            depth += 1
            literal = False
        elif kind == "close":
            if depth == 0:
                flush()
                return out
            depth -= 1
        elif depth > 0:
            continue
        elif kind == ",":
            flush()
            parts, literal = [], True
        elif kind == "str":
            parts.append(value)
        elif kind == "+":
            pass
        else:
            literal = False
    return out


LIST_START = re.compile(
    r"\b(?P<name>tps|fps|truePositives|falsePositives)\s*(?::=|=)\s*"
    r"(?:\[\]string\s*\{|append\(\s*(?P=name)\s*,)"
)


def gitleaks_samples(checkout):
    for name in checkout.list(GITLEAKS_DIR):
        if not name.endswith(".go") or name.endswith("_test.go"):
            continue
        provider = os.path.basename(name)[: -len(".go")]
        text = checkout.read(name)
        for m in LIST_START.finditer(text):
            kind = "pos" if m.group("name") in ("tps", "truePositives") else "neg"
            for sample in literal_elements(text, m.end()):
                if sample.strip():
                    yield provider, kind, sample


# ---------------------------------------------------------------- run

PEERS = {
    "kingfisher": (KINGFISHER_DIR, kingfisher_samples),
    "gitleaks": (GITLEAKS_DIR, gitleaks_samples),
}


def peer_of(checkout):
    """(peer name, sample reader): Betterleaks, a gitleaks fork, is named by its Go module."""
    for peer, (directory, reader) in PEERS.items():
        if checkout.list(directory):
            if peer == "gitleaks":
                try:
                    module = checkout.read("go.mod").split("\n", 1)[0]
                except (OSError, subprocess.CalledProcessError):
                    module = ""
                if "betterleaks" in module:
                    return "betterleaks", reader
            return peer, reader
    return None, None


def render(before_path, after_path):
    """Markdown tables comparing two --json outputs (totals, then every provider with a hit after)."""
    with open(before_path) as f:
        before = json.load(f)
    with open(after_path) as f:
        after = json.load(f)
    key = lambda r: (r["peer"], r["provider"])  # noqa: E731
    old = {key(r): r for r in before["providers"]}
    out = [
        "| peer | positives found, before | after | negatives flagged, before | after |",
        "|---|---|---|---|---|",
    ]
    for peer in sorted({r["peer"] for r in after["providers"]}):
        b = [r for r in before["providers"] if r["peer"] == peer]
        a = [r for r in after["providers"] if r["peer"] == peer]
        pos, neg = sum(r["positives"] for r in a), sum(r["negatives"] for r in a)
        fb, fa = sum(r["found"] for r in b), sum(r["found"] for r in a)
        gb, ga = sum(r["flagged"] for r in b), sum(r["flagged"] for r in a)
        out.append(f"| {peer} | {fb}/{pos} ({100 * fb / max(pos, 1):.1f} %) | {fa}/{pos} ({100 * fa / max(pos, 1):.1f} %) "
                   f"| {gb}/{neg} | {ga}/{neg} |")
    out += [
        "",
        "| peer | provider | positives found, before → after (of) | generic only | negatives flagged, before → after (of) |",
        "|---|---|---|---|---|",
    ]
    silent = 0
    for r in sorted(after["providers"], key=key):
        if r["found"] == 0 and r["flagged"] == 0:
            silent += r["positives"] > 0
            continue
        o = old.get(key(r), {"found": 0, "flagged": 0})
        out.append(f"| {r['peer']} | {r['provider']} | {o['found']} → {r['found']} ({r['positives']}) "
                   f"| {r['found_generic_only']} | {o['flagged']} → {r['flagged']} ({r['negatives']}) |")
    out.append(f"\n{silent} more peer providers have positives of which keysweep finds none.")
    print("\n".join(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkouts", nargs="*", help="kingfisher and/or gitleaks checkouts")
    ap.add_argument("--render", nargs=2, metavar=("BEFORE_JSON", "AFTER_JSON"),
                    help="print Markdown tables comparing two --json outputs (docs/coverage.md), and exit")
    ap.add_argument("--keysweep", default=os.environ.get("KEYSWEEP", "target/debug/keysweep"))
    ap.add_argument("--json", help="also write the per-provider numbers to this JSON file")
    ap.add_argument("--keep", action="store_true", help="keep the temporary sample directory")
    ap.add_argument(
        "--list", metavar="PROVIDER", help="print the samples of this peer provider and whether each was found"
    )
    args = ap.parse_args()
    if args.render:
        render(*args.render)
        return 0
    if not args.checkouts:
        ap.error("give at least one checkout (or --render)")

    samples = []  # (peer, provider, kind, text)
    for path in args.checkouts:
        checkout = Checkout(path)
        peer, reader = peer_of(checkout)
        if peer is None:
            sys.exit(f"{path}: neither a kingfisher nor a gitleaks (or betterleaks) checkout")
        for provider, kind, text in reader(checkout):
            samples.append((peer, provider, kind, text))

    tmp = tempfile.mkdtemp(prefix="keysweep-peers-")
    try:
        files = {}
        for n, (peer, provider, kind, text) in enumerate(samples):
            # One directory level per sample, so that identical samples stay distinct files.
            rel = f"{peer}/{provider}/{kind}/s{n:05d}.txt"
            os.makedirs(os.path.join(tmp, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(tmp, rel), "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(text)
                if not text.endswith("\n"):
                    f.write("\n")
            files[rel] = n
        run = subprocess.run(
            [args.keysweep, "scan", "--no-ignore", "--format", "json", tmp],
            capture_output=True,
        )
        if run.returncode not in (0, 1):
            sys.exit(f"keysweep failed ({run.returncode}): {run.stderr.decode(errors='replace')}")
        report = json.loads(run.stdout)
        rules_of = collections.defaultdict(set)
        for finding in report["findings"]:
            for loc in finding["locations"]:
                if loc["path"] in files:
                    rules_of[files[loc["path"]]].add(finding["rule_id"])
    finally:
        if args.keep:
            print(f"samples kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    # (peer, provider) -> [pos total, pos found, pos generic-only, neg total, neg flagged]
    table = collections.defaultdict(lambda: [0, 0, 0, 0, 0])
    for n, (peer, provider, kind, text) in enumerate(samples):
        row = table[(peer, provider)]
        rules = rules_of.get(n, set())
        if kind == "pos":
            row[0] += 1
            row[1] += bool(rules)
            row[2] += bool(rules) and all(r.startswith("generic.") for r in rules)
        else:
            row[3] += 1
            row[4] += bool(rules)
        if args.list and provider == args.list:
            mark = ",".join(sorted(rules)) or "-"
            print(f"{peer}\t{kind}\t{mark}\t{text.strip()[:160]!r}")

    print(f"{'peer':<11} {'provider':<28} {'pos found':>10} {'generic':>8} {'neg flagged':>12}")
    totals = collections.defaultdict(lambda: [0, 0, 0, 0, 0])
    for (peer, provider), row in sorted(table.items()):
        for i, v in enumerate(row):
            totals[peer][i] += v
        pos = f"{row[1]}/{row[0]}" if row[0] else "-"
        neg = f"{row[4]}/{row[3]}" if row[3] else "-"
        print(f"{peer:<11} {provider:<28} {pos:>10} {row[2]:>8} {neg:>12}")
    for peer, row in sorted(totals.items()):
        share = 100.0 * row[1] / row[0] if row[0] else 0.0
        print(
            f"TOTAL {peer}: positives found {row[1]}/{row[0]} ({share:.1f} %, {row[2]} only by a generic rule),"
            f" negatives flagged {row[4]}/{row[3]}"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "providers": [
                        {
                            "peer": peer,
                            "provider": provider,
                            "positives": row[0],
                            "found": row[1],
                            "found_generic_only": row[2],
                            "negatives": row[3],
                            "flagged": row[4],
                        }
                        for (peer, provider), row in sorted(table.items())
                    ],
                    "totals": {
                        peer: dict(zip(["positives", "found", "found_generic_only", "negatives", "flagged"], row))
                        for peer, row in totals.items()
                    },
                },
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
