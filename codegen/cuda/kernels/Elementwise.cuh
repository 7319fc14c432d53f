//===- Elementwise.cuh - CUDA kernels: add, mul, silu, sigmoid, softmax ---===//
//
// Device bodies mirroring codegen/host/kernels/Elementwise.h over [rows, H]
// fp32 arrays. Launch: grid.x = rows, kThreads threads (a multiple of 32, at
// most 1024), no dynamic shared memory; block b handles row b. Each thread
// reads and writes only its own elements (softmax reads the row's max and
// sum through block reductions first), so out may alias an input, as the
// host allows.
//
// Also the helpers the other row-wise bodies (Rope, Quant, Embed) share, in
// r1ck::rowwise: IEEE-rounded arithmetic that nvcc's fast-math flags cannot
// turn approximate, the block max, and the host's clamped exp.
//
//===----------------------------------------------------------------------===//
#ifndef R1CK_ELEMENTWISE_CUH
#define R1CK_ELEMENTWISE_CUH

#include "Norm.cuh"
#include "R1Cuda.h"

#include <stdint.h>

namespace r1ck {
namespace rowwise {

/// The longest row a block handles: in-row indices are int.
constexpr int64_t kMaxRow = int64_t(1) << 30;

// Correctly rounded fp32 operations even under -use_fast_math,
// -prec-div=false or -fmad=true: the host kernels divide and multiply in
// IEEE fp32, and quantizeF8Blocks must match them bit for bit.
R1_DEVICE inline float divRn(float a, float b) {
#if defined(__CUDACC__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}
R1_DEVICE inline float mulRn(float a, float b) {
#if defined(__CUDACC__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
R1_DEVICE inline float fmaRn(float a, float b, float c) {
#if defined(__CUDACC__)
  return __fmaf_rn(a, b, c);
#else
  return fmaf(a, b, c);
#endif
}

/// The maximum of `value` over the block's kThreads threads, returned to
/// every thread (the max-form of r1ck::blockSum). NaN values are ignored
/// (fmaxf), unless every thread holds one.
template <int kThreads>
R1_DEVICE inline float blockMax(float value) {
  static_assert(kThreads % 32 == 0 && kThreads <= 1024, "whole warps, at most 1024 threads");
  constexpr int kWarps = kThreads / 32;
  R1_SHARED float partial[kWarps];
  R1_SHARED float total;
  for (int m = 16; m > 0; m /= 2)
    value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, m));
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  if (lane == 0)
    partial[warp] = value;
  __syncthreads();
  if (warp == 0) {
    float v = partial[lane < kWarps ? lane : 0];
    for (int m = 16; m > 0; m /= 2)
      v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, m));
    if (lane == 0)
      total = v;
  }
  __syncthreads();
  return total;
}

/// exp(x) with x clamped to [-87.33654, 88] first, as the host's vector exp
/// (Simd.h) does: exp(88) and the smallest normal float stand in for
/// overflow and underflow, and a NaN becomes the lower bound (fmaxf, like
/// _mm256_max_ps(x, lo), returns the bound), so silu, sigmoid and softmax
/// give the host's values at the extremes too. expf, not __expf: within 2
/// ulp, where ex2.approx loses up to |x| * 2^-24 relative.
R1_DEVICE inline float clampedExp(float x) {
  return expf(fminf(fmaxf(x, -87.33654f), 88.0f));
}

} // namespace rowwise

// In-row indices are int, offsets of rows int64_t.

/// out = a + b over [rows, H].
template <int64_t H, int kThreads>
R1_DEVICE inline void add(const float *a, const float *b, float *out) {
  static_assert(H > 0 && H <= rowwise::kMaxRow, "row length");
  const int64_t base = int64_t(blockIdx.x) * H;
  for (int i = int(threadIdx.x); i < H; i += kThreads)
    out[base + i] = a[base + i] + b[base + i];
}

/// out = a * b over [rows, H].
template <int64_t H, int kThreads>
R1_DEVICE inline void mul(const float *a, const float *b, float *out) {
  static_assert(H > 0 && H <= rowwise::kMaxRow, "row length");
  const int64_t base = int64_t(blockIdx.x) * H;
  for (int i = int(threadIdx.x); i < H; i += kThreads)
    out[base + i] = rowwise::mulRn(a[base + i], b[base + i]);
}

/// out = x / (1 + exp(-x)) over [rows, H].
template <int64_t H, int kThreads>
R1_DEVICE inline void silu(const float *x, float *out) {
  static_assert(H > 0 && H <= rowwise::kMaxRow, "row length");
  const int64_t base = int64_t(blockIdx.x) * H;
  for (int i = int(threadIdx.x); i < H; i += kThreads) {
    const float z = x[base + i];
    out[base + i] = rowwise::divRn(z, 1.0f + rowwise::clampedExp(-z));
  }
}

/// out = 1 / (1 + exp(-x)) over [rows, H] (the router's scores).
template <int64_t H, int kThreads>
R1_DEVICE inline void sigmoid(const float *x, float *out) {
  static_assert(H > 0 && H <= rowwise::kMaxRow, "row length");
  const int64_t base = int64_t(blockIdx.x) * H;
  for (int i = int(threadIdx.x); i < H; i += kThreads)
    out[base + i] = rowwise::divRn(1.0f, 1.0f + rowwise::clampedExp(-x[base + i]));
}

/// out[t] = softmax(x[t]) over each row of H: the row's max subtracted
/// first, exps summed in fp32, each divided by the sum (a division, as the
/// host, not a reciprocal multiply).
template <int64_t H, int kThreads>
R1_DEVICE inline void softmax(const float *x, float *out) {
  static_assert(H > 0 && H <= rowwise::kMaxRow, "row length");
  const int64_t base = int64_t(blockIdx.x) * H;
  float m = -INFINITY;
  for (int i = int(threadIdx.x); i < H; i += kThreads)
    m = fmaxf(m, x[base + i]);
  m = rowwise::blockMax<kThreads>(m);
  float sum = 0.0f;
  for (int i = int(threadIdx.x); i < H; i += kThreads) {
    const float e = rowwise::clampedExp(x[base + i] - m);
    out[base + i] = e;
    sum += e;
  }
  const float total = blockSum<kThreads>(sum);
  // Each thread reads back only the elements it wrote itself.
  for (int i = int(threadIdx.x); i < H; i += kThreads)
    out[base + i] = rowwise::divRn(out[base + i], total);
}

} // namespace r1ck

#endif // R1CK_ELEMENTWISE_CUH
