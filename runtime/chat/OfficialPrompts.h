//===- OfficialPrompts.h - The R1 release's file and web-search prompts ---===//
//
// The DeepSeek-R1 release uses no system prompt but two user-turn templates
// (README, "Official Prompts"; MIT license): one for an uploaded file and
// one for web search, in Chinese or English by the question's language.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_CHAT_OFFICIALPROMPTS_H
#define R1C_RUNTIME_CHAT_OFFICIALPROMPTS_H

#include <string>
#include <string_view>

namespace r1::runtime {

/// "[file name]: ...\n[file content begin]\n...\n[file content end]\n{question}".
std::string fileQuestion(std::string_view fileName, std::string_view fileContent,
                         std::string_view question);

/// True when `text` contains a CJK ideograph: the release answers such
/// questions with the Chinese search template.
bool isChineseQuestion(std::string_view text);

/// The web-search template for `question` (Chinese or English by
/// isChineseQuestion) with `searchResults` (already formatted as
/// "[webpage X begin]...[webpage X end]") and `date` (e.g. "2026-11-22").
std::string searchQuestion(std::string_view searchResults, std::string_view question,
                           std::string_view date);

} // namespace r1::runtime

#endif // R1C_RUNTIME_CHAT_OFFICIALPROMPTS_H
