//===- Json.h - Parsing untrusted JSON into one-line errors ---------------===//
//
// config.json, safetensors headers and shard indexes all come from files r1c
// does not control. parseJson is the one way they are parsed: nesting is
// bounded before nlohmann sees the text (its parser is iterative, but
// copying, comparing and dumping values recurse), and a parse failure becomes
// a one-line error that names the file and the position, without nlohmann's
// "[json.exception.parse_error.101]" prefix and with unprintable input bytes
// shown as \xNN.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_JSON_H
#define R1C_COMPILER_JSON_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <nlohmann/json.hpp>

#include <string>

namespace r1 {

/// Far deeper than any real config, header or index, and shallow enough that
/// recursive code over the parsed value cannot exhaust the stack.
constexpr int kMaxJsonDepth = 64;

/// An llvm::Error "FILE: message", with line breaks turned into spaces so that
/// it stays one line.
llvm::Error makeFileError(llvm::StringRef fileName, const llvm::Twine &message);

/// `text` with line breaks as spaces and other unprintable bytes as \xNN.
std::string printableOneLine(llvm::StringRef text);

/// Parses `text`, the JSON of `fileName`. `subject` says what the text is
/// within the file ("header"), or is empty when it is the whole file. Errors:
///   FILE: [SUBJECT ]is not valid JSON: parse error at line L, column C: ...
///   FILE: [SUBJECT ]nests arrays and objects deeper than 64 levels (at byte N)
llvm::Expected<nlohmann::json> parseJson(llvm::StringRef text, llvm::StringRef fileName,
                                         llvm::StringRef subject = "");

} // namespace r1

#endif // R1C_COMPILER_JSON_H
