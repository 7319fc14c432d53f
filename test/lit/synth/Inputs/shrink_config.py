#!/usr/bin/python3
"""Shrinks a real config.json to test scale, keeping what makes it that model.

Usage: shrink_config.py CONFIG OUT

Kept: model_type, attention layout (GQA ratio rounded, MLA with or without q
LoRA), rope scaling, tied or untied head, biases, FP8 quantization, MoE
routing (scoring, top-k method, groups), dense-then-MoE layers and the MTP
layer. Shrunk: hidden 128 with 4 heads of 32, 2 layers (the first dense in
MoE models), vocabulary 1000, 8 routed experts.
"""
import json
import sys

src, out = sys.argv[1], sys.argv[2]
with open(src) as f:
    cfg = json.load(f)

heads, kv = cfg["num_attention_heads"], cfg.get("num_key_value_heads", cfg["num_attention_heads"])
cfg["num_attention_heads"] = 4
cfg["num_key_value_heads"] = max(1, 4 * kv // heads)
cfg["hidden_size"] = 128
if "head_dim" in cfg:
    cfg["head_dim"] = 32
cfg["intermediate_size"] = 256
cfg["num_hidden_layers"] = 2
cfg["vocab_size"] = 1000
for key in ("bos_token_id", "eos_token_id"):
    if isinstance(cfg.get(key), int):
        cfg[key] %= 1000
    elif isinstance(cfg.get(key), list):
        cfg[key] = [i % 1000 for i in cfg[key]]

if "kv_lora_rank" in cfg:  # MLA
    if cfg.get("q_lora_rank") is not None:
        cfg["q_lora_rank"] = 96
    cfg.update(kv_lora_rank=64, qk_nope_head_dim=32, qk_rope_head_dim=16, v_head_dim=32)
if "n_routed_experts" in cfg:  # MoE: layer 0 dense, layer 1 MoE
    cfg["first_k_dense_replace"] = min(cfg.get("first_k_dense_replace", 0), 1)
    cfg["n_routed_experts"] = 8
    cfg["n_group"] = min(cfg.get("n_group", 1), 4)
    cfg["topk_group"] = min(cfg.get("topk_group", 1), cfg["n_group"])
    cfg["num_experts_per_tok"] = min(cfg["num_experts_per_tok"], 2)
    cfg["moe_intermediate_size"] = 64

with open(out, "w") as f:
    json.dump(cfg, f, indent=2)
