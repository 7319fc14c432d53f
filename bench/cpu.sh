#!/usr/bin/env bash
# The CPU performance table of docs/performance.md: r1c on the real shapes of
# issue 7 (random weights from `r1c synth`) at each precision, next to the
# llama.cpp figures the issue quotes for this machine kind, with the decode
# roofline of the same run (r1run bench's own bandwidth probe).
#
# Usage: bench/cpu.sh [WORK_DIR] (default build/bench-cpu; needs ~35 GB free)
#   THREADS (2), REPEAT (5), PROMPT (128), GEN (64) override the bench;
#   ROWS="qwen-bf16 qwen-int8 qwen-int4 v2lite-int8 v2lite-int4" picks rows;
#   WRITE_DOCS=0 prints the table without writing docs/performance.md;
#   KEEP=1 keeps the synthesized models and artifacts; MODELS=DIR takes
#   (or synthesizes and keeps) the models as DIR/qwen-1.5b and DIR/v2-lite.
#   LLAMA_BENCH=PATH/llama-bench LLAMA_MODELS=DIR LLAMA_GGUF_PY=DIR: also
#   measure llama.cpp in the same run, right after r1c on each row, from
#   DIR/<row>.gguf (e.g. DIR/qwen-int4.gguf, Q4_0 of the same synthesized
#   weights); its bytes per decode token come from bench/gguf_decode_bytes.py
#   with llama.cpp's gguf-py (LLAMA_GGUF_PY). Nothing of llama.cpp is in this
#   repository; docs/performance.md says how the figures there were made.
#   Without these, the table quotes issue 7's llama.cpp figures (another VM).
# Needs jq (scripts/setup.sh installs it).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${R1C_BUILD_DIR:-$root/build}
work=${1:-$build/bench-cpu}
models=${MODELS:-$work}
threads=${THREADS:-2} repeat=${REPEAT:-5} prompt=${PROMPT:-128} gen=${GEN:-64}
rows=${ROWS:-qwen-bf16 qwen-int8 qwen-int4 v2lite-int8 v2lite-int4}
command -v jq > /dev/null || { echo "bench/cpu.sh: needs jq (apt-get install jq)" >&2; exit 1; }
llama=0
if [[ -n ${LLAMA_BENCH:-} ]]; then
  [[ -x $LLAMA_BENCH && -d ${LLAMA_MODELS:-} && -d ${LLAMA_GGUF_PY:-} ]] || {
    echo "bench/cpu.sh: LLAMA_BENCH needs an executable llama-bench, LLAMA_MODELS (a directory of" \
      "<row>.gguf files) and LLAMA_GGUF_PY (llama.cpp's gguf-py directory)" >&2
    exit 1
  }
  llama=1
fi

"$root/scripts/build.sh" r1c r1run > /dev/null
mkdir -p "$work"
r1c=$build/bin/r1c r1run=$build/bin/r1run

# Per row: the model shape, its config, the --quant of the compile (empty:
# the checkpoint's types), and llama.cpp's figures from issue 7 (commit
# 34af94cd, AVX-512 build, 2 threads, same machine kind, median memory read
# bandwidth 33.7 GB/s): prefill pp128 t/s, decode tg64 t/s, decode roofline.
declare -A shape config quant precision llama_pp llama_tg llama_roof
qwen_config=$root/models/configs/DeepSeek-R1-Distill-Qwen-1.5B.json
v2_config=$root/bench/configs/deepseek-v2-lite-shape-fp8.json
for r in qwen-bf16 qwen-int8 qwen-int4; do shape[$r]=qwen-1.5b config[$r]=$qwen_config; done
for r in v2lite-int8 v2lite-int4; do shape[$r]=v2-lite config[$r]=$v2_config; done
quant[qwen-bf16]="" quant[qwen-int8]=int8 quant[qwen-int4]=int4
quant[v2lite-int8]=int8 quant[v2lite-int4]=int4
# BF16 runs in bf16 mode: activations rounded to bf16 in dot products, as
# llama.cpp does for BF16 weights (r1c's default keeps them fp32). The
# integer rows use the default (int8 activations in decode, and in prefill
# bf16 on AMX tiles or, without AMX, int8 on vpdpbusd tiles), as llama.cpp's
# Q8_0 activations do.
for r in qwen-bf16 qwen-int8 qwen-int4 v2lite-int8 v2lite-int4; do precision[$r]=default; done
precision[qwen-bf16]=bf16
llama_pp[qwen-bf16]=101 llama_tg[qwen-bf16]=10.2 llama_roof[qwen-bf16]=10.9
llama_pp[qwen-int8]=71 llama_tg[qwen-int8]=15.8 llama_roof[qwen-int8]=20.5
llama_pp[qwen-int4]=98 llama_tg[qwen-int4]=25.6 llama_roof[qwen-int4]=36.2
llama_pp[v2lite-int8]=24.0 llama_tg[v2lite-int8]=10.3 llama_roof[v2lite-int8]=12.9
llama_pp[v2lite-int4]=35.5 llama_tg[v2lite-int4]=17.7 llama_roof[v2lite-int4]=23.4
declare -A label
label[qwen-bf16]="R1-Distill-Qwen-1.5B, BF16 (--precision bf16)" label[qwen-int8]="R1-Distill-Qwen-1.5B, int8 g32 (8.5 bits)"
label[qwen-int4]="R1-Distill-Qwen-1.5B, int4 g32 (4.5 bits)"
label[v2lite-int8]="DeepSeek-V2-Lite shape, int8 g32" label[v2lite-int4]="DeepSeek-V2-Lite shape, int4 g32"

echo "== $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $threads threads" >&2
for r in $rows; do
  [[ -n ${shape[$r]:-} ]] || { echo "bench/cpu.sh: unknown row '$r'" >&2; exit 2; }
  if [[ $llama == 1 && ! -f $LLAMA_MODELS/$r.gguf ]]; then
    echo "bench/cpu.sh: no $LLAMA_MODELS/$r.gguf for row $r" >&2
    exit 1
  fi
done
# One row at a time: synthesize (once per shape), compile, bench, and unless
# KEEP=1 delete the artifact, and the synthesized model after its last row,
# so that the disk holds one shape's model and one artifact at a time (the
# V2-Lite shape: 16 GB of FP8 and a 17 GB int8 artifact).
declare -A synthesized
remaining=" $rows "
for r in $rows; do
  remaining=${remaining/ $r / }
  model=$models/${shape[$r]} artifact=$work/$r.r1
  if [[ ! -d $model ]]; then
    echo "== synth ${shape[$r]}" >&2
    "$r1c" synth "${config[$r]}" -o "$model" >&2
    synthesized[${shape[$r]}]=1
  fi
  if [[ ! -f $artifact ]]; then
    echo "== compile $r" >&2
    "$r1c" compile "$model" --target host ${quant[$r]:+--quant ${quant[$r]}} -o "$artifact" -q
  fi
  # The artifact is written out before the bench: on a 24 GB machine the
  # writeback of a just-compiled 9 GB artifact, competing for memory, slowed
  # V2-Lite int4 decode from 12.3 to 8.6 t/s in one run.
  sync
  echo "== bench $r" >&2
  "$r1run" bench "$artifact" --threads "$threads" --repeat "$repeat" --prompt-tokens "$prompt" \
    --precision "${precision[$r]}" \
    --gen-tokens "$gen" --ctx $((prompt + gen)) --json > "$work/$r.json"
  jq -c '{amx, prefill: .prefill_tokens_per_s, decode: .decode_tokens_per_s, bw: .bandwidth_gb_per_s,
          roof: .roofline_fraction, bytes: .bytes_per_decode_token}' "$work/$r.json" >&2
  if [[ $llama == 1 ]]; then
    # Right after r1c's, on the same threads, prompt and repeats.
    echo "== llama.cpp $r" >&2
    "$LLAMA_BENCH" -m "$LLAMA_MODELS/$r.gguf" -t "$threads" -p "$prompt" -n "$gen" -r "$repeat" \
      -o json > "$work/$r.llama.json"
    PYTHONPATH=$LLAMA_GGUF_PY /usr/bin/python3 "$root/bench/gguf_decode_bytes.py" \
      "$LLAMA_MODELS/$r.gguf" > "$work/$r.llama-bytes"
  fi
  if [[ ${KEEP:-0} != 1 ]]; then
    rm -f "$artifact"
    still_needed=0
    for later in $remaining; do
      if [[ ${shape[$later]} == "${shape[$r]}" ]]; then still_needed=1; fi
    done
    if [[ $still_needed == 0 && -n ${synthesized[${shape[$r]}]:-} ]]; then rm -rf "$model"; fi
  fi
done

# llama.cpp's figure for a row: the median of llama-bench's samples of the
# prompt-only (pp) or generation-only (tg) test.
llama_median() { # row pp|tg
  local select='.n_gen == 0'
  [[ $2 == tg ]] && select='.n_prompt == 0'
  jq -r "[.[] | select($select)][0].samples_ts | sort | .[length / 2 | floor] * 10 | round / 10" \
    "$work/$1.llama.json"
}

# r1c's figures of a row (r1run bench --json) into pp, pps, tg, tgs, bw,
# bytes and amx.
read_r1c_row() {
  local j=$work/$1.json
  pp=$(jq -r '.prefill_tokens_per_s.median' "$j") tg=$(jq -r '.decode_tokens_per_s.median' "$j")
  pps=$(jq -r '"\(.prefill_tokens_per_s.min)-\(.prefill_tokens_per_s.max)"' "$j")
  tgs=$(jq -r '"\(.decode_tokens_per_s.min)-\(.decode_tokens_per_s.max)"' "$j")
  bw=$(jq -r '.bandwidth_gb_per_s' "$j") bytes=$(jq -r '.bytes_per_decode_token' "$j")
  amx=$(jq -r 'if .amx then "yes" else "no" end' "$j")
}

# The table: r1c next to llama.cpp, and both as fractions of their rooflines:
# r1c's from the bandwidth it measured; llama.cpp's, when measured here, from
# the same bandwidth and its GGUF's bytes, else at the issue's 33.7 GB/s.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
percent() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d%%", 100 * a / b + 0.5 }'; }
if [[ $llama == 1 ]]; then
  table=$(
    echo "| model shape (random weights) | r1c prefill pp$prompt t/s (min-max) | AMX | llama.cpp pp$prompt | ratio | r1c decode tg$gen t/s (min-max) | llama.cpp tg$gen | ratio | MB per decode token: r1c / llama.cpp | bandwidth GB/s | r1c at roofline | llama.cpp at roofline |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    for r in $rows; do
      read_r1c_row "$r"
      lbytes=$(cat "$work/$r.llama-bytes")
      lpp=$(llama_median "$r" pp) ltg=$(llama_median "$r" tg)
      mb=$(awk -v a="$bytes" -v b="$lbytes" 'BEGIN { printf "%.0f / %.0f", a / 1e6, b / 1e6 }')
      echo "| ${label[$r]} | $pp ($pps) | $amx | $lpp | $(ratio "$pp" "$lpp") | $tg ($tgs) | $ltg | $(ratio "$tg" "$ltg") | $mb | $bw | $(percent "$tg" "$(awk -v bw="$bw" -v b="$bytes" 'BEGIN { print bw * 1e9 / b }')") | $(percent "$ltg" "$(awk -v bw="$bw" -v b="$lbytes" 'BEGIN { print bw * 1e9 / b }')") |"
    done
  )
else
table=$(
  echo "| model shape (random weights) | r1c prefill pp$prompt t/s (min-max) | AMX | llama.cpp pp128 | ratio | r1c decode tg$gen t/s (min-max) | llama.cpp tg64 | ratio | MB read per decode token | bandwidth GB/s (same run) | r1c roofline t/s | r1c at roofline | llama.cpp at its roofline (33.7 GB/s) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for r in $rows; do
    read_r1c_row "$r"
    roof=$(awk -v bw="$bw" -v b="$bytes" 'BEGIN { printf "%.1f", bw * 1e9 / b }')
    frac=$(jq -r '.roofline_fraction * 100 | round' "$work/$r.json")
    lfrac=$(awk -v t="${llama_tg[$r]}" -v f="${llama_roof[$r]}" 'BEGIN { printf "%d", 100 * t / f + 0.5 }')
    echo "| ${label[$r]} | $pp ($pps) | $amx | ${llama_pp[$r]} | $(ratio "$pp" "${llama_pp[$r]}") | $tg ($tgs) | ${llama_tg[$r]} | $(ratio "$tg" "${llama_tg[$r]}") | $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }') | $bw | $roof | $frac% | $lfrac% |"
  done
)
fi
stamp="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs, $threads threads; $(date -u +%Y-%m-%d); r1c $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo '+changes'); \`bench/cpu.sh\` with REPEAT=$repeat PROMPT=$prompt GEN=$gen"
if [[ $llama == 1 ]]; then
  commit=$(git -C "$(dirname "$LLAMA_GGUF_PY")" rev-parse --short=8 HEAD 2>/dev/null || echo unknown)
  stamp+="; llama.cpp $commit measured in the same run (llama-bench -t $threads -p $prompt -n $gen -r $repeat, median of its samples)"
fi
echo "$table"
echo "$stamp"
if [[ ${WRITE_DOCS:-1} == 1 ]]; then
  doc=$root/docs/performance.md
  tmp=$(mktemp "$doc.XXXXXX")
  awk -v table="$table" -v stamp="Measured: $stamp." '
    /<!-- cpu.sh table begin -->/ { print; print stamp; print ""; print table; skip = 1; next }
    /<!-- cpu.sh table end -->/ { skip = 0 }
    !skip' "$doc" > "$tmp"
  mv "$tmp" "$doc"
  echo "bench/cpu.sh: wrote the table into $doc" >&2
fi
