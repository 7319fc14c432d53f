#!/usr/bin/python3
"""Break an r1c artifact in one way, in place, for r1run's lit tests.

Usage: corrupt_artifact.py FILE --section NAME   flip a byte in the middle of section NAME
       corrupt_artifact.py FILE --version N      set the header's format_version to N
       corrupt_artifact.py FILE --truncate N     keep only the first N bytes
"""
import json
import struct
import sys

path, mode, arg = sys.argv[1], sys.argv[2], sys.argv[3]
data = bytearray(open(path, "rb").read())
if mode == "--section":
    # Header: magic[8], u32 version, u32 header_bytes, u64 manifest_offset, u64 manifest_bytes.
    offset, size = struct.unpack_from("<QQ", data, 16)
    manifest = json.loads(data[offset:offset + size])
    section = next(s for s in manifest["sections"] if s["name"] == arg)
    data[section["offset"] + section["bytes"] // 2] ^= 0xFF
elif mode == "--version":
    struct.pack_into("<I", data, 8, int(arg))
elif mode == "--truncate":
    del data[int(arg):]
else:
    sys.exit("unknown mode " + mode)
open(path, "wb").write(data)
