#!/usr/bin/env bash
# The main job, from a fresh clone: set up, build r1c, and import a model.
# Usage: scripts/quickstart.sh [MODEL_DIR]
# Without MODEL_DIR it generates the default model, the FP8 DeepSeek-V3 tiny
# model (../shared/models/make_tiny_model.py dsv3-tiny-fp8), and imports it.
# The r1 module is written to build/quickstart/model.mlir.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${R1C_BUILD_DIR:-$root/build}
out=$build/quickstart

"$root/scripts/setup.sh"
"$root/scripts/build.sh" r1c
mkdir -p "$out"

model=${1:-}
if [ -z "$model" ]; then
  generator=$root/../shared/models/make_tiny_model.py
  if [ ! -f "$generator" ]; then
    echo "quickstart.sh: no model given and $generator is missing;" \
         "pass a Hugging Face model directory: scripts/quickstart.sh MODEL_DIR" >&2
    exit 1
  fi
  model=$out/dsv3-tiny-fp8
  echo "quickstart.sh: generating the default model (dsv3-tiny-fp8) in $model"
  /usr/bin/python3 "$generator" dsv3-tiny-fp8 "$model" > /dev/null
fi

echo "quickstart.sh: r1c import $model -o $out/model.mlir"
"$build/bin/r1c" import "$model" -o "$out/model.mlir"
echo "quickstart.sh: imported $(grep -c '^  r1.weight @' "$out/model.mlir") weights," \
     "$(grep -c 'r1.attention' "$out/model.mlir") attention layers," \
     "$(grep -c 'r1.moe.experts' "$out/model.mlir") MoE layers into $out/model.mlir"
grep -o 'r1.model = #r1.model<[^>]*>' "$out/model.mlir"
