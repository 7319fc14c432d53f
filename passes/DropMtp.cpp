//===- DropMtp.cpp - r1-drop-mtp: remove the multi-token-prediction layer -===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/DenseSet.h"

#define DEBUG_TYPE "r1-drop-mtp"

namespace r1 {
#define GEN_PASS_DEF_R1DROPMTP
#include "passes/Passes.h.inc"
} // namespace r1

using namespace mlir;

namespace {

struct DropMtpPass : public r1::impl::R1DropMtpBase<DropMtpPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // 1. Erase @mtp; without one there is nothing to do.
    auto mtp = module.lookupSymbol<func::FuncOp>("mtp");
    if (!mtp)
      return;
    mtp.erase();

    // 2. @forward returns (logits, hidden) only to feed @mtp: drop the
    //    hidden-state result so later passes can free it.
    if (auto forward = module.lookupSymbol<func::FuncOp>("forward")) {
      if (forward.getNumResults() == 2) {
        forward.walk([](func::ReturnOp ret) { ret->eraseOperand(1); });
        if (failed(forward.eraseResult(1))) {
          forward.emitOpError("could not drop the hidden-state result");
          return signalPassFailure();
        }
      }
    }

    // 3. Erase weights nothing refers to any more (the MTP layer's own).
    llvm::DenseSet<StringAttr> used;
    module.walk([&](r1::WeightGetOp get) { used.insert(get.getNameAttr().getAttr()); });
    for (auto weight : llvm::make_early_inc_range(module.getOps<r1::WeightOp>())) {
      if (!used.contains(weight.getSymNameAttr())) {
        weight.erase();
        ++numWeightsDropped;
      }
    }
  }
};

} // namespace
