//===- SafetensorsReader.h - Memory-mapped safetensors files --------------===//
//
// A safetensors file is an 8-byte little-endian header length N, N bytes of
// JSON describing each tensor (dtype, shape, [begin, end) offsets into the data
// section), then the data section. The reader validates the whole header up
// front so that nothing downstream can read out of bounds, and maps the file
// instead of reading it: R1's 163 shards are 685 GB.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_SAFETENSORSREADER_H
#define R1C_COMPILER_SAFETENSORSREADER_H

#include "compiler/DType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace r1 {

/// One tensor described by a safetensors header.
struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  /// Byte offsets of the tensor's data, relative to the start of the data
  /// section (the byte after the header).
  uint64_t begin = 0;
  uint64_t end = 0;

  int64_t numElements() const;
  uint64_t numBytes() const { return end - begin; }
};

/// A validated safetensors header.
struct SafetensorsHeader {
  /// Size of the JSON header in bytes (the N of the format).
  uint64_t headerSize = 0;
  /// Offset of the data section in the file: 8 + headerSize.
  uint64_t dataOffset = 0;
  /// Tensors in ascending order of `begin`.
  std::vector<TensorInfo> tensors;
  /// The optional "__metadata__" string map.
  std::map<std::string, std::string> metadata;
};

/// The header size limit of the safetensors format (100 MB).
constexpr uint64_t kMaxSafetensorsHeaderSize = 100u * 1000u * 1000u;

/// Parses and validates the header of a safetensors file whose complete
/// contents are `fileBytes`. Pure: no I/O, no allocation proportional to
/// anything but the header. `fileName` only names the file in errors.
///
/// Rejects, with a one-line error naming the file and the tensor: a file
/// shorter than 8 bytes, a header length past the end of the file or over
/// the format's 100 MB limit, a header that is not a JSON object, an entry
/// without a valid dtype/shape/data_offsets, an unknown dtype, a negative or
/// overflowing shape, offsets out of range, offsets whose length differs from
/// dtype size x element count, and tensors whose byte ranges overlap.
llvm::Expected<SafetensorsHeader> parseSafetensorsHeader(llvm::StringRef fileBytes,
                                                         llvm::StringRef fileName);

/// "[a, b, c]" (at most 8 dims shown): shapes in error messages.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// `text` (a tensor or file name read from a file) in single quotes, with
/// non-printable characters escaped and long names shortened, so that errors
/// quoting it stay on one line.
std::string quoteName(llvm::StringRef text);

/// An open, memory-mapped, validated safetensors file.
class SafetensorsFile {
public:
  /// Maps `path` and validates its header. Errors name the path.
  static llvm::Expected<std::unique_ptr<SafetensorsFile>> open(llvm::StringRef path);

  llvm::StringRef path() const { return path_; }
  const SafetensorsHeader &header() const { return header_; }
  const std::vector<TensorInfo> &tensors() const { return header_.tensors; }

  /// The tensor named `name`, or null.
  const TensorInfo *find(llvm::StringRef name) const;

  /// The bytes of `tensor`, which must belong to this file. Mapped, not read:
  /// pages load on first touch.
  llvm::ArrayRef<uint8_t> data(const TensorInfo &tensor) const;

private:
  SafetensorsFile() = default;

  std::string path_;
  std::unique_ptr<llvm::MemoryBuffer> buffer_;
  SafetensorsHeader header_;
  llvm::StringMap<size_t> index_; // name -> position in header_.tensors
};

} // namespace r1

#endif // R1C_COMPILER_SAFETENSORSREADER_H
