#!/usr/bin/python3
"""Bytes of weights one decode token reads from a llama.cpp GGUF file.

bench/cpu.sh's same-VM llama.cpp comparison divides the bandwidth it measured
by this to get llama.cpp's own decode roofline, counted the way r1c counts its
own (runtime BenchCommand: every weight once, one embedding row, top_k / experts
of the routed experts): every tensor once, except token_embd (one row, unless
the model has no output.weight and the head reads it whole) and the stacked
routed experts (*_exps), counted at expert_used_count / expert_count. The KV
rows attention reads are not counted (a few hundred KB at bench contexts).

Usage: PYTHONPATH=LLAMA_CPP_DIR/gguf-py /usr/bin/python3 bench/gguf_decode_bytes.py FILE.gguf
Prints the byte count. Reads tensor metadata only (gguf-py, llama.cpp's own
reader of its format, from a local checkout; nothing of it is in this repo).
"""
import sys

try:
    from gguf import GGUFReader
except ImportError:
    sys.exit("gguf_decode_bytes.py: needs llama.cpp's gguf-py on PYTHONPATH "
             "(PYTHONPATH=LLAMA_CPP_DIR/gguf-py)")


def field_int(reader, key):
    field = reader.get_field(key)
    return None if field is None else int(field.parts[field.data[0]][0])


def decode_bytes(path):
    reader = GGUFReader(path)
    arch_field = reader.get_field("general.architecture")
    arch = bytes(arch_field.parts[arch_field.data[0]]).decode()
    used = field_int(reader, f"{arch}.expert_used_count")
    experts = field_int(reader, f"{arch}.expert_count")
    names = {t.name for t in reader.tensors}
    total = 0.0
    for t in reader.tensors:
        if t.name == "token_embd.weight" and "output.weight" in names:
            rows = int(t.shape[-1]) if len(t.shape) > 1 else 1  # gguf shapes: ne0 first
            total += t.n_bytes / max(rows, 1)
        elif "_exps" in t.name and used and experts:
            total += t.n_bytes * used / experts
        else:
            total += t.n_bytes
    return int(total)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: PYTHONPATH=LLAMA_CPP_DIR/gguf-py bench/gguf_decode_bytes.py FILE.gguf")
    print(decode_bytes(sys.argv[1]))
