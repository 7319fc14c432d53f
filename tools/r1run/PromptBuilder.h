//===- PromptBuilder.h - From the user's words to prompt token ids --------===//
//
// Shared by `generate` and `chat`: the R1 chat format with the tokenizer's
// own BOS, checked against the tokenizer (an R1 format needs the
// <｜User｜>/<｜Assistant｜> tokens), and the release's file and web-search
// templates.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_TOOLS_R1RUN_PROMPTBUILDER_H
#define R1C_TOOLS_R1RUN_PROMPTBUILDER_H

#include "runtime/chat/ChatFormat.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <string>
#include <vector>

namespace r1run_tool {

/// The format's tokens for `tokenizer`: its BOS, and an error when it lacks
/// the R1 turn tokens.
r1::runtime::Result<r1::runtime::R1ChatTokens> chatTokensFor(const r1::runtime::Tokenizer &tok,
                                                             const std::string &source);

/// The rendered prompt's ids (special tokens parsed).
r1::runtime::Result<std::vector<int32_t>>
promptIds(const r1::runtime::Tokenizer &tokenizer, const r1::runtime::R1ChatTokens &tokens,
          const std::vector<r1::runtime::ChatMessage> &messages, bool thinkPrefix,
          std::vector<std::string> *notices, std::string *text = nullptr);

} // namespace r1run_tool

#endif // R1C_TOOLS_R1RUN_PROMPTBUILDER_H
