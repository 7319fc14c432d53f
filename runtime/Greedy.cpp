//===- Greedy.cpp - Greedy (argmax) generation over a Session -------------===//

#include "runtime/Greedy.h"

#include <algorithm>
#include <chrono>

namespace r1::runtime {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

int32_t argmax(const float *logits, int64_t count) {
  int64_t best = -1;
  for (int64_t i = 0; i < count; ++i)
    if (logits[i] == logits[i] && (best < 0 || logits[i] > logits[best]))
      best = i;
  return static_cast<int32_t>(std::max<int64_t>(best, 0));
}

Result<std::vector<int32_t>> generateGreedy(Session &session, std::span<const int32_t> prompt,
                                            const GreedyOptions &options, GenerationStats *stats) {
  const ModelManifest &m = session.model().manifest();
  if (options.maxNewTokens < 0)
    return Status::badInput("the number of tokens to generate must be >= 0, not " +
                            std::to_string(options.maxNewTokens));
  if (prompt.empty())
    return Status::badInput("the prompt is empty; give at least one token");
  // The last new token is never fed back, hence the - 1.
  int64_t needed =
      static_cast<int64_t>(prompt.size()) + std::max<int64_t>(options.maxNewTokens - 1, 0);
  if (needed > session.capacity() - session.position()) {
    std::string message = "context full: " + std::to_string(session.capacity()) + " tokens";
    if (session.capacity() < static_cast<int64_t>(m.maxPositions))
      message += "; raise --ctx (max " + std::to_string(m.maxPositions) + ")";
    else
      message += ", the model's max_positions";
    return Status::badInput(message + " (" + std::to_string(session.position()) + " used, " +
                            std::to_string(needed) + " more needed for " +
                            std::to_string(prompt.size()) + " prompt and " +
                            std::to_string(options.maxNewTokens) + " new tokens)");
  }

  GenerationStats local;
  GenerationStats &s = stats ? *stats : local;
  s = GenerationStats{};
  std::vector<float> last(m.vocabSize);
  std::vector<int32_t> generated;

  auto start = std::chrono::steady_clock::now();
  if (options.promptLogits) {
    if (Status st = session.step(prompt, LogitsMode::kAll, options.precision, options.promptLogits);
        !st.ok())
      return st;
    std::copy_n(options.promptLogits + (prompt.size() - 1) * m.vocabSize, m.vocabSize,
                last.begin());
  } else if (Status st = session.step(prompt, LogitsMode::kLast, options.precision, last.data());
             !st.ok()) {
    return st;
  }
  s.prefillTokens = static_cast<int64_t>(prompt.size());
  s.prefillSeconds = secondsSince(start);

  start = std::chrono::steady_clock::now();
  while (static_cast<int64_t>(generated.size()) < options.maxNewTokens) {
    int32_t next = argmax(last.data(), static_cast<int64_t>(m.vocabSize));
    generated.push_back(next);
    if (static_cast<int64_t>(generated.size()) == options.maxNewTokens)
      break;
    if (options.stopAtEos &&
        std::find(m.eosTokenIds.begin(), m.eosTokenIds.end(), next) != m.eosTokenIds.end())
      break;
    if (Status st = session.step({&next, 1}, LogitsMode::kLast, options.precision, last.data());
        !st.ok())
      return st;
    ++s.decodeSteps;
  }
  s.decodeSeconds = secondsSince(start);
  return generated;
}

} // namespace r1::runtime
