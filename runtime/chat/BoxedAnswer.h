//===- BoxedAnswer.h - R1's evaluation protocol: answers and scores -------===//
//
// DeepSeek-R1 is evaluated by sampling K answers per problem (temperature
// 0.6, top-p 0.95), taking the final answer from the last \boxed{...} and
// reporting pass@1 (the mean correctness over the K samples) and cons@K
// (whether the majority answer is correct). This file is the text side of
// that protocol; `r1c eval` runs it.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_CHAT_BOXEDANSWER_H
#define R1C_RUNTIME_CHAT_BOXEDANSWER_H

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace r1::runtime {

/// The instruction the R1 release recommends appending to math problems.
inline constexpr std::string_view kBoxedInstruction =
    "Please reason step by step, and put your final answer within \\boxed{}.";

/// The contents of the last \boxed{...} (braces balanced) in `text`; none
/// when there is no complete one.
std::optional<std::string> lastBoxed(std::string_view text);

/// A canonical form for comparing answers: no whitespace, no "$", no
/// \left / \right, \dfrac and \tfrac as \frac, no trailing period, and a
/// \text{...} wrapper around the whole answer removed.
std::string normalizeAnswer(std::string_view answer);

struct ProblemScore {
  /// Correct samples / samples.
  double pass1 = 0;
  /// The most frequent normalized answer (ties: the first seen); empty when
  /// no sample had an answer.
  std::string majority;
  bool consCorrect = false;
  std::vector<bool> correct;
};

/// Scores the samples' extracted answers (nullopt: no \boxed{}) against
/// `reference` (compared after normalizeAnswer).
ProblemScore scoreProblem(const std::vector<std::optional<std::string>> &answers,
                          std::string_view reference);

} // namespace r1::runtime

#endif // R1C_RUNTIME_CHAT_BOXEDANSWER_H
