//===- FuseProjections.cpp - r1-fuse-projections: linears of one input ----===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "r1-fuse-projections"

namespace r1 {
#define GEN_PASS_DEF_R1FUSEPROJECTIONS
#include "passes/Passes.h.inc"
} // namespace r1

using namespace mlir;

namespace {

/// Linears that may share one kernel: same block, same input, weights of the
/// same element type and layout, and all with or all without a bias.
bool fusable(r1::LinearOp a, r1::LinearOp b) {
  auto wa = cast<r1::WeightType>(a.getWeight().getType());
  auto wb = cast<r1::WeightType>(b.getWeight().getType());
  return a->getBlock() == b->getBlock() && a.getInput() == b.getInput() &&
         wa.getElementType() == wb.getElementType() && wa.getLayout() == wb.getLayout() &&
         static_cast<bool>(a.getBias()) == static_cast<bool>(b.getBias());
}

/// Rooted at any linear of a group; rewrites the whole group at once.
struct FuseProjectionsPattern : public OpRewritePattern<r1::LinearOp> {
  FuseProjectionsPattern(MLIRContext *context, llvm::Statistic &numGroups,
                         llvm::Statistic &numLinears)
      : OpRewritePattern(context), numGroups(numGroups), numLinears(numLinears) {}

  LogicalResult matchAndRewrite(r1::LinearOp root, PatternRewriter &rewriter) const override {
    // The group: every linear reading root's input that fuses with root, in
    // block order (the order of the fused op's results).
    SmallVector<r1::LinearOp> group;
    for (Operation *user : root.getInput().getUsers())
      if (auto linear = dyn_cast<r1::LinearOp>(user); linear && fusable(root, linear))
        if (!llvm::is_contained(group, linear))
          group.push_back(linear);
    if (group.size() < 2)
      return rewriter.notifyMatchFailure(root, "no other linear of the same input to fuse with");
    llvm::sort(group, [](r1::LinearOp a, r1::LinearOp b) { return a->isBeforeInBlock(b); });

    // Every weight and bias must be usable at the first linear, directly or
    // by re-reading it there.
    Operation *first = group.front();
    for (r1::LinearOp linear : group)
      for (Value weight : {linear.getWeight(), linear.getBias()})
        if (weight && !r1::canMaterializeWeightBefore(weight, first))
          return rewriter.notifyMatchFailure(linear, "a weight is not available at the group's "
                                                     "first linear");

    SmallVector<Value> weights, biases;
    SmallVector<Type> resultTypes;
    SmallVector<Location> locs;
    for (r1::LinearOp linear : group) {
      locs.push_back(linear.getLoc());
      weights.push_back(r1::materializeWeightBefore(linear.getWeight(), first, rewriter));
      if (Value bias = linear.getBias())
        biases.push_back(r1::materializeWeightBefore(bias, first, rewriter));
      resultTypes.push_back(linear.getType());
    }
    rewriter.setInsertionPoint(first);
    auto fused = r1::FusedLinearOp::create(rewriter, rewriter.getFusedLoc(locs), resultTypes,
                                           root.getInput(), /*norm_weight=*/Value(), weights,
                                           biases, /*epsilon=*/FloatAttr());
    LLVM_DEBUG(llvm::dbgs() << "fused " << group.size() << " linears: " << fused << "\n");
    for (auto [linear, result] : llvm::zip_equal(group, fused.getResults()))
      rewriter.replaceOp(linear, result);
    ++numGroups;
    numLinears += group.size();
    return success();
  }

  llvm::Statistic &numGroups;
  llvm::Statistic &numLinears;
};

struct FuseProjectionsPass : public r1::impl::R1FuseProjectionsBase<FuseProjectionsPass> {
  void runOnOperation() override {
    // 1. For each r1.linear, collect the linears of the same block that read
    //    the same input with the same weight element type, layout and bias
    //    presence (the group; order = block order).
    // 2. For a group of two or more, re-read the weights the first linear
    //    cannot see yet, create one r1.fused_linear before it and replace
    //    each linear by its result; dead weight reads are erased by the
    //    driver.
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseProjectionsPattern>(&getContext(), numGroups, numLinears);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
