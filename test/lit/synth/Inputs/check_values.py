#!/usr/bin/python3
"""Checks a model directory written by `r1c synth` (pure Python, no numpy).

Usage:
  check_values.py MODEL_DIR SEED   the layout and the values for SEED
  check_values.py --same DIR1 DIR2 both hold the same tensors with the same bytes,
                                   however they are sharded

Layout: every safetensors file has an 8-byte header length, a JSON header
whose end is padded to 8 bytes, {"format": "pt"} metadata, and tensors back to
back from offset 0 to the end of the file; an index lists exactly the
tensors of its shards with total_size their bytes.

Values: the first and last elements of every tensor equal an independent
implementation of the generator docs/synth.md describes (splitmix64 over an
FNV-1a key, Irwin-Hall n=4, float32 arithmetic, round-to-nearest-even
encoders), and each kind of tensor has the documented mean and standard
deviation (FP8 weights after dequantization with their block scales).
"""
import array
import json
import math
import os
import struct
import sys

M64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15
EDGE = 256  # elements compared with the reference at each end of a tensor
SIZES = {"BF16": 2, "F16": 2, "F32": 4, "F8_E4M3": 1}


def fail(message):
    sys.exit("check_values.py: " + message)


# --- The model directory --------------------------------------------------

def read_file(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    if (8 + n) % 8:
        fail("%s: data section at %d is not 8-byte aligned" % (path, 8 + n))
    header = json.loads(data[8:8 + n])
    if header.pop("__metadata__", None) != {"format": "pt"}:
        fail("%s: __metadata__ is not {'format': 'pt'}" % path)
    body = data[8 + n:]
    tensors = {}
    end = 0
    for name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, stop = entry["data_offsets"]
        if begin != end:
            fail("%s: tensor %s starts at %d, expected %d" % (path, name, begin, end))
        count = math.prod(entry["shape"])
        if stop - begin != count * SIZES[entry["dtype"]]:
            fail("%s: tensor %s has %d bytes for %s" % (path, name, stop - begin, entry))
        tensors[name] = (entry["dtype"], entry["shape"], body[begin:stop])
        end = stop
    if end != len(body):
        fail("%s: %d bytes after the last tensor" % (path, len(body) - end))
    return tensors


def read_model(model_dir):
    index_path = os.path.join(model_dir, "model.safetensors.index.json")
    if not os.path.exists(index_path):
        return read_file(os.path.join(model_dir, "model.safetensors")), 1
    with open(index_path) as f:
        index = json.load(f)
    tensors = {}
    shards = sorted(set(index["weight_map"].values()))
    for shard in shards:
        for name, tensor in read_file(os.path.join(model_dir, shard)).items():
            if index["weight_map"].get(name) != shard:
                fail("%s: %s is in %s but the index says %s"
                     % (index_path, name, shard, index["weight_map"].get(name)))
            tensors[name] = tensor
    if set(tensors) != set(index["weight_map"]):
        fail("%s: weight_map names tensors the shards do not hold" % index_path)
    total = sum(len(t[2]) for t in tensors.values())
    if index["metadata"]["total_size"] != total:
        fail("%s: total_size %d, tensors hold %d bytes"
             % (index_path, index["metadata"]["total_size"], total))
    return tensors, len(shards)


# --- The reference generator (docs/synth.md) ------------------------------

def f32(x):
    """x rounded to float32. A float32 +, * computed in double and rounded
    once is the float32 result (double has more than 2 x 24 + 2 bits)."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def tensor_key(seed, name):
    h = 0xCBF29CE484222325
    for byte in name.encode():
        h = ((h ^ byte) * 0x100000001B3) & M64
    return mix64(h ^ mix64((seed + GAMMA) & M64))


INV_STD = f32(1.0 / 37837.22723720648)


def normal(bits):
    lanes = (bits & 0xFFFF) + ((bits >> 16) & 0xFFFF) + ((bits >> 32) & 0xFFFF) + (bits >> 48)
    return f32(float(lanes - 131070) * INV_STD)


def kind_of(name, dtype, rank):
    if name.endswith("_scale_inv"):
        return "fp8-scale"
    if dtype == "F8_E4M3":
        return "fp8-weight"
    if name.endswith("e_score_correction_bias"):
        return "correction-bias"
    if rank == 1:
        return "bias" if name.endswith(".bias") else "norm"
    return "weight"


# (mean, std) of the value before encoding.
DISTRIBUTIONS = {"weight": (0.0, 0.02), "norm": (1.0, 0.02), "bias": (0.0, 0.01),
                 "correction-bias": (0.0, 0.01), "fp8-weight": (0.0, 100.0)}


def reference_value(kind, bits):
    if kind == "fp8-scale":
        u = f32(float(bits >> 40) * (1.0 / 16777216.0))
        spread = f32(f32(0.9) + f32(f32(0.2) * u))
        return f32(f32(2e-4) * spread)
    mean, std = DISTRIBUTIONS[kind]
    return f32(f32(mean) + f32(f32(std) * normal(bits)))


def e4m3_value(code):
    e, m = (code >> 3) & 0xF, code & 7
    magnitude = (m / 8.0) * 2.0 ** -6 if e == 0 else (1 + m / 8.0) * 2.0 ** (e - 7)
    return -magnitude if code & 0x80 else magnitude


E4M3_POSITIVE = [(e4m3_value(c), c) for c in range(0x7F)]  # 0x7F is NaN


def encode(dtype, value):
    if dtype == "F32":
        return struct.pack("<f", value)
    if dtype == "F16":
        return struct.pack("<e", value)
    if dtype == "BF16":
        (u,) = struct.unpack("<I", struct.pack("<f", value))
        return struct.pack("<H", ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) & 0xFFFF)
    # F8_E4M3: nearest, ties to the even code, saturating at 448.
    best = min(E4M3_POSITIVE, key=lambda vc: (abs(abs(value) - vc[0]), vc[1] & 1))[1]
    return bytes([best | (0x80 if value < 0 or (value == 0 and math.copysign(1, value) < 0)
                          else 0)])


def decode(dtype, data):
    if dtype == "F32":
        return array.array("f", data)
    if dtype == "F16":
        return list(struct.unpack("<%de" % (len(data) // 2), data))
    if dtype == "BF16":
        halves = array.array("H", data)
        return array.array("f", array.array("I", (h << 16 for h in halves)).tobytes())
    return [E4M3_DECODED[b] for b in data]


E4M3_DECODED = [e4m3_value(c) for c in range(256)]


# --- Checks ----------------------------------------------------------------

def check_reference(tensors, seed):
    for name, (dtype, shape, data) in tensors.items():
        kind = kind_of(name, dtype, len(shape))
        key = tensor_key(seed, name)
        size = SIZES[dtype]
        count = len(data) // size
        indices = sorted(set(range(min(EDGE, count))) | set(range(max(0, count - EDGE), count)))
        for i in indices:
            expected = encode(dtype, reference_value(kind, mix64((key + (i + 1) * GAMMA) & M64)))
            if data[i * size:(i + 1) * size] != expected:
                fail("tensor %s element %d is %s, the reference gives %s"
                     % (name, i, data[i * size:(i + 1) * size].hex(), expected.hex()))


def dequantized(tensors, name):
    dtype, shape, data = tensors[name]
    codes = decode(dtype, data)
    _, scale_shape, scale_data = tensors[name + "_scale_inv"]
    scales = decode("F32", scale_data)
    rows, cols = shape
    bc = -(-cols // scale_shape[1])
    br = -(-rows // scale_shape[0])
    return [codes[r * cols + c] * scales[(r // br) * scale_shape[1] + c // bc]
            for r in range(rows) for c in range(cols)]


def check_statistics(tensors):
    pooled = {}
    for name, (dtype, shape, data) in tensors.items():
        kind = kind_of(name, dtype, len(shape))
        if kind == "fp8-weight":
            values = dequantized(tensors, name)
            kind = "fp8-dequantized"
        else:
            values = decode(dtype, data)
        pooled.setdefault(kind, []).extend(values)
    expected = dict(DISTRIBUTIONS)
    expected["fp8-dequantized"] = (0.0, 0.02)
    del expected["fp8-weight"]
    lines = []
    for kind, values in sorted(pooled.items()):
        n = len(values)
        mean = sum(values) / n
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / n)
        if kind == "fp8-scale":
            if not all(1.8e-4 <= v <= 2.2e-4 for v in values):
                fail("fp8 scales outside 2e-4 x [0.9, 1.1]")
            lines.append("%s: %d values in 2e-4 x [0.9, 1.1]" % (kind, n))
            continue
        want_mean, want_std = expected[kind]
        # Five standard errors either way.
        if abs(mean - want_mean) > 5 * want_std / math.sqrt(n) + 1e-6:
            fail("%s: mean %g over %d values, expected %g" % (kind, mean, n, want_mean))
        if abs(std / want_std - 1) > 5 / math.sqrt(2 * n) + 0.01:
            fail("%s: std %g over %d values, expected %g" % (kind, std, n, want_std))
        lines.append("%s: %d values, mean %g, std %g" % (kind, n, want_mean, want_std))
    return lines


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--same":
        a, _ = read_model(sys.argv[2])
        b, _ = read_model(sys.argv[3])
        if a != b:
            differing = sorted(n for n in set(a) | set(b) if a.get(n) != b.get(n))
            fail("%d tensors differ, first %s" % (len(differing), differing[0]))
        print("same: %d tensors" % len(a))
        return
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    tensors, files = read_model(sys.argv[1])
    print("layout: %d tensors in %d file%s" % (len(tensors), files, "s" if files > 1 else ""))
    check_reference(tensors, int(sys.argv[2]))
    print("reference: ok")
    for line in check_statistics(tensors):
        print(line)


main()
