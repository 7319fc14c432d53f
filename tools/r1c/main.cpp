//===- main.cpp - r1c: the r1 compiler driver -----------------------------===//
//
// Parses the command line and calls the compiler library; no logic of its
// own. Each subcommand is in its own file (Commands.h). Exit codes
// (docs/commands.md): 0 success, 1 bad input, 2 bad usage, 3 the output could
// not be written, 4 an external tool failed.
//
//===----------------------------------------------------------------------===//

#include "tools/r1c/Commands.h"

#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace r1c_tool {

int report(llvm::Error err, int code) {
  llvm::errs() << "r1c: error: " << llvm::toString(std::move(err)) << "\n";
  return code;
}

} // namespace r1c_tool

int main(int argc, char **argv) {
  using namespace r1c_tool;
  CLI::App app{"r1c: the ahead-of-time compiler for DeepSeek-R1 family models.\n\n"
               "It reads a Hugging Face model directory (config.json, safetensors) into the r1\n"
               "MLIR dialect and compiles it into a deployment artifact for r1run.",
               "r1c"};
  app.require_subcommand(1);
  app.footer("Run 'r1c COMMAND --help' for a command's options. Documentation: docs/commands.md.\n"
             "Exit codes: 0 ok, 1 bad input, 2 bad usage, 3 output not written, 4 a tool failed.");

  std::vector<CommandRunner> commands = {addImportCommand(app), addCompileCommand(app),
                                         addSynthCommand(app), addPlanCommand(app),
                                         addEvalCommand(app), addTargetsCommand(app), addInspectCommand(app),
                                         addTuneCommand(app),
                                         addCudaCompileCommand(app)};

  // One line, like every other r1c error, pointing at the help.
  app.failure_message([](const CLI::App *, const CLI::Error &e) {
    return "r1c: error: " + std::string(e.what()) + "; see 'r1c --help' or 'r1c COMMAND --help'\n";
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int code = app.exit(e);
    return code == 0 ? kSuccess : kUsage;
  }
  for (const CommandRunner &run : commands)
    if (int code = run(); code >= 0)
      return code;
  return kUsage;
}
