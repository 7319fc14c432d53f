//===- Norm.cuh - CUDA kernels: RMSNorm and residual add + RMSNorm --------===//
//
// Device bodies: the generated code wraps each in an extern "C" __global__
// kernel named after the plan's kernel (docs/cuda.md). Launch: one block per
// token row (grid.x = rows), kThreads threads. Every dimension is a template
// constant, as in the host kernels (codegen/host/kernels/Norm.h, whose results these match
// within fp32 rounding). The sum of squares is reduced a warp at a time with
// shuffles, then across warps through shared memory; all fp32.
//
// Written against R1Cuda.h: nvcc compiles it for the GPU, and the unit tests
// run the same source on the host through the emulation layer.
//
//===----------------------------------------------------------------------===//
#ifndef R1CK_NORM_CUH
#define R1CK_NORM_CUH

#include "R1Cuda.h"

namespace r1ck {

/// The sum of `value` over the block's kThreads threads, returned to every
/// thread. kThreads is a multiple of 32, at most 1024.
template <int kThreads>
R1_DEVICE inline float blockSum(float value) {
  static_assert(kThreads % 32 == 0 && kThreads <= 1024, "whole warps, at most 1024 threads");
  constexpr int kWarps = kThreads / 32;
  R1_SHARED float partial[kWarps];
  R1_SHARED float total;
  for (int m = 16; m > 0; m /= 2)
    value += __shfl_xor_sync(0xffffffffu, value, m);
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  if (lane == 0)
    partial[warp] = value;
  __syncthreads();
  if (warp == 0) {
    float v = lane < kWarps ? partial[lane] : 0.0f;
    for (int m = 16; m > 0; m /= 2)
      v += __shfl_xor_sync(0xffffffffu, v, m);
    if (lane == 0)
      total = v;
  }
  __syncthreads();
  return total;
}

/// out[t] = x[t] * rsqrt(mean(x[t]^2) + eps) * gamma for each row t (one
/// block per row, gridDim.x rows).
template <int kHidden, int kThreads>
R1_DEVICE inline void rmsNorm(const float *__restrict__ x, const float *__restrict__ gamma, float eps,
            float *__restrict__ out) {
  const float *row = x + size_t(blockIdx.x) * kHidden;
  float *o = out + size_t(blockIdx.x) * kHidden;
  float squares = 0.0f;
  for (int i = int(threadIdx.x); i < kHidden; i += kThreads)
    squares += row[i] * row[i];
  const float scale = rsqrtf(blockSum<kThreads>(squares) / float(kHidden) + eps);
  for (int i = int(threadIdx.x); i < kHidden; i += kThreads)
    o[i] = row[i] * scale * __ldg(gamma + i);
}

/// sum[t] = x[t] + r[t]; out[t] = rmsNorm(sum[t]) * gamma: the residual
/// stream and the next layer's normalized input in one pass.
template <int kHidden, int kThreads>
R1_DEVICE inline void addRmsNorm(const float *__restrict__ x, const float *__restrict__ r,
               const float *__restrict__ gamma, float eps, float *__restrict__ sum,
               float *__restrict__ out) {
  const size_t base = size_t(blockIdx.x) * kHidden;
  float squares = 0.0f;
  for (int i = int(threadIdx.x); i < kHidden; i += kThreads) {
    float s = x[base + i] + r[base + i];
    sum[base + i] = s;
    squares += s * s;
  }
  const float scale = rsqrtf(blockSum<kThreads>(squares) / float(kHidden) + eps);
  // Each thread reads back only the elements it wrote itself.
  for (int i = int(threadIdx.x); i < kHidden; i += kThreads)
    out[base + i] = sum[base + i] * scale * __ldg(gamma + i);
}

} // namespace r1ck

#endif // R1CK_NORM_CUH
