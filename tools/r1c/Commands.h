//===- Commands.h - The subcommands of r1c --------------------------------===//
//
// Each subcommand lives in its own file: it adds its options to the CLI11 app
// and returns a function that runs it once the command line is parsed. All of
// them share the exit codes and the one-line error format below.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_TOOLS_R1C_COMMANDS_H
#define R1C_TOOLS_R1C_COMMANDS_H

#include "llvm/Support/Error.h"

#include <CLI/CLI.hpp>

#include <functional>

namespace r1c_tool {

/// Exit codes, documented in docs/commands.md.
enum ExitCode : int {
  kSuccess = 0,
  kBadInput = 1,     // the model directory, a config or an artifact is wrong
  kUsage = 2,        // the command line is wrong
  kOutputFailed = 3, // the output could not be written
  kToolFailed = 4,   // an external tool (the C++ compiler) failed
};

/// Prints "r1c: error: <message>" and returns `code`.
int report(llvm::Error err, int code);

/// Adds a subcommand to `app`; the returned function runs it when parsed.
using CommandRunner = std::function<int()>;
CommandRunner addImportCommand(CLI::App &app);
CommandRunner addCompileCommand(CLI::App &app);
CommandRunner addSynthCommand(CLI::App &app);
CommandRunner addPlanCommand(CLI::App &app);
CommandRunner addEvalCommand(CLI::App &app);
CommandRunner addTargetsCommand(CLI::App &app);
CommandRunner addInspectCommand(CLI::App &app);
CommandRunner addTuneCommand(CLI::App &app);
/// Internal (hidden from --help): the CUDA toolchain step on a .cu file.
CommandRunner addCudaCompileCommand(CLI::App &app);

} // namespace r1c_tool

#endif // R1C_TOOLS_R1C_COMMANDS_H
