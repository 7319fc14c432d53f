#!/usr/bin/python3
"""Run one bad-input case of errors.test and check how r1c fails.

Usage: check_error.py TMP BASE CASE EXPECTED

Copies TMP/BASE to TMP/CASE, breaks it with corrupt_model.py CASE, runs
`r1c import TMP/CASE -o TMP/CASE.mlir` and checks: exit code exactly 1 (not a
crash, not a signal), stderr exactly one line "r1c: error: TMP/CASE/<EXPECTED...>"
(EXPECTED is a substring; {dir} stands for the case directory, {size} for the
size of its first safetensors file), nothing on stdout, and no output file or
temporary left behind.
"""
import os
import shutil
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
tmp, base, case, expected = sys.argv[1:5]
model = os.path.join(tmp, case)
shutil.rmtree(model, ignore_errors=True)
shutil.copytree(os.path.join(tmp, base), model)
subprocess.run([sys.executable, os.path.join(here, "corrupt_model.py"), model, case], check=True)

first = os.path.join(model, "model.safetensors")
size = os.path.getsize(first) if os.path.exists(first) else 0
expected = expected.replace("{dir}", model).replace("{size}", str(size))
output = model + ".mlir"
run = subprocess.run(["r1c", "import", model, "-o", output], capture_output=True, text=True)

problems = []
if run.returncode != 1:
    problems.append("exit code %d, expected 1" % run.returncode)
lines = run.stderr.splitlines()
if len(lines) != 1:
    problems.append("stderr has %d lines, expected 1" % len(lines))
if not run.stderr.startswith("r1c: error: " + model) or expected not in run.stderr:
    problems.append("stderr does not name %s and contain: %s" % (model, expected))
if run.stdout:
    problems.append("unexpected stdout")
leftovers = [n for n in os.listdir(tmp) if n.startswith(case + ".mlir")]
if leftovers:
    problems.append("left behind: %s" % leftovers)
if problems:
    sys.exit("%s: %s\nstderr was: %s" % (case, "; ".join(problems), run.stderr))
