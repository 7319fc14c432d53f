//===- CompileCommand.cpp - r1c compile: a model directory -> an artifact -===//

#include "tools/r1c/Commands.h"

#include "compiler/CompileDriver.h"
#include "compiler/Targets.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string_view>
#include <string>
#include <tuple>

namespace r1c_tool {

namespace {

struct CompileArgs {
  r1::CompileOptions options;
  bool quiet = false;
  bool noMtp = false;
};

int runCompile(CompileArgs &args) {
  args.options.keepMtp = !args.noMtp;
  r1::CompileFailure failure = r1::CompileFailure::BadInput;
  llvm::raw_ostream &log = args.quiet ? llvm::nulls() : llvm::errs();
  const char *term = std::getenv("TERM");
  args.options.progressBar = !args.quiet && ::isatty(STDERR_FILENO) &&
                             !(term && std::string_view(term) == "dumb");
  if (llvm::Error err = r1::compileModel(args.options, log, &failure)) {
    switch (failure) {
    case r1::CompileFailure::BadInput:
      return report(std::move(err), kBadInput);
    case r1::CompileFailure::Output:
      return report(std::move(err), kOutputFailed);
    case r1::CompileFailure::Tool:
      return report(std::move(err), kToolFailed);
    }
  }
  return kSuccess;
}

} // namespace

CommandRunner addCompileCommand(CLI::App &app) {
  auto args = std::make_shared<CompileArgs>();
  CLI::App *compile = app.add_subcommand(
      "compile", "Compile a model directory into a deployment artifact for r1run");
  compile->add_option("MODEL_DIR", args->options.modelDir,
                      "Hugging Face model directory (config.json, safetensors, tokenizer files)")
      ->required();
  compile->add_option("-o,--output", args->options.output,
                      "The artifact (.r1); with --compile-to before package, that phase's text "
                      "('-' for stdout)")
      ->option_text("FILE")
      ->required();
  std::string targets;
  for (auto &[name, what] : r1::listTargets())
    targets += "\n  " + name + ": " + what;
  compile->add_option("--target", args->options.target, "What the code runs on:" + targets)
      ->option_text("TARGET")
      ->default_str("host");
  compile
      ->add_option("--compile-to", args->options.compileTo,
                   "Stop after this phase and write its output: " +
                       llvm::join(r1::compilePhases(), ", "))
      ->option_text("PHASE")
      ->default_str("package");
  compile
      ->add_option("--dump-phases-to", args->options.dumpPhasesTo,
                   "Write every phase's output (IR, C++, manifest) into DIR")
      ->option_text("DIR");
  compile
      ->add_option("--max-step-tokens", args->options.maxStepTokens,
                   "Most tokens one step processes; longer prompts are fed in chunks. Sizes "
                   "the arena")
      ->option_text("N")
      ->default_str("256");
  compile
      ->add_option("--cxx", args->options.cxx,
                   "C++ compiler for the generated code (default: $R1C_CXX, clang++-22, "
                   "clang++, g++, c++)")
      ->option_text("PATH");
  compile->add_flag("--no-mtp", args->noMtp,
                    "Leave DeepSeek-V3's multi-token-prediction layer out of the artifact (by\n"
                    "default its weights are kept for speculative decoding)");
  for (auto [flag, field, phase] :
       {std::tuple{"--mla-prefill", &args->options.mlaPrefill, "prefill"},
        std::tuple{"--mla-decode", &args->options.mlaDecode, "decode"}})
    compile
        ->add_option(flag, *field,
                     std::string("DeepSeek MLA's form in ") + phase +
                         ": auto (a cost model from the target's figures), materialized or "
                         "absorbed")
        ->check(CLI::IsMember({"auto", "materialized", "absorbed"}))
        ->option_text("FORM")
        ->default_str("auto");
  compile->add_flag("--w8a8", args->options.w8a8,
                    "DeepSeek's W8A8 recipe: quantize activations per 1x128 block (scale\n"
                    "amax/448) before every projection with FP8 weights (default: weight-only\n"
                    "FP8, activations in fp32)");
  compile
      ->add_option("--quant", args->options.quant,
                   "Convert the projection weights at compile time: bf16, fp8 (e4m3, one scale\n"
                   "per 1x128 block), int8 or int4 (symmetric, one f16 scale per group of\n"
                   "--quant-group columns). Default: keep the checkpoint's types (FP8 stays\n"
                   "FP8). Embeddings, norms, MoE routers and MLA's kv_b are never converted")
      ->check(CLI::IsMember({"bf16", "fp8", "int8", "int4"}))
      ->option_text("TYPE");
  compile
      ->add_option("--quant-group", args->options.quantGroup,
                   "Columns per scale for --quant int8|int4: 32, 64 or 128 (default 32 on\n"
                   "host, 128 on CUDA targets)")
      ->check(CLI::IsMember({32, 64, 128}))
      ->option_text("N");
  compile
      ->add_option("--cuda-path", args->options.cudaPath,
                   "CUDA targets: the toolkit directory holding bin/nvcc, bin/ptxas and\n"
                   "bin/fatbinary (default: $R1C_CUDA_PATH, $CUDA_HOME, /usr/local/cuda, PATH)")
      ->option_text("DIR");
  compile->add_flag("--emulation", args->options.emulation,
                    "CUDA targets: also build the kernels for r1c's host emulation of CUDA\n"
                    "(section code.emulation), so that `r1run --device emulated` runs the\n"
                    "artifact on a CPU, slowly; for tests without a GPU");
  compile
      ->add_option("--kernel-override", args->options.kernelOverrides,
                   "CUDA targets: replace kernel NAME with the .entry NAME of FILE.ptx (same\n"
                   "parameter types); ptxas checks it. Repeatable")
      ->option_text("NAME=FILE.ptx");
  compile->add_flag("-q,--quiet", args->quiet, "No progress lines");
  compile->footer("Examples:\n"
                  "  r1c compile models/qwen-1.5b --target host -o qwen.r1\n"
                  "  r1c compile models/qwen-1.5b -o plan.mlir --compile-to plan\n"
                  "  r1c compile models/qwen-1.5b -o qwen.r1 --dump-phases-to phases/\n"
                  "  r1c compile models/r1 --target sm_90a -o r1-h100.r1\n"
                  "  r1c compile models/qwen-1.5b --target host --quant int4 -o q4.r1\n"
                  "  r1c compile models/qwen-1.5b --target sm_80 -o q.r1 \\\n"
                  "      --kernel-override linear_5_gemm=my_gemm.ptx");
  return [compile, args]() -> int {
    if (!compile->parsed())
      return -1;
    // Recorded in the manifest and the generated code's header.
    args->options.commandLine = "r1c compile " + args->options.modelDir + " --target " +
                                args->options.target + " -o " + args->options.output;
    return runCompile(*args);
  };
}

} // namespace r1c_tool
