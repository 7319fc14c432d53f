//===- Quant.cuh - CUDA kernels: 1x128-block FP8 activation quantization --===//
//
// The device body mirroring r1hk::quantizeF8Blocks (codegen/host/kernels/
// Quant.h, whose file comment gives DeepSeek-V3's act_quant rule): each
// 128-element block of a row is "fake-quantized",
//   s = max(amax, 1e-4) / 448;  out = e4m3fn(x / s) * s,
// with the same fp32 operations in the same order (a division, not a
// reciprocal multiply; IEEE-rounded even under fast-math flags) and the same
// integer rounding to e4m3fn, so the results are the host's bits. A partial
// last block (K not a multiple of 128) is quantized on its own.
//
// Launch: grid.x = rows, kThreads threads (a multiple of 32, at most 1024),
// no dynamic shared memory; block b handles row b. Each warp takes whole
// 128-element blocks (4 elements per lane, coalesced) and finds their amax
// with shuffles: no shared memory, no block barrier. Each lane writes only
// the elements it read, so out may alias x.
//
//===----------------------------------------------------------------------===//
#ifndef R1CK_QUANT_CUH
#define R1CK_QUANT_CUH

#include "Elementwise.cuh"
#include "R1Cuda.h"

#include <stdint.h>

namespace r1ck {

/// The e4m3fn value nearest to v as a float: ties to even, subnormals in
/// steps of 2^-9, magnitudes above 448 (infinities too) saturated to 448,
/// NaN kept, the sign kept. Integer arithmetic on the bits, as
/// r1hk::detail::roundToE4M3 (the same bits for every input).
R1_DEVICE inline float roundToE4M3(float v) {
  constexpr uint32_t kMinNormalBits = 0x3c800000u;  // 2^-6
  constexpr uint32_t kMaxBits = 0x43e00000u;        // 448
  constexpr uint32_t kHalfMinSubBits = 0x3a800000u; // 2^-10, half the smallest subnormal
  const uint32_t bits = __float_as_uint(v), sign = bits & 0x80000000u;
  uint32_t a = bits & 0x7fffffffu;
  if (a > 0x7f800000u)
    return v;
  if (a >= kMaxBits) {
    a = kMaxBits;
  } else if (a >= kMinNormalBits) {
    // Keep 3 of the 23 mantissa bits, nearest even; a carry into the
    // exponent is the correct result.
    a = (a + 0x7ffffu + ((a >> 20) & 1u)) & 0xfff00000u;
  } else if (a <= kHalfMinSubBits) {
    a = 0; // at most half of 2^-9: rounds to 0 (the tie to the even code 0)
  } else {
    // (2^-10, 2^-6): a multiple q of 2^-9, q = m * 2^(e - 14) rounded.
    const int sh = 14 - (int(a >> 23) - 127); // 21..24
    const uint32_t m = (a & 0x7fffffu) | 0x800000u, half = 1u << (sh - 1);
    const uint32_t rem = m & ((1u << sh) - 1u);
    uint32_t q = m >> sh;
    q += (rem > half || (rem == half && (q & 1u))) ? 1u : 0u;
    a = __float_as_uint(float(q) * 0x1p-9f); // exact: q <= 8
  }
  return __uint_as_float(sign | a);
}

/// out[rows, K] = x fake-quantized per 1x128 block; out may alias x.
template <int64_t K, int kThreads>
R1_DEVICE inline void quantizeF8Blocks(const float *x, float *out) {
  static_assert(kThreads % 32 == 0 && kThreads <= 1024, "whole warps, at most 1024 threads");
  static_assert(K >= 1 && K <= rowwise::kMaxRow, "row length");
  constexpr int kBlock = 128, kPerLane = kBlock / 32, kWarps = kThreads / 32;
  constexpr int kBlocks = int((K + kBlock - 1) / kBlock);
  constexpr float kE4M3Max = 448.0f, kMinAmax = 1e-4f; // act_quant's
  const int64_t base = int64_t(blockIdx.x) * K;
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  for (int blk = warp; blk < kBlocks; blk += kWarps) {
    const int first = blk * kBlock + lane;
    // Fixed 4-trip loops, which nvcc unrolls: v stays in registers (the lit
    // resource test checks that no kernel has a stack frame).
    float v[kPerLane];
    float amax = 0.0f;
    for (int j = 0; j < kPerLane; ++j) {
      const int k = first + 32 * j;
      v[j] = k < K ? x[base + k] : 0.0f; // as the host's masked tail loads
      amax = fmaxf(amax, fabsf(v[j]));
    }
    for (int m = 16; m > 0; m /= 2)
      amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, m));
    const float s = rowwise::divRn(amax > kMinAmax ? amax : kMinAmax, kE4M3Max);
    for (int j = 0; j < kPerLane; ++j) {
      const int k = first + 32 * j;
      if (k < K)
        out[base + k] = rowwise::mulRn(roundToE4M3(rowwise::divRn(v[j], s)), s);
    }
  }
}

} // namespace r1ck

#endif // R1CK_QUANT_CUH
