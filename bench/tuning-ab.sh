#!/usr/bin/env bash
# Prefill tokens/s by prompt length for three tilings of one tuned artifact,
# interleaved in one session (these machines drift; compare within a row):
#   tiles only  every step of 2+ tokens on the GEMM tiles, AMX from 2 tokens
#               where the CPU has it (r1c before the GEMV path and the
#               thresholds: --tuning amx_min_tokens=1,amx_min_expert_tokens=1,gemv_max_tokens=1)
#   defaults    the kernels' defaults (--no-tuning)
#   tuned       what `r1c tune` recorded in the artifact
# Prints a markdown table (medians of REPEAT runs) and the artifact's tuning.
#
#   bench/tuning-ab.sh ARTIFACT [LENGTH ...]     (default lengths 2 4 8 16 32 128)
#   THREADS=2 REPEAT=5 bench/tuning-ab.sh qwen-int4.r1 2 8 128
# Needs jq.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
r1run="${R1RUN:-$root/build/bin/r1run}"
[ $# -ge 1 ] || { echo "usage: bench/tuning-ab.sh ARTIFACT [LENGTH ...]" >&2; exit 2; }
artifact="$1"; shift
lengths=("$@"); [ ${#lengths[@]} -gt 0 ] || lengths=(2 4 8 16 32 128)
threads="${THREADS:-2}" repeat="${REPEAT:-5}"
command -v jq > /dev/null || { echo "bench/tuning-ab.sh: needs jq (apt-get install jq)" >&2; exit 1; }
"$r1run" info "$artifact" | grep '^tuning:' >&2

declare -A flags=(
  [tiles]="--no-tuning --tuning amx_min_tokens=1,amx_min_expert_tokens=1,gemv_max_tokens=1"
  [defaults]="--no-tuning"
  [tuned]=""
)
configs=(tiles defaults tuned)
declare -A rate
for n in "${lengths[@]}"; do
  declare -A runs=()
  for ((r = 0; r < repeat; r++)); do
    for c in "${configs[@]}"; do
      # shellcheck disable=SC2086
      t=$("$r1run" bench "$artifact" --threads "$threads" --prompt-tokens "$n" --gen-tokens 0 \
            --repeat 1 --no-probe --ctx $((n + 8)) --json ${flags[$c]} |
          jq '.prefill_tokens_per_s.median')
      runs[$c]+="$t "
    done
  done
  for c in "${configs[@]}"; do
    rate[$n,$c]=$(tr ' ' '\n' <<< "${runs[$c]}" | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
  done
  echo "== $n tokens: tiles ${rate[$n,tiles]}, defaults ${rate[$n,defaults]}, tuned ${rate[$n,tuned]}" >&2
done

echo "Measured: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $threads threads; $(date -u +%Y-%m-%d); $(basename "$artifact"); \`bench/tuning-ab.sh\` with REPEAT=$repeat."
echo
echo "| prompt tokens | tiles only t/s | defaults t/s | tuned t/s | tuned / tiles only |"
echo "|---|---|---|---|---|"
for n in "${lengths[@]}"; do
  echo "| $n | ${rate[$n,tiles]} | ${rate[$n,defaults]} | ${rate[$n,tuned]} | $(awk -v a="${rate[$n,tuned]}" -v b="${rate[$n,tiles]}" 'BEGIN {printf "%.2fx", a / b}') |"
done
