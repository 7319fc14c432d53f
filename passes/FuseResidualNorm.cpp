//===- FuseResidualNorm.cpp - r1-fuse-residual-norm: add + rms_norm -------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "r1-fuse-residual-norm"

namespace r1 {
#define GEN_PASS_DEF_R1FUSERESIDUALNORM
#include "passes/Passes.h.inc"
} // namespace r1

using namespace mlir;

namespace {

/// rms_norm(add(a, b)) -> add_rms_norm a, b; sum replaces the add.
struct FuseResidualNormPattern : public OpRewritePattern<r1::RmsNormOp> {
  FuseResidualNormPattern(MLIRContext *context, llvm::Statistic &numFused)
      : OpRewritePattern(context), numFused(numFused) {}

  LogicalResult matchAndRewrite(r1::RmsNormOp norm, PatternRewriter &rewriter) const override {
    auto add = norm.getInput().getDefiningOp<r1::AddOp>();
    if (!add || add->getBlock() != norm->getBlock())
      return rewriter.notifyMatchFailure(norm, "input is not an r1.add of the same block");
    // Of several norms of one add, the first in block order fuses (the
    // others then read `sum`), whatever order the driver visits them in.
    for (Operation *user : add->getUsers())
      if (isa<r1::RmsNormOp>(user) && user->getBlock() == norm->getBlock() &&
          user->isBeforeInBlock(norm))
        return rewriter.notifyMatchFailure(norm, "an earlier norm of the same add fuses instead");
    // The fused op replaces the add where it is, so that the add's other
    // users (the next residual add) still come after `sum`.
    if (!r1::canMaterializeWeightBefore(norm.getWeight(), add))
      return rewriter.notifyMatchFailure(norm, "norm weight not available at the add");

    Value weight = r1::materializeWeightBefore(norm.getWeight(), add, rewriter);
    rewriter.setInsertionPoint(add);
    Type type = add.getType();
    auto fused = r1::AddRmsNormOp::create(
        rewriter, rewriter.getFusedLoc({add.getLoc(), norm.getLoc()}), type, type, add.getLhs(),
        add.getRhs(), weight, norm.getEpsilonAttr());
    LLVM_DEBUG(llvm::dbgs() << "fused " << fused << "\n");
    rewriter.replaceOp(norm, fused.getResult());
    rewriter.replaceOp(add, fused.getSum());
    ++numFused;
    return success();
  }

  llvm::Statistic &numFused;
};

struct FuseResidualNormPass : public r1::impl::R1FuseResidualNormBase<FuseResidualNormPass> {
  void runOnOperation() override {
    // 1. Match each r1.rms_norm whose input is an r1.add of the same block.
    // 2. Create r1.add_rms_norm (the add's operands in their order, the
    //    norm's weight, re-read at the add if needed, and epsilon) in the
    //    add's place.
    // 3. Replace the norm by `result` and the add, with all its other uses,
    //    by `sum`.
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseResidualNormPattern>(&getContext(), numFused);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
