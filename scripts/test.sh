#!/usr/bin/env bash
# Sets up, builds and runs every r1c test: GoogleTest units, lit/FileCheck
# tests (dialect, passes, importer on every tiny model and real config, the
# CLI), and the libFuzzer targets for a bounded time.
# Usage: scripts/test.sh        (R1C_FUZZ_SECONDS=N changes the fuzzing time)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${R1C_BUILD_DIR:-$root/build}

start=$(date +%s)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
if [ -n "${R1C_FUZZ_SECONDS:-}" ]; then
  cmake -S "$root" -B "$build" -DR1C_FUZZ_SECONDS="$R1C_FUZZ_SECONDS" > /dev/null
fi
built=$(date +%s)
echo "test.sh: set-up and build took $((built - start)) s"

cd "$build"
ctest --output-on-failure -j 2
echo "test.sh: tests took $(($(date +%s) - built)) s; total $(($(date +%s) - start)) s"
