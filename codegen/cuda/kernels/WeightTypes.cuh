//===- WeightTypes.cuh - CUDA kernels: weight element types and decoding --===//
//
// Weights are stored exactly as for the host kernels (codegen/host/kernels/
// Exec.h): F32 as float, BF16 and F16 as their uint16 bits, F8E4M3 (e4m3fn)
// as uint8 bits with one f32 scale per kF8Block consecutive elements of a
// row, kept beside the weights. loadWeight decodes one element exactly, as
// r1hk's scalar conversions in Simd.h do; the FP8 block scale is the
// caller's to apply (it is shared by 128 elements, so a kernel multiplies
// once per block, not once per element).
//
//===----------------------------------------------------------------------===//
#ifndef R1CK_WEIGHT_TYPES_CUH
#define R1CK_WEIGHT_TYPES_CUH

#include "R1Cuda.h"

#include <stdint.h>

namespace r1ck {

/// Element type of a weight array; the same enumerators as r1hk::WType.
enum class WType { F32, BF16, F16, F8E4M3 };

/// FP8 weights carry one f32 scale per 128 consecutive elements of a row.
constexpr int kF8Block = 128;

/// bf16 bits -> f32 (exact: bf16 is the top half of an f32).
R1_DEVICE inline float bf16BitsToF32(uint32_t h) { return __uint_as_float(h << 16); }

/// f16 bits -> f32, exact, written out on the bits so that no half type is
/// needed: subnormals become mant * 2^-24, infinities and NaNs keep their
/// payload.
R1_DEVICE inline float f16BitsToF32(uint32_t h) {
  const uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  if (exp == 0) // zero or subnormal: mant * 2^-24 is exact in fp32
    return __uint_as_float(sign | __float_as_uint(float(mant) * 0x1p-24f));
  if (exp == 31) // inf / NaN
    return __uint_as_float(sign | 0x7f800000u | (mant << 13));
  return __uint_as_float(sign | ((exp + 112u) << 23) | (mant << 13));
}

/// e4m3fn bits -> f32, exact: bias 7, subnormals m * 2^-9, no infinities,
/// 0x7f and 0xff NaN (the quiet NaN 0x7fc00000 with the code's sign, as the
/// host decodes it).
R1_DEVICE inline float f8e4m3BitsToF32(uint32_t b) {
  const uint32_t sign = (b & 0x80u) << 24, abs = b & 0x7fu;
#if defined(__CUDACC_FTZ__) || defined(__FAST_MATH__)
  // Denormals flush to zero in this build: take the subnormal codes apart.
  if (abs == 0x7fu)
    return __uint_as_float(sign | 0x7fc00000u);
  if (abs < 8u) // zero or subnormal: m * 2^-9 is exact in fp32
    return __uint_as_float(sign | __float_as_uint(float(abs) * 0x1p-9f));
  return __uint_as_float(sign | ((abs + (120u << 3)) << 20)); // rebias 7 -> 127
#else
  // Exponent and mantissa moved to the top of fp32's fields read as an fp32
  // 2^-120 times the code's value (an fp32 subnormal for e4m3's subnormals,
  // whose bit patterns line up), so one exact multiply decodes every finite
  // code: cheaper than a branch per element in a memory-bound GEMV.
  const float v = __uint_as_float(sign | (abs << 20)) * 0x1p120f;
  return abs == 0x7fu ? __uint_as_float(sign | 0x7fc00000u) : v;
#endif
}

/// Element `index` of a weight array of type WT, as f32; FP8 without its
/// block scale.
template <WType WT>
R1_DEVICE inline float loadWeight(const void *w, int64_t index) {
  if constexpr (WT == WType::F32)
    return __ldg(static_cast<const float *>(w) + index);
  else if constexpr (WT == WType::BF16)
    return bf16BitsToF32(__ldg(static_cast<const unsigned short *>(w) + index));
  else if constexpr (WT == WType::F16)
    return f16BitsToF32(__ldg(static_cast<const unsigned short *>(w) + index));
  else
    return f8e4m3BitsToF32(__ldg(static_cast<const unsigned char *>(w) + index));
}

} // namespace r1ck

#endif // R1CK_WEIGHT_TYPES_CUH
