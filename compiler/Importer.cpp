//===- Importer.cpp - A Hugging Face model directory -> r1 module ---------===//

#include "compiler/Importer.h"

#include "compiler/Checkpoint.h"
#include "dialects/R1Ops.h"
#include "models/Architectures.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

namespace r1 {

namespace {

/// How many unused tensors are named one by one before the rest are counted.
constexpr size_t kMaxUnusedTensorWarnings = 10;

llvm::Error importError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

ModelAttr modelAttr(mlir::MLIRContext *context, const ModelConfig &cfg) {
  return ModelAttr::get(context, cfg.modelType, cfg.vocabSize, cfg.hiddenSize, cfg.numLayers,
                        cfg.numMtpLayers, cfg.maxPositions, cfg.bosTokenId.value_or(-1),
                        cfg.eosTokenIds);
}

std::vector<std::string> unusedTensorWarnings(const ModelBuilder &builder,
                                              const Checkpoint &checkpoint,
                                              const ModelConfig &cfg) {
  std::vector<std::string> warnings;
  const std::vector<std::string> &unindexed = checkpoint.unindexedTensors();
  for (const std::string &name : unindexed)
    warnings.push_back(llvm::formatv("{0}: tensor '{1}' is not listed in "
                                     "model.safetensors.index.json",
                                     checkpoint.find(name).file->path(), name));
  // Unused tensors the index does list; unindexed ones were reported above.
  std::vector<std::string> unused;
  for (std::string &name : builder.unusedTensors())
    if (!llvm::is_contained(unindexed, name))
      unused.push_back(std::move(name));
  for (size_t i = 0; i < unused.size() && i < kMaxUnusedTensorWarnings; ++i)
    warnings.push_back(llvm::formatv("{0}: tensor '{1}' is not part of the {2} model; ignored",
                                     checkpoint.find(unused[i]).file->path(), unused[i],
                                     cfg.modelType));
  if (unused.size() > kMaxUnusedTensorWarnings)
    warnings.push_back(llvm::formatv("... and {0} more unused tensors",
                                     unused.size() - kMaxUnusedTensorWarnings));
  return warnings;
}

} // namespace

void loadImporterDialects(mlir::MLIRContext &context) {
  context.loadDialect<R1Dialect, mlir::func::FuncDialect>();
}

llvm::Expected<ImportedModel> importModel(mlir::MLIRContext &context, llvm::StringRef modelDir,
                                          const ImportOptions &options) {
  // Config-only, a config.json may be named directly (models/configs/*.json).
  bool configFile = options.configOnly && llvm::sys::fs::is_regular_file(modelDir);
  if (!configFile && !llvm::sys::fs::is_directory(modelDir))
    return importError(modelDir + ": not a directory; expected a Hugging Face model directory "
                                  "with config.json and safetensors" +
                       (options.configOnly ? " (or, with --config-only, a config.json file)"
                                           : ""));
  loadImporterDialects(context);

  ImportedModel result;
  llvm::Expected<ModelConfig> config = configFile ? loadModelConfigFile(modelDir)
                                                  : loadModelConfig(modelDir);
  if (!config)
    return config.takeError();
  result.config = std::move(*config);
  const ModelConfig &cfg = result.config;

  std::unique_ptr<Checkpoint> checkpoint;
  if (!options.configOnly) {
    llvm::Expected<std::unique_ptr<Checkpoint>> opened = Checkpoint::open(modelDir);
    if (!opened)
      return opened.takeError();
    checkpoint = std::move(*opened);
  }

  auto loc = mlir::NameLoc::get(mlir::StringAttr::get(&context, modelDir));
  result.module = mlir::ModuleOp::create(loc);
  mlir::ModuleOp module = *result.module;
  module->setAttr("r1.model", modelAttr(&context, cfg));
  if (checkpoint) {
    llvm::SmallString<256> absolute(modelDir);
    llvm::sys::fs::make_absolute(absolute);
    llvm::sys::path::remove_dots(absolute, /*remove_dot_dot=*/true);
    module->setAttr("r1.checkpoint", mlir::StringAttr::get(&context, absolute));
  }

  ModelBuilder builder(module, cfg, checkpoint.get());
  buildModel(builder);
  if (llvm::Error err = builder.takeError())
    return std::move(err);
  if (checkpoint)
    result.warnings = unusedTensorWarnings(builder, *checkpoint, cfg);

  // The builders only make IR the verifiers accept; a failure here is a bug
  // in r1c, reported with what the verifier said.
  std::string diagnostics;
  {
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
      if (diagnostics.empty())
        diagnostics = diag.str();
      return mlir::success();
    });
    if (mlir::failed(mlir::verify(module)))
      return importError("internal error: the imported " + cfg.modelType +
                         " module does not verify: " + diagnostics +
                         " (please report this with the config.json)");
  }
  return std::move(result);
}

} // namespace r1
