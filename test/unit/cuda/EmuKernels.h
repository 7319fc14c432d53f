//===- EmuKernels.h - CUDA kernels that exercise the host emulation -------===//
//
// Written as r1c's CUDA kernels are (R1Cuda.h only), so that the same text
// compiles with nvcc (`nvcc -std=c++20 -arch=sm_80 -c -x cu`) and, in
// CudaEmuTest.cpp, as plain C++ against the emulator. Some kernels are wrong
// on purpose (a thread skipping a barrier, a missing barrier) to test that the
// emulator reports or exposes the mistake.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_TEST_UNIT_CUDA_EMUKERNELS_H
#define R1C_TEST_UNIT_CUDA_EMUKERNELS_H

#include "codegen/cuda/kernels/R1Cuda.h"

namespace r1c::cudatest {

/// out[b] = sum of x over block b's kThreads elements: a tree in shared memory,
/// one __syncthreads per level.
template <int kThreads> R1_GLOBAL void blockSum(const float *x, float *out, int n) {
  R1_SHARED float partial[kThreads];
  const unsigned t = threadIdx.x;
  const unsigned i = blockIdx.x * blockDim.x + t;
  partial[t] = i < unsigned(n) ? x[i] : 0.0f;
  __syncthreads();
  for (unsigned stride = kThreads / 2; stride > 0; stride /= 2) {
    if (t < stride)
      partial[t] += partial[t + stride];
    __syncthreads();
  }
  if (t == 0)
    out[blockIdx.x] = partial[0];
}

/// Per warp of a 1-D launch: the warp's sum at every lane by butterfly
/// (xorSum), at lane 0 by halving (downSum[warp]), sums over segments of 8
/// lanes (seg8), an inclusive prefix sum of ints (scan), lane 7's value
/// broadcast (bcast) and a rotation by one lane of unsigned values (rot).
R1_GLOBAL void warpOps(const float *x, const int *ints, float *xorSum, float *downSum, float *seg8,
                       int *scan, float *bcast, unsigned *rot) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  const unsigned lane = threadIdx.x % 32;
  const unsigned full = 0xffffffffu;
  float v = x[i];

  float s = v;
  for (int m = 16; m > 0; m /= 2)
    s += __shfl_xor_sync(full, s, m);
  xorSum[i] = s;

  float d = v;
  for (unsigned off = 16; off > 0; off /= 2)
    d += __shfl_down_sync(full, d, off);
  if (lane == 0)
    downSum[i / 32] = d;

  float g = v;
  for (int m = 4; m > 0; m /= 2)
    g += __shfl_xor_sync(full, g, m, 8);
  seg8[i] = g;

  int c = ints[i];
  for (unsigned off = 1; off < 32; off *= 2) {
    int up = __shfl_up_sync(full, c, off);
    if (lane >= off)
      c += up;
  }
  scan[i] = c;

  bcast[i] = __shfl_sync(full, v, 7);
  rot[i] = __shfl_sync(full, unsigned(ints[i]), int(lane + 1));
}

/// Votes over x[i] > 0 per warp; `counts` gets __syncthreads_count of the same
/// predicate per block.
R1_GLOBAL void votes(const int *x, unsigned *ballot, int *any, int *all, int *counts) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  const int pred = x[i] > 0;
  const unsigned mask = __activemask();
  ballot[i] = __ballot_sync(mask, pred);
  any[i] = __any_sync(mask, pred);
  all[i] = __all_sync(mask, pred);
  int count = __syncthreads_count(pred);
  if (threadIdx.x == 0)
    counts[blockIdx.x] = count;
}

/// y = a * x + y with a grid-stride loop: any grid covers any n.
R1_GLOBAL void saxpy(float a, const float *x, float *y, int n) {
  for (int i = int(blockIdx.x * blockDim.x + threadIdx.x); i < n; i += int(gridDim.x * blockDim.x))
    y[i] = a * x[i] + y[i];
}

/// Atomics on global memory from every thread, and on a block's shared
/// counters; perBlock[b] = {threads counted, their shared float sum}.
R1_GLOBAL void atomics(const int *x, int *total, float *ftotal, int *maxv, float *perBlock) {
  R1_SHARED int count;
  R1_SHARED float half;
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (threadIdx.x == 0)
    count = 0, half = 0.0f;
  __syncthreads();
  atomicAdd(&count, 1);
  atomicAdd(&half, 0.5f);
  atomicAdd(total, x[i]);
  atomicAdd(ftotal, float(x[i]));
  atomicMax(maxv, x[i]);
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0) {
    perBlock[2 * blockIdx.x] = float(count);
    perBlock[2 * blockIdx.x + 1] = half;
  }
}

/// Reverses each block's slice through dynamic shared memory: blockDim floats,
/// then blockDim ints at the end of the same buffer. `before` records what
/// the float part held before the block wrote it.
R1_GLOBAL void reverseInBlock(const float *x, float *y, int *idx, float *before) {
  float *vals = r1cuda::dynamicShared<float>();
  int *ids = reinterpret_cast<int *>(vals + blockDim.x);
  const unsigned t = threadIdx.x, i = blockIdx.x * blockDim.x + t;
  before[i] = vals[t];
  __syncthreads();
  vals[t] = x[i];
  ids[t] = int(i);
  __syncthreads();
  y[i] = vals[blockDim.x - 1 - t];
  idx[i] = ids[blockDim.x - 1 - t];
}

/// out = in^T for a rows x cols matrix: 32x32 tiles through shared memory,
/// blocks of 32x8 threads, a 2-D grid of tiles.
R1_GLOBAL void transpose(const float *in, float *out, int rows, int cols) {
  R1_SHARED float tile[32][33];
  const unsigned c = blockIdx.x * 32 + threadIdx.x;
  for (unsigned r = blockIdx.y * 32 + threadIdx.y; r < blockIdx.y * 32 + 32; r += blockDim.y)
    if (r < unsigned(rows) && c < unsigned(cols))
      tile[r - blockIdx.y * 32][threadIdx.x] = in[r * unsigned(cols) + c];
  __syncthreads();
  const unsigned oc = blockIdx.y * 32 + threadIdx.x; // column of out = row of in
  for (unsigned orow = blockIdx.x * 32 + threadIdx.y; orow < blockIdx.x * 32 + 32;
       orow += blockDim.y)
    if (orow < unsigned(cols) && oc < unsigned(rows))
      out[orow * unsigned(rows) + oc] = tile[threadIdx.x][orow - blockIdx.x * 32];
}

/// Every thread of a 3-D launch records its indices in its own slot; `v`
/// changed by one thread must not change in the others (parameters are
/// per-thread copies).
R1_GLOBAL void indices(unsigned *out, int v) {
  const unsigned b = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const unsigned t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  const unsigned slot = b * (blockDim.x * blockDim.y * blockDim.z) + t;
  if (t == 0)
    v = -1;
  __syncthreads();
  out[4 * slot] = blockIdx.x | blockIdx.y << 8 | blockIdx.z << 16;
  out[4 * slot + 1] = threadIdx.x | threadIdx.y << 8 | threadIdx.z << 16;
  out[4 * slot + 2] = gridDim.x | gridDim.y << 8 | gridDim.z << 16 | blockDim.x << 24;
  out[4 * slot + 3] = t == 0 ? 0u : unsigned(v);
}

/// Correct only if __syncthreads makes the writes before it visible to the
/// reads after it: the last warp writes late (after ~20 ms), the first warp
/// reads what it wrote. Without the barrier (kSync false) the readers run
/// ahead and see the previous block's values.
template <bool kSync> R1_GLOBAL void barrierOrders(int *out) {
  R1_SHARED int slots[256];
  const unsigned t = threadIdx.x;
  if (t >= 224)
    for (int k = 0; k < 20; ++k)
      __nanosleep(1000000);
  slots[t] = int(t * 3 + blockIdx.x * 1000);
  if (kSync)
    __syncthreads();
  if (t < 32)
    out[blockIdx.x * 32 + t] = slots[255 - t];
}

/// Math intrinsics and bf16 conversions, element-wise.
R1_GLOBAL void mathOps(const float *x, float *ex, float *quot, float *rs, __nv_bfloat16 *bf,
                       float *widened, int n) {
  for (int i = int(blockIdx.x * blockDim.x + threadIdx.x); i < n;
       i += int(gridDim.x * blockDim.x)) {
    float v = __ldg(x + i);
    ex[i] = __expf(v);
    quot[i] = __fdividef(1.0f, v);
    rs[i] = rsqrtf(fabsf(v) + 1.0f);
    bf[i] = __float2bfloat16(v);
    widened[i] = __bfloat162float(bf[i]);
  }
}

// --- Wrong on purpose ---------------------------------------------------------

/// Thread 5 returns and never reaches the barrier the others wait at.
R1_GLOBAL void skipsBarrier(int *out) {
  if (threadIdx.x == 5)
    return;
  __syncthreads();
  out[threadIdx.x] = 1;
}

/// Lanes 16..31 leave while lanes 0..15 shuffle with the full mask.
R1_GLOBAL void divergentShuffle(float *out) {
  if (threadIdx.x % 32 >= 16)
    return;
  out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1.0f, 1);
}

/// The two halves of the warp call different warp operations with one mask.
R1_GLOBAL void mismatchedWarpOps(unsigned *out) {
  if (threadIdx.x < 16)
    out[threadIdx.x] = __shfl_sync(0xffffffffu, threadIdx.x, 0);
  else
    out[threadIdx.x] = __ballot_sync(0xffffffffu, 1);
}

/// Thread 0 waits for a flag nobody sets; the others wait for thread 0.
R1_GLOBAL void spinsForever(int *flag) {
  if (threadIdx.x == 0)
    while (atomicAdd(flag, 0) == 0)
      __nanosleep(1000);
  __syncthreads();
}

} // namespace r1c::cudatest

#endif // R1C_TEST_UNIT_CUDA_EMUKERNELS_H
