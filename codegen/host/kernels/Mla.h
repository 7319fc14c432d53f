//===- Mla.h - Host kernels: DeepSeek multi-head latent attention ---------===//
//
// mla() attends over a *latent* KV cache: row p holds [latent(p) | kpe(p)]
// (Rank + Rope floats, the normalized kv_a output and its roped key part),
// shared by all heads. Per head h, kv_b_proj expands a latent row into the
// key part W_UK[h] . latent ([Nope, Rank] . [Rank]) and the value W_UV[h] .
// latent ([Dv, Rank] . [Rank]); the key is [k_nope | kpe]. Two forms compute
// the same function:
//
//   absorbed (decode): W_UK moves to the query side,
//     q . key_j = (W_UK[h]^T q_nope) . latent_j + q_pe . kpe_j,
//   so one task per (token, head) maps q into latent space (a GEMV over the
//   compile-time transposed W_UK[h]^T, [Rank, Nope]), attends over whole
//   cache rows (values: their first Rank floats) and maps the latent output
//   back with W_UV[h]. The cache is read once per head and token; no
//   per-head keys or values exist.
//   materialized (prefill): one task per head expands the cache rows its
//   tokens can see into keys and values (a GEMM of L rows against the head's
//   Nope + Dv rows of kv_b_proj) and runs plain attention over them, which
//   for many tokens costs far less than the absorbed form's per-token GEMVs.
//
// Both run the online softmax of Attention.h and the linear cores of
// Linear.h (serial inside a task, always fp32). Scratch (materialized):
// grow-once per thread, detail::threadScratch slots 20 (the latent rows,
// contiguous, on the calling thread) and 21-22 (a head's keys and values,
// on each worker thread).
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_MLA_H
#define R1HK_MLA_H

#include "Attention.h"
#include "Linear.h"

namespace r1hk {
namespace detail {

/// The Exec of a linear call inside a task: inline, fp32 activations.
inline constexpr Exec kSerialFp32{nullptr, nullptr, 1, true};

/// A row-major [rows, K] weight array of WT from row `row` on, and its
/// row-expanded FP8 block scales from the same row (null for other types).
template <WType WT, int64_t K>
struct WeightRows {
  const WElem<WT> *w;
  const float *scales;
  WeightRows(const void *base, const float *baseScales, int64_t row)
      : w(static_cast<const WElem<WT> *>(base) + row * K),
        scales(WT == WType::F8E4M3 ? baseScales + row * ceilDiv(K, kF8Block) : nullptr) {}
};

} // namespace detail

/// Multi-head latent attention over a latent cache; see the file comment.
/// q [n, H, Nope + Rope] (rope applied), latent [n, Rank], kpe [n, Rope]
/// (roped); cache [cap, Rank + Rope] (this layer's); kvB = kv_b_proj
/// [H * (Nope + Dv), Rank] of WT (per head Nope key rows, then Dv value
/// rows); wukT [H * Rank, Nope] of WTk, wukT[h * Rank + c][d] = kvB[h *
/// (Nope + Dv) + d][c] (read only when kAbsorbed); *Scales: row-expanded FP8
/// block scales of the weight before them ([rows, ceil(K/128)], null unless
/// its type is F8E4M3). out [n, H, Dv]. Token t stores its row at pos[t],
/// then attends over rows 0..min(pos[t], cap - 1); positions outside [0, cap)
/// are neither stored nor read (as in attention()).
template <int64_t H, int64_t Nope, int64_t Rope, int64_t Dv, int64_t Rank, WType WT, WType WTk,
          bool kAbsorbed>
void mla(const Exec &ex, const float *q, const float *latent, const float *kpe, int64_t n,
         const int32_t *pos, float scale, float *cache, int64_t cap, const void *kvB,
         const float *kvBScales, const void *wukT, const float *wukTScales, float *out) {
  static_assert(H >= 1 && Nope >= 1 && Rope >= 1 && Dv >= 1 && Rank >= 1, "empty MLA shape");
  static_assert(!isIntW(WT) && !isIntW(WTk), "kv_b_proj stays a float or FP8 weight");
  constexpr int64_t Dq = Nope + Rope, Row = Rank + Rope, Dkv = Nope + Dv;
  // 1. Store this step's cache rows (all of them before any query: token t
  //    attends to the tokens of the same step before it).
  for (int64_t t = 0; t < n; ++t) {
    int64_t p = pos[t];
    if (p < 0 || p >= cap)
      continue;
    std::memcpy(cache + p * Row, latent + t * Rank, sizeof(float) * Rank);
    std::memcpy(cache + p * Row + Rank, kpe + t * Rope, sizeof(float) * Rope);
  }
  // Keys token t sees: rows [0, keys(t)).
  auto keys = [&](int64_t t) { return detail::maxI(0, detail::minI(int64_t(pos[t]) + 1, cap)); };

  if constexpr (kAbsorbed) {
    // 2a. One task per (token, head), everything on the stack.
    ex.run(n * H, [&](int64_t task) {
      const int64_t t = task / H, h = task % H;
      const float *qh = q + (t * H + h) * Dq;
      alignas(64) float qc[Row]; // [W_UK[h]^T q_nope | q_pe]
      alignas(64) float oLat[Rank];
      float *qLat = qc;
      const detail::WeightRows<WTk, Nope> uk(wukT, wukTScales, h * Rank);
      linear<1, Nope, WTk, false, false, Rank>(detail::kSerialFp32, qh, 1, uk.w, nullptr, nullptr,
                                               0.0f, &qLat, uk.scales);
      std::memcpy(qc + Rank, qh + Nope, sizeof(float) * Rope);
      detail::attendStrided<Row, Rank, Row, Row>(qc, cache, cache, keys(t), scale, oLat);
      float *o = out + (t * H + h) * Dv;
      const detail::WeightRows<WT, Rank> uv(kvB, kvBScales, h * Dkv + Nope);
      linear<1, Rank, WT, false, false, Dv>(detail::kSerialFp32, oLat, 1, uv.w, nullptr, nullptr,
                                            0.0f, &o, uv.scales);
    });
  } else {
    (void)wukT, (void)wukTScales;
    // 2b. The latent rows any token sees, copied out of the cache rows
    //     (stride Row) into one contiguous [L, Rank] block that linear reads.
    int64_t L = 0;
    for (int64_t t = 0; t < n; ++t)
      L = detail::maxI(L, keys(t));
    if (L == 0) { // no token sees a row: every output is the empty softmax's 0
      for (int64_t i = 0; i < n * H * Dv; ++i)
        out[i] = 0.0f;
      return;
    }
    float *lat = detail::threadScratch<float, 20>(size_t(L * Rank));
    detail::forRowRanges(ex, L, Rank, 1 << 15, [&](int64_t begin, int64_t end) {
      for (int64_t j = begin; j < end; ++j)
        std::memcpy(lat + j * Rank, cache + j * Row, sizeof(float) * Rank);
    });
    // 3b. One task per head: kv = lat . kvB_h^T ([L, Nope + Dv]), keys
    //     [L, Nope + Rope] = [kv[:, :Nope] | kpe], then each token's
    //     attention with values kv[:, Nope:].
    ex.run(H, [&](int64_t h) {
      float *kv = detail::threadScratch<float, 21>(size_t(L * Dkv));
      float *key = detail::threadScratch<float, 22>(size_t(L * Dq));
      const detail::WeightRows<WT, Rank> w(kvB, kvBScales, h * Dkv);
      linear<0, Rank, WT, false, false, Dkv>(detail::kSerialFp32, lat, L, w.w, nullptr, nullptr,
                                             0.0f, &kv, w.scales);
      for (int64_t j = 0; j < L; ++j) {
        std::memcpy(key + j * Dq, kv + j * Dkv, sizeof(float) * Nope);
        std::memcpy(key + j * Dq + Nope, cache + j * Row + Rank, sizeof(float) * Rope);
      }
      for (int64_t t = 0; t < n; ++t)
        detail::attendStrided<Dq, Dv, Dq, Dkv>(q + (t * H + h) * Dq, key, kv + Nope, keys(t), scale,
                                               out + (t * H + h) * Dv);
    });
  }
}

} // namespace r1hk

#endif // R1HK_MLA_H
