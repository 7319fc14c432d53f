//===- StreamDecoder.cpp - Decoding generated tokens as they come ---------===//

#include "runtime/tokenizer/StreamDecoder.h"

#include "runtime/tokenizer/Utf8.h"

namespace r1::runtime {

void StreamDecoder::push(int32_t id, std::string &text) {
  if (tokenizer_->isAddedToken(id)) {
    if (skipSpecial_ && tokenizer_->isSpecialToken(id))
      return;
    // An added token ends any character in progress, as in decode().
    utf8::appendLossy(text, held_);
    held_.clear();
    text += tokenizer_->tokenBytes(id);
    return;
  }
  held_ += tokenizer_->tokenBytes(id);
  size_t keep = utf8::incompleteSuffix(held_);
  utf8::appendLossy(text, std::string_view(held_).substr(0, held_.size() - keep));
  held_.erase(0, held_.size() - keep);
}

std::string StreamDecoder::push(int32_t id) {
  std::string text;
  push(id, text);
  return text;
}

std::string StreamDecoder::finish() {
  std::string text = utf8::lossy(held_);
  held_.clear();
  return text;
}

} // namespace r1::runtime
