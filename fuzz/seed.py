#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets under fuzz/corpus/<target>/ from what the repository holds: the
rule files and their examples, the TOML blocks of the README and docs, keys generated here with openssl and
ssh-keygen (fresh each run, never committed), archives of them, and reports keysweep writes about them.

Usage: python3 fuzz/seed.py [path/to/keysweep]   (default: target/debug/keysweep, built if missing)
"""
import base64
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


# Every section and key of .keysweep.toml (the values are examples).
FULL_CONFIG = """\
[scan]
max_file_size = "25MiB"

[output]
format = "json"

[rules]
paths = ["rules"]
disable = ["generic-password"]

[allowlist]
paths = ["tests/**", "*.lock"]
regexes = ["EXAMPLE[A-Z0-9]+", "(?i)dummy"]
stopwords = ["changeme", "placeholder"]

[inventory]
path = "keys.toml"

[providers.userplane]
base_url = "http://127.0.0.1:8080"

[providers.internal]
kind = "http"
method = "DELETE"
url = "https://keys.example.com/v1/keys/{key_id}"
headers = { Authorization = "Bearer {secret}" }
"""


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def rule_files():
    d = os.path.join(ROOT, "rules")
    for name in sorted(os.listdir(d)):
        if name.endswith(".toml"):
            with open(os.path.join(d, name), encoding="utf-8") as f:
                yield f.read()


def markdown_toml():
    files = [os.path.join(ROOT, "README.md")]
    docs = os.path.join(ROOT, "docs")
    files += [os.path.join(docs, n) for n in sorted(os.listdir(docs)) if n.endswith(".md")]
    for path in files:
        with open(path, encoding="utf-8") as f:
            yield from re.findall(r"```toml\n(.*?)```", f.read(), re.S)


def generated_keys(tmp):
    """PEM keys of every kind the decoder reads, generated now."""
    keys = []
    for args in (
        ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        ["genpkey", "-algorithm", "ED25519"],
        ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
    ):
        pem = subprocess.run(["openssl", *args], capture_output=True, check=True).stdout
        keys.append(pem)
        for conv in (["pkey", "-traditional"], ["ec", "-no_public"]):
            out = subprocess.run(["openssl", *conv], input=pem, capture_output=True)
            if out.returncode == 0 and out.stdout:
                keys.append(out.stdout)
    for kind in ("ed25519", "ecdsa", "rsa"):
        path = os.path.join(tmp, f"id_{kind}")
        extra = ["-b", "1024"] if kind == "rsa" else []
        subprocess.run(["ssh-keygen", "-q", "-t", kind, *extra, "-N", "", "-f", path], check=True)
        with open(path, "rb") as f:
            keys.append(f.read())
    return keys


def variants(pem):
    """The forms a key takes in files: PEM, escaped newlines, armourless body, base64 of the PEM, quoted."""
    text = pem.decode()
    body = "".join(l for l in text.splitlines() if not l.startswith("-----"))
    return [
        text,
        text.replace("\n", "\\n"),
        body,
        body + "\nNEXT_VAR=value\n",
        base64.b64encode(pem).decode(),
        'key = "' + text.replace("\n", "\\n") + '"\n',
    ]


def archives(files):
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            zf.writestr(name, data)
    t = io.BytesIO()
    with tarfile.open(fileobj=t, mode="w:gz") as tf:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return [z.getvalue(), t.getvalue()]


def main():
    exe = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "debug", "keysweep")
    if not os.path.exists(exe):
        subprocess.run(["cargo", "build", "--quiet"], cwd=ROOT, check=True)
    texts = list(rule_files())
    for text in texts:
        put("rule_toml", text)
        for chunk in re.split(r"\n(?=\[\[rule\]\])", text):
            put("rule_toml", chunk)
        for rule in tomllib.loads(text).get("rule", []):
            for i, ex in enumerate(rule.get("examples", []) + rule.get("negative_examples", [])):
                put("blob", bytes([i % 8]) + ex.encode())
    for block in markdown_toml():
        put("config_toml", block)
        if "[[key]]" in block:
            put("inventory", block)
    put("config_toml", FULL_CONFIG)
    put("inventory", json.dumps([{"provider": "github", "key_id": "example", "owner": "fake"}]))

    with tempfile.TemporaryDirectory() as tmp:
        tree = os.path.join(tmp, "tree")
        os.makedirs(tree)
        files = []
        for n, pem in enumerate(generated_keys(tmp)):
            for v, text in enumerate(variants(pem)):
                put("keys", text)
                put("blob", bytes([n % 8]) + text.encode())
                files.append((f"k{n}_{v}.env", text.encode()))
        files.append(("AuthKey_FAKE123456.p8", files[0][1]))
        for data in archives(files):
            put("blob", b"\x05" + data)
        for name, data in files:
            with open(os.path.join(tree, name), "wb") as f:
                f.write(data)
        for fmt in ("json", "jsonl"):
            out = subprocess.run(
                [exe, "scan", "-f", fmt, tree], capture_output=True, cwd=tmp
            ).stdout
            put("findings", out)
            put("merge", out)
        report = subprocess.run(
            [exe, "scan", "-f", "json", tree], capture_output=True, cwd=tmp
        ).stdout
        put("merge", report + b"\0" + report)
        base = os.path.join(tmp, "baseline.json")
        subprocess.run([exe, "baseline", "create", "-o", base, tree], capture_output=True, cwd=tmp)
        if os.path.exists(base):
            with open(base, "rb") as f:
                put("findings", f.read())
    for t in sorted(os.listdir(CORPUS)):
        print(f"{t}: {len(os.listdir(os.path.join(CORPUS, t)))} seeds")


if __name__ == "__main__":
    main()
