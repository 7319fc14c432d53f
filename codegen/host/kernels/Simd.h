//===- Simd.h - Host kernels: one vector interface over AVX-512/AVX2/scalar ===//
//
// The kernels are written once against `Vec` (a float vector of Vec::W lanes)
// and compile to AVX-512 (W = 16), AVX2+FMA (W = 8) or plain C++ (W = 1),
// whichever the -march flags of the generated code allow. Loads and stores
// are unaligned: activations are only 4-byte aligned. Partial loads read
// exactly m elements (masked), so row tails never touch memory past a row.
// Scalar tail loops over compile-time lengths start at a constant: with a
// variable start GCC 12 warns of undefined behaviour that is not there.
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_SIMD_H
#define R1HK_SIMD_H

#include "Exec.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
#define R1HK_ISA_AVX512 1
#if defined(__AVX512BF16__)
#define R1HK_HAS_DPBF16 1 // bf16 dot products (_mm512_dpbf16_ps)
#endif
#elif defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define R1HK_ISA_AVX2 1
#endif

#if defined(R1HK_ISA_AVX512) || defined(R1HK_ISA_AVX2)
#include <immintrin.h>
#endif

// Fixed-trip loops over accumulators must be unrolled so that the
// accumulators live in registers; GCC at -O2 does not always do it alone.
#if defined(__clang__)
#define R1HK_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define R1HK_UNROLL _Pragma("GCC unroll 16")
#else
#define R1HK_UNROLL
#endif

namespace r1hk {

/// Scalar conversions (exact for bf16/f16 -> f32; round-to-nearest-even for
/// f32 -> bf16, NaN kept a NaN).
inline float bf16ToF32(uint16_t h) { return std::bit_cast<float>(uint32_t(h) << 16); }

inline float f16ToF32(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0) // zero or subnormal: mant * 2^-24 is exact in fp32
    return std::bit_cast<float>(sign | std::bit_cast<uint32_t>(float(mant) * 0x1p-24f));
  if (exp == 31) // inf / NaN
    return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
  return std::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
}

inline uint16_t f32ToBf16(float f) {
  uint32_t bits = std::bit_cast<uint32_t>(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return uint16_t((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1);
  return uint16_t(bits >> 16);
}

/// e4m3fn -> f32, exact: bias 7, subnormals m * 2^-9, no infinities,
/// 0x7f and 0xff NaN.
inline float f8e4m3ToF32(uint8_t b) {
  uint32_t sign = uint32_t(b & 0x80) << 24, abs = b & 0x7fu;
  if (abs == 0x7f)
    return std::bit_cast<float>(sign | 0x7fc00000u);
  if (abs < 8) // zero or subnormal: m * 2^-9 is exact in fp32
    return std::bit_cast<float>(sign | std::bit_cast<uint32_t>(float(abs) * 0x1p-9f));
  return std::bit_cast<float>(sign | ((abs + (120u << 3)) << 20));
}

template <WType WT>
inline float wToF32(WElem<WT> e) {
  static_assert(!isIntW(WT), "an integer code has no value without its group scale");
  if constexpr (WT == WType::F32)
    return e;
  else if constexpr (WT == WType::BF16)
    return bf16ToF32(e);
  else if constexpr (WT == WType::F8E4M3)
    return f8e4m3ToF32(e);
  else
    return f16ToF32(e);
}

namespace detail {
// Cephes expf: |relative error| < 2e-7 on the clamped range. The clamp keeps
// 2^n a normal float; exp(88) and exp(-87.3) stand in for overflow and
// underflow, harmless for softmax and silu.
inline constexpr float kExpHi = 88.0f, kExpLo = -87.33654f, kLog2e = 1.44269504088896341f;
inline constexpr float kExpC1 = 0.693359375f, kExpC2 = -2.12194440e-4f;
inline constexpr float kExpP0 = 1.9875691500e-4f, kExpP1 = 1.3981999507e-3f,
                       kExpP2 = 8.3334519073e-3f, kExpP3 = 4.1665795894e-2f,
                       kExpP4 = 1.6666665459e-1f, kExpP5 = 5.0000001201e-1f;

// FP8 e4m3 in vectors: the sign-extended byte shifted left by 7 (bit 14
// cleared) is an f16 with the same sign, exponent and mantissa bits, whose
// value is 2^-8 times the e4m3 value, subnormals included; F16C widens it
// exactly, and one fp32 multiply by 2^8 * scale (loadF8's `lift`) gives
// fp8 * scale rounded once, as dequantizing in fp32 does. 0x7f/0xff are NaN.
inline constexpr float kF8Lift = 256.0f;
inline constexpr int16_t kF8NanHalf = 0x3f80; // |e4m3 0x7f| as such an f16

// Integer weights in vectors: codes are sign-extended to int32 and converted
// (exact), then multiplied by the group's f32 scale; |q| * an f16 scale has
// at most 18 significant bits, so q * scale is exact in fp32 too.
#if defined(R1HK_ISA_AVX512) || defined(R1HK_ISA_AVX2)
/// The 32 int4 codes of 16 bytes as signed bytes q in element order (byte
/// j's low nibble, element 2j, first; each nibble is q + 8): elements 0-15
/// in `first`, 16-31 in `second`.
inline void int4ToInt8(__m128i bytes, __m128i &first, __m128i &second) {
  const __m128i low4 = _mm_set1_epi8(0x0f), eight = _mm_set1_epi8(8);
  __m128i lo = _mm_sub_epi8(_mm_and_si128(bytes, low4), eight);
  __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(bytes, 4), low4), eight);
  first = _mm_unpacklo_epi8(lo, hi);
  second = _mm_unpackhi_epi8(lo, hi);
}
#endif
} // namespace detail

#if defined(R1HK_ISA_AVX512)

struct Vec {
  using T = __m512;
  static constexpr int W = 16;
  static __mmask16 mask(int64_t m) { return __mmask16((1u << m) - 1); }
  static T zero() { return _mm512_setzero_ps(); }
  static T set1(float v) { return _mm512_set1_ps(v); }
  static T load(const float *p) { return _mm512_loadu_ps(p); }
  static T loadPartial(const float *p, int64_t m) { return _mm512_maskz_loadu_ps(mask(m), p); }
  static void store(float *p, T v) { _mm512_storeu_ps(p, v); }
  static void storePartial(float *p, T v, int64_t m) { _mm512_mask_storeu_ps(p, mask(m), v); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm512_mul_ps(a, b); }
  static T div(T a, T b) { return _mm512_div_ps(a, b); }
  static T max(T a, T b) { return _mm512_max_ps(a, b); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T fnma(T a, T b, T c) { return _mm512_fnmadd_ps(a, b, c); } // c - a*b
  static T halves(__m256i h, WType wt) {
    return wt == WType::BF16 ? _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16))
                             : _mm512_cvtph_ps(h);
  }
  /// 16 e4m3 bytes times lift / 2^8 (see detail::kF8Lift).
  static T f8(__m128i bytes, T lift) {
    __m256i h = _mm256_and_si256(_mm256_slli_epi16(_mm256_cvtepi8_epi16(bytes), 7),
                                 _mm256_set1_epi16(int16_t(0xbfff)));
    __mmask16 nan = _mm256_cmpeq_epi16_mask(_mm256_and_si256(h, _mm256_set1_epi16(0x7fff)),
                                            _mm256_set1_epi16(detail::kF8NanHalf));
    return _mm512_mask_mov_ps(_mm512_mul_ps(_mm512_cvtph_ps(h), lift), nan,
                              _mm512_castsi512_ps(_mm512_set1_epi32(0x7fc00000)));
  }
  static T loadF8(const uint8_t *p, T lift) {
    return f8(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)), lift);
  }
  static T loadF8Partial(const uint8_t *p, int64_t m, T lift) {
    return f8(_mm_maskz_loadu_epi8(mask(m), p), lift);
  }
  /// An f16 (bits) in every lane.
  static T broadcastF16(uint16_t h) { return _mm512_cvtph_ps(_mm256_set1_epi16(int16_t(h))); }
  /// 16 int8 codes from p, times scale.
  static T loadI8(const uint8_t *p, T scale) {
    __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    return mul(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)), scale);
  }
  /// Elements k..k+15 (k even) of a row of int4 codes, times scale.
  static T loadI4(const uint8_t *row, int64_t k, T scale) {
    __m128i q, unused;
    detail::int4ToInt8(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(row + k / 2)), q, unused);
    return mul(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)), scale);
  }
  /// Elements k..k+31 (k even) of a row of int4 codes, times scale, as two
  /// vectors: one 16-byte load and one unpacking for both.
  static void loadI4Pair(const uint8_t *row, int64_t k, T scale, T &first, T &second) {
    __m128i q0, q1;
    detail::int4ToInt8(_mm_loadu_si128(reinterpret_cast<const __m128i *>(row + k / 2)), q0, q1);
    first = mul(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q0)), scale);
    second = mul(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q1)), scale);
  }
  template <WType WT>
  static T loadW(const WElem<WT> *p) {
    static_assert(!isIntW(WT), "integer codes are read with their scale: loadI8/loadI4");
    if constexpr (WT == WType::F32)
      return load(p);
    else if constexpr (WT == WType::F8E4M3)
      return loadF8(p, set1(detail::kF8Lift));
    else
      return halves(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)), WT);
  }
  template <WType WT>
  static T loadWPartial(const WElem<WT> *p, int64_t m) {
    static_assert(!isIntW(WT), "integer codes are read with their scale: loadI8/loadI4");
    if constexpr (WT == WType::F32)
      return loadPartial(p, m);
    else if constexpr (WT == WType::F8E4M3)
      return loadF8Partial(p, m, set1(detail::kF8Lift));
    else
      return halves(_mm256_maskz_loadu_epi16(mask(m), p), WT);
  }
  static float reduce(T a) { return _mm512_reduce_add_ps(a); }
  static float reduceMax(T a) { return _mm512_reduce_max_ps(a); }
  /// out[i] = horizontal sum of the i-th argument.
  static void reduce4(T a, T b, T c, T d, float *out) {
    auto half = [](T v) {
      return _mm256_add_ps(_mm512_extractf32x8_ps(v, 0), _mm512_extractf32x8_ps(v, 1));
    };
    __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(half(a), half(b)), _mm256_hadd_ps(half(c), half(d)));
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1)));
  }
  static T exp(T x) {
    using namespace detail;
    x = _mm512_min_ps(_mm512_max_ps(x, set1(kExpLo)), set1(kExpHi));
    T n = _mm512_roundscale_ps(mul(x, set1(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    x = fnma(n, set1(kExpC2), fnma(n, set1(kExpC1), x));
    T y = fma(set1(kExpP0), x, set1(kExpP1));
    y = fma(y, x, set1(kExpP2));
    y = fma(y, x, set1(kExpP3));
    y = fma(y, x, set1(kExpP4));
    y = fma(y, x, set1(kExpP5));
    y = add(fma(y, mul(x, x), x), set1(1.0f));
    return _mm512_scalef_ps(y, n);
  }
};

#elif defined(R1HK_ISA_AVX2)

struct Vec {
  using T = __m256;
  static constexpr int W = 8;
  static __m256i mask(int64_t m) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(m)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static T zero() { return _mm256_setzero_ps(); }
  static T set1(float v) { return _mm256_set1_ps(v); }
  static T load(const float *p) { return _mm256_loadu_ps(p); }
  static T loadPartial(const float *p, int64_t m) { return _mm256_maskload_ps(p, mask(m)); }
  static void store(float *p, T v) { _mm256_storeu_ps(p, v); }
  static void storePartial(float *p, T v, int64_t m) { _mm256_maskstore_ps(p, mask(m), v); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static T sub(T a, T b) { return _mm256_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm256_mul_ps(a, b); }
  static T div(T a, T b) { return _mm256_div_ps(a, b); }
  static T max(T a, T b) { return _mm256_max_ps(a, b); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T fnma(T a, T b, T c) { return _mm256_fnmadd_ps(a, b, c); }
  static T halves(__m128i h, WType wt) {
    return wt == WType::BF16 ? _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16))
                             : _mm256_cvtph_ps(h);
  }
  /// 8 e4m3 bytes (the low half of `bytes`) times lift / 2^8.
  static T f8(__m128i bytes, T lift) {
    __m128i h = _mm_and_si128(_mm_slli_epi16(_mm_cvtepi8_epi16(bytes), 7),
                              _mm_set1_epi16(int16_t(0xbfff)));
    __m128i nan = _mm_cmpeq_epi16(_mm_and_si128(h, _mm_set1_epi16(0x7fff)),
                                  _mm_set1_epi16(detail::kF8NanHalf));
    return _mm256_blendv_ps(_mm256_mul_ps(_mm256_cvtph_ps(h), lift),
                            _mm256_castsi256_ps(_mm256_set1_epi32(0x7fc00000)),
                            _mm256_castsi256_ps(_mm256_cvtepi16_epi32(nan)));
  }
  static T loadF8(const uint8_t *p, T lift) {
    return f8(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p)), lift);
  }
  static T loadF8Partial(const uint8_t *p, int64_t m, T lift) {
    alignas(16) uint8_t tmp[16] = {};
    std::memcpy(tmp, p, size_t(m));
    return f8(_mm_load_si128(reinterpret_cast<const __m128i *>(tmp)), lift);
  }
  /// An f16 (bits) in every lane.
  static T broadcastF16(uint16_t h) { return _mm256_cvtph_ps(_mm_set1_epi16(int16_t(h))); }
  /// 8 int8 codes from p, times scale.
  static T loadI8(const uint8_t *p, T scale) {
    __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(p));
    return mul(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), scale);
  }
  /// Elements k..k+7 (k even) of a row of int4 codes, times scale.
  static T loadI4(const uint8_t *row, int64_t k, T scale) {
    int32_t four;
    std::memcpy(&four, row + k / 2, 4);
    __m128i q, unused;
    detail::int4ToInt8(_mm_cvtsi32_si128(four), q, unused);
    return mul(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), scale);
  }
  /// Elements k..k+15 (k even) of a row of int4 codes, times scale, as two
  /// vectors: one 8-byte load and one unpacking for both.
  static void loadI4Pair(const uint8_t *row, int64_t k, T scale, T &first, T &second) {
    __m128i q, unused;
    detail::int4ToInt8(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(row + k / 2)), q, unused);
    first = mul(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), scale);
    second = mul(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q, 8))), scale);
  }
  template <WType WT>
  static T loadW(const WElem<WT> *p) {
    static_assert(!isIntW(WT), "integer codes are read with their scale: loadI8/loadI4");
    if constexpr (WT == WType::F32)
      return load(p);
    else if constexpr (WT == WType::F8E4M3)
      return loadF8(p, set1(detail::kF8Lift));
    else
      return halves(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)), WT);
  }
  template <WType WT>
  static T loadWPartial(const WElem<WT> *p, int64_t m) {
    static_assert(!isIntW(WT), "integer codes are read with their scale: loadI8/loadI4");
    if constexpr (WT == WType::F32) {
      return loadPartial(p, m);
    } else if constexpr (WT == WType::F8E4M3) {
      return loadF8Partial(p, m, set1(detail::kF8Lift));
    } else { // AVX2 has no 16-bit masked load: copy the tail out first
      alignas(16) uint16_t tmp[8] = {};
      std::memcpy(tmp, p, size_t(m) * 2);
      return halves(_mm_load_si128(reinterpret_cast<const __m128i *>(tmp)), WT);
    }
  }
  static float reduce(T a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
  }
  static float reduceMax(T a) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
  }
  static void reduce4(T a, T b, T c, T d, float *out) {
    __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1)));
  }
  static T exp(T x) {
    using namespace detail;
    x = _mm256_min_ps(_mm256_max_ps(x, set1(kExpLo)), set1(kExpHi));
    T n = _mm256_round_ps(mul(x, set1(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    x = fnma(n, set1(kExpC2), fnma(n, set1(kExpC1), x));
    T y = fma(set1(kExpP0), x, set1(kExpP1));
    y = fma(y, x, set1(kExpP2));
    y = fma(y, x, set1(kExpP3));
    y = fma(y, x, set1(kExpP4));
    y = fma(y, x, set1(kExpP5));
    y = add(fma(y, mul(x, x), x), set1(1.0f));
    __m256i e =
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return mul(y, _mm256_castsi256_ps(e));
  }
};

#else // portable fallback: one lane

struct Vec {
  using T = float;
  static constexpr int W = 1;
  static T zero() { return 0.0f; }
  static T set1(float v) { return v; }
  static T load(const float *p) { return *p; }
  static T loadPartial(const float *p, int64_t m) { return m > 0 ? *p : 0.0f; }
  static void store(float *p, T v) { *p = v; }
  static void storePartial(float *p, T v, int64_t m) {
    if (m > 0)
      *p = v;
  }
  static T add(T a, T b) { return a + b; }
  static T sub(T a, T b) { return a - b; }
  static T mul(T a, T b) { return a * b; }
  static T div(T a, T b) { return a / b; }
  static T max(T a, T b) { return a > b ? a : b; }
  static T fma(T a, T b, T c) { return std::fma(a, b, c); }
  static T fnma(T a, T b, T c) { return std::fma(-a, b, c); }
  static T loadF8(const uint8_t *p, T lift) { return f8e4m3ToF32(*p) * (lift * 0x1p-8f); }
  static T loadF8Partial(const uint8_t *p, int64_t m, T lift) {
    return m > 0 ? loadF8(p, lift) : 0.0f;
  }
  static T broadcastF16(uint16_t h) { return f16ToF32(h); }
  static T loadI8(const uint8_t *p, T scale) { return float(int8_t(*p)) * scale; }
  /// Element k of a row of int4 codes (low nibble first), times scale.
  static T loadI4(const uint8_t *row, int64_t k, T scale) {
    int nibble = (row[k / 2] >> (4 * (k & 1))) & 0xf;
    return float(nibble - 8) * scale;
  }
  static void loadI4Pair(const uint8_t *row, int64_t k, T scale, T &first, T &second) {
    first = loadI4(row, k, scale), second = loadI4(row, k + 1, scale);
  }
  template <WType WT>
  static T loadW(const WElem<WT> *p) {
    return wToF32<WT>(*p);
  }
  template <WType WT>
  static T loadWPartial(const WElem<WT> *p, int64_t m) {
    return m > 0 ? wToF32<WT>(*p) : 0.0f;
  }
  static float reduce(T a) { return a; }
  static float reduceMax(T a) { return a; }
  static void reduce4(T a, T b, T c, T d, float *out) {
    out[0] = a, out[1] = b, out[2] = c, out[3] = d;
  }
  static T exp(T x) { return std::exp(x < detail::kExpHi ? x : detail::kExpHi); }
};

#endif

namespace detail {

/// Vec::W weights of a row of integer codes from element k on (k a multiple
/// of Vec::W, so all in one group), times the group's scale.
template <WType WT>
inline typename Vec::T loadIntW(const uint8_t *row, int64_t k, typename Vec::T scale) {
  static_assert(isIntW(WT));
  if constexpr (wBits(WT) == 8)
    return Vec::loadI8(row + k, scale);
  else
    return Vec::loadI4(row, k, scale);
}

/// out[k] = float(in[k]) for k < len, vectorized; the weight-row converter.
template <WType WT>
inline void convertRow(const WElem<WT> *in, int64_t len, float *out) {
  static_assert(!isIntW(WT), "integer codes have no value without their group scales");
  int64_t k = 0;
  for (; k + Vec::W <= len; k += Vec::W)
    Vec::store(out + k, Vec::loadW<WT>(in + k));
  if (k < len)
    Vec::storePartial(out + k, Vec::loadWPartial<WT>(in + k, len - k), len - k);
}

/// sum(x[k]^2) over a row of H in double: cheap next to anything that reads
/// the row, and it keeps the rms exact to fp32 for any row length.
template <int64_t H>
inline double sumSquares(const float *x) {
  double total = 0;
#if defined(R1HK_ISA_AVX512)
  constexpr int64_t HF = H / 16 * 16;
  __m512d a0 = _mm512_setzero_pd(), a1 = _mm512_setzero_pd();
  for (int64_t k = 0; k < HF; k += 16) {
    __m512 v = _mm512_loadu_ps(x + k);
    __m512d lo = _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 0));
    __m512d hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1));
    a0 = _mm512_fmadd_pd(lo, lo, a0);
    a1 = _mm512_fmadd_pd(hi, hi, a1);
  }
  total = _mm512_reduce_add_pd(_mm512_add_pd(a0, a1));
#elif defined(R1HK_ISA_AVX2)
  constexpr int64_t HF = H / 8 * 8;
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
  for (int64_t k = 0; k < HF; k += 8) {
    __m256 v = _mm256_loadu_ps(x + k);
    __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
    __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
    a0 = _mm256_fmadd_pd(lo, lo, a0);
    a1 = _mm256_fmadd_pd(hi, hi, a1);
  }
  __m256d s = _mm256_add_pd(a0, a1);
  __m128d s2 = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  total = _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)));
#else
  constexpr int64_t HF = 0;
#endif
  for (int64_t k = HF; k < H; ++k)
    total += double(x[k]) * double(x[k]);
  return total;
}

/// 1 / sqrt(mean(x^2) + eps) of one row of H elements.
template <int64_t H>
inline float rmsScale(const float *x, float eps) {
  return float(1.0 / std::sqrt(sumSquares<H>(x) / double(H) + double(eps)));
}

/// out[k] = (x[k] * scale) * gamma[k] over a row of H: Hugging Face's
/// rounding order.
template <int64_t H>
inline void scaleRow(const float *x, float scale, const float *gamma, float *out) {
  constexpr int64_t HF = H / Vec::W * Vec::W;
  typename Vec::T s = Vec::set1(scale);
  for (int64_t k = 0; k < HF; k += Vec::W)
    Vec::store(out + k, Vec::mul(Vec::mul(Vec::load(x + k), s), Vec::load(gamma + k)));
  for (int64_t k = HF; k < H; ++k)
    out[k] = (x[k] * scale) * gamma[k];
}

} // namespace detail
} // namespace r1hk

#endif // R1HK_SIMD_H
