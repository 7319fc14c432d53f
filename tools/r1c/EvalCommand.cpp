//===- EvalCommand.cpp - r1c eval: R1's evaluation protocol on an artifact ===//
//
// For each problem of a JSONL file ({"problem": ..., "answer": ...}, with an
// optional "id"): K samples at temperature 0.6 / top-p 0.95 (R1's setting;
// seeds seed, seed + 1, ...), the question in R1's chat format with the
// release's \boxed{} instruction, the final answer taken from the last
// \boxed{} of the answer (of the whole text when there is no </think>).
// Prints pass@1 (mean over samples) and cons@K (majority vote) per problem
// and overall as one JSON object; progress goes to stderr.
//
//===----------------------------------------------------------------------===//

#include "tools/r1c/Commands.h"

#include "runtime/ChatPrompt.h"
#include "runtime/Generator.h"
#include "runtime/Model.h"
#include "runtime/TokenizerSource.h"
#include "runtime/chat/BoxedAnswer.h"
#include "runtime/chat/ReasoningSplitter.h"

#include "llvm/Support/Error.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <memory>

namespace r1c_tool {

namespace {

using namespace r1::runtime;

struct EvalArgs {
  std::string artifact, problems;
  int samples = 4;
  uint64_t seed = SamplingParams::kDefaultSeed;
  int64_t maxTokens = 32768;
  int64_t ctx = 0;
  int threads = 0;
  std::string instruction = std::string(kBoxedInstruction);
};

llvm::Error fail(const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

struct Problem {
  std::string id, question, answer;
};

/// The problems of a JSONL file; errors name the file and line.
llvm::Expected<std::vector<Problem>> readProblems(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    return fail(path + ": cannot read the problems file");
  std::vector<Problem> problems;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    std::string where = path + ":" + std::to_string(number) + ": ";
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
      return fail(where + "not a JSON object");
    auto text = [&](const char *key) -> const nlohmann::json * {
      auto it = j.find(key);
      return it != j.end() && it->is_string() ? &*it : nullptr;
    };
    const nlohmann::json *question = text("problem") ? text("problem") : text("question");
    if (!question)
      return fail(where + "needs a string \"problem\" (or \"question\")");
    auto answer = j.find("answer");
    if (answer == j.end() || !(answer->is_string() || answer->is_number()))
      return fail(where + "needs an \"answer\" (a string or a number)");
    Problem p;
    p.question = question->get<std::string>();
    p.answer = answer->is_string() ? answer->get<std::string>() : answer->dump();
    auto id = j.find("id");
    p.id = id == j.end() ? std::to_string(problems.size() + 1)
                         : id->is_string() ? id->get<std::string>() : id->dump();
    problems.push_back(std::move(p));
  }
  if (problems.empty())
    return fail(path + ": no problems");
  return problems;
}

int runEval(const EvalArgs &args) {
  llvm::Expected<std::vector<Problem>> problems = readProblems(args.problems);
  if (!problems)
    return report(problems.takeError(), kBadInput);
  auto runtimeError = [](const Status &s) {
    return report(fail(s.message()), s.kind() == ErrorKind::kBadInput ? kBadInput : kToolFailed);
  };
  Result<std::unique_ptr<Model>> model = Model::load(args.artifact);
  if (!model.ok())
    return runtimeError(model.status());
  Result<Tokenizer> tokenizer = loadTokenizer(args.artifact);
  if (!tokenizer.ok())
    return runtimeError(tokenizer.status());
  Result<R1ChatTokens> chat = chatTokensFor(*tokenizer, args.artifact);
  if (!chat.ok())
    return runtimeError(chat.status());
  SessionOptions sessionOptions;
  sessionOptions.ctx = args.ctx;
  sessionOptions.threads = args.threads;
  Result<std::unique_ptr<Session>> session = Session::create(**model, sessionOptions);
  if (!session.ok())
    return runtimeError(session.status());

  nlohmann::json perProblem = nlohmann::json::array();
  double pass1Sum = 0;
  int consCorrect = 0;
  int64_t generated = 0;
  for (size_t i = 0; i < problems->size(); ++i) {
    const Problem &p = (*problems)[i];
    std::string question = args.instruction.empty() ? p.question
                                                    : p.question + "\n" + args.instruction;
    Result<std::vector<int32_t>> ids =
        promptIds(*tokenizer, *chat, {{"user", question}}, /*thinkPrefix=*/true, nullptr);
    if (!ids.ok())
      return runtimeError(ids.status());
    std::vector<std::optional<std::string>> answers;
    nlohmann::json samples = nlohmann::json::array();
    for (int k = 0; k < args.samples; ++k) {
      (*session)->reset();
      GenerationOptions options;
      options.sampling.temperature = 0.6f;
      options.sampling.topP = 0.95f;
      options.sampling.seed = args.seed + uint64_t(k);
      options.maxNewTokens = args.maxTokens;
      Result<GenerationResult> result = generate(**session, *tokenizer, *ids, options);
      if (!result.ok())
        return runtimeError(result.status());
      ReasoningSplitter splitter(/*promptOpenedThink=*/true);
      SplitText split = splitter.feed(result->text);
      SplitText rest = splitter.finish();
      std::string answerText = split.answer + rest.answer;
      // No </think>: the answer may still be in the text (a cut-off run).
      std::optional<std::string> boxed =
          lastBoxed(splitter.inAnswer() ? answerText : result->text);
      answers.push_back(boxed);
      generated += int64_t(result->tokens.size());
      samples.push_back({{"extracted", boxed ? nlohmann::json(*boxed) : nlohmann::json()},
                         {"tokens", result->tokens.size()},
                         {"finish_reason", finishReasonName(result->finish)}});
    }
    ProblemScore score = scoreProblem(answers, p.answer);
    for (size_t k = 0; k < samples.size(); ++k)
      samples[k]["correct"] = bool(score.correct[k]);
    pass1Sum += score.pass1;
    consCorrect += score.consCorrect;
    perProblem.push_back({{"id", p.id},
                          {"answer", p.answer},
                          {"pass@1", score.pass1},
                          {"majority", score.majority},
                          {"cons@" + std::to_string(args.samples), score.consCorrect},
                          {"samples", samples}});
    std::fprintf(stderr, "r1c eval: %zu/%zu problems, pass@1 so far %.3f\n", i + 1,
                 problems->size(), pass1Sum / double(i + 1));
  }
  double n = double(problems->size());
  nlohmann::json out = {
      {"artifact", args.artifact},
      {"problems_file", args.problems},
      {"samples", args.samples},
      {"sampling", {{"temperature", 0.6}, {"top_p", 0.95}, {"seed", args.seed}}},
      {"overall",
       {{"problems", problems->size()},
        {"pass@1", pass1Sum / n},
        {"cons@" + std::to_string(args.samples), consCorrect / n},
        {"generated_tokens", generated}}},
      {"problems", perProblem}};
  std::printf("%s\n", out.dump(2).c_str());
  return kSuccess;
}

} // namespace

CommandRunner addEvalCommand(CLI::App &app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App *eval = app.add_subcommand(
      "eval", "R1's evaluation protocol: K samples per problem, pass@1 and cons@K as JSON");
  eval->add_option("ARTIFACT", args->artifact, "The artifact (r1c compile -o ARTIFACT)")
      ->required();
  eval->add_option("PROBLEMS", args->problems,
                   "JSON lines: {\"problem\": \"...\", \"answer\": \"...\"} (optional \"id\")")
      ->required();
  eval->add_option("--samples", args->samples, "Samples per problem (K)")
      ->option_text("K")
      ->default_str("4")
      ->check(CLI::Range(1, 1024));
  eval->add_option("--seed", args->seed, "The first sample's seed; sample k uses seed + k")
      ->option_text("N");
  eval->add_option("--max-tokens", args->maxTokens, "Most tokens per sample")
      ->option_text("N")
      ->default_str("32768")
      ->check(CLI::Range(int64_t(1), int64_t(0x7fffffff)));
  eval->add_option("--ctx", args->ctx, "Tokens the KV cache holds (default min(model, 4096))")
      ->option_text("N")
      ->check(CLI::Range(int64_t(1), int64_t(0x7fffffff)));
  eval->add_option("--threads", args->threads, "Threads (default: every CPU)")
      ->option_text("N")
      ->check(CLI::Range(1, 4096));
  eval->add_option("--instruction", args->instruction,
                   "Appended to each problem on a new line (default: the release's \\boxed{} "
                   "instruction; empty: none)")
      ->option_text("TEXT");
  eval->footer("Example:\n  r1c eval model.r1 aime.jsonl --samples 16 > results.json");
  return [eval, args]() -> int { return eval->parsed() ? runEval(*args) : -1; };
}

} // namespace r1c_tool
