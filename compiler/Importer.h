//===- Importer.h - A Hugging Face model directory -> r1 module -----------===//
//
// The first phase of r1c: read config.json (and, unless config-only, the
// safetensors headers), check them against each other, and build the r1
// module through the architecture's builder in models/. Weight bytes are
// not read here: they stay mapped until the artifact writer streams them.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_IMPORTER_H
#define R1C_COMPILER_IMPORTER_H

#include "compiler/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace r1 {

struct ImportOptions {
  /// Build from config.json alone: weights get the dtypes the config implies
  /// and nothing is checked against a checkpoint. For real-size configs
  /// whose weights are not on this machine.
  bool configOnly = false;
};

struct ImportedModel {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  ModelConfig config;
  /// One line each: tensors the checkpoint has but the model does not use.
  std::vector<std::string> warnings;
};

/// Loads the dialects the importer builds with into `context`.
void loadImporterDialects(mlir::MLIRContext &context);

/// Imports `modelDir`. Errors are one line and name the file and the field or
/// tensor at fault.
llvm::Expected<ImportedModel> importModel(mlir::MLIRContext &context, llvm::StringRef modelDir,
                                          const ImportOptions &options);

} // namespace r1

#endif // R1C_COMPILER_IMPORTER_H
