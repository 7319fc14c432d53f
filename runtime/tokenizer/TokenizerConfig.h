//===- TokenizerConfig.h - tokenizer.json and tokenizer_config.json -------===//
//
// Reads the two Hugging Face files into a plain description of the pipeline
// (TokenizerSpec), checking every field it uses for presence and type. The
// files are untrusted input: any problem is one line naming the source, the
// file and the field, e.g.
//   model.r1: tokenizer.json: field "model.vocab" is missing
// Parts of the format r1c does not implement (WordPiece, a Lowercase
// normalizer, ...) are errors that say so, never silently ignored.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_TOKENIZER_TOKENIZERCONFIG_H
#define R1C_RUNTIME_TOKENIZER_TOKENIZERCONFIG_H

#include "runtime/Status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace r1::runtime {

/// An entry of tokenizer.json's "added_tokens" (special and ordinary added
/// tokens, matched in the text before the model sees it).
struct AddedTokenSpec {
  int32_t id = 0;
  std::string content;
  bool singleWord = false; // match only between non-word characters
  bool lstrip = false;     // the match takes the whitespace before it
  bool rstrip = false;     // ... and after it
  bool normalized = true;  // match in the normalized text (else the raw text)
  bool special = false;    // skipped by decode(skipSpecial)
};

/// A Unicode normalization form (tokenizer.json "normalizer").
enum class NormalizationForm { kNFC, kNFD, kNFKC, kNFKD };

/// One pre-tokenizer step: a Split (a regex or a literal string) or a
/// ByteLevel (which may also split with GPT-2's regex).
struct PreTokenizerStep {
  enum class Kind { kSplit, kByteLevel };
  enum class Behavior { kIsolated, kRemoved };
  Kind kind = Kind::kSplit;
  std::string pattern;  // the regex (or literal, when `literal`)
  bool literal = false; // "pattern": {"String": ...}
  Behavior behavior = Behavior::kIsolated;
  bool addPrefixSpace = false; // ByteLevel: prepend " " to pieces not starting with one
  bool useRegex = false;       // ByteLevel: split with GPT-2's regex
  std::string path;            // the step in tokenizer.json ("pre_tokenizer.pretokenizers[1]")
  std::string field;           // its pattern's field, for messages about the regex
};

/// The "model" of tokenizer.json (byte-level BPE only).
struct BpeSpec {
  std::vector<std::pair<std::string, int32_t>> vocab; // byte-level spelling -> id
  std::vector<std::pair<std::string, std::string>> merges;
  std::optional<std::string> unkToken;
  bool ignoreMerges = false; // a word already in the vocabulary is one token
};

struct TokenizerSpec {
  std::string source; // "SOURCE" in messages

  // tokenizer.json
  BpeSpec bpe;
  std::vector<AddedTokenSpec> addedTokens;
  std::vector<NormalizationForm> normalizer; // applied in order; empty: none
  std::vector<PreTokenizerStep> preTokenizer;
  bool postProcessorAddsBos = false; // a TemplateProcessing "single" starting with a special token

  // tokenizer_config.json (all optional)
  std::optional<std::string> bosToken;
  std::optional<std::string> eosToken;
  std::optional<bool> addBosToken;
  bool addEosToken = false;
  bool cleanUpTokenizationSpaces = false;
};

/// Parses the files. `tokenizerConfigJson` may be empty (no
/// tokenizer_config.json: no BOS/EOS names, no clean-up). `source` starts
/// every message ("model.r1", a directory).
Result<TokenizerSpec> parseTokenizerSpec(std::string_view tokenizerJson,
                                         std::string_view tokenizerConfigJson,
                                         std::string_view source);

} // namespace r1::runtime

#endif // R1C_RUNTIME_TOKENIZER_TOKENIZERCONFIG_H
