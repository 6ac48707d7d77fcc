#!/usr/bin/env bash
# Hostile inputs, measured: builds keysweep (release), generates each input below in a temporary directory,
# scans it once under `/usr/bin/time -v` and prints wall time, seconds per MiB of input and peak RSS. Fails
# (exit 1) when a scan's peak RSS passes the bound (200 MB unless KEYSWEEP_RSS_LIMIT_MB says otherwise) or it
# takes more than 5 s per MiB of input (at least 10 s): "no input makes a file's scan take more than a few
# seconds per MiB". Numbers from a shared machine are indicative; run it on a quiet one.
#   benches/hostile.sh
# Needs python3 and /usr/bin/time (apt-get install time).
set -euo pipefail
cd "$(dirname "$0")/.."
limit_mb=${KEYSWEEP_RSS_LIMIT_MB:-200}
[[ -x /usr/bin/time ]] || { echo "hostile.sh: /usr/bin/time not found (apt-get install time)" >&2; exit 2; }

echo "== building keysweep (release)"
cargo build --release --quiet
ks=$PWD/target/release/keysweep
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import io, lzma, os, random, string, sys, tarfile, zipfile
root = sys.argv[1]
rng = random.Random(7)
def token():  # fake Stripe-shaped keys: no checksum, so random ones match
    return "sk_live_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))
def put(case, name, data):
    d = os.path.join(root, case)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
toks = [token() for _ in range(100_000)]
put("100k-tokens-lines", "a.txt", ("\n".join(toks) + "\n").encode())
put("100k-tokens-one-line", "a.txt", (" ".join(toks) + "\n").encode())
put("long-line-one-token", "min.js", b"x" * (20 << 20) + toks[0].encode() + b"\n")
# One zip entry of 64 MiB of zeros (the overlapping-entries bomb is in the unit tests: it needs a hand-built zip).
z = io.BytesIO()
with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
    zf.writestr("zeros", b"\0" * (64 << 20))
put("zip-bomb", "bomb.zip", z.getvalue())
# xz of 2 GiB of zeros, and a tar.xz nested three deep in zips.
put("xz-bomb", "zeros.xz", lzma.compress(b"\0" * (1 << 30), preset=9 | lzma.PRESET_EXTREME) * 2)
tar = io.BytesIO()
with tarfile.open(fileobj=tar, mode="w") as tf:
    for i in range(4):
        data = (("\n" * (6 << 20)) + "STRIPE_KEY=" + toks[i] + "\n").encode()
        info = tarfile.TarInfo(f"conf/{i}.env"); info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
inner = lzma.compress(tar.getvalue(), preset=9)
for level in range(3):
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"level{level}.{'tar.xz' if level == 0 else 'zip'}", inner)
    inner = z.getvalue()
put("nested-archives", "release.zip", inner)
PY

printf '%-24s %9s %9s %10s %8s\n' input MiB seconds 's/MiB' 'RSS MB'
fail=0
for dir in "$work"/*/; do
  case=$(basename "$dir")
  mib=$(du -sm "$dir" | cut -f1)
  log="$work/$case.time"
  /usr/bin/time -v -o "$log" "$ks" scan "$dir" --format json -o /dev/null 2>/dev/null || true
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%d", $2/1024}' "$log")
  per=$(awk -v s="$secs" -v m="$mib" 'BEGIN {printf "%.2f", s / (m > 1 ? m : 1)}')
  printf '%-24s %9s %9s %10s %8s\n' "$case" "$mib" "$secs" "$per" "$rss"
  if (( rss > limit_mb )); then echo "  peak RSS over ${limit_mb} MB" >&2; fail=1; fi
  if awk -v s="$secs" -v m="$mib" 'BEGIN {exit !(s > 10 && s > 5 * m)}'; then
    echo "  over 5 s per MiB" >&2; fail=1
  fi
done
exit $fail
