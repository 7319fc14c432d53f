//===- TokenizeCommand.cpp - r1run tokenize: text <-> token ids -----------===//
//
// Reads JSON lines on stdin and writes one JSON line per input line:
//   encode (default): {"text": "..."} -> {"ids": [...]}
//   --decode:         {"ids": [...]}  -> {"text": "..."}
// The tokenizer comes from a model directory (tokenizer.json and, if present,
// tokenizer_config.json) or from an artifact's sections of those names. A bad
// input line stops the command with a one-line error naming the line (exit
// 1); the lines before it have been answered. Output is flushed per line, so
// a program can drive r1run tokenize through a pipe.
//
//===----------------------------------------------------------------------===//

#include "tools/r1run/Commands.h"

#include "runtime/TokenizerSource.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace r1run_tool {

using namespace r1::runtime;
using nlohmann::json;


namespace {

struct TokenizeArgs {
  std::string source;
  bool decode = false;
  bool addSpecial = false;
  bool splitSpecial = false;
  bool skipSpecial = false;
};


/// Answers one input line; "" or the error (without the line number).
std::string answer(const Tokenizer &tokenizer, const TokenizeArgs &args, const std::string &line,
                   std::string &out) {
  json input;
  try {
    input = json::parse(line);
  } catch (const json::exception &e) { // parse errors, and numbers out of range
    // e.what(): "[json.exception.parse_error.101] parse error at line 1, column 3: ...".
    std::string what = e.what();
    size_t column = what.find("column ");
    return "not valid JSON" + (column == what.npos ? "" : " (" + what.substr(column) + ")");
  }
  if (!input.is_object())
    return "not a JSON object";
  if (!args.decode) {
    auto text = input.find("text");
    if (text == input.end() || !text->is_string())
      return "expected {\"text\": \"...\"}";
    std::vector<int32_t> ids;
    if (args.addSpecial && tokenizer.addBosToken())
      ids.push_back(*tokenizer.bosId());
    tokenizer.encode(text->get_ref<const std::string &>(), ids, !args.splitSpecial);
    if (args.addSpecial && tokenizer.addEosToken())
      ids.push_back(*tokenizer.eosId());
    out = json{{"ids", ids}}.dump();
    return "";
  }
  auto ids = input.find("ids");
  if (ids == input.end() || !ids->is_array())
    return "expected {\"ids\": [...]}";
  std::vector<int32_t> list;
  list.reserve(ids->size());
  for (size_t i = 0; i < ids->size(); ++i) {
    const json &id = (*ids)[i];
    if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
        id.get<int64_t>() >= tokenizer.vocabSize())
      return "ids[" + std::to_string(i) + "] is " + id.dump() +
             ", not a token id (an integer from 0 to " + std::to_string(tokenizer.vocabSize() - 1) +
             ")";
    list.push_back(static_cast<int32_t>(id.get<int64_t>()));
  }
  out = json{{"text", tokenizer.decode(list, args.skipSpecial)}}.dump();
  return "";
}

int runTokenize(const TokenizeArgs &args) {
  Result<Tokenizer> tokenizer = loadTokenizer(args.source);
  if (!tokenizer.ok())
    return report(tokenizer.status());
  std::string line, out;
  for (size_t number = 1; std::getline(std::cin, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue; // blank lines separate nothing
    if (std::string error = answer(*tokenizer, args, line, out); !error.empty())
      return report(Status::badInput("stdin line " + std::to_string(number) + ": " + error));
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }
  if (std::ferror(stdout))
    return report(Status::outputError("stdout: write failed"));
  return kSuccess;
}

} // namespace

CommandRunner addTokenizeCommand(CLI::App &app) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App *tokenize = app.add_subcommand(
      "tokenize", "Text to token ids and back: JSON lines on stdin, one answer line each");
  tokenize
      ->add_option("SOURCE", args->source,
                   "A model directory (tokenizer.json, tokenizer_config.json) or an artifact")
      ->required();
  tokenize->add_flag("--decode", args->decode,
                     "Read {\"ids\": [...]} lines and write {\"text\": \"...\"} (default: the "
                     "reverse)");
  tokenize->add_flag("--add-special", args->addSpecial,
                     "Encoding: add BOS (and EOS) where the tokenizer adds them, like Hugging\n"
                     "Face's add_special_tokens=True (tokenizer_config.json's add_bos_token,\n"
                     "else a post-processor that starts with a special token)");
  tokenize->add_flag("--split-special", args->splitSpecial,
                     "Encoding: special-token text (<|im_start|>) is plain text, not its token");
  tokenize->add_flag("--skip-special", args->skipSpecial,
                     "Decoding: leave special tokens (<｜end▁of▁sentence｜>) out");
  tokenize->footer("Exit codes: 0 ok, 1 bad SOURCE or input line, 2 bad usage, 3 stdout failed. "
                   "See docs/tokenizer.md.");
  return [tokenize, args]() -> int { return tokenize->parsed() ? runTokenize(*args) : -1; };
}

} // namespace r1run_tool
