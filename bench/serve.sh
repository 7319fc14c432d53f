#!/usr/bin/env bash
# `r1run serve` under load: generated tokens/s over all clients and latency
# percentiles (TTFT, inter-token, whole request; p50/p95) with 1, 4 and 16
# concurrent streaming clients, one server for all three (bench/serve_bench.py).
# Prints a markdown table and a "Measured:" line (CPU, nproc, threads, date,
# commit, artifact).
#
#   bench/serve.sh ARTIFACT [SECONDS]      (default 30 s per concurrency)
#   THREADS=2 MAX_TOKENS=64 CONCURRENCY=1,2,4 bench/serve.sh m.r1 10
#   JSON=out.json also writes the figures as JSON; R1RUN picks the binary
#   (default build/bin/r1run).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
r1run="${R1RUN:-$root/build/bin/r1run}"
[ $# -ge 1 ] || { echo "usage: bench/serve.sh ARTIFACT [SECONDS]" >&2; exit 2; }
artifact="$1" seconds="${2:-30}"
threads="${THREADS:-$(nproc)}" max_tokens="${MAX_TOKENS:-128}" concurrency="${CONCURRENCY:-1,4,16}"
[ -x "$r1run" ] || { echo "bench/serve.sh: $r1run is not built (scripts/build.sh r1run, or set R1RUN)" >&2; exit 1; }
[ -f "$artifact" ] || { echo "bench/serve.sh: $artifact: no such artifact (r1c compile -o ARTIFACT)" >&2; exit 1; }
info=$("$r1run" info "$artifact")  # fails (and stops here) on an artifact this r1run cannot run
echo "${info%%$'\n'*}" >&2

exec /usr/bin/python3 "$root/bench/serve_bench.py" "$r1run" "$artifact" --seconds "$seconds" \
  --threads "$threads" --max-tokens "$max_tokens" --concurrency "$concurrency" ${JSON:+--json "$JSON"}
