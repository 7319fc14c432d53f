"""Checks `r1c cuda-compile --json` against the fatbin it wrote.

Usage: check_cuda_report.py REPORT.json FATBIN

Asserts the fatbin file is the size the report says and starts with the
fatbin magic; prints one line per target (its PTX target) and per kernel
(resources, occupancy) and per fatbin image, for FileCheck.
"""
import json
import struct
import sys

report = json.load(open(sys.argv[1]))
fatbin = open(sys.argv[2], "rb").read()
assert len(fatbin) == report["fatbin"]["bytes"], (len(fatbin), report["fatbin"]["bytes"])
assert struct.unpack_from("<I", fatbin)[0] == 0xBA55ED50, "no fatbin magic"
print("toolkit CUDA %s" % report["toolkit"]["version"])
for target in report["targets"]:
    assert target["ptx_bytes"] > 0 and target["cubin_bytes"] > 0, target
    print("%s ptx .target %s" % (target["target"], target["ptx_target"]))
    for k in sorted(target["kernels"], key=lambda k: k["name"]):
        sane = k["entry"] and k["registers"] > 0 and k["registers"] <= 255
        print("  %s %s spills %d/%d stack %d smem %d occupancy %s" % (
            k["name"], "registers>0" if sane else "REGISTERS %d" % k["registers"],
            k["spill_store_bytes"], k["spill_load_bytes"], k["stack_frame_bytes"],
            k["static_smem_bytes"], k["occupancy"]["limited_by"] or "NONE"))
for image in report["fatbin"]["images"]:
    print("image %s %s" % (image["arch"], image["kind"]))
