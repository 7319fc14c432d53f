//===- Greedy.h - Greedy (argmax) generation over a Session ---------------===//
//
// The deterministic decoding r1run uses for tests and benchmarks: prefill the
// prompt, then repeatedly take the most likely token and feed it back. The
// first new token comes from the prompt's logits, so N new tokens cost N - 1
// decode steps.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_GREEDY_H
#define R1C_RUNTIME_GREEDY_H

#include "runtime/Session.h"

#include <cstdint>
#include <span>
#include <vector>

namespace r1::runtime {

/// The index of the largest of `count` logits (the first on ties; NaNs never
/// win unless all are NaN, then 0).
int32_t argmax(const float *logits, int64_t count);

struct GreedyOptions {
  int64_t maxNewTokens = 16;
  /// Stop after generating one of the manifest's eos_token_ids (it is kept).
  bool stopAtEos = true;
  r1_precision precision = R1_PRECISION_DEFAULT;
  /// When set, receives the prompt's logits, [prompt size x vocab_size].
  float *promptLogits = nullptr;
};

/// Where the time went, for tokens/s figures.
struct GenerationStats {
  int64_t prefillTokens = 0;
  double prefillSeconds = 0;
  int64_t decodeSteps = 0;
  double decodeSeconds = 0;
};

/// Runs `prompt` from the session's current position and generates up to
/// options.maxNewTokens tokens. Fails before running anything when the
/// prompt and the new tokens cannot fit the context.
Result<std::vector<int32_t>> generateGreedy(Session &session, std::span<const int32_t> prompt,
                                            const GreedyOptions &options,
                                            GenerationStats *stats = nullptr);

} // namespace r1::runtime

#endif // R1C_RUNTIME_GREEDY_H
