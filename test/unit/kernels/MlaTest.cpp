//===- MlaTest.cpp - Latent attention: absorbed and materialized vs double ===//
//
// mla() in both forms, fed a sequence in chunks (5, 1, 3 tokens, and a
// prefill of 70 that crosses the 64-key blocks of the online softmax), is
// checked against a double-precision reference computed straight from the
// definition (keys and values expanded from every latent row with kv_b_proj,
// dequantized exactly); the two forms against each other; the cache rows;
// 1 against 3 threads (same bits); and tokens whose positions lie outside
// [0, cap), which must neither store nor read a row. Weights: f32, bf16 and
// FP8 with 128-element block scales (partial blocks), the transposed key
// part in the same type or, for FP8, in f32 (the compiler's fallback).
//
//===----------------------------------------------------------------------===//
#include "KernelTestUtil.h"

#include <algorithm>
#include <limits>

namespace r1hk::test {
namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

/// A random e4m3fn code that is not NaN.
uint8_t randomF8(Rng &rng) {
  uint8_t b;
  do
    b = uint8_t(rng.integer(0, 255));
  while ((b & 0x7f) == 0x7f);
  return b;
}

/// kv_b_proj [H * (Nope + Dv), Rank] in WT, the exact value of each element,
/// and the key part transposed per head, [H * Rank, Nope] in WTk.
template <int64_t H, int64_t Nope, int64_t Dv, int64_t Rank, WType WT, WType WTk>
struct MlaWeights {
  static constexpr int64_t Dkv = Nope + Dv, Rows = H * Dkv;
  static constexpr int64_t KB = (Rank + 127) / 128, KBt = (Nope + 127) / 128;
  std::vector<WElem<WT>> kvB;
  std::vector<float> kvBScales; // F8 only: [Rows, KB]
  std::vector<double> value;    // [Rows, Rank]
  std::vector<WElem<WTk>> wukT;
  std::vector<float> wukTScales; // F8 only: [H * Rank, KBt]

  explicit MlaWeights(Rng &rng) : kvB(size_t(Rows * Rank)), value(kvB.size()) {
    if constexpr (WT != WType::F8E4M3) {
      static_assert(WT == WTk, "only FP8 has a transposed key part of another type");
      Weights<WT> w(size_t(Rows * Rank), rng);
      kvB = w.raw, value = w.value;
    } else {
      // Scales per 128 x 128 block of a head's key rows (DeepSeek's blocks),
      // when the transposed key part keeps FP8: its scales are then the
      // same blocks transposed. Otherwise, and for value rows, per row.
      kvBScales.resize(size_t(Rows * KB));
      for (float &s : kvBScales)
        s = rng.uniform(0.2f, 2.0f) * 0x1p-10f;
      if constexpr (WTk == WType::F8E4M3)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t d = 0; d < Nope; ++d)
            for (int64_t cb = 0; cb < KB; ++cb)
              kvBScales[size_t((h * Dkv + d) * KB + cb)] =
                  kvBScales[size_t((h * Dkv + d / 128 * 128) * KB + cb)];
      for (int64_t r = 0; r < Rows; ++r)
        for (int64_t c = 0; c < Rank; ++c) {
          uint8_t b = randomF8(rng);
          kvB[size_t(r * Rank + c)] = b;
          value[size_t(r * Rank + c)] =
              double(f8e4m3ToF32(b)) * double(kvBScales[size_t(r * KB + c / 128)]);
        }
    }
    wukT.resize(size_t(H * Rank * Nope));
    if constexpr (WTk == WType::F8E4M3)
      wukTScales.resize(size_t(H * Rank * KBt));
    for (int64_t h = 0; h < H; ++h)
      for (int64_t c = 0; c < Rank; ++c)
        for (int64_t d = 0; d < Nope; ++d) {
          size_t src = size_t((h * Dkv + d) * Rank + c), dst = size_t((h * Rank + c) * Nope + d);
          if constexpr (WTk == WT)
            wukT[dst] = kvB[src];
          else // f32 from FP8: fp8 * scale rounded once, as the kernels dequantize
            wukT[dst] = f8e4m3ToF32(kvB[src]) * kvBScales[size_t((h * Dkv + d) * KB + c / 128)];
          if constexpr (WTk == WType::F8E4M3)
            wukTScales[size_t((h * Rank + c) * KBt + d / 128)] =
                kvBScales[size_t((h * Dkv + d) * KB + c / 128)];
        }
  }

  const float *kvBScalesOrNull() const { return kvBScales.empty() ? nullptr : kvBScales.data(); }
  const float *wukTScalesOrNull() const { return wukTScales.empty() ? nullptr : wukTScales.data(); }
};

/// One test sequence: per token q, latent, kpe and a position.
struct MlaInputs {
  std::vector<float> q, latent, kpe;
  std::vector<int32_t> pos;
};

/// want[t, h, e] and its tolerance from the definition, in double. Row p of
/// the cache is the latent and kpe of the token stored at p.
template <int64_t H, int64_t Nope, int64_t Rope, int64_t Dv, int64_t Rank, class W>
void reference(const MlaInputs &in, int64_t cap, float scale, const W &w, std::vector<double> &want,
               std::vector<double> &tol) {
  constexpr int64_t Dq = Nope + Rope, Dkv = Nope + Dv;
  const int64_t n = int64_t(in.pos.size());
  std::vector<int64_t> owner(size_t(cap), -1); // the token whose row p is
  for (int64_t t = 0; t < n; ++t)
    if (in.pos[size_t(t)] >= 0 && in.pos[size_t(t)] < cap)
      owner[size_t(in.pos[size_t(t)])] = t;
  // Per row and head: expanded key part and value, and the sums of |terms|.
  std::vector<double> kv(size_t(cap * H * Dkv)), kvAbs(kv.size());
  for (int64_t p = 0; p < cap; ++p) {
    if (owner[size_t(p)] < 0)
      continue;
    const float *lat = in.latent.data() + owner[size_t(p)] * Rank;
    for (int64_t r = 0; r < H * Dkv; ++r) {
      double s = 0, a = 0;
      for (int64_t c = 0; c < Rank; ++c) {
        double term = w.value[size_t(r * Rank + c)] * double(lat[c]);
        s += term, a += std::fabs(term);
      }
      kv[size_t(p * H * Dkv + r)] = s, kvAbs[size_t(p * H * Dkv + r)] = a;
    }
  }
  want.assign(size_t(n * H * Dv), 0.0);
  tol.assign(want.size(), 1e-30);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t L = std::max<int64_t>(0, std::min<int64_t>(in.pos[size_t(t)] + 1, cap));
      if (L == 0)
        continue; // nothing to attend to: exactly 0
      const float *qh = in.q.data() + (t * H + h) * Dq;
      std::vector<double> s(static_cast<size_t>(L)), mag(s.size());
      double m = -1e300, l = 0;
      for (int64_t j = 0; j < L; ++j) {
        EXPECT_GE(owner[size_t(j)], 0) << "test bug: token " << t << " would read unwritten row";
        const double *k = kv.data() + (j * H + h) * Dkv, *ka = kvAbs.data() + (j * H + h) * Dkv;
        const float *pe = in.kpe.data() + owner[size_t(j)] * Rope;
        double d = 0, a = 0;
        for (int64_t e = 0; e < Nope; ++e)
          d += double(qh[e]) * k[e], a += std::fabs(double(qh[e])) * ka[e];
        for (int64_t e = 0; e < Rope; ++e)
          d += double(qh[Nope + e]) * pe[e], a += std::fabs(double(qh[Nope + e]) * pe[e]);
        s[size_t(j)] = double(scale) * d, mag[size_t(j)] = double(scale) * a;
        m = std::max(m, s[size_t(j)]);
      }
      for (double &e : s)
        l += (e = std::exp(e - m));
      for (int64_t e = 0; e < Dv; ++e) {
        double o = 0;
        for (int64_t j = 0; j < L; ++j)
          o += s[size_t(j)] / l * kv[size_t((j * H + h) * Dkv + Nope + e)];
        // fp32 error scales: the value's sum of |terms|, and each score's
        // (an error ds in score j moves the output by p_j ds (v_j - o)).
        double bound = 0;
        for (int64_t j = 0; j < L; ++j) {
          size_t i = size_t((j * H + h) * Dkv + Nope + e);
          bound +=
              s[size_t(j)] / l * (kvAbs[i] + mag[size_t(j)] * (std::fabs(kv[i]) + std::fabs(o)));
        }
        want[size_t((t * H + h) * Dv + e)] = o;
        tol[size_t((t * H + h) * Dv + e)] = 1e-5 * bound + 1e-6;
      }
    }
}

/// Runs mla over the tokens in `chunks` (one call per chunk) into a fresh
/// cache of cap rows plus 2 guard rows, NaN-filled.
template <int64_t H, int64_t Nope, int64_t Rope, int64_t Dv, int64_t Rank, WType WT, WType WTk,
          bool kAbsorbed, class W>
void runMla(const Exec &ex, const MlaInputs &in, const std::vector<int64_t> &chunks, int64_t cap,
            float scale, const W &w, std::vector<float> &cache, std::vector<float> &out) {
  constexpr int64_t Dq = Nope + Rope;
  cache.assign(size_t((cap + 2) * (Rank + Rope)), kNaN);
  out.assign(in.pos.size() * H * Dv, kNaN);
  int64_t t0 = 0;
  for (int64_t c : chunks) {
    mla<H, Nope, Rope, Dv, Rank, WT, WTk, kAbsorbed>(
        ex, in.q.data() + t0 * H * Dq, in.latent.data() + t0 * Rank, in.kpe.data() + t0 * Rope, c,
        in.pos.data() + t0, scale, cache.data(), cap, w.kvB.data(), w.kvBScalesOrNull(),
        kAbsorbed ? static_cast<const void *>(w.wukT.data()) : nullptr,
        kAbsorbed ? w.wukTScalesOrNull() : nullptr, out.data() + t0 * H * Dv);
    t0 += c;
  }
}

/// Checks both forms on tokens at `pos`, fed in `chunks`, against the
/// reference; see the file comment.
template <int64_t H, int64_t Nope, int64_t Rope, int64_t Dv, int64_t Rank, WType WT, WType WTk>
void checkMla(const std::string &label, std::vector<int32_t> pos, std::vector<int64_t> chunks,
              int64_t cap) {
  constexpr int64_t Dq = Nope + Rope, Row = Rank + Rope;
  const int64_t n = int64_t(pos.size());
  int64_t total = 0;
  for (int64_t c : chunks)
    total += c;
  ASSERT_EQ(total, n) << "test bug: chunks must cover the tokens";
  Rng rng(uint64_t(H * 1000003 + Nope * 10007 + Rope * 101 + Dv * 13 + Rank * 7 + int(WT) * 3 +
                   int(WTk)));
  MlaWeights<H, Nope, Dv, Rank, WT, WTk> w(rng);
  MlaInputs in;
  in.q = rng.floats(size_t(n * H * Dq), -1, 1);
  in.latent.resize(size_t(n * Rank));
  in.kpe.resize(size_t(n * Rope));
  // Latent rows of varied size so that some later scores exceed the running max.
  for (int64_t t = 0; t < n; ++t) {
    float s = rng.uniform(0.1f, 3.0f);
    for (int64_t c = 0; c < Rank; ++c)
      in.latent[size_t(t * Rank + c)] = s * rng.uniform(-1, 1);
    for (int64_t e = 0; e < Rope; ++e)
      in.kpe[size_t(t * Rope + e)] = s * rng.uniform(-1, 1);
  }
  in.pos = std::move(pos);
  const float scale = float(1.0 / std::sqrt(double(Dq)));
  std::vector<double> want, tol;
  reference<H, Nope, Rope, Dv, Rank>(in, cap, scale, w, want, tol);

  // The cache as it must be after the sequence: the rows stored, NaN elsewhere.
  std::vector<float> wantCache(size_t((cap + 2) * Row), kNaN);
  for (int64_t t = 0; t < n; ++t) {
    int64_t p = in.pos[size_t(t)];
    if (p < 0 || p >= cap)
      continue;
    std::copy_n(in.latent.begin() + t * Rank, Rank, wantCache.begin() + p * Row);
    std::copy_n(in.kpe.begin() + t * Rope, Rope, wantCache.begin() + p * Row + Rank);
  }

  std::vector<float> results[2]; // per form (index kAbsorbed), 1 thread
  for (bool absorbed : {false, true})
    for (int threads : {1, 3}) {
      TestPool pool(threads);
      std::vector<float> cache, out;
      if (absorbed)
        runMla<H, Nope, Rope, Dv, Rank, WT, WTk, true>(pool.exec(true), in, chunks, cap, scale, w,
                                                       cache, out);
      else
        runMla<H, Nope, Rope, Dv, Rank, WT, WTk, false>(pool.exec(true), in, chunks, cap, scale, w,
                                                        cache, out);
      std::string what = "mla " + label + (absorbed ? " absorbed" : " materialized") +
                         " threads=" + std::to_string(threads);
      expectClose(out.data(), want, tol, what);
      EXPECT_EQ(std::memcmp(cache.data(), wantCache.data(), cache.size() * sizeof(float)), 0)
          << what << ": cache rows differ from the stored tokens (or guard rows were written)";
      if (results[absorbed].empty())
        results[absorbed] = out;
      else
        EXPECT_TRUE(sameBits(results[absorbed], out)) << what << ": differs from 1 thread";
    }

  // The two forms agree with each other as closely as with the reference.
  std::vector<double> materialized(results[0].begin(), results[0].end());
  expectClose(results[1].data(), materialized, tol, "mla " + label + " absorbed vs materialized");

  // The absorbed form's (token, head) results do not depend on the chunking.
  TestPool pool(1);
  std::vector<float> cache, once;
  runMla<H, Nope, Rope, Dv, Rank, WT, WTk, true>(pool.exec(true), in, {n}, cap, scale, w, cache,
                                                 once);
  EXPECT_TRUE(sameBits(results[1], once)) << "mla " << label << ": absorbed in chunks differs "
                                          << "from one call";
}

/// Tokens at positions 0..n-1 in the given chunks, with 3 spare cache rows.
template <int64_t H, int64_t Nope, int64_t Rope, int64_t Dv, int64_t Rank, WType WT, WType WTk>
void checkSequence(const std::string &label, std::vector<int64_t> chunks) {
  int64_t n = 0;
  for (int64_t c : chunks)
    n += c;
  std::vector<int32_t> pos(static_cast<size_t>(n));
  for (int64_t t = 0; t < n; ++t)
    pos[size_t(t)] = int32_t(t);
  checkMla<H, Nope, Rope, Dv, Rank, WT, WTk>(label, pos, chunks, n + 3);
}

constexpr WType F32 = WType::F32, BF16 = WType::BF16, F8 = WType::F8E4M3;

TEST(Mla, F32) { checkSequence<3, 24, 8, 20, 40, F32, F32>("f32", {5, 1, 3, 70}); }
// No dimension (nor Nope + Rope, Rank + Rope, Nope + Dv) a multiple of 8.
TEST(Mla, F32OddDims) { checkSequence<3, 25, 10, 19, 43, F32, F32>("f32 odd", {5, 1, 3}); }
TEST(Mla, Bf16) { checkSequence<3, 24, 8, 20, 40, BF16, BF16>("bf16", {5, 1, 3, 70}); }
TEST(Mla, F8) { checkSequence<3, 24, 8, 20, 40, F8, F8>("f8", {5, 1, 3, 70}); }
// The compiler's fallback when the block scales do not transpose.
TEST(Mla, F8TransposedKeysF32) { checkSequence<3, 24, 8, 20, 40, F8, F32>("f8/f32", {5, 1, 3}); }
// Partial 128-element blocks along Rank (kvB) and along Nope (wukT).
TEST(Mla, F8PartialBlocks) { checkSequence<2, 136, 8, 20, 160, F8, F8>("f8 rank=160", {70, 2}); }
TEST(Mla, F8PartialBlocksTransposedKeysF32) {
  checkSequence<2, 24, 8, 20, 160, F8, F32>("f8/f32 rank=160", {5, 1, 3});
}

// Positions -1, -7, cap and cap + 3 store nothing; the first two attend to
// nothing (output 0), the last two to the whole cache (rows 0..cap-1).
TEST(Mla, PositionsOutsideTheCache) {
  std::vector<int32_t> pos = {0, 1, -1, 2, 3, /**/ 4, 5, 10, 6, 7, -7, 8, 9, 13};
  checkMla<3, 24, 8, 20, 40, F32, F32>("outside f32", pos, {5, 9}, 10);
  checkMla<3, 24, 8, 20, 40, F8, F8>("outside f8", pos, {5, 9}, 10);
}

} // namespace
} // namespace r1hk::test
