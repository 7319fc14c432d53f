//===- Generator.cpp - Sampled text generation over a Session -------------===//

#include "runtime/Generator.h"


#include <algorithm>
#include <chrono>

namespace r1::runtime {

const char *finishReasonName(FinishReason reason) {
  switch (reason) {
  case FinishReason::kEos:
  case FinishReason::kStop:
    return "stop";
  case FinishReason::kLength:
    return "length";
  case FinishReason::kContext:
    return "context";
  case FinishReason::kCancelled:
    return "cancelled";
  }
  return "stop";
}

CompletionText::CompletionText(const Tokenizer &tokenizer, std::vector<int32_t> eos,
                               std::vector<std::string> stop)
    : eos_(std::move(eos)), decoder_(tokenizer, /*skipSpecial=*/true), stops_(std::move(stop)) {}

CompletionText::Piece CompletionText::push(int32_t id) {
  if (std::find(eos_.begin(), eos_.end(), id) != eos_.end())
    return {"", FinishReason::kEos};
  StopStrings::Output out = stops_.feed(decoder_.push(id));
  return {std::move(out.text), out.stopped ? std::optional(FinishReason::kStop) : std::nullopt};
}

std::string CompletionText::finish() {
  if (stops_.stopped())
    return "";
  StopStrings::Output out = stops_.feed(decoder_.finish());
  return out.stopped ? out.text : out.text + stops_.finish();
}

std::vector<int32_t> endOfSentenceIds(const ModelManifest &manifest, const Tokenizer &tokenizer) {
  std::vector<int32_t> eos = manifest.eosTokenIds;
  if (std::optional<int32_t> id = tokenizer.eosId())
    eos.push_back(*id);
  return eos;
}

Result<GenerationResult> generate(Session &session, const Tokenizer &tokenizer,
                                  std::span<const int32_t> prompt,
                                  const GenerationOptions &options, const TokenSink &onToken) {
  using Clock = std::chrono::steady_clock;
  if (Status s = options.sampling.validate(); !s.ok())
    return s;
  if (prompt.empty())
    return Status::badInput("the prompt is empty");
  const int64_t room = session.capacity() - session.position() - int64_t(prompt.size());
  if (room < 1)
    return Status::badInput("the prompt has " + std::to_string(prompt.size()) +
                            " tokens and the context " + std::to_string(session.capacity()) +
                            " (" + std::to_string(session.position()) +
                            " used): no room to generate; raise --ctx or shorten the prompt");
  if (options.maxNewTokens < 1)
    return Status::badInput("--max-tokens must be at least 1");

  const ModelManifest &manifest = session.model().manifest();
  const int32_t vocab = int32_t(manifest.vocabSize);

  GenerationResult result;
  std::vector<float> logits(static_cast<size_t>(vocab));
  std::vector<int32_t> history(prompt.begin(), prompt.end());
  Sampler sampler(options.sampling, vocab);
  CompletionText text(tokenizer, endOfSentenceIds(manifest, tokenizer), options.stop);
  auto emit = [&](int32_t id, const std::string &text) {
    result.text += text;
    if (onToken)
      onToken(id, text);
  };

  // One step over `tokens` and the token drawn after it: on the device when
  // it samples (the logits stay there), else on the host.
  const bool onDevice = options.sampleOnDevice && session.canSampleOnDevice();
  auto stepAndDraw = [&](std::span<const int32_t> tokens) -> Result<int32_t> {
    if (onDevice)
      if (std::optional<DeviceDraw> draw = sampler.drawForDevice()) {
        ++result.sampledOnDevice;
        return session.stepAndSample(tokens, *draw);
      }
    if (Status s = session.step(tokens, LogitsMode::kLast, options.precision, logits.data());
        !s.ok())
      return s;
    return sampler.sample(logits.data(), history);
  };

  // 1. The prompt.
  auto start = Clock::now();
  Result<int32_t> next = stepAndDraw(prompt);
  if (!next.ok())
    return next.status();
  result.stats.prefillTokens = int64_t(prompt.size());
  result.stats.prefillSeconds = std::chrono::duration<double>(Clock::now() - start).count();

  // 2. One token per step until a reason to stop.
  const int64_t limit = std::min(options.maxNewTokens, room);
  start = Clock::now();
  for (;;) {
    if (options.cancel && options.cancel->load()) {
      result.finish = FinishReason::kCancelled;
      break;
    }
    int32_t id = *next;
    history.push_back(id);
    result.tokens.push_back(id);
    CompletionText::Piece piece = text.push(id);
    emit(id, piece.text);
    if (piece.end) {
      result.finish = *piece.end;
      break;
    }
    if (int64_t(result.tokens.size()) >= limit) {
      result.finish = limit < options.maxNewTokens ? FinishReason::kContext : FinishReason::kLength;
      break;
    }
    next = stepAndDraw(std::span<const int32_t>(&id, 1));
    if (!next.ok())
      return next.status();
    ++result.stats.decodeSteps;
  }
  result.stats.decodeSeconds = std::chrono::duration<double>(Clock::now() - start).count();

  // 3. What is still held: a character's first bytes, a possible stop string.
  emit(-1, text.finish());
  return result;
}

} // namespace r1::runtime
