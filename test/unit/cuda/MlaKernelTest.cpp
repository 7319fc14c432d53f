//===- MlaKernelTest.cpp - The CUDA latent attention kernels, emulated ----===//
//
// codegen/cuda/kernels/Mla.cuh on the host (R1CudaEmu.h): a sequence is fed
// in chunks, each a store launch then an attend launch, beside both forms of
// r1hk::mla (absorbed and materialized), each on its own contiguous cache.
// The kernels' cache is paged through a block table: the identity, or blocks
// permuted among a pool with unused ones (PagedCache). After every chunk each
// position's row must hold the same bits in all three caches, and the pool
// rows no position maps to must be untouched; the kernel's outputs must agree
// with a double-precision reference computed from the definition (keys and
// values expanded from the latent rows with kv_b_proj, dequantized exactly)
// and with both host forms. Weights: f32, bf16, FP8 with 128-element block
// scales (also partial blocks), W_UK^T kept in FP8 or dequantized to f32.
// Long chunks are stored whole but attended for a few rows only (see
// AttentionKernelTest.cpp for why).
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/kernels/Mla.cuh"
#include "test/unit/cuda/PagedCache.h"
#include "test/unit/kernels/KernelTestUtil.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

namespace {

using r1ck::test::PagedCache;

using r1hk::WElem;
using r1hk::test::expectClose;
using r1hk::test::Rng;
using HostW = r1hk::WType;
using CudaW = r1ck::WType;

const float kNaN = std::numeric_limits<float>::quiet_NaN();

constexpr CudaW cudaType(HostW wt) {
  return wt == HostW::F32 ? CudaW::F32
         : wt == HostW::BF16 ? CudaW::BF16
         : wt == HostW::F16  ? CudaW::F16
                             : CudaW::F8E4M3;
}

template <int64_t Rank, int64_t Rope, int kThreads>
R1_GLOBAL void storeKernel(const float *latent, const float *kpe, const int32_t *pos,
                           const int32_t *blocks, float *cache) {
  r1ck::mlaStore<Rank, Rope, kThreads>(latent, kpe, pos, blocks, cache);
}

template <int64_t H, int64_t Nope, int64_t Rope, int64_t Dv, int64_t Rank, CudaW WT, CudaW WTk,
          int kThreads>
R1_GLOBAL void attendKernel(const float *q, const int32_t *pos, const int32_t *blocks,
                            const float *cache, const void *kvB, const float *kvBScales,
                            const void *wukT, const float *wukTScales, float scale, float *out) {
  r1ck::mlaAttend<H, Nope, Rope, Dv, Rank, WT, WTk, kThreads>(q, pos, blocks, cache, kvB, kvBScales,
                                                              wukT, wukTScales, scale, out);
}

/// A random e4m3fn code that is not NaN.
uint8_t randomF8(Rng &rng) {
  uint8_t b;
  do
    b = uint8_t(rng.integer(0, 255));
  while ((b & 0x7f) == 0x7f);
  return b;
}

/// kv_b_proj [H * (Nope + Dv), Rank] in WT with the exact value of each
/// element, and the key part transposed per head, [H * Rank, Nope] in WTk,
/// built as the compiler packs it (r1k.packed_weight): FP8 codes and their
/// block scales transposed together, or f32 = code * scale rounded once.
template <int64_t H, int64_t Nope, int64_t Dv, int64_t Rank, HostW WT, HostW WTk>
struct MlaWeights {
  static constexpr int64_t Dkv = Nope + Dv, Rows = H * Dkv;
  static constexpr int64_t KB = (Rank + 127) / 128, KBt = (Nope + 127) / 128;
  std::vector<WElem<WT>> kvB;
  std::vector<float> kvBScales; // F8 only: [Rows, KB]
  std::vector<double> value;    // [Rows, Rank]
  std::vector<WElem<WTk>> wukT;
  std::vector<float> wukTScales; // F8 only: [H * Rank, KBt]

  explicit MlaWeights(Rng &rng) : kvB(size_t(Rows * Rank)), value(kvB.size()) {
    if constexpr (WT != HostW::F8E4M3) {
      static_assert(WT == WTk, "only FP8 has a transposed key part of another type");
      r1hk::test::Weights<WT> w(size_t(Rows * Rank), rng);
      kvB = w.raw, value = w.value;
    } else {
      // One scale per 128 x 128 block of a head's key rows when W_UK^T stays
      // FP8 (DeepSeek's blocks, which transpose); otherwise per row.
      kvBScales.resize(size_t(Rows * KB));
      for (float &s : kvBScales)
        s = rng.uniform(0.2f, 2.0f) * 0x1p-10f;
      if constexpr (WTk == HostW::F8E4M3)
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
              double(r1hk::f8e4m3ToF32(b)) * double(kvBScales[size_t(r * KB + c / 128)]);
        }
    }
    wukT.resize(size_t(H * Rank * Nope));
    if constexpr (WTk == HostW::F8E4M3)
      wukTScales.resize(size_t(H * Rank * KBt));
    for (int64_t h = 0; h < H; ++h)
      for (int64_t c = 0; c < Rank; ++c)
        for (int64_t d = 0; d < Nope; ++d) {
          size_t src = size_t((h * Dkv + d) * Rank + c), dst = size_t((h * Rank + c) * Nope + d);
          if constexpr (WTk == WT)
            wukT[dst] = kvB[src];
          else
            wukT[dst] =
                r1hk::f8e4m3ToF32(kvB[src]) * kvBScales[size_t((h * Dkv + d) * KB + c / 128)];
          if constexpr (WTk == HostW::F8E4M3)
            wukTScales[size_t((h * Rank + c) * KBt + d / 128)] =
                kvBScales[size_t((h * Dkv + d) * KB + c / 128)];
        }
  }

  const float *kvBScalesOrNull() const { return kvBScales.empty() ? nullptr : kvBScales.data(); }
  const float *wukTScalesOrNull() const { return wukTScales.empty() ? nullptr : wukTScales.data(); }
};

/// The sequence: per token q [H, Nope + Rope], latent [Rank], kpe [Rope], a
/// position.
struct Sequence {
  std::vector<float> q, latent, kpe;
  std::vector<int32_t> pos;
};

/// out[t, :, :] in double from the definition over the tokens stored at
/// positions 0..pos[t] (owner[p]: the token whose row p is), with its fp32
/// tolerance: the value's sum of |terms|, and each score's (an error ds in
/// score j moves the output by p_j ds (v_j - o)).
template <int64_t H, int64_t Nope, int64_t Rope, int64_t Dv, int64_t Rank, class W>
void reference(const Sequence &in, const std::vector<int64_t> &owner, int64_t t, float scale,
               const W &w, std::vector<double> &want, std::vector<double> &tol) {
  constexpr int64_t Dq = Nope + Rope, Dkv = Nope + Dv;
  want.assign(size_t(H * Dv), 0.0);
  tol.assign(want.size(), 1e-30);
  const int64_t L = int64_t(in.pos[size_t(t)]) + 1;
  if (L <= 0)
    return; // nothing to attend to: exactly 0
  // Per row and head: the expanded key part and value, and sums of |terms|.
  std::vector<double> kv(size_t(L * H * Dkv)), kvAbs(kv.size());
  for (int64_t j = 0; j < L; ++j) {
    EXPECT_GE(owner[size_t(j)], 0) << "test bug: row " << j << " was never stored";
    const float *lat = in.latent.data() + owner[size_t(j)] * Rank;
    for (int64_t r = 0; r < H * Dkv; ++r) {
      double s = 0, a = 0;
      for (int64_t c = 0; c < Rank; ++c) {
        double term = w.value[size_t(r * Rank + c)] * double(lat[c]);
        s += term, a += std::fabs(term);
      }
      kv[size_t(j * H * Dkv + r)] = s, kvAbs[size_t(j * H * Dkv + r)] = a;
    }
  }
  for (int64_t h = 0; h < H; ++h) {
    const float *qh = in.q.data() + (t * H + h) * Dq;
    std::vector<double> s(static_cast<size_t>(L)), mag(s.size());
    double m = -1e300, l = 0;
    for (int64_t j = 0; j < L; ++j) {
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
      double o = 0, bound = 0;
      for (int64_t j = 0; j < L; ++j)
        o += s[size_t(j)] / l * kv[size_t((j * H + h) * Dkv + Nope + e)];
      for (int64_t j = 0; j < L; ++j) {
        size_t i = size_t((j * H + h) * Dkv + Nope + e);
        bound +=
            s[size_t(j)] / l * (kvAbs[i] + mag[size_t(j)] * (std::fabs(kv[i]) + std::fabs(o)));
      }
      want[size_t(h * Dv + e)] = o;
      tol[size_t(h * Dv + e)] = 1e-5 * bound + 1e-6;
    }
  }
}

/// Runs the sequence in `chunks` through the kernels, on a cache paged as
/// `permuted` says (PagedCache), and both host forms; see the file comment.
/// Chunks of more than 8 tokens are attended on the emulated GPU for rows 0,
/// 1, 63, 64 and the last only.
template <int64_t H, int64_t Nope, int64_t Rope, int64_t Dv, int64_t Rank, HostW WT, HostW WTk,
          int kThreads = 128>
void checkMla(const std::string &label, std::vector<int32_t> positions, std::vector<int64_t> chunks,
              int64_t cap, bool permuted = false) {
  constexpr int64_t Dq = Nope + Rope, Row = Rank + Rope;
  const int64_t n = int64_t(positions.size());
  int64_t total = 0;
  for (int64_t c : chunks)
    total += c;
  ASSERT_EQ(total, n) << "test bug: chunks must cover the tokens";
  Rng rng(uint64_t(H * 1000003 + Nope * 10007 + Rope * 101 + Dv * 13 + Rank * 7 + int(WT) * 3 +
                   int(WTk)));
  const MlaWeights<H, Nope, Dv, Rank, WT, WTk> w(rng);
  Sequence in;
  in.q = rng.floats(size_t(n * H * Dq), -1, 1);
  in.latent.resize(size_t(n * Rank));
  in.kpe.resize(size_t(n * Rope));
  // Rows of varied size so that later scores exceed the running max.
  for (int64_t t = 0; t < n; ++t) {
    float s = rng.uniform(0.1f, 3.0f);
    for (int64_t c = 0; c < Rank; ++c)
      in.latent[size_t(t * Rank + c)] = s * rng.uniform(-1, 1);
    for (int64_t e = 0; e < Rope; ++e)
      in.kpe[size_t(t * Rope + e)] = s * rng.uniform(-1, 1);
  }
  in.pos = std::move(positions);
  const float scale = float(1.0 / std::sqrt(double(Dq)));

  // The host's caches of cap rows plus a guard row and the kernels' pool,
  // NaN until stored.
  const PagedCache paged(cap, permuted);
  const int32_t *blocks = paged.table.data();
  std::vector<float> absorbedCache(size_t((cap + 1) * Row), kNaN);
  std::vector<float> materializedCache = absorbedCache;
  std::vector<float> cache(size_t(paged.poolRows * Row), kNaN);
  std::vector<float> absorbedOut(size_t(n * H * Dv), kNaN);
  std::vector<float> materializedOut = absorbedOut, out = absorbedOut;
  std::vector<int64_t> owner(size_t(cap), -1);
  auto *store = &storeKernel<Rank, Rope, kThreads>;
  auto *attend = &attendKernel<H, Nope, Rope, Dv, Rank, cudaType(WT), cudaType(WTk), kThreads>;
  const r1hk::Exec serial{nullptr, nullptr, 1, true};

  int64_t t0 = 0;
  for (int64_t c : chunks) {
    const std::string what = label + " chunk at token " + std::to_string(t0);
    const float *q = in.q.data() + t0 * H * Dq, *latent = in.latent.data() + t0 * Rank;
    const float *kpe = in.kpe.data() + t0 * Rope;
    const int32_t *pos = in.pos.data() + t0;
    r1hk::mla<H, Nope, Rope, Dv, Rank, WT, WTk, true>(
        serial, q, latent, kpe, c, pos, scale, absorbedCache.data(), cap, w.kvB.data(),
        w.kvBScalesOrNull(), w.wukT.data(), w.wukTScalesOrNull(), absorbedOut.data() + t0 * H * Dv);
    r1hk::mla<H, Nope, Rope, Dv, Rank, WT, WTk, false>(
        serial, q, latent, kpe, c, pos, scale, materializedCache.data(), cap, w.kvB.data(),
        w.kvBScalesOrNull(), nullptr, nullptr, materializedOut.data() + t0 * H * Dv);
    R1_LAUNCH(store, dim3(unsigned(c)), dim3(kThreads), 0, nullptr, latent, kpe, pos, blocks,
              cache.data());
    EXPECT_TRUE(paged.matches(cache, absorbedCache, Row, cap, kNaN)) << what << ": cache differs";
    EXPECT_TRUE(r1hk::test::sameBits(absorbedCache, materializedCache))
        << what << ": host caches differ";
    EXPECT_TRUE(std::isnan(absorbedCache[size_t(cap * Row)])) << what << ": host guard row written";
    for (int64_t t = t0; t < t0 + c; ++t)
      if (in.pos[size_t(t)] >= 0)
        owner[size_t(in.pos[size_t(t)])] = t;

    std::set<int64_t> rows; // within the chunk
    const void *wukT = w.wukT.data();
    if (c <= 8) {
      for (int64_t r = 0; r < c; ++r)
        rows.insert(r);
      R1_LAUNCH(attend, dim3(unsigned(c), unsigned(H)), dim3(kThreads), 0, nullptr, q, pos, blocks,
                cache.data(), w.kvB.data(), w.kvBScalesOrNull(), wukT, w.wukTScalesOrNull(), scale,
                out.data() + t0 * H * Dv);
    } else {
      for (int64_t r : {int64_t(0), int64_t(1), int64_t(63), int64_t(64), c - 1})
        if (r < c)
          rows.insert(r);
      for (int64_t r : rows)
        R1_LAUNCH(attend, dim3(1, unsigned(H)), dim3(kThreads), 0, nullptr, q + r * H * Dq,
                  pos + r, blocks, cache.data(), w.kvB.data(), w.kvBScalesOrNull(), wukT,
                  w.wukTScalesOrNull(), scale, out.data() + (t0 + r) * H * Dv);
    }
    for (int64_t r : rows) {
      const int64_t t = t0 + r;
      std::vector<double> want, tol;
      reference<H, Nope, Rope, Dv, Rank>(in, owner, t, scale, w, want, tol);
      const std::string row = what + " token " + std::to_string(t) + " (" +
                              std::to_string(std::max(in.pos[size_t(t)] + 1, 0)) + " keys)";
      const float *got = out.data() + t * H * Dv;
      expectClose(got, want, tol, "cuda " + row);
      for (const std::vector<float> *host : {&absorbedOut, &materializedOut}) {
        std::vector<double> form(host->begin() + t * H * Dv, host->begin() + (t + 1) * H * Dv);
        const char *name = host == &absorbedOut ? "absorbed " : "materialized ";
        expectClose(host->data() + t * H * Dv, want, tol,
                    std::string("host ") + name + row);
        expectClose(got, form, tol, std::string("cuda vs host ") + name + row);
      }
    }
    t0 += c;
  }
}

std::vector<int32_t> iota(int64_t n) {
  std::vector<int32_t> pos(static_cast<size_t>(n));
  for (int64_t t = 0; t < n; ++t)
    pos[size_t(t)] = int32_t(t);
  return pos;
}

constexpr HostW F32 = HostW::F32, BF16 = HostW::BF16, F8 = HostW::F8E4M3;

// The tiny test models' shape: lengths 1, 2..5 over a cache holding earlier
// tokens, and a decode step; W_UK^T in f32 beside FP8 kv_b_proj, as the
// compiler packs it when Nope + Dv is not a multiple of 128.
TEST(CudaMla, TinyShapeF32) {
  checkMla<4, 32, 16, 32, 64, F32, F32>("tiny f32", iota(6), {1, 4, 1}, 8);
}
TEST(CudaMla, TinyShapeBf16) {
  checkMla<4, 32, 16, 32, 64, BF16, BF16>("tiny bf16", iota(6), {1, 4, 1}, 8);
}
TEST(CudaMla, TinyShapeF8TransposedKeysF32) {
  checkMla<4, 32, 16, 32, 64, F8, F32>("tiny f8/f32", iota(6), {1, 4, 1}, 8);
}

// A 296-token prompt, then decode steps up to 300 keys, the cache's 5
// blocks permuted among a pool of 11.
TEST(CudaMla, LongContext) {
  checkMla<4, 32, 16, 32, 64, F8, F32>("long f8/f32", iota(300), {296, 3, 1}, 300, true);
}

// R1's head sizes (Nope = Dv = 128, Rope 64, Rank 512) on 2 heads: W_UK^T
// kept in FP8 with its transposed block scales, or dequantized to f32 (over
// a permuted table, across the first block boundary).
TEST(CudaMla, R1HeadsF8) { checkMla<2, 128, 64, 128, 512, F8, F8>("r1 f8", iota(7), {3, 4}, 8); }
TEST(CudaMla, R1HeadsF8TransposedKeysF32) {
  checkMla<2, 128, 64, 128, 512, F8, F32>("r1 f8/f32", iota(70), {66, 4}, 70, true);
}

// No dimension a multiple of 32 (nor of 8); FP8 partial 128-element blocks
// along Rank (kv_b_proj) and along Nope (W_UK^T); 64 and 256 threads.
TEST(CudaMla, OddShapes) {
  checkMla<3, 25, 10, 19, 43, F32, F32>("odd f32", iota(9), {5, 4}, 9);
  checkMla<2, 136, 8, 20, 160, F8, F8, 64>("f8 partial blocks", iota(9), {6, 3}, 10);
  checkMla<2, 24, 8, 20, 160, F8, F32, 256>("f8/f32 partial blocks", iota(5), {2, 3}, 5);
}

// A negative position stores nothing and attends to nothing (output 0), as
// on the host.
TEST(CudaMla, NegativePosition) {
  checkMla<4, 32, 16, 32, 64, F8, F32>("negative", {0, 1, -1, 2, -5, 3}, {3, 3}, 4);
}

} // namespace
