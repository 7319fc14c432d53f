//===- ShortStepTest.cpp - short prefill steps on the GEMV cores ----------===//
//
// linear and gatedLinear take the GEMV cores for steps of at most
// Exec::gemvMaxTokens tokens, each block of weight rows read once for all
// of them. Every token's arithmetic is a decode step's, so each token's
// outputs must be bit-identical to a decode call (kRows 1) on that token
// alone: at both precisions (so on the bf16 and int8-activation dot paths
// too), with 1 and 3 threads, for steps within one pass of kGemvMaxTokens
// and past it. (A step that took the GEMM tiles instead would differ in the
// bits on most of these cases: the tiles sum in another order, and integer
// weights' tiles multiply fp32 or bf16 activations, not int8 ones.) The
// routed experts of a short step likewise match a decode step per token.
//
//===----------------------------------------------------------------------===//
#include "KernelTestUtil.h"

#include <limits>

namespace r1hk::test {
namespace {

constexpr float kEps = 1e-6f;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

/// The raw weights, scales and row count of a [rows, K] weight of type WT.
template <WType WT>
struct AnyWeights {
  std::vector<WElem<WT>> raw;
  std::vector<float> f8Scales;
  std::vector<uint16_t> intScales;
  AnyWeights(int64_t rows, int64_t K, Rng &rng) {
    if constexpr (isIntW(WT)) {
      IntWeights<WT> w(rows, K, rng);
      raw = w.raw, intScales = w.scales;
    } else {
      ExpertWeights<WT> w(rows, K, rng);
      raw = w.raw, f8Scales = w.scales;
    }
  }
  const void *scales() const {
    if constexpr (isIntW(WT))
      return intScales.data();
    return f8Scales.empty() ? nullptr : f8Scales.data();
  }
};

template <int64_t K, int64_t N0, int64_t N1, WType WT>
void checkLinearShortSteps() {
  constexpr int64_t total = N0 + N1;
  Rng rng(uint64_t(K * 31 + total + int(WT)));
  AnyWeights<WT> w(total, K, rng);
  std::vector<float> bias = rng.floats(total, -1, 1), gamma = rng.floats(K, 0.5f, 1.5f);
  for (int64_t n : {int64_t(2), int64_t(5), kGemvMaxTokens, kGemvMaxTokens + 3})
    for (bool fp32 : {true, false})
      for (int threads : {1, 3}) {
        std::vector<float> x = activations(n, K, rng);
        TestPool pool(threads);
        auto run = [&](const Exec &ex, int64_t rowsInCall, const float *in, float *o0, float *o1) {
          float *outs[] = {o0, o1};
          if (rowsInCall == 1)
            linear<1, K, WT, true, true, N0, N1>(ex, in, 1, w.raw.data(), bias.data(),
                                                 gamma.data(), kEps, outs, w.scales());
          else
            linear<0, K, WT, true, true, N0, N1>(ex, in, rowsInCall, w.raw.data(), bias.data(),
                                                 gamma.data(), kEps, outs, w.scales());
        };
        std::vector<float> want0(size_t(n * N0), kNaN), want1(size_t(n * N1), kNaN);
        for (int64_t t = 0; t < n; ++t)
          run(pool.exec(fp32), 1, x.data() + t * K, want0.data() + t * N0, want1.data() + t * N1);
        Exec ex = pool.exec(fp32);
        ex.gemvMaxTokens = int32_t(n);
        std::vector<float> got0(size_t(n * N0), kNaN), got1(size_t(n * N1), kNaN);
        run(ex, n, x.data(), got0.data(), got1.data());
        std::string what = std::string("linear ") + name(WT) + " n=" + std::to_string(n) +
                           (fp32 ? " fp32" : " default") + " threads=" + std::to_string(threads);
        EXPECT_TRUE(sameBits(want0, got0) && sameBits(want1, got1))
            << what << ": a short step differs from decoding its tokens one by one";
      }
}

template <int64_t K, int64_t I, WType WT>
void checkGatedShortSteps() {
  Rng rng(uint64_t(K * 17 + I + int(WT)));
  AnyWeights<WT> w(2 * I, K, rng);
  std::vector<float> gamma = rng.floats(K, 0.5f, 1.5f);
  for (int64_t n : {int64_t(3), kGemvMaxTokens + 1})
    for (bool fp32 : {true, false}) {
      std::vector<float> x = activations(n, K, rng);
      TestPool pool(3);
      std::vector<float> want(size_t(n * I), kNaN), got(size_t(n * I), kNaN);
      for (int64_t t = 0; t < n; ++t)
        gatedLinear<1, K, I, WT, true>(pool.exec(fp32), x.data() + t * K, 1, w.raw.data(),
                                       gamma.data(), kEps, want.data() + t * I, w.scales());
      Exec ex = pool.exec(fp32);
      ex.gemvMaxTokens = int32_t(n);
      gatedLinear<0, K, I, WT, true>(ex, x.data(), n, w.raw.data(), gamma.data(), kEps,
                                     got.data(), w.scales());
      EXPECT_TRUE(sameBits(want, got)) << "gatedLinear " << name(WT) << " n=" << n
                                       << (fp32 ? " fp32" : " default")
                                       << ": a short step differs from decoding its tokens";
    }
}

/// moeExperts of a short step (every expert on per-slot GEMVs) against a
/// decode call per token: the same bits, with experts that several of the
/// step's tokens share.
template <int64_t E, int64_t TopK, int64_t Hd, int64_t I, WType WT>
void checkExpertsShortSteps() {
  Rng rng(uint64_t(E * 5 + Hd + I + int(WT)));
  AnyWeights<WT> gu(E * 2 * I, Hd, rng), dn(E * Hd, I, rng);
  for (int64_t n : {int64_t(2), int64_t(7), kGemvMaxTokens})
    for (bool fp32 : {true, false}) {
      std::vector<float> x = activations(n, Hd, rng);
      std::vector<int32_t> ids(size_t(n * TopK));
      std::vector<float> w(size_t(n * TopK));
      // Expert 0 is every token's; the others rotate over 1..E-1, so that
      // some are shared by several tokens and some by one.
      for (int64_t t = 0; t < n; ++t)
        for (int64_t k = 0; k < TopK; ++k) {
          ids[size_t(t * TopK + k)] = int32_t(k == 0 ? 0 : 1 + (t + k - 1) % (E - 1));
          w[size_t(t * TopK + k)] = rng.uniform(0.1f, 1.0f);
        }
      TestPool pool(3);
      std::vector<float> want(size_t(n * Hd), kNaN), got(size_t(n * Hd), kNaN);
      for (int64_t t = 0; t < n; ++t)
        moeExperts<E, TopK, Hd, I, WT>(pool.exec(fp32), x.data() + t * Hd, 1,
                                       ids.data() + t * TopK, w.data() + t * TopK, gu.raw.data(),
                                       dn.raw.data(), gu.scales(), dn.scales(),
                                       want.data() + t * Hd);
      Exec ex = pool.exec(fp32);
      ex.gemvMaxTokens = int32_t(n);
      moeExperts<E, TopK, Hd, I, WT>(ex, x.data(), n, ids.data(), w.data(), gu.raw.data(),
                                     dn.raw.data(), gu.scales(), dn.scales(), got.data());
      EXPECT_TRUE(sameBits(want, got)) << "moeExperts " << name(WT) << " n=" << n
                                       << (fp32 ? " fp32" : " default")
                                       << ": a short step differs from decoding its tokens";
    }
}

TEST(ShortSteps, ExpertsI4G32) { checkExpertsShortSteps<8, 3, 256, 96, WType::I4G32>(); }
TEST(ShortSteps, ExpertsI8G32) { checkExpertsShortSteps<6, 2, 192, 64, WType::I8G32>(); }
TEST(ShortSteps, ExpertsBf16) { checkExpertsShortSteps<8, 3, 200, 136, WType::BF16>(); }
TEST(ShortSteps, ExpertsF8) { checkExpertsShortSteps<4, 2, 256, 64, WType::F8E4M3>(); }

TEST(ShortSteps, LinearBf16) { checkLinearShortSteps<256, 40, 24, WType::BF16>(); }
TEST(ShortSteps, LinearF32) { checkLinearShortSteps<96, 33, 17, WType::F32>(); }
TEST(ShortSteps, LinearF8) { checkLinearShortSteps<384, 24, 40, WType::F8E4M3>(); }
TEST(ShortSteps, LinearI4G32) { checkLinearShortSteps<256, 40, 8, WType::I4G32>(); }
TEST(ShortSteps, LinearI8G32) { checkLinearShortSteps<192, 16, 33, WType::I8G32>(); }
TEST(ShortSteps, LinearI4G128LongRow) { checkLinearShortSteps<4096, 16, 8, WType::I4G128>(); }
TEST(ShortSteps, GatedBf16) { checkGatedShortSteps<256, 36, WType::BF16>(); }
TEST(ShortSteps, GatedI4G32) { checkGatedShortSteps<512, 20, WType::I4G32>(); }
TEST(ShortSteps, GatedI8G64) { checkGatedShortSteps<192, 40, WType::I8G64>(); }

} // namespace
} // namespace r1hk::test
