#!/usr/bin/env bash
# Runs a libFuzzer target for a bounded time from a seed corpus, for ctest.
# Usage: run_fuzzer.sh FUZZER SEED_DIR SECONDS
# The seeds are copied to a scratch directory so that inputs the fuzzer adds
# never land in the repository. Any crash, leak, timeout or sanitizer report
# makes libFuzzer exit non-zero (and write the input to the scratch dir,
# whose path is printed).
set -euo pipefail
fuzzer=$1 seeds=$2 seconds=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/r1c-fuzz.XXXXXX")
cp -r "$seeds" "$work/corpus"
cd "$work"
status=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
  -print_final_stats=1 corpus 2> log.txt || status=$?
grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done)" log.txt || true
if [ "$status" -ne 0 ]; then
  tail -n 60 log.txt
  echo "fuzzer failed (exit $status); reproducer and log kept in $work" >&2
  exit "$status"
fi
rm -rf "$work"
