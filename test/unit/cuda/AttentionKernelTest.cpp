//===- AttentionKernelTest.cpp - The CUDA GQA attention kernels, emulated -===//
//
// codegen/cuda/kernels/Attention.cuh on the host (R1CudaEmu.h): a sequence is
// fed in chunks, each a store launch then an attend launch, as the generated
// code runs it, beside r1hk::attention on its own contiguous cache. The
// kernels' cache is paged through a block table: the identity, or blocks
// permuted among a pool with unused ones (PagedCache). After every chunk
// each position's row must hold the same bits in both caches, and the pool
// rows no position maps to must be untouched; the kernel's outputs must agree
// with a double-precision softmax and with the host kernel's outputs. Long
// chunks (a prompt of hundreds of tokens) are stored whole but attended for
// a few of their rows only, one launch per row: the emulator runs each warp
// shuffle as a barrier of OS threads, too slow for hundreds of blocks that
// each scan hundreds of keys.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/kernels/Attention.cuh"
#include "test/unit/cuda/PagedCache.h"
#include "test/unit/kernels/KernelTestUtil.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

namespace {

using r1ck::test::PagedCache;

using r1hk::test::expectClose;
using r1hk::test::Rng;

const float kNaN = std::numeric_limits<float>::quiet_NaN();

template <int64_t Hkv, int64_t D, int64_t Dv, int kThreads>
R1_GLOBAL void storeKernel(const float *k, const float *v, const int32_t *pos,
                           const int32_t *blocks, float *keys, float *values) {
  r1ck::attentionStore<Hkv, D, Dv, kThreads>(k, v, pos, blocks, keys, values);
}

template <int64_t Hq, int64_t Hkv, int64_t D, int64_t Dv, int kThreads>
R1_GLOBAL void attendKernel(const float *q, const int32_t *pos, const int32_t *blocks,
                            const float *keys, const float *values, float scale, float *out) {
  r1ck::attentionAttend<Hq, Hkv, D, Dv, kThreads>(q, pos, blocks, keys, values, scale, out);
}

/// The sequence: per token q [Hq, D], k [Hkv, D], v [Hkv, Dv], a position.
struct Sequence {
  std::vector<float> q, k, v;
  std::vector<int32_t> pos;
};

/// out[t, h] in double from the definition, over the tokens stored at
/// positions 0..pos[t] (owner[p]: the token whose row p is), and its fp32
/// tolerance: an error ds in score j moves the output by p_j ds (v_j - o).
template <int64_t Hq, int64_t Hkv, int64_t D, int64_t Dv>
void reference(const Sequence &in, const std::vector<int64_t> &owner, int64_t t, float scale,
               std::vector<double> &want, std::vector<double> &tol) {
  want.assign(size_t(Hq * Dv), 0.0);
  tol.assign(want.size(), 1e-30);
  const int64_t L = int64_t(in.pos[size_t(t)]) + 1;
  for (int64_t h = 0; h < Hq; ++h) {
    const int64_t g = h / (Hq / Hkv);
    std::vector<double> s(size_t(std::max<int64_t>(L, 0))), mag(s.size());
    double m = -1e300, l = 0;
    for (int64_t j = 0; j < L; ++j) {
      const int64_t u = owner[size_t(j)];
      EXPECT_GE(u, 0) << "test bug: row " << j << " was never stored";
      double d = 0, a = 0;
      for (int64_t e = 0; e < D; ++e) {
        double term =
            double(in.q[size_t((t * Hq + h) * D + e)]) * in.k[size_t((u * Hkv + g) * D + e)];
        d += term, a += std::fabs(term);
      }
      s[size_t(j)] = double(scale) * d, mag[size_t(j)] = double(scale) * a;
      m = std::max(m, s[size_t(j)]);
    }
    for (double &e : s)
      l += (e = std::exp(e - m));
    for (int64_t e = 0; e < Dv; ++e) {
      double o = 0;
      for (int64_t j = 0; j < L; ++j)
        o += s[size_t(j)] / l * in.v[size_t((owner[size_t(j)] * Hkv + g) * Dv + e)];
      double bound = 0;
      for (int64_t j = 0; j < L; ++j) {
        double val = std::fabs(in.v[size_t((owner[size_t(j)] * Hkv + g) * Dv + e)]);
        bound += s[size_t(j)] / l * (val + mag[size_t(j)] * (val + std::fabs(o)));
      }
      want[size_t(h * Dv + e)] = o;
      tol[size_t(h * Dv + e)] = 1e-5 * bound + 1e-6;
    }
  }
}

/// Runs the sequence in `chunks` through both kernels, the CUDA ones on a
/// cache paged as `permuted` says (PagedCache); see the file comment. Chunks
/// of more than 8 tokens are attended on the emulated GPU for rows 0, 1, 63,
/// 64 and the last only.
template <int64_t Hq, int64_t Hkv, int64_t D, int64_t Dv, int kThreads>
void checkAttention(const std::string &label, std::vector<int32_t> positions,
                    std::vector<int64_t> chunks, int64_t cap, bool permuted = false) {
  const int64_t n = int64_t(positions.size());
  int64_t total = 0;
  for (int64_t c : chunks)
    total += c;
  ASSERT_EQ(total, n) << "test bug: chunks must cover the tokens";
  Rng rng(uint64_t(Hq * 1000 + Hkv * 100 + D * 10 + Dv + kThreads));
  Sequence in;
  in.q = rng.floats(size_t(n * Hq * D), -1, 1);
  in.v = rng.floats(size_t(n * Hkv * Dv), -1, 1);
  in.k.resize(size_t(n * Hkv * D));
  // Keys of varied length so that later scores exceed the running max.
  for (int64_t t = 0; t < n; ++t) {
    float s = rng.uniform(0.1f, 4.0f);
    for (int64_t i = 0; i < Hkv * D; ++i)
      in.k[size_t(t * Hkv * D + i)] = s * rng.uniform(-1, 1);
  }
  in.pos = std::move(positions);
  const float scale = float(1.0 / std::sqrt(double(D)));

  // The host's caches of cap rows plus a guard row and the kernels' pools,
  // NaN until stored.
  const PagedCache paged(cap, permuted);
  const int32_t *blocks = paged.table.data();
  std::vector<float> hostKeys(size_t((cap + 1) * Hkv * D), kNaN);
  std::vector<float> hostValues(size_t((cap + 1) * Hkv * Dv), kNaN);
  std::vector<float> keys(size_t(paged.poolRows * Hkv * D), kNaN);
  std::vector<float> values(size_t(paged.poolRows * Hkv * Dv), kNaN);
  std::vector<float> hostOut(size_t(n * Hq * Dv), kNaN), out = hostOut;
  std::vector<int64_t> owner(size_t(cap), -1);
  auto *store = &storeKernel<Hkv, D, Dv, kThreads>;
  auto *attend = &attendKernel<Hq, Hkv, D, Dv, kThreads>;
  const r1hk::Exec serial{nullptr, nullptr, 1, true};

  int64_t t0 = 0;
  for (int64_t c : chunks) {
    const std::string what = label + " chunk at token " + std::to_string(t0);
    r1hk::attention<Hq, Hkv, D, Dv>(serial, in.q.data() + t0 * Hq * D, in.k.data() + t0 * Hkv * D,
                                    in.v.data() + t0 * Hkv * Dv, c, in.pos.data() + t0, scale,
                                    hostKeys.data(), hostValues.data(), cap,
                                    hostOut.data() + t0 * Hq * Dv);
    R1_LAUNCH(store, dim3(unsigned(c)), dim3(kThreads), 0, nullptr, in.k.data() + t0 * Hkv * D,
              in.v.data() + t0 * Hkv * Dv, in.pos.data() + t0, blocks, keys.data(), values.data());
    EXPECT_TRUE(paged.matches(keys, hostKeys, Hkv * D, cap, kNaN)) << what << ": key cache differs";
    EXPECT_TRUE(paged.matches(values, hostValues, Hkv * Dv, cap, kNaN))
        << what << ": value cache differs";
    EXPECT_TRUE(std::isnan(hostKeys[size_t(cap * Hkv * D)])) << what << ": host guard row written";
    for (int64_t t = t0; t < t0 + c; ++t)
      if (in.pos[size_t(t)] >= 0)
        owner[size_t(in.pos[size_t(t)])] = t;

    std::set<int64_t> rows; // within the chunk
    if (c <= 8) {
      for (int64_t r = 0; r < c; ++r)
        rows.insert(r);
      R1_LAUNCH(attend, dim3(unsigned(c), unsigned(Hq)), dim3(kThreads), 0, nullptr,
                in.q.data() + t0 * Hq * D, in.pos.data() + t0, blocks, keys.data(), values.data(),
                scale, out.data() + t0 * Hq * Dv);
    } else {
      for (int64_t r : {int64_t(0), int64_t(1), int64_t(63), int64_t(64), c - 1})
        if (r < c)
          rows.insert(r);
      for (int64_t r : rows)
        R1_LAUNCH(attend, dim3(1, unsigned(Hq)), dim3(kThreads), 0, nullptr,
                  in.q.data() + (t0 + r) * Hq * D, in.pos.data() + t0 + r, blocks, keys.data(),
                  values.data(), scale, out.data() + (t0 + r) * Hq * Dv);
    }
    for (int64_t r : rows) {
      const int64_t t = t0 + r;
      std::vector<double> want, tol;
      reference<Hq, Hkv, D, Dv>(in, owner, t, scale, want, tol);
      const std::string row = what + " token " + std::to_string(t) + " (" +
                              std::to_string(in.pos[size_t(t)] + 1) + " keys)";
      expectClose(out.data() + t * Hq * Dv, want, tol, "cuda " + row);
      expectClose(hostOut.data() + t * Hq * Dv, want, tol, "host " + row);
      std::vector<double> host(hostOut.begin() + t * Hq * Dv, hostOut.begin() + (t + 1) * Hq * Dv);
      expectClose(out.data() + t * Hq * Dv, host, tol, "cuda vs host " + row);
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

// Lengths 1 (a first token), 2..5 (a cache already holding earlier tokens),
// and a decode step.
TEST(CudaAttention, TinyShape) {
  checkAttention<4, 2, 32, 32, 128>("tiny", iota(6), {1, 4, 1}, 8);
}

// Head sizes that are not multiples of the warp: lanes past the end hold
// nothing; keys past a warp's share (5 keys, 4 warps of 4 keys) are masked.
TEST(CudaAttention, OddHeadSizes) {
  checkAttention<6, 3, 40, 24, 128>("odd", iota(9), {5, 4}, 9);
  checkAttention<2, 1, 16, 48, 64>("odd 64 threads", iota(9), {3, 6}, 12);
}

// A 296-token prompt then decode steps up to 300 keys: many rounds of the
// warps' online softmax; the first row's keys are scanned by one warp only.
// The cache's 5 blocks permuted among a pool of 11, so that every warp
// crosses blocks that are not neighbours in the pool.
TEST(CudaAttention, LongContext) {
  checkAttention<4, 2, 32, 32, 128>("long", iota(300), {296, 3, 1}, 300, true);
}

// Qwen-1.5B's heads (12 query heads over 2 key/value heads, 128 wide), a
// permuted table across the first block boundary, and a 256-thread block.
TEST(CudaAttention, QwenHeads) {
  checkAttention<12, 2, 128, 128, 128>("qwen", iota(70), {66, 4}, 72, true);
  checkAttention<12, 2, 128, 128, 256>("qwen 256 threads", iota(7), {3, 4}, 7);
}

// A negative position stores nothing and attends to nothing (output 0), as
// on the host.
TEST(CudaAttention, NegativePosition) {
  checkAttention<4, 2, 32, 32, 128>("negative", {0, 1, -1, 2, -5, 3}, {3, 3}, 4);
}

} // namespace
