//===- GemmAmx.h - Host kernels: prefill tiles on AMX (bf16 tile products) -===//
//
// On CPUs with AMX (Intel Sapphire Rapids and later) one TDPBF16PS multiplies
// a 16 x 32 bf16 tile of activations by a 32 x 16 bf16 tile of weights into
// a 16 x 16 fp32 tile: 8192 products per instruction, against 32 for
// _mm512_dpbf16_ps. Prefill (compute-bound) takes it for integer weights
// wherever their activations may be rounded (Exec::intActivations: the
// default and bf16 precisions) and for bf16 and FP8 weights in bf16 mode
// (the default precision keeps those exact).
//
// A prefill task (16 weight rows, up to 128 tokens, see Gemm.h) works so:
//   1. pack: the 16 rows become K/32 weight tiles in AMX's pair layout
//      (tile row kk holds, for each of the 16 weight rows n, the bf16 pair
//      W[n][2kk], W[n][2kk+1]): per 32 elements, each row's chunk is loaded
//      (FP8 and integer codes widened and scaled, then rounded to bf16) as
//      16 dwords and the 16 x 16 dwords are transposed. Packing costs one
//      pass over the rows and is reused by every token of the block.
//   2. multiply: for each group of up to 64 tokens, 4 accumulator tiles
//      (16 tokens x 16 rows each) take one weight tile and four activation
//      tiles (the block's bf16 rows, staged once by GemmRows) per 32 of K.
//   3. store: the accumulator tiles go straight to acc[t * 16 + r].
// Activation tiles of a partial 16-token group read the staging buffer's
// spare rows (GemmRows rounds it up to 16 tokens); those results are dropped.
//
// Linux enables a process's tile state only on request (arch_prctl
// ARCH_REQ_XCOMP_PERM); amxUsable() asks once and the kernels fall back to
// the AVX-512 paths when the CPU lacks AMX, the OS refuses, or R1_NO_AMX is
// set in the environment (for comparisons). Host artifacts with AVX-512 BF16
// are always compiled with the AMX intrinsics enabled (the compiler never
// emits them on its own), so one artifact runs on CPUs with and without AMX. Each thread loads the tile configuration
// once (it is per-thread state).
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_GEMMAMX_H
#define R1HK_GEMMAMX_H

#include "Gemv.h"

#if defined(R1HK_HAS_DPBF16) && defined(__AMX_TILE__) && defined(__AMX_BF16__)
#define R1HK_HAS_AMX 1
#if __has_include("AmxPermission.h")
#include "AmxPermission.h"
#else
#include "runtime/AmxPermission.h"
#endif
#endif

namespace r1hk {
namespace detail {

/// The weight types whose prefill runs on AMX at the default precision:
/// bf16 as stored, FP8 and integer codes widened with their scales.
template <WType WT>
constexpr bool kAmxWeights =
#if defined(R1HK_HAS_AMX)
    WT == WType::BF16 || WT == WType::F8E4M3 || isIntW(WT);
#else
    false;
#endif

#if defined(R1HK_HAS_AMX)

/// Whether this process may use the AMX tiles (runtime/AmxPermission.h's
/// rule, which r1run reports too).
inline bool amxUsable() { return r1::amxPermitted(); }

/// Loads the tile configuration on this thread once: tiles 0-7 all 16 rows
/// of 64 bytes (0-3 accumulators, 4 weights, 5-7 activations).
inline void amxConfigureThread() {
  static thread_local bool configured = false;
  if (configured)
    return;
  struct alignas(64) {
    uint8_t palette = 1, startRow = 0, reserved[14] = {};
    uint16_t colsb[16] = {};
    uint8_t rows[16] = {};
  } config;
  for (int i = 0; i < 8; ++i)
    config.colsb[i] = 64, config.rows[i] = 16;
  _tile_loadconfig(&config);
  configured = true;
}

/// Elements k.. of a weight row as 32 bf16 (m < 32 of them and zeros when
/// the row ends), scaled like widenVector: one dword per element pair.
template <WType WT>
inline __m512i weightChunkBf16(const WElem<WT> *row, const ScaleElem<WT> *srow, int64_t k,
                               int64_t m) {
  if constexpr (WT == WType::BF16) {
    (void)srow;
    return _mm512_maskz_loadu_epi16(m >= 32 ? ~__mmask32(0) : __mmask32((1u << m) - 1), row + k);
  } else {
    __m512 lo = widenVector<WT>(row, srow, k, minI(m, 16));
    __m512 hi = m > 16 ? widenVector<WT>(row, srow, k + 16, minI(m - 16, 16)) : _mm512_setzero_ps();
    return (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
  }
}

/// out[j] = (r[0][j], ..., r[15][j]): a 16 x 16 transpose of dwords.
inline void transpose16Dwords(__m512i (&r)[16]) {
  __m512i a[16], b[16];
  for (int i = 0; i < 16; i += 2) {
    a[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    a[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
  }
  // b[4i + c], 128-bit lane L: column 4L + c of rows 4i..4i+3.
  for (int i = 0; i < 16; i += 4) {
    b[i] = _mm512_unpacklo_epi64(a[i], a[i + 2]);
    b[i + 1] = _mm512_unpackhi_epi64(a[i], a[i + 2]);
    b[i + 2] = _mm512_unpacklo_epi64(a[i + 1], a[i + 3]);
    b[i + 3] = _mm512_unpackhi_epi64(a[i + 1], a[i + 3]);
  }
  for (int c = 0; c < 4; ++c) {
    __m512i lo01 = _mm512_shuffle_i32x4(b[c], b[4 + c], 0x44); // lanes 0, 1 of rows 0-7
    __m512i hi01 = _mm512_shuffle_i32x4(b[c], b[4 + c], 0xee); // lanes 2, 3
    __m512i lo23 = _mm512_shuffle_i32x4(b[8 + c], b[12 + c], 0x44);
    __m512i hi23 = _mm512_shuffle_i32x4(b[8 + c], b[12 + c], 0xee);
    r[c] = _mm512_shuffle_i32x4(lo01, lo23, 0x88);
    r[4 + c] = _mm512_shuffle_i32x4(lo01, lo23, 0xdd);
    r[8 + c] = _mm512_shuffle_i32x4(hi01, hi23, 0x88);
    r[12 + c] = _mm512_shuffle_i32x4(hi01, hi23, 0xdd);
  }
}

/// packed[kt * 512 + kk * 32 + 2n + p] = bf16(W[rows[n]][32kt + 2kk + p]),
/// zero past K: the Kp / 32 weight tiles of 16 rows.
template <int64_t K, WType WT>
inline void packWeightTiles(const WElem<WT> *const *rows, const ScaleElem<WT> *const *srows,
                            uint16_t *packed) {
  for (int64_t k = 0; k < K; k += 32) {
    __m512i r[16];
    for (int n = 0; n < 16; ++n)
      r[n] = weightChunkBf16<WT>(rows[n], srows[n], k, minI(32, K - k));
    transpose16Dwords(r);
    for (int kk = 0; kk < 16; ++kk)
      _mm512_store_si512(packed + k * 16 + kk * 32, r[kk]);
  }
}

/// acc[(16g + i) * 16 + n] = sum_k xb[16g + i][k] * packed(k, n) for the
/// G (1-4) groups of 16 staged activation rows from xb (stride Kp).
template <int G>
inline void amxTokenGroups(const uint16_t *xb, int64_t Kp, const uint16_t *packed, float *acc) {
  const int64_t stride = 2 * Kp, group = 16 * Kp;
  _tile_zero(0);
  if constexpr (G > 1)
    _tile_zero(1);
  if constexpr (G > 2)
    _tile_zero(2);
  if constexpr (G > 3)
    _tile_zero(3);
  for (int64_t k = 0; k < Kp; k += 32) {
    _tile_loadd(4, packed + k * 16, 64);
    _tile_loadd(5, xb + k, stride);
    _tile_dpbf16ps(0, 5, 4);
    if constexpr (G > 1) {
      _tile_loadd(6, xb + group + k, stride);
      _tile_dpbf16ps(1, 6, 4);
    }
    if constexpr (G > 2) {
      _tile_loadd(7, xb + 2 * group + k, stride);
      _tile_dpbf16ps(2, 7, 4);
    }
    if constexpr (G > 3) {
      _tile_loadd(5, xb + 3 * group + k, stride);
      _tile_dpbf16ps(3, 5, 4);
    }
  }
  _tile_stored(0, acc, 64);
  if constexpr (G > 1)
    _tile_stored(1, acc + 256, 64);
  if constexpr (G > 2)
    _tile_stored(2, acc + 512, 64);
  if constexpr (G > 3)
    _tile_stored(3, acc + 768, 64);
}

/// acc[t * 16 + r] = xb[t] . W[rows[r]] for `tokens` (<= 128) staged bf16
/// rows (stride Kp, readable up to a whole 16 rows), r < 16.
template <int64_t K, WType WT>
void gemmTileAmx(const uint16_t *xb, int64_t tokens, const WElem<WT> *const *rows,
                 const ScaleElem<WT> *const *srows, float *acc) {
  constexpr int64_t Kp = roundUp(K, 32);
  amxConfigureThread();
  uint16_t *packed = reinterpret_cast<uint16_t *>(alignedScratch<2>(Kp * 32));
  packWeightTiles<K, WT>(rows, srows, packed);
  for (int64_t t0 = 0; t0 < tokens; t0 += 64) {
    const uint16_t *x = xb + t0 * Kp;
    float *a = acc + t0 * 16;
    switch (minI(4, ceilDiv(tokens - t0, 16))) {
    case 4: amxTokenGroups<4>(x, Kp, packed, a); break;
    case 3: amxTokenGroups<3>(x, Kp, packed, a); break;
    case 2: amxTokenGroups<2>(x, Kp, packed, a); break;
    default: amxTokenGroups<1>(x, Kp, packed, a); break;
    }
  }
}

#endif // R1HK_HAS_AMX

/// Whether blocked (prefill) products with WT weights run on AMX tiles under
/// `ex`: integer weights wherever their activations may be rounded
/// (intActivations: the default and bf16 precisions), bf16 and FP8 weights
/// in bf16 mode only; and only where the CPU and OS allow.
template <WType WT>
inline bool amxFor(const Exec &ex) {
#if defined(R1HK_HAS_AMX)
  if constexpr (kAmxWeights<WT>)
    return (isIntW(WT) ? ex.intActivations : !ex.fp32) && amxUsable();
#endif
  (void)ex;
  return false;
}

} // namespace detail
} // namespace r1hk

#endif // R1HK_GEMMAMX_H
