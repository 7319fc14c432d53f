//===- main.cpp - r1c: the r1 compiler driver -----------------------------===//
//
// Parses the command line and calls the compiler library; no logic of its
// own. Exit codes (docs/commands.md): 0 success, 1 bad input (the model
// directory or a file in it), 2 bad usage, 3 the output could not be written.
//
//===----------------------------------------------------------------------===//

#include "compiler/Importer.h"
#include "compiler/OutputFile.h"

#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>

#include <string>

namespace {

enum ExitCode : int { kSuccess = 0, kBadInput = 1, kUsage = 2, kOutputFailed = 3 };

int report(llvm::Error err, int code) {
  llvm::errs() << "r1c: error: " << llvm::toString(std::move(err)) << "\n";
  return code;
}

struct ImportArgs {
  std::string modelDir;
  std::string output = "-";
  bool configOnly = false;
};

int runImport(const ImportArgs &args) {
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  r1::ImportOptions options;
  options.configOnly = args.configOnly;
  llvm::Expected<r1::ImportedModel> imported = r1::importModel(context, args.modelDir, options);
  if (!imported)
    return report(imported.takeError(), kBadInput);
  for (const std::string &warning : imported->warnings)
    llvm::errs() << "r1c: warning: " << warning << "\n";
  mlir::ModuleOp module = *imported->module;
  if (llvm::Error err = r1::writeFileAtomically(args.output, [&](llvm::raw_ostream &os) {
        module.print(os);
        return llvm::Error::success();
      }))
    return report(std::move(err), kOutputFailed);
  return kSuccess;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"r1c: the ahead-of-time compiler for DeepSeek-R1 family models.\n\n"
               "It reads a Hugging Face model directory (config.json, safetensors) into the r1\n"
               "MLIR dialect and compiles it into a deployment artifact for r1run.",
               "r1c"};
  app.require_subcommand(1);
  app.footer("Run 'r1c COMMAND --help' for a command's options. Documentation: docs/commands.md.\n"
             "Exit codes: 0 ok, 1 bad input, 2 bad usage, 3 output not written.");

  ImportArgs importArgs;
  CLI::App *import = app.add_subcommand(
      "import", "Read a model directory and print its r1 module (the IR before any pass)");
  import->add_option("MODEL_DIR", importArgs.modelDir,
                     "Hugging Face model directory: config.json plus model.safetensors or\n"
                     "model.safetensors.index.json and its shards")
      ->required();
  import->add_option("-o,--output", importArgs.output,
                     "Write the MLIR text here instead of stdout (written atomically)")
      ->option_text("FILE");
  import->add_flag("--config-only", importArgs.configOnly,
                   "Import config.json alone, without weights (for real-size configs whose\n"
                   "weights are not here); dtypes follow the config");
  import->footer("Example:\n"
                 "  r1c import models/DeepSeek-R1 --config-only -o r1.mlir\n"
                 "Checks every tensor against the config (presence, shape, dtype, FP8 block\n"
                 "scales) and warns about tensors the model does not use.");

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
  if (import->parsed())
    return runImport(importArgs);
  return kUsage;
}
