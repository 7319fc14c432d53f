//===- SelectWeightLayout.cpp - r1-select-weight-layout: FP8 and W8A8 ------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/DenseMap.h"

namespace r1 {
#define GEN_PASS_DEF_R1SELECTWEIGHTLAYOUT
#include "passes/Passes.h.inc"
} // namespace r1

using namespace mlir;

namespace {

/// The FP8 block-scaled layout of `value`'s weight type, if it has one.
r1::BlockScaledLayoutAttr fp8Blocks(Value value) {
  auto type = dyn_cast<r1::WeightType>(value.getType());
  return type ? dyn_cast<r1::BlockScaledLayoutAttr>(type.getLayout()) : nullptr;
}

struct SelectWeightLayoutPass
    : public r1::impl::R1SelectWeightLayoutBase<SelectWeightLayoutPass> {
  using Base::Base;

  void runOnOperation() override {
    // 1. Every block-scaled weight must be FP8 e4m3fn in [*, 128] blocks
    //    and read only by ops whose kernels dequantize FP8.
    WalkResult checked = getOperation().walk([&](r1::WeightGetOp get) {
      auto blocks = fp8Blocks(get.getResult());
      if (!blocks)
        return WalkResult::advance();
      auto type = cast<r1::WeightType>(get.getType());
      if (!isa<Float8E4M3FNType>(type.getElementType()) || blocks.getBlock().back() != 128) {
        get.emitOpError() << "weight @" << get.getName()
                          << " is block-scaled but not FP8 e4m3fn in [*, 128] blocks, which "
                             "no host kernel reads";
        return WalkResult::interrupt();
      }
      for (Operation *user : get->getUsers()) {
        if (isa<r1::LinearOp, r1::MoeExpertsOp, r1::MlaOp, r1::FusedLinearOp,
                r1::GatedLinearOp>(user))
          continue;
        user->emitOpError() << "reads FP8 weight @" << get.getName()
                            << "; r1c keeps FP8 only for projections (linear, experts, MLA's "
                               "kv_b). Convert this tensor to BF16 in the checkpoint";
        return WalkResult::interrupt();
      }
      ++numFp8Weights;
      return WalkResult::advance();
    });
    if (checked.wasInterrupted())
      return signalPassFailure();
    if (!w8a8)
      return;

    // 2. W8A8: quantize each projection input once, right after it is made.
    DenseMap<Value, Value> quantized;
    auto quantize = [&](Value x) -> Value {
      if (Value q = quantized.lookup(x))
        return q;
      OpBuilder b(&getContext());
      if (Operation *def = x.getDefiningOp())
        b.setInsertionPointAfter(def);
      else
        b.setInsertionPointToStart(cast<BlockArgument>(x).getOwner());
      Value q = r1::QuantizeF8Op::create(b, x.getLoc(), x, b.getI64IntegerAttr(128));
      ++numQuantized;
      return quantized[x] = q;
    };
    getOperation().walk([&](Operation *op) {
      if (auto linear = dyn_cast<r1::LinearOp>(op)) {
        if (fp8Blocks(linear.getWeight()))
          linear.getInputMutable().assign(quantize(linear.getInput()));
      } else if (auto experts = dyn_cast<r1::MoeExpertsOp>(op)) {
        // The kernel quantizes the input and the hidden activations.
        if (fp8Blocks(experts.getGate()))
          experts.setQuantizeActivations(true);
      } else if (isa<r1::FusedLinearOp, r1::GatedLinearOp>(op)) {
        // Fused projections read a normalized input inside the kernel:
        // there is no activation to quantize in between.
        for (Value operand : op->getOperands())
          if (fp8Blocks(operand)) {
            op->emitOpError("w8a8 must run before the projection fusions (r1-fuse-cpu runs it "
                            "there)");
            return signalPassFailure();
          }
      }
    });
  }
};

} // namespace
