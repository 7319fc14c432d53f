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
#include "runtime/StopStrings.h"
#include "runtime/tokenizer/StreamDecoder.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <atomic>
#include <functional>
#include <optional>
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

/// Generated ids to the text a user sees, shared by generate() and the
/// server's engine: complete UTF-8 only (StreamDecoder, special tokens
/// skipped), cut before the first stop string (StopStrings), and the end of
/// generation at an end-of-sentence id or a stop string.
class CompletionText {
public:
  CompletionText(const Tokenizer &tokenizer, std::vector<int32_t> eos,
                 std::vector<std::string> stop);
  struct Piece {
    /// The text that became final with the id (often empty).
    std::string text;
    /// kEos or kStop when the id ends the generation.
    std::optional<FinishReason> end;
  };
  Piece push(int32_t id);
  /// At the end of generation: the text still held (a character's first
  /// bytes, a possible stop string); empty after a stop string.
  std::string finish();

private:
  std::vector<int32_t> eos_;
  StreamDecoder decoder_;
  StopStrings stops_;
};

/// The ids that end a generation: the manifest's eos_token_ids and the
/// tokenizer's eos_token.
std::vector<int32_t> endOfSentenceIds(const ModelManifest &manifest, const Tokenizer &tokenizer);

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
