#!/usr/bin/env python3
"""Checks the CUDA artifacts cuda-targets.test compiled.

Usage: check_cuda_artifacts.py DIR

For every DIR/MODEL.TARGET.json (`r1c inspect --json` of DIR/MODEL.TARGET.r1):
the inspect report names the target and lists kernels, each with registers,
no register spills and shared memory within the target's per-block limit; the
artifact's fatbin holds that target's cubin and its PTX (read with the fatbin
layout docs/cuda.md describes). Prints one line per artifact.
"""
import glob
import json
import os
import struct
import sys

# Per block, after opting in (docs/cuda.md, "Occupancy").
SMEM_LIMIT = {"sm_80": 163 * 1024, "sm_89": 99 * 1024, "sm_90a": 227 * 1024,
              "sm_100a": 227 * 1024}
REQUIRED = {"name", "registers", "spill_stores", "spill_loads", "shared_bytes", "occupancy"}


def section(artifact, name):
    """The bytes of section `name` of an r1 artifact (docs/artifact.md)."""
    with open(artifact, "rb") as f:
        data = f.read()
    # The header (docs/artifact.md) says where the manifest is; the manifest
    # lists the sections.
    magic = data[:8]
    assert magic == b"R1CARTF\0", magic
    manifest_offset, manifest_bytes = struct.unpack_from("<QQ", data, 16)
    manifest = json.loads(data[manifest_offset:manifest_offset + manifest_bytes])
    for s in manifest["sections"]:
        if s["name"] == name:
            return data[s["offset"]:s["offset"] + s["bytes"]]
    sys.exit(f"FAIL: {artifact} has no section {name}")


def fatbin_images(blob):
    magic, version, header_size, size = struct.unpack_from("<IHHQ", blob, 0)
    assert magic == 0xBA55ED50, hex(magic)
    images, at = [], header_size
    while at < header_size + size:
        kind, _, image_header, payload = struct.unpack_from("<HHIQ", blob, at)
        sm = struct.unpack_from("<I", blob, at + 28)[0]
        flags = struct.unpack_from("<Q", blob, at + 40)[0]
        arch = f"sm_{sm}" + ("a" if flags & 0x100000 else "")
        images.append(({1: "ptx", 2: "cubin"}.get(kind, str(kind)), arch))
        at += image_header + payload
    return images


def main():
    directory = sys.argv[1]
    reports = sorted(glob.glob(os.path.join(directory, "*.json")))
    order = ["qwen2-tiny", "llama-tiny", "dsv3-tiny", "dsv3-tiny-fp8"]
    reports.sort(key=lambda p: (order.index(os.path.basename(p).split(".")[0]),
                                ["sm_80", "sm_89", "sm_90a", "sm_100a"].index(os.path.basename(p).split(".")[1])))
    for path in reports:
        model, target = os.path.basename(path).split(".")[:2]
        report = json.load(open(path))
        if report["target"] != target or report["kind"] != "cuda":
            sys.exit(f"FAIL: {path}: target {report['target']} kind {report['kind']}")
        kernels = report["kernels"]
        if not kernels:
            sys.exit(f"FAIL: {path}: no kernels")
        for k in kernels:
            missing = REQUIRED - set(k)
            if missing:
                sys.exit(f"FAIL: {path}: kernel {k.get('name')} lacks {sorted(missing)}")
            if k["registers"] <= 0:
                sys.exit(f"FAIL: {path}: kernel {k['name']} reports {k['registers']} registers")
            if k["spill_stores"] or k["spill_loads"]:
                sys.exit(f"FAIL: {path}: kernel {k['name']} spills")
            if k["shared_bytes"] > SMEM_LIMIT[target]:
                sys.exit(f"FAIL: {path}: kernel {k['name']} needs {k['shared_bytes']} bytes of "
                         f"shared memory")
            if not 0 < k["occupancy"] <= 1:
                sys.exit(f"FAIL: {path}: kernel {k['name']} occupancy {k['occupancy']}")
        images = fatbin_images(section(path[:-len(".json")] + ".r1", "code"))
        for kind in ("cubin", "ptx"):
            if (kind, target) not in images:
                sys.exit(f"FAIL: {path}: the fatbin has no {kind} for {target}: {images}")
        print(f"{model} {target}: {len(kernels)} kernels, no spills")
    print(f"{len(reports)} artifacts")


if __name__ == "__main__":
    main()
