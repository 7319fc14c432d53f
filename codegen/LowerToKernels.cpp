//===- LowerToKernels.cpp - r1-lower-to-kernels: r1 model -> r1k plan -----===//

#include "codegen/Passes.h"
#include "codegen/RopeFrequencies.h"

#include "dialects/R1Ops.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <map>

#define DEBUG_TYPE "r1-lower-to-kernels"

namespace r1 {
#define GEN_PASS_DEF_R1LOWERTOKERNELS
#include "codegen/Passes.h.inc"
} // namespace r1

using namespace mlir;

namespace {

/// Builds the plan: packed weights and kernels deduplicated at module level,
/// launches in @step.
class PlanBuilder {
public:
  PlanBuilder(ModuleOp module, OpBuilder &symbolBuilder, OpBuilder &body)
      : module_(module), symbols_(symbolBuilder), body_(body), ctx_(module.getContext()) {}

  /// The r1.weight a value of the forward function reads.
  FailureOr<r1::WeightOp> weightOf(Value value, Operation *user) {
    auto get = value.getDefiningOp<r1::WeightGetOp>();
    if (!get) {
      user->emitOpError("weight operand does not come from r1.weight.get");
      return failure();
    }
    auto weight = module_.lookupSymbol<r1::WeightOp>(get.getNameAttr());
    if (!weight) {
      get.emitOpError("names no r1.weight");
      return failure();
    }
    return weight;
  }

  /// The packed weight stacking `sources` (r1.weight symbols) as `element`.
  /// The packed weight stacking `sources` along `axis` as `element`, or
  /// with `rowScales` their block scales expanded per row.
  FailureOr<FlatSymbolRefAttr> pack(MutableArrayRef<r1::WeightOp> sources, Type element,
                                    Operation *user, int64_t axis = 0, bool rowScales = false) {
    std::string key;
    for (r1::WeightOp &w : sources)
      key += w.getSymName().str() + "|";
    llvm::raw_string_ostream(key) << element << "|" << axis << "|" << rowScales;
    if (auto it = packed_.find(key); it != packed_.end())
      return it->second;

    r1::WeightType first = sources.front().getWeightType();
    SmallVector<int64_t> shape(first.getShape());
    SmallVector<Attribute> refs;
    for (r1::WeightOp &w : sources) {
      r1::WeightType type = w.getWeightType();
      if (auto blocks = dyn_cast<r1::BlockScaledLayoutAttr>(type.getLayout())) {
        // The kernels read scales per 128 columns; rows may be any block.
        if (blocks.getBlock().back() != 128 || !isa<Float8E4M3FNType>(type.getElementType())) {
          user->emitOpError() << "weight @" << w.getSymName()
                              << " is block-scaled with blocks other than [*, 128] of e4m3fn, "
                                 "which the host backend does not support";
          return failure();
        }
      } else if (auto groups = dyn_cast<r1::GroupScaledLayoutAttr>(type.getLayout())) {
        // The kernels take f16 scales in groups of 32, 64 or 128.
        int64_t g = groups.getGroupSize();
        if ((g != 32 && g != 64 && g != 128) || !groups.getScaleType().isF16()) {
          user->emitOpError() << "weight @" << w.getSymName() << " is group_scaled with "
                              << type.getLayout()
                              << "; the kernels read groups of 32, 64 or 128 with f16 scales";
          return failure();
        }
      }
      if (w != sources.front())
        shape[axis] += type.getShape()[axis];
      refs.push_back(FlatSymbolRefAttr::get(w.getSymNameAttr()));
    }
    // Integer codes keep their group_scaled layout; everything else is plain.
    auto groups = dyn_cast<r1::GroupScaledLayoutAttr>(first.getLayout());
    r1::WeightLayoutAttrInterface layout = r1::PlainLayoutAttr::get(ctx_);
    if (rowScales && groups)
      shape.back() /= groups.getGroupSize();
    else if (rowScales)
      shape.back() = (shape.back() + 127) / 128;
    else if (groups && element == first.getElementType())
      layout = groups;
    if (!element.isF32() && !element.isBF16() && !element.isF16() &&
        !isa<Float8E4M3FNType>(element) && !(groups && isa<IntegerType>(element))) {
      user->emitOpError() << "weight @" << sources.front().getSymName() << " has element type "
                          << element << "; the kernels handle f32, bf16, f16, FP8 and grouped int8/int4";
      return failure();
    }
    auto type = r1::WeightType::get(ctx_, shape, element, layout);
    // The element type in the name shows the conversion ("...norm.weight:f32").
    std::string name = packedName(sources) + ":";
    if (rowScales)
      name += "scales";
    else
      llvm::raw_string_ostream(name) << element;
    auto op = r1k::PackedWeightOp::create(symbols_, sources.front().getLoc(), name, type,
                                          ArrayAttr::get(ctx_, refs), /*axis=*/0,
                                          /*row_scales=*/false, /*mtp=*/false,
                                          /*head_rows=*/nullptr);
    if (axis != 0)
      op.setAxis(axis);
    if (rowScales)
      op.setRowScales(true);
    auto ref = FlatSymbolRefAttr::get(op.getSymNameAttr());
    packed_[key] = ref;
    return ref;
  }

  /// Rows offset .. offset + count of each group of `period` rows of
  /// `source`, each group's block transposed when `transpose`, as `element`
  /// (the source's type, or f32: FP8 dequantized), or with `rowScales` the
  /// result's row-expanded FP8 scales. See r1k.packed_weight's head_rows.
  FlatSymbolRefAttr packHeadRows(r1::WeightOp source, Type element, int64_t period,
                                 int64_t offset, int64_t count, bool transpose, bool rowScales,
                                 StringRef suffix) {
    std::string key = source.getSymName().str() + "|";
    llvm::raw_string_ostream(key) << element << "|rows " << period << " " << offset << " "
                                  << count << " " << transpose << " " << rowScales;
    if (auto it = packed_.find(key); it != packed_.end())
      return it->second;
    r1::WeightType type = source.getWeightType();
    int64_t groups = type.getShape()[0] / period, cols = type.getShape()[1];
    SmallVector<int64_t> shape = transpose ? SmallVector<int64_t>{groups * cols, count}
                                           : SmallVector<int64_t>{groups * count, cols};
    if (rowScales)
      shape.back() = (shape.back() + 127) / 128;
    auto packedType = r1::WeightType::get(ctx_, shape, element, r1::PlainLayoutAttr::get(ctx_));
    std::string name = source.getSymName().str() + ":" + suffix.str() + ":";
    if (rowScales)
      name += "scales";
    else
      llvm::raw_string_ostream(name) << element;
    auto op = r1k::PackedWeightOp::create(
        symbols_, source.getLoc(), name, packedType,
        ArrayAttr::get(ctx_, {FlatSymbolRefAttr::get(source.getSymNameAttr())}), /*axis=*/0,
        rowScales, /*mtp=*/false, DenseI64ArrayAttr::get(ctx_, {period, offset, count}),
        transpose);
    auto ref = FlatSymbolRefAttr::get(op.getSymNameAttr());
    packed_[key] = ref;
    return ref;
  }

  /// The kernel of `kind` with `params`, created on first use.
  FlatSymbolRefAttr kernel(StringRef kind, ArrayRef<NamedAttribute> params, Location loc) {
    DictionaryAttr dict = DictionaryAttr::get(ctx_, params);
    std::string key = kind.str();
    llvm::raw_string_ostream(key) << dict;
    if (auto it = kernels_.find(key); it != kernels_.end())
      return it->second;
    std::string name = kind.str() + "_" + std::to_string(kernelCount_++);
    auto op = r1k::KernelOp::create(symbols_, loc, name, kind, dict);
    auto ref = FlatSymbolRefAttr::get(op.getSymNameAttr());
    kernels_[key] = ref;
    return ref;
  }

  /// A new (unplaced) buffer holding `tensor`'s rows.
  Value buffer(Value tensor, Location loc) {
    auto type = cast<RankedTensorType>(tensor.getType());
    auto memref = MemRefType::get(type.getShape(), type.getElementType());
    return r1k::BufferOp::create(body_, loc, memref, IntegerAttr());
  }

  NamedAttribute attr(StringRef name, Attribute value) {
    return NamedAttribute(StringAttr::get(ctx_, name), value);
  }
  NamedAttribute i64(StringRef name, int64_t v) {
    return attr(name, IntegerAttr::get(IntegerType::get(ctx_, 64), v));
  }
  NamedAttribute f64(StringRef name, double v) {
    return attr(name, FloatAttr::get(Float64Type::get(ctx_), v));
  }
  NamedAttribute boolean(StringRef name, bool v) { return attr(name, BoolAttr::get(ctx_, v)); }
  NamedAttribute str(StringRef name, StringRef v) { return attr(name, StringAttr::get(ctx_, v)); }
  NamedAttribute ints(StringRef name, ArrayRef<int64_t> v) {
    return attr(name, DenseI64ArrayAttr::get(ctx_, v));
  }

  MLIRContext *ctx() { return ctx_; }

private:
  /// "model.layers.0.self_attn.{q,k,v}_proj.weight" style names: the common
  /// prefix and suffix of the sources with the differing middles joined.
  static std::string packedName(MutableArrayRef<r1::WeightOp> sources) {
    if (sources.size() == 1)
      return sources.front().getSymName().str();
    std::string prefix = sources.front().getSymName().str(), suffix = prefix;
    for (r1::WeightOp &w : sources) {
      StringRef name = w.getSymName();
      size_t p = 0;
      while (p < prefix.size() && p < name.size() && prefix[p] == name[p])
        ++p;
      prefix.resize(p);
      size_t s = 0;
      while (s < suffix.size() && s < name.size() &&
             suffix[suffix.size() - 1 - s] == name[name.size() - 1 - s])
        ++s;
      suffix = suffix.substr(suffix.size() - s);
    }
    std::string middle;
    for (r1::WeightOp &w : sources) {
      StringRef name = w.getSymName();
      size_t end = name.size() > suffix.size() ? name.size() - suffix.size() : 0;
      StringRef part = prefix.size() <= end ? name.slice(prefix.size(), end) : StringRef();
      middle += (middle.empty() ? "" : ",") + part.str();
    }
    return prefix + "{" + middle + "}" + suffix;
  }

  ModuleOp module_;
  OpBuilder &symbols_;
  OpBuilder &body_;
  MLIRContext *ctx_;
  std::map<std::string, FlatSymbolRefAttr> packed_, kernels_;
  int kernelCount_ = 0;
};

/// Elements per token of an activation type ([tokens, ...]).
int64_t rowElements(Type type) {
  int64_t n = 1;
  for (int64_t d : cast<ShapedType>(type).getShape().drop_front())
    n *= d;
  return n;
}

/// The kernels' name of an element type: f32, bf16, f16 or f8 (e4m3 with
/// block scales).
std::string wtypeName(Type element) {
  if (isa<Float8E4M3FNType>(element))
    return "f8";
  if (element.isBF16())
    return "bf16";
  if (element.isF16())
    return "f16";
  return "f32";
}

/// The kernels' name of a weight type: as its element type's, or i8g32 ...
/// i4g128 for integer codes with one scale per group of 32 ... 128.
std::string wtypeName(r1::WeightType type) {
  if (auto groups = dyn_cast<r1::GroupScaledLayoutAttr>(type.getLayout()))
    return "i" + std::to_string(type.getElementType().getIntOrFloatBitWidth()) + "g" +
           std::to_string(groups.getGroupSize());
  return wtypeName(type.getElementType());
}

struct LowerToKernelsPass : public r1::impl::R1LowerToKernelsBase<LowerToKernelsPass> {
  using Base::Base;
  void runOnOperation() override;
  LogicalResult lower(func::FuncOp forward, func::FuncOp step, PlanBuilder &plan);
};

void LowerToKernelsPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  // 1. Find @forward; @mtp (speculative decoding) has no host kernels yet
  //    and does not contribute to next-token logits: drop it.
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward) {
    module.emitOpError("has no func.func @forward to lower");
    return signalPassFailure();
  }
  auto mtp = module.lookupSymbol<func::FuncOp>("mtp");
  if (forward.getNumResults() < 1 || forward.getNumResults() > 2) {
    forward.emitOpError("must return the logits (and, with MTP, the hidden state)");
    return signalPassFailure();
  }

  // 2. Create @step(tokens, positions, logits) after the weights.
  auto logitsTensor = cast<RankedTensorType>(forward.getResultTypes()[0]);
  Type i32 = IntegerType::get(ctx, 32);
  Type tokens = MemRefType::get({ShapedType::kDynamic}, i32);
  Type logits = MemRefType::get(logitsTensor.getShape(), logitsTensor.getElementType());
  OpBuilder symbols(ctx);
  symbols.setInsertionPoint(forward);
  auto step = func::FuncOp::create(symbols, forward.getLoc(), "step",
                                   FunctionType::get(ctx, {tokens, tokens, logits}, {}));
  Block *entry = step.addEntryBlock();
  OpBuilder body = OpBuilder::atBlockBegin(entry);
  PlanBuilder plan(module, symbols, body);

  // 3. Lower op by op; 4. keep the MTP layer's weights when asked, after
  //    every weight the step reads (their indices stay those of the code);
  //    5. drop the r1 functions.
  if (failed(lower(forward, step, plan))) {
    step.erase();
    return signalPassFailure();
  }
  if (mtp && keepMtp) {
    // Weights the step reads too (DeepSeek's MTP shares the embedding and
    // the head) are already packed and stay unmarked.
    llvm::DenseSet<Attribute> stepReads;
    forward.walk([&](r1::WeightGetOp get) { stepReads.insert(get.getNameAttr()); });
    llvm::SetVector<r1::WeightOp> weights;
    mtp.walk([&](r1::WeightGetOp get) {
      if (stepReads.contains(get.getNameAttr()))
        return;
      if (auto w = module.lookupSymbol<r1::WeightOp>(get.getNameAttr()))
        weights.insert(w);
    });
    for (r1::WeightOp w : weights) {
      SmallVector<r1::WeightOp> one = {w};
      Type element = w.getWeightType().getElementType();
      FailureOr<FlatSymbolRefAttr> codes = plan.pack(one, element, mtp);
      if (failed(codes))
        return signalPassFailure();
      module.lookupSymbol<r1k::PackedWeightOp>(*codes).setMtp(true);
      if (isa<r1::BlockScaledLayoutAttr>(w.getWeightType().getLayout())) {
        FailureOr<FlatSymbolRefAttr> scales =
            plan.pack(one, Float32Type::get(ctx), mtp, /*axis=*/0, /*rowScales=*/true);
        if (failed(scales))
          return signalPassFailure();
        module.lookupSymbol<r1k::PackedWeightOp>(*scales).setMtp(true);
      }
    }
  }
  if (mtp)
    mtp.erase();
  forward.erase();
}

LogicalResult LowerToKernelsPass::lower(func::FuncOp forward, func::FuncOp step,
                                        PlanBuilder &plan) {
  OpBuilder b = OpBuilder::atBlockEnd(&step.getBody().front());
  DenseMap<Value, Value> buffers; // tensor value of @forward -> buffer of @step
  buffers[forward.getArgument(0)] = step.getArgument(0);
  buffers[forward.getArgument(1)] = step.getArgument(1);
  Value logitsArg = step.getArgument(2);
  Value returned = forward.getBody().front().getTerminator()->getOperand(0);
  int64_t kvFloatsPerToken = 0;

  auto bufferFor = [&](Value tensor) { return buffers.lookup(tensor); };
  auto weights = [&](Operation *user, ValueRange values,
                     SmallVectorImpl<r1::WeightOp> &out) -> LogicalResult {
    for (Value v : values) {
      FailureOr<r1::WeightOp> w = plan.weightOf(v, user);
      if (failed(w))
        return failure();
      out.push_back(*w);
    }
    return success();
  };
  // A vector weight (norm, bias) stored as f32.
  auto vectorWeight = [&](Operation *user, ValueRange values) -> FailureOr<FlatSymbolRefAttr> {
    SmallVector<r1::WeightOp> ws;
    if (failed(weights(user, values, ws)))
      return failure();
    return plan.pack(ws, Float32Type::get(plan.ctx()), user);
  };
  // A matrix as stored (bf16/f16/f32, or FP8 codes); `scales` gets the
  // row-expanded block scales of FP8 matrices.
  auto matrixWeight = [&](Operation *user, ValueRange values, int64_t axis = 0,
                          SmallVectorImpl<Attribute> *scales = nullptr)
      -> FailureOr<FlatSymbolRefAttr> {
    SmallVector<r1::WeightOp> ws;
    if (failed(weights(user, values, ws)))
      return failure();
    Type element = ws.front().getWeightType().getElementType();
    for (r1::WeightOp w : ws)
      if (w.getWeightType().getElementType() != element ||
          w.getWeightType().getLayout() != ws.front().getWeightType().getLayout()) {
        user->emitOpError("stacks weights of different element types or layouts");
        return failure();
      }
    FailureOr<FlatSymbolRefAttr> codes = plan.pack(ws, element, user, axis);
    auto groups = dyn_cast<r1::GroupScaledLayoutAttr>(ws.front().getWeightType().getLayout());
    if (failed(codes) || (!isa<Float8E4M3FNType>(element) && !groups))
      return codes;
    // FP8: f32 block scales per 128 columns; int8/int4: the group scales.
    Type scaleType = groups ? groups.getScaleType() : Float32Type::get(plan.ctx());
    FailureOr<FlatSymbolRefAttr> rowScales =
        plan.pack(ws, scaleType, user, axis, /*rowScales=*/true);
    if (failed(rowScales))
      return failure();
    if (!scales) {
      user->emitOpError("cannot take scaled (FP8 or integer) weights here");
      return failure();
    }
    scales->push_back(*rowScales);
    return codes;
  };
  auto launch = [&](Operation *op, FlatSymbolRefAttr kernel, ValueRange ins, ValueRange outs,
                    ArrayRef<Attribute> ws) {
    return r1k::LaunchOp::create(b, op->getLoc(), kernel, ins, outs,
                                 ArrayAttr::get(plan.ctx(), ws), IntegerAttr());
  };
  // Output buffers of `op`'s results; the returned value goes to %logits.
  auto outputs = [&](Operation *op) {
    SmallVector<Value> outs;
    for (Value r : op->getResults()) {
      Value buf = r == returned ? logitsArg : plan.buffer(r, op->getLoc());
      buffers[r] = buf;
      outs.push_back(buf);
    }
    return outs;
  };
  // The input of the projection that produces the logits: only the rows the
  // caller wants.
  auto projectionInput = [&](Operation *op, Value input) -> Value {
    Value buf = bufferFor(input);
    if (op->getNumResults() == 1 && op->getResult(0) == returned)
      return r1k::LogitsRowsOp::create(b, op->getLoc(), buf.getType(), buf);
    return buf;
  };
  auto linearKernel = [&](Operation *op, Value input, Value normWeight,
                          std::optional<double> eps, ValueRange ws, ValueRange biases) {
    SmallVector<int64_t> n;
    for (Value r : op->getResults())
      n.push_back(cast<ShapedType>(r.getType()).getShape().back());
    SmallVector<Attribute> scales;
    FailureOr<FlatSymbolRefAttr> matrix = matrixWeight(op, ws, 0, &scales);
    if (failed(matrix))
      return failure();
    SmallVector<Attribute> refs = {*matrix};
    if (!biases.empty()) {
      FailureOr<FlatSymbolRefAttr> bias = vectorWeight(op, biases);
      if (failed(bias))
        return failure();
      refs.push_back(*bias);
    }
    if (normWeight) {
      FailureOr<FlatSymbolRefAttr> gamma = vectorWeight(op, normWeight);
      if (failed(gamma))
        return failure();
      refs.push_back(*gamma);
    }
    refs.append(scales.begin(), scales.end());
    SmallVector<NamedAttribute> params = {
        plan.i64("k", cast<ShapedType>(input.getType()).getShape().back()), plan.ints("n", n),
        plan.str("wtype", wtypeName(cast<r1::WeightType>(ws.front().getType()))), plan.boolean("bias", !biases.empty()),
        plan.boolean("norm", bool(normWeight))};
    if (normWeight)
      params.push_back(plan.f64("eps", *eps));
    Value in = projectionInput(op, input);
    launch(op, plan.kernel("linear", params, op->getLoc()), in, outputs(op), refs);
    return success();
  };

  for (Operation &operation : forward.getBody().front().without_terminator()) {
    Operation *op = &operation;
    LogicalResult result =
        llvm::TypeSwitch<Operation *, LogicalResult>(op)
            .Case([&](r1::WeightGetOp) { return success(); })
            .Case([&](r1::EmbedOp embed) {
              FailureOr<FlatSymbolRefAttr> table = matrixWeight(op, embed.getTable());
              if (failed(table))
                return failure();
              auto type = cast<r1::WeightType>(embed.getTable().getType());
              FlatSymbolRefAttr k = plan.kernel(
                  "embed",
                  {plan.i64("vocab", type.getShape()[0]), plan.i64("hidden", type.getShape()[1]),
                   plan.str("wtype", wtypeName(type.getElementType()))},
                  op->getLoc());
              launch(op, k, bufferFor(embed.getTokens()), outputs(op), {*table});
              return success();
            })
            .Case([&](r1::RmsNormOp norm) {
              FailureOr<FlatSymbolRefAttr> gamma = vectorWeight(op, norm.getWeight());
              if (failed(gamma))
                return failure();
              FlatSymbolRefAttr k = plan.kernel(
                  "rms_norm",
                  {plan.i64("hidden", rowElements(norm.getType())),
                   plan.f64("eps", norm.getEpsilon().convertToDouble())},
                  op->getLoc());
              launch(op, k, bufferFor(norm.getInput()), outputs(op), {*gamma});
              return success();
            })
            .Case([&](r1::AddRmsNormOp norm) {
              FailureOr<FlatSymbolRefAttr> gamma = vectorWeight(op, norm.getWeight());
              if (failed(gamma))
                return failure();
              FlatSymbolRefAttr k = plan.kernel(
                  "add_rms_norm",
                  {plan.i64("hidden", rowElements(norm.getInput().getType())),
                   plan.f64("eps", norm.getEpsilon().convertToDouble())},
                  op->getLoc());
              launch(op, k, ValueRange{bufferFor(norm.getInput()), bufferFor(norm.getResidual())},
                     outputs(op), {*gamma});
              return success();
            })
            .Case([&](r1::LinearOp linear) {
              SmallVector<Value> biases;
              if (linear.getBias())
                biases.push_back(linear.getBias());
              return linearKernel(op, linear.getInput(), Value(), std::nullopt,
                                  ValueRange{linear.getWeight()}, biases);
            })
            .Case([&](r1::FusedLinearOp linear) {
              std::optional<double> eps;
              if (linear.getEpsilon())
                eps = linear.getEpsilon()->convertToDouble();
              return linearKernel(op, linear.getInput(), linear.getNormWeight(), eps,
                                  linear.getWeights(), linear.getBiases());
            })
            .Case([&](r1::GatedLinearOp gated) {
              SmallVector<Attribute> scales;
              FailureOr<FlatSymbolRefAttr> matrix =
                  matrixWeight(op, ValueRange{gated.getGate(), gated.getUp()}, 0, &scales);
              if (failed(matrix))
                return failure();
              SmallVector<Attribute> refs = {*matrix};
              SmallVector<NamedAttribute> params = {
                  plan.i64("k", cast<ShapedType>(gated.getInput().getType()).getShape().back()),
                  plan.i64("i", cast<ShapedType>(gated.getType()).getShape().back()),
                  plan.str("wtype", wtypeName(cast<r1::WeightType>(gated.getGate().getType()))),
                  plan.boolean("norm", bool(gated.getNormWeight()))};
              if (gated.getNormWeight()) {
                FailureOr<FlatSymbolRefAttr> gamma = vectorWeight(op, gated.getNormWeight());
                if (failed(gamma))
                  return failure();
                refs.push_back(*gamma);
                params.push_back(plan.f64("eps", gated.getEpsilon()->convertToDouble()));
              }
              refs.append(scales.begin(), scales.end());
              launch(op, plan.kernel("gated_linear", params, op->getLoc()),
                     bufferFor(gated.getInput()), outputs(op), refs);
              return success();
            })
            .Case([&](r1::ReshapeOp reshape) {
              auto type = cast<RankedTensorType>(reshape.getType());
              Value view = r1k::ViewOp::create(
                  b, op->getLoc(), MemRefType::get(type.getShape(), type.getElementType()),
                  bufferFor(reshape.getInput()));
              buffers[reshape.getResult()] = view;
              return success();
            })
            .Case([&](r1::RopeOp rope) -> LogicalResult {
              auto shape = cast<ShapedType>(rope.getType()).getShape();
              if (auto yarn = dyn_cast_or_null<r1::YarnScalingAttr>(rope.getScalingAttr()))
                if (yarn.getMscale() != yarn.getMscaleAllDim())
                  return rope.emitOpError(
                      "YaRN with mscale != mscale_all_dim (cos/sin scaled) has no host kernel yet");
              FailureOr<SmallVector<float>> invFreq = r1::ropeInverseFrequencies(
                  shape.back(), rope.getTheta().convertToDouble(), rope.getScalingAttr());
              if (failed(invFreq))
                return rope.emitOpError(
                    "has a rope scaling the host backend does not implement");
              FlatSymbolRefAttr k = plan.kernel(
                  "rope",
                  {plan.i64("heads", shape[1]), plan.i64("dim", shape.back()),
                   plan.boolean("interleaved", rope.getStyle() == r1::RopeStyle::Interleaved),
                   plan.attr("inv_freq", DenseF32ArrayAttr::get(plan.ctx(), *invFreq))},
                  op->getLoc());
              launch(op, k, ValueRange{bufferFor(rope.getInput()), bufferFor(rope.getPositions())},
                     outputs(op), {});
              return success();
            })
            .Case([&](r1::AttentionOp attention) {
              auto q = cast<ShapedType>(attention.getQuery().getType()).getShape();
              auto k = cast<ShapedType>(attention.getKey().getType()).getShape();
              auto v = cast<ShapedType>(attention.getValue().getType()).getShape();
              FlatSymbolRefAttr kernel = plan.kernel(
                  "attention",
                  {plan.i64("q_heads", q[1]), plan.i64("kv_heads", k[1]),
                   plan.i64("head_dim", k[2]), plan.i64("v_head_dim", v[2]),
                   plan.f64("scale", attention.getScale().convertToDouble())},
                  op->getLoc());
              auto l = r1k::LaunchOp::create(
                  b, op->getLoc(), kernel,
                  ValueRange{bufferFor(attention.getQuery()), bufferFor(attention.getKey()),
                             bufferFor(attention.getValue()), bufferFor(attention.getPositions())},
                  outputs(op), ArrayAttr::get(plan.ctx(), {}),
                  b.getI64IntegerAttr(kvFloatsPerToken));
              l->setAttr("layer", attention.getLayerAttr());
              kvFloatsPerToken += k[1] * k[2] + v[1] * v[2];
              return success();
            })
            .Case([&](r1::MlaOp mla) -> LogicalResult {
              // kv_b as stored (W_UV's rows for the absorbed output, all of
              // it for materialized keys and values), and for the absorbed
              // form W_UK^T per head, made here at compile time.
              SmallVector<Attribute> scales;
              FailureOr<FlatSymbolRefAttr> kvB = matrixWeight(op, mla.getKvB(), 0, &scales);
              if (failed(kvB))
                return failure();
              SmallVector<Attribute> refs = {*kvB};
              refs.append(scales.begin(), scales.end());
              FailureOr<r1::WeightOp> source = plan.weightOf(mla.getKvB(), op);
              if (failed(source))
                return failure();
              r1::WeightType kvType = source->getWeightType();
              int64_t nope = mla.getNopeDim(), value = mla.getValueDim();
              bool prefillAbsorbed = mla.getPrefillForm() == r1::MlaForm::Absorbed;
              bool decodeAbsorbed = mla.getDecodeForm() == r1::MlaForm::Absorbed;
              Type ukElement = kvType.getElementType();
              if (prefillAbsorbed || decodeAbsorbed) {
                // FP8 stays FP8 when each head's W_UK^T 128-column block
                // comes from one 128x128 scale block (R1: 128 + 128 rows
                // per head); otherwise the split is not block-aligned and
                // W_UK^T is dequantized to f32 (exact; 4x its FP8 bytes).
                auto blocks = dyn_cast<r1::BlockScaledLayoutAttr>(kvType.getLayout());
                bool aligned = !blocks || ((nope + value) % 128 == 0 &&
                                           blocks.getBlock().front() % 128 == 0);
                if (!aligned)
                  ukElement = Float32Type::get(plan.ctx());
                refs.push_back(plan.packHeadRows(*source, ukElement, nope + value, 0, nope,
                                                 /*transpose=*/true, /*rowScales=*/false, "w_uk_t"));
                if (isa<Float8E4M3FNType>(ukElement))
                  refs.push_back(plan.packHeadRows(*source, Float32Type::get(plan.ctx()),
                                                   nope + value, 0, nope, /*transpose=*/true,
                                                   /*rowScales=*/true, "w_uk_t"));
              }
              FlatSymbolRefAttr kernel = plan.kernel(
                  "mla",
                  {plan.i64("heads", mla.getHeads()), plan.i64("nope", nope),
                   plan.i64("rope", mla.getRopeDim()), plan.i64("v", value),
                   plan.i64("rank", mla.getRank()),
                   plan.f64("scale", mla.getScale().convertToDouble()),
                   plan.str("wtype", wtypeName(kvType.getElementType())),
                   plan.str("wtype_uk", wtypeName(ukElement)),
                   plan.boolean("prefill_absorbed", prefillAbsorbed),
                   plan.boolean("decode_absorbed", decodeAbsorbed)},
                  op->getLoc());
              auto l = r1k::LaunchOp::create(
                  b, op->getLoc(), kernel,
                  ValueRange{bufferFor(mla.getQuery()), bufferFor(mla.getLatent()),
                             bufferFor(mla.getKeyRope()), bufferFor(mla.getPositions())},
                  outputs(op), ArrayAttr::get(plan.ctx(), refs),
                  b.getI64IntegerAttr(kvFloatsPerToken));
              l->setAttr("layer", mla.getLayerAttr());
              // The latent cache: [latent | k_pe] per token.
              kvFloatsPerToken += mla.getRank() + mla.getRopeDim();
              return success();
            })
            .Case<r1::AddOp, r1::MulOp>([&](Operation *binary) {
              StringRef kind = isa<r1::AddOp>(binary) ? "add" : "mul";
              FlatSymbolRefAttr k = plan.kernel(
                  kind, {plan.i64("hidden", rowElements(binary->getResult(0).getType()))},
                  op->getLoc());
              launch(op, k,
                     ValueRange{bufferFor(binary->getOperand(0)), bufferFor(binary->getOperand(1))},
                     outputs(op), {});
              return success();
            })
            .Case([&](r1::QuantizeF8Op quantize) -> LogicalResult {
              if (quantize.getBlock() != 128)
                return quantize.emitOpError("has host kernels for blocks of 128 only");
              FlatSymbolRefAttr k = plan.kernel(
                  "quantize_f8",
                  {plan.i64("hidden", rowElements(quantize.getType())), plan.i64("block", 128)},
                  op->getLoc());
              launch(op, k, bufferFor(quantize.getInput()), outputs(op), {});
              return success();
            })
            .Case([&](r1::SiluOp silu) {
              FlatSymbolRefAttr k = plan.kernel(
                  "silu", {plan.i64("hidden", rowElements(silu.getType()))}, op->getLoc());
              launch(op, k, bufferFor(silu.getInput()), outputs(op), {});
              return success();
            })
            .Case([&](r1::SliceOp slice) {
              auto in = cast<ShapedType>(slice.getInput().getType()).getShape();
              int64_t heads = in.size() == 3 ? in[1] : 1;
              FlatSymbolRefAttr k = plan.kernel(
                  "slice",
                  {plan.i64("heads", heads), plan.i64("in_row", in.back()),
                   plan.i64("offset", slice.getOffset()), plan.i64("size", slice.getSize())},
                  op->getLoc());
              launch(op, k, bufferFor(slice.getInput()), outputs(op), {});
              return success();
            })
            .Case([&](r1::ConcatOp concat) -> LogicalResult {
              if (concat.getInputs().size() != 2)
                return concat.emitOpError("has no host kernel for other than two inputs");
              auto a = cast<ShapedType>(concat.getInputs()[0].getType()).getShape();
              auto bShape = cast<ShapedType>(concat.getInputs()[1].getType()).getShape();
              FlatSymbolRefAttr k = plan.kernel(
                  "concat",
                  {plan.i64("heads", a.size() == 3 ? a[1] : 1), plan.i64("a", a.back()),
                   plan.i64("b", bShape.back())},
                  op->getLoc());
              launch(op, k,
                     ValueRange{bufferFor(concat.getInputs()[0]), bufferFor(concat.getInputs()[1])},
                     outputs(op), {});
              return success();
            })
            .Case([&](r1::BroadcastOp broadcast) -> LogicalResult {
              auto in = cast<ShapedType>(broadcast.getInput().getType()).getShape();
              auto out = cast<ShapedType>(broadcast.getType()).getShape();
              if (in.size() != 3 || in[1] != 1)
                return broadcast.emitOpError("has a host kernel for [T, 1, D] -> [T, H, D] only");
              FlatSymbolRefAttr k = plan.kernel(
                  "broadcast", {plan.i64("heads", out[1]), plan.i64("dim", out[2])}, op->getLoc());
              launch(op, k, bufferFor(broadcast.getInput()), outputs(op), {});
              return success();
            })
            .Case<r1::SigmoidOp, r1::SoftmaxOp>([&](Operation *unary) {
              StringRef kind = isa<r1::SigmoidOp>(unary) ? "sigmoid" : "softmax";
              FlatSymbolRefAttr k = plan.kernel(
                  kind, {plan.i64("hidden", rowElements(unary->getResult(0).getType()))},
                  op->getLoc());
              launch(op, k, bufferFor(unary->getOperand(0)), outputs(op), {});
              return success();
            })
            .Case([&](r1::MoeTopkOp topk) -> LogicalResult {
              int64_t experts = cast<ShapedType>(topk.getScores().getType()).getShape().back();
              int64_t score = topk.getGroupScore() == r1::GroupScore::Max        ? 1
                              : topk.getGroupScore() == r1::GroupScore::Top2Sum ? 2
                                                                                 : 0;
              SmallVector<Attribute> refs;
              if (topk.getBias()) {
                FailureOr<FlatSymbolRefAttr> bias = vectorWeight(op, topk.getBias());
                if (failed(bias))
                  return failure();
                refs.push_back(*bias);
              }
              FlatSymbolRefAttr k = plan.kernel(
                  "moe_topk",
                  {plan.i64("experts", experts), plan.i64("top_k", topk.getTopK()),
                   plan.i64("groups", topk.getNumGroups()),
                   plan.i64("topk_groups", topk.getTopkGroups()),
                   plan.i64("group_score", score), plan.boolean("bias", bool(topk.getBias())),
                   plan.boolean("normalize", topk.getNormalize()),
                   plan.f64("scaling", topk.getScalingFactor().convertToDouble())},
                  op->getLoc());
              launch(op, k, bufferFor(topk.getScores()), outputs(op), refs);
              return success();
            })
            .Case([&](r1::MoeRouteOp route) -> LogicalResult {
              auto gate = cast<r1::WeightType>(route.getGate().getType());
              if (!isa<r1::PlainLayoutAttr>(gate.getLayout()))
                return route.emitOpError("has a quantized router, which the host backend does not "
                                         "support (the router stays in bf16/f32)");
              int64_t experts = gate.getShape()[0];
              int64_t score = route.getGroupScore() == r1::GroupScore::Max        ? 1
                              : route.getGroupScore() == r1::GroupScore::Top2Sum ? 2
                                                                                  : 0;
              FailureOr<FlatSymbolRefAttr> matrix = matrixWeight(op, route.getGate());
              if (failed(matrix))
                return failure();
              SmallVector<Attribute> refs = {*matrix};
              if (route.getBias()) {
                FailureOr<FlatSymbolRefAttr> bias = vectorWeight(op, route.getBias());
                if (failed(bias))
                  return failure();
                refs.push_back(*bias);
              }
              FlatSymbolRefAttr k = plan.kernel(
                  "moe_route",
                  {plan.i64("hidden", gate.getShape()[1]), plan.i64("experts", experts),
                   plan.str("wtype", wtypeName(gate.getElementType())),
                   plan.i64("scoring", route.getScoring() == r1::RouterScoring::Softmax),
                   plan.i64("top_k", route.getTopK()), plan.i64("groups", route.getNumGroups()),
                   plan.i64("topk_groups", route.getTopkGroups()),
                   plan.i64("group_score", score), plan.boolean("bias", bool(route.getBias())),
                   plan.boolean("normalize", route.getNormalize()),
                   plan.f64("scaling", route.getScalingFactor().convertToDouble())},
                  op->getLoc());
              // The [T, E] scores live only inside the launch: a scratch buffer.
              SmallVector<Value> outs = outputs(op);
              auto scores = MemRefType::get({ShapedType::kDynamic, experts},
                                            Float32Type::get(plan.ctx()));
              outs.push_back(r1k::BufferOp::create(b, op->getLoc(), scores, IntegerAttr()));
              launch(op, k, bufferFor(route.getInput()), outs, refs);
              return success();
            })
            .Case([&](r1::MoeExpertsOp moe) -> LogicalResult {
              SmallVector<Attribute> scales;
              FailureOr<FlatSymbolRefAttr> gateUp =
                  matrixWeight(op, ValueRange{moe.getGate(), moe.getUp()}, 1, &scales);
              if (failed(gateUp))
                return failure();
              FailureOr<FlatSymbolRefAttr> down = matrixWeight(op, moe.getDown(), 0, &scales);
              if (failed(down))
                return failure();
              auto gate = cast<r1::WeightType>(moe.getGate().getType());
              SmallVector<Attribute> refs = {*gateUp, *down};
              refs.append(scales.begin(), scales.end());
              SmallVector<NamedAttribute> params = {
                  plan.i64("experts", gate.getShape()[0]),
                  plan.i64("top_k", cast<ShapedType>(moe.getIds().getType()).getShape().back()),
                  plan.i64("hidden", gate.getShape()[2]), plan.i64("inter", gate.getShape()[1]),
                  plan.str("wtype", wtypeName(gate))};
              if (moe.getQuantizeActivations())
                params.push_back(plan.boolean("quantize_activations", true));
              FlatSymbolRefAttr k = plan.kernel("moe_experts", params, op->getLoc());
              launch(op, k,
                     ValueRange{bufferFor(moe.getInput()), bufferFor(moe.getIds()),
                                bufferFor(moe.getWeights())},
                     outputs(op), refs);
              return success();
            })
            .Default([&](Operation *other) {
              return other->emitOpError()
                     << "has no host kernel yet (the host backend runs the dense "
                        "Qwen2/Llama models; DeepSeek MLA/MoE support is the next milestone)";
            });
    if (failed(result))
      return failure();
    for (Value r : op->getResults())
      if (!isa<r1::WeightType>(r.getType()) && !buffers.lookup(r))
        return op->emitOpError("was lowered without a buffer for its result");
  }
  if (buffers.lookup(returned) != logitsArg)
    return forward.emitOpError("the logits must come from a projection (r1.linear)");
  func::ReturnOp::create(b, forward.getLoc());
  step->setAttr("r1k.kv_floats_per_token", b.getI64IntegerAttr(kvFloatsPerToken));
  return success();
}

} // namespace
