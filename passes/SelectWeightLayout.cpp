//===- SelectWeightLayout.cpp - r1-select-weight-layout: FP8 and W8A8 ------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

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

/// True for an MoE router's projection: its logits choose experts (through
/// a sigmoid or softmax, into r1.moe.topk), and that choice is too sensitive
/// to quantize (llama.cpp keeps routers in f32 too).
bool isRouter(r1::LinearOp linear) {
  for (Operation *user : linear->getUsers()) {
    if (isa<r1::MoeTopkOp>(user))
      return true;
    if (isa<r1::SigmoidOp, r1::SoftmaxOp>(user))
      for (Operation *next : user->getUsers())
        if (isa<r1::MoeTopkOp>(next))
          return true;
  }
  return false;
}

/// The weight operands that projections multiply by: what `quant` converts.
SmallVector<OpOperand *> projectionWeights(Operation *op) {
  SmallVector<OpOperand *> operands;
  if (auto linear = dyn_cast<r1::LinearOp>(op)) {
    if (!isRouter(linear))
      operands.push_back(&linear.getWeightMutable());
  }
  else if (auto experts = dyn_cast<r1::MoeExpertsOp>(op))
    operands = {&experts.getGateMutable(), &experts.getUpMutable(), &experts.getDownMutable()};
  return operands;
}

struct SelectWeightLayoutPass
    : public r1::impl::R1SelectWeightLayoutBase<SelectWeightLayoutPass> {
  using Base::Base;

  /// The type `quant` converts `type` to; `type` itself when there is nothing
  /// to do, failure (reported) when it cannot be converted.
  FailureOr<r1::WeightType> convertedType(r1::WeightOp weight) {
    r1::WeightType type = weight.getWeightType();
    MLIRContext *ctx = &getContext();
    Type element = type.getElementType();
    ArrayRef<int64_t> shape = type.getShape();
    if (isa<r1::GroupScaledLayoutAttr>(type.getLayout())) {
      weight.emitOpError("is already group_scaled; r1c does not convert it again");
      return failure();
    }
    if (quant == "bf16") {
      if (element.isBF16())
        return type;
      return r1::WeightType::get(ctx, shape, BFloat16Type::get(ctx), r1::PlainLayoutAttr::get(ctx));
    }
    if (quant == "fp8") {
      if (isa<Float8E4M3FNType>(element))
        return type;
      return r1::WeightType::get(ctx, shape, Float8E4M3FNType::get(ctx),
                                 r1::BlockScaledLayoutAttr::get(ctx, {1, 128}));
    }
    unsigned bits = quant == "int8" ? 8 : 4;
    if (quantGroup != 32 && quantGroup != 64 && quantGroup != 128) {
      weight.emitOpError() << "cannot use quant-group " << int64_t(quantGroup)
                           << ": the kernels take groups of 32, 64 or 128";
      return failure();
    }
    if (shape.back() % quantGroup != 0) {
      weight.emitOpError() << "has " << shape.back() << " input columns, not a multiple of the "
                           << "quant group " << int64_t(quantGroup) << "; choose a group that divides it";
      return failure();
    }
    return r1::WeightType::get(
        ctx, shape, IntegerType::get(ctx, bits),
        r1::GroupScaledLayoutAttr::get(ctx, quantGroup, Float16Type::get(ctx)));
  }

  /// 0. `quant`: gives every projection weight its converted type.
  LogicalResult convertProjectionWeights(ModuleOp module) {
    if (quant.empty())
      return success();
    if (quant != "bf16" && quant != "fp8" && quant != "int8" && quant != "int4")
      return module.emitError() << "r1-select-weight-layout: quant must be bf16, fp8, int8 or "
                                   "int4, not '"
                                << quant << "'";
    // Which reads of each weight are projections, and whether any is not.
    llvm::MapVector<r1::WeightOp, SmallVector<OpOperand *>> reads;
    llvm::SmallDenseSet<Operation *> sharedWithOthers;
    module.walk([&](Operation *op) {
      for (OpOperand *operand : projectionWeights(op))
        if (auto get = operand->get().getDefiningOp<r1::WeightGetOp>())
          if (auto weight = module.lookupSymbol<r1::WeightOp>(get.getNameAttr()))
            reads[weight].push_back(operand);
    });
    module.walk([&](r1::WeightGetOp get) {
      for (OpOperand &use : get->getUses())
        if (!llvm::is_contained(projectionWeights(use.getOwner()), &use))
          if (auto weight = module.lookupSymbol<r1::WeightOp>(get.getNameAttr()))
            sharedWithOthers.insert(weight);
    });
    for (auto &[weight, operands] : reads) {
      FailureOr<r1::WeightType> to = convertedType(weight);
      if (failed(to))
        return failure();
      if (*to == weight.getWeightType())
        continue;
      ++numConverted;
      r1::WeightOp target = weight;
      if (sharedWithOthers.contains(weight)) {
        // Tied embeddings: the embedding keeps reading the original.
        OpBuilder b(weight);
        b.setInsertionPointAfter(weight);
        target = cast<r1::WeightOp>(b.clone(*weight));
        target.setSymName((weight.getSymName() + ":" + quant).str());
      }
      target.setFromAttr(TypeAttr::get(weight.getWeightType()));
      target.setTypeAttr(TypeAttr::get(*to));
      for (OpOperand *operand : operands) {
        OpBuilder b(operand->getOwner());
        auto get = operand->get().getDefiningOp<r1::WeightGetOp>();
        if (target == weight) {
          get.getResult().setType(*to);
          continue;
        }
        operand->set(r1::WeightGetOp::create(b, get.getLoc(), *to, target.getSymName()));
      }
    }
    return success();
  }

  void runOnOperation() override {
    if (failed(convertProjectionWeights(getOperation())))
      return signalPassFailure();
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
