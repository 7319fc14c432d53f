#!/usr/bin/env python3
"""Checks `r1run bench --json` of a dense model against its manifest.

Usage: check_bench.py BENCH.json MANIFEST.json PROMPT GEN

The bytes one decode token reads, recomputed from the manifest's weight list
(independently of the compiler's decode_weight_bytes_per_token): every
weight once, except the embedding table, of which the lookup reads one row
and a tied head (no lm_head weight) all of it; plus the KV cache rows
attention reads, kv_bytes_per_token x (PROMPT + (GEN + 1) / 2) on average.
Then the roofline arithmetic: bandwidth / bytes vs decode tokens/s. Prints
one line per check.
"""
import json
import sys

from cpu_amx import amx_allowed


def main():
    bench = json.load(open(sys.argv[1]))
    manifest = json.load(open(sys.argv[2]))
    prompt, gen = int(sys.argv[3]), int(sys.argv[4])
    weights = manifest["weights"]
    vocab = manifest["model"]["vocab_size"]
    embed = [w for w in weights if w["name"].startswith("model.embed_tokens.weight")]
    head = [w for w in weights if w["name"].startswith("lm_head.weight")]
    assert len(embed) == 1, [w["name"] for w in weights]
    total = sum(w["bytes"] for w in weights)
    table = embed[0]["bytes"]
    weight_bytes = total - table + table // vocab + (0 if head else table)
    kv = manifest["memory"]["kv_bytes_per_token"] * (prompt + (gen + 1) / 2)
    want = round(weight_bytes + kv)
    got = bench["bytes_per_decode_token"]
    print("bytes_per_decode_token", "matches" if got == want else f"MISMATCH {got} != {want}",
          "the manifest" + (" (tied head)" if not head else ""))
    bandwidth = bench["bandwidth_gb_per_s"]
    decode = bench["decode_tokens_per_s"]["median"]
    roofline = bandwidth * 1e9 / got
    fraction = decode / roofline
    ok = bandwidth > 1 and abs(fraction - bench["roofline_fraction"]) < 0.01
    print("roofline_fraction", "is decode / (bandwidth / bytes)" if ok else
          f"WRONG: {bench['roofline_fraction']} vs {fraction:.3f} (bandwidth {bandwidth})")
    for key in ("prefill_tokens_per_s", "decode_tokens_per_s"):
        s = bench[key]
        print(key, "ordered" if 0 < s["min"] <= s["median"] <= s["max"] else f"BAD {s}")
    # Prefill on AMX tiles: where the code has them (optional_isa), this CPU
    # has them (Linux lists amx_tile and amx_bf16 only when it supports
    # them), R1_NO_AMX is unset, and the precision rounds activations (bf16
    # mode, or the default with integer weights).
    cpu = amx_allowed()
    code = "amx-bf16" in manifest["target"].get("optional_isa", [])
    int_weights = any(w["dtype"] in ("i8", "i4") for w in weights)
    rounds = bench["precision"] == "bf16" or (bench["precision"] == "default" and int_weights)
    # ... and the prompt's step is past the kernels' default thresholds (the
    # artifacts checked here are untuned): AMX from 16 tokens, GEMV up to 8.
    want_amx = cpu and code and rounds and prompt >= 16 and prompt > 8
    print("amx", "matches the CPU, the code and the precision" if bench["amx"] == want_amx
          else f"WRONG: {bench['amx']}, want {want_amx}")


if __name__ == "__main__":
    main()
