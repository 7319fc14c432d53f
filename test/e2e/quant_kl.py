#!/usr/bin/env python3
"""How far a quantized artifact is from the fp32 one: KL divergence and top-1.

Usage: quant_kl.py QUANT.r1 REFERENCE.r1 GOLDEN.json [--max-kl K] [--min-top1 F]
                   [--device D] [--chunk N] [--label L] [--precision P]

Feeds the golden's tokens ([bos] + prompt) to both artifacts with
`r1run --dump-logits --precision fp32`, and over every position computes, in
float64 over the whole vocabulary, KL(p_ref || p_quant) of the softmax
distributions and whether the top-1 ids agree. Prints one line with the mean
and largest KL and the agreement; exits 1 when the mean KL is above K or the
agreement below F. REFERENCE is the same model compiled without --quant
(fp32 arithmetic on the checkpoint's weights, which the goldens check), or
the same quantized model on another backend. --device and --chunk apply to
QUANT only (chunk 23 of 24 tokens: the last one through the decode kernels).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def dump(artifact, tokens, device, chunk, out, precision="fp32"):
    cmd = ["r1run", artifact, "--tokens", ",".join(map(str, tokens)), "--dump-logits", out,
           "--precision", precision]
    if device:
        cmd += ["--device", device]
    if chunk:
        cmd += ["--chunk", str(chunk)]
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"FAIL: {artifact}: r1run exited {result.returncode}: {result.stderr.strip()}")
    return np.fromfile(out, dtype="<f4").astype(np.float64).reshape(len(tokens), -1)


def log_softmax(rows):
    m = rows.max(axis=1, keepdims=True)
    return rows - m - np.log(np.exp(rows - m).sum(axis=1, keepdims=True))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("quant")
    p.add_argument("reference")
    p.add_argument("golden")
    p.add_argument("--max-kl", type=float, default=float("inf"))
    p.add_argument("--min-top1", type=float, default=0.0)
    p.add_argument("--device")
    p.add_argument("--chunk", type=int)
    p.add_argument("--label", default="")
    p.add_argument("--precision", default="fp32",
                   help="QUANT's r1run --precision (default: fp32); with --chunk 1 every "
                        "position goes through the decode kernels, where `default` multiplies "
                        "integer weights with int8 activations")
    args = p.parse_args()
    tokens = json.load(open(args.golden))["tokens"]
    with tempfile.TemporaryDirectory() as tmp:
        q = dump(args.quant, tokens, args.device, args.chunk, os.path.join(tmp, "q"),
                 args.precision)
        r = dump(args.reference, tokens, None, None, os.path.join(tmp, "r"))
    if q.shape != r.shape:
        sys.exit(f"FAIL: logits of shape {q.shape} vs {r.shape}")
    lq, lr = log_softmax(q), log_softmax(r)
    kl = (np.exp(lr) * (lr - lq)).sum(axis=1)
    top1 = float((q.argmax(axis=1) == r.argmax(axis=1)).mean())
    label = args.label or os.path.basename(args.quant)
    print(f"{label}: mean KL {kl.mean():.3g} (max {kl.max():.3g}) over {len(tokens)} positions, "
          f"top-1 agreement {top1:.3f}")
    if not kl.mean() <= args.max_kl:
        sys.exit(f"FAIL: mean KL {kl.mean():.3g} > {args.max_kl}")
    if top1 < args.min_top1:
        sys.exit(f"FAIL: top-1 agreement {top1:.3f} < {args.min_top1}")


if __name__ == "__main__":
    main()
