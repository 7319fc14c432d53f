#!/usr/bin/python3
"""Break a model directory in one named way, for the importer's error tests.

Usage: corrupt_model.py MODEL_DIR CASE

Safetensors files are rewritten whole (header length, header JSON, data), so
each case changes exactly what it names and nothing else.
"""
import json
import os
import struct
import sys


def read_st(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def write_st(path, header, data):
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)
    os.replace(tmp, path)


def shard_of(model, tensor):
    index = os.path.join(model, "model.safetensors.index.json")
    if os.path.exists(index):
        return os.path.join(model, json.load(open(index))["weight_map"][tensor])
    return os.path.join(model, "model.safetensors")


def edit_header(model, tensor, edit):
    path = shard_of(model, tensor)
    header, data = read_st(path)
    grown = edit(header, data)
    write_st(path, header, grown if isinstance(grown, bytes) else data)


def edit_index(model, edit):
    path = os.path.join(model, "model.safetensors.index.json")
    index = json.load(open(path))
    edit(index["weight_map"])
    json.dump(index, open(path, "w"), indent=2)


def edit_config(model, edit):
    path = os.path.join(model, "config.json")
    cfg = json.load(open(path))
    edit(cfg)
    json.dump(cfg, open(path, "w"), indent=2)


def main():
    model, case = sys.argv[1], sys.argv[2]
    norm = "model.norm.weight"
    first = os.path.join(model, "model.safetensors")
    if not os.path.exists(first):
        first = os.path.join(model, "model-00001-of-00002.safetensors")

    if case == "no-config":
        os.remove(os.path.join(model, "config.json"))
    elif case == "config-not-json":
        open(os.path.join(model, "config.json"), "w").write('{"model_type": "llama",,}')
    elif case == "unknown-arch":
        edit_config(model, lambda c: c.update(model_type="gpt2", architectures=["GPT2LMHeadModel"]))
    elif case == "missing-field":
        edit_config(model, lambda c: c.pop("num_attention_heads"))
    elif case == "config-lies":
        # A config whose layer count disagrees with the weights: layer 3 is absent.
        edit_config(model, lambda c: c.update(num_hidden_layers=c["num_hidden_layers"] + 1))
    elif case == "config-wrong-size":
        edit_config(model, lambda c: c.update(intermediate_size=c["intermediate_size"] * 2))
    elif case == "no-weights":
        for name in os.listdir(model):
            if name.endswith(".safetensors") or name.endswith(".index.json"):
                os.remove(os.path.join(model, name))
    elif case == "header-past-eof":
        blob = open(first, "rb").read()
        open(first, "wb").write(struct.pack("<Q", len(blob)) + blob[8:])
    elif case == "header-not-json":
        blob = bytearray(open(first, "rb").read())
        blob[8:16] = b"{garbage"
        open(first, "wb").write(bytes(blob))
    elif case == "truncated":
        blob = open(first, "rb").read()
        open(first, "wb").write(blob[:len(blob) // 2])
    elif case == "offsets-out-of-range":
        def edit(h, d):
            b, e = h[norm]["data_offsets"]
            h[norm]["data_offsets"] = [len(d) + b - e + 64, len(d) + 64]
        edit_header(model, norm, edit)
    elif case == "offsets-overlap":
        def edit(h, d):
            other = next(n for n in h if n not in ("__metadata__", norm) and
                         h[n]["data_offsets"][1] - h[n]["data_offsets"][0] >
                         h[norm]["data_offsets"][1] - h[norm]["data_offsets"][0])
            b = h[other]["data_offsets"][0]
            size = h[norm]["data_offsets"][1] - h[norm]["data_offsets"][0]
            h[norm]["data_offsets"] = [b, b + size]
        edit_header(model, norm, edit)
    elif case == "offsets-size-mismatch":
        edit_header(model, norm, lambda h, d: h[norm]["data_offsets"].__setitem__(1, h[norm]["data_offsets"][1] - 2))
    elif case == "unknown-dtype":
        edit_header(model, norm, lambda h, d: h[norm].update(dtype="Q4_K"))
    elif case == "wrong-dtype":
        edit_header(model, norm, lambda h, d: h[norm].update(dtype="I16"))
    elif case == "missing-tensor":
        edit_header(model, norm, lambda h, d: h.pop(norm))
    elif case == "shape-mismatch":
        # Same element count, so the offsets still match: only the shape is wrong.
        def edit(h, d):
            n = h[norm]["shape"][0]
            h[norm]["shape"] = [2, n // 2]
        edit_header(model, norm, edit)
    elif case == "extra-tensor":
        def edit(h, d):
            h["model.layers.0.self_attn.rotary_emb.inv_freq"] = {
                "dtype": "F32", "shape": [2], "data_offsets": [len(d), len(d) + 8]}
            return d + b"\0" * 8
        edit_header(model, norm, edit)
    elif case in ("unindexed-tensor", "many-extra-tensors"):
        count = 1 if case == "unindexed-tensor" else 12
        def edit(h, d):
            for i in range(count):
                h["extra.%02d.weight" % i] = {"dtype": "F32", "shape": [2],
                                              "data_offsets": [len(d) + 8 * i, len(d) + 8 * i + 8]}
            return d + b"\0" * (8 * count)
        edit_header(model, norm, edit)
    elif case == "missing-shard":
        os.remove(os.path.join(model, "model-00002-of-00002.safetensors"))
    elif case == "missing-scale":
        name = "model.layers.0.self_attn.q_a_proj.weight_scale_inv"
        edit_header(model, name, lambda h, d: h.pop(name))
        edit_index(model, lambda m: m.pop(name))
    elif case == "index-wrong-shard":
        edit_index(model, lambda m: m.update({norm: "model-00001-of-00002.safetensors"
                                              if m[norm].startswith("model-00002")
                                              else "model-00002-of-00002.safetensors"}))
    elif case == "index-not-json":
        open(os.path.join(model, "model.safetensors.index.json"), "w").write("[1, 2")
    elif case == "expert-dtype-mismatch":
        # One expert stored as BF16 while the others are FP8.
        name = "model.layers.1.mlp.experts.5.up_proj.weight"
        def edit(h, d):
            b, e = h[name]["data_offsets"]
            h[name].update(dtype="BF16", data_offsets=[len(d), len(d) + 2 * (e - b)])
            return d + b"\0" * (2 * (e - b))
        edit_header(model, name, edit)
    else:
        sys.exit("unknown case " + case)


if __name__ == "__main__":
    main()
