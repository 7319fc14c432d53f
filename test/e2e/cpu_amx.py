"""Whether this machine lets r1c's host kernels use AMX tiles, decided
independently of r1c: Linux lists amx_tile and amx_bf16 in /proc/cpuinfo
only when the CPU has them and the kernel supports them, and R1_NO_AMX
(unset, empty or "0") has not turned them off. Shared by check_bench.py and
check_tune.py."""
import os


def amx_allowed():
    flags = set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    return {"amx_tile", "amx_bf16"} <= flags and os.environ.get("R1_NO_AMX", "0") in ("", "0")
