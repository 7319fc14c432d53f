//===- GenerationFlags.cpp - The options `generate` and `chat` share ------===//

#include "tools/r1run/GenerationFlags.h"

#include "tools/r1run/Commands.h"

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
  command.add_option("--threads", f.threads, "Threads (default: every CPU this process may use)")
      ->option_text("N")
      ->check(CLI::Range(1, 4096));
  command.add_option("--precision", f.precision, "default, fp32 or bf16")
      ->option_text("P")
      ->check(CLI::IsMember({"default", "fp32", "bf16"}));
}

} // namespace r1run_tool
