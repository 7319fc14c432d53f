//===- TuneCommand.cpp - r1c tune: tiling measured on this machine --------===//
//
// `r1c tune ARTIFACT` runs the artifact's code here, measures the tiling
// knobs (compiler/Tuner.h) and records the winners in the manifest's
// "tuning", which r1run passes to every step. Given a model directory it
// compiles it for the host first (with -o, --target, --quant and
// --quant-group as `r1c compile` takes them), then tunes the result.
//
//===----------------------------------------------------------------------===//

#include "tools/r1c/Commands.h"

#include "compiler/CompileDriver.h"
#include "compiler/Tuner.h"
#include "runtime/Model.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace r1c_tool {

namespace {

struct TuneArgs {
  std::string input, output;
  std::string precision = "default";
  std::string target = "host";
  std::string quant;
  int64_t quantGroup = 0;
  r1::TuneOptions options;
  bool json = false;
  bool quiet = false;
};

llvm::Error fail(const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Compiles the model directory `args.input` into `args.output` for the host.
int compileFirst(const TuneArgs &args) {
  r1::CompileOptions compile;
  compile.modelDir = args.input;
  compile.output = args.output;
  compile.target = args.target;
  compile.quant = args.quant;
  compile.quantGroup = args.quantGroup;
  r1::CompileFailure failure = r1::CompileFailure::BadInput;
  if (llvm::Error err = r1::compileModel(compile, args.quiet ? llvm::nulls() : llvm::errs(), &failure))
    return report(std::move(err), failure == r1::CompileFailure::Output ? kOutputFailed
                                  : failure == r1::CompileFailure::Tool ? kToolFailed
                                                                        : kBadInput);
  return kSuccess;
}

int runTune(TuneArgs &args) {
  std::string artifact = args.input;
  if (args.target.rfind("host", 0) != 0)
    return report(fail("r1c tune: measures host code; --target " + args.target +
                       " is not a host target (host, host-x86-64-v3)"),
                  kUsage);
  if (llvm::sys::fs::is_directory(args.input)) {
    if (args.output.empty())
      return report(fail("r1c tune: " + args.input +
                         " is a model directory; give -o OUT.r1 for the artifact to compile "
                         "and tune"),
                    kUsage);
    if (int rc = compileFirst(args); rc != kSuccess)
      return rc;
    artifact = args.output;
  } else if (!args.quant.empty() || args.quantGroup || args.target != "host") {
    return report(fail("r1c tune: --target, --quant and --quant-group apply to a model "
                       "directory, not to the artifact " + args.input),
                  kUsage);
  }
  std::string output = args.output.empty() ? artifact : args.output;
  args.options.precision = args.precision == "bf16" ? R1_PRECISION_BF16 : R1_PRECISION_DEFAULT;

  r1::runtime::Result<std::unique_ptr<r1::runtime::Model>> model =
      r1::runtime::Model::load(artifact);
  if (!model.ok())
    return report(fail(model.status().message()), kBadInput);
  llvm::raw_ostream &log = args.quiet ? llvm::nulls() : llvm::errs();
  log << "r1c tune: " << artifact << ": measuring on this machine (" << args.options.repeat
      << " repeats per candidate)\n";
  llvm::Expected<r1::TuneOutcome> outcome = r1::tuneModel(
      **model, args.options, [&](const std::string &line) { log << "r1c tune: " << line << "\n"; });
  if (!outcome)
    return report(outcome.takeError(), kBadInput);
  const nlohmann::json &record = outcome->record;
  for (const char *knob : {"amx_min_tokens", "gemv_max_tokens", "amx_min_expert_tokens",
                           "decode_tasks_per_thread"}) {
    if (record.contains(knob))
      log << "r1c tune: " << knob << " = " << record[knob].get<int>() << "\n";
    else
      log << "r1c tune: " << knob << " not measured ("
          << record["not_measured"].value(knob, std::string("?")) << "): kernel default\n";
  }
  bool corrupt = false;
  if (llvm::Error err = r1::writeTunedArtifact(**model, record, output, &corrupt))
    return report(std::move(err), corrupt ? kBadInput : kOutputFailed);
  log << "r1c tune: wrote " << output << "\n";
  if (args.json)
    llvm::outs() << record.dump() << "\n";
  return kSuccess;
}

} // namespace

CommandRunner addTuneCommand(CLI::App &app) {
  auto args = std::make_shared<TuneArgs>();
  CLI::App *tune = app.add_subcommand(
      "tune", "Measure the host kernels' tiling choices on this machine and record the winners "
              "in the artifact");
  tune->add_option("ARTIFACT_OR_MODEL", args->input,
                   "A host artifact (.r1), or a model directory to compile for the host first")
      ->required();
  tune->add_option("-o,--output", args->output,
                   "Where the tuned artifact goes (default: the artifact itself, replaced "
                   "atomically); required for a model directory")
      ->option_text("FILE");
  tune->add_option("--threads", args->options.threads,
                   "Threads to tune for, as r1run --threads (default: the CPUs this process "
                   "may use)")
      ->option_text("N")
      ->check(CLI::Range(1, 4096));
  tune->add_option("--repeat", args->options.repeat,
                   "Measurements per candidate; the median counts (default 5)")
      ->option_text("N")
      ->check(CLI::Range(1, 1000));
  tune->add_option("--decode-tokens", args->options.decodeTokens,
                   "Decode steps per decode measurement (default 16)")
      ->option_text("N")
      ->check(CLI::Range(int64_t(1), int64_t(4096)));
  tune->add_option("--precision", args->precision,
                   "The r1run precision to tune for: default, or bf16 (AMX for bf16/FP8 "
                   "weights); default: default")
      ->option_text("default|bf16")
      ->check(CLI::IsMember({"default", "bf16"}));
  tune->add_option("--target", args->target,
                   "With a model directory: the host target to compile for, as r1c compile "
                   "--target (host or host-x86-64-v3; default host)")
      ->option_text("TARGET");
  tune->add_option("--quant", args->quant, "With a model directory: as r1c compile --quant")
      ->check(CLI::IsMember({"bf16", "fp8", "int8", "int4"}))
      ->option_text("TYPE");
  tune->add_option("--quant-group", args->quantGroup,
                   "With a model directory: as r1c compile --quant-group")
      ->check(CLI::IsMember({32, 64, 128}))
      ->option_text("N");
  tune->add_flag("--json", args->json, "Print the recorded \"tuning\" object on stdout");
  tune->add_flag("-q,--quiet", args->quiet, "No progress lines");
  tune->footer("Examples:\n"
               "  r1c tune qwen-int4.r1\n"
               "  r1c tune qwen-int4.r1 -o qwen-int4-tuned.r1 --threads 2\n"
               "  r1c tune models/qwen-1.5b --quant int4 -o qwen-int4.r1");
  return [tune, args]() -> int { return tune->parsed() ? runTune(*args) : -1; };
}

} // namespace r1c_tool
