//===- ChatFormat.h - The DeepSeek-R1 conversation format -----------------===//
//
// Renders a conversation as the prompt text the R1 release's chat template
// produces, for every family (R1/V3 and the Qwen and Llama Distills, which
// share it):
//
//   BOS <｜User｜>u1 <｜Assistant｜>a1<｜end▁of▁sentence｜> <｜User｜>u2 <｜Assistant｜><think>\n
//
// (without the spaces). R1's usage rules are built in: no system prompt (a
// given one is folded into the first user turn, with a notice), earlier
// assistant turns keep only the text after their last </think>, and the
// generation prompt opens the think block unless told not to.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_CHAT_CHATFORMAT_H
#define R1C_RUNTIME_CHAT_CHATFORMAT_H

#include "runtime/Status.h"

#include <string>
#include <vector>

namespace r1::runtime {

struct ChatMessage {
  std::string role; // "system", "user" or "assistant"
  std::string content;
};

/// The special tokens of the format, as text (the tokenizer maps them to ids).
struct R1ChatTokens {
  std::string bos = "<｜begin▁of▁sentence｜>";
  std::string user = "<｜User｜>";
  std::string assistant = "<｜Assistant｜>";
  std::string endOfSentence = "<｜end▁of▁sentence｜>";
};

struct ChatRenderOptions {
  R1ChatTokens tokens;
  /// End the prompt with "<think>\n", as the R1 release recommends.
  bool thinkPrefix = true;
};

struct RenderedPrompt {
  std::string text;
  /// One line each, for the user (e.g. that a system prompt was folded).
  std::vector<std::string> notices;
};

/// The prompt for `messages`, which must end with a user turn. System
/// messages (anywhere) are joined with blank lines and put before the first
/// user turn's text. Errors name the offending message.
Result<RenderedPrompt> renderR1Prompt(const std::vector<ChatMessage> &messages,
                                      const ChatRenderOptions &options);

/// What an earlier assistant turn contributes to the prompt: the text after
/// its last "</think>" (all of it when there is none).
std::string answerPart(const std::string &assistantText);

} // namespace r1::runtime

#endif // R1C_RUNTIME_CHAT_CHATFORMAT_H
