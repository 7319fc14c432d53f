//===- Normalizer.h - Unicode normalization (tokenizer.json "normalizer") -===//
//
// Qwen's tokenizer NFC-normalizes text before splitting it; DeepSeek's and
// Llama 3's do nothing. The forms come from ICU (the Debian libicu), never
// from tables of our own. Text that is already normalized is passed through
// without a copy.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_TOKENIZER_NORMALIZER_H
#define R1C_RUNTIME_TOKENIZER_NORMALIZER_H

#include "runtime/Status.h"
#include "runtime/tokenizer/TokenizerConfig.h"

#include <string>
#include <string_view>
#include <vector>

namespace r1::runtime {

class Normalizer {
public:
  /// The identity.
  Normalizer() = default;
  /// Applies `forms` in order; an error if ICU cannot load its data.
  static Result<Normalizer> create(std::vector<NormalizationForm> forms);

  bool isIdentity() const { return forms_.empty(); }

  /// `text` normalized: `text` itself when it already is, else a view of
  /// `storage`, which receives the normalized copy. `text` must be
  /// well-formed UTF-8.
  std::string_view apply(std::string_view text, std::string &storage) const;

private:
  explicit Normalizer(std::vector<NormalizationForm> forms) : forms_(std::move(forms)) {}
  std::vector<NormalizationForm> forms_;
  unsigned char fastLimit_ = 0x80; // text with bytes below this is already normalized
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_TOKENIZER_NORMALIZER_H
