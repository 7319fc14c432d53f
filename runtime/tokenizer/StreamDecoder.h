//===- StreamDecoder.h - Decoding generated tokens as they come -----------===//
//
// Byte-level tokens often end inside a character (a CJK character or an
// emoji takes 3-4 bytes, which BPE may cut anywhere), so a token's text
// cannot always be printed on its own. The decoder emits only complete UTF-8
// and holds back a character's first bytes until the token that finishes
// it; bytes that can never become a character are emitted as U+FFFD at once,
// exactly as decode() would.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_TOKENIZER_STREAMDECODER_H
#define R1C_RUNTIME_TOKENIZER_STREAMDECODER_H

#include "runtime/tokenizer/Tokenizer.h"

#include <cstdint>
#include <string>

namespace r1::runtime {

/// Decodes a stream of ids as they are generated: each push returns the text
/// that became complete, holding back the bytes of a character that a later
/// token finishes (a CJK character or an emoji is often split across byte-
/// level tokens). The pieces put together equal decode() of all ids without
/// clean-up.
class StreamDecoder {
public:
  explicit StreamDecoder(const Tokenizer &tokenizer, bool skipSpecial = false)
      : tokenizer_(&tokenizer), skipSpecial_(skipSpecial) {}

  /// The text completed by `id` (often empty while a character is split).
  std::string push(int32_t id);
  /// The same, appending to `text`.
  void push(int32_t id, std::string &text);
  /// The bytes still held back, as U+FFFD (the stream ended inside a
  /// character); the decoder starts afresh.
  std::string finish();
  size_t heldBytes() const { return held_.size(); }

private:
  const Tokenizer *tokenizer_;
  bool skipSpecial_;
  std::string held_;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_TOKENIZER_STREAMDECODER_H
