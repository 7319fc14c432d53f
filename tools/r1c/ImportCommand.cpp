//===- ImportCommand.cpp - r1c import: a model directory -> r1 IR text ----===//

#include "tools/r1c/Commands.h"

#include "compiler/Importer.h"
#include "compiler/OutputFile.h"

#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>

namespace r1c_tool {

namespace {

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

CommandRunner addImportCommand(CLI::App &app) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App *import = app.add_subcommand(
      "import", "Read a model directory and print its r1 module (the IR before any pass)");
  import->add_option("MODEL_DIR", args->modelDir,
                     "Hugging Face model directory: config.json plus model.safetensors or\n"
                     "model.safetensors.index.json and its shards")
      ->required();
  import->add_option("-o,--output", args->output,
                     "Write the MLIR text here instead of stdout (written atomically)")
      ->option_text("FILE");
  import->add_flag("--config-only", args->configOnly,
                   "Import config.json alone, without weights (for real-size configs whose\n"
                   "weights are not here); dtypes follow the config");
  import->footer("Example:\n"
                 "  r1c import models/DeepSeek-R1 --config-only -o r1.mlir\n"
                 "Checks every tensor against the config (presence, shape, dtype, FP8 block\n"
                 "scales) and warns about tensors the model does not use.");
  return [import, args]() -> int { return import->parsed() ? runImport(*args) : -1; };
}

} // namespace r1c_tool
