//===- SynthCommand.cpp - r1c synth: a config -> a random-weight model dir ===//

#include "tools/r1c/Commands.h"

#include "compiler/Synth.h"

#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace r1c_tool {

namespace {

struct SynthArgs {
  std::string config;
  std::string output;
  std::string seed = "0";
  std::string dtype = "auto";
  std::string tokenizer;
  std::string shardBytes = "5GB";
};

/// "5GB", "500MB", "2GiB", "1000000": a positive byte count with an optional
/// unit, as Hugging Face's max_shard_size accepts them (KB/MB/GB/TB decimal,
/// KiB/MiB/GiB/TiB binary, any case).
std::optional<uint64_t> parseByteCount(llvm::StringRef text) {
  llvm::StringRef digits = text.take_while(llvm::isDigit);
  std::string unit = text.drop_front(digits.size()).upper();
  uint64_t count;
  if (digits.empty() || digits.getAsInteger(10, count) || count == 0)
    return std::nullopt;
  static const std::pair<const char *, uint64_t> units[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1000ULL},
      {"MB", 1000ULL * 1000},
      {"GB", 1000ULL * 1000 * 1000},
      {"TB", 1000ULL * 1000 * 1000 * 1000},
      {"KIB", 1ULL << 10},
      {"MIB", 1ULL << 20},
      {"GIB", 1ULL << 30},
      {"TIB", 1ULL << 40},
  };
  for (const auto &[name, factor] : units)
    if (unit == name) {
      if (count > UINT64_MAX / factor)
        return std::nullopt;
      return count * factor;
    }
  return std::nullopt;
}

int usageError(const std::string &message) {
  return report(llvm::createStringError(llvm::inconvertibleErrorCode(), message), kUsage);
}

int runSynth(const SynthArgs &args) {
  r1::SynthOptions options;
  // Parsed here rather than by CLI11, which wraps "-1" around to 2^64 - 1.
  if (llvm::StringRef(args.seed).getAsInteger(0, options.seed))
    return usageError("--seed: '" + args.seed +
                      "' is not an unsigned 64-bit integer (decimal, or hex with 0x)");
  options.configPath = args.config;
  options.outputDir = args.output;
  options.dtype = args.dtype == "bf16" ? r1::SynthDType::BF16 : r1::SynthDType::Auto;
  options.tokenizerDir = args.tokenizer;
  options.log = &llvm::errs();
  const char *term = std::getenv("TERM");
  options.progressBar = ::isatty(STDERR_FILENO) && !(term && std::string_view(term) == "dumb");
  std::optional<uint64_t> shardBytes = parseByteCount(args.shardBytes);
  if (!shardBytes)
    return usageError("--shard-bytes: '" + args.shardBytes +
                      "' is not a positive byte count (e.g. 5GB, 500MB, 2GiB, 1000000)");
  options.shardBytes = *shardBytes;

  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  llvm::Expected<r1::SynthPlan> plan = r1::planSynth(context, options);
  if (!plan)
    return report(plan.takeError(), kBadInput);
  if (llvm::Error err = r1::writeSynth(*plan, options))
    return report(std::move(err), kOutputFailed);
  return kSuccess;
}

} // namespace

CommandRunner addSynthCommand(CLI::App &app) {
  auto args = std::make_shared<SynthArgs>();
  CLI::App *synth = app.add_subcommand(
      "synth", "Write a model directory with random weights for a config (real shapes, no "
               "download)");
  synth->add_option("CONFIG", args->config,
                    "config.json of a supported model (qwen2, llama, deepseek_v2,\n"
                    "deepseek_v3), or a directory holding one")
      ->required();
  synth->add_option("-o,--output", args->output,
                    "Model directory to create (must not exist, or be empty)")
      ->option_text("DIR")
      ->required();
  synth->add_option("--seed", args->seed,
                    "Values are a function of (seed, tensor name) only (default 0)")
      ->option_text("S");
  synth->add_option("--dtype", args->dtype,
                    "auto: dtypes as the config says (FP8 configs get F8_E4M3 weights with\n"
                    "block scales); bf16: BF16 instead of FP8, and a config.json without\n"
                    "quantization_config (default auto)")
      ->option_text("auto|bf16")
      ->check(CLI::IsMember({"auto", "bf16"}));
  synth->add_option("--tokenizer", args->tokenizer,
                    "Copy tokenizer.json and tokenizer_config.json from this directory")
      ->option_text("DIR");
  synth->add_option("--shard-bytes", args->shardBytes,
                    "Largest safetensors file: one model.safetensors up to this size, else\n"
                    "shards and model.safetensors.index.json (default 5GB; KB/MB/GB, KiB/...)")
      ->option_text("N");
  synth->footer("Example:\n"
                "  r1c synth models/configs/DeepSeek-R1-Distill-Qwen-1.5B.json -o /tmp/q15\n"
                "  r1c import /tmp/q15 -o q15.mlir\n"
                "Writes exactly the tensors 'r1c import' checks, in the Hugging Face layout,\n"
                "streaming in 4 MB chunks. Values: docs/synth.md.");
  return [synth, args]() -> int { return synth->parsed() ? runSynth(*args) : -1; };
}

} // namespace r1c_tool
