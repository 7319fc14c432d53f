//===- SafetensorsWriter.h - Streaming safetensors files to disk ----------===//
//
// The writing half of SafetensorsReader. A safetensors header lists every
// tensor's byte range up front, so when the tensors are known in advance the
// header can be written first and the data streamed after it in any number
// of pieces: nothing is held in memory but the piece being written. The file
// is written under a temporary name and renamed into place by commit(), so it
// appears whole or not at all.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_SAFETENSORSWRITER_H
#define R1C_COMPILER_SAFETENSORSWRITER_H

#include "compiler/DType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace r1 {

/// One tensor of a file being written; the data of the entries follows the
/// header back to back, in the order given.
struct SafetensorsEntry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;

  uint64_t numBytes() const;
};

/// The bytes before the data section for `entries`: the 8-byte little-endian
/// header length, then the JSON header (with `metadata` as "__metadata__"),
/// padded with spaces so that the data section starts 8-byte aligned.
std::string buildSafetensorsHeader(llvm::ArrayRef<SafetensorsEntry> entries,
                                   const std::map<std::string, std::string> &metadata);

class SafetensorsWriter {
public:
  /// Creates a temporary file next to `path` and writes the header for
  /// `entries` (with Hugging Face's {"format": "pt"} metadata). Errors name
  /// `path`.
  static llvm::Expected<std::unique_ptr<SafetensorsWriter>>
  create(llvm::StringRef path, std::vector<SafetensorsEntry> entries);

  /// An uncommitted file's temporary is removed.
  ~SafetensorsWriter();
  SafetensorsWriter(const SafetensorsWriter &) = delete;
  SafetensorsWriter &operator=(const SafetensorsWriter &) = delete;

  /// Appends data: the entries' bytes, in order, in pieces of any size.
  /// Errors (a full disk, more bytes than the header declares) name the file.
  llvm::Error write(llvm::ArrayRef<uint8_t> bytes);

  /// Checks that every declared byte was written, closes the file and renames
  /// it into place.
  llvm::Error commit();

  llvm::StringRef path() const { return path_; }
  /// Bytes of tensor data the header declares, and how many were written.
  uint64_t dataBytes() const { return dataBytes_; }
  uint64_t written() const { return written_; }

private:
  SafetensorsWriter() = default;
  llvm::Error writeAll(const uint8_t *data, size_t size);
  llvm::Error fail(const llvm::Twine &what, std::error_code ec);

  std::string path_;
  llvm::SmallString<256> tempPath_;
  int fd_ = -1;
  uint64_t dataBytes_ = 0;
  uint64_t written_ = 0;
  bool committed_ = false;
};

} // namespace r1

#endif // R1C_COMPILER_SAFETENSORSWRITER_H
