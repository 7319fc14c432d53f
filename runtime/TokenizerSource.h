//===- TokenizerSource.h - The tokenizer of an artifact or a model dir ----===//
//
// r1c compile copies tokenizer.json and tokenizer_config.json into the
// artifact (sections of those names, listed in the manifest's "tokenizer");
// r1run and r1c eval load them from there, or from a model directory.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_TOKENIZERSOURCE_H
#define R1C_RUNTIME_TOKENIZERSOURCE_H

#include "runtime/tokenizer/Tokenizer.h"

#include <string>

namespace r1::runtime {

/// The tokenizer of a model directory (tokenizer.json, tokenizer_config.json)
/// or of an artifact (its sections, checksums verified). Errors name the
/// source and say what to do.
Result<Tokenizer> loadTokenizer(const std::string &source);

} // namespace r1::runtime

#endif // R1C_RUNTIME_TOKENIZERSOURCE_H
