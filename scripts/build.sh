#!/usr/bin/env bash
# Configures and builds r1c in build/ with clang-22, lld, ccache and Ninja.
# Usage: scripts/build.sh [ninja targets...]   (R1C_BUILD_DIR overrides build/;
# extra CMake options go in R1C_CMAKE_ARGS, e.g. "-DR1C_ONLY_IO=ON").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${R1C_BUILD_DIR:-$root/build}

launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

# Configure on first use, and again whenever CMake options are passed.
if [ ! -f "$build/build.ninja" ] || [ -n "${R1C_CMAKE_ARGS:-}" ]; then
  # shellcheck disable=SC2086
  cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    "${launcher[@]}" ${R1C_CMAKE_ARGS:-}
fi
cmake --build "$build" -- "$@"
