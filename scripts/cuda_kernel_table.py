#!/usr/bin/env python3
"""Prints the resource table of docs/cuda-kernels.md.

Usage: scripts/cuda_kernel_table.py [R1C]

Compiles the kernel instantiations at real model shapes that the resource
tests use (test/lit/codegen/Inputs/*-kernels.cu) with `r1c cuda-compile` for
sm_80, sm_89, sm_90a and sm_100a and prints one markdown row per kernel: registers per
thread per target, static shared memory, and spills (all must be 0).
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    r1c = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "bin", "r1c")
    print("| file | kernel | registers sm_80 / sm_89 / sm_90a / sm_100a | static smem (bytes) | spills |")
    print("|---|---|---|---|---|")
    for source in sorted(glob.glob(os.path.join(ROOT, "test", "lit", "codegen", "Inputs",
                                                "*-kernels.cu"))):
        if os.path.basename(source) == "two-kernels.cu":  # a toolchain test's fixture
            continue
        with tempfile.TemporaryDirectory() as tmp:
            run = subprocess.run([r1c, "cuda-compile", source, "--nvcc-flag=-I" + ROOT, "--json",
                                  "-o", os.path.join(tmp, "k.fatbin")],
                                 capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"{source}: {run.stderr.strip()}")
        report = json.loads(run.stdout)
        per = {}
        for target in report["targets"]:
            for k in target["kernels"]:
                if k["entry"]:
                    per.setdefault(k["name"], {})[target["target"]] = k
        for name in sorted(per):
            ks = per[name]
            regs = " / ".join(str(ks[t]["registers"]) for t in ("sm_80", "sm_89", "sm_90a", "sm_100a"))
            smem = max(k["static_smem_bytes"] for k in ks.values())
            spills = sum(k["spill_store_bytes"] + k["spill_load_bytes"] for k in ks.values())
            print(f"| {os.path.basename(source)} | `{name}` | {regs} | {smem} | {spills} |")


if __name__ == "__main__":
    main()
