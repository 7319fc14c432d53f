//===- Json.cpp - Parsing untrusted JSON into one-line errors -------------===//

#include "compiler/Json.h"

#include "llvm/ADT/StringExtras.h"

#include <optional>

namespace r1 {

using nlohmann::json;

namespace {

/// The offset at which `text` opens an array or object nested deeper than
/// kMaxJsonDepth, if it does. Brackets inside strings do not count; invalid
/// JSON gets some answer and is rejected by the parser afterwards.
std::optional<size_t> findExcessiveNesting(llvm::StringRef text) {
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"')
      inString = true;
    else if ((c == '[' || c == '{') && ++depth > kMaxJsonDepth)
      return i;
    else if ((c == ']' || c == '}') && depth > 0)
      --depth;
  }
  return std::nullopt;
}

} // namespace

llvm::Error makeFileError(llvm::StringRef fileName, const llvm::Twine &message) {
  std::string text = (fileName + ": " + message).str();
  for (char &c : text)
    if (c == '\n' || c == '\r')
      c = ' ';
  return llvm::createStringError(llvm::inconvertibleErrorCode(), text);
}

std::string printableOneLine(llvm::StringRef text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (llvm::isPrint(c)) {
      out += c;
    } else {
      out += "\\x";
      out += llvm::hexdigit(static_cast<unsigned char>(c) >> 4);
      out += llvm::hexdigit(static_cast<unsigned char>(c) & 15);
    }
  }
  return out;
}

llvm::Expected<json> parseJson(llvm::StringRef text, llvm::StringRef fileName,
                               llvm::StringRef subject) {
  std::string prefix = subject.empty() ? "" : (subject + " ").str();
  if (std::optional<size_t> offset = findExcessiveNesting(text))
    return makeFileError(fileName, prefix + "nests arrays and objects deeper than " +
                                       llvm::Twine(kMaxJsonDepth) + " levels (at byte " +
                                       llvm::Twine(*offset) + ")");
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception &e) {
    // what() starts with an id such as "[json.exception.parse_error.101] ",
    // which tells a user nothing; the rest has the line and column.
    llvm::StringRef what = e.what();
    size_t idEnd = what.find("] ");
    if (idEnd != llvm::StringRef::npos)
      what = what.drop_front(idEnd + 2);
    return makeFileError(fileName, prefix + "is not valid JSON: " + printableOneLine(what));
  }
}

} // namespace r1
