//===- ReasoningSplitter.cpp - Reasoning vs answer in streamed R1 output --===//

#include "runtime/chat/ReasoningSplitter.h"

namespace r1::runtime {

namespace {

constexpr std::string_view kOpen = "<think>", kClose = "</think>";

/// Length of the longest suffix of `text` that is a proper prefix of `tag`.
size_t partialTagSuffix(std::string_view text, std::string_view tag) {
  for (size_t n = std::min(text.size(), tag.size() - 1); n > 0; --n)
    if (text.substr(text.size() - n) == tag.substr(0, n))
      return n;
  return 0;
}

bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

} // namespace

ReasoningSplitter::ReasoningSplitter(bool promptOpenedThink)
    : promptOpenedThink_(promptOpenedThink) {}

SplitText ReasoningSplitter::feed(std::string_view piece) {
  held_ += piece;
  return drain(false);
}

SplitText ReasoningSplitter::finish() { return drain(true); }

SplitText ReasoningSplitter::drain(bool final) {
  SplitText out;
  for (;;) {
    if (state_ == State::Start) {
      // Optional whitespace, then maybe "<think>": wait until it is decided.
      size_t lead = 0;
      while (lead < held_.size() && isSpace(held_[lead]))
        ++lead;
      std::string_view rest = std::string_view(held_).substr(lead);
      if (!final && rest.size() < kOpen.size() && kOpen.substr(0, rest.size()) == rest)
        return out;
      if (rest.substr(0, kOpen.size()) == kOpen) {
        held_.erase(0, lead + kOpen.size());
        state_ = State::Reasoning;
      } else {
        state_ = promptOpenedThink_ ? State::Reasoning : State::Answer;
      }
      continue;
    }
    if (state_ == State::Reasoning) {
      size_t close = held_.find(kClose);
      if (close != std::string::npos) {
        out.reasoning += held_.substr(0, close);
        held_.erase(0, close + kClose.size());
        state_ = State::Answer;
        continue;
      }
      size_t keep = final ? 0 : partialTagSuffix(held_, kClose);
      out.reasoning += held_.substr(0, held_.size() - keep);
      held_.erase(0, held_.size() - keep);
      return out;
    }
    // Answer: drop the whitespace that separates it from the reasoning.
    if (!answerStarted_) {
      size_t lead = 0;
      while (lead < held_.size() && isSpace(held_[lead]))
        ++lead;
      held_.erase(0, lead);
      if (held_.empty())
        return out;
      answerStarted_ = true;
    }
    out.answer += held_;
    held_.clear();
    return out;
  }
}

} // namespace r1::runtime
