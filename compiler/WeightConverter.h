//===- WeightConverter.h - Compile-time conversion of weight rows ---------===//
//
// `r1c compile --quant` converts projection weights while they are packed:
// rows of a checkpoint matrix (BF16, F16, F32, or FP8 e4m3 with block
// scales) are decoded to f32 and encoded as what the kernels read: BF16
// (round to nearest even), FP8 e4m3 with one f32 scale per 1x128 block
// (s = amax / 448), or symmetric int8 / int4 with one f16 scale per group of
// a row (s = amax / 127 or amax / 7). Codes and scales are two packed
// weights, so the same rows are encoded twice: once keeping the codes, once
// the scales; both passes compute the same scales.
//
// Storage (codegen/host/kernels/Exec.h and codegen/cuda/kernels/
// WeightTypes.cuh read it): int8 codes are two's complement; int4 codes are
// two per byte, the even element in the low nibble, each nibble q + 8.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_WEIGHTCONVERTER_H
#define R1C_COMPILER_WEIGHTCONVERTER_H

#include "compiler/DType.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace r1 {

/// What a converted row becomes.
enum class WeightEncoding {
  Bf16,      // bf16 values
  Fp8Codes,  // e4m3 codes, blocks of 128 columns
  Fp8Scales, // one f32 scale per 128 columns (ceil)
  IntCodes,  // int8 / int4 codes
  IntScales, // one f16 scale per group
};

/// How to convert the rows of one [rows, cols] checkpoint matrix.
struct RowConversion {
  DType from = DType::BF16;
  int64_t cols = 0;
  /// FP8 sources: the checkpoint's block scales [ceil(rows / blockRows),
  /// ceil(cols / blockCols)] f32.
  std::vector<float> blockScales;
  int64_t blockRows = 1, blockCols = 1;
  WeightEncoding to = WeightEncoding::Bf16;
  int bits = 8;      // IntCodes / IntScales: 8 or 4
  int64_t group = 32; // IntCodes / IntScales: columns per scale

  /// Bytes of one checkpoint row.
  uint64_t inRowBytes() const;
  /// Bytes of one converted row.
  uint64_t outRowBytes() const;
  /// Converts `rows` rows starting at row `firstRow` of the matrix (for the
  /// block scales) from `in` (inRowBytes() each) into `out` (outRowBytes()
  /// each). Fails, naming nothing (the caller adds the weight's name), when
  /// a scale does not fit its type.
  llvm::Error convert(int64_t firstRow, int64_t rows, const uint8_t *in, uint8_t *out) const;
};

} // namespace r1

#endif // R1C_COMPILER_WEIGHTCONVERTER_H
