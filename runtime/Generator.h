//===- Generator.h - Sampled text generation over a Session ---------------===//
//
// The loop behind `r1run generate` and `r1run chat`: prefill the prompt,
// then sample a token, decode it as text (complete UTF-8 only), check the
// stop strings, hand the text to the caller, and feed the token back. It ends
// at an end-of-sentence token, a stop string, the token limit, the end of the
// context, or when the caller's cancel flag is set (Ctrl-C in chat).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_GENERATOR_H
#define R1C_RUNTIME_GENERATOR_H

#include "runtime/Greedy.h"
#include "runtime/Sampler.h"
#include "runtime/Session.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <atomic>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace r1::runtime {

struct GenerationOptions {
  /// R1's own limit; capped by what is left of the context.
  int64_t maxNewTokens = 32768;
  SamplingParams sampling;
  std::vector<std::string> stop;
  r1_precision precision = R1_PRECISION_DEFAULT;
  /// Checked before every step; set from another thread or a signal handler.
  const std::atomic<bool> *cancel = nullptr;
  /// Where the session can (a CUDA artifact with a sampler) and no penalty
  /// needs the history, draw each token on the device; false always draws
  /// on the host from the downloaded logits. Same seed, same tokens.
  bool sampleOnDevice = true;
};

enum class FinishReason { kEos, kStop, kLength, kContext, kCancelled };

/// "stop" (end of sentence or a stop string), "length", "context", "cancelled".
const char *finishReasonName(FinishReason reason);

struct GenerationResult {
  /// The generated ids (an end-of-sentence token included, a stop string's
  /// tokens included).
  std::vector<int32_t> tokens;
  /// The text shown: special tokens skipped, cut before a stop string.
  std::string text;
  FinishReason finish = FinishReason::kLength;
  GenerationStats stats;
  /// Tokens drawn on the device (Session::stepAndSample) rather than on
  /// the host.
  int64_t sampledOnDevice = 0;
};

/// Called once per generated token with the text that became final with it
/// (often empty: a character split across tokens, a possible stop string),
/// and at the end with id -1 for the text still held then.
using TokenSink = std::function<void(int32_t id, std::string_view text)>;

/// Runs `prompt` from the session's position and generates. Errors (before
/// anything runs): an invalid sampling parameter, a prompt that leaves no
/// room in the context.
Result<GenerationResult> generate(Session &session, const Tokenizer &tokenizer,
                                  std::span<const int32_t> prompt,
                                  const GenerationOptions &options, const TokenSink &onToken = {});

} // namespace r1::runtime

#endif // R1C_RUNTIME_GENERATOR_H
