//===- GenerationFlags.h - The options `generate` and `chat` share --------===//
//
// Sampling (R1's defaults: temperature 0.6, top-p 0.95), stop strings, the
// token limit, the think prefix, context and threads: one definition, so the
// two commands spell and check them the same way.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_TOOLS_R1RUN_GENERATIONFLAGS_H
#define R1C_TOOLS_R1RUN_GENERATIONFLAGS_H

#include "runtime/Generator.h"

#include <CLI/CLI.hpp>

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
  std::string precision = "default";
};

/// Adds ARTIFACT and the shared options to `command`.
void addGenerationFlags(CLI::App &command, GenerationFlags &flags);

} // namespace r1run_tool

#endif // R1C_TOOLS_R1RUN_GENERATIONFLAGS_H
