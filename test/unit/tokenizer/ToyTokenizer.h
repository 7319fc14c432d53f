//===- ToyTokenizer.h - A small byte-level BPE tokenizer for unit tests ---===//
//
// tokenizer.json / tokenizer_config.json for a tokenizer built in the test:
// the 256 byte tokens (id = byte value), a few merges, two added tokens, and
// Qwen's pre-tokenizer. The tests edit the JSON to make each malformed case,
// and need nothing from ../shared.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_TEST_UNIT_TOKENIZER_TOYTOKENIZER_H
#define R1C_TEST_UNIT_TOKENIZER_TOYTOKENIZER_H

#include <nlohmann/json.hpp>

#include <string>

namespace r1::toytok {

// Ids of the toy tokenizer's multi-byte tokens and added tokens.
inline constexpr int kTh = 256;       // "th"
inline constexpr int kThe = 257;      // "the"
inline constexpr int kSpaceThe = 258; // " the"
inline constexpr int kEnd = 300;      // "<|end|>", special
inline constexpr int kThink = 301;    // "<think>", not special
inline constexpr int kBos = 302;      // "<|bos|>", special

/// tokenizer.json of the toy tokenizer.
nlohmann::json tokenizerJson();
/// tokenizer_config.json of the toy tokenizer.
nlohmann::json tokenizerConfigJson();

} // namespace r1::toytok

#endif // R1C_TEST_UNIT_TOKENIZER_TOYTOKENIZER_H
