//===- Attention.h - Host kernels: causal GQA attention over a KV cache ---===//
//
// attention() first appends the step's keys and values at their positions in
// the cache, then runs one task per (token, query head): a single pass over
// cache rows 0..pos[t] with an online softmax (running max and sum, the
// output accumulator rescaled whenever the max grows), in blocks of keys so
// that scores and exponentials are computed a vector at a time. All fp32;
// the ratio Hq/Hkv maps query head h to key/value head h / (Hq/Hkv).
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_ATTENTION_H
#define R1HK_ATTENTION_H

#include "Simd.h"

#include <cstring>
#include <limits>

namespace r1hk {
namespace detail {

/// out[i] = q . rows[i] over D elements, for 4 rows.
template <int64_t D>
inline void dot4(const float *q, const float *const *rows, float *out) {
  typename Vec::T a0 = Vec::zero(), a1 = Vec::zero(), a2 = Vec::zero(), a3 = Vec::zero();
  int64_t d = 0;
  for (; d + Vec::W <= D; d += Vec::W) {
    typename Vec::T qv = Vec::load(q + d);
    a0 = Vec::fma(qv, Vec::load(rows[0] + d), a0);
    a1 = Vec::fma(qv, Vec::load(rows[1] + d), a1);
    a2 = Vec::fma(qv, Vec::load(rows[2] + d), a2);
    a3 = Vec::fma(qv, Vec::load(rows[3] + d), a3);
  }
  if constexpr (D % Vec::W != 0) {
    constexpr int64_t m = D % Vec::W;
    typename Vec::T qv = Vec::loadPartial(q + d, m);
    a0 = Vec::fma(qv, Vec::loadPartial(rows[0] + d, m), a0);
    a1 = Vec::fma(qv, Vec::loadPartial(rows[1] + d, m), a1);
    a2 = Vec::fma(qv, Vec::loadPartial(rows[2] + d, m), a2);
    a3 = Vec::fma(qv, Vec::loadPartial(rows[3] + d, m), a3);
  }
  Vec::reduce4(a0, a1, a2, a3, out);
}

/// acc[d] = acc[d] * corr + sum_j p[j] * v[j * stride + d] for d < Dv, with
/// up to four vectors of acc in registers across the keys.
template <int64_t Dv, int64_t kStride>
inline void accumulateValues(float *acc, float corr, const float *p, const float *v, int64_t nb) {
  constexpr int64_t W = Vec::W, NV = Dv / W, Groups = NV / 4;
  typename Vec::T c = Vec::set1(corr);
  for (int64_t g = 0; g < Groups; ++g) {
    float *ag = acc + g * 4 * W;
    typename Vec::T a0 = Vec::mul(Vec::load(ag), c), a1 = Vec::mul(Vec::load(ag + W), c);
    typename Vec::T a2 = Vec::mul(Vec::load(ag + 2 * W), c);
    typename Vec::T a3 = Vec::mul(Vec::load(ag + 3 * W), c);
    for (int64_t j = 0; j < nb; ++j) {
      typename Vec::T pj = Vec::set1(p[j]);
      const float *vj = v + j * kStride + g * 4 * W;
      a0 = Vec::fma(pj, Vec::load(vj), a0);
      a1 = Vec::fma(pj, Vec::load(vj + W), a1);
      a2 = Vec::fma(pj, Vec::load(vj + 2 * W), a2);
      a3 = Vec::fma(pj, Vec::load(vj + 3 * W), a3);
    }
    Vec::store(ag, a0);
    Vec::store(ag + W, a1);
    Vec::store(ag + 2 * W, a2);
    Vec::store(ag + 3 * W, a3);
  }
  for (int64_t d = Groups * 4 * W; d < Dv; d += W) {
    int64_t m = minI(W, Dv - d);
    typename Vec::T a = Vec::mul(Vec::loadPartial(acc + d, m), c);
    for (int64_t j = 0; j < nb; ++j)
      a = Vec::fma(Vec::set1(p[j]), Vec::loadPartial(v + j * kStride + d, m), a);
    Vec::storePartial(acc + d, a, m);
  }
}

/// out = softmax_j(scale * q . k_j) . v_j over keys j < L: key j is the D
/// floats at k + j * kStride, value j the Dv floats at v + j * vStride.
template <int64_t D, int64_t Dv, int64_t kStride, int64_t vStride>
void attendStrided(const float *q, const float *k, const float *v, int64_t L, float scale,
                   float *out) {
  constexpr int64_t B = 64;
  alignas(64) float acc[Dv] = {};
  alignas(64) float s[B];
  float m = -std::numeric_limits<float>::infinity(), l = 0.0f;
  for (int64_t j0 = 0; j0 < L; j0 += B) {
    int64_t nb = minI(B, L - j0);
    // 1. Scores of the block, four keys at a time (a short last group
    //    repeats its last key and drops the extra results).
    for (int64_t j = 0; j < nb; j += 4) {
      const float *rows[4];
      for (int64_t i = 0; i < 4; ++i)
        rows[i] = k + (j0 + minI(j + i, nb - 1)) * kStride;
      float dots[4];
      dot4<D>(q, rows, dots);
      for (int64_t i = 0; i < 4 && j + i < nb; ++i)
        s[j + i] = scale * dots[i];
    }
    // 2. New running max, the rescale of what came before, exp of the block.
    float bm = s[0];
    for (int64_t j = 1; j < nb; ++j)
      bm = s[j] > bm ? s[j] : bm;
    float mNew = bm > m ? bm : m;
    float corr = m == -std::numeric_limits<float>::infinity() ? 0.0f : std::exp(m - mNew);
    typename Vec::T mv = Vec::set1(mNew), sum = Vec::zero();
    for (int64_t j = 0; j < nb; j += Vec::W) {
      int64_t cnt = minI(Vec::W, nb - j);
      typename Vec::T e = Vec::exp(Vec::sub(Vec::loadPartial(s + j, cnt), mv));
      Vec::storePartial(s + j, e, cnt);
      sum = Vec::add(sum, Vec::loadPartial(s + j, cnt)); // lanes past cnt read back as 0
    }
    l = l * corr + Vec::reduce(sum);
    m = mNew;
    // 3. acc = acc * corr + P . V
    accumulateValues<Dv, vStride>(acc, corr, s, v + j0 * vStride, nb);
  }
  float inv = L > 0 ? 1.0f / l : 0.0f;
  for (int64_t d = 0; d < Dv; ++d)
    out[d] = acc[d] * inv;
}

/// attendStrided over the first L cache rows of one key/value head (k, v
/// point at that head's slice of row 0).
template <int64_t Hkv, int64_t D, int64_t Dv>
void attendOne(const float *q, const float *k, const float *v, int64_t L, float scale, float *out) {
  attendStrided<D, Dv, Hkv * D, Hkv * Dv>(q, k, v, L, scale, out);
}

} // namespace detail

/// Causal attention with a KV cache; see the file comment. Positions outside
/// [0, cap) are a broken contract: their rows are neither stored nor read.
template <int64_t Hq, int64_t Hkv, int64_t D, int64_t Dv>
void attention(const Exec &ex, const float *q, const float *k, const float *v, int64_t n,
               const int32_t *pos, float scale, float *kCache, float *vCache, int64_t cap,
               float *out) {
  static_assert(Hq % Hkv == 0, "query heads must be a multiple of key/value heads");
  constexpr int64_t Group = Hq / Hkv;
  // 1. Append this step's keys and values (all of them before any query:
  //    token t attends to the tokens of the same step before it).
  for (int64_t t = 0; t < n; ++t) {
    int64_t p = pos[t];
    if (p < 0 || p >= cap)
      continue;
    std::memcpy(kCache + p * Hkv * D, k + t * Hkv * D, sizeof(float) * Hkv * D);
    std::memcpy(vCache + p * Hkv * Dv, v + t * Hkv * Dv, sizeof(float) * Hkv * Dv);
  }
  // 2. One task per (token, query head).
  ex.run(n * Hq, [&](int64_t task) {
    int64_t t = task / Hq, h = task % Hq, kvh = h / Group;
    int64_t L = detail::minI(int64_t(pos[t]) + 1, cap);
    detail::attendOne<Hkv, D, Dv>(q + (t * Hq + h) * D, kCache + kvh * D, vCache + kvh * Dv,
                                  L < 0 ? 0 : L, scale, out + (t * Hq + h) * Dv);
  });
}

} // namespace r1hk

#endif // R1HK_ATTENTION_H
