//===- WeightTypes.cuh - CUDA kernels: weight element types and decoding --===//
//
// Weights are stored exactly as for the host kernels (codegen/host/kernels/
// Exec.h): F32 as float, BF16 and F16 as their uint16 bits, F8E4M3 (e4m3fn)
// as uint8 bits with one f32 scale per kF8Block consecutive elements of a
// row, kept beside the weights. The integer types (I8G*, I4G*, written by
// `r1c compile --quant int8|int4`) are codes with one f16 scale per group of
// G consecutive elements of a row, scales[row * (K/G) + k/G]: int8 codes one
// byte each (two's complement), int4 codes two per byte (element 2j in the
// low nibble of byte j, element 2j+1 in the high one, each stored as q + 8).
// loadWeight decodes one element exactly, as r1hk's scalar conversions in
// Simd.h do; the FP8 block scale and the integer group scale are the
// caller's to apply (loadScale), once per block or group of a partial sum
// rather than once per element.
//
//===----------------------------------------------------------------------===//
#ifndef R1CK_WEIGHT_TYPES_CUH
#define R1CK_WEIGHT_TYPES_CUH

#include "R1Cuda.h"

#include <stdint.h>

namespace r1ck {

/// Element type of a weight array; the same enumerators as r1hk::WType.
/// I8G* / I4G*: int8 / int4 codes with an f16 scale per group of 32, 64 or
/// 128 elements of a row.
enum class WType { F32, BF16, F16, F8E4M3, I8G32, I8G64, I8G128, I4G32, I4G64, I4G128 };

/// FP8 weights carry one f32 scale per 128 consecutive elements of a row.
constexpr int kF8Block = 128;

/// Whether WT is one of the group-scaled integer types.
R1_HOST_DEVICE constexpr bool isIntW(WType wt) {
  return wt == WType::I8G32 || wt == WType::I8G64 || wt == WType::I8G128 ||
         wt == WType::I4G32 || wt == WType::I4G64 || wt == WType::I4G128;
}

/// Elements per scale: the group of an integer type, kF8Block for FP8, 0
/// for unscaled types.
R1_HOST_DEVICE constexpr int64_t wGroup(WType wt) {
  return wt == WType::I8G32 || wt == WType::I4G32   ? 32
         : wt == WType::I8G64 || wt == WType::I4G64 ? 64
         : wt == WType::I8G128 || wt == WType::I4G128 || wt == WType::F8E4M3
             ? 128
             : 0;
}

/// Bits of one stored element.
R1_HOST_DEVICE constexpr int wBits(WType wt) {
  return wt == WType::F32                                                 ? 32
         : wt == WType::BF16 || wt == WType::F16                          ? 16
         : wt == WType::I4G32 || wt == WType::I4G64 || wt == WType::I4G128 ? 4
                                                                           : 8;
}

/// Whether the weights come with a scales array (FP8's f32 block scales,
/// the integer types' f16 group scales).
R1_HOST_DEVICE constexpr bool hasScales(WType wt) { return wt == WType::F8E4M3 || isIntW(wt); }

/// Bytes of one stored row of K elements (K even for int4).
R1_HOST_DEVICE constexpr int64_t rowBytes(WType wt, int64_t K) { return K * wBits(wt) / 8; }

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

/// An int8 code (the low byte of b, two's complement) as f32, exactly:
/// 0x4b000000 | u reads as 2^23 + u, and u = q + 128 after flipping the sign
/// bit, so one OR and one subtraction decode it (no int-to-float convert).
R1_DEVICE inline float i8BitsToF32(uint32_t b) {
  return __uint_as_float(0x4b000000u | ((b ^ 0x80u) & 0xffu)) - 8388736.0f; // 2^23 + 128
}

/// An int4 code (the low nibble of n, stored as q + 8) as f32, exactly, the
/// same way: 2^23 + (q + 8) - (2^23 + 8).
R1_DEVICE inline float i4BitsToF32(uint32_t n) {
  return __uint_as_float(0x4b000000u | (n & 0xfu)) - 8388616.0f; // 2^23 + 8
}

/// Codes per 32-bit word of an integer type: 4 int8 or 8 int4.
template <WType WT>
constexpr int kCodesPerWord = 32 / wBits(WT);

/// The kCodesPerWord<WT> codes of a little-endian word of an integer-typed
/// row, in element order (int4: element 2j in the low nibble of byte j, so
/// nibble i of the word is element i), as f32 without their scale.
template <WType WT>
R1_DEVICE inline void decodeCodeWord(uint32_t word, float (&w)[kCodesPerWord<WT>]) {
  static_assert(isIntW(WT), "integer codes");
#if defined(__CUDACC__) || defined(__clang__)
#pragma unroll
#endif
  for (int i = 0; i < kCodesPerWord<WT>; ++i) {
    if constexpr (wBits(WT) == 4)
      w[i] = i4BitsToF32(word >> (4 * i));
    else
      w[i] = i8BitsToF32(word >> (8 * i));
  }
}

/// f16 bits -> f32 for a scale: the hardware conversion under nvcc (exact,
/// one instruction), f16BitsToF32 on the host.
R1_DEVICE inline float f16ScaleToF32(unsigned short h) {
#if defined(__CUDACC__)
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
  return f;
#else
  return f16BitsToF32(h);
#endif
}

/// Element `index` of a weight array of type WT, as f32; FP8 without its
/// block scale, integer types without their group scale (the code itself).
/// Int4 elements are counted as elements, not bytes: index i is nibble
/// i % 2 of byte i / 2 (rows of an even K start on a byte).
template <WType WT>
R1_DEVICE inline float loadWeight(const void *w, int64_t index) {
  if constexpr (WT == WType::F32)
    return __ldg(static_cast<const float *>(w) + index);
  else if constexpr (WT == WType::BF16)
    return bf16BitsToF32(__ldg(static_cast<const unsigned short *>(w) + index));
  else if constexpr (WT == WType::F16)
    return f16BitsToF32(__ldg(static_cast<const unsigned short *>(w) + index));
  else if constexpr (WT == WType::F8E4M3)
    return f8e4m3BitsToF32(__ldg(static_cast<const unsigned char *>(w) + index));
  else if constexpr (wBits(WT) == 8)
    return i8BitsToF32(__ldg(static_cast<const unsigned char *>(w) + index));
  else
    return i4BitsToF32(uint32_t(__ldg(static_cast<const unsigned char *>(w) + (index >> 1))) >>
                       (4 * int(index & 1)));
}

/// Scales per row of K elements: ceil(K / 128) for FP8, K / G for the
/// integer types (K a multiple of G), 0 otherwise.
template <WType WT, int64_t K>
constexpr int64_t kScalesPerRow =
    WT == WType::F8E4M3 ? (K + kF8Block - 1) / kF8Block : isIntW(WT) ? K / wGroup(WT) : 0;

/// The scale of element k of weight row `row` (rows of K elements): FP8's
/// f32 block scale scales[row * ceil(K/128) + k/128], an integer type's f16
/// group scale scales[row * (K/G) + k/G] as f32, 1 for unscaled types (then
/// `scales` is not read and may be null).
template <WType WT, int64_t K>
R1_DEVICE inline float loadScale(const void *scales, int64_t row, int64_t k) {
  if constexpr (WT == WType::F8E4M3)
    return __ldg(static_cast<const float *>(scales) + row * kScalesPerRow<WT, K> + k / kF8Block);
  else if constexpr (isIntW(WT))
    return f16ScaleToF32(__ldg(static_cast<const unsigned short *>(scales) +
                               row * kScalesPerRow<WT, K> + k / wGroup(WT)));
  else
    return (void)scales, (void)row, (void)k, 1.0f;
}

/// The checks every kernel taking integer weights makes on its row length.
template <WType WT, int64_t K>
constexpr bool kWholeGroups = !isIntW(WT) || (K > 0 && K % (isIntW(WT) ? wGroup(WT) : 1) == 0);

} // namespace r1ck

#endif // R1CK_WEIGHT_TYPES_CUH
