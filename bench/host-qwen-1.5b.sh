#!/usr/bin/env bash
# Measures r1c on the real DeepSeek-R1-Distill-Qwen-1.5B shape (random BF16
# weights from `r1c synth`): synth time and peak RSS, compile time and peak
# RSS, artifact size, and r1run bench prefill/decode tokens/s at each
# precision. The figures in docs/building.md come from this script.
#
# Usage: bench/host-qwen-1.5b.sh [WORK_DIR] (default build/bench; needs ~7.5 GB)
#   THREADS (default 2), REPEAT (default 5), PROMPT (128), GEN (64) override.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${R1C_BUILD_DIR:-$root/build}
work=${1:-$build/bench}
threads=${THREADS:-2} repeat=${REPEAT:-5} prompt=${PROMPT:-128} gen=${GEN:-64}
config=$root/models/configs/DeepSeek-R1-Distill-Qwen-1.5B.json

"$root/scripts/build.sh" r1c r1run > /dev/null
mkdir -p "$work"
model=$work/qwen-1.5b artifact=$work/qwen-1.5b.r1
rm -rf "$model" "$artifact"

measure() { # label, command...: wall seconds and peak RSS of one run
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > /dev/null 2> "$work/log.txt" ||
    { cat "$work/log.txt" >&2; exit 1; }
  read -r wall rss < "$work/time.txt"
  printf '%-8s wall %6.1f s   peak RSS %6.0f MB\n' "$label" "$wall" "$((rss / 1024))"
}

echo "== $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
measure synth "$build/bin/r1c" synth "$config" -o "$model"
echo "         model $(du -sb "$model" | cut -f1) bytes"
measure compile "$build/bin/r1c" compile "$model" --target host -o "$artifact"
echo "         artifact $(stat -c %s "$artifact") bytes; $(grep -o 'package: [0-9.]* s' "$work/log.txt")"
for precision in default fp32 bf16; do
  echo "== r1run bench --threads $threads --precision $precision"
  "$build/bin/r1run" bench "$artifact" --threads "$threads" --precision "$precision" \
    --prompt-tokens "$prompt" --gen-tokens "$gen" --repeat "$repeat" | grep -E '^(prefill|decode)'
done
