#!/usr/bin/env python3
"""Compares r1run --dump-logits output with a golden of ../shared/goldens.

Usage: compare_logits.py LOGITS GOLDEN.json [--tol-abs A] [--tol-rel R]
                         [--min-top1 F] [--lse-only] [--against OTHER_LOGITS]

For every position of the golden: the top-1 id must agree (or, with
--min-top1 F, at least a fraction F of positions must agree), |lse - lse_ref|
and each of the reference's top-16 logits must be within max(A, R * |ref|).
With --against, LOGITS is compared with another dump instead (chunked vs
single prefill): every logit within the same bound. With --lse-only the
top-16 logits are reported but not checked (quantized modes such as W8A8,
whose bound is on top-1 agreement and the lse). Prints one summary line;
exits 1 on any violation, naming the first position that failed.
"""
import argparse
import json
import sys

import numpy as np


def lse(row):
    m = np.max(row)
    return float(m + np.log(np.sum(np.exp(row.astype(np.float64) - m))))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("logits")
    p.add_argument("golden")
    p.add_argument("--tol-abs", type=float, default=1e-3)
    p.add_argument("--tol-rel", type=float, default=1e-5)
    p.add_argument("--min-top1", type=float, default=1.0)
    p.add_argument("--lse-only", action="store_true", help="check top-1 and lse, not top-16")
    p.add_argument("--against", help="another logits dump to compare with")
    args = p.parse_args()

    golden = json.load(open(args.golden))
    positions = golden["positions"]
    raw = np.fromfile(args.logits, dtype="<f4")
    if raw.size % len(positions):
        sys.exit(f"{args.logits}: {raw.size} floats is not a multiple of {len(positions)} positions")
    logits = raw.reshape(len(positions), -1)
    vocab = logits.shape[1]

    def bound(ref):
        return max(args.tol_abs, args.tol_rel * abs(ref))

    if args.against:
        other = np.fromfile(args.against, dtype="<f4").reshape(len(positions), vocab)
        diff = np.abs(logits.astype(np.float64) - other)
        limit = np.maximum(args.tol_abs, args.tol_rel * np.abs(other))
        bad = np.argwhere(diff > limit)
        print(f"max |logit - other| = {diff.max():.3g} over {logits.size} logits")
        if bad.size:
            t, v = bad[0]
            sys.exit(f"FAIL: position {t} id {v}: {logits[t, v]} vs {other[t, v]}")
        return

    top1_agree = 0
    worst_lse = worst_logit = 0.0
    failures = []
    for t, ref in enumerate(positions):
        row = logits[t]
        if not np.all(np.isfinite(row)):
            failures.append(f"position {t}: non-finite logits")
            continue
        if int(np.argmax(row)) == ref["top_ids"][0]:
            top1_agree += 1
        elif args.min_top1 >= 1.0:
            failures.append(f"position {t}: top-1 {int(np.argmax(row))} vs {ref['top_ids'][0]}")
        d = abs(lse(row) - ref["lse"])
        worst_lse = max(worst_lse, d)
        if d > bound(ref["lse"]):
            failures.append(f"position {t}: lse {lse(row):.6f} vs {ref['lse']:.6f}")
        for i, r in zip(ref["top_ids"][:16], ref["top_logits"][:16]):
            d = abs(float(row[i]) - r)
            worst_logit = max(worst_logit, d)
            if d > bound(r) and not args.lse_only:
                failures.append(f"position {t} id {i}: logit {row[i]:.6f} vs {r:.6f}")
    frac = top1_agree / len(positions)
    print(f"{golden['spec']}.{golden['prompt']} vs {golden['engine']}: top-1 {top1_agree}/{len(positions)}, "
          f"max |lse diff| {worst_lse:.3g}, max |top-16 logit diff| {worst_logit:.3g}")
    if frac < args.min_top1:
        failures.insert(0, f"top-1 agreement {frac:.3f} < {args.min_top1}")
    if failures:
        sys.exit(f"FAIL ({len(failures)} violations): {failures[0]}")


if __name__ == "__main__":
    main()
