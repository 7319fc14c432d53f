//===- SamplerTest.cpp - Sampled frequencies, truncations, penalties ------===//
//
// Statistical checks with fixed seeds (so every run sees the same draws):
// sampled frequencies against the expected distribution with a chi-square
// test whose threshold a correct sampler exceeds with probability about
// 1e-6; the truncations never emit a token outside the set they keep and
// emit every token inside it; the penalties change exactly the logits they
// should; seeds reproduce.
//
//===----------------------------------------------------------------------===//

#include "runtime/Sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace r1::runtime {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

/// Parameters with every truncation and penalty off.
SamplingParams plain(float temperature = 1.0f) {
  SamplingParams p;
  p.temperature = temperature;
  p.topP = 1.0f;
  return p;
}

std::vector<int64_t> histogram(const SamplingParams &params, const std::vector<float> &logits,
                               int64_t draws) {
  Sampler sampler(params, static_cast<int32_t>(logits.size()));
  std::vector<int64_t> counts(logits.size());
  for (int64_t i = 0; i < draws; ++i) {
    int32_t token = sampler.sample(logits.data(), {});
    EXPECT_GE(token, 0);
    EXPECT_LT(token, static_cast<int32_t>(logits.size()));
    ++counts[static_cast<size_t>(token)];
  }
  return counts;
}

/// softmax(logits / temperature), computed in double independently of the
/// sampler.
std::vector<double> softmax(const std::vector<float> &logits, double temperature) {
  double max = *std::max_element(logits.begin(), logits.end());
  std::vector<double> p(logits.size());
  for (size_t i = 0; i < logits.size(); ++i)
    p[i] = std::exp((logits[i] - max) / temperature);
  double sum = std::accumulate(p.begin(), p.end(), 0.0);
  for (double &x : p)
    x /= sum;
  return p;
}

/// Zeroes the tokens outside `kept` and renormalizes.
std::vector<double> restrictTo(std::vector<double> p, const std::vector<int32_t> &kept) {
  std::vector<double> q(p.size());
  double sum = 0;
  for (int32_t id : kept)
    sum += p[static_cast<size_t>(id)];
  for (int32_t id : kept)
    q[static_cast<size_t>(id)] = p[static_cast<size_t>(id)] / sum;
  return q;
}

/// Ids sorted by probability, high first, ties by id.
std::vector<int32_t> byProbability(const std::vector<double> &p) {
  std::vector<int32_t> ids(p.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::sort(ids.begin(), ids.end(),
            [&](int32_t a, int32_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
  return ids;
}

/// The chi-square value a correct sampler exceeds with probability ~1e-6
/// (Wilson-Hilferty; slightly conservative for few degrees of freedom).
double chiSquareLimit(int degrees) {
  double k = degrees, z = 4.753; // the standard normal's 1 - 1e-6 quantile
  double c = 1.0 - 2.0 / (9.0 * k) + z * std::sqrt(2.0 / (9.0 * k));
  return k * c * c * c;
}

/// Checks that `counts` never hits a token of probability 0, hits every
/// token expected 20 times or more (missing one has probability e^-20), and
/// fits `expected` by a chi-square test. Tokens expected fewer than 5 times
/// are pooled, as the test's approximation needs.
void expectDistribution(const std::vector<int64_t> &counts, const std::vector<double> &expected) {
  ASSERT_EQ(counts.size(), expected.size());
  const double draws = static_cast<double>(std::accumulate(counts.begin(), counts.end(), 0ll));
  double chi2 = 0;
  int categories = 0;
  auto add = [&](double count, double e) {
    chi2 += (count - e) * (count - e) / e;
    ++categories;
  };
  double rareCount = 0, rareExpected = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    double e = expected[i] * draws;
    if (expected[i] == 0)
      EXPECT_EQ(counts[i], 0) << "token " << i << " is outside the kept set";
    else if (e >= 20)
      EXPECT_GT(counts[i], 0) << "token " << i << " (p = " << expected[i] << ") never drawn";
    if (e >= 5) {
      add(static_cast<double>(counts[i]), e);
    } else {
      rareCount += static_cast<double>(counts[i]);
      rareExpected += e;
    }
  }
  if (rareExpected >= 5)
    add(rareCount, rareExpected);
  if (categories > 1)
    EXPECT_LT(chi2, chiSquareLimit(categories - 1)) << "over " << categories << " categories";
}

// A small distribution with a tie (ids 1 and 6) and a spread of 5 nats.
const std::vector<float> kLogits = {1.0f, 2.0f, 0.5f, -1.0f, 3.0f, 0.0f, 2.0f, -2.0f};

TEST(Sampler, MatchesTheSoftmaxAtTemperatureOne) {
  expectDistribution(histogram(plain(), kLogits, 200000), softmax(kLogits, 1.0));
}

TEST(Sampler, TemperatureSharpensAndFlattens) {
  for (float t : {0.3f, 0.6f, 2.5f}) {
    SCOPED_TRACE(t);
    expectDistribution(histogram(plain(t), kLogits, 200000), softmax(kLogits, t));
  }
}

TEST(Sampler, ChiSquareRejectsTheUntemperedDistribution) {
  // The test has the power to see a missing temperature.
  std::vector<int64_t> counts = histogram(plain(0.6f), kLogits, 200000);
  std::vector<double> wrong = softmax(kLogits, 1.0);
  double chi2 = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    double e = wrong[i] * 200000;
    chi2 += (static_cast<double>(counts[i]) - e) * (static_cast<double>(counts[i]) - e) / e;
  }
  EXPECT_GT(chi2, 100 * chiSquareLimit(7));
}

TEST(Sampler, DrawsAcrossBlocksOfALargeVocabulary) {
  // Mass on a few tokens in different 4096-token blocks, a little on the rest.
  std::vector<float> logits(10000, -3.0f);
  const std::vector<int32_t> heavy = {0, 4095, 4096, 8191, 9999};
  for (size_t i = 0; i < heavy.size(); ++i)
    logits[static_cast<size_t>(heavy[i])] = 6.0f + 0.5f * static_cast<float>(i);
  std::vector<int64_t> counts = histogram(plain(), logits, 100000);
  std::vector<double> p = softmax(logits, 1.0);

  // The light tokens as one category.
  std::vector<int64_t> grouped;
  std::vector<double> expected;
  int64_t restCount = std::accumulate(counts.begin(), counts.end(), int64_t(0));
  double restP = 1.0;
  for (int32_t id : heavy) {
    grouped.push_back(counts[static_cast<size_t>(id)]);
    expected.push_back(p[static_cast<size_t>(id)]);
    restCount -= counts[static_cast<size_t>(id)];
    restP -= p[static_cast<size_t>(id)];
  }
  grouped.push_back(restCount);
  expected.push_back(restP);
  expectDistribution(grouped, expected);
}

TEST(Sampler, TemperatureZeroIsArgmaxWithTiesToTheLowestId) {
  Sampler sampler(plain(0.0f), 8);
  EXPECT_EQ(sampler.sample(kLogits.data(), {}), 4);
  std::vector<float> tied = {1.0f, 5.0f, 2.0f, 5.0f, 5.0f, 0.0f, -1.0f, 3.0f};
  EXPECT_EQ(sampler.sample(tied.data(), {}), 1);
  std::vector<float> nan = tied;
  nan[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(sampler.sample(nan.data(), {}), 3);
}

TEST(Sampler, GreedyAppliesThePenaltiesFirst) {
  SamplingParams params = plain(0.0f);
  params.repeatPenalty = 2.0f;
  Sampler sampler(params, 8);
  // Token 4 (logit 3) halves to 1.5, below tokens 1 and 6 (2): the lower wins.
  const int32_t history[] = {4};
  EXPECT_EQ(sampler.sample(kLogits.data(), history), 1);
}

/// The nucleus computed here independently: the shortest prefix of the ids
/// by probability whose probabilities add up to >= topP.
std::vector<int32_t> nucleusOf(const std::vector<double> &p, double topP) {
  std::vector<int32_t> kept;
  double sum = 0;
  for (int32_t id : byProbability(p)) {
    kept.push_back(id);
    sum += p[static_cast<size_t>(id)];
    if (sum >= topP)
      break;
  }
  return kept;
}

TEST(Sampler, TopPKeepsExactlyTheNucleus) {
  // p (T = 1) by id: 4: .493, 1 and 6: .181 each, 0: .067, 2: .041, 5: .025,
  // 3: .009, 7: .003; cumulated: .493, .675, .856, .923, .963, ...
  for (float topP : {0.5f, 0.7f, 0.8f, 0.9f, 0.95f}) {
    SCOPED_TRACE(topP);
    SamplingParams params = plain();
    params.topP = topP;
    std::vector<double> p = softmax(kLogits, 1.0);
    std::vector<int32_t> nucleus = nucleusOf(p, topP);
    expectDistribution(histogram(params, kLogits, 100000), restrictTo(p, nucleus));
  }
}

TEST(Sampler, TopPSplitsTiesByIdAndKeepsAtLeastOneToken) {
  // .5 on id 3, .25 on ids 0 and 5: p = .6 needs one of the tied pair.
  std::vector<float> logits = {0.0f, -kInf, -kInf, std::log(2.0f), -kInf, 0.0f};
  SamplingParams params = plain();
  params.topP = 0.6f;
  expectDistribution(histogram(params, logits, 50000), {1.0 / 3, 0, 0, 2.0 / 3, 0, 0});
  params.topP = 0.01f;
  expectDistribution(histogram(params, logits, 1000), {0, 0, 0, 1, 0, 0});
}

TEST(Sampler, TopPOverManySmallTokens) {
  // One token of weight 1 and 501 of weight .01 (below the sampler's first
  // threshold, 1/64): the nucleus needs most of the small ones.
  std::vector<float> logits(502, std::log(0.01f));
  logits[100] = 0.0f;
  SamplingParams params = plain();
  params.topP = 0.95f;
  std::vector<double> p = softmax(logits, 1.0);
  std::vector<int32_t> nucleus = nucleusOf(p, params.topP);
  ASSERT_EQ(nucleus.size(), 1u + 471u); // (.95 x 6.01 - 1) / .01 = 470.95
  std::vector<int64_t> counts = histogram(params, logits, 60000);
  expectDistribution(counts, restrictTo(p, nucleus));
  // Ties are cut by id: 0..99 and 101..471 are in, 472 is not.
  EXPECT_GT(counts[471], 0);
  EXPECT_EQ(counts[472], 0);
}

TEST(Sampler, TopPDoesNotDependOnEarlierTokens) {
  // The sampler starts its search for the nucleus where the last one was
  // found; that must not change any result. Two samplers with the same seed,
  // one first fed a peaked row and the other a flat one, then the same rows.
  std::vector<std::vector<float>> rows;
  uint64_t state = 99;
  for (int r = 0; r < 40; ++r) {
    std::vector<float> row(3000);
    float spread = 0.5f + static_cast<float>(r % 8); // flat to peaked
    for (float &l : row) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      l = spread * static_cast<float>(state >> 40) * 0x1.0p-24f;
    }
    rows.push_back(row);
  }
  SamplingParams params = plain(0.7f);
  params.topP = 0.9f;
  Sampler a(params, 3000), b(params, 3000);
  std::vector<float> peaked(3000, -30.0f), flat(3000, 0.0f);
  peaked[5] = 0.0f;
  (void)a.sample(peaked.data(), {});
  (void)b.sample(flat.data(), {});
  for (const std::vector<float> &row : rows)
    ASSERT_EQ(a.sample(row.data(), {}), b.sample(row.data(), {}));
}

TEST(Sampler, TopKKeepsTheKHighestLogits) {
  // Ties at the boundary: logit 3 at ids 0, 2, 5 and 7; k = 3 keeps 1, 3, 0.
  std::vector<float> logits = {3.0f, 5.0f, 3.0f, 4.5f, 1.0f, 3.0f, 0.0f, 3.0f};
  SamplingParams params = plain();
  params.topK = 3;
  std::vector<double> p = softmax(logits, 1.0);
  expectDistribution(histogram(params, logits, 100000), restrictTo(p, {1, 3, 0}));
  params.topK = 1;
  expectDistribution(histogram(params, logits, 1000), restrictTo(p, {1}));
}

TEST(Sampler, TopKOverARandomVocabulary) {
  // 1000 logits in [0, 4) from a fixed generator; the 20 highest survive.
  std::vector<float> logits(1000);
  uint64_t state = 12345;
  for (float &l : logits) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    l = static_cast<float>(state >> 40) * 0x1.0p-24f * 4.0f;
  }
  SamplingParams params = plain(0.8f);
  params.topK = 20;
  std::vector<double> p = softmax(logits, 0.8);
  std::vector<int32_t> ids = byProbability(p);
  ids.resize(20);
  expectDistribution(histogram(params, logits, 200000), restrictTo(p, ids));
}

TEST(Sampler, MinPDropsTokensBelowAFractionOfTheLargest) {
  SamplingParams params = plain();
  std::vector<double> p = softmax(kLogits, 1.0);
  for (float minP : {0.05f, 0.2f, 0.5f}) {
    SCOPED_TRACE(minP);
    params.minP = minP;
    std::vector<int32_t> kept;
    for (int32_t id = 0; id < 8; ++id)
      if (p[static_cast<size_t>(id)] >= minP * p[4])
        kept.push_back(id);
    expectDistribution(histogram(params, kLogits, 100000), restrictTo(p, kept));
  }
}

TEST(Sampler, TopPAndMinPKeepTheShorterPrefix) {
  std::vector<double> p = softmax(kLogits, 1.0);
  SamplingParams params = plain();
  // top-p .9 keeps 4, 1, 6, 0; min-p .3 keeps 4, 1, 6.
  params.topP = 0.9f;
  params.minP = 0.3f;
  expectDistribution(histogram(params, kLogits, 100000), restrictTo(p, {4, 1, 6}));
  // top-p .5 keeps 4, 1; min-p .1 keeps 4, 1, 6, 0.
  params.topP = 0.5f;
  params.minP = 0.1f;
  expectDistribution(histogram(params, kLogits, 100000), restrictTo(p, {4, 1}));
  // The same through top-k (k = 6 leaves 3 and 7 out).
  params.topK = 6;
  expectDistribution(histogram(params, kLogits, 100000), restrictTo(p, {4, 1}));
  params.topP = 1.0f;
  params.minP = 0.05f;
  expectDistribution(histogram(params, kLogits, 100000), restrictTo(p, {4, 1, 6, 0, 2}));
}

TEST(Sampler, NaNIsNeverDrawnAndInfinityWins) {
  std::vector<float> logits = kLogits;
  logits[4] = std::numeric_limits<float>::quiet_NaN();
  std::vector<double> expected = softmax(kLogits, 1.0);
  expected[4] = 0;
  double sum = std::accumulate(expected.begin(), expected.end(), 0.0);
  for (double &x : expected)
    x /= sum;
  expectDistribution(histogram(plain(), logits, 100000), expected);
  logits[6] = kInf;
  logits[2] = kInf;
  Sampler sampler(plain(), 8);
  EXPECT_EQ(sampler.sample(logits.data(), {}), 2);
  std::vector<float> none(8, -kInf);
  EXPECT_EQ(sampler.sample(none.data(), {}), 0);
}

TEST(Sampler, PenaltiesChangeExactlyTheRepeatedLogits) {
  SamplingParams params = plain();
  params.repeatPenalty = 1.5f;
  params.presencePenalty = 0.25f;
  params.frequencyPenalty = 0.5f;
  params.repeatLastN = 6;
  Sampler sampler(params, 8);
  std::vector<float> logits = {1.0f, 3.0f, -2.0f, 0.5f, 6.0f, -1.0f, 0.0f, 2.0f};
  // The window is the last 6, {1, 9, -1, 2, 2, 6}: 7 came earlier, and ids
  // outside [0, 8) are ignored.
  const int32_t history[] = {7, 7, 2, 1, 9, -1, 2, 2, 6};
  sampler.applyPenalties(logits, history);
  // Positive logits are divided, others multiplied; then count x .5 + .25.
  std::vector<float> expected = {1.0f,
                                 3.0f / 1.5f - (1 * 0.5f + 0.25f),
                                 -2.0f * 1.5f - (2 * 0.5f + 0.25f),
                                 0.5f,
                                 6.0f,
                                 -1.0f,
                                 0.0f * 1.5f - (1 * 0.5f + 0.25f),
                                 2.0f};
  EXPECT_EQ(logits, expected);
}

TEST(Sampler, PenaltyWindowWholeHistoryAndOff) {
  SamplingParams params = plain();
  params.repeatPenalty = 2.0f;
  params.repeatLastN = -1;
  const int32_t history[] = {0, 1, 0};
  std::vector<float> logits = {4.0f, -4.0f, 1.0f};
  Sampler(params, 3).applyPenalties(logits, history);
  EXPECT_EQ(logits, (std::vector<float>{2.0f, -8.0f, 1.0f}));

  params.repeatLastN = 0;
  logits = {4.0f, -4.0f, 1.0f};
  Sampler(params, 3).applyPenalties(logits, history);
  EXPECT_EQ(logits, (std::vector<float>{4.0f, -4.0f, 1.0f}));

  // Calls do not leak counts into each other.
  params.repeatLastN = 64;
  params.repeatPenalty = 1.0f;
  params.frequencyPenalty = 1.0f;
  Sampler sampler(params, 3);
  for (int i = 0; i < 3; ++i) {
    logits = {4.0f, -4.0f, 1.0f};
    sampler.applyPenalties(logits, history);
    EXPECT_EQ(logits, (std::vector<float>{2.0f, -5.0f, 1.0f}));
  }
}

TEST(Sampler, PenaltiesShapeTheSampledDistribution) {
  SamplingParams params = plain();
  params.presencePenalty = 1.0f;
  const int32_t history[] = {4, 4, 1};
  Sampler sampler(params, 8);
  std::vector<float> logits = kLogits;
  std::vector<int64_t> counts(8);
  for (int i = 0; i < 100000; ++i)
    ++counts[static_cast<size_t>(sampler.sample(logits.data(), history))];
  EXPECT_EQ(logits, kLogits) << "sample() must not change the caller's logits";
  std::vector<float> penalized = kLogits;
  penalized[4] -= 1.0f;
  penalized[1] -= 1.0f;
  expectDistribution(counts, softmax(penalized, 1.0));
}

std::vector<int32_t> sequence(uint64_t seed, int count, SamplingParams params = {}) {
  params.seed = seed;
  Sampler sampler(params, 8);
  std::vector<int32_t> tokens;
  for (int i = 0; i < count; ++i)
    tokens.push_back(sampler.sample(kLogits.data(), {}));
  return tokens;
}

TEST(Sampler, SameSeedSameTokensOtherSeedOtherTokens) {
  EXPECT_EQ(sequence(7, 1000), sequence(7, 1000));
  EXPECT_NE(sequence(7, 1000), sequence(8, 1000));
  EXPECT_EQ(sequence(SamplingParams::kDefaultSeed, 100), sequence(SamplingParams().seed, 100));
}

TEST(Sampler, SeedGivesTheSameTokensEverywhere) {
  // Fixed by mt19937_64 (whose sequence the standard defines), the draw's
  // conversion and the algorithm; a change here changes every seeded run.
  // (The first sequence changed when the draw began to walk the nucleus in
  // id order, the CUDA sampler's order, instead of by weight bucket.)
  EXPECT_EQ(sequence(2025, 24), (std::vector<int32_t>{4, 4, 1, 4, 4, 4, 4, 4, 4, 4, 6, 4,
                                                      1, 6, 4, 4, 4, 6, 4, 4, 4, 4, 4, 4}));
  EXPECT_EQ(sequence(2025, 24, plain()),
            (std::vector<int32_t>{1, 4, 1, 4, 1, 6, 4, 4, 6, 4, 7, 2,
                                  1, 6, 5, 4, 4, 6, 2, 4, 5, 4, 1, 4}));
}

std::string errorOf(void (*edit)(SamplingParams &)) {
  SamplingParams params;
  edit(params);
  Status status = params.validate();
  EXPECT_EQ(status.kind(), ErrorKind::kBadInput);
  return status.message();
}

TEST(Sampler, ValidateNamesTheBadOption) {
  EXPECT_TRUE(SamplingParams().validate().ok());
  EXPECT_EQ(errorOf([](SamplingParams &p) { p.temperature = -0.5f; }),
            "--temperature must be >= 0 (0 is greedy), not -0.5");
  EXPECT_EQ(errorOf([](SamplingParams &p) { p.temperature = kInf; }),
            "--temperature must be >= 0 (0 is greedy), not inf");
  EXPECT_EQ(errorOf([](SamplingParams &p) { p.topP = 0.0f; }),
            "--top-p must be in (0, 1] (1 is off), not 0");
  EXPECT_EQ(errorOf([](SamplingParams &p) { p.topP = 1.5f; }),
            "--top-p must be in (0, 1] (1 is off), not 1.5");
  EXPECT_EQ(errorOf([](SamplingParams &p) { p.topP = std::nanf(""); }),
            "--top-p must be in (0, 1] (1 is off), not nan");
  EXPECT_EQ(errorOf([](SamplingParams &p) { p.topK = -1; }),
            "--top-k must be >= 0 (0 is off), not -1");
  EXPECT_EQ(errorOf([](SamplingParams &p) { p.minP = 1.25f; }),
            "--min-p must be in [0, 1] (0 is off), not 1.25");
  EXPECT_EQ(errorOf([](SamplingParams &p) { p.repeatPenalty = 0.0f; }),
            "--repeat-penalty must be > 0 (1 is off), not 0");
  EXPECT_EQ(errorOf([](SamplingParams &p) { p.repeatLastN = -2; }),
            "--repeat-last-n must be >= -1 (-1 is the whole history), not -2");
  EXPECT_EQ(errorOf([](SamplingParams &p) { p.presencePenalty = -kInf; }),
            "--presence-penalty must be a finite number, not -inf");
  EXPECT_EQ(errorOf([](SamplingParams &p) { p.frequencyPenalty = std::nanf(""); }),
            "--frequency-penalty must be a finite number, not nan");
}

} // namespace
} // namespace r1::runtime
