//===- Norm.h - Host kernels: RMSNorm and residual add + RMSNorm ----------===//
//
// Hugging Face semantics in fp32: out = (x * rsqrt(mean(x^2) + eps)) * gamma.
// The mean of squares is summed in double (see detail::sumSquares), so the
// only roundings are the two fp32 products of each element.
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_NORM_H
#define R1HK_NORM_H

#include "Simd.h"

namespace r1hk {

/// out[t] = rmsNorm(x[t]) * gamma for t < n; rows of H floats.
template <int64_t H>
void rmsNorm(const Exec &ex, const float *x, int64_t n, const float *gamma, float eps, float *out) {
  detail::forRowRanges(ex, n, H, 1 << 16, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t)
      detail::scaleRow<H>(x + t * H, detail::rmsScale<H>(x + t * H, eps), gamma, out + t * H);
  });
}

/// sum = x + r (sum may alias x or r); out = rmsNorm(sum) * gamma.
template <int64_t H>
void addRmsNorm(const Exec &ex, const float *x, const float *r, int64_t n, const float *gamma,
                float eps, float *sum, float *out) {
  detail::forRowRanges(ex, n, H, 1 << 16, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const float *xr = x + t * H, *rr = r + t * H;
      float *sr = sum + t * H;
      constexpr int64_t HF = H / Vec::W * Vec::W;
      for (int64_t k = 0; k < HF; k += Vec::W)
        Vec::store(sr + k, Vec::add(Vec::load(xr + k), Vec::load(rr + k)));
      for (int64_t k = HF; k < H; ++k) // constant bounds: GCC 12 misjudges a variable start
        sr[k] = xr[k] + rr[k];
      detail::scaleRow<H>(sr, detail::rmsScale<H>(sr, eps), gamma, out + t * H);
    }
  });
}

} // namespace r1hk

#endif // R1HK_NORM_H
