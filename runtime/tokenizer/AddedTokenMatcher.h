//===- AddedTokenMatcher.h - Finding added and special tokens in text -----===//
//
// Added tokens ("<｜User｜>", "<|im_start|>", "<think>") are cut out of the
// text before normalization and pre-tokenization, as Hugging Face does: at
// each position the longest token that starts there wins, scanning left to
// right (Aho-Corasick's leftmost-longest), with the AddedToken flags applied
// to each match: single_word (the match must not touch a word character),
// lstrip / rstrip (the match takes the whitespace around it).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_TOKENIZER_ADDEDTOKENMATCHER_H
#define R1C_RUNTIME_TOKENIZER_ADDEDTOKENMATCHER_H

#include "runtime/tokenizer/FunctionRef.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace r1::runtime {

class AddedTokenMatcher {
public:
  struct Token {
    std::string text; // what to find (the normalized content for normalized tokens)
    int32_t id = 0;
    bool special = false;
    bool singleWord = false;
    bool lstrip = false;
    bool rstrip = false;
  };

  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(const std::vector<Token> &tokens);

  bool empty() const { return tokens_.empty(); }

  /// Cuts `text` (well-formed UTF-8) at the tokens found: `onText` gets each
  /// non-empty stretch between them, `onToken` each token's id, in order.
  /// Special tokens are found only when `matchSpecial`.
  void split(std::string_view text, bool matchSpecial, FunctionRef<void(std::string_view)> onText,
             FunctionRef<void(int32_t)> onToken) const;

private:
  /// The longest token starting at `text[at]`: its index in tokens_ and
  /// length, or -1.
  int32_t longestAt(std::string_view text, size_t at, size_t &length) const;

  // A byte trie, children of node n in edges_[firstEdge, firstEdge + edgeCount)
  // sorted by byte.
  struct Node {
    int32_t token = -1; // index into tokens_ of the token ending here
    uint32_t firstEdge = 0;
    uint32_t edgeCount = 0;
  };
  struct Edge {
    unsigned char byte;
    uint32_t child;
  };
  std::vector<Token> tokens_;
  std::vector<Node> nodes_;
  std::vector<Edge> edges_;
  std::array<bool, 256> startsToken_{}; // bytes some token starts with
  int onlyStartByte_ = -1;              // the one such byte, when there is one (memchr)
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_TOKENIZER_ADDEDTOKENMATCHER_H
