//===- FatbinReader.h - The images inside a CUDA fat binary ---------------===//
//
// A fatbin (what `fatbinary --create` writes and cuModuleLoadData loads) is a
// 16-byte header followed by images, each a header and a payload: a cubin
// (SASS for one exact SM) or PTX (for the driver to compile for that SM or a
// newer one). The driver picks the cubin matching the device, else JIT-
// compiles the newest compatible PTX. This reader lists the images so tests
// and `r1c cuda-compile --json` can check a fatbin holds what it should; it
// does not decompress payloads. NVIDIA does not document the layout; the
// fields read here are those CUDA 13.0's fatbinary writes (docs/cuda.md).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_FATBINREADER_H
#define R1C_COMPILER_FATBINREADER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace r1 {

struct FatbinImage {
  /// "cubin" or "ptx".
  std::string kind;
  /// The SM it was built for: "sm_80", "sm_90a" (the arch-specific "a"
  /// variant is a flag bit of the image header).
  std::string arch;
  /// Payload bytes as stored (compressed when `compressed`), starting at
  /// `payloadOffset` in the fatbin. An uncompressed PTX payload is the PTX
  /// text, NUL-padded to 8 bytes.
  uint64_t payloadBytes = 0;
  uint64_t payloadOffset = 0;
  bool compressed = false;
};

/// The images of the fatbin `bytes`, in file order; an error names what is
/// malformed (magic, version, a size past the end).
llvm::Expected<std::vector<FatbinImage>> readFatbinImages(llvm::ArrayRef<char> bytes);

} // namespace r1

#endif // R1C_COMPILER_FATBINREADER_H
