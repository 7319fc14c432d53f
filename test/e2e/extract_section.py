#!/usr/bin/env python3
"""Writes one section of an r1 artifact to a file.

Usage: extract_section.py ARTIFACT SECTION OUT

The header gives the manifest's place (docs/artifact.md); the manifest lists
the sections with their offsets and sizes.
"""
import json
import struct
import sys


def main():
    artifact, name, out = sys.argv[1:4]
    data = open(artifact, "rb").read()
    if data[:8] != b"R1CARTF\0":
        sys.exit(f"{artifact}: not an r1 artifact")
    offset, size = struct.unpack_from("<QQ", data, 16)
    manifest = json.loads(data[offset:offset + size])
    for section in manifest["sections"]:
        if section["name"] == name:
            with open(out, "wb") as f:
                f.write(data[section["offset"]:section["offset"] + section["bytes"]])
            return
    sys.exit(f"{artifact}: no section {name}")


if __name__ == "__main__":
    main()
