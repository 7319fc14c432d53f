//===- Rope.h - Host kernels: rotary position embedding -------------------===//
//
// Rotates [n, Heads, D] rows. Pair i (half style: elements i and i + D/2;
// interleaved style: 2i and 2i + 1) turns by angle = float(pos) * invFreq[i],
// the fp32 product PyTorch forms; cos and sin of that float are taken in
// double and rounded once, as accurate as torch's fp32 cos/sin. The tables
// are built once per token and shared by its heads.
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_ROPE_H
#define R1HK_ROPE_H

#include "Simd.h"

namespace r1hk {

/// in may equal out. pos[t] is the position of token t; invFreq has D/2 entries.
template <int64_t Heads, int64_t D, bool kInterleaved>
void rope(const Exec &ex, const float *in, float *out, int64_t n, const int32_t *pos,
          const float *invFreq) {
  static_assert(D % 2 == 0, "rope needs an even head dimension");
  constexpr int64_t Half = D / 2;
  detail::forRowRanges(ex, n, Heads * D, 1 << 15, [&](int64_t begin, int64_t end) {
    // Half style: cs[i] = cos, sn[i] = sin of pair i. Interleaved: the tables
    // are spread to D lanes, sn signed, so that out = x*cs + swap(x)*sn.
    alignas(64) float cs[D], sn[D];
    for (int64_t t = begin; t < end; ++t) {
      float p = float(pos[t]);
      for (int64_t i = 0; i < Half; ++i) {
        double angle = double(p * invFreq[i]);
        float c = float(std::cos(angle)), s = float(std::sin(angle));
        if constexpr (kInterleaved) {
          cs[2 * i] = cs[2 * i + 1] = c;
          sn[2 * i] = -s, sn[2 * i + 1] = s;
        } else {
          cs[i] = c, sn[i] = s;
        }
      }
      for (int64_t h = 0; h < Heads; ++h) {
        const float *x = in + (t * Heads + h) * D;
        float *y = out + (t * Heads + h) * D;
        if constexpr (kInterleaved) {
#if defined(R1HK_ISA_AVX512) || defined(R1HK_ISA_AVX2)
          constexpr int64_t DF = D / Vec::W * Vec::W;
          for (int64_t k = 0; k < DF; k += Vec::W) {
            typename Vec::T v = Vec::load(x + k);
#if defined(R1HK_ISA_AVX512)
            typename Vec::T swapped = _mm512_permute_ps(v, 0xB1);
#else
            typename Vec::T swapped = _mm256_permute_ps(v, 0xB1);
#endif
            Vec::store(y + k, Vec::fma(v, Vec::load(cs + k), Vec::mul(swapped, Vec::load(sn + k))));
          }
#else
          constexpr int64_t DF = 0;
#endif
          for (int64_t k = DF; k < D; k += 2) {
            float a = x[k], b = x[k + 1];
            y[k] = a * cs[k] + b * sn[k];
            y[k + 1] = b * cs[k + 1] + a * sn[k + 1];
          }
        } else {
          constexpr int64_t HF = Half / Vec::W * Vec::W;
          for (int64_t i = 0; i < HF; i += Vec::W) {
            typename Vec::T a = Vec::load(x + i), b = Vec::load(x + i + Half);
            typename Vec::T c = Vec::load(cs + i), s = Vec::load(sn + i);
            Vec::store(y + i, Vec::fnma(b, s, Vec::mul(a, c)));
            Vec::store(y + i + Half, Vec::fma(a, s, Vec::mul(b, c)));
          }
          for (int64_t i = HF; i < Half; ++i) {
            float a = x[i], b = x[i + Half];
            y[i] = a * cs[i] - b * sn[i];
            y[i + Half] = b * cs[i] + a * sn[i];
          }
        }
      }
    }
  });
}

} // namespace r1hk

#endif // R1HK_ROPE_H
