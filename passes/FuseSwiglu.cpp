//===- FuseSwiglu.cpp - r1-fuse-swiglu: gate/up projections -> gated_linear ===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "r1-fuse-swiglu"

namespace r1 {
#define GEN_PASS_DEF_R1FUSESWIGLU
#include "passes/Passes.h.inc"
} // namespace r1

using namespace mlir;

namespace {

/// mul(silu(linear(x, Wg)), linear(x, Wu)) -> gated_linear x gate Wg up Wu.
struct FuseSwigluPattern : public OpRewritePattern<r1::MulOp> {
  FuseSwigluPattern(MLIRContext *context, llvm::Statistic &numFused)
      : OpRewritePattern(context), numFused(numFused) {}

  LogicalResult matchAndRewrite(r1::MulOp mul, PatternRewriter &rewriter) const override {
    // The silu may be either operand of the (commutative) mul.
    for (auto [siluSide, upSide] :
         {std::pair(mul.getLhs(), mul.getRhs()), std::pair(mul.getRhs(), mul.getLhs())}) {
      auto silu = siluSide.getDefiningOp<r1::SiluOp>();
      if (!silu)
        continue;
      auto gate = silu.getInput().getDefiningOp<r1::LinearOp>();
      auto up = upSide.getDefiningOp<r1::LinearOp>();
      if (!gate || !up || gate == up)
        continue;
      if (gate.getInput() != up.getInput() || gate.getBias() || up.getBias())
        continue;
      // Identical weight types: same [I, K], element type and layout.
      if (gate.getWeight().getType() != up.getWeight().getType())
        continue;
      // The intermediates disappear, so nothing else may read them.
      if (!gate->hasOneUse() || !silu->hasOneUse() || !up->hasOneUse())
        continue;

      LLVM_DEBUG(llvm::dbgs() << "fusing gate " << gate.getWeight() << "\n");
      auto fused = r1::GatedLinearOp::create(
          rewriter, rewriter.getFusedLoc({gate.getLoc(), silu.getLoc(), up.getLoc(), mul.getLoc()}),
          mul.getType(), gate.getInput(), /*norm_weight=*/Value(), gate.getWeight(), up.getWeight(),
          /*epsilon=*/FloatAttr());
      rewriter.replaceOp(mul, fused);
      rewriter.eraseOp(silu);
      rewriter.eraseOp(gate);
      rewriter.eraseOp(up);
      ++numFused;
      return success();
    }
    return rewriter.notifyMatchFailure(mul, "not silu(linear(x, Wg)) * linear(x, Wu)");
  }

  llvm::Statistic &numFused;
};

struct FuseSwigluPass : public r1::impl::R1FuseSwigluBase<FuseSwigluPass> {
  void runOnOperation() override {
    // 1. Match every r1.mul whose operands are silu(gate linear) and the up
    //    linear of the same input (FuseSwigluPattern checks the conditions).
    // 2. Replace it with one r1.gated_linear at the mul and erase the silu
    //    and both linears; the greedy driver visits each mul once.
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseSwigluPattern>(&getContext(), numFused);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
