//===- DType.h - Element types of checkpoint tensors ----------------------===//
//
// The safetensors dtype names r1c understands, their sizes, and conversion to
// and from the strings in safetensors headers. No MLIR here: the safetensors
// reader and its fuzzer link only LLVM Support.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_DTYPE_H
#define R1C_COMPILER_DTYPE_H

#include <cstdint>
#include <optional>
#include <string_view>

namespace r1 {

/// A tensor element type as named in a safetensors header.
enum class DType : uint8_t {
  Bool,
  U8,
  I8,
  I16,
  U16,
  I32,
  U32,
  I64,
  U64,
  F16,
  BF16,
  F32,
  F64,
  F8E4M3, // "F8_E4M3": e4m3fn, the format of DeepSeek's FP8 checkpoints.
  F8E5M2, // "F8_E5M2"
};

/// Parses a safetensors dtype string ("BF16", "F8_E4M3", ...).
std::optional<DType> parseDType(std::string_view name);

/// The safetensors spelling of `dtype`.
std::string_view dtypeName(DType dtype);

/// Bytes per element.
int64_t dtypeSize(DType dtype);

} // namespace r1

#endif // R1C_COMPILER_DTYPE_H
