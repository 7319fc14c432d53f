//===- ChatPrompt.h - From the user's words to prompt token ids -----------===//
//
// Shared by `r1run generate`, `r1run chat` and `r1c eval`: the R1 chat
// format with the tokenizer's own BOS, checked against the tokenizer (the
// format needs the <｜User｜>/<｜Assistant｜> tokens).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_CHATPROMPT_H
#define R1C_RUNTIME_CHATPROMPT_H

#include "runtime/chat/ChatFormat.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <string>
#include <vector>

namespace r1::runtime {

/// The format's tokens for `tokenizer`: its BOS, and an error when it lacks
/// the R1 turn tokens.
Result<R1ChatTokens> chatTokensFor(const Tokenizer &tok, const std::string &source);

/// The rendered prompt's ids (special tokens parsed).
Result<std::vector<int32_t>> promptIds(const Tokenizer &tokenizer, const R1ChatTokens &tokens,
                                       const std::vector<ChatMessage> &messages, bool thinkPrefix,
                                       std::vector<std::string> *notices,
                                       std::string *text = nullptr);

} // namespace r1::runtime

#endif // R1C_RUNTIME_CHATPROMPT_H
