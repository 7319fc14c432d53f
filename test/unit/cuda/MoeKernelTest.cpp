//===- MoeKernelTest.cpp - The CUDA MoE kernels, emulated, vs the host ones -===//
//
// codegen/cuda/kernels/Moe.cuh on the host (R1CudaEmu.h) beside
// r1hk::moeTopk / moeExperts (codegen/host/kernels/Moe.h):
//   - moeTopk must give the host's ids in the host's order and the host's
//     weight bits: sigmoid + bias + top-2-sum groups (V3/R1), softmax greedy
//     (V2), R1's own shape, and scores drawn from a few levels so that ties
//     between experts and between groups decide the choice;
//   - moeRoute's scores must match a double reference within fp32 rounding,
//     and its choice must be the host's moeTopk of those very scores (and
//     the host's whole router's) — chunked and element-wise weight reads;
//   - moeExperts (f32, bf16, fp8, fp8 with W8A8 activations; 1 and 5 rows;
//     chunked and element-wise weight reads; skipped ids) must match a double
//     reference within the tolerance the host kernel's own test uses, as the
//     host kernel does;
//   - moeExpertsGrouped's launches (sort, up, down; Quant.cuh's quantization
//     between them for W8A8) against the same reference, with more tokens
//     per expert than a warp takes at a time, and the same bits on a second
//     run (the sort's atomics order each expert's list differently).
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/kernels/Moe.cuh"
#include "codegen/cuda/kernels/Quant.cuh"
#include "test/unit/kernels/KernelTestUtil.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>

namespace {

using r1hk::test::expectClose;
using r1hk::test::ExpertWeights;
using r1hk::test::RefDot;
using r1hk::test::Rng;
using r1hk::test::sameBits;

constexpr int kRouteThreads = 128, kExpertThreads = 256;
const float kNaN = std::numeric_limits<float>::quiet_NaN();
const r1hk::Exec kSerial{nullptr, nullptr, 1, true};

constexpr r1hk::WType hostType(r1ck::WType wt) { return static_cast<r1hk::WType>(int(wt)); }

// The kernels are device bodies; the tests launch them through __global__
// wrappers as the generated code does.
template <int64_t E, int64_t TopK, int64_t Groups, int64_t TopkGroups, int kGroupScore, bool kBias,
          bool kNormalize>
R1_GLOBAL void topkKernel(const float *scores, const float *bias, float scaling, int32_t *ids,
                          float *weights) {
  r1ck::moeTopk<E, TopK, Groups, TopkGroups, kGroupScore, kBias, kNormalize, kRouteThreads>(
      scores, bias, scaling, ids, weights);
}

template <int64_t E, int64_t H, r1ck::WType WT, int kScoring, int64_t TopK, int64_t Groups,
          int64_t TopkGroups, int kGroupScore, bool kBias, bool kNormalize>
R1_GLOBAL void routeKernel(const float *x, const void *gate, const float *bias, float scaling,
                           int32_t *ids, float *weights, float *scores) {
  r1ck::moeRoute<E, H, WT, kScoring, TopK, Groups, TopkGroups, kGroupScore, kBias, kNormalize,
                 kRouteThreads>(x, gate, bias, scaling, ids, weights, scores);
}

template <int64_t E, int64_t TopK, int64_t H, int64_t I, r1ck::WType WT, bool kQuantAct>
R1_GLOBAL void expertsKernel(const float *x, const int32_t *ids, const float *weights,
                             const void *gateUp, const void *down, const float *gateUpScales,
                             const float *downScales, float *out) {
  r1ck::moeExperts<E, TopK, H, I, WT, kQuantAct, kExpertThreads>(
      x, ids, weights, gateUp, down, gateUpScales, downScales, out);
}

template <int64_t E, int64_t TopK>
R1_GLOBAL void groupedSortKernel(const int32_t *ids, int64_t rows, int32_t *groups) {
  r1ck::moeExpertsGroupedSort<E, TopK, kExpertThreads>(ids, rows, groups);
}

template <int64_t E, int64_t TopK, int64_t H, int64_t I, r1ck::WType WT>
R1_GLOBAL void groupedUpKernel(const float *x, const int32_t *groups, const void *gateUp,
                               const float *gateUpScales, float *h) {
  r1ck::moeExpertsGroupedUp<E, TopK, H, I, WT, kExpertThreads>(x, groups, gateUp, gateUpScales,
                                                               h);
}

template <int64_t E, int64_t TopK, int64_t H, int64_t I, r1ck::WType WT>
R1_GLOBAL void groupedDownKernel(const float *h, const float *weights, const int32_t *groups,
                                 const void *down, const float *downScales, int64_t rows,
                                 float *out) {
  r1ck::moeExpertsGroupedDown<E, TopK, H, I, WT, kExpertThreads>(h, weights, groups, down,
                                                                 downScales, rows, out);
}

// One warp per row: the emulator's cost is per thread, and rows of h are
// short.
template <int64_t K>
R1_GLOBAL void quantizeKernel(const float *x, float *out) {
  r1ck::quantizeF8Blocks<K, 32>(x, out);
}

//===----------------------------------------------------------------------===//
// moeTopk
//===----------------------------------------------------------------------===//

/// Runs the kernel and r1hk::moeTopk on the same scores; the ids and the
/// weight bits must be the same.
template <int64_t E, int64_t TopK, int64_t Groups, int64_t TopkGroups, int kGroupScore, bool kBias,
          bool kNormalize>
void expectHostTopk(const std::vector<float> &scores, const std::vector<float> &bias,
                    float scaling, std::vector<int32_t> *hostIds = nullptr) {
  const int64_t n = int64_t(scores.size()) / E;
  std::vector<int32_t> ids(size_t(n * TopK), -7), want(ids.size(), -7);
  std::vector<float> w(ids.size(), kNaN), wantW(ids.size(), kNaN);
  auto *kernel = &topkKernel<E, TopK, Groups, TopkGroups, kGroupScore, kBias, kNormalize>;
  R1_LAUNCH(kernel, dim3(unsigned(n)), dim3(kRouteThreads), 0, nullptr, scores.data(),
            kBias ? bias.data() : nullptr, scaling, ids.data(), w.data());
  r1hk::moeTopk<E, TopK, Groups, TopkGroups, kGroupScore, kBias, kNormalize>(
      kSerial, scores.data(), n, kBias ? bias.data() : nullptr, scaling, want.data(),
      wantW.data());
  EXPECT_EQ(ids, want);
  EXPECT_TRUE(sameBits(w, wantW)) << "weights differ from the host's bits";
  if (hostIds)
    *hostIds = want;
}

/// n rows of E scores: sigmoids of uniform logits, or softmax rows.
std::vector<float> randomScores(int64_t n, int64_t E, bool softmax, Rng &rng) {
  std::vector<float> s(size_t(n * E));
  for (int64_t t = 0; t < n; ++t) {
    double sum = 0;
    for (int64_t e = 0; e < E; ++e) {
      const float z = rng.uniform(-4.0f, 4.0f);
      float &v = s[size_t(t * E + e)];
      v = softmax ? float(std::exp(double(z))) : 1.0f / (1.0f + std::exp(-z));
      sum += v;
    }
    if (softmax)
      for (int64_t e = 0; e < E; ++e)
        s[size_t(t * E + e)] = float(s[size_t(t * E + e)] / sum);
  }
  return s;
}

TEST(CudaMoeTopk, SigmoidBiasTop2SumGroupsNormalized) { // V3/R1 at the tiny model's shape
  Rng rng(11);
  std::vector<float> scores = randomScores(24, 16, false, rng), bias = rng.floats(16, -0.3f, 0.3f);
  expectHostTopk<16, 4, 4, 2, r1ck::kMoeGroupScoreTop2Sum, true, true>(scores, bias, 2.5f);
}

TEST(CudaMoeTopk, R1Shape) { // 256 experts, top 8 of the 4 best of 8 groups
  Rng rng(12);
  std::vector<float> scores = randomScores(6, 256, false, rng),
                     bias = rng.floats(256, -0.1f, 0.1f);
  expectHostTopk<256, 8, 8, 4, r1ck::kMoeGroupScoreTop2Sum, true, true>(scores, bias, 2.5f);
}

TEST(CudaMoeTopk, SoftmaxGreedy) { // V2: no groups, no bias, not normalized
  Rng rng(13);
  std::vector<float> scores = randomScores(16, 64, true, rng);
  expectHostTopk<64, 6, 1, 1, r1ck::kMoeGroupScoreNone, false, false>(scores, {}, 1.0f);
  expectHostTopk<64, 6, 1, 1, r1ck::kMoeGroupScoreNone, false, true>(scores, {}, 16.0f);
}

TEST(CudaMoeTopk, GroupLimitedGreedyMax) { // V2's group_limited_greedy
  Rng rng(14);
  std::vector<float> scores = randomScores(16, 64, true, rng);
  expectHostTopk<64, 6, 8, 3, r1ck::kMoeGroupScoreMax, false, false>(scores, {}, 1.0f);
}

/// Scores and bias in steps of 1/8 (exact sums), so that many experts and
/// groups tie; the kernel must break every tie as the host does.
TEST(CudaMoeTopk, TiesGoToTheLowerIndexAsOnTheHost) {
  constexpr int64_t E = 16, n = 64;
  Rng rng(15);
  std::vector<float> scores(size_t(n * E)), bias(E);
  for (float &s : scores)
    s = float(rng.integer(1, 4)) / 8.0f;
  for (float &b : bias)
    b = float(rng.integer(-1, 1)) / 8.0f;

  // Without groups: count the rows where an expert left out ties the last
  // one chosen (so that the index decided).
  std::vector<int32_t> ids;
  expectHostTopk<E, 4, 1, 1, r1ck::kMoeGroupScoreNone, true, true>(scores, bias, 1.0f, &ids);
  int expertTies = 0;
  auto biased = [&](int64_t t, int64_t e) { return scores[size_t(t * E + e)] + bias[size_t(e)]; };
  for (int64_t t = 0; t < n; ++t) {
    const auto chosen = ids.begin() + t * 4;
    const float last = biased(t, chosen[3]);
    for (int64_t e = 0; e < E; ++e)
      if (std::find(chosen, chosen + 4, int32_t(e)) == chosen + 4 && biased(t, e) == last) {
        ++expertTies;
        break;
      }
  }
  EXPECT_GT(expertTies, n / 2) << "the data should make ties decide";

  // Groups of 4, the 2 best kept, by top-2 sum and by max: count the rows
  // where the second and third group scores tie.
  int groupTies = 0;
  for (int64_t t = 0; t < n; ++t) {
    std::vector<float> gs;
    for (int64_t g = 0; g < 4; ++g) {
      std::vector<float> b;
      for (int64_t e = g * 4; e < g * 4 + 4; ++e)
        b.push_back(scores[size_t(t * E + e)] + bias[size_t(e)]);
      std::sort(b.begin(), b.end(), std::greater<float>());
      gs.push_back(b[0] + b[1]);
    }
    std::sort(gs.begin(), gs.end(), std::greater<float>());
    groupTies += gs[1] == gs[2];
  }
  EXPECT_GT(groupTies, n / 8) << "the data should make group ties decide";
  expectHostTopk<E, 4, 4, 2, r1ck::kMoeGroupScoreTop2Sum, true, true>(scores, bias, 2.5f);
  expectHostTopk<E, 4, 4, 2, r1ck::kMoeGroupScoreMax, true, false>(scores, bias, 2.5f);
  expectHostTopk<E, 3, 4, 1, r1ck::kMoeGroupScoreTop2Sum, false, true>(scores, bias, 1.0f);
}

TEST(CudaMoeTopk, BiasChoosesUnbiasedWeighs) {
  const std::vector<float> s = {0.9f, 0.1f, 0.5f, 0.4f}, bias = {-1.0f, 1.0f, 0.0f, 0.0f};
  std::vector<int32_t> ids;
  expectHostTopk<4, 2, 1, 1, r1ck::kMoeGroupScoreNone, true, true>(s, bias, 1.0f, &ids);
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 2}));
}

//===----------------------------------------------------------------------===//
// moeRoute
//===----------------------------------------------------------------------===//

/// A gate [E, H] of type WT in a byte buffer, `offset` bytes into it (an
/// offset that is not a multiple of 16 forces element-wise reads).
template <r1ck::WType WT>
struct Gate {
  std::vector<unsigned char> bytes;
  std::vector<double> value;
  size_t offset;
  Gate(int64_t E, int64_t H, size_t offset_, Rng &rng) : offset(offset_) {
    ExpertWeights<hostType(WT)> w(E, H, rng);
    value = w.value;
    bytes.resize(offset + w.raw.size() * sizeof(w.raw[0]) + 16);
    std::memcpy(bytes.data() + offset, w.raw.data(), w.raw.size() * sizeof(w.raw[0]));
  }
  const void *data() const { return bytes.data() + offset; }
};

template <int64_t E, int64_t H, r1ck::WType WT, int kScoring, int64_t TopK, int64_t Groups,
          int64_t TopkGroups, int kGroupScore, bool kBias, bool kNormalize>
void checkRoute(int64_t n, size_t gateOffset, float scaling, uint64_t seed) {
  Rng rng(seed);
  const Gate<WT> gate(E, H, gateOffset, rng);
  const std::vector<float> x = rng.floats(size_t(n * H), -1.0f, 1.0f);
  const std::vector<float> bias = rng.floats(E, -0.05f, 0.05f);
  std::vector<int32_t> ids(size_t(n * TopK), -7);
  std::vector<float> w(ids.size(), kNaN), scores(size_t(n * E), kNaN);
  auto *kernel = &routeKernel<E, H, WT, kScoring, TopK, Groups, TopkGroups, kGroupScore, kBias,
                              kNormalize>;
  R1_LAUNCH(kernel, dim3(unsigned(n)), dim3(kRouteThreads), 0, nullptr, x.data(), gate.data(),
            kBias ? bias.data() : nullptr, scaling, ids.data(), w.data(), scores.data());

  // Scores: a double reference; logits within fp32 summation error, the
  // score function's own rounding on top.
  std::vector<double> want(scores.size()), tol(scores.size());
  for (int64_t t = 0; t < n; ++t) {
    std::vector<double> z(E), zt(E);
    for (int64_t e = 0; e < E; ++e) {
      RefDot d;
      for (int64_t k = 0; k < H; ++k)
        d.add(x[size_t(t * H + k)], gate.value[size_t(e * H + k)]);
      z[size_t(e)] = d.value, zt[size_t(e)] = d.tolerance(false);
    }
    const double m = *std::max_element(z.begin(), z.end());
    double sum = 0;
    for (int64_t e = 0; e < E; ++e)
      sum += std::exp(z[size_t(e)] - m);
    for (int64_t e = 0; e < E; ++e) {
      const double ze = z[size_t(e)];
      double &s = want[size_t(t * E + e)];
      s = kScoring == 0 ? 1.0 / (1.0 + std::exp(-ze)) : std::exp(ze - m) / sum;
      // ds/dz <= s (sigmoid: s(1-s); softmax: s(1-s) from z_e, s * max zt
      // from the others through the sum).
      const double maxZt = *std::max_element(zt.begin(), zt.end());
      tol[size_t(t * E + e)] = s * (zt[size_t(e)] + 2.0 * maxZt) + 4e-7 * s + 1e-30;
    }
  }
  expectClose(scores.data(), want, tol, "moeRoute scores");

  // The choice: exactly the host's moeTopk of these scores.
  std::vector<int32_t> wantIds(ids.size(), -7);
  std::vector<float> wantW(ids.size(), kNaN);
  r1hk::moeTopk<E, TopK, Groups, TopkGroups, kGroupScore, kBias, kNormalize>(
      kSerial, scores.data(), n, kBias ? bias.data() : nullptr, scaling, wantIds.data(),
      wantW.data());
  EXPECT_EQ(ids, wantIds);
  EXPECT_TRUE(sameBits(w, wantW)) << "weights differ from the host's bits";

  // And the host's whole router (HostEmitter's moe_route: linear, score
  // function, moeTopk, all fp32): the same experts (random data leaves
  // margins far above fp32 rounding).
  std::vector<float> hostScores(scores.size(), kNaN);
  float *const outs[] = {hostScores.data()};
  r1hk::linear<0, H, hostType(WT), false, false, E>(kSerial, x.data(), n, gate.data(), nullptr,
                                                    nullptr, 0.0f, outs);
  if constexpr (kScoring == 0)
    r1hk::sigmoid<E>(kSerial, hostScores.data(), n, hostScores.data());
  else
    r1hk::softmax<E>(kSerial, hostScores.data(), n, hostScores.data());
  r1hk::moeTopk<E, TopK, Groups, TopkGroups, kGroupScore, kBias, kNormalize>(
      kSerial, hostScores.data(), n, kBias ? bias.data() : nullptr, scaling, wantIds.data(),
      wantW.data());
  EXPECT_EQ(ids, wantIds) << "the host router chooses other experts";
}

TEST(CudaMoeRoute, SigmoidBiasGroupsF32Gate) {
  checkRoute<16, 128, r1ck::WType::F32, 0, 4, 4, 2, 2, true, true>(5, 0, 2.5f, 21);
}
TEST(CudaMoeRoute, SigmoidBiasGroupsBf16Gate) {
  checkRoute<16, 128, r1ck::WType::BF16, 0, 4, 4, 2, 2, true, true>(5, 0, 2.5f, 22);
}
TEST(CudaMoeRoute, SigmoidBiasGroupsF16Gate) {
  checkRoute<16, 128, r1ck::WType::F16, 0, 4, 4, 2, 2, true, true>(3, 0, 2.5f, 29);
}
TEST(CudaMoeRoute, SoftmaxGreedyBf16Gate) { // V2 style
  checkRoute<64, 256, r1ck::WType::BF16, 1, 6, 1, 1, 0, false, false>(5, 0, 1.0f, 23);
}
TEST(CudaMoeRoute, ElementwiseReads) {
  // A gate 2 bytes off 16-byte alignment, and rows of 100 bf16 (not whole
  // 16-byte chunks): both read element by element.
  checkRoute<16, 128, r1ck::WType::BF16, 0, 4, 4, 2, 2, true, true>(3, 2, 2.5f, 24);
  checkRoute<16, 100, r1ck::WType::BF16, 1, 4, 1, 1, 0, false, true>(3, 0, 1.0f, 25);
  checkRoute<16, 100, r1ck::WType::F32, 0, 4, 4, 2, 1, true, true>(3, 0, 1.0f, 26);
}
TEST(CudaMoeRoute, ExpertsNotAMultipleOfTheWarpPasses) { // 4 warps x 2 experts
  checkRoute<13, 64, r1ck::WType::F32, 1, 3, 1, 1, 0, false, true>(3, 0, 1.0f, 28);
}
TEST(CudaMoeRoute, R1Shape) { // 256 experts over 7168, bf16 gate
  checkRoute<256, 7168, r1ck::WType::BF16, 0, 8, 8, 4, 2, true, true>(2, 0, 2.5f, 27);
}

//===----------------------------------------------------------------------===//
// moeExperts
//===----------------------------------------------------------------------===//

/// A weight array (and its FP8 scales) in a byte buffer, `offset` bytes in.
template <r1hk::WType WT>
struct PlacedWeights {
  ExpertWeights<WT> w;
  std::vector<unsigned char> bytes;
  size_t offset;
  PlacedWeights(int64_t rows, int64_t K, size_t offset_, Rng &rng)
      : w(rows, K, rng), offset(offset_) {
    bytes.resize(offset + w.raw.size() * sizeof(w.raw[0]) + 16);
    std::memcpy(bytes.data() + offset, w.raw.data(), w.raw.size() * sizeof(w.raw[0]));
  }
  const void *data() const { return bytes.data() + offset; }
  const float *scales() const { return w.scales.empty() ? nullptr : w.scales.data(); }
};

/// out[t] in double from the definition, and its tolerance, as in the host
/// kernel's test (test/unit/kernels/MoeTest.cpp). kQuantAct: x as the host
/// quantizes it (the same bits on both sides), h quantized in fp32 from its
/// double value; the quantization step is exact, and a change of an h
/// block's amax within its tolerance moves the block's scale, hence every
/// quantized value of the block, by the same relative amount.
template <int64_t E, int64_t TopK, int64_t H, int64_t I, bool kQuantAct>
void referenceExperts(const std::vector<float> &xIn, const std::vector<int32_t> &ids,
                      const std::vector<float> &w, const std::vector<double> &gu,
                      const std::vector<double> &dn, std::vector<double> &want,
                      std::vector<double> &tol) {
  const int64_t n = int64_t(xIn.size()) / H;
  std::vector<float> x = xIn;
  if constexpr (kQuantAct)
    r1hk::quantizeF8Blocks<H>(kSerial, xIn.data(), n, x.data());
  want.assign(size_t(n * H), 0.0);
  tol.assign(want.size(), 1e-6);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t k = 0; k < TopK; ++k) {
      const int64_t e = ids[size_t(t * TopK + k)];
      if (e < 0 || e >= E)
        continue;
      const double wk = w[size_t(t * TopK + k)];
      std::vector<double> h(I), htol(I);
      for (int64_t i = 0; i < I; ++i) {
        RefDot g, u;
        for (int64_t c = 0; c < H; ++c) {
          g.add(x[size_t(t * H + c)], gu[size_t((e * 2 * I + i) * H + c)]);
          u.add(x[size_t(t * H + c)], gu[size_t((e * 2 * I + I + i) * H + c)]);
        }
        const double silu = g.value / (1.0 + std::exp(-g.value));
        h[size_t(i)] = silu * u.value;
        htol[size_t(i)] = 1.1 * std::fabs(u.value) * g.tolerance(false) +
                          std::fabs(silu) * u.tolerance(false) + 1e-6 * std::fabs(h[size_t(i)]);
      }
      if constexpr (kQuantAct) {
        std::vector<float> hf(h.begin(), h.end()), hq(I);
        r1hk::detail::quantizeRowF8<I>(hf.data(), hq.data());
        for (int64_t b0 = 0; b0 < I; b0 += 128) {
          const int64_t b1 = std::min<int64_t>(I, b0 + 128);
          double amax = 0, amaxTol = 0;
          for (int64_t i = b0; i < b1; ++i)
            if (std::fabs(h[size_t(i)]) > amax)
              amax = std::fabs(h[size_t(i)]), amaxTol = htol[size_t(i)];
          const double rel = amax > 1e-4 ? amaxTol / amax + 1e-6 : 1e-6;
          for (int64_t i = b0; i < b1; ++i)
            h[size_t(i)] = hq[size_t(i)], htol[size_t(i)] = rel * std::fabs(hq[size_t(i)]);
        }
      }
      for (int64_t r = 0; r < H; ++r) {
        RefDot d;
        double prop = 0;
        for (int64_t i = 0; i < I; ++i) {
          const double wd = dn[size_t((e * H + r) * I + i)];
          d.add(h[size_t(i)], wd);
          prop += htol[size_t(i)] * std::fabs(wd);
        }
        want[size_t(t * H + r)] += wk * d.value;
        tol[size_t(t * H + r)] += wk * (d.tolerance(false) + prop) + 1e-6 * std::fabs(wk * d.value);
      }
    }
}

/// The kernel and r1hk::moeExperts on the same inputs against the double
/// reference. `offset`: bytes the weight arrays sit off 16-byte alignment
/// (element-wise reads); `skip`: also route some assignments to id -1 and
/// one token to no valid expert at all.
/// moeExpertsGrouped's launch sequence (see Moe.cuh) into out.
template <int64_t E, int64_t TopK, int64_t H, int64_t I, r1ck::WType WT, bool kQuantAct>
void runGrouped(const std::vector<float> &x, const std::vector<int32_t> &ids,
                const std::vector<float> &w, const void *gateUp, const void *down,
                const float *gateUpScales, const float *downScales, std::vector<float> &out) {
  const int64_t n = int64_t(x.size()) / H;
  constexpr int kWarps = kExpertThreads / 32;
  std::vector<int32_t> groups(size_t(r1ck::moeExpertsGroupsElems<E, TopK>(n)), -7);
  std::vector<float> xq(x.size(), kNaN), h(size_t(n * TopK * I), kNaN);
  auto *sort = &groupedSortKernel<E, TopK>;
  R1_LAUNCH(sort, dim3(1), dim3(kExpertThreads), 0, nullptr, ids.data(), n, groups.data());
  const float *xin = x.data();
  if constexpr (kQuantAct) {
    auto *quantizeX = &quantizeKernel<H>;
    R1_LAUNCH(quantizeX, dim3(unsigned(n)), dim3(32), 0, nullptr, x.data(),
              xq.data());
    xin = xq.data();
  }
  auto *up = &groupedUpKernel<E, TopK, H, I, WT>;
  R1_LAUNCH(up, dim3(unsigned((I + kWarps - 1) / kWarps), unsigned(std::min<int64_t>(E, n * TopK))),
            dim3(kExpertThreads), 0, nullptr, xin, groups.data(), gateUp, gateUpScales,
            h.data());
  if constexpr (kQuantAct) {
    auto *quantizeH = &quantizeKernel<I>;
    R1_LAUNCH(quantizeH, dim3(unsigned(n * TopK)), dim3(32), 0, nullptr, h.data(),
              h.data());
  }
  auto *dn = &groupedDownKernel<E, TopK, H, I, WT>;
  R1_LAUNCH(dn, dim3(unsigned((H + 2 * kWarps - 1) / (2 * kWarps))), dim3(kExpertThreads), 0,
            nullptr, h.data(), w.data(), groups.data(), down, downScales, n, out.data());
}

template <int64_t E, int64_t TopK, int64_t H, int64_t I, r1ck::WType WT, bool kQuantAct>
void checkExperts(int64_t n, size_t offset, bool skip, uint64_t seed, bool grouped = false) {
  constexpr r1hk::WType HWT = hostType(WT);
  Rng rng(seed);
  const PlacedWeights<HWT> gu(E * 2 * I, H, offset, rng), dn(E * H, I, offset, rng);
  const std::vector<float> x = rng.floats(size_t(n * H), -1.5f, 1.5f);
  std::vector<int32_t> ids(size_t(n * TopK));
  std::vector<float> w(ids.size());
  for (int64_t t = 0; t < n; ++t) {
    std::vector<int32_t> perm(E);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng.gen);
    for (int64_t k = 0; k < TopK; ++k) {
      ids[size_t(t * TopK + k)] = perm[size_t(k)];
      w[size_t(t * TopK + k)] = rng.uniform(0.1f, 1.0f);
    }
  }
  if (skip) {
    ids[size_t(TopK - 1)] = -1; // token 0 without its last expert
    if (n > 1)
      for (int64_t k = 0; k < TopK; ++k) // token n-1 without any
        ids[size_t((n - 1) * TopK + k)] = k % 2 ? int32_t(E) : -1;
  }
  std::vector<double> want, tol;
  referenceExperts<E, TopK, H, I, kQuantAct>(x, ids, w, gu.w.value, dn.w.value, want, tol);
  const std::string what = std::string("moeExperts ") + r1hk::test::name(HWT) +
                           (WT == r1ck::WType::F8E4M3 ? " (fp8)" : "") +
                           (kQuantAct ? " w8a8" : "") + " n=" + std::to_string(n) +
                           " offset=" + std::to_string(offset);

  std::vector<float> out(size_t(n * H), kNaN);
  if (grouped) {
    runGrouped<E, TopK, H, I, WT, kQuantAct>(x, ids, w, gu.data(), dn.data(), gu.scales(),
                                             dn.scales(), out);
    expectClose(out.data(), want, tol, what + " (CUDA grouped kernels)");
    if (n >= 12) { // lists long enough for the atomics to order them differently
      std::vector<float> again(out.size(), kNaN);
      runGrouped<E, TopK, H, I, WT, kQuantAct>(x, ids, w, gu.data(), dn.data(), gu.scales(),
                                               dn.scales(), again);
      EXPECT_TRUE(sameBits(out, again)) << what << ": grouped results differ from run to run";
    }
  } else {
    auto *kernel = &expertsKernel<E, TopK, H, I, WT, kQuantAct>;
    R1_LAUNCH(kernel, dim3(unsigned(n)), dim3(kExpertThreads), 4 * (H + I), nullptr, x.data(),
              ids.data(), w.data(), gu.data(), dn.data(), gu.scales(), dn.scales(), out.data());
    expectClose(out.data(), want, tol, what + " (CUDA kernel)");
  }

  std::vector<float> host(out.size(), kNaN);
  r1hk::moeExperts<E, TopK, H, I, HWT, kQuantAct>(kSerial, x.data(), n, ids.data(), w.data(),
                                                  gu.data(), dn.data(), gu.scales(), dn.scales(),
                                                  host.data());
  expectClose(host.data(), want, tol, what + " (host kernel)");
  if (skip && n > 1) {
    for (int64_t r = 0; r < H; ++r)
      ASSERT_EQ(out[size_t((n - 1) * H + r)], 0.0f) << "a token without experts gets zeros";
  }
}

// The tiny model's shape: 16 experts, top 4, hidden 128, intermediate 64.
TEST(CudaMoeExperts, F32) {
  checkExperts<16, 4, 128, 64, r1ck::WType::F32, false>(1, 0, false, 31);
  checkExperts<16, 4, 128, 64, r1ck::WType::F32, false>(5, 0, true, 32);
}
TEST(CudaMoeExperts, Bf16) {
  checkExperts<16, 4, 128, 64, r1ck::WType::BF16, false>(1, 0, false, 33);
  checkExperts<16, 4, 128, 64, r1ck::WType::BF16, false>(5, 0, true, 34);
}
TEST(CudaMoeExperts, F16) {
  checkExperts<16, 4, 128, 64, r1ck::WType::F16, false>(2, 0, true, 39);
}
TEST(CudaMoeExperts, F8) {
  checkExperts<16, 4, 128, 64, r1ck::WType::F8E4M3, false>(1, 0, false, 35);
  checkExperts<16, 4, 128, 64, r1ck::WType::F8E4M3, false>(5, 0, true, 36);
}
TEST(CudaMoeExperts, F8QuantizedActivations) { // W8A8
  checkExperts<16, 4, 128, 64, r1ck::WType::F8E4M3, true>(1, 0, false, 37);
  checkExperts<16, 4, 128, 64, r1ck::WType::F8E4M3, true>(5, 0, true, 38);
}
TEST(CudaMoeExperts, ElementwiseReads) {
  // Weights off 16-byte alignment (aligned to their element only).
  checkExperts<16, 4, 128, 64, r1ck::WType::F32, false>(2, 4, false, 41);
  checkExperts<16, 4, 128, 64, r1ck::WType::BF16, false>(2, 2, false, 42);
  checkExperts<16, 4, 128, 64, r1ck::WType::F8E4M3, true>(2, 1, false, 43);
  // Rows that are not whole chunks: H = 200 (fp8: 12.5 chunks; a partial
  // 128-block), I = 136 (fp8 and bf16 rows of down partial); bf16 gate/up
  // rows of 200 are whole chunks and stay chunked.
  checkExperts<8, 3, 200, 136, r1ck::WType::F8E4M3, false>(2, 0, true, 44);
  checkExperts<8, 3, 200, 136, r1ck::WType::F8E4M3, true>(2, 0, true, 45);
  checkExperts<8, 3, 200, 136, r1ck::WType::BF16, false>(2, 0, true, 46);
  // Odd H and I: the last pass of a warp over rows of I and of H is partial.
  checkExperts<4, 2, 131, 37, r1ck::WType::BF16, false>(2, 0, true, 48);
}
TEST(CudaMoeExperts, V2LiteShape) { // hidden 2048, intermediate 1408, bf16; 2 experts
  checkExperts<2, 2, 2048, 1408, r1ck::WType::BF16, false>(1, 0, false, 47);
}

// moeExpertsGrouped: 12 tokens x top 4 of 8 experts is 6 per expert on
// average, more than the 4 a warp takes at a time. The emulator runs each
// warp shuffle as a barrier of 32 OS threads, so these few cases already
// take seconds.
TEST(CudaMoeExpertsGrouped, F32AndBf16) {
  checkExperts<16, 4, 128, 64, r1ck::WType::F32, false>(1, 0, false, 51, true);
  checkExperts<8, 4, 128, 64, r1ck::WType::BF16, false>(12, 0, true, 52, true);
}
TEST(CudaMoeExpertsGrouped, F8) {
  checkExperts<8, 4, 128, 64, r1ck::WType::F8E4M3, false>(12, 0, false, 53, true);
}
TEST(CudaMoeExpertsGrouped, F8QuantizedActivations) {
  checkExperts<8, 4, 128, 64, r1ck::WType::F8E4M3, true>(12, 0, true, 55, true);
}
TEST(CudaMoeExpertsGrouped, ElementwiseReadsAndOddShapes) {
  checkExperts<8, 4, 128, 64, r1ck::WType::BF16, false>(5, 2, false, 57, true);
  checkExperts<8, 3, 200, 136, r1ck::WType::F8E4M3, true>(5, 0, true, 58, true);
  checkExperts<4, 2, 131, 37, r1ck::WType::BF16, false>(5, 0, true, 59, true);
}

} // namespace
