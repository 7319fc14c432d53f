//===- Commands.h - The commands of r1run and what they share -------------===//
//
// r1run has a default form (`r1run ARTIFACT --tokens ...`: run a prompt) and
// subcommands (`info`, `bench`, `tokenize`, `generate`, `chat`, `serve`), each in its own file. Each adds
// its options to the CLI11 app and returns a function that runs it once the
// command line is parsed (-1 when the command was not the one given).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_TOOLS_R1RUN_COMMANDS_H
#define R1C_TOOLS_R1RUN_COMMANDS_H

#include "runtime/Model.h"
#include "runtime/R1Abi.h"
#include "runtime/Status.h"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace r1run_tool {

/// Exit codes, documented in docs/r1run.md.
enum ExitCode : int {
  kSuccess = 0,
  kBadInput = 1,     // the artifact, or an argument's value, is wrong
  kUsage = 2,        // the command line is wrong
  kOutputFailed = 3, // an output file could not be written
  kRuntimeFailed = 4 // the machine or the artifact's code failed
};

/// The largest token count any option accepts (positions are int32).
inline constexpr int64_t kMaxCount = 0x7fffffff;

/// Prints "r1run: error: <message>" and returns the exit code for its kind.
int report(const r1::runtime::Status &status);
/// Prints "r1run: error: <message>; see 'r1run --help'" and returns kUsage.
int usageError(const std::string &message);

/// "1,2,3" -> {1, 2, 3}; nullopt (and `error` set) unless every item is a
/// non-negative integer that fits int32.
std::optional<std::vector<int32_t>> parseTokenList(const std::string &text, std::string &error);

/// "default" | "fp32" | "bf16" (CLI11 has already checked the spelling).
r1_precision parsePrecision(const std::string &name);

/// Adds --device gpu|emulated (where a CUDA artifact runs) to `command`.
void addDeviceOption(CLI::App &command, std::string &device);
/// Adds --weights auto|mapped|memory (where a host artifact's weights live).
void addWeightsOption(CLI::App &command, std::string &weights);
/// Where a loaded model's weights are: "memory" or "mapped" (host), "device"
/// (CUDA).
const char *weightsWhere(const r1::runtime::Model &model);
/// The load options for --device's and --weights' values.
r1::runtime::ModelLoadOptions modelLoadOptions(const std::string &device,
                                               const std::string &weights);

/// Applies "knob=value,..." (r1_tuning's fields by their manifest names,
/// values 1..2^20, gemv_max_tokens 1..16) to `tuning`; false and `error` set
/// on an unknown knob or a bad value.
bool parseTuningOverrides(const std::string &text, r1_tuning &tuning, std::string &error);

/// The manifest's "tuning" in words ("untuned: ..." when r1c tune never ran).
std::string describeTuning(const r1::runtime::ModelManifest &manifest);

/// 40000000 -> "38.1 MiB".
std::string formatBytes(uint64_t bytes);

/// Adds a command; the returned function runs it when it was given.
using CommandRunner = std::function<int()>;
CommandRunner addRunCommand(CLI::App &app);
CommandRunner addInfoCommand(CLI::App &app);
CommandRunner addBenchCommand(CLI::App &app);
CommandRunner addTokenizeCommand(CLI::App &app);
CommandRunner addGenerateCommand(CLI::App &app);
CommandRunner addChatCommand(CLI::App &app);
CommandRunner addServeCommand(CLI::App &app);


} // namespace r1run_tool

#endif // R1C_TOOLS_R1RUN_COMMANDS_H
