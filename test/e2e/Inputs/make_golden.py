#!/usr/bin/python3
"""Writes goldens (the format of ../shared/goldens) for a DeepSeek model with
deepseek_reference.py, the float64 NumPy forward pass of this directory.

Usage: make_golden.py MODEL_DIR PROMPTS.json OUT_PREFIX [PROMPT...] [--spec NAME] [--w8a8]

Writes OUT_PREFIX.PROMPT.json for each PROMPT (default: short long) of
PROMPTS.json (../shared/goldens/prompts.json). Tokens: [bos_token_id] +
prompts[PROMPT]; ids >= vocab_size (tiny vocabularies) are taken modulo
vocab_size, so each golden's "tokens" are exactly what r1run is fed.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deepseek_reference  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("prompts")
    ap.add_argument("out_prefix")
    ap.add_argument("prompt", nargs="*", default=["short", "long"])
    ap.add_argument("--spec", default=None)
    ap.add_argument("--w8a8", action="store_true", help="DeepSeek's W8A8 recipe (act_quant)")
    a = ap.parse_args()
    model = deepseek_reference.load(a.model, a.w8a8)
    vocab = model.cfg["vocab_size"]
    prompts = json.load(open(a.prompts))
    spec = a.spec or os.path.basename(os.path.normpath(a.model))
    for name in a.prompt:
        tokens = [model.cfg.get("bos_token_id", 0)] + [t % vocab for t in prompts[name]]
        with open(f"{a.out_prefix}.{name}.json", "w") as f:
            json.dump(deepseek_reference.golden(model, tokens, spec, name), f)
            f.write("\n")


if __name__ == "__main__":
    main()
