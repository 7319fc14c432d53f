//===- GenerationFlags.h - The options `generate` and `chat` share --------===//
//
// Sampling (R1's defaults: temperature 0.6, top-p 0.95), stop strings, the
// token limit, the think prefix, context and threads: one definition, so the
// two commands spell and check them the same way.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_TOOLS_R1RUN_GENERATIONFLAGS_H
#define R1C_TOOLS_R1RUN_GENERATIONFLAGS_H

#include "runtime/ChatPrompt.h"
#include "runtime/Generator.h"
#include "runtime/Model.h"

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

namespace r1run_tool {

struct GenerationFlags {
  std::string artifact;
  r1::runtime::SamplingParams sampling;
  std::vector<std::string> stop;
  int64_t maxTokens = 32768;
  bool noThinkPrefix = false;
  bool hideThinking = false;
  int64_t ctx = 0;
  int threads = 0;
  std::string device = "gpu";
  std::string weights = "auto";
  std::string precision = "default";
  /// CUDA artifacts: "device" (the sampler kernel) or "host".
  std::string sampleOn = "device";
};

/// Adds ARTIFACT and the shared options to `command`.
void addGenerationFlags(CLI::App &command, GenerationFlags &flags);

/// What generate and chat run on: the model, its tokenizer, R1's turn
/// tokens for that tokenizer, and a session of --ctx / --threads.
struct ChatModel {
  std::unique_ptr<r1::runtime::Model> model;
  std::unique_ptr<r1::runtime::Tokenizer> tokenizer;
  r1::runtime::R1ChatTokens tokens;
  std::unique_ptr<r1::runtime::Session> session;
};

/// Loads flags.artifact for chat-format generation; errors say what is wrong
/// (a tokenizer without R1's turn tokens included).
r1::runtime::Result<ChatModel> loadChatModel(const GenerationFlags &flags);

/// The generation options the flags ask for (sampling, stop strings, token
/// limit, precision).
r1::runtime::GenerationOptions generationOptions(const GenerationFlags &flags);

} // namespace r1run_tool

#endif // R1C_TOOLS_R1RUN_GENERATIONFLAGS_H
