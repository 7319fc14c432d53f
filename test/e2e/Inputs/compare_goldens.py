#!/usr/bin/python3
"""Compares two goldens of the same tokens (e.g. deepseek_reference.py's against
../shared/goldens): top-1 id at every position, |lse diff| and each of REF's
top-16 logits (looked up in OURS's top-64) within max(A, R * |ref|).

Usage: compare_goldens.py OURS.json REF.json [--tol-abs A] [--tol-rel R]
Prints one summary line; exits 1 on any violation.
"""
import argparse
import json
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("ours")
    p.add_argument("ref")
    p.add_argument("--tol-abs", type=float, default=1e-3)
    p.add_argument("--tol-rel", type=float, default=1e-5)
    a = p.parse_args()
    ours, ref = json.load(open(a.ours)), json.load(open(a.ref))
    if ours["tokens"] != ref["tokens"]:
        sys.exit("FAIL: the goldens have different tokens")
    failures, top1, worst_lse, worst_logit = [], 0, 0.0, 0.0
    for t, (o, r) in enumerate(zip(ours["positions"], ref["positions"])):
        bound = lambda x: max(a.tol_abs, a.tol_rel * abs(x))  # noqa: E731
        if o["top_ids"][0] == r["top_ids"][0]:
            top1 += 1
        else:
            failures.append(f"position {t}: top-1 {o['top_ids'][0]} vs {r['top_ids'][0]}")
        d = abs(o["lse"] - r["lse"])
        worst_lse = max(worst_lse, d)
        if d > bound(r["lse"]):
            failures.append(f"position {t}: lse {o['lse']:.6f} vs {r['lse']:.6f}")
        mine = dict(zip(o["top_ids"], o["top_logits"]))
        for i, x in zip(r["top_ids"][:16], r["top_logits"][:16]):
            if i not in mine:
                failures.append(f"position {t}: id {i} not in the top-64")
                continue
            d = abs(mine[i] - x)
            worst_logit = max(worst_logit, d)
            if d > bound(x):
                failures.append(f"position {t} id {i}: logit {mine[i]:.6f} vs {x:.6f}")
    n = len(ref["positions"])
    print(f"{ref['spec']}.{ref['prompt']}: ours vs {ref['engine']}: top-1 {top1}/{n}, "
          f"max |lse diff| {worst_lse:.3g}, max |top-16 logit diff| {worst_logit:.3g}")
    if failures:
        sys.exit(f"FAIL ({len(failures)} violations): {failures[0]}")


if __name__ == "__main__":
    main()
