//===- SafetensorsHeaderFuzzer.cpp - libFuzzer target for the reader ------===//
//
// Feeds arbitrary bytes to parseSafetensorsHeader as a whole file. Checkpoints
// come from the internet, so header validation must reject any input with an
// error, never crash, hang, leak or hit undefined behaviour. Accepted headers
// are checked against the guarantees the rest of r1c relies on.
//
//===----------------------------------------------------------------------===//
#include "compiler/SafetensorsReader.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  llvm::Expected<r1::SafetensorsHeader> header =
      r1::parseSafetensorsHeader(bytes, "fuzz.safetensors");
  if (!header) {
    llvm::consumeError(header.takeError());
    return 0;
  }
  // Every accepted tensor lies inside the file, sorted, without overlap.
  uint64_t furthest = 0;
  for (const r1::TensorInfo &tensor : header->tensors) {
    if (tensor.begin > tensor.end || header->dataOffset + tensor.end > size ||
        tensor.numBytes() !=
            static_cast<uint64_t>(tensor.numElements() * r1::dtypeSize(tensor.dtype)))
      std::abort();
    if (tensor.numBytes() == 0)
      continue;
    if (tensor.begin < furthest)
      std::abort();
    furthest = std::max(furthest, tensor.end);
  }
  return 0;
}
