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
struct FuseResidualNormPattern : public OpRewritePattern<r1::AddOp> {
  FuseResidualNormPattern(MLIRContext *context, llvm::Statistic &numFused)
      : OpRewritePattern(context), numFused(numFused) {}

  LogicalResult matchAndRewrite(r1::AddOp add, PatternRewriter &rewriter) const override {
    // Of several norms of one add, the first in block order fuses (the
    // others then read `sum`): matching on the add makes that independent
    // of the order the driver visits ops in.
    r1::RmsNormOp norm;
    for (Operation *user : add->getUsers()) {
      auto candidate = dyn_cast<r1::RmsNormOp>(user);
      if (!candidate || candidate->getBlock() != add->getBlock() ||
          candidate.getInput() != add.getResult())
        continue;
      if (!norm || candidate->isBeforeInBlock(norm))
        norm = candidate;
    }
    if (!norm)
      return rewriter.notifyMatchFailure(add, "no r1.rms_norm of this add in its block");
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
    // 1. Match each r1.add read by an r1.rms_norm of the same block (the
    //    first such norm in block order).
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
