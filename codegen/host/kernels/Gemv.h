//===- Gemv.h - Host kernels: decode-step (one row) matrix-vector cores ---===//
//
// A decode step multiplies one activation row by every weight row, so it is
// bound by memory bandwidth: each weight byte is read once, by one task, in
// eight concurrent row streams with eight independent accumulators, and the
// K loop is one vector wide (bf16/f16 widened in registers; fp8 and integer
// codes times their block or group scale). The activation row is prepared
// once per call (normalized, and on the bf16 dot-product path rounded to
// bf16; for integer weights on AVX512-VNNI quantized to int8, GemvVnni.h)
// before the tasks start.
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_GEMV_H
#define R1HK_GEMV_H

#include "GemvVnni.h"
#include "Simd.h"

#include <new>

namespace r1hk {
namespace detail {

/// Elements k.. of a weight row in fp32, times their scale (srow: the row's
/// FP8 block or integer group scales): a whole vector, or m < Vec::W of them
/// and zeros. k is a multiple of 32, so no vector straddles a block or group;
/// integer rows are whole groups, so their m is always Vec::W.
template <WType WT>
inline typename Vec::T widenVector(const WElem<WT> *row, const ScaleElem<WT> *srow, int64_t k,
                                   int64_t m) {
  if constexpr (WT == WType::F8E4M3) {
    typename Vec::T lift = Vec::set1(srow[k / kF8Block] * kF8Lift);
    return m == Vec::W ? Vec::loadF8(row + k, lift) : Vec::loadF8Partial(row + k, m, lift);
  } else if constexpr (isIntW(WT)) {
    (void)m;
    return loadIntW<WT>(row, k, Vec::broadcastF16(srow[k / wGroup(WT)]));
  } else {
    (void)srow;
    return m == Vec::W ? Vec::template loadW<WT>(row + k)
                       : Vec::template loadWPartial<WT>(row + k, m);
  }
}

/// True where the default precision multiplies bf16 weights with bf16
/// activations (two products per fp32 lane and instruction).
template <WType WT>
constexpr bool kHasBf16Dot =
#if defined(R1HK_HAS_DPBF16)
    WT == WType::BF16;
#else
    false;
#endif

#if defined(R1HK_HAS_DPBF16)
/// out[k] = bf16((x[k] * scale) * gamma[k]) (or bf16(x[k]) when gamma is
/// null) for k < len, zeros up to padLen: an activation row for dpbf16.
inline void stageRowBf16(const float *x, float scale, const float *gamma, int64_t len,
                         int64_t padLen, uint16_t *out) {
  __m512 s = _mm512_set1_ps(scale);
  auto get = [&](int64_t k, int64_t m) {
    __mmask16 mk = Vec::mask(m < 16 ? m : 16);
    __m512 v = _mm512_maskz_loadu_ps(mk, x + k);
    return gamma ? _mm512_mul_ps(_mm512_mul_ps(v, s), _mm512_maskz_loadu_ps(mk, gamma + k)) : v;
  };
  for (int64_t k = 0; k < padLen; k += 32) {
    int64_t m = len - k; // elements left; <= 0 past the row: zeros
    __m512 lo = m > 0 ? get(k, m) : _mm512_setzero_ps();
    __m512 hi = m > 16 ? get(k + 16, m - 16) : _mm512_setzero_ps();
    _mm512_storeu_si512(out + k, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
  }
}

/// sums[r] = xb . rows[r] over K bf16 elements (xb zero-padded to 32).
template <int64_t K, int R>
inline void gemvDotBf16(const uint16_t *const *rows, const uint16_t *xb, float *sums) {
  __m512 a[R];
  R1HK_UNROLL
  for (int r = 0; r < R; ++r)
    a[r] = _mm512_setzero_ps();
  constexpr int64_t KF = K / 32 * 32;
  for (int64_t k = 0; k < KF; k += 32) {
    __m512bh xv = (__m512bh)_mm512_loadu_si512(xb + k);
    R1HK_UNROLL
    for (int r = 0; r < R; ++r)
      a[r] = _mm512_dpbf16_ps(a[r], (__m512bh)_mm512_loadu_si512(rows[r] + k), xv);
  }
  if constexpr (KF < K) {
    constexpr __mmask32 tail = __mmask32((1ull << (K - KF)) - 1);
    __m512bh xv = (__m512bh)_mm512_loadu_si512(xb + KF);
    R1HK_UNROLL
    for (int r = 0; r < R; ++r)
      a[r] = _mm512_dpbf16_ps(a[r], (__m512bh)_mm512_maskz_loadu_epi16(tail, rows[r] + KF), xv);
  }
  R1HK_UNROLL
  for (int r = 0; r < R; r += 4)
    Vec::reduce4(a[r], a[r + 1], a[r + 2], a[r + 3], sums + r);
}
#endif

/// sums[r] = x . rows[r] over K elements, weights widened to fp32 exactly.
template <int64_t K, WType WT, int R>
inline void gemvDot(const WElem<WT> *const *rows, const float *x, float *sums) {
  typename Vec::T a[R];
  R1HK_UNROLL
  for (int r = 0; r < R; ++r)
    a[r] = Vec::zero();
  constexpr int64_t KF = K / Vec::W * Vec::W;
  for (int64_t k = 0; k < KF; k += Vec::W) {
    typename Vec::T xv = Vec::load(x + k);
    R1HK_UNROLL
    for (int r = 0; r < R; ++r)
      a[r] = Vec::fma(xv, Vec::template loadW<WT>(rows[r] + k), a[r]);
  }
  if constexpr (KF < K) {
    typename Vec::T xv = Vec::loadPartial(x + KF, K - KF);
    R1HK_UNROLL
    for (int r = 0; r < R; ++r)
      a[r] = Vec::fma(xv, Vec::template loadWPartial<WT>(rows[r] + KF, K - KF), a[r]);
  }
  R1HK_UNROLL
  for (int r = 0; r < R; r += 4)
    Vec::reduce4(a[r], a[r + 1], a[r + 2], a[r + 3], sums + r);
}

/// sums[r] = x . (rows[r] * scales) over K e4m3 elements: srows[r] holds
/// row r's ceil(K/128) block scales. Block by block, each row's scale (times
/// 2^8, see detail::kF8Lift) is folded into the widening multiply.
template <int64_t K, int R>
inline void gemvDotF8(const uint8_t *const *rows, const float *const *srows, const float *x,
                      float *sums) {
  typename Vec::T a[R];
  R1HK_UNROLL
  for (int r = 0; r < R; ++r)
    a[r] = Vec::zero();
  for (int64_t k0 = 0; k0 < K; k0 += kF8Block) {
    const int64_t kb = k0 / kF8Block, end = minI(K, k0 + kF8Block);
    typename Vec::T lift[R];
    R1HK_UNROLL
    for (int r = 0; r < R; ++r)
      lift[r] = Vec::set1(srows[r][kb] * kF8Lift);
    int64_t k = k0;
    for (; k + Vec::W <= end; k += Vec::W) {
      typename Vec::T xv = Vec::load(x + k);
      R1HK_UNROLL
      for (int r = 0; r < R; ++r)
        a[r] = Vec::fma(xv, Vec::loadF8(rows[r] + k, lift[r]), a[r]);
    }
    if (k < end) { // only in the last block, when K is not a multiple of W
      typename Vec::T xv = Vec::loadPartial(x + k, end - k);
      R1HK_UNROLL
      for (int r = 0; r < R; ++r)
        a[r] = Vec::fma(xv, Vec::loadF8Partial(rows[r] + k, end - k, lift[r]), a[r]);
    }
  }
  R1HK_UNROLL
  for (int r = 0; r < R; r += 4)
    Vec::reduce4(a[r], a[r + 1], a[r + 2], a[r + 3], sums + r);
}

/// sums[r] = x . (rows[r] * scales) over K integer codes: srows[r] holds
/// row r's K/G f16 group scales. The products and their order are those of
/// gemvDot, and q * scale is exact in fp32 (see Simd.h), so the sums are
/// those of the f32 path on the dequantized weights, bit for bit. int4 rows
/// are unpacked two vectors at a time (one load, one nibble split).
template <int64_t K, WType WT, int R>
inline void gemvDotInt(const uint8_t *const *rows, const uint16_t *const *srows, const float *x,
                       float *sums) {
  constexpr int64_t G = wGroup(WT), step = wBits(WT) == 4 ? 2 * Vec::W : Vec::W;
  static_assert(K % G == 0 && G % step == 0, "integer rows are whole groups of whole vectors");
  typename Vec::T a[R];
  R1HK_UNROLL
  for (int r = 0; r < R; ++r)
    a[r] = Vec::zero();
  for (int64_t g = 0; g < K / G; ++g) {
    typename Vec::T scale[R];
    R1HK_UNROLL
    for (int r = 0; r < R; ++r)
      scale[r] = Vec::broadcastF16(srows[r][g]);
    for (int64_t k = g * G; k < (g + 1) * G; k += step) {
      typename Vec::T xv = Vec::load(x + k);
      if constexpr (wBits(WT) == 4) {
        typename Vec::T xv2 = Vec::load(x + k + Vec::W);
        R1HK_UNROLL
        for (int r = 0; r < R; ++r) {
          typename Vec::T w, w2;
          Vec::loadI4Pair(rows[r], k, scale[r], w, w2);
          a[r] = Vec::fma(xv2, w2, Vec::fma(xv, w, a[r]));
        }
      } else {
        R1HK_UNROLL
        for (int r = 0; r < R; ++r)
          a[r] = Vec::fma(xv, loadIntW<WT>(rows[r], k, scale[r]), a[r]);
      }
    }
  }
  R1HK_UNROLL
  for (int r = 0; r < R; r += 4)
    Vec::reduce4(a[r], a[r + 1], a[r + 2], a[r + 3], sums + r);
}

/// sums[r] = x . rows[r] for any weight type (srows: FP8 block or integer
/// group scales, one pointer per row; ignored for other types).
template <int64_t K, WType WT, int R>
inline void gemvDotW(const WElem<WT> *const *rows, const ScaleElem<WT> *const *srows,
                     const float *x, float *sums) {
  if constexpr (WT == WType::F8E4M3)
    gemvDotF8<K, R>(rows, srows, x, sums);
  else if constexpr (isIntW(WT))
    gemvDotInt<K, WT, R>(rows, srows, x, sums);
  else
    (void)srows, gemvDot<K, WT, R>(rows, x, sums);
}

/// The activation row of a GEMV step, prepared once: xn = rmsNorm(x) *
/// gamma when kNorm, rounded to bf16 on the bf16 dot path, quantized to
/// int8 on the integer dot path, into kStageBytes of `stage` (64-byte
/// aligned; GemvRows gives a step's rows theirs).
template <int64_t K, WType WT, bool kNorm>
struct GemvRow {
  static constexpr int64_t Kp = roundUp(K, 32);
  /// The normalized f32 row (or the bf16 one), then the int8 one.
  static constexpr int64_t kFloatBytes = roundUp(K * 4, 64);
#if defined(R1HK_HAS_VNNI)
  static constexpr int64_t kStageBytes = kFloatBytes + roundUp(vnniRowBytes(K), 64);
#else
  static constexpr int64_t kStageBytes = kFloatBytes;
#endif
  const float *xf = nullptr;
  const uint16_t *xb = nullptr; // set on the bf16 dot path
  VnniRow xq;                   // set on the integer dot path (xq.q)

  GemvRow(const Exec &ex, const float *x, const float *gamma, float eps, uint8_t *stage) {
    float scale = kNorm ? rmsScale<K>(x, eps) : 1.0f;
#if defined(R1HK_HAS_DPBF16)
    if (kHasBf16Dot<WT> && !ex.fp32) {
      uint16_t *b = reinterpret_cast<uint16_t *>(stage);
      stageRowBf16(x, scale, kNorm ? gamma : nullptr, K, Kp, b);
      xb = b;
      return;
    }
#endif
    (void)ex;
    if constexpr (kNorm) {
      float *f = reinterpret_cast<float *>(stage);
      scaleRow<K>(x, scale, gamma, f);
      xf = f;
    } else {
      (void)gamma, (void)eps;
      xf = x;
    }
#if defined(R1HK_HAS_VNNI)
    // Integer weights: the normalized row, quantized (GemvVnni.h).
    if constexpr (kUsesVnni<K, WT>)
      if (ex.intActivations)
        xq = stageRowVnni<K, WT>(xf, stage + kFloatBytes);
#endif
  }

  /// sums[r] = xn . rows[r], r < R (srows: the rows' FP8 or integer scales).
  /// `ahead`: bytes from each row to the same row of the caller's next block
  /// of rows, for prefetching where the path does (0: none).
  template <int R>
  void dot(const WElem<WT> *const *rows, float *sums,
           const ScaleElem<WT> *const *srows = nullptr, int64_t ahead = 0) const {
#if defined(R1HK_HAS_VNNI)
    if constexpr (kUsesVnni<K, WT>) {
      if (xq.q) {
        gemvDotVnni<K, WT, R>(rows, srows, xq, sums, ahead);
        return;
      }
    }
#endif
    (void)ahead;
#if defined(R1HK_HAS_DPBF16)
    if constexpr (kHasBf16Dot<WT>) {
      if (xb) {
        gemvDotBf16<K, R>(rows, xb, sums);
        return;
      }
    }
#endif
    gemvDotW<K, WT, R>(rows, srows, xf, sums);
  }

  /// dot() for this row into `sums` and `other` into `otherSums`, with the
  /// same bits as two dot() calls; integer rows share each weight block's
  /// unpacking (gemvDotVnni2). `ahead` prefetches as dot()'s.
  template <int R>
  void dot2(const GemvRow &other, const WElem<WT> *const *rows, float *sums, float *otherSums,
            const ScaleElem<WT> *const *srows = nullptr, int64_t ahead = 0) const {
#if defined(R1HK_HAS_VNNI)
    if constexpr (kUsesVnni<K, WT>) {
      if (xq.q && other.xq.q) {
        gemvDotVnni2<K, WT, R>(rows, srows, xq, other.xq, sums, otherSums, ahead);
        return;
      }
    }
#endif
    dot<R>(rows, sums, srows, ahead);
    other.template dot<R>(rows, otherSums, srows, 0);
  }
};

/// The activation rows of a GEMV step of n <= kGemvMaxTokens tokens, each
/// prepared as GemvRow prepares one, staged in the calling thread's scratch
/// (sized once per step: rows staged later must not move earlier ones).
template <int64_t K, WType WT, bool kNorm>
class GemvRows {
public:
  using Row = GemvRow<K, WT, kNorm>;
  GemvRows(const Exec &ex, const float *x, int64_t n, const float *gamma, float eps) {
    uint8_t *stage = alignedScratch<3>(n * Row::kStageBytes);
    for (int64_t t = 0; t < n; ++t)
      row_[t] = new (storage_[t]) Row(ex, x + t * K, gamma, eps, stage + t * Row::kStageBytes);
  }
  GemvRows(const GemvRows &) = delete;
  GemvRows &operator=(const GemvRows &) = delete;
  const Row &operator[](int64_t t) const { return *row_[t]; }

private:
  alignas(Row) unsigned char storage_[kGemvMaxTokens][sizeof(Row)];
  const Row *row_[kGemvMaxTokens];
};

/// Every token's dot<R> of `row` (GemvRows) against `rows`, two tokens at a
/// time (GemvRow::dot2: integer weights unpacked once per pair), handing
/// use(t, sums) each token's R sums; the first token's dots prefetch `ahead`.
template <int R, class Rows, class Use>
inline void dotEachToken(const Rows &row, int64_t n, const auto *const *rows, const auto *srows,
                         int64_t ahead, Use &&use) {
  for (int64_t t = 0; t < n; t += 2) {
    float sums[2][R];
    int64_t prefetch = t == 0 ? ahead : 0;
    if (t + 1 < n) {
      row[t].template dot2<R>(row[t + 1], rows, sums[0], sums[1], srows, prefetch);
      use(t, sums[0]), use(t + 1, sums[1]);
    } else {
      row[t].template dot<R>(rows, sums[0], srows, prefetch);
      use(t, sums[0]);
    }
  }
}

/// Output rows per decode task: Exec::decodeTasksPerThread tasks per thread
/// (one task on one thread), aligned to 16.
inline int64_t gemvSpan(const Exec &ex, int64_t rows) {
  return roundUp(ceilDiv(rows, ex.taskCount(ceilDiv(rows, 16), ex.decodeTasksPerThread)), 16);
}

} // namespace detail
} // namespace r1hk

#endif // R1HK_GEMV_H
