//===- Normalizer.cpp - Unicode normalization through ICU -----------------===//

#include "runtime/tokenizer/Normalizer.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>

namespace r1::runtime {

namespace {

const icu::Normalizer2 *instance(NormalizationForm form, UErrorCode &error) {
  switch (form) {
  case NormalizationForm::kNFC:
    return icu::Normalizer2::getNFCInstance(error);
  case NormalizationForm::kNFD:
    return icu::Normalizer2::getNFDInstance(error);
  case NormalizationForm::kNFKC:
    return icu::Normalizer2::getNFKCInstance(error);
  case NormalizationForm::kNFKD:
    return icu::Normalizer2::getNFKDInstance(error);
  }
  return nullptr;
}

/// Text whose bytes are all below `limit` is left as it is by the forms:
/// ASCII by all of them; for NFC and NFD, every code point below U+00C0 (the
/// first decomposable letter; the first combining mark is U+0300), which are
/// what UTF-8 lead bytes below 0xC3 start. (NFKC changes U+00A0, U+00B2, ...)
bool unchangedBelow(std::string_view text, unsigned char limit) {
  for (char c : text)
    if (static_cast<unsigned char>(c) >= limit)
      return false;
  return true;
}

} // namespace

Result<Normalizer> Normalizer::create(std::vector<NormalizationForm> forms) {
  for (NormalizationForm form : forms) {
    UErrorCode error = U_ZERO_ERROR;
    if (!instance(form, error) || U_FAILURE(error))
      return Status::runtimeError(std::string("ICU could not load its normalization data: ") +
                                  u_errorName(error));
  }
  Normalizer n(std::move(forms));
  n.fastLimit_ = 0xC3;
  for (NormalizationForm form : n.forms_)
    if (form == NormalizationForm::kNFKC || form == NormalizationForm::kNFKD)
      n.fastLimit_ = 0x80;
  return n;
}

std::string_view Normalizer::apply(std::string_view text, std::string &storage) const {
  if (forms_.empty() || unchangedBelow(text, fastLimit_))
    return text;
  std::string_view current = text;
  std::string scratch;
  for (NormalizationForm form : forms_) {
    UErrorCode error = U_ZERO_ERROR;
    const icu::Normalizer2 *n = instance(form, error);
    icu::StringPiece piece(current.data(), static_cast<int32_t>(current.size()));
    if (U_SUCCESS(error) && n->isNormalizedUTF8(piece, error) && U_SUCCESS(error))
      continue;
    error = U_ZERO_ERROR;
    scratch.clear();
    icu::StringByteSink<std::string> sink(&scratch, static_cast<int32_t>(current.size()));
    n->normalizeUTF8(0, piece, sink, nullptr, error);
    if (U_FAILURE(error))
      continue; // cannot happen for well-formed input; keep the text as it is
    storage.swap(scratch);
    current = storage;
  }
  return current;
}

} // namespace r1::runtime
