//===- Moe.cuh - CUDA kernels: DeepSeek MoE routing and routed experts ----===//
//
// Device bodies of the MoE layer; the generated code wraps each
// specialization in an extern "C" __global__ kernel (docs/cuda.md). They
// mirror the host kernels of codegen/host/kernels/Moe.h:
//
//   moeTopk     grid (rows), block kThreads: the router after its scores,
//               DeepSeek-V3's Gate.forward. Warp 0 does all of it; the
//               choice is the host's exactly (same ids, same order, same
//               weight bits).
//   moeRoute    grid (rows), block kThreads: the router linear (each warp
//               2 experts at a time, fp32), sigmoid or softmax, the scores
//               written out, then moeTopk's choice in the same block.
//   moeExperts  grid (rows), block kThreads, 4 * (H + I) bytes of dynamic
//               shared memory: out[t] = sum_k w[t,k] * down_e(silu(gate_e x_t)
//               * (up_e x_t)), one block per token, warps taking rows
//               (2 of I, then 2 of H, at a time). Every block reads all its
//               experts' weights: one SM for a decode step.
//   moeExpertsGrouped (moeExpertsGroupedSort, ...Up, ...Down): the same
//               sum with the assignments grouped by expert first, so that
//               each active expert's weights are read once per launch by
//               many blocks; see its section below for the launches.
//
// Ties, as on the host: the host scans experts in ascending order and takes
// a strictly greater score, so among equal scores the lowest index wins.
// Here the experts are spread over lanes and merged by warp shuffles that
// compare (score, index) pairs by that same order, which gives the same
// winner whatever the merge order (for scores that are not NaN; a NaN score,
// which sigmoid and softmax of finite logits never give, is undefined here).
//
// Weights are stored as for the host kernels (WeightTypes.cuh). Rows are
// read in 16-byte chunks when the array's base address is 16-byte aligned
// and a row is a whole number of chunks, else element by element. Scales
// (FP8's f32 block scales, the integer types' f16 group scales) are passed
// as const void *; a chunk lies inside one block or group, so its partial
// sum is scaled once. The integer types (I8G*, I4G*) work in every expert
// kernel except moeExperts' W8A8 mode and the router.
//
//===----------------------------------------------------------------------===//
#ifndef R1CK_MOE_CUH
#define R1CK_MOE_CUH

#include "Quant.cuh"
#include "R1Cuda.h"
#include "WeightTypes.cuh"

#include <stdint.h>
#if !defined(__CUDACC__)
#include <cstring>
#endif

// Fixed-trip loops over a chunk's words must be unrolled, or the words
// become a stack frame. The chunk loops of moeRoute's and moeExperts' dot
// products are unrolled twice (two chunks of each row in flight per lane),
// the grouped kernels' and the element-wise fallbacks' not at all. With
// other choices (nvcc's own unrolling, other row counts per warp pass than
// moeRoute's 2 and moeExperts' 2 + 2) ptxas held some of these kernels to
// 48, 64 or 80 registers and spilled a few bytes; cuda-moe-kernels.test
// tells whether a change still fits.
#if defined(__CUDACC__) || defined(__clang__)
#define R1CK_MOE_UNROLL _Pragma("unroll")
#define R1CK_MOE_UNROLL2 _Pragma("unroll 2")
#define R1CK_MOE_NO_UNROLL _Pragma("unroll 1")
#else
#define R1CK_MOE_UNROLL
#define R1CK_MOE_UNROLL2
#define R1CK_MOE_NO_UNROLL
#endif

namespace r1ck {

/// The group score of group-limited routing; the values of
/// r1hk::MoeGroupScore (moeTopk's kGroupScore).
enum MoeGroupScore : int {
  kMoeGroupScoreNone = 0,   // one group: no group step
  kMoeGroupScoreMax = 1,    // V2's group_limited_greedy
  kMoeGroupScoreTop2Sum = 2 // V3/R1's noaux_tc
};

namespace moe {

constexpr unsigned kFullWarp = 0xffffffffu;
/// The index of "no candidate": ranks after every real expert.
constexpr int kNoIndex = 0x7fffffff;

R1_DEVICE inline float warpSum(float v) {
  for (int m = 16; m > 0; m /= 2)
    v += __shfl_xor_sync(kFullWarp, v, m);
  return v;
}

R1_DEVICE inline float warpMax(float v) {
  for (int m = 16; m > 0; m /= 2)
    v = fmaxf(v, __shfl_xor_sync(kFullWarp, v, m));
  return v;
}

/// Step of warpSumsSpread: kCount values left per lane, lanes kM apart
/// still to combine.
template <int kCount, int kM, int kR>
R1_DEVICE inline void spreadStep(float (&v)[kR], int lane) {
  if constexpr (kM > 0) {
    if constexpr (kCount > 1) {
      // The lower lane of each pair keeps the first half of the values, the
      // upper lane the second half; each adds its partner's share of them.
      constexpr int kHalf = kCount / 2;
      const bool upper = (lane & kM) != 0;
      R1CK_MOE_UNROLL
      for (int j = 0; j < kHalf; ++j) {
        const float send = upper ? v[j] : v[j + kHalf], keep = upper ? v[j + kHalf] : v[j];
        v[j] = keep + __shfl_xor_sync(kFullWarp, send, kM);
      }
      spreadStep<kHalf, kM / 2>(v, lane);
    } else {
      v[0] += __shfl_xor_sync(kFullWarp, v[0], kM);
      spreadStep<1, kM / 2>(v, lane);
    }
  }
}

/// The warp sums of kR values per lane (kR a power of two, at most 32) in
/// kR - 1 + 5 - log2(kR) shuffles rather than 5 kR. Afterwards lane l holds
/// in v[0] the sum of value number l / (32 / kR): lanes 0, 32/kR, 2*32/kR...
/// hold the sums of values 0, 1, 2...
template <int kR>
R1_DEVICE inline void warpSumsSpread(float (&v)[kR]) {
  static_assert(kR >= 1 && kR <= 32 && (kR & (kR - 1)) == 0, "a power of two up to 32");
  spreadStep<kR, 16>(v, int(threadIdx.x) % 32);
}

/// Whether candidate (v, i) ranks before (bv, bi): the host's order, a
/// higher score first and the lower index among equal scores.
R1_DEVICE inline bool ranksBefore(float v, int i, float bv, int bi) {
  return v > bv || (v == bv && i < bi);
}

/// The best (score, index) candidate of the warp, returned to every lane.
R1_DEVICE inline void warpBest(float &v, int &i) {
  for (int m = 16; m > 0; m /= 2) {
    const float ov = __shfl_xor_sync(kFullWarp, v, m);
    const int oi = __shfl_xor_sync(kFullWarp, i, m);
    if (ranksBefore(ov, oi, v, i))
      v = ov, i = oi;
  }
}

/// Adds v to the two largest values (first >= second) seen so far: the
/// host's update, so that equal values count twice.
R1_DEVICE inline void keepTop2(float v, float &first, float &second) {
  if (v > first)
    second = first, first = v;
  else if (v > second)
    second = v;
}

/// DeepSeek-V3's Gate.forward after the score function, for one token, by
/// the 32 lanes of the calling warp (all of them must call it). `s` holds
/// the token's E scores (global or shared memory); `biased` is E floats of
/// shared memory for the scores plus bias; ids and weights get TopK values.
template <int64_t E, int64_t TopK, int64_t Groups, int64_t TopkGroups, int kGroupScore, bool kBias,
          bool kNormalize>
R1_DEVICE inline void warpTopk(const float *s, const float *bias, float scaling, float *biased,
                               int32_t *ids, float *weights) {
  static_assert(Groups >= 1 && E % Groups == 0, "experts must split evenly into groups");
  static_assert(TopkGroups >= 1 && TopkGroups <= Groups, "topk_group must be in [1, n_group]");
  static_assert(Groups == 1 || kGroupScore == kMoeGroupScoreMax ||
                    kGroupScore == kMoeGroupScoreTop2Sum,
                "group-limited routing needs a group score");
  static_assert(kGroupScore != kMoeGroupScoreTop2Sum || E / Groups >= 2,
                "top2_sum needs 2 per group");
  static_assert(TopK >= 1 && TopK <= TopkGroups * (E / Groups), "too few experts to choose from");
  // Lane-held state: lane g holds group g's score, lane k the k-th choice,
  // and a lane's bit j marks expert lane + 32 j as taken.
  static_assert(Groups <= 32 && TopK <= 32 && E <= 32 * 32, "state held one bit or value per lane");
  constexpr int G = int(E / Groups);
  const int lane = int(threadIdx.x) % 32;

  for (int e = lane; e < int(E); e += 32)
    biased[e] = kBias ? s[e] + __ldg(bias + e) : s[e];
  __syncwarp();

  // 1. Group scores; keep the TopkGroups best groups (bit g of `kept`).
  uint32_t kept = 1u;
  if constexpr (Groups > 1) {
    float myGroupScore = -INFINITY;
    for (int g = 0; g < int(Groups); ++g) {
      float first = -INFINITY, second = -INFINITY;
      for (int e = g * G + lane; e < (g + 1) * G; e += 32)
        keepTop2(biased[e], first, second);
      for (int m = 16; m > 0; m /= 2) { // the top two of the union
        const float of = __shfl_xor_sync(kFullWarp, first, m);
        const float os = __shfl_xor_sync(kFullWarp, second, m);
        keepTop2(of, first, second);
        keepTop2(os, first, second);
      }
      if (lane == g)
        myGroupScore = kGroupScore == kMoeGroupScoreMax ? first : first + second;
    }
    kept = 0u;
    for (int r = 0; r < int(TopkGroups); ++r) {
      const bool open = lane < Groups && !((kept >> lane) & 1u);
      float v = open ? myGroupScore : -INFINITY;
      int g = open ? lane : kNoIndex;
      warpBest(v, g);
      kept |= 1u << g;
    }
  }

  // 2. TopK experts by biased score among those of the kept groups.
  uint32_t taken = 0u;
  int myId = -1;
  for (int k = 0; k < int(TopK); ++k) {
    float v = -INFINITY;
    int best = kNoIndex;
    for (int e = lane, j = 0; e < int(E); e += 32, ++j)
      if (((kept >> (e / G)) & 1u) && !((taken >> j) & 1u) && ranksBefore(biased[e], e, v, best))
        v = biased[e], best = e;
    warpBest(v, best);
    if (best % 32 == lane)
      taken |= 1u << (best / 32);
    if (lane == k)
      myId = best;
  }

  // 3. Weights from the unbiased scores, summed in the host's order (k
  // ascending) so that the normalized weights are the same bits.
  const float mine = lane < TopK ? s[myId] : 0.0f;
  float sum = 0.0f;
  for (int k = 0; k < int(TopK); ++k)
    sum += __shfl_sync(kFullWarp, mine, k);
  if (lane < TopK) {
    ids[lane] = myId;
    weights[lane] = rowwise::mulRn(kNormalize ? rowwise::divRn(mine, sum) : mine, scaling);
  }
}

//===----------------------------------------------------------------------===//
// Dot products of weight rows with an fp32 vector, a lane's share of them:
// the caller sums the lanes (warpSumsSpread).
//===----------------------------------------------------------------------===//

/// 16 bytes of a weight row: 4 f32, 8 bf16/f16, 16 e4m3/int8 or 32 int4
/// elements.
struct alignas(16) Chunk {
  uint32_t word[4];
};
/// The chunk at p (16-byte aligned), through the read-only data path.
R1_DEVICE inline Chunk loadChunk(const void *p) {
#if defined(__CUDACC__)
  const uint4 q = __ldg(static_cast<const uint4 *>(p));
  return Chunk{{q.x, q.y, q.z, q.w}};
#else
  Chunk c;
  std::memcpy(&c, p, sizeof c);
  return c;
#endif
}

/// 4 consecutive floats of the vector, 16-byte aligned.
struct alignas(16) Float4 {
  float v[4];
};

template <WType WT>
constexpr int kChunkElems = 128 / wBits(WT);

/// Half h (0 low, 1 high) of a word of two 16-bit weights, as f32.
template <WType WT>
R1_DEVICE inline float halfWord(uint32_t word, int h) {
  const uint32_t bits = h ? word >> 16 : word & 0xffffu;
  return WT == WType::BF16 ? bf16BitsToF32(bits) : f16BitsToF32(bits);
}

/// The dot product of one chunk of weights with the kChunkElems floats at x
/// (16-byte aligned; shared or global memory), FP8 and integers without their
/// scale.
template <WType WT>
R1_DEVICE inline float chunkDot(const Chunk &w, const float *x) {
  const Float4 *x4 = reinterpret_cast<const Float4 *>(x);
  float acc = 0.0f;
  if constexpr (isIntW(WT)) {
    // A word at a time: 8 int4 or 4 int8 codes, decoded and multiplied.
    constexpr int kW = kCodesPerWord<WT>;
    R1CK_MOE_UNROLL
    for (int q = 0; q < 4; ++q) {
      float wv[kW];
      decodeCodeWord<WT>(w.word[q], wv);
      R1CK_MOE_UNROLL
      for (int g = 0; g < kW / 4; ++g) {
        const Float4 a = x4[q * (kW / 4) + g];
        acc += wv[4 * g] * a.v[0] + wv[4 * g + 1] * a.v[1] + wv[4 * g + 2] * a.v[2] +
               wv[4 * g + 3] * a.v[3];
      }
    }
  } else if constexpr (WT == WType::F32) {
    const Float4 a = x4[0];
    R1CK_MOE_UNROLL
    for (int q = 0; q < 4; ++q)
      acc += __uint_as_float(w.word[q]) * a.v[q];
  } else if constexpr (WT == WType::F8E4M3) {
    R1CK_MOE_UNROLL
    for (int q = 0; q < 4; ++q) {
      const Float4 a = x4[q];
      R1CK_MOE_UNROLL
      for (int b = 0; b < 4; ++b)
        acc += f8e4m3BitsToF32((w.word[q] >> (8 * b)) & 0xffu) * a.v[b];
    }
  } else {
    R1CK_MOE_UNROLL
    for (int p = 0; p < 2; ++p) {
      const Float4 a = x4[p];
      R1CK_MOE_UNROLL
      for (int q = 0; q < 2; ++q)
        acc += halfWord<WT>(w.word[2 * p + q], 0) * a.v[2 * q] +
               halfWord<WT>(w.word[2 * p + q], 1) * a.v[2 * q + 1];
    }
  }
  return acc;
}

/// Whether rows of K elements of a WT array at `w` can be read in chunks:
/// every row starts 16-byte aligned and is whole chunks long.
template <WType WT, int64_t K>
R1_DEVICE inline bool chunkedRows(const void *w) {
  return K % kChunkElems<WT> == 0 && (reinterpret_cast<uintptr_t>(w) & 15u) == 0;
}

/// This lane's share of row . x for `rows` rows of K weights starting at
/// `w` (rows[r] is the row index), all against the same x; FP8 and integer
/// rows scaled by their scales (loadScale: [.., ceil(K/128)] f32 or
/// [.., K/G] f16). kRows rows at once so that x is read once for all of
/// them. `chunked`: chunkedRows<WT, K>(w) and x 16-byte aligned.
template <WType WT, int64_t K, int kRows>
R1_DEVICE inline void laneDots(const void *w, const int64_t (&rows)[kRows], const void *scales,
                               const float *x, bool chunked, float (&acc)[kRows]) {
  static_assert(K < (int64_t(1) << 31) / 4, "in-row offsets are int");
  static_assert(kWholeGroups<WT, K>, "integer weights: K is a multiple of the group");
  const int lane = int(threadIdx.x) % 32;
  const unsigned char *row[kRows];
  R1CK_MOE_UNROLL
  for (int r = 0; r < kRows; ++r) {
    acc[r] = 0.0f;
    row[r] = static_cast<const unsigned char *>(w) + rows[r] * rowBytes(WT, K);
  }
  if (chunked) {
    constexpr int kElems = kChunkElems<WT>, kChunks = int(K / kElems);
    R1CK_MOE_UNROLL2
    for (int c = lane; c < kChunks; c += 32) {
      R1CK_MOE_UNROLL
      for (int r = 0; r < kRows; ++r) {
        float d = chunkDot<WT>(loadChunk(row[r] + 16 * c), x + c * kElems);
        if constexpr (hasScales(WT)) // a chunk lies in one 128-block / group
          d *= loadScale<WT, K>(scales, rows[r], c * kElems);
        acc[r] += d;
      }
    }
    return;
  }
  R1CK_MOE_NO_UNROLL // the fallback: registers matter more than speed
  for (int k = lane; k < int(K); k += 32) {
    const float xk = x[k];
    R1CK_MOE_UNROLL
    for (int r = 0; r < kRows; ++r) {
      float v = loadWeight<WT>(row[r], k);
      if constexpr (hasScales(WT))
        v *= loadScale<WT, K>(scales, rows[r], k);
      acc[r] += v * xk;
    }
  }
}

/// The kChunkElems<WT> weights of a chunk as f32 (FP8 without its scale;
/// not for integer codes, which laneDotsTokens decodes a word at a time).
template <WType WT>
R1_DEVICE inline void decodeChunk(const Chunk &c, float (&w)[kChunkElems<WT>]) {
  static_assert(!isIntW(WT), "integer chunks are decoded a word at a time");
  R1CK_MOE_UNROLL
  for (int q = 0; q < 4; ++q) {
    if constexpr (WT == WType::F32) {
      w[q] = __uint_as_float(c.word[q]);
    } else if constexpr (WT == WType::F8E4M3) {
      R1CK_MOE_UNROLL
      for (int b = 0; b < 4; ++b)
        w[4 * q + b] = f8e4m3BitsToF32((c.word[q] >> (8 * b)) & 0xffu);
    } else {
      w[2 * q] = halfWord<WT>(c.word[q], 0), w[2 * q + 1] = halfWord<WT>(c.word[q], 1);
    }
  }
}

/// laneDotsTokens' chunked loop for integer codes: each lane loads a chunk
/// of every row (32 int4 or 16 int8 codes) and its group scale, decodes it a
/// 32-bit word (8 or 4 codes) at a time, each word meeting the matching
/// floats of all kT vectors, and scales the chunk's partial sums once.
/// Decoding whole chunks up front, as the float types do, would hold 32
/// floats per row.
template <WType WT, int64_t K, int kRows, int kT>
R1_DEVICE inline void laneDotsTokensCodes(const unsigned char *const (&row)[kRows],
                                          const int64_t (&rows)[kRows], const void *scales,
                                          const float *const (&x)[kT], float (&acc)[kRows * kT]) {
  constexpr int kElems = kChunkElems<WT>, kChunks = int(K / kElems), kW = kCodesPerWord<WT>;
  const int lane = int(threadIdx.x) % 32;
  R1CK_MOE_NO_UNROLL
  for (int c = lane; c < kChunks; c += 32) {
    Chunk chunk[kRows];
    float scale[kRows], part[kRows][kT];
    R1CK_MOE_UNROLL
    for (int r = 0; r < kRows; ++r) {
      chunk[r] = loadChunk(row[r] + 16 * c);
      scale[r] = loadScale<WT, K>(scales, rows[r], c * kElems);
      R1CK_MOE_UNROLL
      for (int j = 0; j < kT; ++j)
        part[r][j] = 0.0f;
    }
    R1CK_MOE_UNROLL
    for (int q = 0; q < 4; ++q) {
      float wv[kRows][kW];
      R1CK_MOE_UNROLL
      for (int r = 0; r < kRows; ++r)
        decodeCodeWord<WT>(chunk[r].word[q], wv[r]);
      R1CK_MOE_UNROLL
      for (int j = 0; j < kT; ++j) {
        const Float4 *x4 = reinterpret_cast<const Float4 *>(x[j] + c * kElems + q * kW);
        R1CK_MOE_UNROLL
        for (int g = 0; g < kW / 4; ++g) {
          const Float4 a = x4[g];
          R1CK_MOE_UNROLL
          for (int r = 0; r < kRows; ++r)
            part[r][j] += wv[r][4 * g] * a.v[0] + wv[r][4 * g + 1] * a.v[1] +
                          wv[r][4 * g + 2] * a.v[2] + wv[r][4 * g + 3] * a.v[3];
        }
      }
    }
    R1CK_MOE_UNROLL
    for (int r = 0; r < kRows; ++r)
      R1CK_MOE_UNROLL
      for (int j = 0; j < kT; ++j)
        acc[r * kT + j] = fmaf(part[r][j], scale[r], acc[r * kT + j]);
  }
}

/// laneDots against kT vectors x[j] at once: acc[r * kT + j] gets this
/// lane's share of row r . x[j]. Each weight chunk is loaded and decoded
/// once for all kT vectors. `chunked`: chunkedRows<WT, K>(w) and every x[j]
/// 16-byte aligned.
template <WType WT, int64_t K, int kRows, int kT>
R1_DEVICE inline void laneDotsTokens(const void *w, const int64_t (&rows)[kRows],
                                     const void *scales, const float *const (&x)[kT],
                                     bool chunked, float (&acc)[kRows * kT]) {
  static_assert(K < (int64_t(1) << 31) / 4, "in-row offsets are int");
  static_assert(kWholeGroups<WT, K>, "integer weights: K is a multiple of the group");
  const int lane = int(threadIdx.x) % 32;
  const unsigned char *row[kRows];
  R1CK_MOE_UNROLL
  for (int r = 0; r < kRows; ++r)
    row[r] = static_cast<const unsigned char *>(w) + rows[r] * rowBytes(WT, K);
  R1CK_MOE_UNROLL
  for (int i = 0; i < kRows * kT; ++i)
    acc[i] = 0.0f;
  if constexpr (isIntW(WT)) {
    if (chunked) {
      laneDotsTokensCodes<WT, K, kRows, kT>(row, rows, scales, x, acc);
      return;
    }
  } else if (chunked) {
    constexpr int kElems = kChunkElems<WT>, kChunks = int(K / kElems);
    R1CK_MOE_NO_UNROLL
    for (int c = lane; c < kChunks; c += 32) {
      // The chunk of every row decoded once; then each vector in turn, a
      // Float4 of it at a time, meets all the rows.
      float wv[kRows][kElems], scale[kRows];
      R1CK_MOE_UNROLL
      for (int r = 0; r < kRows; ++r) {
        decodeChunk<WT>(loadChunk(row[r] + 16 * c), wv[r]);
        scale[r] = loadScale<WT, K>(scales, rows[r], c * kElems);
      }
      R1CK_MOE_UNROLL
      for (int j = 0; j < kT; ++j) {
        const Float4 *x4 = reinterpret_cast<const Float4 *>(x[j] + c * kElems);
        float part[kRows];
        R1CK_MOE_UNROLL
        for (int r = 0; r < kRows; ++r)
          part[r] = 0.0f;
        R1CK_MOE_UNROLL
        for (int g = 0; g < kElems / 4; ++g) {
          const Float4 a = x4[g];
          R1CK_MOE_UNROLL
          for (int r = 0; r < kRows; ++r)
            part[r] += wv[r][4 * g] * a.v[0] + wv[r][4 * g + 1] * a.v[1] +
                       wv[r][4 * g + 2] * a.v[2] + wv[r][4 * g + 3] * a.v[3];
        }
        R1CK_MOE_UNROLL
        for (int r = 0; r < kRows; ++r)
          acc[r * kT + j] += WT == WType::F8E4M3 ? part[r] * scale[r] : part[r];
      }
    }
    return;
  }
  R1CK_MOE_NO_UNROLL // the fallback: registers matter more than speed
  for (int k = lane; k < int(K); k += 32) {
    R1CK_MOE_UNROLL
    for (int r = 0; r < kRows; ++r) {
      float v = loadWeight<WT>(row[r], k);
      if constexpr (hasScales(WT))
        v *= loadScale<WT, K>(scales, rows[r], k);
      R1CK_MOE_UNROLL
      for (int j = 0; j < kT; ++j)
        acc[r * kT + j] += v * x[j][k];
    }
  }
}

//===----------------------------------------------------------------------===//
// W8A8 activation quantization of a vector in shared memory: Quant.cuh's
// quantizeF8Blocks (the host's bits) for one row that is not in global memory.
//===----------------------------------------------------------------------===//

/// v[0, K) (shared memory) fake-quantized in place per 128-element block as
/// DeepSeek-V3's act_quant does: s = max(amax, 1e-4) / 448, v = e4m3(v / s) * s.
/// A warp per block; the caller synchronizes before reading v.
template <int64_t K, int kWarps>
R1_DEVICE inline void quantizeBlocksF8(float *v) {
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  constexpr int kBlocks = int((K + kF8Block - 1) / kF8Block);
  for (int b = warp; b < kBlocks; b += kWarps) {
    const int end = b * kF8Block + kF8Block < K ? b * kF8Block + kF8Block : int(K);
    float amax = 0.0f;
    for (int k = b * kF8Block + lane; k < end; k += 32)
      amax = fmaxf(amax, fabsf(v[k]));
    amax = warpMax(amax);
    const float s = rowwise::divRn(amax > 1e-4f ? amax : 1e-4f, 448.0f);
    for (int k = b * kF8Block + lane; k < end; k += 32)
      v[k] = rowwise::mulRn(roundToE4M3(rowwise::divRn(v[k], s)), s);
  }
}

} // namespace moe

/// ids[t, TopK] and weights[t, TopK] of token t = blockIdx.x from its
/// scores[t, E]: r1hk::moeTopk's choice, exactly (see the file comment).
/// bias [E] when kBias. Only warp 0 works; kThreads is the block size.
template <int64_t E, int64_t TopK, int64_t Groups, int64_t TopkGroups, int kGroupScore, bool kBias,
          bool kNormalize, int kThreads>
R1_DEVICE inline void moeTopk(const float *__restrict__ scores, const float *__restrict__ bias,
                              float scaling, int32_t *__restrict__ ids,
                              float *__restrict__ weights) {
  static_assert(kThreads % 32 == 0 && kThreads >= 32 && kThreads <= 1024, "whole warps");
  R1_SHARED float biased[E];
  if (threadIdx.x >= 32)
    return;
  const int64_t t = blockIdx.x;
  moe::warpTopk<E, TopK, Groups, TopkGroups, kGroupScore, kBias, kNormalize>(
      scores + t * E, bias, scaling, biased, ids + t * TopK, weights + t * TopK);
}

/// The router of token t = blockIdx.x: logits = x[t] . gate^T (gate [E, H],
/// bf16 or f32, fp32 sums; a warp per 2 experts at a time), scores[t] =
/// sigmoid (kScoring 0) or softmax (1) of them, then moeTopk's choice into
/// ids and weights. The scores are written before the choice reads them
/// back from shared memory, so the choice is exactly moeTopk's of scores.
template <int64_t E, int64_t H, WType WT, int kScoring, int64_t TopK, int64_t Groups,
          int64_t TopkGroups, int kGroupScore, bool kBias, bool kNormalize, int kThreads>
R1_DEVICE inline void moeRoute(const float *__restrict__ x, const void *__restrict__ gate,
                               const float *__restrict__ bias, float scaling,
                               int32_t *__restrict__ ids, float *__restrict__ weights,
                               float *__restrict__ scores) {
  static_assert(kThreads % 32 == 0 && kThreads >= 32 && kThreads <= 1024, "whole warps");
  static_assert(!hasScales(WT), "the router gate is not FP8 or integer (it has no scales here)");
  static_assert(kScoring == 0 || kScoring == 1, "scoring: 0 sigmoid, 1 softmax");
  constexpr int kWarps = kThreads / 32;
  R1_SHARED float rowScores[E];
  R1_SHARED float biased[E];
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  const int64_t t = blockIdx.x;
  const float *xr = x + t * H;

  // 1. Logits, a warp per kR experts at a time (the rows of a last partial
  // group repeat the last expert and are not written).
  constexpr int kR = 2;
  const bool chunked =
      moe::chunkedRows<WT, H>(gate) && (reinterpret_cast<uintptr_t>(xr) & 15u) == 0;
  for (int e0 = warp * kR; e0 < int(E); e0 += kWarps * kR) {
    int64_t rows[kR];
    R1CK_MOE_UNROLL
    for (int r = 0; r < kR; ++r)
      rows[r] = e0 + r < int(E) ? e0 + r : int(E) - 1;
    float acc[kR];
    moe::laneDots<WT, H, kR>(gate, rows, nullptr, xr, chunked, acc);
    moe::warpSumsSpread<kR>(acc);
    const int e = e0 + lane / (32 / kR);
    if (lane % (32 / kR) == 0 && e < int(E))
      rowScores[e] = acc[0];
  }
  __syncthreads();
  if (warp != 0)
    return;

  // 2. Scores (each lane rewrites only its own experts).
  if constexpr (kScoring == 0) {
    for (int e = lane; e < int(E); e += 32)
      rowScores[e] = rowwise::divRn(1.0f, 1.0f + rowwise::clampedExp(-rowScores[e]));
  } else {
    float m = -INFINITY;
    for (int e = lane; e < int(E); e += 32)
      m = fmaxf(m, rowScores[e]);
    m = moe::warpMax(m);
    float total = 0.0f;
    for (int e = lane; e < int(E); e += 32)
      total += rowScores[e] = rowwise::clampedExp(rowScores[e] - m);
    total = moe::warpSum(total);
    for (int e = lane; e < int(E); e += 32)
      rowScores[e] = rowwise::divRn(rowScores[e], total);
  }
  for (int e = lane; e < int(E); e += 32)
    scores[t * E + e] = rowScores[e];
  __syncwarp();

  // 3. The choice.
  moe::warpTopk<E, TopK, Groups, TopkGroups, kGroupScore, kBias, kNormalize>(
      rowScores, bias, scaling, biased, ids + t * TopK, weights + t * TopK);
}

/// Routed experts of token t = blockIdx.x: out[t] = sum over k of
/// weights[t,k] * down_e(silu(gate_e x[t]) * (up_e x[t])), e = ids[t,k]
/// (assignments with e outside [0, E) are skipped). gateUp [E][2I][H] (per
/// expert its I gate rows, then its I up rows), down [E][H][I]; for FP8 the
/// block scales gateUpScales [E][2I][ceil(H/128)], downScales
/// [E][H][ceil(I/128)] (f32), for the integer types the group scales
/// [E][2I][H/G] and [E][H][I/G] (f16 bits). Dynamic shared memory: exactly 4 * (H + I) bytes
/// (the x row, then the hidden vector h). The experts run in k order; for
/// each, warps take 2 rows of I (4 weight rows: gate and up of each) at a
/// time, then 2 rows of H.
/// kQuantAct: x and each h are fake-quantized per 1x128 block first (W8A8),
/// as r1hk::moeExperts does (FP8 weights; not integer ones).
template <int64_t E, int64_t TopK, int64_t H, int64_t I, WType WT, bool kQuantAct, int kThreads>
R1_DEVICE inline void moeExperts(const float *__restrict__ x, const int32_t *__restrict__ ids,
                                 const float *__restrict__ weights, const void *__restrict__ gateUp,
                                 const void *__restrict__ down,
                                 const void *__restrict__ gateUpScales,
                                 const void *__restrict__ downScales, float *__restrict__ out) {
  static_assert(kThreads % 32 == 0 && kThreads >= 32 && kThreads <= 1024, "whole warps");
  static_assert(E >= 1 && TopK >= 1 && H >= 1 && I >= 1, "empty MoE");
  static_assert(!(kQuantAct && isIntW(WT)), "W8A8 takes FP8 weights, not integer ones");
  constexpr int kWarps = kThreads / 32;
  constexpr int kRowsI = 2, kRowsH = 2; // rows of I, of H per warp pass
  float *xs = r1cuda::dynamicShared<float>(); // [H], then h [I]
  float *hs = xs + H;
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  const int64_t t = blockIdx.x;

  // Chunked reads need 16-byte aligned vectors too: xs is, hs when H is a
  // multiple of 4.
  const bool chunkedGateUp = moe::chunkedRows<WT, H>(gateUp);
  const bool chunkedDown = moe::chunkedRows<WT, I>(down) && H % 4 == 0;

  for (int k = int(threadIdx.x); k < int(H); k += kThreads)
    xs[k] = x[t * H + k];
  __syncthreads();
  if constexpr (kQuantAct) {
    moe::quantizeBlocksF8<H, kWarps>(xs);
    __syncthreads();
  }

  bool started = false; // out[t] holds a partial sum
  for (int k = 0; k < int(TopK); ++k) {
    const int32_t e = __ldg(ids + t * TopK + k);
    if (e < 0 || e >= E) // the same for the whole block
      continue;
    const float w = __ldg(weights + t * TopK + k);

    // 1. h = silu(gate x) * (up x), a warp per kRowsI rows of I at a time:
    // their gate and up rows (rows past the end repeat the last and are not
    // written).
    for (int i0 = kRowsI * warp; i0 < int(I); i0 += kRowsI * kWarps) {
      int64_t rows[2 * kRowsI];
      R1CK_MOE_UNROLL
      for (int j = 0; j < kRowsI; ++j) {
        const int i = i0 + j < int(I) ? i0 + j : int(I) - 1;
        rows[2 * j] = e * 2 * I + i, rows[2 * j + 1] = e * 2 * I + I + i;
      }
      float acc[2 * kRowsI];
      moe::laneDots<WT, H, 2 * kRowsI>(gateUp, rows, gateUpScales, xs, chunkedGateUp, acc);
      // Lane (32 / kRowsI) j holds gate row i0 + j, the lane 16 / kRowsI
      // above it up row i0 + j.
      moe::warpSumsSpread<2 * kRowsI>(acc);
      const float g = acc[0], u = __shfl_down_sync(moe::kFullWarp, acc[0], 16 / kRowsI);
      const int i = i0 + lane / (32 / kRowsI);
      if (lane % (32 / kRowsI) == 0 && i < int(I))
        hs[i] = rowwise::divRn(g, 1.0f + rowwise::clampedExp(-g)) * u;
    }
    __syncthreads();
    if constexpr (kQuantAct) {
      moe::quantizeBlocksF8<I, kWarps>(hs);
      __syncthreads();
    }

    // 2. out[t] += w * (down_e h), a warp per kRowsH rows of H at a time;
    // the lane that writes out[t, r] is the same for every expert, so no
    // other thread touches it.
    for (int r0 = kRowsH * warp; r0 < int(H); r0 += kRowsH * kWarps) {
      int64_t rows[kRowsH];
      R1CK_MOE_UNROLL
      for (int j = 0; j < kRowsH; ++j)
        rows[j] = e * H + (r0 + j < int(H) ? r0 + j : int(H) - 1);
      float acc[kRowsH];
      moe::laneDots<WT, I, kRowsH>(down, rows, downScales, hs, chunkedDown, acc);
      moe::warpSumsSpread<kRowsH>(acc);
      const int r = r0 + lane / (32 / kRowsH);
      if (lane % (32 / kRowsH) == 0 && r < int(H))
        out[t * H + r] = started ? out[t * H + r] + w * acc[0] : w * acc[0];
    }
    started = true;
    __syncthreads(); // the next expert rewrites hs
  }
  if (!started)
    for (int r = int(threadIdx.x); r < int(H); r += kThreads)
      out[t * H + r] = 0.0f;
}

//===----------------------------------------------------------------------===//
// moeExpertsGrouped: the routed experts grouped by expert, for prefill (and
// for decode, which one block per token leaves on a single SM). Each active
// expert's weights are read once per launch (once per kGroupTokens of its
// tokens from L1/L2), by many blocks. Launches, in order (n = token rows):
//
//   1. moeExpertsGroupedSort  grid (1), block kThreads, no dynamic smem:
//      the per-expert assignment lists into the int32 scratch `groups`
//      (moeExpertsGroupsElems<E, TopK>(n) elements, see GroupLayout).
//   [W8A8: Quant.cuh's quantizeF8Blocks<H> on x into a scratch xq [n, H],
//      grid (n); the next launch reads xq as its x.]
//   2. moeExpertsGroupedUp    grid (ceil(I / (kThreads/32)), min(E, n*TopK)),
//      block kThreads, no dynamic smem: h [n * TopK, I] (f32 scratch), row
//      t * TopK + k = silu(gate_e x[t]) * (up_e x[t]) for e = ids[t, k];
//      rows of skipped assignments are not written.
//   [W8A8: quantizeF8Blocks<I> on h in place, grid (n * TopK).]
//   3. moeExpertsGroupedDown  grid (ceil(H / (2 * kThreads/32))), block
//      kThreads, no dynamic smem: out [n, H] = sum over the active experts,
//      ascending, of weights[t, k] * (down_e h[t * TopK + k]).
//
// No atomics touch the results: step 1 orders each expert's list by
// atomics (any order), but every h row and every out element is computed
// by one lane in an order fixed by the routing, so results are the same
// bits from run to run. A token may not list an expert twice (moeTopk never
// does; moeExperts allows it).
//===----------------------------------------------------------------------===//

namespace moe {

/// Tokens each warp takes at a time in the grouped kernels.
constexpr int kGroupTokens = 4;

/// The sections of moeExpertsGroupedSort's int32 `groups` scratch:
/// offsets[E + 1] (expert e's slots are slots[offsets[e], offsets[e + 1])),
/// active[E] (the experts with slots, ascending), the count of active
/// experts, then slots[n * TopK] (assignment indices t * TopK + k).
template <int64_t E>
struct GroupLayout {
  static constexpr int64_t kOffsets = 0, kActive = E + 1, kActiveCount = 2 * E + 1,
                           kSlots = 2 * E + 2;
};

/// Exclusive prefix sum over the warp of v, and the warp's total.
R1_DEVICE inline int warpExclusiveSum(int v, int &total) {
  const int lane = int(threadIdx.x) % 32;
  int inclusive = v;
  for (int d = 1; d < 32; d *= 2) {
    const int o = __shfl_up_sync(kFullWarp, inclusive, d);
    if (lane >= d)
      inclusive += o;
  }
  total = __shfl_sync(kFullWarp, inclusive, 31);
  return inclusive - v;
}

} // namespace moe

/// Int32 elements of moeExpertsGrouped's `groups` scratch for n token rows.
template <int64_t E, int64_t TopK>
R1_HOST_DEVICE constexpr int64_t moeExpertsGroupsElems(int64_t n) {
  return 2 * E + 2 + n * TopK;
}

/// Step 1 of moeExpertsGrouped: counts the assignments of the `rows` tokens'
/// ids [rows, TopK] per expert (shared-memory atomics), their offsets and
/// the active experts (a warp scan), then scatters the assignment indices
/// into each expert's list. Ids outside [0, E) are left out.
template <int64_t E, int64_t TopK, int kThreads>
R1_DEVICE inline void moeExpertsGroupedSort(const int32_t *__restrict__ ids, int64_t rows,
                                            int32_t *__restrict__ groups) {
  static_assert(kThreads % 32 == 0 && kThreads >= 32 && kThreads <= 1024, "whole warps");
  using L = moe::GroupLayout<E>;
  R1_SHARED int count[E];
  R1_SHARED int cursor[E];
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  const int64_t n = rows * TopK;
  for (int e = int(threadIdx.x); e < int(E); e += kThreads)
    count[e] = 0;
  __syncthreads();
  for (int64_t a = threadIdx.x; a < n; a += kThreads) {
    const int32_t e = __ldg(ids + a);
    if (e >= 0 && e < E)
      atomicAdd(&count[e], 1);
  }
  __syncthreads();
  if (warp == 0) {
    int slotBase = 0, activeBase = 0;
    for (int e0 = 0; e0 < int(E); e0 += 32) {
      const int e = e0 + lane, c = e < int(E) ? count[e] : 0;
      int slotTotal, activeTotal;
      const int slot = slotBase + moe::warpExclusiveSum(c, slotTotal);
      const int active = activeBase + moe::warpExclusiveSum(c > 0, activeTotal);
      if (e < int(E)) {
        groups[L::kOffsets + e] = slot;
        cursor[e] = slot;
        if (c > 0)
          groups[L::kActive + active] = e;
      }
      slotBase += slotTotal, activeBase += activeTotal;
    }
    if (lane == 0)
      groups[L::kOffsets + E] = slotBase, groups[L::kActiveCount] = activeBase;
  }
  __syncthreads();
  for (int64_t a = threadIdx.x; a < n; a += kThreads) {
    const int32_t e = __ldg(ids + a);
    if (e >= 0 && e < E)
      groups[L::kSlots + atomicAdd(&cursor[e], 1)] = int32_t(a);
  }
}

/// Step 2 of moeExpertsGrouped: block (x, y) takes the y-th active expert
/// and kThreads/32 rows of I from x * kThreads/32, a warp per row (its gate
/// and up rows), kGroupTokens of the expert's tokens at a time; h row a of
/// assignment a = t * TopK + k gets silu(gate x[t]) * (up x[t]) there.
/// Weights and scales as for moeExperts; x [n, H] (already quantized for
/// W8A8).
template <int64_t E, int64_t TopK, int64_t H, int64_t I, WType WT, int kThreads>
R1_DEVICE inline void moeExpertsGroupedUp(const float *__restrict__ x,
                                          const int32_t *__restrict__ groups,
                                          const void *__restrict__ gateUp,
                                          const void *__restrict__ gateUpScales,
                                          float *__restrict__ h) {
  static_assert(kThreads % 32 == 0 && kThreads >= 32 && kThreads <= 1024, "whole warps");
  using L = moe::GroupLayout<E>;
  constexpr int kWarps = kThreads / 32, kT = moe::kGroupTokens;
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  const int i = int(blockIdx.x) * kWarps + warp;
  // No block barriers below: whole warps may leave.
  if (int(blockIdx.y) >= __ldg(groups + L::kActiveCount) || i >= int(I))
    return;
  const int e = __ldg(groups + L::kActive + blockIdx.y);
  const int s0 = __ldg(groups + L::kOffsets + e), s1 = __ldg(groups + L::kOffsets + e + 1);
  const int32_t *slots = groups + L::kSlots;
  const int64_t rows[2] = {e * 2 * I + i, e * 2 * I + I + i};
  const bool chunked = moe::chunkedRows<WT, H>(gateUp) && H % 4 == 0 &&
                       (reinterpret_cast<uintptr_t>(x) & 15u) == 0;
  for (int s = s0; s < s1; s += kT) {
    // Slots past the list's end repeat its last and are not written.
    const float *xp[kT];
    R1CK_MOE_UNROLL
    for (int j = 0; j < kT; ++j)
      xp[j] = x + int64_t(__ldg(slots + (s + j < s1 ? s + j : s1 - 1)) / TopK) * H;
    float acc[2 * kT];
    moe::laneDotsTokens<WT, H, 2, kT>(gateUp, rows, gateUpScales, xp, chunked, acc);
    // Gate of token j at lane 4 j, its up at lane 16 + 4 j.
    moe::warpSumsSpread<2 * kT>(acc);
    const float g = acc[0], u = __shfl_down_sync(moe::kFullWarp, acc[0], 16);
    const int j = lane / (32 / (2 * kT));
    if (lane < 16 && lane % (32 / (2 * kT)) == 0 && s + j < s1)
      h[int64_t(__ldg(slots + s + j)) * I + i] =
          rowwise::divRn(g, 1.0f + rowwise::clampedExp(-g)) * u;
  }
}

/// Step 3 of moeExpertsGrouped: each warp owns 2 rows of out [rows, H]
/// (block x, warp w: rows 2 (x kThreads/32 + w) and the next), zeroes them,
/// then adds weights[a] * (down_e . h[a]) for every assignment a of every
/// active expert e in ascending order, kGroupTokens at a time.
template <int64_t E, int64_t TopK, int64_t H, int64_t I, WType WT, int kThreads>
R1_DEVICE inline void moeExpertsGroupedDown(const float *__restrict__ h,
                                            const float *__restrict__ weights,
                                            const int32_t *__restrict__ groups,
                                            const void *__restrict__ down,
                                            const void *__restrict__ downScales, int64_t rows,
                                            float *__restrict__ out) {
  static_assert(kThreads % 32 == 0 && kThreads >= 32 && kThreads <= 1024, "whole warps");
  using L = moe::GroupLayout<E>;
  constexpr int kWarps = kThreads / 32, kT = moe::kGroupTokens;
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  const int r0 = 2 * (int(blockIdx.x) * kWarps + warp);
  if (r0 >= int(H)) // no block barriers below
    return;
  const int r1 = r0 + 1 < int(H) ? r0 + 1 : r0; // repeats r0 past the end
  for (int64_t t = lane; t < rows; t += 32) {
    out[t * H + r0] = 0.0f;
    out[t * H + r1] = 0.0f;
  }
  __syncwarp();
  const int32_t *slots = groups + L::kSlots;
  const bool chunked = moe::chunkedRows<WT, I>(down) && I % 4 == 0 &&
                       (reinterpret_cast<uintptr_t>(h) & 15u) == 0;
  const int nActive = __ldg(groups + L::kActiveCount);
  for (int a = 0; a < nActive; ++a) {
    const int e = __ldg(groups + L::kActive + a);
    const int s0 = __ldg(groups + L::kOffsets + e), s1 = __ldg(groups + L::kOffsets + e + 1);
    const int64_t rowIds[2] = {e * H + r0, e * H + r1};
    for (int s = s0; s < s1; s += kT) {
      const float *hp[kT];
      R1CK_MOE_UNROLL
      for (int j = 0; j < kT; ++j)
        hp[j] = h + int64_t(__ldg(slots + (s + j < s1 ? s + j : s1 - 1))) * I;
      float acc[2 * kT];
      moe::laneDotsTokens<WT, I, 2, kT>(down, rowIds, downScales, hp, chunked, acc);
      // Row r0 for token j at lane 4 j, row r1 at lane 16 + 4 j.
      moe::warpSumsSpread<2 * kT>(acc);
      const int j = (lane / (32 / (2 * kT))) % kT, r = lane < 16 ? r0 : r1;
      if (lane % (32 / (2 * kT)) == 0 && s + j < s1 && (lane < 16 || r1 != r0)) {
        const int32_t slot = __ldg(slots + s + j);
        float *o = out + int64_t(slot / TopK) * H + r;
        *o += __ldg(weights + slot) * acc[0];
      }
      // The next group's lanes may add to the same elements (another
      // expert of the same token).
      __syncwarp();
    }
  }
}

} // namespace r1ck

#endif // R1CK_MOE_CUH
