//===- Elementwise.h - Host kernels: add, mul, silu, embedding lookup -----===//
//
// Row-wise kernels over [n, H] fp32 arrays. Small jobs (a decode step's
// single row) run inline: a parallel_for would cost more than the work.
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_ELEMENTWISE_H
#define R1HK_ELEMENTWISE_H

#include "Simd.h"

namespace r1hk {

namespace detail {
constexpr int64_t kInlineElems = 1 << 16;

/// out = op(a, b) over n*H elements, rows split into tasks.
template <int64_t H, class Op>
void binary(const Exec &ex, const float *a, const float *b, int64_t n, float *out, Op op) {
  forRowRanges(ex, n, H, kInlineElems, [&](int64_t begin, int64_t end) {
    int64_t i = begin * H, last = end * H;
    for (; i + Vec::W <= last; i += Vec::W)
      Vec::store(out + i, op(Vec::load(a + i), Vec::load(b + i)));
    if (i < last)
      Vec::storePartial(out + i,
                        op(Vec::loadPartial(a + i, last - i), Vec::loadPartial(b + i, last - i)),
                        last - i);
  });
}

/// silu(z) = z / (1 + exp(-z)), lane-wise.
inline typename Vec::T siluV(typename Vec::T z) {
  return Vec::div(z, Vec::add(Vec::set1(1.0f), Vec::exp(Vec::sub(Vec::zero(), z))));
}

/// out[i] = silu(g[i]) * u[i] for i < len.
inline void siluMulRow(const float *g, const float *u, int64_t len, float *out) {
  int64_t i = 0;
  for (; i + Vec::W <= len; i += Vec::W)
    Vec::store(out + i, Vec::mul(siluV(Vec::load(g + i)), Vec::load(u + i)));
  if (i < len)
    Vec::storePartial(
        out + i,
        Vec::mul(siluV(Vec::loadPartial(g + i, len - i)), Vec::loadPartial(u + i, len - i)),
        len - i);
}
} // namespace detail

template <int64_t H>
void add(const Exec &ex, const float *a, const float *b, int64_t n, float *out) {
  detail::binary<H>(ex, a, b, n, out, [](auto x, auto y) { return Vec::add(x, y); });
}

template <int64_t H>
void mul(const Exec &ex, const float *a, const float *b, int64_t n, float *out) {
  detail::binary<H>(ex, a, b, n, out, [](auto x, auto y) { return Vec::mul(x, y); });
}

template <int64_t H>
void silu(const Exec &ex, const float *x, int64_t n, float *out) {
  detail::binary<H>(ex, x, x, n, out, [](auto z, auto) { return detail::siluV(z); });
}

/// out = 1 / (1 + exp(-x)) over [n, H] (the router's scores); out may
/// alias x.
template <int64_t H>
void sigmoid(const Exec &ex, const float *x, int64_t n, float *out) {
  detail::binary<H>(ex, x, x, n, out, [](auto z, auto) {
    return Vec::div(Vec::set1(1.0f), Vec::add(Vec::set1(1.0f), Vec::exp(Vec::sub(Vec::zero(), z))));
  });
}

/// out[t] = softmax(x[t]) over each row of H, in fp32 with the row's max
/// subtracted first; out may alias x.
template <int64_t H>
void softmax(const Exec &ex, const float *x, int64_t n, float *out) {
  detail::forRowRanges(ex, n, H, detail::kInlineElems, [&](int64_t begin, int64_t end) {
    constexpr int64_t HF = H / Vec::W * Vec::W;
    for (int64_t t = begin; t < end; ++t) {
      const float *xr = x + t * H;
      float *yr = out + t * H;
      float m = xr[0];
      for (int64_t k = 1; k < H; ++k)
        m = xr[k] > m ? xr[k] : m;
      typename Vec::T mv = Vec::set1(m), sum = Vec::zero();
      for (int64_t k = 0; k < HF; k += Vec::W) {
        typename Vec::T e = Vec::exp(Vec::sub(Vec::load(xr + k), mv));
        Vec::store(yr + k, e);
        sum = Vec::add(sum, e);
      }
      float total = Vec::reduce(sum);
      if constexpr (HF < H) {
        Vec::storePartial(yr + HF, Vec::exp(Vec::sub(Vec::loadPartial(xr + HF, H - HF), mv)),
                          H - HF);
        for (int64_t k = HF; k < H; ++k)
          total += yr[k];
      }
      typename Vec::T inv = Vec::set1(total);
      for (int64_t k = 0; k < HF; k += Vec::W)
        Vec::store(yr + k, Vec::div(Vec::load(yr + k), inv));
      for (int64_t k = HF; k < H; ++k)
        yr[k] = yr[k] / total;
    }
  });
}

/// out[t] = float(table[tokens[t]]); a token outside [0, V) gives a zero row.
template <int64_t V, int64_t H, WType WT>
void embed(const Exec &ex, const int32_t *tokens, int64_t n, const void *table, float *out) {
  static_assert(!isIntW(WT), "the embedding table stays a float weight");
  const auto *rows = static_cast<const WElem<WT> *>(table);
  detail::forRowRanges(ex, n, H, detail::kInlineElems, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      int64_t token = tokens[t];
      if (token >= 0 && token < V) {
        detail::convertRow<WT>(rows + token * H, H, out + t * H);
      } else {
        for (int64_t k = 0; k < H; ++k)
          out[t * H + k] = 0.0f;
      }
    }
  });
}

} // namespace r1hk

#endif // R1HK_ELEMENTWISE_H
