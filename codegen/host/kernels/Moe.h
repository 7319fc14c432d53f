//===- Moe.h - Host kernels: DeepSeek MoE routing and routed experts ------===//
//
// moeTopk: the router after its scores (sigmoid or softmax of x . Wg^T):
// DeepSeek-V3's Gate.forward. Biased scores choose, unbiased scores weigh.
//
// moeExperts: out[t] = sum_k w[t,k] * down_e(silu(gate_e x_t) * up_e x_t),
// e = ids[t,k], computed grouped by expert so that each expert's weights are
// read once per call (per chunk of kMoeTokenChunk tokens), not per token:
//   1. (serial) a counting sort of the (token, k) assignments by expert:
//      "slots", ordered by expert, then token, then k;
//   2. units = active experts x tiles of 8 intermediate rows (8 gate + 8 up
//      weight rows): h[slot, I] = silu(gate x) * (up x) for the expert's slots;
//   3. units = tiles of 16 rows of Hd: out[t, tile] = sum over the active
//      experts in ascending order of w[slot] * (h[slot] . down_e rows).
// In prefill each unit is a task. In decode and short steps a task is a
// range of consecutive units (Exec::decodeTasksPerThread per thread), and
// step 3's reads each expert's rows for its whole range before the next
// expert's, so that each thread streams rows in order and prefetches into
// its own cache.
// One task owns each output element, and its sum order is fixed by the
// routing alone, so results are the same bits for any thread count. An
// expert with a single slot (every expert in a decode step), and every
// expert of a step of at most Exec::gemvMaxTokens tokens, takes a GEMV per
// slot (weights streamed once, 8 rows at a time, then found in cache for the
// expert's other slots; each token's arithmetic is a decode step's); with
// more slots the blocked tile of Gemm.h, the weights widened once per 16 rows and K
// chunk, in fp32; or, where GemmAmx.h's amxFor allows (integer weights at
// the default precision, any of bf16/FP8/integer in bf16 mode, a CPU with
// AMX), AMX tiles on x and h staged per slot as bf16 rows (slots 14 and 15
// of threadScratch, 2 * (slots + 16) * (Hd + I) bytes); or, for integer
// weights at the default precision that AMX does not take, GemmVnni.h's
// vpdpbusd tiles on the int8 rows the GEMVs use, with a decode step's bits.
// FP8 and integer weights are dequantized on the fly with their block or
// group scales.
//
// kQuantAct (DeepSeek-V3's W8A8 mode, where every expert Linear quantizes its
// input per 1x128 block, see Quant.h): x is fake-quantized once per token
// before step 2 (gate and up see the same quantized row, as w1 and w3 do),
// and h once per slot before step 3. Off, nothing of this runs.
//
// Scratch: per calling thread, grow-once (detail::threadScratch slots 10 to
// 12): the slot lists (8 bytes per assignment) and h, 4 * min(n, 1024) *
// TopK * I bytes (64 MiB for R1's 8 x 2048 at 1024 tokens), and with
// kQuantAct the quantized x (slot 13), 4 * min(n, 1024) * Hd bytes; for
// integer weights on VNNI, x and h staged as int8 rows (alignedScratch 4
// and 5, 4 bytes per element each: as much again as x and h, 64 MiB for
// R1's h at 1024 tokens) with their VnniRow lists (slots 16 and 17). The
// worker tasks only read it. Assignments with an id outside [0, E) are
// skipped.
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_MOE_H
#define R1HK_MOE_H

#include "Gemm.h"
#include "GemvVnni.h"
#include "Elementwise.h"
#include "Quant.h"

#include <limits>

namespace r1hk {

namespace detail {

/// acc[j * 16 + r] = row j . W[rows[r]] for an expert's nb (<= 128) slots:
/// on AMX from their staged bf16 rows (`staged`, non-null when amxFor
/// allows); else on vpdpbusd from their int8-staged rows vnniOf(j) (when
/// `vnni`: integer weights, GemmVnni.h); else from the fp32 rows rowOf(j).
template <int64_t K, WType WT, class RowOf, class VnniOf>
inline void expertTile(const uint16_t *staged, bool vnni, int64_t nb, RowOf rowOf, VnniOf vnniOf,
                       const WElem<WT> *const *rows, const ScaleElem<WT> *const *srows,
                       float *acc) {
#if defined(R1HK_HAS_AMX)
  if constexpr (kAmxWeights<WT>) {
    if (staged) {
      gemmTileAmx<K, WT>(staged, nb, rows, srows, acc);
      return;
    }
  }
#endif
#if defined(R1HK_HAS_VNNI)
  if constexpr (kUsesVnni<K, WT>) {
    if (vnni) {
      VnniRow x[kTokenBlock];
      for (int64_t j = 0; j < nb; ++j)
        x[j] = vnniOf(j);
      gemmTileVnni<K, WT>(x, nb, rows, srows, acc);
      return;
    }
  }
#endif
  (void)staged, (void)vnni, (void)vnniOf;
  const float *xp[kTokenBlock];
  for (int64_t j = 0; j < nb; ++j)
    xp[j] = rowOf(j);
  gemmTileF32<K, WT, false>(xp, nb, rows, srows, nullptr, acc);
}

} // namespace detail

/// Group score of moeTopk's group-limited routing.
enum MoeGroupScore : int { kGroupScoreNone = 0, kGroupScoreMax = 1, kGroupScoreTop2Sum = 2 };

/// ids[t, TopK] and weights[t, TopK] of token t from its scores [E]: choice
/// by scores + bias (kBias), within the TopkGroups best of Groups groups
/// (group score: kGroupScore); weights = the unbiased scores of the chosen,
/// divided by their sum when kNormalize, times scaling. Ties go to the lower
/// index; outputs in descending order of the biased score.
template <int64_t E, int64_t TopK, int64_t Groups, int64_t TopkGroups, int kGroupScore, bool kBias,
          bool kNormalize>
void moeTopk(const Exec &ex, const float *scores, int64_t n, const float *bias, float scaling,
             int32_t *ids, float *weights) {
  static_assert(Groups >= 1 && E % Groups == 0, "experts must split evenly into groups");
  static_assert(TopkGroups >= 1 && TopkGroups <= Groups, "topk_group must be in [1, n_group]");
  static_assert(Groups == 1 || kGroupScore == kGroupScoreMax || kGroupScore == kGroupScoreTop2Sum,
                "group-limited routing needs a group score");
  static_assert(kGroupScore != kGroupScoreTop2Sum || E / Groups >= 2, "top2_sum needs 2 per group");
  static_assert(TopK >= 1 && TopK <= TopkGroups * (E / Groups), "too few experts to choose from");
  constexpr int64_t G = E / Groups;
  detail::forRowRanges(ex, n, E, 1 << 15, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const float *s = scores + t * E;
      float b[E];
      bool open[E]; // still choosable: in a kept group and not chosen yet
      for (int64_t e = 0; e < E; ++e) {
        b[e] = kBias ? s[e] + bias[e] : s[e];
        open[e] = true;
      }
      if constexpr (Groups > 1) {
        // 1. Group scores; keep the TopkGroups best groups.
        float gs[Groups];
        for (int64_t g = 0; g < Groups; ++g) {
          float first = -std::numeric_limits<float>::infinity(), second = first;
          for (int64_t j = g * G; j < (g + 1) * G; ++j) {
            if (b[j] > first)
              second = first, first = b[j];
            else if (b[j] > second)
              second = b[j];
          }
          gs[g] = kGroupScore == kGroupScoreMax ? first : first + second;
        }
        bool kept[Groups] = {};
        for (int64_t i = 0; i < TopkGroups; ++i) {
          int64_t best = -1;
          for (int64_t g = 0; g < Groups; ++g)
            if (!kept[g] && (best < 0 || gs[g] > gs[best]))
              best = g;
          kept[best] = true;
        }
        for (int64_t e = 0; e < E; ++e)
          open[e] = kept[e / G];
      }
      // 2. TopK experts by biased score among the open ones.
      float w[TopK], sum = 0.0f;
      for (int64_t k = 0; k < TopK; ++k) {
        int64_t best = -1;
        for (int64_t e = 0; e < E; ++e)
          if (open[e] && (best < 0 || b[e] > b[best]))
            best = e;
        open[best] = false;
        ids[t * TopK + k] = int32_t(best);
        w[k] = s[best];
        sum += w[k];
      }
      // 3. Weights from the unbiased scores.
      for (int64_t k = 0; k < TopK; ++k)
        weights[t * TopK + k] = (kNormalize ? w[k] / sum : w[k]) * scaling;
    }
  });
}

namespace detail {

/// Tokens per moeExperts pass: bounds the h scratch; each pass reads the
/// active experts' weights once.
constexpr int64_t kMoeTokenChunk = 1024;

/// Runs unit(u) for u in [0, units): one task per unit, or, in decode and
/// short steps (`ranges`), Exec::decodeTasksPerThread tasks per thread over
/// consecutive units, so that each thread streams its weight rows in order
/// and prefetches into its own cache.
template <class F>
void runUnits(const Exec &ex, int64_t units, bool ranges, F &&unit) {
  if (!ranges) {
    ex.run(units, unit);
    return;
  }
  const int64_t per = ceilDiv(units, ex.taskCount(units, ex.decodeTasksPerThread));
  ex.run(ceilDiv(units, per), [&](int64_t task) {
    for (int64_t u = task * per, end = minI(units, u + per); u < end; ++u)
      unit(u);
  });
}

/// One chunk of moeExperts (see the file comment); out rows [0, n).
template <int64_t E, int64_t TopK, int64_t Hd, int64_t I, WType WT, bool kQuantAct>
void moeChunk(const Exec &ex, const float *x, int64_t n, const int32_t *ids, const float *weights,
              const WElem<WT> *gateUp, const WElem<WT> *down, const void *guScales,
              const void *dnScales, float *out) {
  // 1. Slots sorted by expert (counting sort; stable in token, k order).
  int64_t offset[E + 1] = {};
  for (int64_t i = 0; i < n * TopK; ++i)
    if (ids[i] >= 0 && ids[i] < E)
      ++offset[ids[i] + 1];
  for (int64_t e = 0; e < E; ++e)
    offset[e + 1] += offset[e];
  const int64_t slots = offset[E];
  if (slots == 0) {
    for (int64_t i = 0; i < n * Hd; ++i)
      out[i] = 0.0f;
    return;
  }
  int32_t *slotToken = threadScratch<int32_t, 10>(size_t(slots));
  float *slotWeight = threadScratch<float, 11>(size_t(slots));
  float *h = threadScratch<float, 12>(size_t(slots * I));
  {
    int64_t fill[E];
    for (int64_t e = 0; e < E; ++e)
      fill[e] = offset[e];
    for (int64_t i = 0; i < n * TopK; ++i)
      if (ids[i] >= 0 && ids[i] < E) {
        int64_t s = fill[ids[i]]++;
        slotToken[s] = int32_t(i / TopK), slotWeight[s] = weights[i];
      }
  }
  int32_t active[E];
  int64_t nActive = 0;
  for (int64_t e = 0; e < E; ++e)
    if (offset[e + 1] > offset[e])
      active[nActive++] = int32_t(e);
  if constexpr (kQuantAct) {
    float *xq = threadScratch<float, 13>(size_t(n * Hd));
    quantizeF8Blocks<Hd>(ex, x, n, xq);
    x = xq;
  }
  // Decode and short steps (n <= Exec::gemvMaxTokens, as linear's) run a
  // GEMV per slot, each block of an expert's rows read once for its slots;
  // every token's arithmetic is then a decode step's. Those GEMVs take
  // GemvVnni.h's int8 activations where the precision allows: each token's
  // x staged once here, each slot's h row once after step 2. Longer steps
  // multiply the same staged rows on GemmVnni.h's tiles wherever AMX does
  // not take an expert, so their arithmetic is a decode step's too.
  const bool gemvSlots = n <= ex.gemvMaxTokens;
  [[maybe_unused]] const VnniRow *xVnni = nullptr; // per token, when staged
#if defined(R1HK_HAS_VNNI)
  uint8_t *hVnniBuffer = nullptr;
  constexpr bool kVnniUp = kUsesVnni<Hd, WT> && !kQuantAct, kVnniDown = kUsesVnni<I, WT> && !kQuantAct;
  if constexpr (kVnniUp)
    if (ex.intActivations) {
      constexpr int64_t stride = roundUp(vnniRowBytes(Hd), 64);
      uint8_t *buffer = alignedScratch<4>(n * stride);
      VnniRow *xRows = threadScratch<VnniRow, 16>(size_t(n));
      forRowRanges(ex, n, Hd, 1 << 15, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t)
          xRows[t] = stageRowVnni<Hd, WT>(x + t * Hd, buffer + t * stride);
      });
      xVnni = xRows;
    }
  if constexpr (kVnniDown)
    if (ex.intActivations)
      hVnniBuffer = alignedScratch<5>(slots * vnniRowBytes(I));
#endif
  // Prefill on AMX tiles (GemmAmx.h, where amxFor allows) for the experts
  // that Exec::amxMinExpertTokens or more tokens route to (onAmx): x per
  // slot, and h per slot after step 2, staged as bf16 rows so that an
  // expert's slots are consecutive rows of one strided activation tile; 16
  // spare rows for the partial tile at the end.
  [[maybe_unused]] constexpr int64_t HdP = roundUp(Hd, 32), IP = roundUp(I, 32);
  int64_t busiest = 0;
  for (int64_t a = 0; a < nActive; ++a)
    busiest = maxI(busiest, offset[active[a] + 1] - offset[active[a]]);
  [[maybe_unused]] const bool amx =
      !kQuantAct && !gemvSlots && busiest >= ex.amxMinExpertTokens && amxFor<WT>(ex);
  auto onAmx = [&](int64_t cnt) { return amx && cnt >= ex.amxMinExpertTokens; };
  [[maybe_unused]] uint16_t *xs = nullptr, *hs = nullptr;
#if defined(R1HK_HAS_AMX)
  if (amx) {
    xs = threadScratch<uint16_t, 14>(size_t((slots + 16) * HdP));
    hs = threadScratch<uint16_t, 15>(size_t((slots + 16) * IP));
    forRowRanges(ex, slots, Hd, 1 << 15, [&](int64_t begin, int64_t end) {
      for (int64_t s = begin; s < end; ++s)
        stageRowBf16(x + int64_t(slotToken[s]) * Hd, 1.0f, nullptr, Hd, HdP, xs + s * HdP);
    });
  }
#endif

  // 2. h = silu(gate x) * (up x), per unit (active expert, 8 rows of I).
  constexpr int64_t Half = kTileRows / 2, tilesI = ceilDiv(I, Half);
  auto gateUpUnit = [&](int64_t unit) {
    const int64_t e = active[unit / tilesI], i0 = (unit % tilesI) * Half;
    const int64_t count = minI(I - i0, Half), s0 = offset[e], cnt = offset[e + 1] - s0;
    const WElem<WT> *rows[kTileRows]; // 8 gate rows, then the 8 matching up rows
    const ScaleElem<WT> *srows[kTileRows];
    for (int64_t r = 0; r < Half; ++r) {
      int64_t gate = e * 2 * I + i0 + minI(r, count - 1), up = gate + I;
      rows[r] = weightRow<WT, Hd>(gateUp, gate), rows[Half + r] = weightRow<WT, Hd>(gateUp, up);
      srows[r] = scalesOfRow<WT, Hd>(guScales, gate);
      srows[Half + r] = scalesOfRow<WT, Hd>(guScales, up);
    }
    if (cnt == 1 || gemvSlots) {
      // A GEMV per slot: rows 0-3 with 8-11, then 4-7 with 12-15 (gate and
      // up side by side); the first slot's dots prefetch, the others find
      // the rows in cache.
      for (int64_t slot = s0; slot < s0 + cnt; ++slot) {
        const int64_t token = slotToken[slot];
        const float *xr = x + token * Hd;
        for (int64_t q = 0; q < Half; q += 4) {
          const WElem<WT> *r8[8] = {rows[q],        rows[q + 1],        rows[q + 2],
                                    rows[q + 3],    rows[Half + q],     rows[Half + q + 1],
                                    rows[Half + q + 2], rows[Half + q + 3]};
          const ScaleElem<WT> *s8[8] = {srows[q],        srows[q + 1],        srows[q + 2],
                                        srows[q + 3],    srows[Half + q],     srows[Half + q + 1],
                                        srows[Half + q + 2], srows[Half + q + 3]};
          float sums[8];
#if defined(R1HK_HAS_VNNI)
          if constexpr (kVnniUp) {
            if (xVnni) {
              // Prefetch the next 4 gate and up rows (this task's next step,
              // or the next task's first: the rows are contiguous).
              gemvDotVnni<Hd, WT, 8>(r8, s8, xVnni[token], sums,
                                     slot == s0 ? 4 * rowBytes(WT, Hd) : 0);
              if (q < count)
                siluMulRow(sums, sums + 4, minI(4, count - q), h + slot * I + i0 + q);
              continue;
            }
          }
#endif
          gemvDotW<Hd, WT, 8>(r8, s8, xr, sums);
          if (q < count)
            siluMulRow(sums, sums + 4, minI(4, count - q), h + slot * I + i0 + q);
        }
      }
      return;
    }
    alignas(64) float acc[kTokenBlock * kTileRows];
    for (int64_t b0 = 0; b0 < cnt; b0 += kTokenBlock) {
      int64_t nb = minI(kTokenBlock, cnt - b0);
      expertTile<Hd, WT>(
          onAmx(cnt) ? xs + (s0 + b0) * HdP : nullptr, xVnni != nullptr, nb,
          [&](int64_t j) { return x + int64_t(slotToken[s0 + b0 + j]) * Hd; },
          [&](int64_t j) { return xVnni[slotToken[s0 + b0 + j]]; }, rows, srows, acc);
      for (int64_t j = 0; j < nb; ++j)
        siluMulRow(acc + j * kTileRows, acc + j * kTileRows + Half, count,
                   h + (s0 + b0 + j) * I + i0);
    }
  };
  runUnits(ex, nActive * tilesI, gemvSlots, gateUpUnit);

  if constexpr (kQuantAct)
    quantizeF8Blocks<I>(ex, h, slots, h);
#if defined(R1HK_HAS_AMX)
  if (amx)
    forRowRanges(ex, slots, I, 1 << 15, [&](int64_t begin, int64_t end) {
      for (int64_t s = begin; s < end; ++s)
        stageRowBf16(h + s * I, 1.0f, nullptr, I, IP, hs + s * IP);
    });
#endif
  [[maybe_unused]] const VnniRow *hVnni = nullptr; // per slot, when staged
#if defined(R1HK_HAS_VNNI)
  if constexpr (kVnniDown) {
    if (hVnniBuffer) {
      VnniRow *hRows = threadScratch<VnniRow, 17>(size_t(slots));
      forRowRanges(ex, slots, I, 1 << 15, [&](int64_t begin, int64_t end) {
        for (int64_t s = begin; s < end; ++s)
          hRows[s] = stageRowVnni<I, WT>(h + s * I, hVnniBuffer + s * vnniRowBytes(I));
      });
      hVnni = hRows;
    }
  }
#endif

  // 3. out = sum_e w * (h . down_e^T), per 16 rows of Hd (a tile), experts
  // ascending for every element. downTile adds active expert a's share to
  // one tile; `ahead` is the byte distance from its rows to the rows read
  // next (GEMV slots prefetch them).
  constexpr int64_t tilesH = ceilDiv(Hd, kTileRows);
  auto downTile = [&](int64_t a, int64_t tile, [[maybe_unused]] int64_t ahead) {
    const int64_t r0 = tile * kTileRows, count = minI(Hd - r0, kTileRows);
    const int64_t e = active[a], s0 = offset[e], cnt = offset[e + 1] - s0;
    alignas(64) float acc[kTokenBlock * kTileRows];
    const WElem<WT> *rows[kTileRows];
    const ScaleElem<WT> *srows[kTileRows];
    for (int64_t r = 0; r < kTileRows; ++r) {
      int64_t j = e * Hd + r0 + minI(r, count - 1);
      rows[r] = weightRow<WT, I>(down, j);
      srows[r] = scalesOfRow<WT, I>(dnScales, j);
    }
    auto accumulate = [&](int64_t sFirst, int64_t nb) {
      for (int64_t j = 0; j < nb; ++j) {
        float wgt = slotWeight[sFirst + j];
        float *o = out + int64_t(slotToken[sFirst + j]) * Hd + r0;
        for (int64_t r = 0; r < count; ++r)
          o[r] += wgt * acc[j * kTileRows + r];
      }
    };
    if (cnt == 1 || gemvSlots) {
      // A GEMV per slot; the first prefetches the rows read next, the
      // others find these in cache.
      for (int64_t slot = s0; slot < s0 + cnt; ++slot) {
#if defined(R1HK_HAS_VNNI)
        if constexpr (kVnniDown) {
          if (hVnni) {
            const int64_t prefetch = slot == s0 ? ahead : 0;
            gemvDotVnni<I, WT, 8>(rows, srows, hVnni[slot], acc, prefetch);
            if (count > 8)
              gemvDotVnni<I, WT, 8>(rows + 8, srows + 8, hVnni[slot], acc + 8, prefetch);
            accumulate(slot, 1);
            continue;
          }
        }
#endif
        gemvDotW<I, WT, 8>(rows, srows, h + slot * I, acc);
        if (count > 8)
          gemvDotW<I, WT, 8>(rows + 8, srows + 8, h + slot * I, acc + 8);
        accumulate(slot, 1);
      }
      return;
    }
    for (int64_t b0 = 0; b0 < cnt; b0 += kTokenBlock) {
      int64_t nb = minI(kTokenBlock, cnt - b0);
      expertTile<I, WT>(
          onAmx(cnt) ? hs + (s0 + b0) * IP : nullptr, hVnni != nullptr, nb,
          [&](int64_t j) { return h + (s0 + b0 + j) * I; },
          [&](int64_t j) { return hVnni[s0 + b0 + j]; }, rows, srows, acc);
      accumulate(s0 + b0, nb);
    }
  };
  auto zeroTiles = [&](int64_t tile0, int64_t tile1) {
    const int64_t r0 = tile0 * kTileRows, r1 = minI(Hd, tile1 * kTileRows);
    for (int64_t t = 0; t < n; ++t)
      for (int64_t r = r0; r < r1; ++r)
        out[t * Hd + r] = 0.0f;
  };
  if (gemvSlots) {
    // Decode and short steps: a few tasks per thread, each a range of tiles
    // read expert by expert, so that every thread streams each expert's
    // rows in order and its prefetches land in its own cache (one task per
    // tile, taken by either thread in turn, broke both).
    const int64_t per = ceilDiv(tilesH, ex.taskCount(tilesH, ex.decodeTasksPerThread));
    ex.run(ceilDiv(tilesH, per), [&](int64_t task) {
      const int64_t tile0 = task * per, tile1 = minI(tilesH, tile0 + per);
      zeroTiles(tile0, tile1);
      for (int64_t a = 0; a < nActive; ++a)
        for (int64_t tile = tile0; tile < tile1; ++tile) {
          // Next: this expert's next tile, else the next expert's first.
          int64_t next = tile + 1 < tile1 ? active[a] * Hd + (tile + 1) * kTileRows
                         : a + 1 < nActive ? active[a + 1] * Hd + tile0 * kTileRows
                                           : -1;
          int64_t ahead = next < 0 ? 0 : (next - (active[a] * Hd + tile * kTileRows)) *
                                             rowBytes(WT, I);
          downTile(a, tile, ahead);
        }
    });
  } else {
    // Prefill: a task per tile, every expert's rows for it in turn; an
    // expert with one slot prefetches the next expert's.
    ex.run(tilesH, [&](int64_t tile) {
      zeroTiles(tile, tile + 1);
      for (int64_t a = 0; a < nActive; ++a)
        downTile(a, tile,
                 a + 1 < nActive ? (active[a + 1] - active[a]) * Hd * rowBytes(WT, I) : 0);
    });
  }
}

} // namespace detail

/// Routed experts of a DeepSeek MoE layer; see the file comment. x [n, Hd];
/// ids, weights [n, TopK] (moeTopk's); gateUp [E][2I][Hd] (per expert its
/// gate rows, then its up rows); down [E][Hd][I]; their scales, stacked the
/// same way, for WType::F8E4M3 the row-expanded f32 block scales
/// gateUpScales [E][2I][ceil(Hd/128)] and downScales [E][Hd][ceil(I/128)],
/// for the integer types (group G) the f16 group scales [E][2I][Hd/G] and
/// [E][Hd][I/G] (ignored for the others). out [n, Hd] is overwritten and must
/// not alias x. kQuantAct: the expert inputs x and h are fake-quantized per
/// 1x128 block first (W8A8 with FP8 weights, see Quant.h).
template <int64_t E, int64_t TopK, int64_t Hd, int64_t I, WType WT, bool kQuantAct = false>
void moeExperts(const Exec &ex, const float *x, int64_t n, const int32_t *ids,
                const float *weights, const void *gateUp, const void *down,
                const void *gateUpScales, const void *downScales, float *out) {
  static_assert(E >= 1 && TopK >= 1 && Hd >= 1 && I >= 1, "empty MoE");
  static_assert(detail::kWholeGroups<WT, Hd> && detail::kWholeGroups<WT, I>,
                "integer weights need Hd and I multiples of their group");
  static_assert(!(kQuantAct && isIntW(WT)), "W8A8 activations go with FP8 weights only");
  const auto *gu = static_cast<const WElem<WT> *>(gateUp);
  const auto *dn = static_cast<const WElem<WT> *>(down);
  for (int64_t t0 = 0; t0 < n; t0 += detail::kMoeTokenChunk) {
    int64_t cn = detail::minI(detail::kMoeTokenChunk, n - t0);
    detail::moeChunk<E, TopK, Hd, I, WT, kQuantAct>(ex, x + t0 * Hd, cn, ids + t0 * TopK,
                                                    weights + t0 * TopK, gu, dn, gateUpScales,
                                                    downScales, out + t0 * Hd);
  }
}

} // namespace r1hk

#endif // R1HK_MOE_H
