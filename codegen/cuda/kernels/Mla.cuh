//===- Mla.cuh - CUDA kernels: DeepSeek latent attention, absorbed form ---===//
//
// Device bodies mirroring r1hk::mla with kAbsorbed = true (codegen/host/
// kernels/Mla.h): attention over a per-layer latent cache whose row for
// position p is [latent(p) (Rank) | kpe(p) (Rope)], shared by all heads, and
// paged as the GQA caches are (Attention.cuh: pool row kvRow(blocks, p)).
// Two launches per step, as for GQA:
//
//   mlaStore   grid (rows), block kThreads: writes each token's cache row;
//   mlaAttend  grid (rows, H), block kThreads: one block per (token, head):
//     1. qLat = W_UK[h]^T q_nope (a GEMV over the compiler's transposed key
//        weights wukT, [Rank, Nope] per head) into shared memory;
//     2. scores_j = (qLat . latent_j + q_pe . kpe_j) * scale over positions
//        j = 0..pos[t], online softmax, oLat = sum_j p_j latent_j: the
//        warp-per-key scheme of attentionAttend, the values being the
//        latent part of the very rows the scores read (kept in registers);
//     3. out[t, h] = W_UV[h] oLat (rows Nope..Nope+Dv-1 of the head's
//        kv_b_proj rows).
//
// The GEMVs of steps 1 and 3 give each warp 32 output rows at a time, its
// lanes splitting the input (coalesced weight loads); the 32 partial sums
// per lane are then reduced with a transposing butterfly, 31 shuffles per 32
// rows instead of 5 per row, leaving row r's sum on lane r.
//
//===----------------------------------------------------------------------===//
#ifndef R1CK_MLA_CUH
#define R1CK_MLA_CUH

#include "Attention.cuh"
#include "WeightTypes.cuh"

namespace r1ck {
namespace attn {

/// The lane's share of w[row] . x for a row of K weights of type WT (FP8:
/// times the row's block scales, scales[row * ceil(K/128) + block]); xs
/// holds x[lane + 32 i]. The 128-element blocks are whole groups of four
/// of the lane's elements (32 i + lane lies in block i / 4), so each lane
/// multiplies by a scale once per block.
template <int64_t K, WType WT>
R1_DEVICE inline float laneDot(const void *w, const float *scales, int64_t row, int lane,
                               const float (&xs)[lanesCeil(K)]) {
  constexpr int kPer = lanesCeil(K);
  const int64_t base = row * K + lane;
  if constexpr (WT == WType::F8E4M3) {
    static_assert(kF8Block == 4 * 32, "a block is four elements per lane");
    constexpr int kBlocks = (kPer + 3) / 4;
    const float *rowScales = scales + row * kBlocks;
    float sum = 0.0f;
#pragma unroll
    for (int b = 0; b < kBlocks; ++b) {
      float block = 0.0f;
#pragma unroll
      for (int i = 4 * b; i < 4 * b + 4 && i < kPer; ++i)
        if (laneHas<K>(lane, i))
          block = fmaf(loadWeight<WT>(w, base + 32 * i), xs[i], block);
      sum = fmaf(block, __ldg(rowScales + b), sum);
    }
    return sum;
  } else {
    (void)scales;
    float sum = 0.0f;
#pragma unroll
    for (int i = 0; i < kPer; ++i)
      if (laneHas<K>(lane, i))
        sum = fmaf(loadWeight<WT>(w, base + 32 * i), xs[i], sum);
    return sum;
  }
}

/// One step of the transposing butterfly over part[0, 2 kOffset): the lane
/// keeps the half its kOffset bit selects, adds its partner's copy of that
/// half, and leaves the sums in part[0, kOffset); then the next step. A
/// template, not a loop, so that every index is a constant and part stays in
/// registers (nvcc did not fully unroll the halving loop: a stack frame).
template <int kOffset>
R1_DEVICE inline void butterflySums(float (&part)[32], int lane) {
  const bool upper = (lane & kOffset) != 0;
#pragma unroll
  for (int i = 0; i < kOffset; ++i) {
    const float send = upper ? part[i] : part[i + kOffset];
    const float keep = upper ? part[i + kOffset] : part[i];
    part[i] = keep + __shfl_xor_sync(0xffffffffu, send, kOffset);
  }
  if constexpr (kOffset > 1)
    butterflySums<kOffset / 2>(part, lane);
}

/// dst[r] = w[row0 + r] . x for r in [0, R), x held as xs[i] = x[lane +
/// 32 i] by every warp. Warps take 32 rows at a time, round robin; the
/// butterfly halves the rows each lane carries at every step (a lane keeps
/// the half its offset bit selects and sends the other half to its
/// partner), so after 5 steps lane r holds row r's full sum.
template <int64_t K, int64_t R, WType WT, int kThreads>
R1_DEVICE inline void warpGemv(const void *w, const float *scales, int64_t row0,
                               const float (&xs)[lanesCeil(K)], float *dst) {
  constexpr int kWarps = kThreads / 32;
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  for (int64_t g = int64_t(warp) * 32; g < R; g += int64_t(kWarps) * 32) {
    float part[32];
#pragma unroll
    for (int r = 0; r < 32; ++r) // g + r < R is the same on every lane
      part[r] = R % 32 == 0 || g + r < R ? laneDot<K, WT>(w, scales, row0 + g + r, lane, xs) : 0.0f;
    butterflySums<16>(part, lane);
    if (R % 32 == 0 || g + lane < R)
      dst[g + lane] = part[0];
  }
}

} // namespace attn

/// cache[r] = [latent[b] | kpe[b]] (row stride Rank + Rope) at pool row r =
/// kvRow(blocks, pos[b]) for each token b = blockIdx.x; a negative position
/// stores nothing (and reads no table entry).
template <int64_t Rank, int64_t Rope, int kThreads>
R1_DEVICE inline void mlaStore(const float *__restrict__ latent, const float *__restrict__ kpe,
                               const int32_t *__restrict__ pos, const int32_t *__restrict__ blocks,
                               float *__restrict__ cache) {
  constexpr int64_t Row = Rank + Rope;
  const int64_t b = blockIdx.x, position = __ldg(pos + b);
  if (position < 0)
    return;
  const int64_t p = kvRow(blocks, position);
  for (int64_t i = threadIdx.x; i < Rank; i += kThreads)
    cache[p * Row + i] = __ldg(latent + b * Rank + i);
  for (int64_t i = threadIdx.x; i < Rope; i += kThreads)
    cache[p * Row + Rank + i] = __ldg(kpe + b * Rope + i);
}

/// out[t, h] for t = blockIdx.x, h = blockIdx.y; see the file comment.
/// q [rows, H, Nope + Rope] (nope first, rope applied); cache [pool rows,
/// Rank + Rope], position j at row kvRow(blocks, j); kvB = kv_b_proj [H *
/// (Nope + Dv), Rank] of WT (per head Nope key rows, then Dv value rows),
/// kvBScales its row-expanded FP8 block scales [H * (Nope + Dv),
/// ceil(Rank/128)] (null unless F8E4M3); wukT [H * Rank, Nope] of WTk,
/// wukT[h * Rank + c][d] = W_UK[h][d][c], wukTScales its own row-expanded
/// scales [H * Rank, ceil(Nope/128)] (the key blocks transposed; null
/// unless F8E4M3). out [rows, H, Dv]. Static shared memory: (2 + kThreads
/// / 32) * Rank + 2 * kThreads / 32 floats.
template <int64_t H, int64_t Nope, int64_t Rope, int64_t Dv, int64_t Rank, WType WT, WType WTk,
          int kThreads>
R1_DEVICE inline void mlaAttend(const float *__restrict__ q, const int32_t *__restrict__ pos,
                                const int32_t *__restrict__ blocks, const float *__restrict__ cache,
                                const void *__restrict__ kvB, const void *__restrict__ kvBScales,
                                const void *__restrict__ wukT, const void *__restrict__ wukTScales,
                                float scale, float *__restrict__ out) {
  static_assert(kThreads % 32 == 0 && kThreads <= 1024, "whole warps, at most 1024 threads");
  static_assert(!isIntW(WT) && !isIntW(WTk), "MLA weights are not integer-quantized");
  constexpr int kWarps = kThreads / 32;
  constexpr int64_t Dq = Nope + Rope, Row = Rank + Rope, Dkv = Nope + Dv;
  // Cache rows per warp step; each holds the lane's Rank / 32 latent floats.
  // A divisor of the block rows, as in attentionAttend.
  constexpr int kKeys = 2;
  static_assert(kKvBlockRows % kKeys == 0, "a step within one cache block");
  constexpr int kPerNope = attn::lanesCeil(Nope), kPerRope = attn::lanesCeil(Rope);
  using State = attn::WarpSoftmax<Rank>;
  constexpr int kPerRank = State::kPer;
  R1_SHARED float qLat[Rank], oLat[Rank];
  const int64_t t = blockIdx.x, h = blockIdx.y;
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  const int64_t keysSeen = int64_t(__ldg(pos + t)) + 1; // <= 0: none
  const float *qh = q + (t * H + h) * Dq;

  // 1. qLat = W_UK[h]^T q_nope.
  {
    float qNope[kPerNope];
#pragma unroll
    for (int i = 0; i < kPerNope; ++i)
      qNope[i] = attn::laneHas<Nope>(lane, i) ? __ldg(qh + lane + 32 * i) : 0.0f;
    attn::warpGemv<Nope, Rank, WTk, kThreads>(wukT, static_cast<const float *>(wukTScales),
                                              h * Rank, qNope, qLat);
  }
  __syncthreads();

  // 2. Online softmax over the cache rows; the values are the rows' latents.
  float qL[kPerRank], qPe[kPerRope];
#pragma unroll
  for (int i = 0; i < kPerRank; ++i)
    qL[i] = attn::laneHas<Rank>(lane, i) ? qLat[lane + 32 * i] : 0.0f;
#pragma unroll
  for (int i = 0; i < kPerRope; ++i)
    qPe[i] = attn::laneHas<Rope>(lane, i) ? __ldg(qh + Nope + lane + 32 * i) : 0.0f;
  State state;
  // Warp-uniform loop, its pool rows found as in attentionAttend.
  int64_t b0 = -1, shift = 0;
  for (int64_t j0 = int64_t(warp) * kKeys; j0 < keysSeen; j0 += int64_t(kWarps) * kKeys) {
    float s[kKeys], lat[kKeys][kPerRank];
    if ((j0 & -kKvBlockRows) != b0) {
      b0 = j0 & -kKvBlockRows;
      shift = kvRow(blocks, b0) - b0;
    }
    const float *row0 = cache + (shift + j0) * Row; // position j0's row
#pragma unroll
    for (int k = 0; k < kKeys; ++k) {
      const bool has = j0 + k < keysSeen;
      const float *row = row0 + k * Row;
      float dot = 0.0f;
#pragma unroll
      for (int i = 0; i < kPerRank; ++i) {
        lat[k][i] = has && attn::laneHas<Rank>(lane, i) ? __ldg(row + lane + 32 * i) : 0.0f;
        dot = fmaf(qL[i], lat[k][i], dot);
      }
#pragma unroll
      for (int i = 0; i < kPerRope; ++i)
        if (has && attn::laneHas<Rope>(lane, i))
          dot = fmaf(qPe[i], __ldg(row + Rank + lane + 32 * i), dot);
      s[k] = dot;
    }
    attn::warpSums(s);
#pragma unroll
    for (int k = 0; k < kKeys; ++k)
      s[k] = j0 + k < keysSeen ? s[k] * scale : attn::kNegInf;
    state.add(s, lat);
  }
  attn::mergeWarps<kThreads>(state, oLat);
  __syncthreads();

  // 3. out = W_UV[h] oLat.
  float o[kPerRank];
#pragma unroll
  for (int i = 0; i < kPerRank; ++i)
    o[i] = attn::laneHas<Rank>(lane, i) ? oLat[lane + 32 * i] : 0.0f;
  attn::warpGemv<Rank, Dv, WT, kThreads>(kvB, static_cast<const float *>(kvBScales), h * Dkv + Nope,
                                         o, out + (t * H + h) * Dv);
}

} // namespace r1ck

#endif // R1CK_MLA_CUH
