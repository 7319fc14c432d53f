//===- LinearTc.cuh - CUDA kernels: prefill linear / SwiGLU on tensor cores -===//
//
// linearGemmTc and gatedGemmTc: the computation, parameters and launch
// geometry of linearGemm / gatedGemm (Linear.cuh), for BF16, FP8 and
// group-scaled integer (I8G*, I4G*) weights, with the products on tensor
// cores (Mma.cuh's m16n8k16 bf16 MMA, fp32 accumulation) instead of fp32 FMA
// on CUDA cores.
//
// fp32 accuracy from bf16 operands: the weights are exact in bf16 (BF16 as
// stored; an e4m3 code has 4 significant bits, an int8 code at most 8 and
// an int4 code at most 4; their block / group scale is applied to fp32
// partial sums). The (normalized) activation is split into three bf16
// terms, x = x0 + x1 + x2 with x0 = bf16(x), x1 = bf16(x - x0), x2 =
// bf16(x - x0 - x1) (each residual is exact in fp32; together the terms
// carry 24+ bits of x), and all three are multiplied: 3 MMAs where one would
// do with bf16 activations, each product exact, the sums in fp32.
//
// The block tile is linearGemm's: 32 tokens x 64 weight rows (gated: 64 gate
// and the matching 64 up rows), K in stages of 32, 256 threads. Warp w owns
// tokens 16*(w%2).. +16 and columns 16*(w/2).. +16 of the tile: per 16 of K
// it runs 2 MMAs (two n8 halves) per split term per weight tile. The stage
// is kept in shared memory already in fragment order (Mma.cuh's table), so
// a lane reads its A fragment with one 16-byte and its B fragment with one
// 8-byte load; the next stage is fetched into registers while this one is
// multiplied. FP8: each 128-column scale block is accumulated on its own and
// added as acc += scale[n][kb] * blockAcc at its end (as DeepGEMM does); the
// integer types the same way per group of G = 32, 64 or 128 columns (every
// 1, 2 or 4 stages), with their f16 group scale.
//
//===----------------------------------------------------------------------===//
#ifndef R1CK_LINEAR_TC_CUH
#define R1CK_LINEAR_TC_CUH

#include "Linear.cuh"
#include "Mma.cuh"
#include "R1Cuda.h"
#include "WeightTypes.cuh"

#include <stdint.h>

namespace r1ck {
namespace linear_tc_detail {

using linear_detail::ceilDiv;
using linear_detail::kGemmThreads;
using linear_detail::kTileN;
using linear_detail::kTileT;

/// K per shared-memory stage, and its 16-wide MMA steps.
constexpr int kStageK = 32, kKSteps = kStageK / 16;
/// Split terms of an activation.
constexpr int kTerms = 3;

/// r[0..3] = the 16 bytes at p (16-byte aligned shared memory).
R1_DEVICE inline void lds128(const uint32_t *p, uint32_t (&r)[4]) {
#if defined(__CUDACC__)
  const uint4 v = *reinterpret_cast<const uint4 *>(p);
  r[0] = v.x, r[1] = v.y, r[2] = v.z, r[3] = v.w;
#else
  r[0] = p[0], r[1] = p[1], r[2] = p[2], r[3] = p[3];
#endif
}

/// r[0..1] = the 8 bytes at p (8-byte aligned shared memory).
R1_DEVICE inline void lds64(const uint32_t *p, uint32_t (&r)[2]) {
#if defined(__CUDACC__)
  const uint2 v = *reinterpret_cast<const uint2 *>(p);
  r[0] = v.x, r[1] = v.y;
#else
  r[0] = p[0], r[1] = p[1];
#endif
}

/// The bf16 bits of the three split terms of v (t[0] the largest). A
/// non-finite first term (v infinite or NaN, or rounding to infinity) takes
/// all of v: the residuals are then 0, not NaN.
R1_DEVICE inline void splitBf16(float v, uint32_t (&t)[kTerms]) {
  R1CK_UNROLL
  for (int i = 0; i < kTerms; ++i) {
    const __nv_bfloat16 h = __float2bfloat16(v);
    const float hf = __bfloat162float(h);
    t[i] = __bfloat16_as_ushort(h);
    v = hf - hf == 0.0f ? v - hf : 0.0f; // exact: the rounding residual
  }
}

/// The bf16 bits of weight element `index` (FP8: the decoded code without
/// its scale, exact in bf16); 0 past the end.
template <WType WT>
R1_DEVICE inline uint32_t weightBf16(const void *w, int64_t index) {
  if constexpr (WT == WType::BF16)
    return __ldg(static_cast<const unsigned short *>(w) + index);
  else // an e4m3 value has 4 significant bits: its f32 is a bf16 and zeros
    return __float_as_uint(loadWeight<WT>(w, index)) >> 16;
}

/// The bf16 pair (element k in the low half, k + 1 in the high half) of the
/// integer codes at element `index` (even) of an integer-typed array: one
/// byte for int4 (both nibbles), one 16-bit load for int8 (the array must
/// be 2-byte aligned; the weight packer aligns every array far more). An
/// int8 or int4 code is an integer of at most 8 significant bits, exact in
/// bf16, so its f32's top half is its bf16.
template <WType WT>
R1_DEVICE inline uint32_t codePairBf16(const void *w, int64_t index) {
  static_assert(isIntW(WT), "integer codes");
  const unsigned char *b = static_cast<const unsigned char *>(w);
  if constexpr (wBits(WT) == 4) {
    const uint32_t byte = __ldg(b + (index >> 1));
    return (__float_as_uint(i4BitsToF32(byte)) >> 16) |
           (__float_as_uint(i4BitsToF32(byte >> 4)) & 0xffff0000u);
  } else {
    const uint32_t two = __ldg(reinterpret_cast<const unsigned short *>(b + index));
    return (__float_as_uint(i8BitsToF32(two)) >> 16) |
           (__float_as_uint(i8BitsToF32(two >> 8)) & 0xffff0000u);
  }
}

/// A block's share of a tensor-core GEMM: acc[g][j][e] = xn[t] . W[rowBase[g]
/// + c] for the warp's token t = blockIdx.y*32 + 16*(w%2) + l/4 + 8*(e/2) and
/// column c = 16*(w/2) + 8j + 2*(l%4) + e%2 (warp w, lane l), for kWTiles
/// weight tiles of 64 rows; columns c >= validCols and tokens t >= rows read
/// zeros. xn includes the norm, in the host's order (x * factor) * gamma.
template <int64_t K, WType WT, bool kNorm, int kWTiles>
R1_DEVICE inline void tcTile(const float *x, int64_t rows, const void *w, const float *gamma,
                             float eps, const void *scales, const int64_t (&rowBase)[kWTiles],
                             int64_t validCols, float (&acc)[kWTiles][2][4]) {
  static_assert(WT == WType::BF16 || WT == WType::F8E4M3 || isIntW(WT),
                "tensor-core GEMMs take BF16, FP8 and integer weights (F16/F32: linearGemm)");
  static_assert(kWholeGroups<WT, K>, "integer weights: K is a multiple of the group");
  // FP8 and the integer types: partial sums per scale block / group.
  constexpr bool kScaled = hasScales(WT);
  constexpr int kStagesPerBlock = kScaled ? int(wGroup(WT) / kStageK) : 1;
  constexpr int64_t kStages = ceilDiv(K, kStageK);
  static_assert(!kScaled || wGroup(WT) % kStageK == 0,
                "a stage lies inside one FP8 scale block or integer group");
  // Pairs of consecutive k staged per thread: x 32 x 16, W 64 x 16 per tile.
  constexpr int kXPairs = kTileT * (kStageK / 2) / kGemmThreads;
  constexpr int kWPairs = kTileN * (kStageK / 2) / kGemmThreads;

  // Fragment order: as[term][m16 tile][k step][lane] is one lane's a[4],
  // bs[tile][n8 tile][k step][lane] its b[2]. 6 KiB + 4 KiB per weight tile.
  alignas(16) R1_SHARED uint32_t as[kTerms][kTileT / 16][kKSteps][32][4];
  alignas(16) R1_SHARED uint32_t bs[kWTiles][kTileN / 8][kKSteps][32][2];
  R1_SHARED float rowFactor[kTileT];

  const int tid = int(threadIdx.x), lane = tid % 32, warp = tid / 32;
  const int wm = warp % 2, wn = warp / 2, q = lane % 4;
  const int64_t t0 = int64_t(blockIdx.y) * kTileT;

  if constexpr (kNorm)
    linear_detail::tileRowFactors<K>(x, rows, t0, eps, rowFactor);
  else
    (void)gamma, (void)eps;

  // Pair p = tid + 256i of a stage: token / column p / 16, k 2*(p % 16), so
  // a half-warp reads 32 consecutive k of one row.
  float xr[kXPairs][2];
  uint32_t wr[kWTiles][kWPairs];
  auto fetch = [&](int64_t k0) {
    R1CK_UNROLL
    for (int i = 0; i < kXPairs; ++i) {
      const int p = tid + kGemmThreads * i, tt = p / 16;
      const int64_t t = t0 + tt;
      R1CK_UNROLL
      for (int h = 0; h < 2; ++h) {
        const int64_t k = k0 + 2 * (p % 16) + h;
        float v = 0.0f;
        if (t < rows && k < K) {
          v = __ldg(x + t * K + k);
          if constexpr (kNorm)
            v = v * rowFactor[tt] * __ldg(gamma + k);
        }
        xr[i][h] = v;
      }
    }
    R1CK_UNROLL
    for (int g = 0; g < kWTiles; ++g)
      R1CK_UNROLL
      for (int i = 0; i < kWPairs; ++i) {
        const int p = tid + kGemmThreads * i, c = p / 16;
        const int64_t k = k0 + 2 * (p % 16), n = rowBase[g] + c;
        uint32_t pair = 0;
        if constexpr (isIntW(WT)) { // K is whole groups: k + 1 < K when k < K
          if (c < validCols && k < K)
            pair = codePairBf16<WT>(w, n * K + k);
        } else if (c < validCols) {
          if (k < K)
            pair = weightBf16<WT>(w, n * K + k);
          if (k + 1 < K)
            pair |= weightBf16<WT>(w, n * K + k + 1) << 16;
        }
        wr[g][i] = pair;
      }
  };

  float blk[kWTiles][2][4]; // FP8, integers: the current block's / group's sums
  R1CK_UNROLL
  for (int g = 0; g < kWTiles; ++g)
    R1CK_UNROLL
    for (int j = 0; j < 2; ++j)
      R1CK_UNROLL
      for (int e = 0; e < 4; ++e)
        acc[g][j][e] = 0.0f, blk[g][j][e] = 0.0f;

  fetch(0);
  for (int64_t stage = 0; stage < kStages; ++stage) {
    // Registers -> fragment order. x pair (token tt, k 2kp, 2kp+1) is half
    // of a[reg] of lane (tt%8)*4 + kp%4 in m16 tile tt/16, k step kp/8.
    R1CK_UNROLL
    for (int i = 0; i < kXPairs; ++i) {
      const int p = tid + kGemmThreads * i, tt = p / 16, kp = p % 16, kq = kp % 8;
      const int fl = (tt % 8) * 4 + kq % 4, reg = (tt % 16) / 8 + 2 * (kq / 4);
      uint32_t lo[kTerms], hi[kTerms];
      splitBf16(xr[i][0], lo);
      splitBf16(xr[i][1], hi);
      R1CK_UNROLL
      for (int s = 0; s < kTerms; ++s)
        as[s][tt / 16][kp / 8][fl][reg] = lo[s] | (hi[s] << 16);
    }
    // W pair (column c, k 2kp, 2kp+1) is b[kq/4] of lane (c%8)*4 + kq%4 in
    // n8 tile c/8, k step kp/8.
    R1CK_UNROLL
    for (int g = 0; g < kWTiles; ++g)
      R1CK_UNROLL
      for (int i = 0; i < kWPairs; ++i) {
        const int p = tid + kGemmThreads * i, c = p / 16, kp = p % 16, kq = kp % 8;
        bs[g][c / 8][kp / 8][(c % 8) * 4 + kq % 4][kq / 4] = wr[g][i];
      }
    __syncthreads();
    if (stage + 1 < kStages) // in flight while this stage is multiplied
      fetch((stage + 1) * kStageK);

    R1CK_UNROLL
    for (int ks = 0; ks < kKSteps; ++ks) {
      uint32_t af[kTerms][4];
      R1CK_UNROLL
      for (int s = 0; s < kTerms; ++s)
        lds128(as[s][wm][ks][lane], af[s]);
      R1CK_UNROLL
      for (int g = 0; g < kWTiles; ++g)
        R1CK_UNROLL
        for (int j = 0; j < 2; ++j) {
          uint32_t bf[2];
          lds64(bs[g][2 * wn + j][ks][lane], bf);
          // Smallest term first: the large products land on the small sums.
          R1CK_UNROLL
          for (int s = kTerms - 1; s >= 0; --s) {
            if constexpr (kScaled)
              mmaM16N8K16Bf16(blk[g][j], af[s], bf);
            else
              mmaM16N8K16Bf16(acc[g][j], af[s], bf);
          }
        }
    }

    if constexpr (kScaled) {
      // The end of a scale block / group: acc += scale[n][kb] * blockAcc.
      if ((stage + 1) % kStagesPerBlock == 0 || stage + 1 == kStages) {
        const int64_t kFirst = stage / kStagesPerBlock * wGroup(WT); // the block's first column
        R1CK_UNROLL
        for (int g = 0; g < kWTiles; ++g)
          R1CK_UNROLL
          for (int j = 0; j < 2; ++j)
            R1CK_UNROLL
            for (int h = 0; h < 2; ++h) {
              const int c = 16 * wn + 8 * j + 2 * q + h;
              const float scale =
                  c < validCols ? loadScale<WT, K>(scales, rowBase[g] + c, kFirst) : 0.0f;
              R1CK_UNROLL
              for (int r = 0; r < 2; ++r) {
                acc[g][j][2 * r + h] = fmaf(scale, blk[g][j][2 * r + h], acc[g][j][2 * r + h]);
                blk[g][j][2 * r + h] = 0.0f;
              }
            }
      }
    } else {
      (void)scales;
    }
    __syncthreads(); // the next stage overwrites the tiles
  }
}

} // namespace linear_tc_detail

/// linearGemm (Linear.cuh) on tensor cores: the same computation, parameters
/// and launch (grid (ceil((N0+N1+N2) / 64), ceil(rows / 32)), block 256, no
/// dynamic shared memory; static: 10.1 KiB), for WT = BF16, F8E4M3 or an
/// integer type.
template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t N0, int64_t N1, int64_t N2,
          int kThreads>
R1_DEVICE inline void linearGemmTc(const float *x, int64_t rows, const void *w,
                                   const float *bias, const float *gamma, float eps,
                                   const void *scales, float *out0, float *out1, float *out2) {
  using namespace linear_tc_detail;
  static_assert(kThreads == kGemmThreads, "linearGemmTc runs 256 threads per block");
  static_assert(N0 > 0 && N1 >= 0 && N2 >= 0 && (N1 > 0 || N2 == 0),
                "segments are non-empty, an empty one only at the end");
  constexpr int64_t N = N0 + N1 + N2;
  const int64_t n0 = int64_t(blockIdx.x) * kTileN;
  const int64_t rowBase[1] = {n0};
  float acc[1][2][4];
  tcTile<K, WT, kNorm, 1>(x, rows, w, gamma, eps, scales, rowBase,
                          N - n0 < kTileN ? N - n0 : kTileN, acc);
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  R1CK_UNROLL
  for (int e = 0; e < 4; ++e) {
    const int64_t t = int64_t(blockIdx.y) * kTileT + 16 * (warp % 2) + lane / 4 + 8 * (e / 2);
    if (t >= rows)
      continue;
    R1CK_UNROLL
    for (int j = 0; j < 2; ++j) {
      const int64_t n = n0 + 16 * (warp / 2) + 8 * j + 2 * (lane % 4) + e % 2;
      if (n >= N)
        continue;
      linear_detail::storeSegmented<kBias, N0, N1, N2>(t, n, acc[0][j][e], bias, out0, out1,
                                                       out2);
    }
  }
}

/// gatedGemm (Linear.cuh) on tensor cores: the same computation, parameters
/// and launch (grid (ceil(I / 64), ceil(rows / 32)), block 256, no dynamic
/// shared memory; static: 14.1 KiB), for WT = BF16, F8E4M3 or an integer
/// type.
template <int64_t K, int64_t I, WType WT, bool kNorm, int kThreads>
R1_DEVICE inline void gatedGemmTc(const float *x, int64_t rows, const void *w,
                                  const float *gamma, float eps, const void *scales,
                                  float *out) {
  using namespace linear_tc_detail;
  static_assert(kThreads == kGemmThreads, "gatedGemmTc runs 256 threads per block");
  const int64_t i0 = int64_t(blockIdx.x) * kTileN;
  const int64_t rowBase[2] = {i0, I + i0};
  float acc[2][2][4];
  tcTile<K, WT, kNorm, 2>(x, rows, w, gamma, eps, scales, rowBase,
                          I - i0 < kTileN ? I - i0 : kTileN, acc);
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  R1CK_UNROLL
  for (int e = 0; e < 4; ++e) {
    const int64_t t = int64_t(blockIdx.y) * kTileT + 16 * (warp % 2) + lane / 4 + 8 * (e / 2);
    if (t >= rows)
      continue;
    R1CK_UNROLL
    for (int j = 0; j < 2; ++j) {
      const int64_t n = i0 + 16 * (warp / 2) + 8 * j + 2 * (lane % 4) + e % 2;
      if (n < I)
        out[t * I + n] = linear_detail::silu(acc[0][j][e]) * acc[1][j][e];
    }
  }
}

} // namespace r1ck

#endif // R1CK_LINEAR_TC_CUH
