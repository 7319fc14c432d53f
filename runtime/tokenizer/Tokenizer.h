//===- Tokenizer.h - Hugging Face byte-level BPE tokenizers ---------------===//
//
// The tokenizers of DeepSeek-V3/R1, Qwen2.5 (R1-Distill-Qwen) and Llama 3
// (R1-Distill-Llama), loaded from tokenizer.json and tokenizer_config.json and
// giving the same ids as Hugging Face's `tokenizers` (checked against goldens
// in test/unit/tokenizer). Encoding runs, per text:
//   1. added tokens matched in the raw text (AddedTokenMatcher),
//   2. the normalizer on the text between them (Normalizer; NFC for Qwen),
//      then the added tokens that match normalized text,
//   3. the pre-tokenizer's regex splits (PreTokenizer, PCRE2),
//   4. byte-level BPE on each piece (BpeModel).
// Decoding maps ids back to bytes and the bytes to text (ill-formed UTF-8 as
// U+FFFD); StreamDecoder (StreamDecoder.h) does it token by token. docs/tokenizer.md has more.
//
// A Tokenizer is immutable after loading, and encode/decode are thread-safe.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_TOKENIZER_TOKENIZER_H
#define R1C_RUNTIME_TOKENIZER_TOKENIZER_H

#include "runtime/Status.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace r1::runtime {

struct DecodeOptions {
  /// Leave out special added tokens ("<｜end▁of▁sentence｜>"); ordinary added
  /// tokens ("<think>" in Qwen) stay.
  bool skipSpecial = false;
  /// transformers' clean_up_tokenization_spaces (" ." -> ".", " n't" ->
  /// "n't", ...); unset: as tokenizer_config.json says (default false).
  std::optional<bool> cleanUpSpaces;
};

class Tokenizer {
public:
  /// Loads a tokenizer from the contents of tokenizer.json and
  /// tokenizer_config.json (which may be empty: no BOS/EOS names). Every
  /// problem is an ErrorKind::kBadInput whose one-line message starts with
  /// `sourceName` and names the file and the field:
  ///   "model.r1: tokenizer.json: field "model.vocab" is missing".
  static Result<Tokenizer> fromJson(std::string_view tokenizerJson,
                                    std::string_view tokenizerConfigJson,
                                    std::string_view sourceName);
  /// Loads DIR/tokenizer.json and, if present, DIR/tokenizer_config.json.
  static Result<Tokenizer> fromDirectory(const std::string &directory);

  Tokenizer(Tokenizer &&) noexcept;
  Tokenizer &operator=(Tokenizer &&) noexcept;
  ~Tokenizer();

  /// The ids of `text`, without BOS (Hugging Face's encode(text,
  /// add_special_tokens=False)). Added-token texts in `text` become their
  /// ids; with `parseSpecial` false, special ones are encoded as plain text
  /// (split_special_tokens=True). Ill-formed UTF-8 is read as U+FFFD.
  std::vector<int32_t> encode(std::string_view text, bool parseSpecial = true) const;
  /// The same, appending to `ids`.
  void encode(std::string_view text, std::vector<int32_t> &ids, bool parseSpecial = true) const;

  /// The text of `ids`; ids outside the vocabulary are left out. Clean-up as
  /// tokenizer_config.json says.
  std::string decode(std::span<const int32_t> ids, bool skipSpecial = false) const;
  std::string decode(std::span<const int32_t> ids, const DecodeOptions &options) const;

  /// The id of a token spelled as in tokenizer.json (an added token's text,
  /// or a vocabulary entry such as "Ġthe"), or nullopt.
  std::optional<int32_t> tokenId(std::string_view token) const;
  /// The spelling of `id` as in tokenizer.json, or nullopt.
  std::optional<std::string> tokenText(int32_t id) const;
  /// What `id` decodes to: its bytes (possibly part of a character), an
  /// added token's text; empty for unknown ids.
  std::string_view tokenBytes(int32_t id) const;
  bool isAddedToken(int32_t id) const;
  bool isSpecialToken(int32_t id) const;

  /// tokenizer_config.json's bos_token / eos_token, resolved to ids.
  std::optional<int32_t> bosId() const;
  std::optional<int32_t> eosId() const;
  /// Whether a prompt starts with BOS: tokenizer_config.json's add_bos_token,
  /// else whether tokenizer.json's post-processor puts a special token first
  /// (Llama 3); false when there is no bos_token.
  bool addBosToken() const;
  /// tokenizer_config.json's add_eos_token; false when there is no eos_token.
  bool addEosToken() const;
  bool cleanUpTokenizationSpaces() const;

  /// One more than the largest id (vocabulary and added tokens).
  int32_t vocabSize() const;

  /// Empties the BPE word cache (to measure a cold start).
  void clearCache() const;

private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_TOKENIZER_TOKENIZER_H
