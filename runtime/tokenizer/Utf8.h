//===- Utf8.h - UTF-8 validation and lossy decoding for the tokenizer -----===//
//
// Byte-level BPE tokens are byte strings, so a token sequence may cut a
// character in two, and decoded bytes may be ill-formed. Like Hugging Face
// (Rust's String::from_utf8_lossy) and the WHATWG decoder, ill-formed input
// becomes one U+FFFD per "maximal subpart" (Unicode 15, section 3.9), which
// makes decoding a prefix and then the rest give the same text as decoding
// everything at once, as long as the prefix does not end inside a character
// that is still incomplete (incompleteSuffix()).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_TOKENIZER_UTF8_H
#define R1C_RUNTIME_TOKENIZER_UTF8_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace r1::runtime::utf8 {

/// U+FFFD REPLACEMENT CHARACTER, encoded.
inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

/// What starts at a position: a well-formed character of `length` bytes
/// (`valid`), or an ill-formed maximal subpart of `length` bytes, `truncated`
/// when the input ended before the character did.
struct Scan {
  uint32_t length = 1;
  bool valid = false;
  bool truncated = false;
};

/// Scans the character starting at `bytes[0]` (`size` >= 1 bytes available).
Scan scan(const unsigned char *bytes, size_t size);

/// True when `text` is well-formed UTF-8.
bool isValid(std::string_view text);

/// Appends `bytes` to `out`, each ill-formed maximal subpart replaced by U+FFFD.
void appendLossy(std::string &out, std::string_view bytes);

/// `bytes` with each ill-formed maximal subpart replaced by U+FFFD.
std::string lossy(std::string_view bytes);

/// How many bytes at the end of `bytes` (0 to 3) are the start of a character
/// that more bytes could still complete.
size_t incompleteSuffix(std::string_view bytes);

/// The code point starting at `text[i]` (well-formed input); advances `i`.
char32_t next(std::string_view text, size_t &i);

/// The code point ending at `text[end - 1]` (well-formed input), and where it
/// starts in `start`.
char32_t previous(std::string_view text, size_t end, size_t &start);

} // namespace r1::runtime::utf8

#endif // R1C_RUNTIME_TOKENIZER_UTF8_H
