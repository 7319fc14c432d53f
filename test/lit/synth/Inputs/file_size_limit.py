#!/usr/bin/python3
"""Run a command whose files may not grow past BYTES (RLIMIT_FSIZE).

Usage: file_size_limit.py BYTES COMMAND [ARGS...]

A write past the limit then fails with EFBIG ("File too large") the way a
write to a full disk fails with ENOSPC: the tests use it to check what r1c
does when the output cannot be written, without filling a disk. Put it
innermost (exit_code.py ... file_size_limit.py ... r1c): Python's subprocess
resets SIGXFSZ to its default in the processes it starts.
"""
import os
import resource
import signal
import sys

limit = int(sys.argv[1])
# Otherwise the kernel kills the writer with SIGXFSZ instead of failing the
# write; an ignored signal stays ignored across exec.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
os.execvp(sys.argv[2], sys.argv[2:])
