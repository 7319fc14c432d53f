//===- GemmVnni.h - Host kernels: integer prefill tiles on vpdpbusd -------===//
//
// Prefill with integer weights (int8 / int4 with f16 group scales) at the
// default precision on a CPU with AVX512-VNNI, where AMX does not take the
// step: each token's row is quantized to int8 as a decode step quantizes it
// (GemvVnni.h's stageRowVnni, via GemvRow), and a 16-row task multiplies
// the block's tokens with vpdpbusd, 64 u8 x s8 products per instruction.
// On the Xeon VM this was measured on (no AMX), vpdpbusd issues at the rate
// of the fp32 FMA (5.6 and 5.5 G instructions/s per core) with 4x its
// products, and _mm512_dpbf16_ps at a quarter of it; widening int4 rows to
// bf16 instead made prefill slower than the fp32 tile (48-53 against 82
// tokens/s on Qwen-1.5B), so integer weights skip bf16 here.
//
// Each (token, row) dot is gemvDotVnni's arithmetic in its order (per block:
// the exact integer sum from the offset correction, times weight scale x
// activation scale, accumulated per lane in fp32; lanes reduced last by
// Vec::reduce4), so a prompt's logits are the bits that decoding its tokens
// one at a time gives.
//
// A task: the 16 rows' per-lane weight scales are expanded once (one f32
// vector per row and block, a per-thread buffer), then for each quad of rows
// and group of 4 tokens the micro-kernel keeps 16 accumulators in registers;
// each weight block is loaded and unpacked once per token group and its
// scale vector read from the buffer, the token's codes, offset correction
// and scales straight from its staged row.
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_GEMMVNNI_H
#define R1HK_GEMMVNNI_H

#include "GemvVnni.h"

namespace r1hk {
namespace detail {

#if defined(R1HK_HAS_VNNI)

/// acc[t * stride + r] = x[t] . rows[r] * scales for T tokens and 4 rows;
/// ws[r * J + j]: row r's 16 lane scales of block j (J = K / B blocks).
template <int64_t K, WType WT, int T>
inline void microVnni(const VnniRow *x, const uint8_t *const *rows, const __m512 *ws,
                      float *acc, int64_t stride) {
  constexpr int64_t B = kVnniBlock<WT>, J = K / B;
  __m512 a[T][4] = {}; // zeros
  const __m512i nibble = _mm512_set1_epi8(0x0f), sign = _mm512_set1_epi8(char(0x80));
  for (int64_t j = 0; j < J; ++j) {
    __m512i lo[4], hi[4];
    R1HK_UNROLL
    for (int r = 0; r < 4; ++r) {
      const __m512i w = _mm512_loadu_si512(rows[r] + 64 * j);
      if constexpr (wBits(WT) == 8) {
        lo[r] = _mm512_xor_si512(w, sign);
      } else {
        lo[r] = _mm512_and_si512(w, nibble);
        hi[r] = _mm512_and_si512(_mm512_srli_epi16(w, 4), nibble);
      }
    }
    R1HK_UNROLL
    for (int t = 0; t < T; ++t) {
      const __m512 sx = _mm512_loadu_ps(x[t].sx + 16 * j);
      const int8_t *q = x[t].q + B * j;
      R1HK_UNROLL
      for (int r = 0; r < 4; ++r) {
        __m512i sum = _mm512_loadu_si512(x[t].negCorr + 16 * j);
        sum = _mm512_dpbusd_epi32(sum, lo[r], _mm512_loadu_si512(q));
        if constexpr (wBits(WT) == 4)
          sum = _mm512_dpbusd_epi32(sum, hi[r], _mm512_loadu_si512(q + 64));
        const __m512 scale = _mm512_mul_ps(ws[r * J + j], sx);
        a[t][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), scale, a[t][r]);
      }
    }
  }
  R1HK_UNROLL
  for (int t = 0; t < T; ++t)
    Vec::reduce4(a[t][0], a[t][1], a[t][2], a[t][3], acc + t * stride);
}

/// acc[t * 16 + r] = x[t] . W[rows[r]] for `tokens` (<= 128) rows staged by
/// stageRowVnni (GemvRow), r < 16; srows: the rows' f16 group scales.
template <int64_t K, WType WT>
void gemmTileVnni(const VnniRow *x, int64_t tokens, const uint8_t *const *rows,
                  const uint16_t *const *srows, float *acc) {
  constexpr int64_t J = K / kVnniBlock<WT>, kRows = 16;
  __m512 *ws = reinterpret_cast<__m512 *>(alignedScratch<6>(kRows * J * 64));
  for (int64_t r = 0; r < kRows; ++r)
    for (int64_t j = 0; j < J; ++j)
      ws[r * J + j] = vnniGroupScales<WT>(srows[r], j);
  for (int64_t rq = 0; rq < kRows; rq += 4) {
    for (int64_t t0 = 0; t0 < tokens; t0 += 4) {
      float *a = acc + t0 * kRows + rq;
      const __m512 *w = ws + rq * J;
      switch (minI(4, tokens - t0)) {
      case 4: microVnni<K, WT, 4>(x + t0, rows + rq, w, a, kRows); break;
      case 3: microVnni<K, WT, 3>(x + t0, rows + rq, w, a, kRows); break;
      case 2: microVnni<K, WT, 2>(x + t0, rows + rq, w, a, kRows); break;
      default: microVnni<K, WT, 1>(x + t0, rows + rq, w, a, kRows); break;
      }
    }
  }
}

#endif // R1HK_HAS_VNNI

} // namespace detail
} // namespace r1hk

#endif // R1HK_GEMMVNNI_H
