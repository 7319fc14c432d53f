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
// weights' tiles multiply fp32 or bf16 activations, not int8 ones.)
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
