//===- ChatCommand.cpp - r1run chat: an interactive conversation ----------===//
//
// Reads a line per turn, renders the whole conversation in R1's format
// (earlier answers without their reasoning) and reuses the KV cache for the
// prefix the new prompt shares with what is cached (Session::rewind), so a
// turn costs only its new tokens. The reasoning streams dimmed and the answer
// after it; Ctrl-C stops the current answer and keeps the session; Ctrl-D or
// /exit leaves. /reset starts over; /save FILE writes the conversation as
// JSON. Docs: docs/r1run.md.
//
//===----------------------------------------------------------------------===//

#include "runtime/Generator.h"
#include "runtime/chat/ReasoningSplitter.h"
#include "tools/r1run/Commands.h"
#include "tools/r1run/GenerationFlags.h"

#include <nlohmann/json.hpp>

#include <csignal>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

namespace r1run_tool {

using namespace r1::runtime;

namespace {

std::atomic<bool> gInterrupted{false};

extern "C" void onInterrupt(int) { gInterrupted.store(true); }

/// SIGINT sets the flag instead of killing the process; no SA_RESTART, so a
/// read waiting for the next line returns and the prompt is shown again.
void installInterruptHandler() {
  struct sigaction action {};
  action.sa_handler = onInterrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  sigaction(SIGINT, &action, nullptr);
}

struct ChatArgs {
  GenerationFlags flags;
  std::string system;
};

int runChat(ChatArgs &args) {
  GenerationFlags &f = args.flags;
  if (Status s = f.sampling.validate(); !s.ok())
    return usageError(s.message());
  Result<ChatModel> loaded = loadChatModel(f);
  if (!loaded.ok())
    return report(loaded.status());
  const Tokenizer &tokenizer = *loaded->tokenizer;
  const R1ChatTokens &chat = loaded->tokens;
  Session &session = *loaded->session;
  installInterruptHandler();

  const bool tty = ::isatty(STDOUT_FILENO);
  std::vector<ChatMessage> conversation;
  if (!args.system.empty())
    conversation.push_back({"system", args.system});
  std::vector<int32_t> cached; // the tokens whose keys and values the session holds
  std::fprintf(stderr,
               "r1run chat: %s (context %lld tokens). /reset, /save FILE, /exit; Ctrl-C stops "
               "an answer.\n",
               f.artifact.c_str(), static_cast<long long>(session.capacity()));
  std::string line;
  for (;;) {
    if (tty)
      std::fputs("\n> ", stdout);
    std::fflush(stdout);
    gInterrupted.store(false);
    if (!std::getline(std::cin, line)) {
      if (gInterrupted.load() && !std::cin.eof()) { // Ctrl-C at the prompt
        std::cin.clear();
        continue;
      }
      break; // Ctrl-D
    }
    if (line.empty())
      continue;
    if (line == "/exit" || line == "/quit")
      break;
    if (line == "/reset") {
      conversation.resize(args.system.empty() ? 0 : 1);
      cached.clear();
      session.reset();
      std::fprintf(stderr, "r1run: conversation reset\n");
      continue;
    }
    if (line.rfind("/save", 0) == 0) {
      std::string path = line.size() > 6 ? line.substr(6) : "";
      if (path.empty()) {
        std::fprintf(stderr, "r1run: /save needs a file name: /save chat.json\n");
        continue;
      }
      nlohmann::json messages = nlohmann::json::array();
      for (const ChatMessage &m : conversation)
        messages.push_back({{"role", m.role}, {"content", m.content}});
      std::string tmp = path + ".tmp";
      std::ofstream out(tmp, std::ios::binary);
      out << nlohmann::json{{"messages", messages}}.dump(2) << "\n";
      out.close();
      if (!out || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        std::fprintf(stderr, "r1run: cannot write %s\n", path.c_str());
      } else {
        std::fprintf(stderr, "r1run: saved %zu messages to %s\n", messages.size(), path.c_str());
      }
      continue;
    }

    // A turn: render the conversation, reuse the cached prefix, generate.
    conversation.push_back({"user", line});
    std::vector<std::string> notices;
    Result<std::vector<int32_t>> ids =
        promptIds(tokenizer, chat, conversation, !f.noThinkPrefix,
                  conversation.size() <= 2 ? &notices : nullptr);
    if (!ids.ok())
      return report(ids.status());
    for (const std::string &notice : notices)
      std::fprintf(stderr, "%s\n", notice.c_str());
    size_t common = 0;
    while (common < cached.size() && common + 1 < ids->size() && cached[common] == (*ids)[common])
      ++common;
    if (Status s = session.rewind(int64_t(common)); !s.ok())
      return report(s);
    std::vector<int32_t> fresh(ids->begin() + std::ptrdiff_t(common), ids->end());

    GenerationOptions options = generationOptions(f);
    options.cancel = &gInterrupted;
    ReasoningSplitter splitter(!f.noThinkPrefix);
    std::string reply;
    bool inAnswer = false;
    auto show = [&](const SplitText &t) {
      if (!t.reasoning.empty() && !f.hideThinking)
        std::fputs(tty ? ("\x1b[2m" + t.reasoning + "\x1b[0m").c_str() : t.reasoning.c_str(),
                   stdout);
      if (!t.answer.empty()) {
        if (!inAnswer && !f.hideThinking)
          std::fputs("\n\n", stdout);
        inAnswer = true;
        std::fputs(t.answer.c_str(), stdout);
      }
      std::fflush(stdout);
    };
    Result<GenerationResult> result =
        generate(session, tokenizer, fresh, options,
                 [&](int32_t, std::string_view text) { show(splitter.feed(text)); });
    if (!result.ok()) {
      conversation.pop_back();
      cached.clear();
      session.reset();
      std::fprintf(stderr, "\nr1run: %s\n", result.status().message().c_str());
      continue;
    }
    show(splitter.finish());
    if (result->finish == FinishReason::kCancelled)
      std::fputs(tty ? "\x1b[2m [stopped]\x1b[0m" : " [stopped]", stdout);
    std::fputs("\n", stdout);
    // What the session now holds: the prompt and the generated tokens,
    // except the last when generation ended on it (sampled, never run).
    cached.assign(ids->begin(), ids->end());
    bool lastRun = result->finish == FinishReason::kCancelled;
    if (!result->tokens.empty())
      cached.insert(cached.end(), result->tokens.begin(),
                    result->tokens.end() - (lastRun ? 0 : 1));
    conversation.push_back({"assistant", result->text});
  }
  std::fputs("\n", stdout);
  return kSuccess;
}

} // namespace

CommandRunner addChatCommand(CLI::App &app) {
  auto args = std::make_shared<ChatArgs>();
  CLI::App *command = app.add_subcommand("chat", "An interactive multi-turn conversation");
  addGenerationFlags(*command, args->flags);
  command->add_option("--system", args->system,
                      "A system prompt; R1 takes none, so it is folded into the first turn")
      ->option_text("TEXT");
  command->footer("In the chat: /reset starts over, /save FILE writes the conversation as JSON,\n"
                  "/exit or Ctrl-D leaves, Ctrl-C stops the current answer.");
  return [command, args]() -> int { return command->parsed() ? runChat(*args) : -1; };
}

} // namespace r1run_tool
