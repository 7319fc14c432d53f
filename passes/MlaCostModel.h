//===- MlaCostModel.h - Which MLA form is cheaper in a phase --------------===//
//
// A roofline estimate of one MLA layer in each form (see r1-fuse-mla in
// Passes.td): time = max(FLOPs / peak, bytes / bandwidth). The byte counts
// follow the host kernels (codegen/host/kernels/Mla.h): the absorbed form
// reads a head's W_UK^T and W_UV rows once per token, the materialized form
// expands and re-reads [L, H, nope + rope + v] keys and values once per step.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_MLACOSTMODEL_H
#define R1C_PASSES_MLACOSTMODEL_H

#include <cstdint>

namespace r1 {

struct MlaShape {
  int64_t heads, nope, rope, value, rank;
  double weightBytesPerElement; // kv_b's storage: 1 (FP8), 2 (BF16), 4 (f32)
};

struct MlaMachine {
  double peakFlops;      // FLOP/s
  double bytesPerSecond; // memory bandwidth
};

/// Estimated seconds of one MLA layer for `tokens` causal queries whose last
/// one attends to `keys` positions.
struct MlaFormCost {
  double materialized, absorbed;
};

MlaFormCost estimateMlaCost(const MlaShape &shape, const MlaMachine &machine, int64_t tokens,
                            int64_t keys);

} // namespace r1

#endif // R1C_PASSES_MLACOSTMODEL_H
