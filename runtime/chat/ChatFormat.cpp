//===- ChatFormat.cpp - The DeepSeek-R1 conversation format ---------------===//

#include "runtime/chat/ChatFormat.h"

namespace r1::runtime {

std::string answerPart(const std::string &assistantText) {
  static const std::string kThinkEnd = "</think>";
  size_t at = assistantText.rfind(kThinkEnd);
  return at == std::string::npos ? assistantText : assistantText.substr(at + kThinkEnd.size());
}

Result<RenderedPrompt> renderR1Prompt(const std::vector<ChatMessage> &messages,
                                      const ChatRenderOptions &options) {
  // 1. Collect the system prompt; check the roles and the turn order.
  std::string system;
  int systemCount = 0;
  const ChatMessage *last = nullptr;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage &m = messages[i];
    if (m.role == "system") {
      system += (systemCount++ ? "\n\n" : "") + m.content;
      continue;
    }
    if (m.role != "user" && m.role != "assistant")
      return Status::badInput("message " + std::to_string(i + 1) + ": role '" + m.role +
                              "' is not system, user or assistant");
    if (last && last->role == m.role)
      return Status::badInput("message " + std::to_string(i + 1) + ": two " + m.role +
                              " turns in a row; user and assistant turns must alternate");
    if (!last && m.role != "user")
      return Status::badInput("message " + std::to_string(i + 1) +
                              ": the conversation must start with a user turn");
    last = &m;
  }
  if (!last || last->role != "user")
    return Status::badInput("the conversation must end with a user turn");

  // 2. Render: BOS, then the turns; the system prompt opens the first user turn.
  RenderedPrompt out;
  if (systemCount)
    out.notices.push_back("r1: the system prompt was folded into the first user turn (R1 is "
                          "used without system prompts)");
  const R1ChatTokens &t = options.tokens;
  out.text = t.bos;
  bool firstUser = true;
  for (const ChatMessage &m : messages) {
    if (m.role == "user") {
      out.text += t.user;
      if (firstUser && systemCount)
        out.text += system + "\n\n";
      out.text += m.content;
      firstUser = false;
    } else if (m.role == "assistant") {
      out.text += t.assistant + answerPart(m.content) + t.endOfSentence;
    }
  }
  out.text += t.assistant;
  if (options.thinkPrefix)
    out.text += "<think>\n";
  return out;
}

} // namespace r1::runtime
