//===- FuseMoeRouting.cpp - r1-fuse-moe-routing: router -> moe.route ------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "r1-fuse-moe-routing"

namespace r1 {
#define GEN_PASS_DEF_R1FUSEMOEROUTING
#include "passes/Passes.h.inc"
} // namespace r1

using namespace mlir;

namespace {

/// moe.topk(sigmoid|softmax(linear(x, Wg)), bias) -> moe.route x, Wg bias scoring.
struct FuseMoeRoutingPattern : public OpRewritePattern<r1::MoeTopkOp> {
  FuseMoeRoutingPattern(MLIRContext *context, llvm::Statistic &numFused)
      : OpRewritePattern(context), numFused(numFused) {}

  LogicalResult matchAndRewrite(r1::MoeTopkOp topk, PatternRewriter &rewriter) const override {
    Operation *scoring = topk.getScores().getDefiningOp();
    if (!scoring)
      return rewriter.notifyMatchFailure(topk, "scores are a block argument");
    r1::RouterScoring func;
    Value logits;
    if (auto sigmoid = dyn_cast<r1::SigmoidOp>(scoring)) {
      func = r1::RouterScoring::Sigmoid;
      logits = sigmoid.getInput();
    } else if (auto softmax = dyn_cast<r1::SoftmaxOp>(scoring)) {
      func = r1::RouterScoring::Softmax;
      logits = softmax.getInput();
    } else {
      return rewriter.notifyMatchFailure(topk, "scores are not r1.sigmoid or r1.softmax");
    }
    auto linear = logits.getDefiningOp<r1::LinearOp>();
    if (!linear || linear.getBias())
      return rewriter.notifyMatchFailure(topk, "logits are not an r1.linear without bias");
    // The logits and scores disappear, so nothing else may read them.
    if (!linear->hasOneUse() || !scoring->hasOneUse())
      return rewriter.notifyMatchFailure(topk, "logits or scores have other users");
    // r1.moe.route reads [T, H]; a linear over more dimensions stays.
    if (cast<RankedTensorType>(linear.getInput().getType()).getRank() != 2)
      return rewriter.notifyMatchFailure(topk, "router input is not [tokens, hidden]");

    LLVM_DEBUG(llvm::dbgs() << "fusing router " << linear.getWeight() << "\n");
    auto route = r1::MoeRouteOp::create(
        rewriter, rewriter.getFusedLoc({linear.getLoc(), scoring->getLoc(), topk.getLoc()}),
        topk.getIds().getType(), topk.getWeights().getType(), linear.getInput(),
        linear.getWeight(), topk.getBias(), r1::RouterScoringAttr::get(getContext(), func),
        topk.getTopKAttr(), topk.getNumGroupsAttr(), topk.getTopkGroupsAttr(),
        topk.getGroupScoreAttr(), topk.getNormalizeAttr(), topk.getScalingFactorAttr());
    rewriter.replaceOp(topk, route);
    rewriter.eraseOp(scoring);
    rewriter.eraseOp(linear);
    ++numFused;
    return success();
  }

  llvm::Statistic &numFused;
};

struct FuseMoeRoutingPass : public r1::impl::R1FuseMoeRoutingBase<FuseMoeRoutingPass> {
  void runOnOperation() override {
    // 1. Match every r1.moe.topk whose scores are sigmoid or softmax of an
    //    r1.linear without bias, each used only by the next op
    //    (FuseMoeRoutingPattern checks the conditions).
    // 2. Replace it with one r1.moe.route at the top-k, keeping its bias and
    //    attributes, and erase the scoring op and the linear.
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseMoeRoutingPattern>(&getContext(), numFused);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
