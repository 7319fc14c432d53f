//===- Linear.cuh - CUDA kernels: linear (fused segments, bias, norm), SwiGLU -===//
//
// Device bodies mirroring r1hk::linear and r1hk::gatedLinear
// (codegen/host/kernels/Linear.h), whose results they match within fp32
// rounding (the summation order differs):
//
//   linear:      y_s[t] = xn[t] . W_s^T (+ b_s) for the row segments s of one
//                weight matrix (fused q_a/kv_a, Q/K/V), out_s [rows, N_s];
//   gatedLinear: out[t] = silu(xn[t] . Wg^T) * (xn[t] . Wu^T), W = [Wg; Wu];
//
// where xn = x * rsqrt(mean(x^2) + eps) * gamma when kNorm, else x. Weights
// are row-major [N, K] in their storage type (WeightTypes.cuh); FP8 rows carry
// one f32 scale per 128 columns, scales[n * ceil(K/128) + k/128], integer
// rows (I8G*, I4G*) one f16 scale per group of G columns, scales[n * (K/G) +
// k/G] (K a multiple of G); `scales` is a const void * for both. bias is f32
// over all segments' rows, in order.
//
// Two shapes of each, chosen by the code generator:
//   *Gemv (decode, few token rows): a warp per weight row (per gated output),
//     reading the row once for up to two token rows at a time; 16-byte
//     weight loads where the arrays are aligned (int4: 32 codes, decoded a
//     32-bit word of 8 at a time, the group scale applied once per 16
//     bytes). The norm factor of each token row is reduced by the whole
//     block, so that no block stages a row (R1's 18432-wide rows would not
//     fit in shared memory).
//   *Gemm (prefill): a block computes a 32-token x 64-output tile from
//     shared-memory tiles of x and W, 32 columns of K at a time, each thread a
//     2 x 4 register tile, fp32 FMA on CUDA cores. The next K tile is fetched
//     into registers while the current one is multiplied.
//
//===----------------------------------------------------------------------===//
#ifndef R1CK_LINEAR_CUH
#define R1CK_LINEAR_CUH

#include "R1Cuda.h"
#include "WeightTypes.cuh"

#include <stdint.h>
#if !defined(__CUDACC__)
#include <cstring>
#endif

// Fixed-trip loops over register arrays must be unrolled, or the arrays
// become a stack frame.
#if defined(__CUDACC__) || defined(__clang__)
#define R1CK_UNROLL _Pragma("unroll")
#define R1CK_NO_UNROLL _Pragma("unroll 1")
#else
#define R1CK_UNROLL
#define R1CK_NO_UNROLL
#endif

namespace r1ck {
namespace linear_detail {

/// Writes output column n of token row t, y (+ bias[n]), to the segment the
/// column falls in: columns [0, N0) to out0 [rows, N0], the next N1 to out1,
/// the next N2 to out2. The epilogue of every linear kernel.
template <bool kBias, int64_t N0, int64_t N1, int64_t N2>
R1_DEVICE inline void storeSegmented(int64_t t, int64_t n, float y, const float *bias,
                                     float *out0, float *out1, float *out2) {
  if constexpr (kBias)
    y += __ldg(bias + n);
  if (n < N0)
    out0[t * N0 + n] = y;
  else if constexpr (N1 > 0) {
    if (n < N0 + N1)
      out1[t * N1 + (n - N0)] = y;
    else if constexpr (N2 > 0)
      out2[t * N2 + (n - N0 - N1)] = y;
  }
}

R1_HOST_DEVICE constexpr int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Elements of WT in one 16-byte load: 4 f32, 8 bf16/f16, 16 e4m3/int8, 32
/// int4.
template <WType WT>
constexpr int kPack = 128 / wBits(WT);

// 16 bytes loaded at once through the read-only path. CUDA's uint4 has no
// host twin in the emulator, so the host gets a struct of the same layout.
#if defined(__CUDACC__)
using Bytes16 = uint4;
R1_DEVICE inline Bytes16 load16(const void *p) { return __ldg(static_cast<const uint4 *>(p)); }
#else
struct alignas(16) Bytes16 {
  unsigned int x, y, z, w;
};
inline Bytes16 load16(const void *p) {
  Bytes16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
#endif

R1_DEVICE inline bool aligned16(const void *p) {
  return (reinterpret_cast<uintptr_t>(p) & 15u) == 0;
}

/// v[0..3] = four consecutive floats at p (16-byte aligned).
R1_DEVICE inline void load4(const float *p, float *v) {
  const Bytes16 q = load16(p);
  v[0] = __uint_as_float(q.x), v[1] = __uint_as_float(q.y);
  v[2] = __uint_as_float(q.z), v[3] = __uint_as_float(q.w);
}

/// w[i] = the P weights of WT at element `index` (FP8 without its scale).
/// P == kPack<WT>: one 16-byte load (index a multiple of P, array aligned);
/// P == 1: one element.
template <WType WT, int P>
R1_DEVICE inline void loadWeights(const void *base, int64_t index, float (&w)[P]) {
  if constexpr (P == 1) {
    w[0] = loadWeight<WT>(base, index);
  } else {
    static_assert(P == kPack<WT>, "a pack is one 16-byte load");
    static_assert(!isIntW(WT), "integer packs are decoded a word at a time (laneDotsCodes)");
    const Bytes16 q =
        load16(static_cast<const unsigned char *>(base) + index * (wBits(WT) / 8));
    const uint32_t u[4] = {q.x, q.y, q.z, q.w};
    R1CK_UNROLL
    for (int i = 0; i < 4; ++i) {
      if constexpr (WT == WType::F32) {
        w[i] = __uint_as_float(u[i]);
      } else if constexpr (WT == WType::BF16) {
        w[2 * i] = __uint_as_float(u[i] << 16);
        w[2 * i + 1] = __uint_as_float(u[i] & 0xffff0000u);
      } else if constexpr (WT == WType::F16) {
        w[2 * i] = f16BitsToF32(u[i] & 0xffffu);
        w[2 * i + 1] = f16BitsToF32(u[i] >> 16);
      } else {
        R1CK_UNROLL
        for (int b = 0; b < 4; ++b)
          w[4 * i + b] = f8e4m3BitsToF32((u[i] >> (8 * b)) & 0xffu);
      }
    }
  }
}

/// x[i] = P consecutive activations at p: 16-byte loads for P >= 4.
template <int P>
R1_DEVICE inline void loadActivations(const float *p, float (&x)[P]) {
  if constexpr (P == 1) {
    x[0] = __ldg(p);
  } else {
    R1CK_UNROLL
    for (int i = 0; i < P; i += 4)
      load4(p + i, x + i);
  }
}

R1_DEVICE inline float silu(float z) { return z / (1.0f + __expf(-z)); }

/// Every thread of the block gets rsqrt(mean(x[u]^2) + eps) for the kT token
/// rows x + u*K. Two barriers; every thread of the block must call it.
template <int64_t K, int kThreads, int kT>
R1_DEVICE inline void blockRmsFactors(const float *x, float eps, float (&factor)[kT]) {
  constexpr int kWarps = kThreads / 32;
  R1_SHARED float partial[kWarps][4];
  float ss[kT];
  R1CK_UNROLL
  for (int u = 0; u < kT; ++u)
    ss[u] = 0.0f;
  for (int64_t k = threadIdx.x; k < K; k += kThreads) {
    R1CK_UNROLL
    for (int u = 0; u < kT; ++u) {
      const float v = __ldg(x + u * K + k);
      ss[u] = fmaf(v, v, ss[u]);
    }
  }
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  R1CK_UNROLL
  for (int u = 0; u < kT; ++u) {
    for (int m = 16; m > 0; m /= 2)
      ss[u] += __shfl_xor_sync(0xffffffffu, ss[u], m);
    if (lane == 0)
      partial[warp][u] = ss[u];
  }
  __syncthreads();
  R1CK_UNROLL
  for (int u = 0; u < kT; ++u) {
    float total = 0.0f;
    for (int w = 0; w < kWarps; ++w)
      total += partial[w][u];
    factor[u] = rsqrtf(total / float(K) + eps);
  }
  __syncthreads(); // the next call overwrites `partial`
}

/// laneDots for integer weights in 16-byte packs (K % kPack == 0, w, x and
/// gamma 16-byte aligned): per step a lane loads the pack of each row, 32
/// int4 or 16 int8 codes, as four 32-bit words, and its group scale (a pack
/// lies inside one group, G >= 32); each word's 8 (4) codes are decoded
/// (WeightTypes.cuh's decodeCodeWord) and multiplied with the matching
/// activations into a per-pack partial sum, which gets the scale once.
template <int64_t K, WType WT, bool kNorm, int R, int kT>
R1_DEVICE inline void laneDotsCodes(const float *x, const void *w, const int64_t (&row)[R],
                                    const float *gamma, const void *scales,
                                    float (&acc)[R][kT]) {
  constexpr int P = kPack<WT>, kW = kCodesPerWord<WT>;
  constexpr int64_t kRowBytes = rowBytes(WT, K);
  static_assert(wGroup(WT) % P == 0 && K % P == 0, "packs tile the groups");
  const unsigned char *base = static_cast<const unsigned char *>(w);
  const int lane = int(threadIdx.x) % 32;
  R1CK_NO_UNROLL
  for (int64_t k = int64_t(lane) * P; k < K; k += 32 * P) {
    uint32_t words[R][4];
    float scale[R];
    R1CK_UNROLL
    for (int r = 0; r < R; ++r) {
      const Bytes16 q = load16(base + row[r] * kRowBytes + k * wBits(WT) / 8);
      words[r][0] = q.x, words[r][1] = q.y, words[r][2] = q.z, words[r][3] = q.w;
      scale[r] = loadScale<WT, K>(scales, row[r], k);
    }
    float part[R][kT];
    R1CK_UNROLL
    for (int r = 0; r < R; ++r)
      R1CK_UNROLL
      for (int u = 0; u < kT; ++u)
        part[r][u] = 0.0f;
    R1CK_UNROLL
    for (int i = 0; i < 4; ++i) {
      float wv[R][kW];
      R1CK_UNROLL
      for (int r = 0; r < R; ++r)
        decodeCodeWord<WT>(words[r][i], wv[r]);
      float g[kW];
      if constexpr (kNorm)
        loadActivations<kW>(gamma + k + kW * i, g);
      R1CK_UNROLL
      for (int u = 0; u < kT; ++u) {
        float xv[kW];
        loadActivations<kW>(x + u * K + k + kW * i, xv);
        R1CK_UNROLL
        for (int e = 0; e < kW; ++e) {
          if constexpr (kNorm)
            xv[e] *= g[e];
          R1CK_UNROLL
          for (int r = 0; r < R; ++r)
            part[r][u] = fmaf(xv[e], wv[r][e], part[r][u]);
        }
      }
    }
    R1CK_UNROLL
    for (int r = 0; r < R; ++r)
      R1CK_UNROLL
      for (int u = 0; u < kT; ++u)
        acc[r][u] = fmaf(part[r][u], scale[r], acc[r][u]);
  }
}

/// acc[r][u] += this lane's share of (x[u] (* gamma)) . W[row[r]] for R weight
/// rows and kT token rows (x + u*K), P elements of K per step (P == 1, or a
/// 16-byte pack: then K % P == 0 and w, x, gamma are 16-byte aligned). FP8
/// block scales and integer group scales are applied per step: a pack never
/// straddles a 128-block or a group. Integer packs take laneDotsCodes.
template <int64_t K, WType WT, bool kNorm, int P, int R, int kT>
R1_DEVICE inline void laneDots(const float *x, const void *w, const int64_t (&row)[R],
                               const float *gamma, const void *scales,
                               float (&acc)[R][kT]) {
  constexpr bool kScaled = hasScales(WT);
  static_assert(P == 1 || K % P == 0, "packs tile the row");
  const int lane = int(threadIdx.x) % 32;
  // Not unrolled: unrolling (for more loads in flight) made ptxas spill at
  // the register budgets it picks for these kernels.
  R1CK_NO_UNROLL
  for (int64_t k = int64_t(lane) * P; k < K; k += 32 * P) {
    float wv[R][P], scale[R];
    R1CK_UNROLL
    for (int r = 0; r < R; ++r) {
      loadWeights<WT, P>(w, row[r] * K + k, wv[r]);
      scale[r] = loadScale<WT, K>(scales, row[r], k);
    }
    float g[P];
    if constexpr (kNorm)
      loadActivations<P>(gamma + k, g);
    R1CK_UNROLL
    for (int u = 0; u < kT; ++u) {
      float xv[P];
      loadActivations<P>(x + u * K + k, xv);
      if constexpr (kNorm) {
        R1CK_UNROLL
        for (int i = 0; i < P; ++i)
          xv[i] *= g[i];
      }
      R1CK_UNROLL
      for (int r = 0; r < R; ++r) {
        if constexpr (kScaled) {
          float s = 0.0f;
          R1CK_UNROLL
          for (int i = 0; i < P; ++i)
            s = fmaf(xv[i], wv[r][i], s);
          acc[r][u] = fmaf(s, scale[r], acc[r][u]);
        } else {
          R1CK_UNROLL
          for (int i = 0; i < P; ++i)
            acc[r][u] = fmaf(xv[i], wv[r][i], acc[r][u]);
        }
      }
    }
  }
}

/// The warp's full dots of R weight rows with kT token rows (x + u*K),
/// returned to every lane of the warp. `vectorized` picks 16-byte loads; the
/// caller checks that they are aligned.
template <int64_t K, WType WT, bool kNorm, int R, int kT>
R1_DEVICE inline void warpDots(bool vectorized, const float *x, const void *w,
                               const int64_t (&row)[R], const float *gamma, const void *scales,
                               float (&acc)[R][kT]) {
  R1CK_UNROLL
  for (int r = 0; r < R; ++r) {
    R1CK_UNROLL
    for (int u = 0; u < kT; ++u)
      acc[r][u] = 0.0f;
  }
  if constexpr (K % kPack<WT> == 0) {
    if (!vectorized)
      laneDots<K, WT, kNorm, 1, R, kT>(x, w, row, gamma, scales, acc);
    else if constexpr (isIntW(WT))
      laneDotsCodes<K, WT, kNorm, R, kT>(x, w, row, gamma, scales, acc);
    else
      laneDots<K, WT, kNorm, kPack<WT>, R, kT>(x, w, row, gamma, scales, acc);
  } else {
    (void)vectorized;
    laneDots<K, WT, kNorm, 1, R, kT>(x, w, row, gamma, scales, acc);
  }
  R1CK_UNROLL
  for (int r = 0; r < R; ++r) {
    R1CK_UNROLL
    for (int u = 0; u < kT; ++u) {
      for (int m = 16; m > 0; m /= 2)
        acc[r][u] += __shfl_xor_sync(0xffffffffu, acc[r][u], m);
    }
  }
}

/// Whether a GEMV can use 16-byte loads: packs tile K (so every row starts
/// aligned when the array does) and the arrays are aligned.
template <int64_t K, WType WT, bool kNorm>
R1_DEVICE inline bool gemvVectorized(const float *x, const void *w, const float *gamma) {
  return K % kPack<WT> == 0 && aligned16(x) && aligned16(w) && (!kNorm || aligned16(gamma));
}

/// kT token rows starting at t0 of linearGemv.
template <int kT, int64_t K, WType WT, bool kBias, bool kNorm, int64_t N0, int64_t N1, int64_t N2,
          int kThreads>
R1_DEVICE inline void linearGemvRows(bool vectorized, int64_t t0, const float *x, const void *w,
                                     const float *bias, const float *gamma, float eps,
                                     const void *scales, float *out0, float *out1, float *out2) {
  constexpr int64_t N = N0 + N1 + N2;
  const float *xt = x + t0 * K;
  float factor[kT];
  if constexpr (kNorm)
    blockRmsFactors<K, kThreads, kT>(xt, eps, factor);
  // Grid-stride over weight rows: the grid may be smaller than N / warps
  // (the generator caps it), each warp then takes several rows.
  const int64_t stride = int64_t(gridDim.x) * (kThreads / 32);
  for (int64_t j = int64_t(blockIdx.x) * (kThreads / 32) + int64_t(threadIdx.x) / 32; j < N;
       j += stride) {
    const int64_t row[1] = {j};
    float acc[1][kT];
    warpDots<K, WT, kNorm, 1, kT>(vectorized, xt, w, row, gamma, scales, acc);
    if (threadIdx.x % 32 != 0)
      continue;
    R1CK_UNROLL
    for (int u = 0; u < kT; ++u) {
      float y = acc[0][u];
      if constexpr (kNorm)
        y *= factor[u];
      storeSegmented<kBias, N0, N1, N2>(t0 + u, j, y, bias, out0, out1, out2);
    }
  }
}

/// kT token rows starting at t0 of gatedGemv.
template <int kT, int64_t K, int64_t I, WType WT, bool kNorm, int kThreads>
R1_DEVICE inline void gatedGemvRows(bool vectorized, int64_t t0, const float *x, const void *w,
                                    const float *gamma, float eps, const void *scales,
                                    float *out) {
  const float *xt = x + t0 * K;
  float factor[kT];
  if constexpr (kNorm)
    blockRmsFactors<K, kThreads, kT>(xt, eps, factor);
  const int64_t stride = int64_t(gridDim.x) * (kThreads / 32); // grid-stride, as above
  for (int64_t i = int64_t(blockIdx.x) * (kThreads / 32) + int64_t(threadIdx.x) / 32; i < I;
       i += stride) {
    const int64_t row[2] = {i, I + i}; // gate row, up row
    float acc[2][kT];
    warpDots<K, WT, kNorm, 2, kT>(vectorized, xt, w, row, gamma, scales, acc);
    if (threadIdx.x % 32 != 0)
      continue;
    R1CK_UNROLL
    for (int u = 0; u < kT; ++u) {
      float gate = acc[0][u], up = acc[1][u];
      if constexpr (kNorm)
        gate *= factor[u], up *= factor[u];
      out[(t0 + u) * I + i] = silu(gate) * up;
    }
  }
}

// The GEMM tile: 32 tokens x 64 weight rows per weight tile, K in steps of 32.
constexpr int kTileT = 32, kTileN = 64, kTileK = 32, kGemmThreads = 256;

/// The RMSNorm factor rsqrt(mean(x[t]^2) + eps) of each of the kTileT token
/// rows of a GEMM tile starting at row t0 (0 past `rows`) into rowFactor,
/// then a block barrier. Warp w reduces tokens 4w..4w+3 of the tile.
template <int64_t K>
R1_DEVICE inline void tileRowFactors(const float *x, int64_t rows, int64_t t0, float eps,
                                     float *rowFactor) {
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  constexpr int kPerWarp = kTileT / (kGemmThreads / 32);
  for (int q = 0; q < kPerWarp; ++q) {
    const int tt = warp * kPerWarp + q;
    float ss = 0.0f;
    if (t0 + tt < rows)
      for (int64_t k = lane; k < K; k += 32) {
        const float v = __ldg(x + (t0 + tt) * K + k);
        ss = fmaf(v, v, ss);
      }
    for (int m = 16; m > 0; m /= 2)
      ss += __shfl_xor_sync(0xffffffffu, ss, m);
    if (lane == 0)
      rowFactor[tt] = rsqrtf(ss / float(K) + eps);
  }
  __syncthreads();
}

/// A block's share of a GEMM: acc[g][i][j] = xn[t] . W[rowBase[g] + c] for
/// token t = blockIdx.y*32 + ty + 16i and column c = tx + 16j (tx = tid%16,
/// ty = tid/16), for kWTiles weight tiles of 64 rows; columns c >= validCols
/// and tokens t >= rows read zeros. xn includes the norm (applied as x is
/// staged, in the host's order (x * factor) * gamma).
template <int64_t K, WType WT, bool kNorm, int kWTiles>
R1_DEVICE inline void gemmTile(const float *x, int64_t rows, const void *w, const float *gamma,
                               float eps, const void *scales, const int64_t (&rowBase)[kWTiles],
                               int64_t validCols, float (&acc)[kWTiles][2][4]) {
  constexpr int64_t kSteps = ceilDiv(K, kTileK);
  constexpr int kXLoads = kTileT * kTileK / kGemmThreads;  // 4
  constexpr int kWLoads = kTileN * kTileK / kGemmThreads;  // 8 per weight tile
  static_assert(!hasScales(WT) || wGroup(WT) % kTileK == 0,
                "a K tile lies inside one FP8 scale block or integer group");
  // Transposed (k-major) so that the 16 columns / 16 tokens a warp reads in
  // the inner loop fall in distinct banks; +1 keeps the transposing stores
  // conflict-free too.
  R1_SHARED float xs[kTileK][kTileT + 1];
  R1_SHARED float ws[kWTiles][kTileK][kTileN + 1];
  R1_SHARED float rowFactor[kTileT];

  const int tid = int(threadIdx.x), tx = tid % 16, ty = tid / 16;
  const int64_t t0 = int64_t(blockIdx.y) * kTileT;

  if constexpr (kNorm)
    tileRowFactors<K>(x, rows, t0, eps, rowFactor);
  else
    (void)gamma, (void)eps;

  // Element e = tid + 256q of a tile: token/column e / 32, k e % 32, so a
  // warp reads 32 consecutive k of one row.
  float xr[kXLoads], wr[kWTiles][kWLoads];
  auto fetch = [&](int64_t k0) {
    R1CK_UNROLL
    for (int q = 0; q < kXLoads; ++q) {
      const int e = tid + kGemmThreads * q, tt = e / kTileK;
      const int64_t k = k0 + e % kTileK, t = t0 + tt;
      float v = 0.0f;
      if (t < rows && k < K) {
        v = __ldg(x + t * K + k);
        if constexpr (kNorm)
          v = v * rowFactor[tt] * __ldg(gamma + k);
      }
      xr[q] = v;
    }
    R1CK_UNROLL
    for (int g = 0; g < kWTiles; ++g) {
      R1CK_UNROLL
      for (int q = 0; q < kWLoads; ++q) {
        const int e = tid + kGemmThreads * q, c = e / kTileK;
        const int64_t k = k0 + e % kTileK, n = rowBase[g] + c;
        float v = 0.0f;
        if (c < validCols && k < K) {
          v = loadWeight<WT>(w, n * K + k);
          if constexpr (hasScales(WT)) // integer types: q * scale, exact in fp32
            v *= loadScale<WT, K>(scales, n, k0);
        }
        wr[g][q] = v;
      }
    }
  };

  R1CK_UNROLL
  for (int g = 0; g < kWTiles; ++g)
    R1CK_UNROLL
    for (int i = 0; i < 2; ++i)
      R1CK_UNROLL
      for (int j = 0; j < 4; ++j)
        acc[g][i][j] = 0.0f;

  fetch(0);
  for (int64_t step = 0; step < kSteps; ++step) {
    R1CK_UNROLL
    for (int q = 0; q < kXLoads; ++q) {
      const int e = tid + kGemmThreads * q;
      xs[e % kTileK][e / kTileK] = xr[q];
    }
    R1CK_UNROLL
    for (int g = 0; g < kWTiles; ++g)
      R1CK_UNROLL
      for (int q = 0; q < kWLoads; ++q) {
        const int e = tid + kGemmThreads * q;
        ws[g][e % kTileK][e / kTileK] = wr[g][q];
      }
    __syncthreads();
    if (step + 1 < kSteps) // in flight while this tile is multiplied
      fetch((step + 1) * kTileK);
    R1CK_UNROLL
    for (int kk = 0; kk < kTileK; ++kk) {
      const float a0 = xs[kk][ty], a1 = xs[kk][ty + 16];
      R1CK_UNROLL
      for (int g = 0; g < kWTiles; ++g)
        R1CK_UNROLL
        for (int j = 0; j < 4; ++j) {
          const float b = ws[g][kk][tx + 16 * j];
          acc[g][0][j] = fmaf(a0, b, acc[g][0][j]);
          acc[g][1][j] = fmaf(a1, b, acc[g][1][j]);
        }
    }
    __syncthreads(); // the next step overwrites the tiles
  }
}

} // namespace linear_detail

/// Decode-shaped linear: out_s[t, :] = xn[t] . W_s^T (+ b_s) for token rows
/// t < rows. Weight rows 0..N0-1 go to out0 [rows, N0], the next N1 to out1,
/// the next N2 to out2 (N1, N2 may be 0: their pointers are then nullptr).
/// Launch: grid (at most ceil((N0+N1+N2) / (kThreads/32)); any smaller grid
/// works, warps stride over the rows), block kThreads, no
/// dynamic shared memory; warp w of block b computes weight row b*kThreads/32
/// + w for every token row, four at a time.
template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t N0, int64_t N1, int64_t N2,
          int kThreads>
R1_DEVICE inline void linearGemv(const float *x, int64_t rows, const void *w, const float *bias,
                                 const float *gamma, float eps, const void *scales, float *out0,
                                 float *out1, float *out2) {
  static_assert(kThreads % 32 == 0 && kThreads <= 1024, "whole warps, at most 1024 threads");
  static_assert(N0 > 0 && N1 >= 0 && N2 >= 0 && (N1 > 0 || N2 == 0),
                "segments are non-empty, an empty one only at the end");
  static_assert(kWholeGroups<WT, K>, "integer weights: K is a multiple of the group");
  using namespace linear_detail;
  const bool vectorized = gemvVectorized<K, WT, kNorm>(x, w, gamma);
  for (int64_t t0 = 0; t0 < rows; t0 += 2) {
    // The block takes the same branch: rows is uniform. Two rows per pass at
    // most: decode has one, and a third or fourth made ptxas spill (8 bytes
    // on sm_80 for K = 128).
    switch (rows - t0 < 2 ? int(rows - t0) : 2) {
    case 2:
      linearGemvRows<2, K, WT, kBias, kNorm, N0, N1, N2, kThreads>(
          vectorized, t0, x, w, bias, gamma, eps, scales, out0, out1, out2);
      break;
    default:
      linearGemvRows<1, K, WT, kBias, kNorm, N0, N1, N2, kThreads>(
          vectorized, t0, x, w, bias, gamma, eps, scales, out0, out1, out2);
      break;
    }
  }
}

/// Prefill-shaped linear, the same computation and parameters as linearGemv.
/// Launch: grid (ceil((N0+N1+N2) / 64), ceil(rows / 32)), block 256
/// (kThreads must be 256), no dynamic shared memory (static: 12.6 KB). A tile
/// may straddle segments: each column goes to its own.
template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t N0, int64_t N1, int64_t N2,
          int kThreads>
R1_DEVICE inline void linearGemm(const float *x, int64_t rows, const void *w, const float *bias,
                                 const float *gamma, float eps, const void *scales, float *out0,
                                 float *out1, float *out2) {
  using namespace linear_detail;
  static_assert(kThreads == kGemmThreads, "linearGemm runs 256 threads per block");
  static_assert(kWholeGroups<WT, K>, "integer weights: K is a multiple of the group");
  static_assert(N0 > 0 && N1 >= 0 && N2 >= 0 && (N1 > 0 || N2 == 0),
                "segments are non-empty, an empty one only at the end");
  constexpr int64_t N = N0 + N1 + N2;
  const int64_t n0 = int64_t(blockIdx.x) * kTileN;
  const int64_t rowBase[1] = {n0};
  float acc[1][2][4];
  gemmTile<K, WT, kNorm, 1>(x, rows, w, gamma, eps, scales, rowBase,
                            N - n0 < kTileN ? N - n0 : kTileN, acc);
  const int tx = int(threadIdx.x) % 16, ty = int(threadIdx.x) / 16;
  R1CK_UNROLL
  for (int i = 0; i < 2; ++i) {
    const int64_t t = int64_t(blockIdx.y) * kTileT + ty + 16 * i;
    if (t >= rows)
      continue;
    R1CK_UNROLL
    for (int j = 0; j < 4; ++j) {
      const int64_t n = n0 + tx + 16 * j;
      if (n >= N)
        continue;
      storeSegmented<kBias, N0, N1, N2>(t, n, acc[0][i][j], bias, out0, out1, out2);
    }
  }
}

/// Decode-shaped SwiGLU: out[t, i] = silu(xn[t] . Wg_i) * (xn[t] . Wu_i),
/// w = [Wg; Wu] ([2I, K]; FP8 scales [2I, ceil(K/128)], gate rows first).
/// Launch: grid (at most ceil(I / (kThreads/32)); smaller works, as for
/// linearGemv), block kThreads, no dynamic shared
/// memory; a warp per output i computes both dots for every token row.
template <int64_t K, int64_t I, WType WT, bool kNorm, int kThreads>
R1_DEVICE inline void gatedGemv(const float *x, int64_t rows, const void *w, const float *gamma,
                                float eps, const void *scales, float *out) {
  static_assert(kThreads % 32 == 0 && kThreads <= 1024, "whole warps, at most 1024 threads");
  static_assert(kWholeGroups<WT, K>, "integer weights: K is a multiple of the group");
  using namespace linear_detail;
  const bool vectorized = gemvVectorized<K, WT, kNorm>(x, w, gamma);
  for (int64_t t0 = 0; t0 < rows; t0 += 2) {
    switch (rows - t0 < 2 ? int(rows - t0) : 2) {
    case 2:
      gatedGemvRows<2, K, I, WT, kNorm, kThreads>(vectorized, t0, x, w, gamma, eps, scales, out);
      break;
    default:
      gatedGemvRows<1, K, I, WT, kNorm, kThreads>(vectorized, t0, x, w, gamma, eps, scales, out);
      break;
    }
  }
}

/// Prefill-shaped SwiGLU, the same computation and parameters as gatedGemv.
/// Launch: grid (ceil(I / 64), ceil(rows / 32)), block 256 (kThreads must be
/// 256), no dynamic shared memory (static: 20.9 KB): the block multiplies 64
/// gate rows and the 64 matching up rows.
template <int64_t K, int64_t I, WType WT, bool kNorm, int kThreads>
R1_DEVICE inline void gatedGemm(const float *x, int64_t rows, const void *w, const float *gamma,
                                float eps, const void *scales, float *out) {
  using namespace linear_detail;
  static_assert(kThreads == kGemmThreads, "gatedGemm runs 256 threads per block");
  static_assert(kWholeGroups<WT, K>, "integer weights: K is a multiple of the group");
  const int64_t i0 = int64_t(blockIdx.x) * kTileN;
  const int64_t rowBase[2] = {i0, I + i0};
  float acc[2][2][4];
  gemmTile<K, WT, kNorm, 2>(x, rows, w, gamma, eps, scales, rowBase,
                            I - i0 < kTileN ? I - i0 : kTileN, acc);
  const int tx = int(threadIdx.x) % 16, ty = int(threadIdx.x) / 16;
  R1CK_UNROLL
  for (int i = 0; i < 2; ++i) {
    const int64_t t = int64_t(blockIdx.y) * kTileT + ty + 16 * i;
    if (t >= rows)
      continue;
    R1CK_UNROLL
    for (int j = 0; j < 4; ++j) {
      const int64_t n = i0 + tx + 16 * j;
      if (n < I)
        out[t * I + n] = silu(acc[0][i][j]) * acc[1][i][j];
    }
  }
}

} // namespace r1ck

#endif // R1CK_LINEAR_CUH
