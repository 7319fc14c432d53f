#!/usr/bin/env python3
"""Bits per weight of an artifact's converted projection weights.

Usage: bits_per_weight.py PACKAGE.json DTYPE

PACKAGE.json is the manifest `r1c compile --dump-phases-to DIR` writes
(DIR/6-package.json). Counts the weights of dtype DTYPE (i4, i8, f8_e4m3,
bf16) whose name is a projection's (not an embedding), plus their scale
companions (NAME:scales), and prints their bits per weight.
"""
import json
import math
import sys


def main():
    manifest = json.load(open(sys.argv[1]))
    dtype = sys.argv[2]
    weights = manifest["weights"]
    by_name = {w["name"]: w for w in weights}
    bits = elements = 0
    for w in weights:
        if w["dtype"] != dtype or "embed" in w["name"] or w.get("role", "step") != "step":
            continue
        elements += math.prod(w["shape"])
        bits += 8 * w["bytes"]
        base = w["name"].rsplit(":", 1)[0]
        if base + ":scales" in by_name:
            bits += 8 * by_name[base + ":scales"]["bytes"]
    if not elements:
        sys.exit(f"FAIL: no {dtype} projection weights in {sys.argv[1]}")
    print(f"{dtype}: {bits / elements:.3f} bits/weight over {elements} weights")


if __name__ == "__main__":
    main()
