//===- Gemm.h - Host kernels: prefill (many rows) matrix-matrix cores -----===//
//
// A prefill task owns a block of kTileRows (16) weight rows and computes them
// for a block of up to kTokenBlock (128) tokens into a small accumulator
// array; the caller writes that array out (bias, norm scale, silu).
//
// fp32 path: K is cut into chunks of at most 1024; each chunk of the 16 rows
// is widened to fp32 once into a stack tile (FP8 and integer codes times
// their scales, gamma folded in when the input is normalized: xn.w = rms(x)
// * sum_k x[k] * (gamma[k] * w[k])) and then reused by every token group.
// The micro-kernel keeps a tokens x 4 rows block of accumulators in
// registers (4 x 4 with AVX-512, 2 x 4 with AVX2), vectorized along K, and
// reduces them once per chunk.
//
// bf16 dot path (default precision, bf16 weights, AVX-512 BF16): the token
// block is normalized and rounded to bf16 once (per-thread staging buffer),
// the weights are used as they are, and the same micro-kernel shape runs on
// _mm512_dpbf16_ps.
//
// AMX path (integer weights at the default precision, bf16 / FP8 / integer
// weights in bf16 mode, a CPU and OS that allow AMX: amxFor): the same bf16
// token block times the 16 rows packed into bf16 weight tiles; GemmAmx.h.
//
// VNNI path (integer weights at the default and bf16 precisions, AVX512-VNNI,
// where AMX does not take the step): each token's row quantized to int8 as
// a decode step's (GemvRow) and multiplied on vpdpbusd; GemmVnni.h.
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_GEMM_H
#define R1HK_GEMM_H

#include "GemmAmx.h"
#include "GemmVnni.h"

namespace r1hk {
namespace detail {

constexpr int64_t kTileRows = 16;
constexpr int64_t kTokenBlock = 128;
#if defined(R1HK_ISA_AVX512)
constexpr int kTokenGroup = 4;
#else
constexpr int kTokenGroup = 2;
#endif

/// acc[t * 16 + r] += x[t] . tile[r] over len elements for t < T, r < 4.
/// tile rows are zero-padded to a whole vector; x rows (T pointers, each at
/// the chunk's first element) are not (partial load).
template <int T>
inline void microF32(const float *const *x, const float *tile, int64_t tStride, int64_t len,
                     float *acc) {
  typename Vec::T a[T][4];
  R1HK_UNROLL
  for (int t = 0; t < T; ++t) {
    R1HK_UNROLL
    for (int r = 0; r < 4; ++r)
      a[t][r] = Vec::zero();
  }
  auto step = [&](int64_t k, bool partial) {
    typename Vec::T xv[T];
    R1HK_UNROLL
    for (int t = 0; t < T; ++t)
      xv[t] = partial ? Vec::loadPartial(x[t] + k, len - k) : Vec::load(x[t] + k);
    R1HK_UNROLL
    for (int r = 0; r < 4; ++r) {
      typename Vec::T w = Vec::load(tile + r * tStride + k);
      R1HK_UNROLL
      for (int t = 0; t < T; ++t)
        a[t][r] = Vec::fma(xv[t], w, a[t][r]);
    }
  };
  int64_t k = 0;
  for (; k + Vec::W <= len; k += Vec::W)
    step(k, false);
  if (k < len)
    step(k, true);
  R1HK_UNROLL
  for (int t = 0; t < T; ++t) {
    float s[4];
    Vec::reduce4(a[t][0], a[t][1], a[t][2], a[t][3], s);
    for (int r = 0; r < 4; ++r)
      acc[t * kTileRows + r] += s[r];
  }
}

/// tile[r * KC + k] = float(rows[r][k0 + k]) (* gamma[k0 + k] with kNorm)
/// for k < len, zero-padded to a whole vector; rows with scales are scaled
/// (srows[r]). k0 is a multiple of 32.
template <WType WT, bool kNorm>
inline void widenTile(const WElem<WT> *const *rows, const ScaleElem<WT> *const *srows,
                      const float *gamma, int64_t k0, int64_t len, int64_t KC, float *tile) {
  for (int64_t r = 0; r < kTileRows; ++r) {
    float *dst = tile + r * KC;
    for (int64_t k = 0; k < len; k += Vec::W) {
      bool whole = k + Vec::W <= len;
      typename Vec::T v = widenVector<WT>(rows[r], srows[r], k0 + k, whole ? Vec::W : len - k);
      if constexpr (kNorm)
        v = Vec::mul(v, whole ? Vec::load(gamma + k0 + k)
                              : Vec::loadPartial(gamma + k0 + k, len - k));
      Vec::store(dst + k, v);
    }
  }
}

/// acc[t * 16 + r] = x[t] . W[rows[r]] (fp32 path) for `tokens` (<= 128)
/// activation rows given by pointers, r < 16; gamma folded into the tile.
template <int64_t K, WType WT, bool kNorm>
void gemmTileF32(const float *const *x, int64_t tokens, const WElem<WT> *const *rows,
                 const ScaleElem<WT> *const *srows, const float *gamma, float *acc) {
  for (int64_t i = 0; i < tokens * kTileRows; ++i)
    acc[i] = 0.0f;
  constexpr int64_t KC = roundUp(ceilDiv(K, ceilDiv(K, 1024)), 32);
  alignas(64) float tile[kTileRows * KC];
  for (int64_t k0 = 0; k0 < K; k0 += KC) {
    int64_t len = minI(KC, K - k0);
    // 1. Widen the chunk of the 16 rows once (zero-padded to a vector).
    widenTile<WT, kNorm>(rows, srows, gamma, k0, len, KC, tile);
    // 2. Every token group against the tile.
    for (int64_t t0 = 0; t0 < tokens; t0 += kTokenGroup) {
      const float *xg[kTokenGroup];
      for (int64_t t = 0; t < kTokenGroup; ++t)
        xg[t] = x[minI(t0 + t, tokens - 1)] + k0;
      float *a = acc + t0 * kTileRows;
      for (int64_t rq = 0; rq < kTileRows; rq += 4) {
        const float *tr = tile + rq * KC;
        switch (minI(kTokenGroup, tokens - t0)) {
#if defined(R1HK_ISA_AVX512)
        case 4: microF32<4>(xg, tr, KC, len, a + rq); break;
        case 3: microF32<3>(xg, tr, KC, len, a + rq); break;
#endif
        case 2: microF32<2>(xg, tr, KC, len, a + rq); break;
        default: microF32<1>(xg, tr, KC, len, a + rq); break;
        }
      }
    }
  }
}

#if defined(R1HK_HAS_DPBF16)
/// acc[t * 16 + r] += xb[t] . rows[r] over len bf16 elements. xb rows are
/// zero-padded to 32; weight rows are read with a masked tail.
template <int T>
inline void microBf16(const uint16_t *xb, int64_t xStride, const uint16_t *const *rows, int64_t len,
                      float *acc) {
  __m512 a[T][4];
  R1HK_UNROLL
  for (int t = 0; t < T; ++t) {
    R1HK_UNROLL
    for (int r = 0; r < 4; ++r)
      a[t][r] = _mm512_setzero_ps();
  }
  auto step = [&](int64_t k, __mmask32 m) {
    __m512bh xv[T];
    R1HK_UNROLL
    for (int t = 0; t < T; ++t)
      xv[t] = (__m512bh)_mm512_loadu_si512(xb + t * xStride + k);
    R1HK_UNROLL
    for (int r = 0; r < 4; ++r) {
      __m512bh w = (__m512bh)_mm512_maskz_loadu_epi16(m, rows[r] + k);
      R1HK_UNROLL
      for (int t = 0; t < T; ++t)
        a[t][r] = _mm512_dpbf16_ps(a[t][r], xv[t], w);
    }
  };
  int64_t k = 0;
  for (; k + 32 <= len; k += 32)
    step(k, ~__mmask32(0));
  if (k < len)
    step(k, __mmask32((1ull << (len - k)) - 1));
  R1HK_UNROLL
  for (int t = 0; t < T; ++t) {
    float s[4];
    Vec::reduce4(a[t][0], a[t][1], a[t][2], a[t][3], s);
    for (int r = 0; r < 4; ++r)
      acc[t * kTileRows + r] += s[r];
  }
}
#endif

/// A token block's activations, prepared once before the row tasks run:
/// rms scales for the fp32 path, bf16 rows for the bf16 dot and AMX paths
/// (rounded up to whole 16-row activation tiles), int8 rows for the VNNI
/// path.
template <int64_t K, WType WT, bool kNorm>
struct GemmRows {
  static constexpr int64_t Kp = roundUp(K, 32);
  const float *x;
  int64_t tokens;
  bool bf16Dot = false;
  bool amx = false;
  const uint16_t *xb = nullptr;
  float scale[kTokenBlock];
#if defined(R1HK_HAS_VNNI)
  bool vnni = false;
  VnniRow xq[kTokenBlock]; // on the VNNI path: each token's int8 row
#endif

  GemmRows(const Exec &ex, const float *x_, int64_t tokens_, const float *gamma, float eps)
      : x(x_), tokens(tokens_) {
#if defined(R1HK_HAS_DPBF16)
#if defined(R1HK_HAS_AMX)
    amx = tokens >= ex.amxMinTokens && amxFor<WT>(ex);
#endif
    if (amx || (kHasBf16Dot<WT> && !ex.fp32)) {
      bf16Dot = true;
      uint16_t *b = threadScratch<uint16_t, 1>(size_t(roundUp(tokens, 16) * Kp));
      xb = b;
      forRowRanges(ex, tokens, K, 1 << 15, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t)
          stageRowBf16(x + t * K, kNorm ? rmsScale<K>(x + t * K, eps) : 1.0f,
                       kNorm ? gamma : nullptr, K, Kp, b + t * Kp);
      });
      return;
    }
#endif
#if defined(R1HK_HAS_VNNI)
    if constexpr (kUsesVnni<K, WT>) {
      if (ex.intActivations) {
        // Normalized and quantized as a decode step's row (GemvRow).
        using Row = GemvRow<K, WT, kNorm>;
        vnni = true;
        uint8_t *stage = alignedScratch<7>(tokens * Row::kStageBytes);
        forRowRanges(ex, tokens, K, 1 << 15, [&](int64_t begin, int64_t end) {
          for (int64_t t = begin; t < end; ++t)
            xq[t] = Row(ex, x + t * K, gamma, eps, stage + t * Row::kStageBytes).xq;
        });
        return;
      }
    }
#endif
    if constexpr (kNorm) {
      forRowRanges(ex, tokens, K, 1 << 15, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t)
          scale[t] = rmsScale<K>(x + t * K, eps);
      });
    } else {
      (void)ex, (void)gamma, (void)eps;
    }
  }

  /// What a finished dot product of token t is multiplied by.
  float rowScale(int64_t t) const {
#if defined(R1HK_HAS_VNNI)
    if (vnni)
      return 1.0f;
#endif
    return kNorm && !bf16Dot ? scale[t] : 1.0f;
  }
};

/// acc[t * 16 + r] = x[t] . W[rows[r]] for the token block, r < 16.
template <int64_t K, WType WT, bool kNorm>
void gemmBlock(const GemmRows<K, WT, kNorm> &in, const WElem<WT> *const *rows, const float *gamma,
               float *acc, const ScaleElem<WT> *const *srows = nullptr) {
#if defined(R1HK_HAS_AMX)
  if constexpr (kAmxWeights<WT>) {
    if (in.amx) {
      gemmTileAmx<K, WT>(in.xb, in.tokens, rows, srows, acc);
      return;
    }
  }
#endif
#if defined(R1HK_HAS_VNNI)
  if constexpr (kUsesVnni<K, WT>) {
    if (in.vnni) {
      gemmTileVnni<K, WT>(in.xq, in.tokens, rows, srows, acc);
      return;
    }
  }
#endif
#if defined(R1HK_HAS_DPBF16)
  if constexpr (kHasBf16Dot<WT>) {
    if (in.bf16Dot) {
      for (int64_t i = 0; i < in.tokens * kTileRows; ++i)
        acc[i] = 0.0f;
      constexpr int64_t KC = roundUp(ceilDiv(K, ceilDiv(K, 2048)), 32);
      constexpr int64_t Kp = GemmRows<K, WT, kNorm>::Kp;
      for (int64_t k0 = 0; k0 < K; k0 += KC) {
        int64_t len = minI(KC, K - k0);
        for (int64_t t0 = 0; t0 < in.tokens; t0 += 4) {
          const uint16_t *xb = in.xb + t0 * Kp + k0;
          float *a = acc + t0 * kTileRows;
          for (int64_t rq = 0; rq < kTileRows; rq += 4) {
            const uint16_t *r4[4] = {rows[rq] + k0, rows[rq + 1] + k0, rows[rq + 2] + k0,
                                     rows[rq + 3] + k0};
            switch (minI(4, in.tokens - t0)) {
            case 4: microBf16<4>(xb, Kp, r4, len, a + rq); break;
            case 3: microBf16<3>(xb, Kp, r4, len, a + rq); break;
            case 2: microBf16<2>(xb, Kp, r4, len, a + rq); break;
            default: microBf16<1>(xb, Kp, r4, len, a + rq); break;
            }
          }
        }
      }
      return;
    }
  }
#endif
  const float *x[kTokenBlock];
  for (int64_t t = 0; t < in.tokens; ++t)
    x[t] = in.x + t * K;
  gemmTileF32<K, WT, kNorm>(x, in.tokens, rows, srows, gamma, acc);
}

} // namespace detail
} // namespace r1hk

#endif // R1HK_GEMM_H
