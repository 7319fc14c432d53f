#!/usr/bin/env bash
# The main job, from a fresh clone and from the project alone (no ../shared):
# set up, build r1c and r1run, make a small random-weight model with the real
# DeepSeek-R1 tokenizer, compile it for this CPU, and generate with it.
#
# Usage: scripts/quickstart.sh [MODEL_DIR]
#   Without MODEL_DIR: `r1c synth models/configs/r1c-demo-small.json` (a
#   4-layer Llama-architecture model with DeepSeek-R1's 129,280-token
#   vocabulary; random weights, so the generated tokens are random too).
#   With MODEL_DIR: compiles and runs that Hugging Face model directory.
# Outputs go to build/quickstart/: the model, model.r1, the phases of the compile.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${R1C_BUILD_DIR:-$root/build}
out=$build/quickstart

"$root/scripts/setup.sh"
"$root/scripts/build.sh" r1c r1run
mkdir -p "$out"

model=${1:-}
if [ -z "$model" ]; then
  tokenizer=$build/tokenizers/deepseek-v3
  "$root/scripts/fetch-tokenizer.sh" "$tokenizer"
  model=$out/r1c-demo-small
  rm -rf "$model"
  echo "quickstart.sh: r1c synth models/configs/r1c-demo-small.json -o $model"
  "$build/bin/r1c" synth "$root/models/configs/r1c-demo-small.json" -o "$model" \
    --tokenizer "$tokenizer" --seed 1
fi

echo "quickstart.sh: r1c compile $model --target host -o $out/model.r1"
rm -rf "$out/phases"
"$build/bin/r1c" compile "$model" --target host -o "$out/model.r1" --dump-phases-to "$out/phases"
"$build/bin/r1run" info "$out/model.r1"

# One question through R1's chat format with R1's sampling defaults; a model
# directory without an R1 tokenizer gets token ids instead.
if "$build/bin/r1run" generate "$out/model.r1" --prompt "What is 17 * 23?" --max-tokens 1 \
     >/dev/null 2>&1; then
  echo "quickstart.sh: r1run generate $out/model.r1 --prompt 'What is 17 * 23?' --max-tokens 48 --seed 1"
  "$build/bin/r1run" generate "$out/model.r1" --prompt "What is 17 * 23?" --max-tokens 48 --seed 1
else
  echo "quickstart.sh: r1run $out/model.r1 --tokens 0,128803 --generate 32 (no R1 tokenizer)"
  "$build/bin/r1run" "$out/model.r1" --tokens 0,128803 --generate 32
fi
echo "quickstart.sh: the weights are random, so the text is random too; the phases of the" \
     "compile are in $out/phases"
