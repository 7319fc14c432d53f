//===- FuseMla.cpp - r1-fuse-mla: MLA attention -> r1.mla -----------------===//

#include "passes/MlaCostModel.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "r1-fuse-mla"

namespace r1 {
#define GEN_PASS_DEF_R1FUSEMLA
#include "passes/Passes.h.inc"
} // namespace r1

using namespace mlir;

namespace {

/// The forms chosen for both phases, and the estimates behind them.
struct MlaChoice {
  r1::MlaForm prefill, decode;
  r1::MlaFormCost prefillCost, decodeCost;
};

/// r1.attention(q, concat(slice(kv), broadcast(k_pe)), slice(kv)) with
/// kv = reshape(linear(latent, kv_b)) -> r1.mla q, latent, k_pe, kv_b.
struct FuseMlaPattern : public OpRewritePattern<r1::AttentionOp> {
  using Chooser = std::function<MlaChoice(const r1::MlaShape &)>;
  FuseMlaPattern(MLIRContext *context, Chooser choose, llvm::Statistic &numFused,
                 llvm::Statistic &numPrefillAbsorbed, llvm::Statistic &numDecodeAbsorbed)
      : OpRewritePattern(context), choose(std::move(choose)), numFused(numFused),
        numPrefillAbsorbed(numPrefillAbsorbed), numDecodeAbsorbed(numDecodeAbsorbed) {}

  LogicalResult matchAndRewrite(r1::AttentionOp attention,
                                PatternRewriter &rewriter) const override {
    // 1. v = slice(kv, nope, v) and k = concat(slice(kv, 0, nope), broadcast(k_pe)).
    auto vSlice = attention.getValue().getDefiningOp<r1::SliceOp>();
    auto concat = attention.getKey().getDefiningOp<r1::ConcatOp>();
    if (!vSlice || !concat || concat.getInputs().size() != 2)
      return rewriter.notifyMatchFailure(attention, "key/value are not MLA's slices and concat");
    auto kSlice = concat.getInputs()[0].getDefiningOp<r1::SliceOp>();
    auto broadcast = concat.getInputs()[1].getDefiningOp<r1::BroadcastOp>();
    if (!kSlice || !broadcast || kSlice.getInput() != vSlice.getInput())
      return rewriter.notifyMatchFailure(attention, "keys are not slice(kv) | broadcast(k_pe)");
    auto reshape = kSlice.getInput().getDefiningOp<r1::ReshapeOp>();
    auto linear = reshape ? reshape.getInput().getDefiningOp<r1::LinearOp>() : r1::LinearOp();
    if (!linear || linear.getBias())
      return rewriter.notifyMatchFailure(attention, "kv is not reshape(linear(latent, kv_b))");

    // 2. Shapes: kv [T, H, nope + v] with the key slice first, the value
    //    slice right after it, one shared k_pe head, latent [T, R].
    auto kvType = cast<RankedTensorType>(reshape.getType());
    auto kpeType = cast<RankedTensorType>(broadcast.getInput().getType());
    auto latentType = cast<RankedTensorType>(linear.getInput().getType());
    int64_t nope = int64_t(kSlice.getSize());
    if (kvType.getRank() != 3 || kSlice.getOffset() != 0 || int64_t(vSlice.getOffset()) != nope ||
        nope + int64_t(vSlice.getSize()) != kvType.getDimSize(2))
      return rewriter.notifyMatchFailure(attention, "kv is not [T, H, nope | v]");
    if (kpeType.getRank() != 3 || kpeType.getDimSize(1) != 1 || latentType.getRank() != 2)
      return rewriter.notifyMatchFailure(attention, "k_pe is not [T, 1, rope] or latent [T, R]");

    // 3. Everything between the latent and the attention goes away.
    for (Operation *op : {linear.getOperation(), reshape.getOperation(), kSlice.getOperation(),
                          vSlice.getOperation(), concat.getOperation(), broadcast.getOperation()})
      for (Operation *user : op->getUsers())
        if (user != attention && user != concat && user != kSlice && user != vSlice &&
            user != reshape)
          return rewriter.notifyMatchFailure(attention, "an MLA intermediate has other users");
    if (!kSlice->hasOneUse() || !broadcast->hasOneUse() || !concat->hasOneUse() ||
        !vSlice->hasOneUse() || !linear->hasOneUse())
      return rewriter.notifyMatchFailure(attention, "an MLA intermediate has other users");

    auto kvB = cast<r1::WeightType>(linear.getWeight().getType());
    r1::MlaShape shape{kvType.getDimSize(1), nope, kpeType.getDimSize(2), int64_t(vSlice.getSize()),
                       latentType.getDimSize(1),
                       double(kvB.getElementType().getIntOrFloatBitWidth()) / 8.0};
    MlaChoice choice = choose(shape);
    LLVM_DEBUG(llvm::dbgs() << "MLA layer " << attention.getLayer() << ": prefill "
                            << choice.prefillCost.materialized << " s materialized vs "
                            << choice.prefillCost.absorbed << " s absorbed; decode "
                            << choice.decodeCost.materialized << " vs "
                            << choice.decodeCost.absorbed << "\n");

    rewriter.setInsertionPoint(attention);
    auto mla = r1::MlaOp::create(
        rewriter,
        rewriter.getFusedLoc({linear.getLoc(), concat.getLoc(), attention.getLoc()}),
        attention.getType(), attention.getQuery(), linear.getInput(), broadcast.getInput(),
        attention.getPositions(), linear.getWeight(), attention.getLayerAttr(),
        attention.getScaleAttr(), r1::MlaFormAttr::get(getContext(), choice.prefill),
        r1::MlaFormAttr::get(getContext(), choice.decode));
    // Keep the estimates next to the choice, in microseconds, for readers
    // of the IR (--dump-phases-to) and for tuning the model.
    auto micros = [&](double seconds) { return rewriter.getF64FloatAttr(seconds * 1e6); };
    mla->setAttr("r1.cost_us",
                 rewriter.getDictionaryAttr(
                     {rewriter.getNamedAttr("prefill_materialized",
                                            micros(choice.prefillCost.materialized)),
                      rewriter.getNamedAttr("prefill_absorbed", micros(choice.prefillCost.absorbed)),
                      rewriter.getNamedAttr("decode_materialized",
                                            micros(choice.decodeCost.materialized)),
                      rewriter.getNamedAttr("decode_absorbed", micros(choice.decodeCost.absorbed))}));
    rewriter.replaceOp(attention, mla);
    rewriter.eraseOp(concat);
    rewriter.eraseOp(broadcast);
    rewriter.eraseOp(kSlice);
    rewriter.eraseOp(vSlice);
    rewriter.eraseOp(reshape);
    rewriter.eraseOp(linear);
    ++numFused;
    if (choice.prefill == r1::MlaForm::Absorbed)
      ++numPrefillAbsorbed;
    if (choice.decode == r1::MlaForm::Absorbed)
      ++numDecodeAbsorbed;
    return success();
  }

  Chooser choose;
  llvm::Statistic &numFused, &numPrefillAbsorbed, &numDecodeAbsorbed;
};

struct FuseMlaPass : public r1::impl::R1FuseMlaBase<FuseMlaPass> {
  using Base::Base;

  /// `auto`, or the form an option forces.
  static FailureOr<std::optional<r1::MlaForm>> parseForm(StringRef text) {
    if (text == "auto")
      return std::optional<r1::MlaForm>();
    if (auto form = r1::symbolizeMlaForm(text))
      return std::optional<r1::MlaForm>(*form);
    return failure();
  }

  void runOnOperation() override {
    FailureOr<std::optional<r1::MlaForm>> prefill = parseForm(prefillForm),
                                          decode = parseForm(decodeForm);
    if (failed(prefill) || failed(decode)) {
      getOperation().emitError("r1-fuse-mla: prefill-form and decode-form must be auto, "
                               "materialized or absorbed");
      return signalPassFailure();
    }
    if (!(peakGflops > 0) || !(bandwidthGbps > 0) || prefillTokens < 1 || context < 1) {
      getOperation().emitError("r1-fuse-mla: peak-gflops, bandwidth-gbps, prefill-tokens and "
                               "context must be positive");
      return signalPassFailure();
    }
    r1::MlaMachine machine{peakGflops * 1e9, bandwidthGbps * 1e9};
    int64_t prefillT = prefillTokens, contextL = context;
    auto choose = [=](const r1::MlaShape &shape) {
      MlaChoice c;
      // Prefill: a prompt of prefill-tokens from position 0; decode: one
      // token over `context` cached positions.
      c.prefillCost = r1::estimateMlaCost(shape, machine, prefillT, prefillT);
      c.decodeCost = r1::estimateMlaCost(shape, machine, 1, contextL);
      auto pick = [](const r1::MlaFormCost &cost) {
        return cost.absorbed < cost.materialized ? r1::MlaForm::Absorbed
                                                 : r1::MlaForm::Materialized;
      };
      c.prefill = prefill->value_or(pick(c.prefillCost));
      c.decode = decode->value_or(pick(c.decodeCost));
      return c;
    };
    // 1. Match each r1.attention fed by MLA's expansion of the latent
    //    (FuseMlaPattern checks the shapes and that nothing else reads it).
    // 2. Replace it with r1.mla, forms chosen per phase, and erase the
    //    expansion: kv_b_proj, the reshape, slices, broadcast and concat.
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseMlaPattern>(&getContext(), choose, numFused, numPrefillAbsorbed,
                                 numDecodeAbsorbed);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
