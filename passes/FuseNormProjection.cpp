//===- FuseNormProjection.cpp - r1-fuse-norm-projection -------------------===//
//
// Moves a standalone r1.rms_norm into the r1.linear / r1.fused_linear /
// r1.gated_linear ops that read it.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "r1-fuse-norm-projection"

namespace r1 {
#define GEN_PASS_DEF_R1FUSENORMPROJECTION
#include "passes/Passes.h.inc"
} // namespace r1

using namespace mlir;

namespace {

/// True when `user` is a projection without a norm of its own that reads
/// `normed` as its input.
bool canTakeNorm(Operation *user, Value normed) {
  if (auto linear = dyn_cast<r1::LinearOp>(user))
    return linear.getInput() == normed;
  if (auto fused = dyn_cast<r1::FusedLinearOp>(user))
    return fused.getInput() == normed && !fused.getNormWeight();
  if (auto gated = dyn_cast<r1::GatedLinearOp>(user))
    return gated.getInput() == normed && !gated.getNormWeight();
  return false;
}

struct FuseNormProjectionPattern : public OpRewritePattern<r1::RmsNormOp> {
  FuseNormProjectionPattern(MLIRContext *context, llvm::Statistic &numFused)
      : OpRewritePattern(context), numFused(numFused) {}

  LogicalResult matchAndRewrite(r1::RmsNormOp norm, PatternRewriter &rewriter) const override {
    Value normed = norm.getResult();
    if (normed.use_empty())
      return rewriter.notifyMatchFailure(norm, "no users");
    if (!llvm::all_of(normed.getUsers(),
                      [&](Operation *user) { return canTakeNorm(user, normed); }))
      return rewriter.notifyMatchFailure(norm, "a user is not a projection without a norm");

    // The norm's input and weight are defined before the norm, hence before
    // each of its users: no weight needs re-reading.
    Value input = norm.getInput(), weight = norm.getWeight();
    FloatAttr epsilon = norm.getEpsilonAttr();
    SmallVector<Operation *> users(normed.getUsers());
    for (Operation *user : users) {
      rewriter.setInsertionPoint(user);
      Location loc = rewriter.getFusedLoc({norm.getLoc(), user->getLoc()});
      Operation *replacement;
      if (auto linear = dyn_cast<r1::LinearOp>(user)) {
        SmallVector<Value> biases;
        if (Value bias = linear.getBias())
          biases.push_back(bias);
        replacement =
            r1::FusedLinearOp::create(rewriter, loc, TypeRange{linear.getType()}, input, weight,
                                      ValueRange{linear.getWeight()}, biases, epsilon);
      } else if (auto fused = dyn_cast<r1::FusedLinearOp>(user)) {
        replacement =
            r1::FusedLinearOp::create(rewriter, loc, fused.getResultTypes(), input, weight,
                                      fused.getWeights(), fused.getBiases(), epsilon);
      } else {
        auto gated = cast<r1::GatedLinearOp>(user);
        replacement = r1::GatedLinearOp::create(rewriter, loc, gated.getType(), input, weight,
                                                gated.getGate(), gated.getUp(), epsilon);
      }
      LLVM_DEBUG(llvm::dbgs() << "norm moved into " << *replacement << "\n");
      rewriter.replaceOp(user, replacement->getResults());
    }
    rewriter.eraseOp(norm);
    ++numFused;
    return success();
  }

  llvm::Statistic &numFused;
};

struct FuseNormProjectionPass : public r1::impl::R1FuseNormProjectionBase<FuseNormProjectionPass> {
  void runOnOperation() override {
    // 1. Match each r1.rms_norm all of whose users are r1.linear,
    //    r1.fused_linear or r1.gated_linear without a norm, reading the
    //    normed value as their input.
    // 2. Rebuild each user on the norm's input with `norm(weight eps E)`: a
    //    linear becomes a one-weight fused_linear with its bias; fused and
    //    gated linears keep their weights.
    // 3. Erase the norm.
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseNormProjectionPattern>(&getContext(), numFused);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
