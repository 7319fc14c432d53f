//===- SampleKernelTest.cpp - CUDA sampling against the runtime's Sampler -===//
//
// codegen/cuda/kernels/Sample.cuh on the host (R1CudaEmu.h) against
// runtime::Sampler: two samplers with the same seed, one calling sample(),
// the other drawForDevice() for the kernel's parameters, must draw the same
// token, draw after draw (each row of a launch is one draw, with its own u).
// Rows: random, peaked and flat logits at vocabularies of 8 to R1's 129280;
// ties; NaN, -inf and +inf. Parameters: greedy, R1's default (T 0.6, top-p
// 0.95), no truncation, top-k at 1, 40, the gather capacity and beyond, V-1,
// min-p, and all of them at once. The sums differ in rounding only (the
// kernel's are exact in fixed point of 2^-45, the host's in double), which
// moves a token boundary by at most V x 2^-45 of the mass: none of these
// draws lands that close (the comparison is exact). WeightsAreTheHostsBitForBit
// checks the kernel's copy of the host's exp.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/kernels/Sample.cuh"
#include "runtime/Sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using r1::runtime::DeviceDraw;
using r1::runtime::Sampler;
using r1::runtime::SamplingParams;

static_assert(sizeof(r1ck::SampleParams) == sizeof(DeviceDraw));
static_assert(offsetof(r1ck::SampleParams, invTemperature) ==
              offsetof(DeviceDraw, invTemperature));
static_assert(offsetof(r1ck::SampleParams, topK) == offsetof(DeviceDraw, topK));
static_assert(offsetof(r1ck::SampleParams, topP) == offsetof(DeviceDraw, topP));
static_assert(offsetof(r1ck::SampleParams, minP) == offsetof(DeviceDraw, minP));
static_assert(offsetof(r1ck::SampleParams, u) == offsetof(DeviceDraw, u));

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

template <int64_t V, int kThreads>
R1_GLOBAL void sampleKernel(const float *logits, const r1ck::SampleParams *params,
                            int32_t *token) {
  r1ck::sampleRow<V, kThreads>(logits, params, token);
}

SamplingParams samplingParams(float temperature, float topP, int32_t topK = 0, float minP = 0.0f,
                              uint64_t seed = 1) {
  SamplingParams p;
  p.temperature = temperature;
  p.topP = topP;
  p.topK = topK;
  p.minP = minP;
  p.seed = seed;
  return p;
}

std::string describe(const SamplingParams &p) {
  return "T " + std::to_string(p.temperature) + ", top-p " + std::to_string(p.topP) +
         ", top-k " + std::to_string(p.topK) + ", min-p " + std::to_string(p.minP);
}

/// Draws `draws` tokens from `logits` both ways (one launch, a row per draw)
/// and expects the same ones; returns how many different tokens were drawn.
template <int64_t V, int kThreads>
size_t expectHostDraws(const std::vector<float> &logits, const SamplingParams &params, int draws,
                       const std::string &what) {
  EXPECT_EQ(logits.size(), size_t(V));
  Sampler host(params, int32_t(V)), device(params, int32_t(V));
  const size_t count = static_cast<size_t>(draws);
  std::vector<r1ck::SampleParams> rowParams(count);
  std::vector<int32_t> want(count), got(count, -7);
  std::vector<float> rows(size_t(V) * count);
  for (int d = 0; d < draws; ++d) {
    std::optional<DeviceDraw> draw = device.drawForDevice();
    EXPECT_TRUE(draw.has_value());
    std::memcpy(&rowParams[size_t(d)], &*draw, sizeof(DeviceDraw));
    want[size_t(d)] = host.sample(logits.data(), {});
    std::copy(logits.begin(), logits.end(), rows.begin() + int64_t(d) * V);
  }
  auto *k = &sampleKernel<V, kThreads>;
  R1_LAUNCH(k, dim3(unsigned(draws)), dim3(kThreads), 0, nullptr, rows.data(), rowParams.data(),
            got.data());
  std::set<int32_t> distinct;
  for (int d = 0; d < draws; ++d) {
    EXPECT_EQ(got[size_t(d)], want[size_t(d)])
        << what << "; " << describe(params) << "; V " << V << ", " << kThreads
        << " threads; draw " << d << ", u " << rowParams[size_t(d)].u;
    distinct.insert(want[size_t(d)]);
  }
  return distinct.size();
}

/// Logits uniform in [lo, hi).
std::vector<float> uniformLogits(int64_t V, float lo, float hi, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(V));
  for (float &x : v)
    x = dist(gen);
  return v;
}

/// A model-like row: most logits far below a few leaders.
std::vector<float> peakedLogits(int64_t V, uint64_t seed) {
  std::vector<float> v = uniformLogits(V, -12.0f, 2.0f, seed);
  std::mt19937_64 gen(seed + 1);
  for (int j = 0; j < 6; ++j)
    v[size_t(gen() % uint64_t(V))] = 6.0f + 0.7f * float(j);
  return v;
}

/// Logits from a few values only: every one of them is tied many times.
std::vector<float> tiedLogits(int64_t V, int values, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<float> v(static_cast<size_t>(V));
  for (float &x : v)
    x = -0.5f * float(gen() % uint64_t(values));
  return v;
}

/// `logits` with a share of NaN and of -inf put in at random places.
std::vector<float> withNonFinite(std::vector<float> v, int perMilleNaN, int perMilleInf,
                                 uint64_t seed) {
  std::mt19937_64 gen(seed);
  for (float &x : v) {
    const int r = int(gen() % 1000);
    if (r < perMilleNaN)
      x = kNaN;
    else if (r < perMilleNaN + perMilleInf)
      x = -kInf;
  }
  return v;
}

/// The parameter sets most tests go through: greedy, R1's default, no
/// truncation, top-k (1 and 40) with top-p, min-p, and everything at once.
std::vector<SamplingParams> commonParams(uint64_t seed) {
  return {samplingParams(0.0f, 0.95f, 0, 0.0f, seed),
          samplingParams(0.6f, 0.95f, 0, 0.0f, seed + 1),
          samplingParams(1.0f, 1.0f, 0, 0.0f, seed + 2),
          samplingParams(0.6f, 0.95f, 1, 0.0f, seed + 3),
          samplingParams(0.8f, 0.9f, 40, 0.0f, seed + 4),
          samplingParams(1.0f, 1.0f, 0, 0.05f, seed + 5),
          samplingParams(0.7f, 0.8f, 40, 0.02f, seed + 6)};
}

template <int64_t V, int kThreads>
void expectHostDrawsForCommonParams(const std::vector<float> &logits, int draws,
                                    const std::string &what, uint64_t seed) {
  for (const SamplingParams &params : commonParams(seed))
    expectHostDraws<V, kThreads>(logits, params, draws, what);
}

// The kernel's exp is Sampler.cpp's, bit for bit. Probed through min-p, on
// the host sampler alone: with the row {0, a x N times} at T = 1, the host
// keeps the N tokens of weight w = exp(a) iff w >= minP. So with minP = the
// kernel's exp(a) it must keep them, and with the next float up drop them;
// N = 3 / w makes them drawn 3 times in 4 when kept.
TEST(CudaSample, WeightsAreTheHostsBitForBit) {
  std::mt19937_64 gen(11);
  std::vector<float> exponents = {-0.0f, -1e-30f, -1e-7f, -0.25f, -0.5f, -1.0f, -2.0f, -5.5f};
  for (int i = 1; i <= 12; ++i) // the ends of Cody-Waite's reduction intervals
    for (float d : {-1e-6f, 0.0f, 1e-6f})
      exponents.push_back(-(float(i) - 0.5f) * 0.6931472f + d);
  std::uniform_real_distribution<float> dist(-6.0f, 0.0f);
  while (exponents.size() < 600)
    exponents.push_back(dist(gen));
  constexpr int kDraws = 24;
  for (float a : exponents) {
    const float w = r1ck::sampling::expNonPositive(a);
    ASSERT_GT(w, 0.0f);
    const int32_t n = int32_t(std::ceil(3.0f / w));
    std::vector<float> row(size_t(n) + 1, a);
    row[0] = 0.0f;
    auto keepsTheTies = [&](float minP) {
      Sampler host(samplingParams(1.0f, 1.0f, 0, minP, gen()), n + 1);
      for (int d = 0; d < kDraws; ++d)
        if (host.sample(row.data(), {}) != 0)
          return true;
      return false;
    };
    EXPECT_TRUE(keepsTheTies(w)) << "exp(" << a << "): the host's weight is below the kernel's "
                                 << w;
    if (w < 1.0f) {
      EXPECT_FALSE(keepsTheTies(std::nextafter(w, 2.0f)))
          << "exp(" << a << "): the host's weight is above the kernel's " << w;
    }
  }
}

TEST(CudaSample, DrawsTheHostsTokensOnSmallRows) {
  expectHostDrawsForCommonParams<8, 32>(uniformLogits(8, -2.0f, 2.0f, 1), 40, "random, V 8", 10);
  expectHostDrawsForCommonParams<8, 96>(uniformLogits(8, -2.0f, 2.0f, 2), 40, "random, V 8", 20);
  expectHostDrawsForCommonParams<100, 64>(uniformLogits(100, -4.0f, 4.0f, 3), 40,
                                          "random, V 100", 30);
  expectHostDrawsForCommonParams<100, 128>(peakedLogits(100, 4), 40, "peaked, V 100", 40);
  expectHostDrawsForCommonParams<100, 32>(uniformLogits(100, -0.01f, 0.01f, 5), 40, "flat, V 100",
                                          50);
  // Different u draw different tokens: the comparison is not of one token.
  EXPECT_GE((expectHostDraws<100, 64>(uniformLogits(100, -1.0f, 1.0f, 6),
                                      samplingParams(1.0f, 1.0f), 40, "random, V 100")),
            20u);
}

TEST(CudaSample, DrawsTheHostsTokensOnMidSizeRows) {
  constexpr int64_t V = 4097; // not a multiple of a warp or of the block
  expectHostDrawsForCommonParams<V, 64>(uniformLogits(V, -6.0f, 6.0f, 7), 40, "random, V 4097",
                                         60);
  expectHostDrawsForCommonParams<V, 96>(peakedLogits(V, 8), 40, "peaked, V 4097", 70);
  expectHostDrawsForCommonParams<V, 64>(uniformLogits(V, -0.05f, 0.05f, 9), 40,
                                         "flat, V 4097", 80);
}

TEST(CudaSample, TopKAtTheGatherCapacityAndBeyond) {
  // 2048 candidates are gathered into shared memory; 2049 and V-1 are not.
  constexpr int64_t V = 4097;
  const std::vector<float> logits = uniformLogits(V, -3.0f, 3.0f, 12);
  for (int32_t k : {2048, 2049, int32_t(V - 1)}) {
    expectHostDraws<V, 64>(logits, samplingParams(1.0f, 1.0f, k, 0.0f, 90 + uint64_t(k)), 40,
                            "top-k " + std::to_string(k));
    expectHostDraws<V, 64>(logits, samplingParams(0.6f, 0.95f, k, 0.0f, 91 + uint64_t(k)), 40,
                            "top-k " + std::to_string(k) + " and top-p");
    expectHostDraws<V, 64>(logits, samplingParams(1.0f, 0.9f, k, 0.05f, 92 + uint64_t(k)), 40,
                            "top-k " + std::to_string(k) + ", top-p and min-p");
  }
}

TEST(CudaSample, TiesAreCutByIdAsOnTheHost) {
  // Four logit values over 4097 tokens: top-k cuts inside a tie group (k 40
  // and 2000 in the highest, 2049 and V-1 in lower ones), top-p's nucleus
  // ends inside one, and min-p ties exactly at weight e^-0.5.
  constexpr int64_t V = 4097;
  const std::vector<float> logits = tiedLogits(V, 4, 13);
  expectHostDrawsForCommonParams<V, 64>(logits, 40, "ties, V 4097", 100);
  for (int32_t k : {40, 2000, 2049, int32_t(V - 1)})
    expectHostDraws<V, 64>(logits, samplingParams(1.0f, 0.5f, k, 0.0f, 110 + uint64_t(k)), 40,
                            "ties, top-k " + std::to_string(k));
  expectHostDraws<V, 64>(logits, samplingParams(1.0f, 1.0f, 0, std::exp(-0.5f), 120), 40,
                          "ties, min-p at a tie");
  // 100 tokens, 10 at 0 and 90 at -1 in shuffled places: the nucleus at
  // 0.95 holds 85 of the 90 lower ones, the first by id.
  std::vector<float> small(100, -1.0f);
  for (int i = 0; i < 10; ++i)
    small[size_t(i * 37 % 100)] = 0.0f;
  for (float p : {0.95f, 0.5f, 0.25f, 0.2f})
    expectHostDraws<100, 64>(small, samplingParams(1.0f, p, 0, 0.0f, 130), 40,
                             "ties, V 100, top-p " + std::to_string(p));
  // Every logit equal, +0 and -0 among them.
  std::vector<float> equal(100, 0.0f);
  for (int i = 0; i < 100; i += 3)
    equal[size_t(i)] = -0.0f;
  expectHostDrawsForCommonParams<100, 64>(equal, 40, "all equal, +-0", 140);
}

TEST(CudaSample, NonFiniteLogits) {
  constexpr int64_t V = 1000;
  // NaN and -inf in 10% of the places each: NaN is never drawn, counts as
  // -inf for top-k, and weighs 0.
  expectHostDrawsForCommonParams<V, 128>(withNonFinite(uniformLogits(V, -3.0f, 3.0f, 14), 100,
                                                       100, 15),
                                         40, "NaN and -inf", 150);
  // All but a few are NaN or -inf: top-k reaches into them.
  const std::vector<float> sparse =
      withNonFinite(uniformLogits(V, -3.0f, 3.0f, 16), 500, 490, 17);
  for (int32_t k : {5, 40, int32_t(V - 1)})
    expectHostDraws<V, 128>(sparse, samplingParams(1.0f, 0.9f, k, 0.0f, 160 + uint64_t(k)), 40,
                            "mostly NaN and -inf, top-k " + std::to_string(k));
  // No finite maximum: the argmax, as sample() falls back to.
  std::vector<float> allNaN(V, kNaN), allMinusInf(V, -kInf), plusInf = uniformLogits(V, -1, 1, 18);
  plusInf[700] = kInf, plusInf[900] = kInf, plusInf[3] = kNaN;
  std::vector<float> nanThenMinusInf(V, kNaN);
  nanThenMinusInf[321] = -kInf, nanThenMinusInf[600] = -kInf;
  const struct {
    const std::vector<float> &logits;
    const char *what;
    int32_t token;
  } fallbacks[] = {{allNaN, "all NaN", 0},
                   {allMinusInf, "all -inf", 0},
                   {plusInf, "+inf", 700},
                   {nanThenMinusInf, "NaN and -inf only", 321}};
  for (const auto &f : fallbacks)
    for (const SamplingParams &params : commonParams(170)) {
      expectHostDraws<V, 128>(f.logits, params, 4, f.what);
      Sampler host(params, int32_t(V));
      EXPECT_EQ(host.sample(f.logits.data(), {}), f.token) << f.what;
    }
}

TEST(CudaSample, DrawsTheHostsTokensOnR1sVocabulary) {
  // R1's vocabulary, 1024 threads as generated. The emulation spends about
  // 0.4 s of CPU per row here, so few draws per configuration.
  constexpr int64_t V = 129280;
  const std::vector<float> random = uniformLogits(V, -8.0f, 8.0f, 19);
  const std::vector<float> peaked = peakedLogits(V, 20);
  const SamplingParams configs[] = {samplingParams(0.0f, 0.95f, 0, 0.0f, 180),
                                    samplingParams(0.6f, 0.95f, 0, 0.0f, 181),
                                    samplingParams(1.0f, 1.0f, 0, 0.0f, 182),
                                    samplingParams(0.6f, 0.95f, 40, 0.0f, 183),
                                    samplingParams(1.0f, 1.0f, 0, 0.05f, 184),
                                    samplingParams(1.0f, 0.9f, int32_t(V - 1), 0.0f, 185)};
  for (const SamplingParams &params : configs) {
    expectHostDraws<V, 1024>(random, params, 4, "random, V 129280");
    expectHostDraws<V, 1024>(peaked, params, 4, "peaked, V 129280");
  }
}

} // namespace
