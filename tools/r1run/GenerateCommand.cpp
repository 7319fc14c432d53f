//===- GenerateCommand.cpp - r1run generate: one prompt, one answer -------===//
//
// The prompt (--prompt, or all of stdin) goes through R1's chat format, with
// the release's file or web-search template when asked; the answer streams
// to stdout with the reasoning dimmed (on a terminal) and set apart, or comes
// as one JSON object with --json. Docs: docs/r1run.md.
//
//===----------------------------------------------------------------------===//

#include "runtime/Generator.h"
#include "runtime/chat/OfficialPrompts.h"
#include "runtime/chat/ReasoningSplitter.h"
#include "tools/r1run/Commands.h"
#include "tools/r1run/GenerationFlags.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

namespace r1run_tool {

using namespace r1::runtime;

namespace {

struct GenerateArgs {
  GenerationFlags flags;
  std::string prompt;
  std::string system;
  std::string file;
  std::string searchResults;
  std::string date;
  bool json = false;
  bool showPrompt = false;
};

std::optional<std::string> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Today as the search templates show it: "2026年11月22日" for Chinese
/// questions, "2026-11-22" otherwise.
std::string today(bool chinese) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char text[64];
  if (chinese)
    std::snprintf(text, sizeof text, "%d年%d月%d日", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  else
    std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

int runGenerate(GenerateArgs &args) {
  GenerationFlags &f = args.flags;
  if (Status s = f.sampling.validate(); !s.ok())
    return usageError(s.message());

  // 1. The question: --prompt, else stdin; wrapped in a release template.
  std::string question = args.prompt;
  if (question.empty()) {
    if (::isatty(STDIN_FILENO))
      std::fprintf(stderr, "r1run: reading the prompt from stdin (end with Ctrl-D)\n");
    question.assign(std::istreambuf_iterator<char>(std::cin), {});
  }
  if (question.empty())
    return usageError("no prompt: give --prompt TEXT or text on stdin");
  if (!args.file.empty()) {
    std::optional<std::string> content = readFile(args.file);
    if (!content)
      return report(Status::badInput(args.file + ": cannot read the file for --file"));
    std::string name = args.file.substr(args.file.find_last_of('/') + 1);
    question = fileQuestion(name, *content, question);
  }
  if (!args.searchResults.empty()) {
    std::optional<std::string> results = readFile(args.searchResults);
    if (!results)
      return report(Status::badInput(args.searchResults + ": cannot read --search-results"));
    std::string date = args.date.empty() ? today(isChineseQuestion(question)) : args.date;
    question = searchQuestion(*results, question, date);
  }

  // 2. The model, its tokenizer, the prompt ids.
  Result<ChatModel> loaded = loadChatModel(f);
  if (!loaded.ok())
    return report(loaded.status());
  const Tokenizer &tokenizer = *loaded->tokenizer;
  std::vector<ChatMessage> messages;
  if (!args.system.empty())
    messages.push_back({"system", args.system});
  messages.push_back({"user", question});
  std::vector<std::string> notices;
  std::string promptText;
  Result<std::vector<int32_t>> ids =
      promptIds(tokenizer, loaded->tokens, messages, !f.noThinkPrefix, &notices, &promptText);
  if (!ids.ok())
    return report(ids.status());
  for (const std::string &notice : notices)
    std::fprintf(stderr, "%s\n", notice.c_str());
  if (args.showPrompt)
    std::fprintf(stderr, "r1run: prompt (%zu tokens): %s\n", ids->size(), promptText.c_str());

  // 3. Generate, streaming (reasoning dimmed on a terminal) unless --json.
  GenerationOptions options = generationOptions(f);
  ReasoningSplitter splitter(!f.noThinkPrefix);
  SplitText all;
  int64_t reasoningTokens = 0;
  const bool dim = !args.json && ::isatty(STDOUT_FILENO);
  bool printedReasoning = false, printedAnswer = false;
  auto show = [&](const SplitText &t) {
    all.reasoning += t.reasoning;
    all.answer += t.answer;
    if (args.json)
      return;
    if (!t.reasoning.empty() && !f.hideThinking) {
      std::fputs(dim ? ("\x1b[2m" + t.reasoning + "\x1b[0m").c_str() : t.reasoning.c_str(),
                 stdout);
      printedReasoning = true;
    }
    if (!t.answer.empty()) {
      if (printedReasoning && !printedAnswer)
        std::fputs("\n\n", stdout);
      std::fputs(t.answer.c_str(), stdout);
      printedAnswer = true;
    }
    std::fflush(stdout);
  };
  Result<GenerationResult> result =
      generate(*loaded->session, tokenizer, *ids, options, [&](int32_t id, std::string_view text) {
        if (id >= 0 && !splitter.inAnswer())
          ++reasoningTokens;
        show(splitter.feed(text));
      });
  if (!result.ok())
    return report(result.status());
  show(splitter.finish());

  const GenerationStats &st = result->stats;
  double prefillRate = st.prefillSeconds > 0 ? st.prefillTokens / st.prefillSeconds : 0;
  double decodeRate = st.decodeSeconds > 0 ? st.decodeSteps / st.decodeSeconds : 0;
  if (args.json) {
    int64_t completion = int64_t(result->tokens.size());
    nlohmann::json out = {
        {"reasoning", all.reasoning},
        {"content", all.answer},
        {"finish_reason", finishReasonName(result->finish)},
        {"usage",
         {{"prompt_tokens", ids->size()},
          {"completion_tokens", completion},
          {"reasoning_tokens", std::min(reasoningTokens, completion)},
          {"total_tokens", int64_t(ids->size()) + completion}}},
        {"timings",
         {{"prefill_seconds", st.prefillSeconds},
          {"prefill_tokens_per_s", prefillRate},
          {"decode_seconds", st.decodeSeconds},
          {"decode_tokens_per_s", decodeRate},
          {"sampled_on_device", result->sampledOnDevice}}}};
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::fputs("\n", stdout);
    std::fprintf(stderr, "r1run: %zu prompt + %zu generated tokens (%s); prefill %.1f t/s, "
                         "decode %.1f t/s%s\n",
                 ids->size(), result->tokens.size(), finishReasonName(result->finish),
                 prefillRate, decodeRate,
                 result->sampledOnDevice ? "; sampled on the device" : "");
  }
  return kSuccess;
}

} // namespace

CommandRunner addGenerateCommand(CLI::App &app) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App *command =
      app.add_subcommand("generate", "One prompt through R1's chat format; the answer streams");
  addGenerationFlags(*command, args->flags);
  command->add_option("--prompt", args->prompt, "The question (default: all of stdin)")
      ->option_text("TEXT");
  command->add_option("--system", args->system,
                      "A system prompt; R1 takes none, so it is folded into the question")
      ->option_text("TEXT");
  command->add_option("--file", args->file,
                      "Ask about this file with the release's file template")
      ->option_text("PATH");
  command->add_option("--search-results", args->searchResults,
                      "Answer from these search results ([webpage N begin]...[webpage N end]) with "
                      "the release's web-search template, Chinese or English by the question")
      ->option_text("FILE");
  command->add_option("--date", args->date, "The date the search template shows (default today)")
      ->option_text("TEXT");
  command->add_flag("--json", args->json,
                    "Print one JSON object: reasoning, content, finish_reason, usage, timings");
  command->add_flag("--show-prompt", args->showPrompt, "Print the rendered prompt to stderr");
  command->footer("Examples:\n"
                  "  r1run generate model.r1 --prompt 'What is 17 * 23?'\n"
                  "  echo 'Summarize.' | r1run generate model.r1 --file notes.txt --json\n"
                  "  r1run generate model.r1 --prompt 'Hi' --temperature 0 --max-tokens 64");
  return [command, args]() -> int { return command->parsed() ? runGenerate(*args) : -1; };
}

} // namespace r1run_tool
