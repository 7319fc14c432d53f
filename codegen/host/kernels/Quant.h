//===- Quant.h - Host kernels: 1x128-block FP8 activation quantization ----===//
//
// In W8A8 mode DeepSeek-V3 quantizes a Linear's input per block of 128
// consecutive elements of a row (inference/kernel.py, act_quant):
//   amax = max(max |x_block|, 1e-4);  s = amax / 448;  q = e4m3fn(x / s)
// (fp32 arithmetic, the cast rounding to nearest even and saturating), and
// the FP8 GEMM scales its fp32 sums of q * w by s * w_scale. A CPU without
// FP8 arithmetic computes the same, up to fp32 rounding, by replacing x with
// q * s (this file's "fake quantization") and running the weight-only FP8
// kernels.
// The 1e-4 floor is the reference's: a zero block stays zero, and a block
// below 1e-4 uses fewer than the full 448 levels.
//
// Rows need not be a multiple of 128 long (the reference asserts they are):
// the last block of a row is then partial and quantized on its own.
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_QUANT_H
#define R1HK_QUANT_H

#include "Elementwise.h"

namespace r1hk {
namespace detail {

/// Largest finite e4m3fn value; act_quant maps each block's amax to it.
constexpr float kE4M3Max = 448.0f;
/// act_quant's floor on the block amax (tl.maximum(amax, 1e-4)).
constexpr float kActQuantMinAmax = 1e-4f;

// Bit patterns (fp32) the rounding works on.
constexpr uint32_t kE4M3MinNormalBits = 0x3c800000u;  // 2^-6
constexpr uint32_t kE4M3MaxBits = 0x43e00000u;        // 448
constexpr uint32_t kE4M3HalfMinSubBits = 0x3a800000u; // 2^-10, half the smallest subnormal

/// The e4m3fn value nearest to v as a float: ties to even, subnormals in
/// steps of 2^-9, magnitudes above 448 (infinities too) saturated to 448,
/// NaN kept, the sign kept (-0 stays -0). Exact integer arithmetic,
/// independent of the floating-point environment.
inline float roundToE4M3(float v) {
  const uint32_t bits = std::bit_cast<uint32_t>(v), sign = bits & 0x80000000u;
  uint32_t a = bits & 0x7fffffffu;
  if (a > 0x7f800000u)
    return v;
  if (a >= kE4M3MaxBits) {
    a = kE4M3MaxBits;
  } else if (a >= kE4M3MinNormalBits) {
    // Keep 3 of the 23 mantissa bits, nearest even; a carry into the
    // exponent is the correct result.
    a = (a + 0x7ffffu + ((a >> 20) & 1u)) & 0xfff00000u;
  } else if (a <= kE4M3HalfMinSubBits) {
    a = 0; // at most half of 2^-9: rounds to 0 (the tie to the even code 0)
  } else {
    // (2^-10, 2^-6): a multiple q of 2^-9, q = m * 2^(e - 14) rounded.
    const int sh = 14 - (int(a >> 23) - 127); // 21..24
    const uint32_t m = (a & 0x7fffffu) | 0x800000u, half = 1u << (sh - 1);
    const uint32_t rem = m & ((1u << sh) - 1u);
    uint32_t q = m >> sh;
    q += rem > half || (rem == half && (q & 1u));
    a = std::bit_cast<uint32_t>(float(q) * 0x1p-9f);
  }
  return std::bit_cast<float>(sign | a);
}

/// roundToE4M3 lane-wise; the same bits as the scalar function.
inline typename Vec::T roundToE4M3Vec(typename Vec::T v) {
#if defined(R1HK_ISA_AVX512)
  const __m512i bits = _mm512_castps_si512(v);
  const __m512i a = _mm512_and_si512(bits, _mm512_set1_epi32(0x7fffffff));
  const __m512i sign = _mm512_xor_si512(bits, a);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(a, 20), _mm512_set1_epi32(1));
  const __m512i normal =
      _mm512_and_si512(_mm512_add_epi32(a, _mm512_add_epi32(_mm512_set1_epi32(0x7ffff), lsb)),
                       _mm512_set1_epi32(int32_t(0xfff00000u)));
  // 2^-9 * round(2^9 * |v|), ties to even by the immediate (not MXCSR).
  const __m512i sub = _mm512_castps_si512(_mm512_roundscale_ps(
      _mm512_castsi512_ps(a), (9 << 4) | _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  const __mmask16 small =
      _mm512_cmplt_epi32_mask(a, _mm512_set1_epi32(int32_t(kE4M3MinNormalBits)));
  const __mmask16 nan = _mm512_cmpgt_epi32_mask(a, _mm512_set1_epi32(0x7f800000));
  __m512i r = _mm512_mask_blend_epi32(small, normal, sub);
  r = _mm512_min_epi32(r, _mm512_set1_epi32(int32_t(kE4M3MaxBits))); // non-negative: int order
  r = _mm512_mask_blend_epi32(nan, r, a);
  return _mm512_castsi512_ps(_mm512_or_si512(r, sign));
#elif defined(R1HK_ISA_AVX2)
  const __m256i bits = _mm256_castps_si256(v);
  const __m256i a = _mm256_and_si256(bits, _mm256_set1_epi32(0x7fffffff));
  const __m256i sign = _mm256_xor_si256(bits, a);
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(a, 20), _mm256_set1_epi32(1));
  const __m256i normal =
      _mm256_and_si256(_mm256_add_epi32(a, _mm256_add_epi32(_mm256_set1_epi32(0x7ffff), lsb)),
                       _mm256_set1_epi32(int32_t(0xfff00000u)));
  // |v| * 2^9 and the product by 2^-9 are exact; the rounding mode is the
  // immediate's (nearest even), not MXCSR's.
  const __m256i sub = _mm256_castps_si256(_mm256_mul_ps(
      _mm256_round_ps(_mm256_mul_ps(_mm256_castsi256_ps(a), _mm256_set1_ps(512.0f)),
                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC),
      _mm256_set1_ps(0x1p-9f)));
  const __m256i small = _mm256_cmpgt_epi32(_mm256_set1_epi32(int32_t(kE4M3MinNormalBits)), a);
  const __m256i nan = _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x7f800000));
  __m256i r = _mm256_blendv_epi8(normal, sub, small);
  r = _mm256_min_epi32(r, _mm256_set1_epi32(int32_t(kE4M3MaxBits)));
  r = _mm256_blendv_epi8(r, a, nan);
  return _mm256_castsi256_ps(_mm256_or_si256(r, sign));
#else
  return roundToE4M3(v);
#endif
}

/// out[k] = x[k] fake-quantized by act_quant's rule (see the file comment),
/// each 128-element block of the row of K with its own scale; out may alias
/// x. Division, not a reciprocal multiply, as the reference.
template <int64_t K>
inline void quantizeRowF8(const float *x, float *out) {
  for (int64_t b0 = 0; b0 < K; b0 += kF8Block) {
    const int64_t end = minI(K, b0 + kF8Block);
    typename Vec::T m = Vec::zero();
    int64_t k = b0;
    for (; k + Vec::W <= end; k += Vec::W) {
      typename Vec::T v = Vec::load(x + k);
      m = Vec::max(m, Vec::max(v, Vec::sub(Vec::zero(), v)));
    }
    if (k < end) { // only in the last block: masked lanes load as 0
      typename Vec::T v = Vec::loadPartial(x + k, end - k);
      m = Vec::max(m, Vec::max(v, Vec::sub(Vec::zero(), v)));
    }
    const float amax = Vec::reduceMax(m);
    const float s = (amax > kActQuantMinAmax ? amax : kActQuantMinAmax) / kE4M3Max;
    const typename Vec::T sv = Vec::set1(s);
    for (k = b0; k + Vec::W <= end; k += Vec::W)
      Vec::store(out + k, Vec::mul(roundToE4M3Vec(Vec::div(Vec::load(x + k), sv)), sv));
    if (k < end)
      Vec::storePartial(
          out + k,
          Vec::mul(roundToE4M3Vec(Vec::div(Vec::loadPartial(x + k, end - k), sv)), sv),
          end - k);
  }
}

} // namespace detail

/// out[n, K] = x fake-quantized per 1x128 block (detail::quantizeRowF8 on
/// every row); out may alias x. Rows split into tasks; small jobs inline.
template <int64_t K>
void quantizeF8Blocks(const Exec &ex, const float *x, int64_t n, float *out) {
  static_assert(K >= 1, "empty rows");
  detail::forRowRanges(ex, n, K, detail::kInlineElems, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t)
      detail::quantizeRowF8<K>(x + t * K, out + t * K);
  });
}

} // namespace r1hk

#endif // R1HK_QUANT_H
