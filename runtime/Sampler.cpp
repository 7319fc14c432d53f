//===- Sampler.cpp - Choosing the next token from a step's logits ---------===//

#include "runtime/Sampler.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

// Every float operation below must round the same way everywhere (see
// Sampler.h): a fused multiply-add would round once instead of twice. (GCC
// ignores this pragma in C++: build this file with -ffp-contract=off there.)
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

namespace r1::runtime {

namespace {

/// Tokens per block of the blocked sum; the draw over the whole vocabulary
/// finds its block from the block sums, then walks one block.
constexpr int64_t kBlock = 4096;
// The sweeps over the vocabulary are built for AVX-512 and AVX2 as well
// (chosen when the program loads): the same IEEE operations in the same
// order, so the same results; the exp sweep ran 2.7x faster with AVX-512
// than with the baseline SSE2 (134 -> 49 us for 129,280 logits).
#if defined(__x86_64__) && defined(__clang__)
#define R1_SAMPLER_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define R1_SAMPLER_CLONES
#endif

/// Accumulators per sum or max: independent chains, enough to fill four
/// AVX-512 registers so that the adds' latency overlaps; the order of the
/// additions is fixed by this code.
constexpr int kLanes = 32;
/// Tokens tested at once (vectorized) by the sweeps that look for a few.
constexpr int64_t kGroup = 16;

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

/// e^x for x <= 0, within about 2 ulp; 0 below -80 (e^-80 is 1.8e-35) and for
/// NaN. Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, and Cephes' expf
/// polynomial for e^r. Plain IEEE operations only, so its results are the
/// same on every platform, and a loop of it vectorizes.
inline float expNonPositive(float x) {
  bool underflow = !(x >= -80.0f);
  float xc = underflow ? -80.0f : x;
  // n = round(x / ln 2): adding 1.5 x 2^23 leaves n in the low mantissa bits.
  constexpr float kRound = 12582912.0f;
  float shifted = xc * 1.44269504088896341f + kRound;
  float n = shifted - kRound;
  // ln 2 in two parts: n x 0.693359375 is exact for |n| < 2^15.
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float er = p * (r * r) + r + 1.0f;
  // 2^n for n in [-116, 0] built from its exponent bits.
  int32_t exponent = std::bit_cast<int32_t>(shifted) - std::bit_cast<int32_t>(kRound);
  float scale = std::bit_cast<float>((exponent + 127) << 23);
  return underflow ? 0.0f : er * scale;
}

/// The largest of `count` values; NaNs are skipped (-inf if all are NaN).
R1_SAMPLER_CLONES float maxOf(const float *values, int64_t count) {
  constexpr float kLow = -std::numeric_limits<float>::infinity();
  float lanes[kLanes];
  std::fill_n(lanes, kLanes, kLow);
  int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes)
    for (int j = 0; j < kLanes; ++j)
      lanes[j] = values[i + j] > lanes[j] ? values[i + j] : lanes[j];
  float best = kLow;
  for (; i < count; ++i)
    best = values[i] > best ? values[i] : best;
  // The largest value does not depend on the order (a -0 may come out as
  // +0, which compares equal).
  for (float lane : lanes)
    best = lane > best ? lane : best;
  return best;
}

/// The first i with values[i] == value, or -1; in groups, as few match.
R1_SAMPLER_CLONES int64_t findFirst(const float *values, int64_t count, float value) {
  int64_t i = 0;
  for (; i + kGroup <= count; i += kGroup) {
    bool any = false;
    for (int64_t j = 0; j < kGroup; ++j)
      any |= values[i + j] == value;
    if (any)
      break;
  }
  for (; i < count; ++i)
    if (values[i] == value)
      return i;
  return -1;
}

/// The index of the largest of `count` values, the first on ties; NaNs
/// never win (0 if all are NaN). Greedy.h's argmax, in two vectorized sweeps.
int32_t argmaxOf(const float *values, int64_t count) {
  int64_t first = findFirst(values, count, maxOf(values, count));
  return static_cast<int32_t>(std::max<int64_t>(first, 0));
}

/// Writes the indices i of values[i] >= threshold to `ids` (room for
/// `count`), in increasing order; returns how many.
R1_SAMPLER_CLONES int64_t selectAtLeast(const float *values, int64_t count, float threshold,
                                        int32_t *ids) {
  int64_t n = 0, i = 0;
  // Few pass: a group's mask at a time (vectorized), then its set bits.
  for (; i + kGroup <= count; i += kGroup) {
    uint32_t mask = 0;
    for (int j = 0; j < kGroup; ++j)
      mask |= static_cast<uint32_t>(values[i + j] >= threshold) << j;
    for (; mask; mask &= mask - 1)
      ids[n++] = static_cast<int32_t>(i + std::countr_zero(mask));
  }
  for (; i < count; ++i)
    if (values[i] >= threshold)
      ids[n++] = static_cast<int32_t>(i);
  return n;
}

/// weights[i] = exp((logits[i] - max) * invTemperature) for i in [0, count).
R1_SAMPLER_CLONES void weigh(const float *logits, int64_t count, float max, float invTemperature,
                             float *weights) {
  for (int64_t i = 0; i < count; ++i)
    weights[i] = expNonPositive((logits[i] - max) * invTemperature);
}

/// The sum of `count` weights in double, in a fixed order: kLanes running
/// sums (sum j takes the indices = j mod kLanes), then added pairwise. Written
/// with vector types: the compiler's own vectorization of it is 4x slower.
R1_SAMPLER_CLONES double sumOf(const float *weights, int64_t count) {
  using Floats = float __attribute__((vector_size(32)));
  using Doubles = double __attribute__((vector_size(64)));
  constexpr int kVectors = kLanes / 8;
  Doubles sums[kVectors] = {};
  int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes)
    for (int k = 0; k < kVectors; ++k) {
      Floats eight;
      std::memcpy(&eight, weights + i + 8 * k, sizeof(eight));
      sums[k] += __builtin_convertvector(eight, Doubles);
    }
  double lanes[kLanes];
  std::memcpy(lanes, sums, sizeof(lanes));
  for (; i < count; ++i)
    lanes[0] += weights[i];
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int j = 0; j < width; ++j)
      lanes[j] += lanes[j + width];
  return lanes[0];
}

} // namespace

Status SamplingParams::validate() const {
  // `!(x >= lo)` rather than `x < lo` so that NaN fails too.
  if (!(temperature >= 0.0f) || std::isinf(temperature))
    return Status::badInput("--temperature must be >= 0 (0 is greedy), not " + number(temperature));
  if (!(topP > 0.0f && topP <= 1.0f))
    return Status::badInput("--top-p must be in (0, 1] (1 is off), not " + number(topP));
  if (topK < 0)
    return Status::badInput("--top-k must be >= 0 (0 is off), not " + std::to_string(topK));
  if (!(minP >= 0.0f && minP <= 1.0f))
    return Status::badInput("--min-p must be in [0, 1] (0 is off), not " + number(minP));
  if (!(repeatPenalty > 0.0f) || std::isinf(repeatPenalty))
    return Status::badInput("--repeat-penalty must be > 0 (1 is off), not " +
                            number(repeatPenalty));
  if (repeatLastN < -1)
    return Status::badInput("--repeat-last-n must be >= -1 (-1 is the whole history), not " +
                            std::to_string(repeatLastN));
  if (!std::isfinite(presencePenalty))
    return Status::badInput("--presence-penalty must be a finite number, not " +
                            number(presencePenalty));
  if (!std::isfinite(frequencyPenalty))
    return Status::badInput("--frequency-penalty must be a finite number, not " +
                            number(frequencyPenalty));
  return Status::success();
}

Sampler::Sampler(SamplingParams params, int32_t vocab)
    : params_(params), vocab_(vocab), engine_(params.seed) {
  assert(params_.validate().ok() && "SamplingParams must validate()");
  assert(vocab_ > 0 && "the vocabulary must not be empty");
  work_.resize(static_cast<size_t>(vocab_));
  ids_.resize(static_cast<size_t>(vocab_));
  blockSums_.resize(static_cast<size_t>((vocab_ + kBlock - 1) / kBlock));
  if (penaltiesOn()) {
    penalized_.resize(static_cast<size_t>(vocab_));
    counts_.assign(static_cast<size_t>(vocab_), 0);
  }
}

bool Sampler::penaltiesOn() const {
  return params_.repeatLastN != 0 &&
         (params_.repeatPenalty != 1.0f || params_.presencePenalty != 0.0f ||
          params_.frequencyPenalty != 0.0f);
}

double Sampler::uniform() {
  // The top 53 bits, scaled: every double k / 2^53, equally likely.
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

void Sampler::applyPenalties(std::span<float> logits, std::span<const int32_t> history) {
  assert(logits.size() == static_cast<size_t>(vocab_) && "one row of vocab logits");
  if (!penaltiesOn())
    return;
  size_t window = history.size();
  if (params_.repeatLastN >= 0)
    window = std::min(window, static_cast<size_t>(params_.repeatLastN));

  // Count each id once per occurrence; counts_ is all zeros between calls.
  distinct_.clear();
  for (int32_t id : history.last(window)) {
    if (id < 0 || id >= vocab_)
      continue;
    if (counts_[static_cast<size_t>(id)]++ == 0)
      distinct_.push_back(id);
  }
  const float r = params_.repeatPenalty;
  for (int32_t id : distinct_) {
    uint32_t &count = counts_[static_cast<size_t>(id)];
    float &logit = logits[static_cast<size_t>(id)];
    if (r != 1.0f)
      logit = logit > 0.0f ? logit / r : logit * r;
    logit -= static_cast<float>(count) * params_.frequencyPenalty + params_.presencePenalty;
    count = 0;
  }
}

int32_t Sampler::sample(const float *logits, std::span<const int32_t> history) {
  const float *scores = logits;
  if (penaltiesOn()) {
    std::copy_n(logits, vocab_, penalized_.begin());
    applyPenalties(penalized_, history);
    scores = penalized_.data();
  }
  // 1 / T overflows for subnormal temperatures: their limit is greedy.
  float invTemperature = params_.temperature > 0.0f ? 1.0f / params_.temperature : 0.0f;
  if (!std::isfinite(invTemperature) || invTemperature == 0.0f)
    return argmaxOf(scores, vocab_);
  if (params_.topK > 0 && params_.topK < vocab_)
    return sampleTopK(scores, invTemperature);
  return sampleAll(scores, invTemperature);
}

int32_t Sampler::sampleTopK(const float *logits, float invTemperature) {
  // Orders by logit, high first, then by id; NaN counts as -inf.
  auto logitOf = [&](int32_t id) {
    float l = logits[id];
    return l == l ? l : -std::numeric_limits<float>::infinity();
  };
  auto better = [](const Candidate &a, const Candidate &b) {
    return a.weight > b.weight || (a.weight == b.weight && a.id < b.id);
  };

  // A heap of the k best so far (their weight holds the logit for now), the
  // worst at its root. Ids come in increasing order, so a newcomer that ties
  // the root loses (ties to the lowest ids), and almost every token costs
  // one comparison.
  const int32_t k = params_.topK;
  candidates_.clear();
  for (int32_t id = 0; id < k; ++id)
    candidates_.push_back({logitOf(id), id});
  std::make_heap(candidates_.begin(), candidates_.end(), better);
  auto offer = [&](int32_t id) {
    float l = logitOf(id);
    if (l > candidates_.front().weight) {
      std::pop_heap(candidates_.begin(), candidates_.end(), better);
      candidates_.back() = {l, id};
      std::push_heap(candidates_.begin(), candidates_.end(), better);
    }
  };
  int32_t id = k;
  for (; id + kGroup <= vocab_; id += kGroup) {
    // Most groups hold no token better than the root (NaN compares false).
    const float worst = candidates_.front().weight;
    bool any = false;
    for (int64_t j = 0; j < kGroup; ++j)
      any |= logits[id + j] > worst;
    if (any)
      for (int64_t j = 0; j < kGroup; ++j)
        offer(static_cast<int32_t>(id + j));
  }
  for (; id < vocab_; ++id)
    offer(id);
  float max = std::min_element(candidates_.begin(), candidates_.end(), better)->weight;
  if (!std::isfinite(max))
    return argmaxOf(logits, vocab_);

  // In id order, so that the sums below do not depend on how the standard
  // library arranged its heap.
  for (Candidate &c : candidates_)
    c.weight = expNonPositive((c.weight - max) * invTemperature);
  std::sort(candidates_.begin(), candidates_.end(),
            [](const Candidate &a, const Candidate &b) { return a.id < b.id; });
  if (params_.topP < 1.0f) {
    double total = 0;
    for (const Candidate &c : candidates_)
      total += c.weight;
    keepNucleus(static_cast<double>(params_.topP) * total);
  }
  return minPAndDraw();
}

int32_t Sampler::sampleAll(const float *logits, float invTemperature) {
  const int64_t vocab = vocab_;
  float max = maxOf(logits, vocab);
  if (!std::isfinite(max))
    return argmaxOf(logits, vocab);

  // Softmax numerators and their sum, by blocks.
  float *weights = work_.data();
  weigh(logits, vocab, max, invTemperature, weights);
  double total = 0;
  for (int64_t b = 0, start = 0; start < vocab; ++b, start += kBlock) {
    blockSums_[b] = sumOf(weights + start, std::min(kBlock, vocab - start));
    total += blockSums_[b];
  }

  const float topP = params_.topP;
  const float minP = params_.minP;
  if (topP >= 1.0f && minP == 0.0f) {
    // Nothing to truncate: draw in id order, without sorting.
    double target = uniform() * total;
    double seen = 0;
    int64_t start = 0, end = vocab;
    for (int64_t b = 0; start < vocab; ++b, start += kBlock) {
      if (seen + blockSums_[b] > target) {
        end = std::min(start + kBlock, vocab);
        break;
      }
      seen += blockSums_[b];
    }
    // Rounding may leave the target past the end of everything (then start
    // >= vocab) or of the block (its sum in lanes came out larger): then the
    // last token of weight > 0 before `end`.
    for (int64_t i = start; i < end; ++i) {
      seen += weights[i];
      if (seen > target)
        return static_cast<int32_t>(i);
    }
    for (int64_t i = end - 1; i > 0; --i)
      if (weights[i] > 0.0f)
        return static_cast<int32_t>(i);
    return 0;
  }

  // Look for the nucleus among the tokens of weight >= t only, for a t low
  // enough that they hold it (weight >= p x total), or hold everything min-p
  // keeps (t <= minP). Whatever is not gathered weighs < vocab x t in all, so
  // t <= (1 - p) x total / vocab always suffices; higher thresholds are tried
  // first because they gather far fewer tokens from a peaked distribution,
  // starting near the one that worked for the previous token. The nucleus
  // found does not depend on the thresholds tried: it is a prefix of the
  // tokens by weight, and the tokens left out rank after it.
  const double nucleus = static_cast<double>(topP) * total;
  const float sufficient =
      topP < 1.0f ? static_cast<float>(0.999 * (1.0 - static_cast<double>(topP)) * total / vocab)
                  : 0.0f;
  // Weights below 1.8e-35 are 0 (see expNonPositive): this gathers all others.
  constexpr float kEverything = std::numeric_limits<float>::denorm_min();
  const float lowest = std::max({sufficient, minP, kEverything});
  float threshold =
      topP < 1.0f ? std::max(lowest, std::min(1.0f / 64, 4 * lastThreshold_)) : lowest;
  for (;;) {
    double gathered = gather(weights, vocab, threshold);
    if (minP > 0.0f && threshold <= minP) {
      // Everything min-p keeps is here; the nucleus may extend beyond.
      if (topP < 1.0f)
        keepNucleus(nucleus);
      break;
    }
    if (gathered >= nucleus && keepNucleus(nucleus)) {
      lastThreshold_ = threshold;
      break;
    }
    if (threshold == kEverything)
      break; // rounding: the nucleus is everything
    threshold = threshold > lowest ? std::max(lowest, threshold / 16) : kEverything;
  }
  return minPAndDraw();
}

double Sampler::gather(const float *weights, int64_t count, float threshold) {
  int64_t n = selectAtLeast(weights, count, threshold, ids_.data());
  candidates_.resize(static_cast<size_t>(n));
  double gathered = 0;
  for (int64_t i = 0; i < n; ++i) {
    int32_t id = ids_[static_cast<size_t>(i)];
    candidates_[static_cast<size_t>(i)] = {weights[id], id};
    gathered += weights[id];
  }
  return gathered;
}

bool Sampler::keepNucleus(double target) {
  // Positive floats order like their bit patterns. Each level splits the
  // candidates still undecided (`span_`, all with the same higher bits) into
  // 1024 buckets by the next 10 bits and sums each bucket's weight; buckets
  // above the one where the running sum reaches `target` are kept whole, the
  // one where it does is split by the next level, the rest dropped. After
  // 30 bits (weights <= 1 leave bits 31 and 30 clear) the undecided
  // candidates weigh exactly the same and are taken in id order. Every sum
  // runs in the candidates' own order, so the result is fixed.
  //
  // The nucleus is then {weight > t} plus the tokens of weight t up to the
  // last one taken, and candidates_ keeps it in id order: the draw walks the
  // tokens by id, as the CUDA sampler (codegen/cuda/kernels/Sample.cuh)
  // does, so that one seed draws the same token on both.
  constexpr int kBits = 10;
  constexpr uint32_t kBuckets = 1u << kBits;
  span_.assign(candidates_.begin(), candidates_.end());
  double above = 0; // the weight of the tokens kept so far
  for (int shift = 20; shift >= 0; shift -= kBits) {
    auto bucketOf = [shift](const Candidate &c) {
      return (std::bit_cast<uint32_t>(c.weight) >> shift) & (kBuckets - 1);
    };
    bucketMass_.assign(kBuckets, 0.0);
    for (const Candidate &c : span_)
      bucketMass_[bucketOf(c)] += c.weight;
    uint32_t crossing = kBuckets;
    for (uint32_t b = kBuckets; b-- > 0;) {
      if (above + bucketMass_[b] >= target) {
        crossing = b;
        break;
      }
      above += bucketMass_[b];
    }
    if (crossing == kBuckets)
      return false;
    next_.clear();
    for (const Candidate &c : span_)
      if (bucketOf(c) == crossing)
        next_.push_back(c);
    span_.swap(next_);
  }
  const float threshold = span_.front().weight;
  int32_t lastTie = span_.back().id;
  for (const Candidate &c : span_) {
    above += c.weight;
    if (above >= target) {
      lastTie = c.id;
      break;
    }
  }
  std::erase_if(candidates_, [&](const Candidate &c) {
    return c.weight < threshold || (c.weight == threshold && c.id > lastTie);
  });
  return true;
}

std::optional<DeviceDraw> Sampler::drawForDevice() {
  if (penaltiesOn())
    return std::nullopt;
  DeviceDraw draw;
  // As sample(): 1 / T overflows for subnormal temperatures, whose limit is greedy.
  float invTemperature = params_.temperature > 0.0f ? 1.0f / params_.temperature : 0.0f;
  draw.invTemperature = std::isfinite(invTemperature) ? invTemperature : 0.0f;
  draw.topK = params_.topK < vocab_ ? params_.topK : 0;
  draw.topP = params_.topP;
  draw.minP = params_.minP;
  draw.u = draw.invTemperature > 0.0f ? uniform() : 0.0;
  return draw;
}

int32_t Sampler::minPAndDraw() {
  // Min-p: the largest weight is 1 (and always kept), so the test is
  // weight >= minP.
  if (params_.minP > 0.0f)
    std::erase_if(candidates_, [&](const Candidate &c) { return c.weight < params_.minP; });

  // Renormalize (draw against the kept weight) and walk the candidates.
  double mass = 0;
  for (const Candidate &c : candidates_)
    mass += c.weight;
  double target = uniform() * mass;
  double seen = 0;
  for (const Candidate &c : candidates_) {
    seen += c.weight;
    if (seen > target)
      return c.id;
  }
  // u x mass rounded up to mass: the last candidate.
  return candidates_.back().id;
}

} // namespace r1::runtime
