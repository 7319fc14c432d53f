//===- AddedTokenMatcher.cpp - Finding added and special tokens in text ---===//

#include "runtime/tokenizer/AddedTokenMatcher.h"

#include "runtime/tokenizer/Utf8.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace r1::runtime {

namespace {

// Hugging Face tests these with Rust regex's \w and \s: Unicode word
// characters (UTS #18: alphabetic, marks, decimal digits, connector
// punctuation, join controls) and White_Space.
bool isWordChar(char32_t c) {
  UChar32 u = static_cast<UChar32>(c);
  return u_hasBinaryProperty(u, UCHAR_ALPHABETIC) ||
         (U_GET_GC_MASK(u) & (U_GC_M_MASK | U_GC_ND_MASK | U_GC_PC_MASK)) != 0 ||
         u_hasBinaryProperty(u, UCHAR_JOIN_CONTROL);
}

bool isSpace(char32_t c) { return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_WHITE_SPACE); }

} // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<Token> &tokens) {
  // Build with maps, then flatten into sorted edge lists.
  std::vector<std::map<unsigned char, uint32_t>> children(1);
  std::vector<int32_t> ending(1, -1);
  for (const Token &token : tokens) {
    if (token.text.empty())
      continue;
    uint32_t node = 0;
    for (char c : token.text) {
      auto b = static_cast<unsigned char>(c);
      auto it = children[node].find(b);
      if (it == children[node].end()) {
        it = children[node].emplace(b, static_cast<uint32_t>(children.size())).first;
        children.emplace_back();
        ending.push_back(-1);
      }
      node = it->second;
    }
    // A repeated text keeps the last entry, as Hugging Face's map does.
    if (ending[node] < 0) {
      ending[node] = static_cast<int32_t>(tokens_.size());
      tokens_.push_back(token);
    } else {
      tokens_[ending[node]] = token;
    }
    startsToken_[static_cast<unsigned char>(token.text[0])] = true;
  }
  nodes_.resize(children.size());
  for (size_t n = 0; n < children.size(); ++n) {
    nodes_[n].token = ending[n];
    nodes_[n].firstEdge = static_cast<uint32_t>(edges_.size());
    nodes_[n].edgeCount = static_cast<uint32_t>(children[n].size());
    for (auto [byte, child] : children[n])
      edges_.push_back({byte, child});
  }
  if (std::count(startsToken_.begin(), startsToken_.end(), true) == 1)
    onlyStartByte_ = static_cast<int>(std::find(startsToken_.begin(), startsToken_.end(), true) -
                                      startsToken_.begin());
}

int32_t AddedTokenMatcher::longestAt(std::string_view text, size_t at, size_t &length) const {
  int32_t found = -1;
  uint32_t node = 0;
  for (size_t i = at; i < text.size(); ++i) {
    const Node &n = nodes_[node];
    auto b = static_cast<unsigned char>(text[i]);
    const Edge *begin = edges_.data() + n.firstEdge, *end = begin + n.edgeCount;
    const Edge *edge =
        std::lower_bound(begin, end, b, [](const Edge &e, unsigned char v) { return e.byte < v; });
    if (edge == end || edge->byte != b)
      break;
    node = edge->child;
    if (nodes_[node].token >= 0) {
      found = nodes_[node].token;
      length = i + 1 - at;
    }
  }
  return found;
}

void AddedTokenMatcher::split(std::string_view text, bool matchSpecial,
                              FunctionRef<void(std::string_view)> onText,
                              FunctionRef<void(int32_t)> onToken) const {
  size_t textStart = 0; // start of the text not yet handed on
  size_t at = 0;        // where the search goes on
  while (at < text.size() && !tokens_.empty()) {
    // The next position where a token could start.
    if (onlyStartByte_ >= 0) {
      const void *hit = std::memchr(text.data() + at, onlyStartByte_, text.size() - at);
      if (!hit)
        break;
      at = static_cast<const char *>(hit) - text.data();
    } else {
      while (at < text.size() && !startsToken_[static_cast<unsigned char>(text[at])])
        ++at;
      if (at == text.size())
        break;
    }
    size_t length = 0;
    int32_t index = longestAt(text, at, length);
    if (index < 0) {
      ++at;
      continue;
    }
    const Token &token = tokens_[index];
    size_t start = at, stop = at + length;
    at = stop; // a discarded match is skipped over, as the Aho-Corasick iterator does
    if (token.special && !matchSpecial)
      continue;
    if (token.singleWord) {
      size_t ignored;
      bool wordBefore = start > 0 && isWordChar(utf8::previous(text, start, ignored));
      size_t after = stop;
      bool wordAfter = stop < text.size() && isWordChar(utf8::next(text, after));
      if (wordBefore || wordAfter)
        continue;
    }
    if (token.lstrip) {
      size_t before;
      while (start > textStart && isSpace(utf8::previous(text, start, before)))
        start = before;
    }
    if (token.rstrip) {
      while (stop < text.size()) {
        size_t after = stop;
        if (!isSpace(utf8::next(text, after)))
          break;
        stop = after;
      }
      at = stop;
    }
    if (start > textStart)
      onText(text.substr(textStart, start - textStart));
    onToken(token.id);
    textStart = stop;
  }
  if (textStart < text.size())
    onText(text.substr(textStart));
}

} // namespace r1::runtime
