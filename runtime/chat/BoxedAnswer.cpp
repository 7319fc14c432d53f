//===- BoxedAnswer.cpp - R1's evaluation protocol: answers and scores -----===//

#include "runtime/chat/BoxedAnswer.h"

#include <map>

namespace r1::runtime {

std::optional<std::string> lastBoxed(std::string_view text) {
  static constexpr std::string_view kBoxed = "\\boxed{";
  size_t at = text.rfind(kBoxed);
  while (at != std::string_view::npos) {
    size_t begin = at + kBoxed.size(), depth = 1, i = begin;
    for (; i < text.size() && depth > 0; ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) { // \{ and \} are not braces
        ++i;
        continue;
      }
      depth += text[i] == '{';
      depth -= text[i] == '}';
    }
    if (depth == 0)
      return std::string(text.substr(begin, i - 1 - begin));
    // Unterminated (the text was cut off): try an earlier one.
    at = at == 0 ? std::string_view::npos : text.rfind(kBoxed, at - 1);
  }
  return std::nullopt;
}

std::string normalizeAnswer(std::string_view answer) {
  std::string s;
  for (char c : answer)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '$')
      s += c;
  auto replaceAll = [&](std::string_view from, std::string_view to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
      s.replace(at, from.size(), to);
  };
  replaceAll("\\left", "");
  replaceAll("\\right", "");
  replaceAll("\\dfrac", "\\frac");
  replaceAll("\\tfrac", "\\frac");
  replaceAll("\\!", "");
  if (s.rfind("\\text{", 0) == 0 && !s.empty() && s.back() == '}')
    s = s.substr(6, s.size() - 7);
  while (!s.empty() && s.back() == '.')
    s.pop_back();
  return s;
}

ProblemScore scoreProblem(const std::vector<std::optional<std::string>> &answers,
                          std::string_view reference) {
  ProblemScore score;
  const std::string want = normalizeAnswer(reference);
  std::map<std::string, std::pair<int, size_t>> votes; // answer -> (count, first index)
  int correct = 0;
  for (size_t i = 0; i < answers.size(); ++i) {
    bool ok = false;
    if (answers[i]) {
      std::string got = normalizeAnswer(*answers[i]);
      ok = got == want;
      auto [it, inserted] = votes.try_emplace(got, 0, i);
      ++it->second.first;
    }
    score.correct.push_back(ok);
    correct += ok;
  }
  score.pass1 = answers.empty() ? 0.0 : double(correct) / double(answers.size());
  int best = 0;
  size_t bestFirst = 0;
  for (const auto &[answer, vote] : votes)
    if (vote.first > best || (vote.first == best && vote.second < bestFirst)) {
      best = vote.first;
      bestFirst = vote.second;
      score.majority = answer;
    }
  score.consCorrect = best > 0 && score.majority == want;
  return score;
}

} // namespace r1::runtime
