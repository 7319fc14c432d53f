//===- PreTokenizer.h - Splitting text into words with PCRE2 --------------===//
//
// tokenizer.json's pre_tokenizer: Split steps (a regex, or a literal string,
// whose matches become pieces of their own: behavior "Isolated"; or are
// dropped: "Removed"), then ByteLevel (optionally a leading space, and
// GPT-2's regex). Each step splits every piece the previous step made; BPE
// then runs on each final piece. The regexes are Hugging Face's (Oniguruma
// syntax: \p{L}, (?i:'s|'t), (?!\S)), compiled by PCRE2 with UTF and UCP and
// its JIT.
//
// Known difference: PCRE2's \s (tab, LF, VT, FF, CR and the Z categories)
// lacks U+0085, which Oniguruma's \s (Hugging Face's engine) has. No golden
// text has it; see docs/tokenizer.md.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_TOKENIZER_PRETOKENIZER_H
#define R1C_RUNTIME_TOKENIZER_PRETOKENIZER_H

#include "runtime/Status.h"
#include "runtime/tokenizer/FunctionRef.h"
#include "runtime/tokenizer/TokenizerConfig.h"

#include <memory>
#include <string_view>
#include <vector>

namespace r1::runtime {

/// A compiled PCRE2 pattern (JIT-compiled where the platform allows).
class Regex {
public:
  /// Compiles `pattern` (a literal string when `literal`); an error message
  /// says what is wrong and where in the pattern.
  static Result<Regex> compile(std::string_view pattern, bool literal);

  /// The first match in `subject` at or after `start`: true and [begin, end),
  /// or false. `subject` must be well-formed UTF-8 (it is not checked again).
  bool find(std::string_view subject, size_t start, size_t &begin, size_t &end) const;

private:
  struct Code;
  std::shared_ptr<const Code> code_;
};

class PreTokenizer {
public:
  /// Compiles every step; `file` ("SOURCE: tokenizer.json") starts messages.
  static Result<PreTokenizer> create(const std::vector<PreTokenizerStep> &steps,
                                     std::string_view file);

  /// Calls `onPiece` with each piece of `text`, in order (never empty).
  void split(std::string_view text, FunctionRef<void(std::string_view)> onPiece) const;

private:
  struct Step {
    PreTokenizerStep::Kind kind;
    PreTokenizerStep::Behavior behavior;
    bool addPrefixSpace = false;
    bool useRegex = false;
    Regex regex;
  };
  void apply(size_t step, std::string_view piece,
             FunctionRef<void(std::string_view)> onPiece) const;

  std::vector<Step> steps_;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_TOKENIZER_PRETOKENIZER_H
