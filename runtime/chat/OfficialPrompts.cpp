//===- OfficialPrompts.cpp - The R1 release's file and web-search prompts -===//
//
// The two search templates are the release's text, unchanged (DeepSeek-R1
// README.md, "Official Prompts", MIT license), with their {search_results},
// {cur_date} and {question} placeholders.
//
//===----------------------------------------------------------------------===//

#include "runtime/chat/OfficialPrompts.h"

#include <cstdint>

namespace r1::runtime {

namespace {

constexpr std::string_view kSearchZh = R"r1(# 以下内容是基于用户发送的消息的搜索结果:
{search_results}
在我给你的搜索结果中，每个结果都是[webpage X begin]...[webpage X end]格式的，X代表每篇文章的数字索引。请在适当的情况下在句子末尾引用上下文。请按照引用编号[citation:X]的格式在答案中对应部分引用上下文。如果一句话源自多个上下文，请列出所有相关的引用编号，例如[citation:3][citation:5]，切记不要将引用集中在最后返回引用编号，而是在答案对应部分列出。
在回答时，请注意以下几点：
- 今天是{cur_date}。
- 并非搜索结果的所有内容都与用户的问题密切相关，你需要结合问题，对搜索结果进行甄别、筛选。
- 对于列举类的问题（如列举所有航班信息），尽量将答案控制在10个要点以内，并告诉用户可以查看搜索来源、获得完整信息。优先提供信息完整、最相关的列举项；如非必要，不要主动告诉用户搜索结果未提供的内容。
- 对于创作类的问题（如写论文），请务必在正文的段落中引用对应的参考编号，例如[citation:3][citation:5]，不能只在文章末尾引用。你需要解读并概括用户的题目要求，选择合适的格式，充分利用搜索结果并抽取重要信息，生成符合用户要求、极具思想深度、富有创造力与专业性的答案。你的创作篇幅需要尽可能延长，对于每一个要点的论述要推测用户的意图，给出尽可能多角度的回答要点，且务必信息量大、论述详尽。
- 如果回答很长，请尽量结构化、分段落总结。如果需要分点作答，尽量控制在5个点以内，并合并相关的内容。
- 对于客观类的问答，如果问题的答案非常简短，可以适当补充一到两句相关信息，以丰富内容。
- 你需要根据用户要求和回答内容选择合适、美观的回答格式，确保可读性强。
- 你的回答应该综合多个相关网页来回答，不能重复引用一个网页。
- 除非用户要求，否则你回答的语言需要和用户提问的语言保持一致。

# 用户消息为：
{question})r1";

constexpr std::string_view kSearchEn = R"r1(# The following contents are the search results related to the user's message:
{search_results}
In the search results I provide to you, each result is formatted as [webpage X begin]...[webpage X end], where X represents the numerical index of each article. Please cite the context at the end of the relevant sentence when appropriate. Use the citation format [citation:X] in the corresponding part of your answer. If a sentence is derived from multiple contexts, list all relevant citation numbers, such as [citation:3][citation:5]. Be sure not to cluster all citations at the end; instead, include them in the corresponding parts of the answer.
When responding, please keep the following points in mind:
- Today is {cur_date}.
- Not all content in the search results is closely related to the user's question. You need to evaluate and filter the search results based on the question.
- For listing-type questions (e.g., listing all flight information), try to limit the answer to 10 key points and inform the user that they can refer to the search sources for complete information. Prioritize providing the most complete and relevant items in the list. Avoid mentioning content not provided in the search results unless necessary.
- For creative tasks (e.g., writing an essay), ensure that references are cited within the body of the text, such as [citation:3][citation:5], rather than only at the end of the text. You need to interpret and summarize the user's requirements, choose an appropriate format, fully utilize the search results, extract key information, and generate an answer that is insightful, creative, and professional. Extend the length of your response as much as possible, addressing each point in detail and from multiple perspectives, ensuring the content is rich and thorough.
- If the response is lengthy, structure it well and summarize it in paragraphs. If a point-by-point format is needed, try to limit it to 5 points and merge related content.
- For objective Q&A, if the answer is very brief, you may add one or two related sentences to enrich the content.
- Choose an appropriate and visually appealing format for your response based on the user's requirements and the content of the answer, ensuring strong readability.
- Your answer should synthesize information from multiple relevant webpages and avoid repeatedly citing the same webpage.
- Unless the user requests otherwise, your response should be in the same language as the user's question.

# The user's message is:
{question})r1";

/// `templ` with each "{name}" replaced by its value, in one pass (a value
/// that contains a placeholder is not expanded again).
std::string fill(std::string_view templ,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
  std::string out;
  size_t at = 0;
  while (at < templ.size()) {
    bool replaced = false;
    if (templ[at] == '{')
      for (const auto &[name, value] : values)
        if (templ.substr(at + 1, name.size()) == name && at + 1 + name.size() < templ.size() &&
            templ[at + 1 + name.size()] == '}') {
          out += value;
          at += name.size() + 2;
          replaced = true;
          break;
        }
    if (!replaced)
      out += templ[at++];
  }
  return out;
}

/// The next code point of UTF-8 `text` at `at` (advancing it); malformed
/// bytes are returned one by one as themselves.
uint32_t nextCodePoint(std::string_view text, size_t &at) {
  auto byte = [&](size_t i) { return uint8_t(text[i]); };
  uint8_t b = byte(at);
  int extra = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : 0;
  if (extra && at + size_t(extra) >= text.size()) { // truncated sequence
    ++at;
    return b;
  }
  uint32_t cp = extra ? b & (0x3f >> extra) : b;
  for (int i = 1; i <= extra; ++i)
    cp = (cp << 6) | (byte(at + i) & 0x3f);
  at += size_t(extra) + 1;
  return cp;
}

} // namespace

std::string fileQuestion(std::string_view fileName, std::string_view fileContent,
                         std::string_view question) {
  return fill("[file name]: {file_name}\n[file content begin]\n{file_content}\n[file content "
              "end]\n{question}",
              {{"file_name", fileName}, {"file_content", fileContent}, {"question", question}});
}

bool isChineseQuestion(std::string_view text) {
  for (size_t at = 0; at < text.size();) {
    uint32_t cp = nextCodePoint(text, at);
    // CJK Unified Ideographs and Extension A.
    if ((cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf))
      return true;
  }
  return false;
}

std::string searchQuestion(std::string_view searchResults, std::string_view question,
                           std::string_view date) {
  return fill(isChineseQuestion(question) ? kSearchZh : kSearchEn,
              {{"search_results", searchResults}, {"cur_date", date}, {"question", question}});
}

} // namespace r1::runtime
