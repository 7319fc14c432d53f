//===- ModelBuilder.cpp - Building r1 IR for a model from its config ------===//

#include "models/ModelBuilder.h"

#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace r1 {

namespace {

/// "a projection weight": what a weight of `role` is, for error messages.
llvm::StringRef roleName(WeightRole role) {
  switch (role) {
  case WeightRole::Projection:
    return "a projection weight";
  case WeightRole::Unquantized:
    return "an unquantized weight (embedding, norm, router, head or bias)";
  case WeightRole::CorrectionBias:
    return "the routing correction bias";
  }
  llvm_unreachable("unknown weight role");
}

/// The MLIR element type of a dense checkpoint dtype, or null.
Type plainElementType(MLIRContext *ctx, DType dtype) {
  switch (dtype) {
  case DType::BF16:
    return BFloat16Type::get(ctx);
  case DType::F16:
    return Float16Type::get(ctx);
  case DType::F32:
    return Float32Type::get(ctx);
  default:
    return nullptr;
  }
}

Type torchDtypeElementType(MLIRContext *ctx, llvm::StringRef torchDtype) {
  if (torchDtype == "float16")
    return Float16Type::get(ctx);
  if (torchDtype == "float32")
    return Float32Type::get(ctx);
  return BFloat16Type::get(ctx);
}

} // namespace

ModelBuilder::ModelBuilder(ModuleOp module, const ModelConfig &config,
                           const Checkpoint *checkpoint)
    : module_(module), config_(config), checkpoint_(checkpoint), builder_(module.getContext()),
      loc_(module.getLoc()) {
  builder_.setInsertionPointToEnd(module.getBody());
}

//===----------------------------------------------------------------------===//
// Functions and locations
//===----------------------------------------------------------------------===//

ValueRange ModelBuilder::beginFunction(llvm::StringRef name, TypeRange args, TypeRange results) {
  builder_.setInsertionPointToEnd(module_.getBody());
  auto func = func::FuncOp::create(builder_, loc_, name, builder_.getFunctionType(args, results));
  if (!firstFunction_)
    firstFunction_ = func;
  Block *entry = func.addEntryBlock();
  builder_.setInsertionPointToStart(entry);
  weightValues_.clear();
  return entry->getArguments();
}

void ModelBuilder::endFunction(ValueRange results) {
  func::ReturnOp::create(builder_, loc_, results);
}

ModelBuilder::Scope::Scope(ModelBuilder &b, const llvm::Twine &name) : b_(b), saved_(b.loc_) {
  b_.loc_ = NameLoc::get(StringAttr::get(b.module_.getContext(), name));
}

ModelBuilder::Scope::~Scope() { b_.loc_ = saved_; }

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

void ModelBuilder::fail(const llvm::Twine &message) {
  if (!error_)
    error_ = message.str();
}

llvm::Error ModelBuilder::takeError() {
  if (!error_)
    return llvm::Error::success();
  std::string message = std::move(*error_);
  error_.reset();
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

bool ModelBuilder::hasTensor(llvm::StringRef name) const {
  return checkpoint_ && checkpoint_->find(name).info;
}

std::vector<std::string> ModelBuilder::unusedTensors() const {
  std::vector<std::string> unused;
  if (!checkpoint_)
    return unused;
  for (std::string &name : checkpoint_->tensorNames())
    if (!consumed_.contains(name))
      unused.push_back(std::move(name));
  return unused;
}

ModelBuilder::ResolvedWeight ModelBuilder::assumedWeight(WeightRole role) {
  MLIRContext *ctx = module_.getContext();
  switch (role) {
  case WeightRole::Projection:
    if (config_.fp8)
      return {Float8E4M3FNType::get(ctx),
              BlockScaledLayoutAttr::get(ctx, {config_.fp8->blockRows, config_.fp8->blockCols}),
              std::nullopt};
    break;
  case WeightRole::CorrectionBias:
    return {Float32Type::get(ctx), PlainLayoutAttr::get(ctx), std::nullopt};
  case WeightRole::Unquantized:
    break;
  }
  return {torchDtypeElementType(ctx, config_.torchDtype), PlainLayoutAttr::get(ctx),
          std::nullopt};
}

std::optional<ModelBuilder::ResolvedWeight>
ModelBuilder::resolveTensor(llvm::StringRef name, ArrayRef<int64_t> shape, WeightRole role) {
  CheckpointTensor tensor = checkpoint_->find(name);
  if (!tensor.info) {
    fail(llvm::formatv("{0}: tensor '{1}' is missing; the {2} config implies {3} of shape {4}",
                       checkpoint_->path(), name, config_.modelType, roleName(role),
                       formatShape(shape)));
    return std::nullopt;
  }
  consumed_.insert(name);
  const TensorInfo &info = *tensor.info;
  llvm::StringRef file = tensor.file->path();
  if (ArrayRef<int64_t>(info.shape) != shape) {
    fail(llvm::formatv("{0}: tensor '{1}' has shape {2} but {3} implies {4}", file, name,
                       formatShape(info.shape), config_.path, formatShape(shape)));
    return std::nullopt;
  }

  MLIRContext *ctx = module_.getContext();
  if (Type elementType = plainElementType(ctx, info.dtype)) {
    if (role == WeightRole::CorrectionBias && !elementType.isF32()) {
      fail(llvm::formatv("{0}: tensor '{1}' is {2}; the routing correction bias must be F32 "
                         "(routing margins are below BF16 precision)",
                         file, name, dtypeName(info.dtype)));
      return std::nullopt;
    }
    return ResolvedWeight{elementType, PlainLayoutAttr::get(ctx), std::nullopt};
  }

  if (info.dtype != DType::F8E4M3 || role != WeightRole::Projection) {
    fail(llvm::formatv("{0}: tensor '{1}' has dtype {2}, but {3} must be BF16, F16 or F32{4}",
                       file, name, dtypeName(info.dtype), roleName(role),
                       role == WeightRole::Projection ? ", or F8_E4M3 with block scales" : ""));
    return std::nullopt;
  }

  // FP8: weight = fp8 x the f32 scale of its block, from `<name>_scale_inv`.
  Fp8Quantization blocks = config_.fp8.value_or(Fp8Quantization{});
  auto layout = BlockScaledLayoutAttr::get(ctx, {blocks.blockRows, blocks.blockCols});
  std::string scaleName = (name + "_scale_inv").str();
  CheckpointTensor scale = checkpoint_->find(scaleName);
  if (!scale.info) {
    fail(llvm::formatv("{0}: tensor '{1}' is F8_E4M3 but its block scales '{2}' are missing",
                       checkpoint_->path(), name, scaleName));
    return std::nullopt;
  }
  consumed_.insert(scaleName);
  SmallVector<int64_t> scaleShape = layout.getScaleShape(shape);
  if (scale.info->dtype != DType::F32 || ArrayRef<int64_t>(scale.info->shape) != ArrayRef<int64_t>(scaleShape)) {
    fail(llvm::formatv("{0}: tensor '{1}' is {2} {3}, but {4} blocks over '{5}' {6} need F32 {7}",
                       scale.file->path(), scaleName, dtypeName(scale.info->dtype),
                       formatShape(scale.info->shape), formatShape(layout.getBlock()), name,
                       formatShape(shape), formatShape(scaleShape)));
    return std::nullopt;
  }
  return ResolvedWeight{Float8E4M3FNType::get(ctx), layout, scaleName};
}

Value ModelBuilder::declare(llvm::StringRef symbol, WeightType type, llvm::StringRef source,
                            const std::optional<std::string> &scaleSource) {
  auto it = weightValues_.find(symbol);
  if (it != weightValues_.end())
    return it->second;

  if (!module_.lookupSymbol(symbol)) {
    OpBuilder::InsertionGuard guard(builder_);
    if (firstFunction_)
      builder_.setInsertionPoint(firstFunction_);
    else
      builder_.setInsertionPointToEnd(module_.getBody());
    WeightOp::create(builder_, loc_, symbol, type, source,
                     scaleSource ? builder_.getStringAttr(*scaleSource) : nullptr, /*from=*/nullptr);
  }
  Value value = WeightGetOp::create(builder_, loc_, type, symbol);
  weightValues_[symbol] = value;
  return value;
}

Value ModelBuilder::weight(llvm::StringRef name, ArrayRef<int64_t> shape, WeightRole role) {
  ResolvedWeight resolved = assumedWeight(role);
  if (checkpoint_) {
    if (auto fromCheckpoint = resolveTensor(name, shape, role))
      resolved = *fromCheckpoint;
  } else if (isa<BlockScaledLayoutAttr>(resolved.layout)) {
    resolved.scaleSource = (name + "_scale_inv").str();
  }
  auto type = WeightType::get(module_.getContext(), shape, resolved.elementType, resolved.layout);
  return declare(name, type, name, resolved.scaleSource);
}

Value ModelBuilder::expertWeight(llvm::StringRef symbol, llvm::StringRef sourceTemplate,
                                 int64_t experts, ArrayRef<int64_t> expertShape,
                                 WeightRole role) {
  ResolvedWeight resolved = assumedWeight(role);
  if (checkpoint_) {
    // Every expert must be stored alike, or they cannot share one weight.
    std::optional<ResolvedWeight> first;
    for (int64_t e = 0; e < experts; ++e) {
      std::string name = expertSourceName(sourceTemplate, e);
      std::optional<ResolvedWeight> expert = resolveTensor(name, expertShape, role);
      if (!expert)
        break;
      if (!first) {
        first = expert;
      } else if (expert->elementType != first->elementType ||
                 expert->layout != first->layout) {
        fail(llvm::formatv("{0}: tensor '{1}' is stored as {2} but '{3}' as {4}; all experts "
                           "of a layer must share a dtype",
                           checkpoint_->path(), name, expert->elementType, expertSourceName(sourceTemplate, 0),
                           first->elementType));
        break;
      }
    }
    if (first)
      resolved = *first;
  }
  std::optional<std::string> scaleSource;
  if (isa<BlockScaledLayoutAttr>(resolved.layout))
    scaleSource = (sourceTemplate + "_scale_inv").str();
  SmallVector<int64_t> shape{experts};
  llvm::append_range(shape, expertShape);
  auto type = WeightType::get(module_.getContext(), shape, resolved.elementType, resolved.layout);
  return declare(symbol, type, sourceTemplate, scaleSource);
}

//===----------------------------------------------------------------------===//
// Types and ops
//===----------------------------------------------------------------------===//

RankedTensorType ModelBuilder::activation(ArrayRef<int64_t> dims) {
  SmallVector<int64_t> shape{ShapedType::kDynamic};
  llvm::append_range(shape, dims);
  return RankedTensorType::get(shape, builder_.getF32Type());
}

RankedTensorType ModelBuilder::tokenIds() {
  return RankedTensorType::get({ShapedType::kDynamic}, builder_.getI32Type());
}

namespace {
RankedTensorType withLastDim(Value x, int64_t last) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape.back() = last;
  return type.clone(shape);
}
} // namespace

Value ModelBuilder::embed(Value tokens, Value table) {
  int64_t hidden = cast<WeightType>(table.getType()).getShape()[1];
  return EmbedOp::create(builder_, loc_, activation({hidden}), tokens, table);
}

Value ModelBuilder::rmsNorm(Value x, Value weight) {
  return RmsNormOp::create(builder_, loc_, x.getType(), x, weight,
                           builder_.getF64FloatAttr(config_.rmsNormEps));
}

Value ModelBuilder::linear(Value x, Value weight, Value bias) {
  int64_t out = cast<WeightType>(weight.getType()).getShape()[0];
  return LinearOp::create(builder_, loc_, withLastDim(x, out), x, weight, bias);
}

Value ModelBuilder::add(Value a, Value b) { return AddOp::create(builder_, loc_, a, b); }
Value ModelBuilder::mul(Value a, Value b) { return MulOp::create(builder_, loc_, a, b); }
Value ModelBuilder::silu(Value x) { return SiluOp::create(builder_, loc_, x); }
Value ModelBuilder::sigmoid(Value x) { return SigmoidOp::create(builder_, loc_, x); }
Value ModelBuilder::softmax(Value x) { return SoftmaxOp::create(builder_, loc_, x); }

Value ModelBuilder::slice(Value x, int64_t offset, int64_t size) {
  return SliceOp::create(builder_, loc_, withLastDim(x, size), x, offset, size);
}

Value ModelBuilder::reshape(Value x, ArrayRef<int64_t> dims) {
  return ReshapeOp::create(builder_, loc_, activation(dims), x);
}

Value ModelBuilder::broadcast(Value x, ArrayRef<int64_t> dims) {
  return BroadcastOp::create(builder_, loc_, activation(dims), x);
}

Value ModelBuilder::concat(ValueRange inputs) {
  int64_t total = 0;
  for (Value input : inputs)
    total += cast<RankedTensorType>(input.getType()).getShape().back();
  return ConcatOp::create(builder_, loc_, withLastDim(inputs.front(), total), inputs);
}

Value ModelBuilder::rope(Value x, Value positions, RopeStyle style) {
  MLIRContext *ctx = module_.getContext();
  Attribute scaling = std::visit(
      [&](const auto &s) -> Attribute {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, Llama3RopeScaling>)
          return Llama3ScalingAttr::get(ctx, APFloat(s.factor), APFloat(s.lowFreqFactor),
                                        APFloat(s.highFreqFactor), s.originalMaxPositions);
        else if constexpr (std::is_same_v<T, YarnRopeScaling>)
          return YarnScalingAttr::get(ctx, APFloat(s.factor), s.originalMaxPositions,
                                      APFloat(s.betaFast), APFloat(s.betaSlow),
                                      APFloat(s.mscale), APFloat(s.mscaleAllDim));
        else
          return nullptr;
      },
      config_.ropeScaling);
  return RopeOp::create(builder_, loc_, x.getType(), x, positions,
                        RopeStyleAttr::get(ctx, style),
                        builder_.getF64FloatAttr(config_.ropeTheta), scaling);
}

Value ModelBuilder::attention(Value q, Value k, Value v, Value positions, int64_t layer,
                              double scale) {
  auto qType = cast<RankedTensorType>(q.getType());
  auto vType = cast<RankedTensorType>(v.getType());
  auto resultType = activation({qType.getDimSize(1), vType.getDimSize(2)});
  return AttentionOp::create(builder_, loc_, resultType, q, k, v, positions,
                             builder_.getI64IntegerAttr(layer), builder_.getF64FloatAttr(scale));
}

std::pair<Value, Value> ModelBuilder::moeTopk(Value scores, Value bias, int64_t topK,
                                              int64_t groups, int64_t keptGroups,
                                              GroupScore groupScore, bool normalize,
                                              double scalingFactor) {
  auto idsType = RankedTensorType::get({ShapedType::kDynamic, topK}, builder_.getI32Type());
  auto op = MoeTopkOp::create(builder_, loc_, idsType, activation({topK}), scores, bias,
                              builder_.getI64IntegerAttr(topK), builder_.getI64IntegerAttr(groups),
                              builder_.getI64IntegerAttr(keptGroups),
                              GroupScoreAttr::get(builder_.getContext(), groupScore),
                              builder_.getBoolAttr(normalize),
                              builder_.getF64FloatAttr(scalingFactor));
  return {op.getIds(), op.getWeights()};
}

Value ModelBuilder::moeExperts(Value x, Value ids, Value weights, Value gate, Value up,
                               Value down) {
  return MoeExpertsOp::create(builder_, loc_, x.getType(), x, ids, weights, gate, up, down);
}

Value ModelBuilder::gatedMlp(Value x, llvm::StringRef prefix, int64_t intermediate, bool bias) {
  int64_t hidden = cast<RankedTensorType>(x.getType()).getShape().back();
  auto proj = [&](llvm::StringRef name, int64_t out, int64_t in) {
    Value w = weight((prefix + name + ".weight").str(), {out, in}, WeightRole::Projection);
    Value b = bias ? weight((prefix + name + ".bias").str(), {out}) : Value();
    return std::make_pair(w, b);
  };
  auto [gateW, gateB] = proj("gate_proj", intermediate, hidden);
  auto [upW, upB] = proj("up_proj", intermediate, hidden);
  auto [downW, downB] = proj("down_proj", hidden, intermediate);
  Value gated = mul(silu(linear(x, gateW, gateB)), linear(x, upW, upB));
  return linear(gated, downW, downB);
}

} // namespace r1
