//===- main.cpp - r1run: run an r1c artifact ------------------------------===//
//
// Parses the command line and calls the runtime library; no logic of its own.
// `r1run ARTIFACT ...` runs a prompt (RunCommand.cpp); `r1run info`,
// `r1run bench`, `r1run tokenize`, `r1run generate` and `r1run chat` are subcommands. Exit codes
// (docs/r1run.md): 0 ok, 1 bad input, 2 bad usage, 3 output not written,
// 4 runtime failure.
//
//===----------------------------------------------------------------------===//

#include "tools/r1run/Commands.h"

#include <string>
#include <vector>

int main(int argc, char **argv) {
  using namespace r1run_tool;
  CLI::App app{"r1run: runs an artifact compiled by r1c (r1c compile MODEL -o ARTIFACT).\n\n"
               "  r1run ARTIFACT [--tokens 1,2,3] [OPTIONS]   run a prompt, generate greedily\n"
               "  r1run --verify ARTIFACT                     check every section's checksum\n"
               "  r1run info ARTIFACT                         what the artifact holds\n"
               "  r1run bench ARTIFACT [OPTIONS]              prefill and decode tokens/s\n"
               "  r1run tokenize ARTIFACT_OR_MODEL_DIR        text <-> token ids (JSON lines)\n"
               "  r1run generate ARTIFACT --prompt TEXT       one answer, R1's chat format\n"
               "  r1run chat ARTIFACT                         an interactive conversation",
               "r1run"};
  // An artifact path is the main form's positional; "info", "bench" and
  // "tokenize" are always commands, so a file with one of those names is
  // given as ./info.
  app.require_subcommand(0, 1);
  app.footer(
      "Run 'r1run COMMAND --help' for a command's options. Documentation: docs/r1run.md.\n"
      "Exit codes: 0 ok, 1 bad input, 2 bad usage, 3 output not written, 4 runtime failure.");

  std::vector<CommandRunner> commands = {addInfoCommand(app), addBenchCommand(app),
                                         addTokenizeCommand(app), addGenerateCommand(app),
                                         addChatCommand(app), addServeCommand(app),
                                         addRunCommand(app)};

  app.failure_message([](const CLI::App *, const CLI::Error &e) {
    return "r1run: error: " + std::string(e.what()) + "; see 'r1run --help'\n";
  });

  // CLI11 takes a subcommand name anywhere; `r1run model.r1 info` would run
  // `info` without an artifact, so say what was meant instead.
  auto misplacedCommand = [&app]() -> const char * {
    for (const char *name : {"info", "bench", "tokenize", "generate", "chat"})
      if (app.got_subcommand(name) && app.get_option("ARTIFACT")->count() > 0)
        return name;
    return nullptr;
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    if (const char *name = misplacedCommand())
      return usageError(std::string("'") + name + "' is a command and comes first: r1run " + name +
                        " ARTIFACT (for a file named " + name + ", write ./" + name + ")");
    int code = app.exit(e);
    return code == 0 ? kSuccess : kUsage;
  }
  if (const char *name = misplacedCommand())
    return usageError(std::string("'") + name + "' is a command and comes first: r1run " + name +
                      " ARTIFACT (for a file named " + name + ", write ./" + name + ")");
  for (const CommandRunner &run : commands)
    if (int code = run(); code >= 0)
      return code;
  return kUsage;
}
