#!/usr/bin/env python3
"""Runs an artifact on a golden's tokens with r1run and compares the logits.

Usage: run_golden.py ARTIFACT GOLDEN.json [--chunk N] [--precision P]
                     [--device D] [--same-as-chunk M] [compare_logits.py options...]

Feeds the golden's tokens ([bos] + prompt) to `r1run ARTIFACT --dump-logits`
and checks the dump with compare_logits.py. With --same-as-chunk M, also runs
with --chunk M and checks that both dumps agree within the same bound.
"""
import os
import subprocess
import sys
import tempfile
import json

HERE = os.path.dirname(os.path.abspath(__file__))


def run(artifact, tokens, chunk, precision, device, out):
    cmd = ["r1run", artifact, "--tokens", ",".join(map(str, tokens)), "--dump-logits", out,
           "--precision", precision]
    if device:
        cmd += ["--device", device]
    if chunk:
        cmd += ["--chunk", str(chunk)]
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd[:2])} ... exited {result.returncode}: {result.stderr.strip()}")


def main():
    args = sys.argv[1:]
    artifact, golden = args[0], args[1]
    rest = args[2:]
    chunk, precision, same_as, device = None, "fp32", None, None
    passthrough = []
    i = 0
    while i < len(rest):
        if rest[i] == "--chunk":
            chunk = int(rest[i + 1]); i += 2
        elif rest[i] == "--precision":
            precision = rest[i + 1]; i += 2
        elif rest[i] == "--device":
            device = rest[i + 1]; i += 2
        elif rest[i] == "--same-as-chunk":
            same_as = int(rest[i + 1]); i += 2
        else:
            passthrough.append(rest[i]); i += 1
    tokens = json.load(open(golden))["tokens"]
    compare = [sys.executable, os.path.join(HERE, "compare_logits.py")]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "logits")
        run(artifact, tokens, chunk, precision, device, out)
        code = subprocess.call(compare + [out, golden] + passthrough)
        if code or same_as is None:
            sys.exit(code)
        other = os.path.join(tmp, "other")
        run(artifact, tokens, same_as, precision, device, other)
        sys.exit(subprocess.call(compare + [out, golden, "--against", other] + passthrough))


if __name__ == "__main__":
    main()
