//===- GenerationFlags.cpp - The options `generate` and `chat` share ------===//

#include "tools/r1run/GenerationFlags.h"

#include "tools/r1run/Commands.h"

#include "runtime/TokenizerSource.h"

namespace r1run_tool {

void addGenerationFlags(CLI::App &command, GenerationFlags &f) {
  command.add_option("ARTIFACT", f.artifact, "The artifact (r1c compile -o ARTIFACT)")->required();
  r1::runtime::SamplingParams &s = f.sampling;
  command.add_option("--temperature", s.temperature, "0 is greedy")
      ->option_text("T")
      ->default_str("0.6");
  command.add_option("--top-p", s.topP, "Nucleus: the most likely tokens up to this probability")
      ->option_text("P")
      ->default_str("0.95");
  command.add_option("--top-k", s.topK, "Keep the K most likely tokens (0: off)")
      ->option_text("K")
      ->default_str("0");
  command.add_option("--min-p", s.minP, "Drop tokens less likely than P x the most likely (0: off)")
      ->option_text("P")
      ->default_str("0");
  command.add_option("--repeat-penalty", s.repeatPenalty,
                     "Penalize tokens of the last --repeat-last-n (1: off)")
      ->option_text("X")
      ->default_str("1");
  command.add_option("--repeat-last-n", s.repeatLastN, "Tokens the penalties look at (-1: all)")
      ->option_text("N")
      ->default_str("64");
  command.add_option("--presence-penalty", s.presencePenalty,
                     "Subtracted from each token already present")
      ->option_text("X")
      ->default_str("0");
  command.add_option("--frequency-penalty", s.frequencyPenalty,
                     "Subtracted per occurrence of a token")
      ->option_text("X")
      ->default_str("0");
  command.add_option("--seed", s.seed, "Random seed: the same seed gives the same output")
      ->option_text("N");
  command.add_option("--stop", f.stop, "Stop before this text (repeatable)")
      ->option_text("TEXT");
  command.add_option("--max-tokens", f.maxTokens, "Most tokens to generate (capped by --ctx)")
      ->option_text("N")
      ->default_str("32768")
      ->check(CLI::Range(int64_t(1), kMaxCount));
  command.add_flag("--no-think-prefix", f.noThinkPrefix,
                   "Do not end the prompt with \"<think>\\n\" (R1's release recommends it)");
  command.add_flag("--hide-thinking", f.hideThinking, "Do not show the reasoning, only the answer");
  command.add_option("--ctx", f.ctx, "Tokens the KV cache holds (default min(model, 4096))")
      ->option_text("N")
      ->check(CLI::Range(int64_t(1), kMaxCount));
  addDeviceOption(command, f.device);
  addWeightsOption(command, f.weights);
  command.add_option("--threads", f.threads, "Threads (default: every CPU this process may use)")
      ->option_text("N")
      ->check(CLI::Range(1, 4096));
  command.add_option("--precision", f.precision, "default, fp32 or bf16")
      ->option_text("P")
      ->check(CLI::IsMember({"default", "fp32", "bf16"}));
  command
      .add_option("--sample-on", f.sampleOn,
                   "CUDA artifacts: draw tokens on the device (only the token is downloaded) or\n"
                   "on the host from the downloaded logits; the same seed draws the same\n"
                   "tokens. With a penalty on, the host draws")
      ->option_text("WHERE")
      ->check(CLI::IsMember({"device", "host"}))
      ->default_str("device");
}

r1::runtime::Result<ChatModel> loadChatModel(const GenerationFlags &f) {
  using namespace r1::runtime;
  ChatModel loaded;
  Result<std::unique_ptr<Model>> model = Model::load(f.artifact, modelLoadOptions(f.device, f.weights));
  if (!model.ok())
    return model.status();
  loaded.model = std::move(*model);
  Result<Tokenizer> tokenizer = loadTokenizer(f.artifact);
  if (!tokenizer.ok())
    return tokenizer.status();
  loaded.tokenizer = std::make_unique<Tokenizer>(std::move(*tokenizer));
  Result<R1ChatTokens> tokens = chatTokensFor(*loaded.tokenizer, f.artifact);
  if (!tokens.ok())
    return tokens.status();
  loaded.tokens = *tokens;
  SessionOptions options;
  options.ctx = f.ctx;
  options.threads = f.threads;
  Result<std::unique_ptr<Session>> session = Session::create(*loaded.model, options);
  if (!session.ok())
    return session.status();
  loaded.session = std::move(*session);
  return loaded;
}

r1::runtime::GenerationOptions generationOptions(const GenerationFlags &f) {
  r1::runtime::GenerationOptions options;
  options.sampling = f.sampling;
  options.stop = f.stop;
  options.maxNewTokens = f.maxTokens;
  options.precision = parsePrecision(f.precision);
  options.sampleOnDevice = f.sampleOn == "device";
  return options;
}

} // namespace r1run_tool
