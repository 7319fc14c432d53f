//===- Sampler.h - Choosing the next token from a step's logits -----------===//
//
// sample() turns one row of logits into a token in this order:
//
//   1. repetition penalty (CTRL, as llama.cpp does it): for each distinct token
//      among the last repeatLastN of the history, logit > 0 ? logit / r :
//      logit * r, so a repeated token always becomes less likely;
//   2. presence and frequency penalties (as OpenAI's API defines them): subtract
//      presencePenalty once per distinct token in that window, and
//      frequencyPenalty times its count;
//   3. temperature: logits / T; T = 0 stops here and takes the argmax (ties to
//      the lowest id), drawing no random number;
//   4. top-k: keep the k highest logits (ties to the lowest ids);
//   5. softmax over what is left;
//   6. top-p: keep the smallest set of most likely tokens whose probability
//      adds up to >= p (sorted by probability, ties by id; at least one);
//   7. min-p: drop tokens whose probability is < minP x the largest;
//   8. renormalize and draw one token, walking the kept tokens in id order.
//
// Why this order. The penalties edit the model's own scores from what it has
// already said, so they come first, and their strength does not depend on the
// temperature (Hugging Face transformers, vLLM and llama.cpp all do this).
// Temperature comes before every truncation, as in transformers and vLLM, so
// that top-p and min-p measure the distribution that is actually drawn from
// (llama.cpp's default chain applies it last: there a top-p of 0.95 is taken
// from the untempered distribution). Top-k does not depend on the temperature
// and is cheap, so it runs before the softmax and shrinks its work. Top-p and
// min-p both keep a prefix of the tokens sorted by probability, and min-p's
// test (a ratio to the largest probability) is not changed by top-p's
// truncation, so together they keep the shorter of the two prefixes.
//
// Reproducibility: the same logits, history and seed give the same tokens on
// every platform and standard library. The random numbers come from
// std::mt19937_64, whose sequence the C++ standard fixes, one 64-bit draw per
// sampled token turned into a double in [0, 1) here (no <random>
// distributions: their algorithms are implementation-defined); exp() is our
// own polynomial rather than libm's, sums run in a fixed order and every sort
// breaks ties by token id. (That needs IEEE float arithmetic without
// contraction or reassociation: Sampler.cpp turns contraction off for clang,
// and must never be built with -ffast-math.)
//
// Cost: the vocabulary is swept a few times per token (copy and penalties,
// max, exp and sum, a gather of the tokens above a probability threshold),
// with vectorized loops; nothing is sorted but the k candidates of top-k.
// Top-p's nucleus is found among the gathered tokens by a radix select on
// the bits of their weights, so its cost grows linearly with their number.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_SAMPLER_H
#define R1C_RUNTIME_SAMPLER_H

#include "runtime/Status.h"

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <vector>

namespace r1::runtime {

/// How sample() chooses; the names of r1run's flags are in validate()'s
/// messages. The defaults are DeepSeek's recommendations for R1.
struct SamplingParams {
  /// The seed when none is given: fixed, so that runs are reproducible.
  static constexpr uint64_t kDefaultSeed = 0x5eed;

  /// Divides the logits; 0 is greedy (argmax).
  float temperature = 0.6f;
  /// The nucleus: most likely tokens up to this much probability; 1 is off.
  float topP = 0.95f;
  /// Keep only this many most likely tokens; 0 is off.
  int32_t topK = 0;
  /// Drop tokens less likely than minP x the most likely one; 0 is off.
  float minP = 0.0f;
  /// Divides positive logits and multiplies negative ones of repeated tokens; 1 is off.
  float repeatPenalty = 1.0f;
  /// How many of the last tokens of the history the three penalties look at;
  /// -1 is the whole history, 0 turns the penalties off.
  int32_t repeatLastN = 64;
  /// Subtracted from the logit of every distinct token in that window.
  float presencePenalty = 0.0f;
  /// Subtracted from a token's logit once per occurrence in that window.
  float frequencyPenalty = 0.0f;
  uint64_t seed = kDefaultSeed;

  /// The first bad field as one line naming its flag ("--top-p must be in
  /// (0, 1] (1 is off), not 1.5"), kBadInput.
  Status validate() const;
};

/// What a device that samples on its own (the CUDA backend's sampler) needs
/// for one token besides the logits: everything of SamplingParams that does
/// not look at the history, and the step's random number.
struct DeviceDraw {
  /// 1 / temperature; 0 is greedy (argmax, ties to the lowest id).
  float invTemperature = 0.0f;
  /// 0 is off (also when k >= vocab).
  int32_t topK = 0;
  float topP = 1.0f;
  float minP = 0.0f;
  /// The draw in [0, 1) that sample() would have made (0 when greedy).
  double u = 0.0;
};

/// Holds the random state and scratch buffers: one per sequence, used by
/// one thread at a time.
class Sampler {
public:
  /// `params` must validate(); `vocab` > 0 is the length of a logits row.
  Sampler(SamplingParams params, int32_t vocab);

  /// Chooses the next token from `vocab` logits. `history` is what the
  /// penalties look at, usually the prompt and the tokens generated so far;
  /// ids outside [0, vocab) in it are ignored. `logits` is not modified.
  /// NaN logits are never chosen; logits with no finite maximum (a +inf,
  /// or nothing but -inf and NaN) give the argmax: the first largest
  /// non-NaN logit, or token 0 if all are NaN.
  int32_t sample(const float *logits, std::span<const int32_t> history);

  /// The parameters and random number of the next token for a device that
  /// samples steps 3 to 8 itself, in sample()'s order and walking the kept
  /// tokens by id as sample() does: with the same seed both draw the same
  /// token, up to the rounding of the sums (a draw within ~1e-6 of the
  /// boundary between two tokens). Consumes the draw sample() would make.
  /// Empty when a penalty is on: the penalties need the history.
  std::optional<DeviceDraw> drawForDevice();

  /// Steps 1 and 2 of sample(): the penalties, applied in place to a row of
  /// `vocab` logits. Public so that tests can check them directly.
  void applyPenalties(std::span<float> logits, std::span<const int32_t> history);

  const SamplingParams &params() const { return params_; }
  int32_t vocab() const { return vocab_; }

private:
  /// A token that survived a truncation; `weight` is its unnormalized
  /// probability exp((logit - max) / T), in [0, 1].
  struct Candidate {
    float weight;
    int32_t id;
  };

  bool penaltiesOn() const;
  /// Top-k on `logits`, then steps 5 to 8 on the k candidates.
  int32_t sampleTopK(const float *logits, float invTemperature);
  /// Steps 5 to 8 over the whole vocabulary.
  int32_t sampleAll(const float *logits, float invTemperature);
  /// Sets candidates_ to the tokens of weight >= threshold, in id order;
  /// returns their weight.
  double gather(const float *weights, int64_t count, float threshold);
  /// Top-p: shrinks candidates_, which must be in id order, to the shortest
  /// prefix of them in the order (weight high first, id) whose weights add
  /// up to >= `target`, still in id order. False (candidates_ unchanged) when all of them fall
  /// short.
  bool keepNucleus(double target);
  /// Steps 7 and 8 on candidates_.
  int32_t minPAndDraw();
  /// A double in [0, 1) from the next 64-bit draw.
  double uniform();

  SamplingParams params_;
  int32_t vocab_;
  std::mt19937_64 engine_;
  // Scratch kept between calls so that a step allocates nothing.
  std::vector<float> penalized_;              // the logits after the penalties
  std::vector<float> work_;                   // the weights
  std::vector<double> blockSums_;             // weights summed per block of kBlock tokens
  std::vector<int32_t> ids_;                  // the ids a gather selected
  std::vector<Candidate> candidates_;         // the tokens a truncation kept
  std::vector<Candidate> span_, next_;        // keepNucleus's partitions
  std::vector<double> bucketMass_;            // keepNucleus's histogram
  float lastThreshold_ = 1.0f / 64;           // the gather that found the last nucleus
  std::vector<uint32_t> counts_;              // occurrences in the penalty window, by id
  std::vector<int32_t> distinct_;             // the ids with a non-zero count
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_SAMPLER_H
