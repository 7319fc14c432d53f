#!/usr/bin/python3
"""Run a command, require an exact exit code, and pass on its stderr.

Usage: exit_code.py CODE COMMAND [ARGS...]

Fails when the command exits with another code or is killed by a signal;
prints the command's stderr (then stdout) so FileCheck can check the message.
"""
import subprocess
import sys

expected = int(sys.argv[1])
run = subprocess.run(sys.argv[2:], capture_output=True, text=True)
sys.stdout.write(run.stderr + run.stdout)
if run.returncode != expected:
    sys.exit("exit code %d, expected %d" % (run.returncode, expected))
