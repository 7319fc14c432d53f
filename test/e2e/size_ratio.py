#!/usr/bin/env python3
"""size_ratio.py ARTIFACT MODEL_DIR MAX: fails unless the artifact's weights
section is at most MAX times the total size of the model directory's
safetensors files (the tokenizer and code sections are not weights)."""
import glob
import json
import os
import struct
import sys

artifact, model, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
with open(artifact, "rb") as f:
    header = f.read(64)
    offset, size = struct.unpack("<QQ", header[16:32])
    f.seek(offset)
    manifest = json.loads(f.read(size))
packed = next(s["bytes"] for s in manifest["sections"] if s["name"] == "weights")
weights = sum(os.path.getsize(p) for p in glob.glob(os.path.join(model, "*.safetensors")))
print(f"weights section {packed} bytes, safetensors {weights} bytes, ratio {packed / weights:.3f}")
if packed > limit * weights:
    sys.exit(f"FAIL: ratio {packed / weights:.3f} > {limit}")
