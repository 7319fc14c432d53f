//===- main.cpp - r1c-opt: mlir-opt with the r1 dialect and passes -------===//
//
// Runs r1 passes on textual IR, for lit tests and for engineers inspecting a
// pass in isolation: `r1c-opt --r1-drop-mtp model.mlir`.
//
//===----------------------------------------------------------------------===//

#include "dialects/R1Ops.h"
#include "codegen/Passes.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  r1::registerR1Passes();
  r1::registerR1Pipelines();
  r1::registerR1CodegenPasses();
  // Generic passes lit tests and engineers combine with ours.
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();

  mlir::DialectRegistry registry;
  registry.insert<r1::R1Dialect, r1k::R1KDialect, mlir::func::FuncDialect,
                  mlir::memref::MemRefDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "r1c-opt: the r1 dialect and its passes\n", registry));
}
