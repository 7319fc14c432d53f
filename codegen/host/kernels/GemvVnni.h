//===- GemvVnni.h - Host kernels: integer decode GEMV on vpdpbusd ---------===//
//
// Integer weights (int8 / int4 with f16 group scales) at the default
// precision: the activation row is quantized once per call to int8 in blocks
// of 32 (one f32 scale each, amax / 127, round to nearest even: llama.cpp's
// Q8_0 recipe), and each weight row is multiplied with it by AVX512-VNNI's
// vpdpbusd (64 u8 x s8 products into 16 int32 lanes per instruction). Per
// block the exact integer sums are scaled by weight scale x activation scale
// and accumulated in fp32. `--precision fp32` keeps the exact fp32 path of
// Gemv.h (gemvDotInt); docs/quantization.md measures what this costs.
//
// vpdpbusd multiplies unsigned by signed bytes, so the weights enter as
// unsigned codes: int8 q + 128 (one xor), int4's stored nibble q + 8 as is.
// The offsets come back out per lane: -offset x (sum of the lane's four
// activation codes), prepared with the row, is the accumulator vpdpbusd
// starts from, so the exact integer sum needs no subtraction.
//
// Weight scales (f16, one per group of 32) are converted 16 at a time per
// row, once per 8 int8 or 4 int4 blocks, and each block takes its lanes'
// scales from them with one permute; the per-block load and conversion cost
// about as much as the multiply-add itself (VnniScaleRun below).
//
// Blocks are 64 codes for int8 (one 64-byte load) and 128 for int4 (64 bytes:
// the low nibbles are elements 0, 2, .., 126, the high ones 1, 3, .., 127),
// so the activation codes are staged in that order. Lane l of a block covers
// elements 4l..4l+3 (int8) or 8l..8l+7 (int4, both halves), so its weight and
// activation scales are those of the group holding element 4l or 8l.
//
// Decode streams each weight byte once; rows are short (768 bytes for int4
// at K = 1536), too short for the hardware prefetcher to ramp up per row, so
// each row step prefetches the matching line of the next block of rows.
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_GEMVVNNI_H
#define R1HK_GEMVVNNI_H

#include "Simd.h"

#if defined(R1HK_ISA_AVX512) && defined(__AVX512VNNI__)
#define R1HK_HAS_VNNI 1
#endif

namespace r1hk {
namespace detail {

/// Codes per vpdpbusd block of a weight row.
template <WType WT>
constexpr int64_t kVnniBlock = wBits(WT) == 8 ? 64 : 128;

/// True where the default precision takes this path for a K-wide row.
template <int64_t K, WType WT>
constexpr bool kUsesVnni =
#if defined(R1HK_HAS_VNNI)
    isIntW(WT) && K % kVnniBlock<WT> == 0;
#else
    false;
#endif

/// An activation row staged for vpdpbusd: per block its int8 codes in the
/// weights' unpacked order, and per lane the offset correction and the
/// activation scale (all K / 4 long but q).
struct VnniRow {
  const int8_t *q = nullptr;
  const int32_t *negCorr = nullptr; // -offset x the lane's code sum
  const float *sx = nullptr;
};

#if defined(R1HK_HAS_VNNI)

/// Stages x (K floats, 4-byte aligned) for WT into `buffer`, which must hold
/// vnniRowBytes(K) bytes, 64-byte aligned.
constexpr int64_t vnniRowBytes(int64_t K) { return 4 * K; }

template <int64_t K, WType WT>
inline VnniRow stageRowVnni(const float *x, uint8_t *buffer) {
  constexpr int64_t B = kVnniBlock<WT>;
  static_assert(K % B == 0);
  int8_t *q = reinterpret_cast<int8_t *>(buffer);          // staged order, K
  int32_t *corr = reinterpret_cast<int32_t *>(buffer + K); // K / 4
  float *sx = reinterpret_cast<float *>(buffer + 2 * K);   // K / 4
  int8_t *natural = reinterpret_cast<int8_t *>(buffer + 3 * K);
  float blockScale[K / 32];
  for (int64_t b = 0; b < K / 32; ++b) {
    __m512 v0 = _mm512_loadu_ps(x + 32 * b), v1 = _mm512_loadu_ps(x + 32 * b + 16);
    float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
    blockScale[b] = amax / 127.0f;
    __m512 inv = _mm512_set1_ps(amax > 0 ? 127.0f / amax : 0.0f);
    // cvtps_epi32 rounds to nearest even (the default MXCSR); |code| <= 127.
    _mm_storeu_si128(reinterpret_cast<__m128i *>(natural + 32 * b),
                     _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(v0, inv))));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(natural + 32 * b + 16),
                     _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(v1, inv))));
  }
  constexpr int offset = wBits(WT) == 8 ? 128 : 8;
  for (int64_t j = 0; j < K / B; ++j) {
    const int8_t *in = natural + B * j;
    int8_t *out = q + B * j;
    if constexpr (wBits(WT) == 8) {
      std::memcpy(out, in, B);
    } else {
      for (int64_t p = 0; p < 64; ++p)
        out[p] = in[2 * p], out[64 + p] = in[2 * p + 1];
    }
    for (int64_t l = 0; l < 16; ++l) {
      int32_t sum = 0;
      for (int64_t t = 0; t < 4; ++t) {
        sum += out[4 * l + t];
        if constexpr (wBits(WT) == 4)
          sum += out[64 + 4 * l + t];
      }
      corr[16 * j + l] = -offset * sum;
      sx[16 * j + l] = blockScale[(B * j + l * (B / 16)) / 32];
    }
  }
  return {q, corr, sx};
}

/// The weight scales of one row for block j, one per lane (see the file
/// comment): a broadcast when the group spans the block.
template <WType WT>
inline __m512 vnniGroupScales(const uint16_t *scales, int64_t j) {
  constexpr int64_t B = kVnniBlock<WT>, G = wGroup(WT), perLane = B / 16;
  if constexpr (G >= B) {
    return _mm512_cvtph_ps(_mm256_set1_epi16(int16_t(scales[B * j / G])));
  } else {
    constexpr int64_t n = B / G; // 2 or 4 groups per block
    __m128i h;
    if constexpr (n == 2) {
      int32_t two;
      std::memcpy(&two, scales + n * j, 4);
      h = _mm_cvtsi32_si128(two);
    } else {
      h = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(scales + n * j));
    }
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i group = _mm512_srli_epi32(_mm512_mullo_epi32(lane, _mm512_set1_epi32(perLane)),
                                            std::countr_zero(uint64_t(G)));
    return _mm512_permutexvar_ps(group, _mm512_castps128_ps512(_mm_cvtph_ps(h)));
  }
}

/// The weight scales of R rows for blocks [j0, j0 + C), C blocks of one
/// run: where a group is narrower than a block, the run's C x (B / G) <= 16
/// scales of each row are loaded and converted once (a masked load when
/// fewer than 16, never past the row's scales) and block j0 + jj takes its
/// lanes' from them with one permute; otherwise vnniGroupScales per block.
/// Either way the same f32 values as vnniGroupScales.
template <WType WT, int R, int64_t C>
struct VnniScaleRun {
  static constexpr int64_t B = kVnniBlock<WT>, G = wGroup(WT);
  static constexpr bool kShared = G < B;
  /// Blocks per run: 16 scales' worth, or 1 when each block has one scale.
  static constexpr int64_t kBlocks = kShared ? 16 / (B / G) : 1;
  const uint16_t *const *srows;
  int64_t j0;
  __m512 sc[R];

  VnniScaleRun(const uint16_t *const *srows_, int64_t j0_) : srows(srows_), j0(j0_) {
    if constexpr (kShared) {
      constexpr int64_t count = C * (B / G);
      static_assert(count <= 16);
      R1HK_UNROLL
      for (int r = 0; r < R; ++r) {
        const uint16_t *p = srows[r] + j0 * (B / G);
        __m256i h;
        if constexpr (count == 16)
          h = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
        else
          h = _mm256_maskz_loadu_epi16(__mmask16((1u << count) - 1), p);
        sc[r] = _mm512_cvtph_ps(h);
      }
    }
  }
  /// Row r's scales for block j0 + jj.
  __m512 operator()(int r, int64_t jj) const {
    if constexpr (kShared) {
      constexpr int64_t perLane = B / 16;
      const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
      const __m512i group = _mm512_add_epi32(
          _mm512_set1_epi32(int32_t(jj * (B / G))),
          _mm512_srli_epi32(_mm512_mullo_epi32(lane, _mm512_set1_epi32(perLane)),
                            std::countr_zero(uint64_t(G))));
      return _mm512_permutexvar_ps(group, sc[r]);
    } else {
      return vnniGroupScales<WT>(srows[r], j0 + jj);
    }
  }
};

/// Calls run.template operator()<C>(j0) over the K / B blocks in runs of
/// VnniScaleRun's kBlocks (C a compile-time count; the last run shorter).
template <int64_t K, WType WT, class Run>
inline void forVnniRuns(Run &&run) {
  constexpr int64_t blocks = K / kVnniBlock<WT>;
  constexpr int64_t C = VnniScaleRun<WT, 1, 1>::kBlocks;
  int64_t j0 = 0;
  for (; j0 + C <= blocks; j0 += C)
    run.template operator()<C>(j0);
  if constexpr (blocks % C != 0)
    run.template operator()<blocks % C>(j0);
}

/// sums[r] = x . (rows[r] * scales) over K integer codes, x staged by
/// stageRowVnni. `ahead`: bytes from a row to the same row of the next block
/// of rows (0: no prefetch).
template <int64_t K, WType WT, int R>
inline void gemvDotVnni(const uint8_t *const *rows, const uint16_t *const *srows,
                        const VnniRow &x, float *sums, int64_t ahead) {
  constexpr int64_t B = kVnniBlock<WT>;
  __m512 a[R];
  R1HK_UNROLL
  for (int r = 0; r < R; ++r)
    a[r] = _mm512_setzero_ps();
  const __m512i nibble = _mm512_set1_epi8(0x0f), sign = _mm512_set1_epi8(char(0x80));
  forVnniRuns<K, WT>([&]<int64_t C>(int64_t j0) {
    const VnniScaleRun<WT, R, C> scales(srows, j0);
    R1HK_UNROLL
    for (int64_t jj = 0; jj < C; ++jj) {
      const int64_t j = j0 + jj;
      const __m512i negCorr = _mm512_loadu_si512(x.negCorr + 16 * j);
      const __m512 sx = _mm512_loadu_ps(x.sx + 16 * j);
      const __m512i x0 = _mm512_loadu_si512(x.q + B * j);
      R1HK_UNROLL
      for (int r = 0; r < R; ++r) {
        if (ahead)
          _mm_prefetch(reinterpret_cast<const char *>(rows[r] + ahead + 64 * j), _MM_HINT_T0);
        const __m512i w = _mm512_loadu_si512(rows[r] + 64 * j);
        __m512i sum;
        if constexpr (wBits(WT) == 8) {
          sum = _mm512_dpbusd_epi32(negCorr, _mm512_xor_si512(w, sign), x0);
        } else {
          const __m512i x1 = _mm512_loadu_si512(x.q + B * j + 64);
          sum = _mm512_dpbusd_epi32(negCorr, _mm512_and_si512(w, nibble), x0);
          sum = _mm512_dpbusd_epi32(sum, _mm512_and_si512(_mm512_srli_epi16(w, 4), nibble), x1);
        }
        const __m512 scale = _mm512_mul_ps(scales(r, jj), sx);
        a[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), scale, a[r]);
      }
    }
  });
  R1HK_UNROLL
  for (int r = 0; r < R; r += 4)
    Vec::reduce4(a[r], a[r + 1], a[r + 2], a[r + 3], sums + r);
}

/// gemvDotVnni for two activation rows at once: each weight block is loaded,
/// unpacked and its scales converted once for both. Every operation on a
/// row's sums is gemvDotVnni's, in its order, so sums0 and sums1 are
/// bit-identical to two gemvDotVnni calls (a batch of sequences decodes as
/// each would alone); the work saved is the unpacking, a third of the
/// instructions per int4 block. `ahead` as gemvDotVnni's.
template <int64_t K, WType WT, int R>
inline void gemvDotVnni2(const uint8_t *const *rows, const uint16_t *const *srows,
                         const VnniRow &x, const VnniRow &y, float *sums0, float *sums1,
                         int64_t ahead) {
  constexpr int64_t B = kVnniBlock<WT>;
  __m512 a[R], b[R];
  R1HK_UNROLL
  for (int r = 0; r < R; ++r)
    a[r] = _mm512_setzero_ps(), b[r] = _mm512_setzero_ps();
  const __m512i nibble = _mm512_set1_epi8(0x0f), sign = _mm512_set1_epi8(char(0x80));
  forVnniRuns<K, WT>([&]<int64_t C>(int64_t j0) {
    const VnniScaleRun<WT, R, C> scales(srows, j0);
    R1HK_UNROLL
    for (int64_t jj = 0; jj < C; ++jj) {
      const int64_t j = j0 + jj;
      const __m512i xcorr = _mm512_loadu_si512(x.negCorr + 16 * j);
      const __m512i ycorr = _mm512_loadu_si512(y.negCorr + 16 * j);
      const __m512 xs = _mm512_loadu_ps(x.sx + 16 * j), ys = _mm512_loadu_ps(y.sx + 16 * j);
      R1HK_UNROLL
      for (int r = 0; r < R; ++r) {
        if (ahead)
          _mm_prefetch(reinterpret_cast<const char *>(rows[r] + ahead + 64 * j), _MM_HINT_T0);
        const __m512i w = _mm512_loadu_si512(rows[r] + 64 * j);
        __m512i xsum, ysum;
        if constexpr (wBits(WT) == 8) {
          const __m512i u = _mm512_xor_si512(w, sign);
          xsum = _mm512_dpbusd_epi32(xcorr, u, _mm512_loadu_si512(x.q + B * j));
          ysum = _mm512_dpbusd_epi32(ycorr, u, _mm512_loadu_si512(y.q + B * j));
        } else {
          const __m512i lo = _mm512_and_si512(w, nibble);
          const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(w, 4), nibble);
          xsum = _mm512_dpbusd_epi32(xcorr, lo, _mm512_loadu_si512(x.q + B * j));
          xsum = _mm512_dpbusd_epi32(xsum, hi, _mm512_loadu_si512(x.q + B * j + 64));
          ysum = _mm512_dpbusd_epi32(ycorr, lo, _mm512_loadu_si512(y.q + B * j));
          ysum = _mm512_dpbusd_epi32(ysum, hi, _mm512_loadu_si512(y.q + B * j + 64));
        }
        const __m512 ws = scales(r, jj);
        a[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(xsum), _mm512_mul_ps(ws, xs), a[r]);
        b[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(ysum), _mm512_mul_ps(ws, ys), b[r]);
      }
    }
  });
  R1HK_UNROLL
  for (int r = 0; r < R; r += 4) {
    Vec::reduce4(a[r], a[r + 1], a[r + 2], a[r + 3], sums0 + r);
    Vec::reduce4(b[r], b[r + 1], b[r + 2], b[r + 3], sums1 + r);
  }
}

#endif // R1HK_HAS_VNNI

} // namespace detail
} // namespace r1hk

#endif // R1HK_GEMVVNNI_H
