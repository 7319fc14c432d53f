//===- Linear.h - Host kernels: linear (fused QKV, bias, norm) and SwiGLU -===//
//
// linear: y_s = xn . W_s^T + b_s for the row segments s of one weight array
// (Q/K/V or gate/up fused by the compiler into one matrix, written to
// separate outputs), xn = rmsNorm(x) * gamma when kNorm.
// gatedLinear: out = silu(xn . Wg^T) * (xn . Wu^T) with W = [Wg; Wu].
//
// kRows == 1 (decode) and steps of at most Exec::gemvMaxTokens tokens take
// the GEMV cores of Gemv.h, split over output rows, each block of weight
// rows read from memory once for all the step's tokens; longer steps take
// the blocked cores of Gemm.h, one task per 16 weight rows (8 gated
// outputs) and 128 tokens.
// Blocks never straddle a segment; short blocks at a segment's end repeat
// its last row and drop the extra results.
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_LINEAR_H
#define R1HK_LINEAR_H

#include "Elementwise.h"
#include "Gemm.h"

namespace r1hk {
namespace detail {

/// Finds the segment of a task numbered across segments of `size[s]` rows,
/// each cut into spans of `span` rows: sets segment, first row, row offset.
template <int64_t S>
inline void locateSpan(const int64_t (&size)[S], int64_t span, int64_t task, int64_t &segment,
                       int64_t &begin, int64_t &offset) {
  int64_t s = 0, off = 0;
  while (s + 1 < S && task >= ceilDiv(size[s], span)) {
    task -= ceilDiv(size[s], span);
    off += size[s];
    ++s;
  }
  segment = s, begin = task * span, offset = off;
}

template <int64_t S>
inline int64_t spanCount(const int64_t (&size)[S], int64_t span) {
  int64_t total = 0;
  for (int64_t s = 0; s < S; ++s)
    total += ceilDiv(size[s], span);
  return total;
}

/// The GEMV cores for n <= kGemvMaxTokens tokens: each block of 8 (or
/// 4 + 4) weight rows is read from memory once, by the first token's dot,
/// and from cache by the others'; every token's arithmetic is exactly a
/// decode step's.
template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t... N>
void linearGemv(const Exec &ex, const float *x, int64_t n, const WElem<WT> *w, const float *bias,
                const float *gamma, float eps, float *const *outs, const void *scales) {
  constexpr int64_t S = sizeof...(N), total = (N + ...);
  constexpr int64_t size[S] = {N...};
  const GemvRows<K, WT, kNorm> row(ex, x, n, gamma, eps);
  const int64_t span = gemvSpan(ex, total);
  ex.run(spanCount(size, span), [&](int64_t task) {
    int64_t s, begin, off;
    locateSpan(size, span, task, s, begin, off);
    int64_t end = minI(size[s], begin + span);
    for (int64_t r = begin; r < end; r += 8) {
      const WElem<WT> *rows[8];
      const ScaleElem<WT> *srows[8];
      for (int64_t i = 0; i < 8; ++i) {
        int64_t j = off + minI(r + i, end - 1);
        rows[i] = weightRow<WT, K>(w, j);
        srows[i] = scalesOfRow<WT, K>(scales, j);
      }
      // The next 8 rows follow these; prefetch them only inside the span.
      int64_t ahead = r + 16 <= end ? 8 * rowBytes(WT, K) : 0;
      dotEachToken<8>(row, n, rows, srows, ahead, [&](int64_t t, const float *sums) {
        float *out = outs[s] + t * size[s];
        for (int64_t i = 0; i < 8 && r + i < end; ++i) {
          float y = sums[i];
          if constexpr (kBias)
            y += bias[off + r + i];
          out[r + i] = y;
        }
      });
    }
  });
}

template <int64_t K, int64_t I, WType WT, bool kNorm>
void gatedGemv(const Exec &ex, const float *x, int64_t n, const WElem<WT> *w, const float *gamma,
               float eps, float *out, const void *scales) {
  const GemvRows<K, WT, kNorm> row(ex, x, n, gamma, eps);
  const int64_t span = gemvSpan(ex, I);
  ex.run(ceilDiv(I, span), [&](int64_t task) {
    int64_t begin = task * span, end = minI(I, begin + span);
    for (int64_t i0 = begin; i0 < end; i0 += 4) {
      const WElem<WT> *rows[8]; // gate rows i0.., then up rows I + i0..
      const ScaleElem<WT> *srows[8];
      for (int64_t i = 0; i < 4; ++i) {
        int64_t j = minI(i0 + i, end - 1);
        rows[i] = weightRow<WT, K>(w, j), rows[4 + i] = weightRow<WT, K>(w, I + j);
        srows[i] = scalesOfRow<WT, K>(scales, j), srows[4 + i] = scalesOfRow<WT, K>(scales, I + j);
      }
      int64_t ahead = i0 + 8 <= end ? 4 * rowBytes(WT, K) : 0; // gate and up rows i0 + 4..
      dotEachToken<8>(row, n, rows, srows, ahead, [&](int64_t t, const float *sums) {
        siluMulRow(sums, sums + 4, minI(4, end - i0), out + t * I + i0);
      });
    }
  });
}

template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t... N>
void linearGemm(const Exec &ex, const float *x, int64_t n, const WElem<WT> *w, const float *bias,
                const float *gamma, float eps, float *const *outs, const void *scales) {
  constexpr int64_t S = sizeof...(N);
  constexpr int64_t size[S] = {N...};
  const int64_t blocks = spanCount(size, kTileRows);
  for (int64_t t0 = 0; t0 < n; t0 += kTokenBlock) {
    const GemmRows<K, WT, kNorm> in(ex, x + t0 * K, minI(kTokenBlock, n - t0), gamma, eps);
    ex.run(blocks, [&](int64_t task) {
      int64_t s, begin, off;
      locateSpan(size, kTileRows, task, s, begin, off);
      int64_t count = minI(size[s] - begin, kTileRows);
      const WElem<WT> *rows[kTileRows];
      const ScaleElem<WT> *srows[kTileRows];
      for (int64_t r = 0; r < kTileRows; ++r) {
        int64_t j = off + begin + minI(r, count - 1);
        rows[r] = weightRow<WT, K>(w, j);
        srows[r] = scalesOfRow<WT, K>(scales, j);
      }
      alignas(64) float acc[kTokenBlock * kTileRows];
      gemmBlock(in, rows, gamma, acc, srows);
      for (int64_t t = 0; t < in.tokens; ++t) {
        float scale = in.rowScale(t);
        float *out = outs[s] + (t0 + t) * size[s] + begin;
        for (int64_t r = 0; r < count; ++r) {
          float y = acc[t * kTileRows + r] * scale;
          if constexpr (kBias)
            y += bias[off + begin + r];
          out[r] = y;
        }
      }
    });
  }
}

template <int64_t K, int64_t I, WType WT, bool kNorm>
void gatedGemm(const Exec &ex, const float *x, int64_t n, const WElem<WT> *w, const float *gamma,
               float eps, float *out, const void *scales) {
  constexpr int64_t Half = kTileRows / 2;
  for (int64_t t0 = 0; t0 < n; t0 += kTokenBlock) {
    const GemmRows<K, WT, kNorm> in(ex, x + t0 * K, minI(kTokenBlock, n - t0), gamma, eps);
    ex.run(ceilDiv(I, Half), [&](int64_t task) {
      int64_t begin = task * Half, count = minI(I - begin, Half);
      const WElem<WT> *rows[kTileRows]; // gate rows, then the matching up rows
      const ScaleElem<WT> *srows[kTileRows];
      for (int64_t r = 0; r < Half; ++r) {
        int64_t j = begin + minI(r, count - 1);
        rows[r] = weightRow<WT, K>(w, j), rows[Half + r] = weightRow<WT, K>(w, I + j);
        srows[r] = scalesOfRow<WT, K>(scales, j);
        srows[Half + r] = scalesOfRow<WT, K>(scales, I + j);
      }
      alignas(64) float acc[kTokenBlock * kTileRows];
      gemmBlock(in, rows, gamma, acc, srows);
      for (int64_t t = 0; t < in.tokens; ++t) {
        float *a = acc + t * kTileRows, scale = in.rowScale(t);
        for (int64_t r = 0; r < kTileRows; ++r)
          a[r] *= scale;
        siluMulRow(a, a + Half, count, out + (t0 + t) * I + begin);
      }
    });
  }
}

} // namespace detail

/// y_s[n, N_s] = xn . W_s^T (+ b_s); see the file comment. x must not alias
/// an output. kRows: 0 = any n (prefill), 1 = n is 1 (decode). scales, for
/// WType::F8E4M3: row-expanded block scales f32 [sum N, ceil(K/128)],
/// W[r][k] = fp8[r][k] * scales[r * ceil(K/128) + k / 128]; for the integer
/// types (group G): f16 bits [sum N, K/G], W[r][k] = q[r][k] * scales[r *
/// (K/G) + k / G]; ignored for the others.
template <int64_t kRows, int64_t K, WType WT, bool kBias, bool kNorm, int64_t... N>
void linear(const Exec &ex, const float *x, int64_t n, const void *w, const float *bias,
            const float *gamma, float eps, float *const *outs, const void *scales = nullptr) {
  static_assert(kRows == 0 || kRows == 1, "kRows is 0 (any rows) or 1 (decode)");
  static_assert(sizeof...(N) >= 1 && ((N > 0) && ...), "linear needs non-empty segments");
  static_assert(detail::kWholeGroups<WT, K>, "integer weights need K a multiple of their group");
  const auto *wt = static_cast<const WElem<WT> *>(w);
  // Decode, and prefill steps of at most Exec::gemvMaxTokens tokens: the
  // GEMV cores (n is 1 in decode unless the caller broke the kRows contract).
  if (kRows == 1 || n <= ex.gemvMaxTokens) {
    constexpr int64_t S = sizeof...(N);
    constexpr int64_t size[S] = {N...};
    for (int64_t t0 = 0; t0 < n; t0 += kGemvMaxTokens) {
      float *rowOuts[S];
      for (int64_t s = 0; s < S; ++s)
        rowOuts[s] = outs[s] + t0 * size[s];
      detail::linearGemv<K, WT, kBias, kNorm, N...>(ex, x + t0 * K,
                                                    detail::minI(kGemvMaxTokens, n - t0), wt,
                                                    bias, gamma, eps, rowOuts, scales);
    }
  } else if constexpr (kRows == 0) {
    detail::linearGemm<K, WT, kBias, kNorm, N...>(ex, x, n, wt, bias, gamma, eps, outs, scales);
  }
}

/// out[n, I] = silu(xn . Wg^T) * (xn . Wu^T), w = [Wg; Wu] ([2I, K]).
/// scales: as linear's, for the 2I rows (gate rows, then up).
template <int64_t kRows, int64_t K, int64_t I, WType WT, bool kNorm>
void gatedLinear(const Exec &ex, const float *x, int64_t n, const void *w, const float *gamma,
                 float eps, float *out, const void *scales = nullptr) {
  static_assert(kRows == 0 || kRows == 1, "kRows is 0 (any rows) or 1 (decode)");
  static_assert(detail::kWholeGroups<WT, K>, "integer weights need K a multiple of their group");
  const auto *wt = static_cast<const WElem<WT> *>(w);
  if (kRows == 1 || n <= ex.gemvMaxTokens) {
    for (int64_t t0 = 0; t0 < n; t0 += kGemvMaxTokens)
      detail::gatedGemv<K, I, WT, kNorm>(ex, x + t0 * K, detail::minI(kGemvMaxTokens, n - t0), wt,
                                         gamma, eps, out + t0 * I, scales);
  } else if constexpr (kRows == 0) {
    detail::gatedGemm<K, I, WT, kNorm>(ex, x, n, wt, gamma, eps, out, scales);
  }
}

} // namespace r1hk

#endif // R1HK_LINEAR_H
