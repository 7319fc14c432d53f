#!/usr/bin/env python3
"""Checks what `r1c tune --json` recorded against its own measurements.

Usage: check_tune.py TUNING.json MANIFEST.json THREADS EXPERTS(0|1)

Independently of the tuner, from /proc/cpuinfo, R1_NO_AMX and the manifest:
which knobs this machine can exercise (AMX: the CPU lists amx_tile and
amx_bf16, R1_NO_AMX is unset, the code has amx-bf16 among its optional ISA
and the weights are integers; experts: the model has them; decode tasks:
more than one thread), and for each measured knob that the recorded value
follows from the recorded medians by the documented rule. Prints one line
per knob: measured_on, amx_min_tokens, gemv_max_tokens,
amx_min_expert_tokens, decode_tasks_per_thread.
"""
import json
import sys

from cpu_amx import amx_allowed

DEFAULTS = {"amx_min_expert_tokens": 8, "decode_tasks_per_thread": 4}


def beyond_noise(costs, values, default):
    """The documented choice: the least cost unless the default is within 2%."""
    best = min(range(len(costs)), key=lambda i: costs[i])
    d = values.index(default)
    return values[d] if costs[d] <= costs[best] * 1.02 else values[best]


def main():
    tuning = json.load(open(sys.argv[1]))
    manifest = json.load(open(sys.argv[2]))
    threads, experts = int(sys.argv[3]), sys.argv[4] == "1"
    never = manifest["memory"]["max_step_tokens"] + 1
    int_weights = any(w.get("dtype") in ("i8", "i4") for w in manifest["weights"])
    amx = (amx_allowed() and "amx-bf16" in manifest["target"].get("optional_isa", [])
           and int_weights)
    measured = tuning.get("measurements", {})
    skipped = tuning.get("not_measured", {})
    ok = tuning.get("threads") == threads and tuning.get("measured_on", "").endswith(
        f", {threads} threads")
    print("measured_on", "names the threads" if ok else f"WRONG: {tuning}")

    # amx_min_tokens: the shortest length from which AMX won at every longer one.
    if amx:
        rows = measured["amx_min_tokens"]
        wins = [r["amx_ms"] < r["no_amx_ms"] for r in rows]
        want = never
        for i in range(len(rows) - 1, -1, -1):
            if not wins[i]:
                break
            want = rows[i]["tokens"]
        got = tuning.get("amx_min_tokens")
        print("amx_min_tokens", "follows the measurements" if got == want
              else f"WRONG: {got}, want {want} from {rows}")
    else:
        ok = "amx_min_tokens" not in tuning and "amx_min_tokens" in skipped
        print("amx_min_tokens", "not measured without AMX" if ok else f"WRONG: {tuning}")

    # gemv_max_tokens: the longest length up to which the GEMV cores won at
    # every measured length (1: never); measured on every machine.
    rows = measured["gemv_max_tokens"]
    want = 1
    for r in rows:
        if not r["gemv_ms"] < r["tiles_ms"]:
            break
        want = r["tokens"]
    got = tuning.get("gemv_max_tokens")
    print("gemv_max_tokens", "follows the measurements" if got == want
          else f"WRONG: {got}, want {want} from {rows}")

    def candidates(knob, cost, measurable, why_not):
        """A knob chosen among candidates: the documented 2% rule."""
        if not measurable:
            ok = knob not in tuning and knob in skipped
            print(knob, f"not measured ({why_not})" if ok else f"WRONG: {tuning}")
            return
        rows = measured[knob]
        values = [r["value"] for r in rows]
        want = beyond_noise([r[cost] for r in rows], values, DEFAULTS[knob])
        got = tuning.get(knob)
        print(knob, "follows the measurements" if got == want
              else f"WRONG: {got}, want {want} from {rows}")

    candidates("amx_min_expert_tokens", "relative_time", amx and experts, "no AMX or no experts")
    candidates("decode_tasks_per_thread", "ms_per_token", threads > 1, "one thread")

if __name__ == "__main__":
    main()
