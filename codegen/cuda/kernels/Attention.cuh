//===- Attention.cuh - CUDA kernels: causal GQA attention over a KV cache -===//
//
// Device bodies (wrapped by the generated code in extern "C" __global__
// kernels) mirroring r1hk::attention (codegen/host/kernels/Attention.h). The
// host does one call per step: store the step's keys and values, then
// attend. On a GPU the blocks of one launch cannot see each other's writes,
// so it is two launches:
//
//   attentionStore   grid (rows), block kThreads: copies each token's k and
//                    v rows into the cache at its position's row;
//   attentionAttend  grid (rows, Hq), block kThreads: one block per (token,
//                    query head), an online softmax over positions
//                    0..pos[t]; out [rows, Hq, Dv].
//
// The cache is paged, as in serving engines: a pool of blocks of
// kKvBlockRows rows, and a block table (blocks[i]: the pool block holding
// positions 64 i .. 64 i + 63), so that a sequence's cache need not be
// contiguous and the runtime can hand out and reclaim blocks. kvRow maps a
// position to its pool row.
//
// In attentionAttend every warp takes kKeys consecutive positions at a time
// (kKeys divides 64, so they share one table entry, which each warp reads
// once per block of 64 positions), its lanes splitting the head dimension
// (lane l holds elements l, l + 32, ...: coalesced loads, a few registers
// per lane whatever D is), and keeps its own running max, sum and output
// slice; the warps' states are merged once at the end through shared memory.
// All fp32; positions must lie in the blocks the table maps (negative ones
// store nothing and attend to nothing, as on the host; the generated code
// never passes one past the cache).
//
//===----------------------------------------------------------------------===//
#ifndef R1CK_ATTENTION_CUH
#define R1CK_ATTENTION_CUH

#include "R1Cuda.h"

#include <stdint.h>

namespace r1ck {

/// Rows per block of a paged KV cache: a power of two, so that kvRow is a
/// shift and a mask.
constexpr int64_t kKvBlockRows = 64;

/// The pool row of the cache holding position `position` (>= 0), through
/// the block table `blocks`.
R1_DEVICE inline int64_t kvRow(const int32_t *blocks, int64_t position) {
  static_assert(kKvBlockRows == 64, "the shift and mask below");
  return int64_t(__ldg(blocks + (position >> 6))) * kKvBlockRows + (position & 63);
}

namespace attn {

constexpr float kNegInf = -__builtin_huge_valf();

/// Elements per lane when a warp's 32 lanes split n elements (lane l holds
/// l, l + 32, ...).
R1_HOST_DEVICE constexpr int lanesCeil(int64_t n) { return int((n + 31) / 32); }

/// Whether lane `lane`'s i-th element (lane + 32 i) exists in a vector of n:
/// a compile-time true for every lane when n is a multiple of 32.
template <int64_t n>
R1_DEVICE inline bool laneHas(int lane, int i) {
  return n % 32 == 0 || lane + 32 * i < n;
}

/// Sums each of the kN values of v over the warp, every lane receiving the
/// sums; the kN shuffle chains are interleaved so that their latencies
/// overlap.
template <int kN>
R1_DEVICE inline void warpSums(float (&v)[kN]) {
#pragma unroll
  for (int m = 16; m > 0; m /= 2) {
#pragma unroll
    for (int k = 0; k < kN; ++k)
      v[k] += __shfl_xor_sync(0xffffffffu, v[k], m);
  }
}

/// One warp's online-softmax state over the keys it has seen: the running
/// max, the sum of exp(score - max), and the lane's slice of the weighted
/// value sum (elements lane + 32 i of an N-vector).
template <int64_t N>
struct WarpSoftmax {
  static constexpr int kPer = lanesCeil(N);
  float max = kNegInf, sum = 0.0f;
  float acc[kPer];

  R1_DEVICE WarpSoftmax() {
#pragma unroll
    for (int i = 0; i < kPer; ++i)
      acc[i] = 0.0f;
  }

  /// Adds kKeys keys: scores s (kNegInf for a missing key, whose value slice
  /// must be zeros) and their value slices v. The first key must exist, so
  /// that the new max is finite and no exp sees -inf - -inf.
  template <int kKeys>
  R1_DEVICE void add(const float (&s)[kKeys], const float (&v)[kKeys][kPer]) {
    float mNew = max;
#pragma unroll
    for (int k = 0; k < kKeys; ++k)
      mNew = fmaxf(mNew, s[k]);
    const float corr = __expf(max - mNew); // 0 for the first keys (max = -inf)
    float p[kKeys];
    sum *= corr;
#pragma unroll
    for (int k = 0; k < kKeys; ++k) {
      p[k] = __expf(s[k] - mNew);
      sum += p[k];
    }
#pragma unroll
    for (int i = 0; i < kPer; ++i) {
      float a = acc[i] * corr;
#pragma unroll
      for (int k = 0; k < kKeys; ++k)
        a = fmaf(p[k], v[k][i], a);
      acc[i] = a;
    }
    max = mNew;
  }
};

/// Merges the kThreads / 32 warps' states into the softmax-weighted value
/// sum: dst[e] = sum_w acc_w[e] exp(max_w - M) / sum_w sum_w exp(max_w - M),
/// M the largest max; zeros when no warp saw a key. Element e is written by
/// thread e % kThreads; the caller synchronizes before other threads read
/// dst from shared memory. Every thread of the block calls it once.
template <int kThreads, int64_t N>
R1_DEVICE inline void mergeWarps(const WarpSoftmax<N> &state, float *dst) {
  constexpr int kWarps = kThreads / 32;
  R1_SHARED float maxes[kWarps], sums[kWarps];
  R1_SHARED float accs[kWarps][N];
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  if (lane == 0)
    maxes[warp] = state.max, sums[warp] = state.sum;
#pragma unroll
  for (int i = 0; i < WarpSoftmax<N>::kPer; ++i)
    if (laneHas<N>(lane, i))
      accs[warp][lane + 32 * i] = state.acc[i];
  __syncthreads();
  float m = kNegInf;
#pragma unroll
  for (int w = 0; w < kWarps; ++w)
    m = fmaxf(m, maxes[w]);
  float factor[kWarps], denominator = 0.0f;
#pragma unroll
  for (int w = 0; w < kWarps; ++w) {
    factor[w] = maxes[w] == kNegInf ? 0.0f : __expf(maxes[w] - m);
    denominator += sums[w] * factor[w];
  }
  // No key at all (a negative position): the empty softmax's output is 0.
  const float inv = m == kNegInf ? 0.0f : 1.0f / denominator;
  for (int e = int(threadIdx.x); e < N; e += kThreads) {
    float num = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w)
      num = fmaf(accs[w][e], factor[w], num);
    dst[e] = num * inv;
  }
}

} // namespace attn

/// keys[r] = k[b] ([Hkv, D]) and values[r] = v[b] ([Hkv, Dv]) at pool row
/// r = kvRow(blocks, pos[b]) for each token b = blockIdx.x; a negative
/// position stores nothing (and reads no table entry).
template <int64_t Hkv, int64_t D, int64_t Dv, int kThreads>
R1_DEVICE inline void attentionStore(const float *__restrict__ k, const float *__restrict__ v,
                                     const int32_t *__restrict__ pos,
                                     const int32_t *__restrict__ blocks, float *__restrict__ keys,
                                     float *__restrict__ values) {
  const int64_t b = blockIdx.x, position = __ldg(pos + b);
  if (position < 0)
    return;
  const int64_t p = kvRow(blocks, position);
  for (int64_t i = threadIdx.x; i < Hkv * D; i += kThreads)
    keys[p * (Hkv * D) + i] = __ldg(k + b * (Hkv * D) + i);
  for (int64_t i = threadIdx.x; i < Hkv * Dv; i += kThreads)
    values[p * (Hkv * Dv) + i] = __ldg(v + b * (Hkv * Dv) + i);
}

/// out[t, h] = softmax_j(scale * q[t, h] . keys[j, kvh]) . values[j, kvh]
/// over positions j = 0..pos[t], each read at pool row kvRow(blocks, j),
/// kvh = h / (Hq / Hkv); t = blockIdx.x, h = blockIdx.y. q [rows, Hq, D],
/// keys [pool rows, Hkv, D], values [pool rows, Hkv, Dv], out [rows, Hq,
/// Dv]. Static shared memory: (kThreads / 32) * (Dv + 2) floats.
template <int64_t Hq, int64_t Hkv, int64_t D, int64_t Dv, int kThreads>
R1_DEVICE inline void attentionAttend(const float *__restrict__ q, const int32_t *__restrict__ pos,
                                      const int32_t *__restrict__ blocks,
                                      const float *__restrict__ keys,
                                      const float *__restrict__ values, float scale,
                                      float *__restrict__ out) {
  static_assert(Hq % Hkv == 0, "query heads must be a multiple of key/value heads");
  static_assert(kThreads % 32 == 0 && kThreads <= 1024, "whole warps, at most 1024 threads");
  constexpr int kWarps = kThreads / 32;
  // Keys per warp step: their loads and shuffle chains overlap. A divisor of
  // the block rows, so that a step never straddles two blocks.
  constexpr int kKeys = 4;
  static_assert(kKvBlockRows % kKeys == 0, "a step within one cache block");
  constexpr int kPerD = attn::lanesCeil(D);
  using State = attn::WarpSoftmax<Dv>;
  const int64_t t = blockIdx.x, h = blockIdx.y, kvh = h / (Hq / Hkv);
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  const int64_t keysSeen = int64_t(__ldg(pos + t)) + 1; // <= 0: none

  float qs[kPerD];
  const float *qh = q + (t * Hq + h) * D;
#pragma unroll
  for (int i = 0; i < kPerD; ++i)
    qs[i] = attn::laneHas<D>(lane, i) ? __ldg(qh + lane + 32 * i) : 0.0f;

  State state;
  const float *kHead = keys + kvh * D, *vHead = values + kvh * Dv;
  // Warp-uniform loop: every lane has the same j0, so the shuffles below
  // always see the whole warp. A step's kKeys positions lie in one cache
  // block, whose pool row minus position, `shift`, is read from the table
  // when the warp enters the block (b0: its first position): once per block
  // and warp, not per step. (A loop over blocks with one over each block's
  // steps inside read it as rarely, but took ptxas from 95 to 126 registers
  // for Qwen on sm_90a.)
  int64_t b0 = -1, shift = 0;
  for (int64_t j0 = int64_t(warp) * kKeys; j0 < keysSeen; j0 += int64_t(kWarps) * kKeys) {
    float s[kKeys], v[kKeys][State::kPer];
    if ((j0 & -kKvBlockRows) != b0) {
      b0 = j0 & -kKvBlockRows;
      shift = kvRow(blocks, b0) - b0;
    }
    const int64_t row0 = shift + j0; // position j0's pool row
#pragma unroll
    for (int k = 0; k < kKeys; ++k) {
      const bool has = j0 + k < keysSeen;
      const float *kr = kHead + (row0 + k) * (Hkv * D), *vr = vHead + (row0 + k) * (Hkv * Dv);
      float dot = 0.0f;
#pragma unroll
      for (int i = 0; i < kPerD; ++i)
        if (has && attn::laneHas<D>(lane, i))
          dot = fmaf(qs[i], __ldg(kr + lane + 32 * i), dot);
      s[k] = dot;
#pragma unroll
      for (int i = 0; i < State::kPer; ++i)
        v[k][i] = has && attn::laneHas<Dv>(lane, i) ? __ldg(vr + lane + 32 * i) : 0.0f;
    }
    attn::warpSums(s);
#pragma unroll
    for (int k = 0; k < kKeys; ++k)
      s[k] = j0 + k < keysSeen ? s[k] * scale : attn::kNegInf;
    state.add(s, v);
  }
  attn::mergeWarps<kThreads>(state, out + (t * Hq + h) * Dv);
}

} // namespace r1ck

#endif // R1CK_ATTENTION_CUH
