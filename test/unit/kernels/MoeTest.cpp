//===- MoeTest.cpp - moeTopk routing and moeExperts vs double references --===//
//
// moeTopk against a sort-based reference of DeepSeek-V3's Gate.forward
// (top2_sum and max group scores, bias on/off, normalization on/off, one
// group), plus hand-made cases where the bias or the group score changes
// the choice while the weights come from the unbiased scores. moeExperts
// with bf16, f32 and block-scaled fp8 experts against a double reference,
// bit-identical for 1 and 3 threads and both precision modes.
//
//===----------------------------------------------------------------------===//
#include "KernelTestUtil.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace r1hk::test {
namespace {

struct Route {
  std::vector<int32_t> ids;
  std::vector<double> weights;
};

/// DeepSeek-V3 Gate.forward after the score function, one token; choice
/// scores in fp32 as torch forms them, ties to the lower index.
Route refRoute(const float *s, const float *bias, int64_t E, int64_t topk, int64_t groups,
               int64_t topkGroups, int groupScore, bool normalize, float scaling) {
  std::vector<float> b(static_cast<size_t>(E));
  for (int64_t e = 0; e < E; ++e)
    b[size_t(e)] = bias ? s[e] + bias[e] : s[e];
  auto byScore = [](const std::vector<float> &v) {
    std::vector<int64_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](int64_t x, int64_t y) {
      return v[size_t(x)] > v[size_t(y)] || (v[size_t(x)] == v[size_t(y)] && x < y);
    });
    return idx;
  };
  std::vector<bool> allowed(static_cast<size_t>(E), true);
  if (groups > 1) {
    int64_t G = E / groups;
    std::vector<float> gs(static_cast<size_t>(groups));
    for (int64_t g = 0; g < groups; ++g) {
      std::vector<float> part(b.begin() + g * G, b.begin() + (g + 1) * G);
      std::sort(part.begin(), part.end(), std::greater<float>());
      gs[size_t(g)] = groupScore == 1 ? part[0] : part[0] + part[1];
    }
    std::vector<int64_t> order = byScore(gs);
    for (int64_t e = 0; e < E; ++e)
      allowed[size_t(e)] = std::find(order.begin(), order.begin() + topkGroups, e / G) !=
                           order.begin() + topkGroups;
  }
  std::vector<float> masked = b;
  for (int64_t e = 0; e < E; ++e)
    if (!allowed[size_t(e)])
      masked[size_t(e)] = -std::numeric_limits<float>::infinity();
  std::vector<int64_t> order = byScore(masked);
  Route r;
  double sum = 0;
  for (int64_t k = 0; k < topk; ++k) {
    r.ids.push_back(int32_t(order[size_t(k)]));
    r.weights.push_back(s[order[size_t(k)]]);
    sum += s[order[size_t(k)]];
  }
  for (double &w : r.weights)
    w = (normalize ? w / sum : w) * scaling;
  return r;
}

template <int64_t E, int64_t TopK, int64_t Groups, int64_t TopkGroups, int kGroupScore, bool kBias,
          bool kNormalize>
void checkTopk(int64_t n, bool softmaxScores, bool expectBiasMatters) {
  Rng rng(uint64_t(E * 131 + TopK * 17 + Groups * 5 + kGroupScore * 3 + kBias + kNormalize));
  std::vector<float> scores(size_t(n * E)), bias = rng.floats(E, -0.3f, 0.3f);
  for (int64_t t = 0; t < n; ++t) {
    double sum = 0;
    for (int64_t e = 0; e < E; ++e) {
      float z = rng.uniform(-4, 4);
      scores[size_t(t * E + e)] = softmaxScores ? float(std::exp(double(z))) : 1.0f / (1.0f + std::exp(-z));
      sum += scores[size_t(t * E + e)];
    }
    if (softmaxScores)
      for (int64_t e = 0; e < E; ++e)
        scores[size_t(t * E + e)] = float(scores[size_t(t * E + e)] / sum);
  }
  const float scaling = 2.5f;
  int biasMatters = 0;
  for (int threads : {1, 3}) {
    TestPool pool(threads);
    std::vector<int32_t> ids(size_t(n * TopK), -1);
    std::vector<float> w(size_t(n * TopK), std::nanf(""));
    moeTopk<E, TopK, Groups, TopkGroups, kGroupScore, kBias, kNormalize>(
        pool.exec(true), scores.data(), n, kBias ? bias.data() : nullptr, scaling, ids.data(),
        w.data());
    for (int64_t t = 0; t < n; ++t) {
      const float *s = scores.data() + t * E;
      Route want = refRoute(s, kBias ? bias.data() : nullptr, E, TopK, Groups, TopkGroups,
                            kGroupScore, kNormalize, scaling);
      Route unbiased = refRoute(s, nullptr, E, TopK, Groups, TopkGroups, kGroupScore, kNormalize,
                                scaling);
      std::vector<int32_t> a = want.ids, b = unbiased.ids;
      std::sort(a.begin(), a.end()), std::sort(b.begin(), b.end());
      biasMatters += a != b;
      for (int64_t k = 0; k < TopK; ++k) {
        size_t i = size_t(t * TopK + k);
        ASSERT_EQ(ids[i], want.ids[size_t(k)]) << "token " << t << " k " << k;
        ASSERT_NEAR(w[i], want.weights[size_t(k)], 1e-6 * std::fabs(want.weights[size_t(k)]))
            << "token " << t << " k " << k;
      }
    }
  }
  if (expectBiasMatters)
    EXPECT_GT(biasMatters, 0) << "the test data never lets the bias change the choice";
}

TEST(MoeTopk, NoauxTcTop2SumBiasNormalize) { // V3/R1
  checkTopk<64, 6, 8, 3, kGroupScoreTop2Sum, true, true>(60, false, true);
}
TEST(MoeTopk, Top2SumBiasNoNormalize) {
  checkTopk<32, 4, 4, 2, kGroupScoreTop2Sum, true, false>(40, false, true);
}
TEST(MoeTopk, Top2SumNoBias) { checkTopk<32, 4, 4, 2, kGroupScoreTop2Sum, false, true>(40, false, false); }
TEST(MoeTopk, GroupLimitedGreedyMax) { // V2 group_limited_greedy, softmax scores
  checkTopk<64, 6, 8, 3, kGroupScoreMax, false, false>(60, true, false);
}
TEST(MoeTopk, MaxWithBiasNormalize) { checkTopk<16, 2, 4, 2, kGroupScoreMax, true, true>(40, false, true); }
TEST(MoeTopk, GreedyOneGroup) { checkTopk<64, 6, 1, 1, kGroupScoreNone, false, false>(30, true, false); }
TEST(MoeTopk, OneGroupBiasNormalize) {
  checkTopk<16, 4, 1, 1, kGroupScoreNone, true, true>(40, false, true);
}

TEST(MoeTopk, BiasChoosesUnbiasedWeighs) {
  const float s[4] = {0.9f, 0.1f, 0.5f, 0.4f}, bias[4] = {-1.0f, 1.0f, 0.0f, 0.0f};
  int32_t ids[2];
  float w[2];
  TestPool pool(1);
  moeTopk<4, 2, 1, 1, kGroupScoreNone, true, true>(pool.exec(true), s, 1, bias, 1.0f, ids, w);
  EXPECT_EQ(ids[0], 1); // biased 1.1
  EXPECT_EQ(ids[1], 2); // biased 0.5 (expert 0 is -0.1)
  EXPECT_FLOAT_EQ(w[0], 0.1f / 0.6f);
  EXPECT_FLOAT_EQ(w[1], 0.5f / 0.6f);
  moeTopk<4, 2, 1, 1, kGroupScoreNone, true, false>(pool.exec(true), s, 1, bias, 2.0f, ids, w);
  EXPECT_FLOAT_EQ(w[0], 0.2f);
  EXPECT_FLOAT_EQ(w[1], 1.0f);
}

TEST(MoeTopk, GroupScoreDecidesTheGroup) {
  // Group 0: max 0.9, top-2 sum 0.9; group 1: max 0.6, top-2 sum 1.2.
  const float s[8] = {0.9f, 0.0f, 0.0f, 0.0f, 0.6f, 0.6f, 0.0f, 0.0f};
  int32_t ids[2];
  float w[2];
  TestPool pool(1);
  moeTopk<8, 2, 2, 1, kGroupScoreTop2Sum, false, false>(pool.exec(true), s, 1, nullptr, 1.0f, ids,
                                                        w);
  EXPECT_EQ(ids[0], 4);
  EXPECT_EQ(ids[1], 5);
  moeTopk<8, 2, 2, 1, kGroupScoreMax, false, false>(pool.exec(true), s, 1, nullptr, 1.0f, ids, w);
  EXPECT_EQ(ids[0], 0);
  EXPECT_EQ(ids[1], 1); // ties among the zeros go to the lower index
  EXPECT_EQ(w[0], 0.9f);
}

template <int64_t E, int64_t TopK, int64_t Hd, int64_t I, WType WT>
void checkExperts(std::vector<int64_t> ns) {
  Rng rng(uint64_t(E * 7 + TopK * 3 + Hd * 11 + I * 13 + int(WT)));
  ExpertWeights<WT> gu(E * 2 * I, Hd, rng), dn(E * Hd, I, rng);
  for (int64_t n : ns) {
    std::vector<float> x = rng.floats(size_t(n * Hd), -1.5f, 1.5f);
    std::vector<int32_t> ids(size_t(n * TopK));
    std::vector<float> w(size_t(n * TopK));
    for (int64_t t = 0; t < n; ++t) {
      std::vector<int32_t> perm(static_cast<size_t>(E));
      std::iota(perm.begin(), perm.end(), 0);
      // Skewed: low experts are popular, so some get many tokens, some one.
      for (int64_t k = 0; k < TopK; ++k) {
        int64_t j = k + (rng.integer(0, 3) == 0 ? rng.integer(0, E - 1 - k) : rng.integer(0, 1));
        std::swap(perm[size_t(k)], perm[size_t(std::min<int64_t>(j, E - 1))]);
        ids[size_t(t * TopK + k)] = perm[size_t(k)];
        w[size_t(t * TopK + k)] = rng.uniform(0.1f, 1.0f);
      }
    }
    // Reference; tolerances for fp32 products (tols[0]) and for AMX's bf16
    // operands (tols[1]: x and the gate/up weights, then h and the down
    // weights, each rounded).
    std::vector<double> want(size_t(n * Hd), 0.0);
    std::vector<double> tols[2] = {std::vector<double>(size_t(n * Hd), 1e-6),
                                   std::vector<double>(size_t(n * Hd), 1e-6)};
    for (int64_t t = 0; t < n; ++t)
      for (int64_t k = 0; k < TopK; ++k) {
        int64_t e = ids[size_t(t * TopK + k)];
        double wk = w[size_t(t * TopK + k)];
        std::vector<double> h(static_cast<size_t>(I));
        std::vector<double> htol[2] = {std::vector<double>(size_t(I)), std::vector<double>(size_t(I))};
        for (int64_t i = 0; i < I; ++i) {
          RefDot g, u;
          for (int64_t c = 0; c < Hd; ++c) {
            g.add(x[size_t(t * Hd + c)], gu.value[size_t((e * 2 * I + i) * Hd + c)]);
            u.add(x[size_t(t * Hd + c)], gu.value[size_t((e * 2 * I + I + i) * Hd + c)]);
          }
          double silu = g.value / (1.0 + std::exp(-g.value));
          h[size_t(i)] = silu * u.value;
          for (int b = 0; b < 2; ++b)
            htol[b][size_t(i)] = 1.1 * std::fabs(u.value) * g.tolerance(2 * b) +
                                 std::fabs(silu) * u.tolerance(2 * b) +
                                 1e-6 * std::fabs(h[size_t(i)]);
        }
        for (int64_t r = 0; r < Hd; ++r) {
          RefDot d;
          double prop[2] = {0, 0};
          for (int64_t i = 0; i < I; ++i) {
            double wd = dn.value[size_t((e * Hd + r) * I + i)];
            d.add(h[size_t(i)], wd);
            for (int b = 0; b < 2; ++b)
              prop[b] += htol[b][size_t(i)] * std::fabs(wd);
          }
          want[size_t(t * Hd + r)] += wk * d.value;
          for (int b = 0; b < 2; ++b)
            tols[b][size_t(t * Hd + r)] +=
                wk * (d.tolerance(2 * b) + prop[b]) + 1e-6 * std::fabs(wk * d.value);
        }
      }
    std::vector<float> first[2]; // per precision
    for (auto [threads, fp32] : {std::pair{1, false}, std::pair{3, false}, std::pair{1, true},
                                 std::pair{3, true}}) {
      TestPool pool(threads);
      std::vector<float> out(size_t(n * Hd), std::nanf(""));
      moeExperts<E, TopK, Hd, I, WT>(pool.exec(fp32), x.data(), n, ids.data(), w.data(),
                                     gu.raw.data(), dn.raw.data(),
                                     gu.scales.empty() ? nullptr : gu.scales.data(),
                                     dn.scales.empty() ? nullptr : dn.scales.data(), out.data());
      std::string what = std::string("moeExperts ") + name(WT) + " n=" + std::to_string(n) +
                         " threads=" + std::to_string(threads) + (fp32 ? " fp32" : " default");
      expectClose(out.data(), want, tols[amxPrefill<WT>(fp32, n)], what);
      if (first[fp32].empty())
        first[fp32] = out;
      else
        EXPECT_TRUE(sameBits(first[fp32], out)) << what << ": differs from 1 thread";
    }
    // Only AMX (experts with several tokens) makes the precisions differ.
    if (amxPrefill<WT>(false, n))
      EXPECT_FALSE(sameBits(first[0], first[1])) << "n=" << n << ": default did not use AMX";
    else
      EXPECT_TRUE(sameBits(first[0], first[1])) << "n=" << n << ": default differs from fp32";
  }
}

// Exec::amxMinExpertTokens decides per expert: above every expert's token
// count the experts take the fp32 tile (the fp32 precision's bits); at 1,
// AMX where the CPU allows it.
TEST(MoeExperts, AmxMinExpertTokensPicksThePath) {
  constexpr int64_t E = 4, TopK = 2, Hd = 128, I = 64, n = 24;
  Rng rng(91);
  ExpertWeights<WType::BF16> gu(E * 2 * I, Hd, rng), dn(E * Hd, I, rng);
  std::vector<float> x = rng.floats(size_t(n * Hd), -1.5f, 1.5f);
  std::vector<int32_t> ids(size_t(n * TopK));
  std::vector<float> w(size_t(n * TopK));
  for (int64_t t = 0; t < n; ++t)
    for (int64_t k = 0; k < TopK; ++k) {
      ids[size_t(t * TopK + k)] = int32_t((t + k) % E);
      w[size_t(t * TopK + k)] = rng.uniform(0.1f, 1.0f);
    }
  auto run = [&](bool fp32, int32_t minTokens) {
    TestPool pool(2);
    Exec ex = pool.exec(fp32);
    ex.amxMinExpertTokens = minTokens;
    std::vector<float> out(size_t(n * Hd), std::nanf(""));
    moeExperts<E, TopK, Hd, I, WType::BF16>(ex, x.data(), n, ids.data(), w.data(), gu.raw.data(),
                                            dn.raw.data(), nullptr, nullptr, out.data());
    return out;
  };
  // Each expert gets n * TopK / E = 12 tokens.
  std::vector<float> reference = run(true, 1), above = run(false, 13), at = run(false, 12);
  EXPECT_TRUE(sameBits(above, reference)) << "experts below the threshold used AMX";
  if (amxPrefill<WType::BF16>(false, n))
    EXPECT_FALSE(sameBits(at, reference)) << "experts at the threshold did not use AMX";
  else
    EXPECT_TRUE(sameBits(at, reference));
}

// Hd = 200: a partial 128-block and a partial 16-row tile; I = 136: a
// partial block in down's K and a partial 8-row tile (136 = 17 * 8).
TEST(MoeExperts, Bf16) { checkExperts<8, 3, 200, 136, WType::BF16>({1, 5, 40}); }
TEST(MoeExperts, F8) { checkExperts<8, 3, 200, 136, WType::F8E4M3>({1, 5, 40}); }
TEST(MoeExperts, F32OddTiles) { checkExperts<6, 2, 72, 20, WType::F32>({1, 7}); }
TEST(MoeExperts, F8ManyTokens) { checkExperts<4, 2, 128, 64, WType::F8E4M3>({300}); }

} // namespace
} // namespace r1hk::test
