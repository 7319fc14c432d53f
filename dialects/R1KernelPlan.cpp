//===- R1KernelPlan.cpp - r1k ops: verifiers and kernel parameters --------===//

#include "dialects/R1KernelPlan.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace r1k;

#include "dialects/R1KernelPlanDialect.cpp.inc"

void R1KDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/R1KernelPlan.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Kernel parameters
//===----------------------------------------------------------------------===//

namespace {

enum class ParamKind { Int, Bool, F64, Ints, Str, F32s };

struct ParamSpec {
  llvm::StringRef name;
  ParamKind kind;
};

/// The params each kind requires (optional ones are checked where used).
llvm::ArrayRef<ParamSpec> requiredParams(llvm::StringRef kind, bool *known) {
  using P = ParamKind;
  static const ParamSpec embed[] = {{"vocab", P::Int}, {"hidden", P::Int}, {"wtype", P::Str}};
  static const ParamSpec norm[] = {{"hidden", P::Int}, {"eps", P::F64}};
  static const ParamSpec linear[] = {{"k", P::Int},     {"n", P::Ints},   {"wtype", P::Str},
                                     {"bias", P::Bool}, {"norm", P::Bool}};
  static const ParamSpec gated[] = {
      {"k", P::Int}, {"i", P::Int}, {"wtype", P::Str}, {"norm", P::Bool}};
  static const ParamSpec rope[] = {
      {"heads", P::Int}, {"dim", P::Int}, {"interleaved", P::Bool}, {"inv_freq", P::F32s}};
  static const ParamSpec attention[] = {{"q_heads", P::Int},
                                        {"kv_heads", P::Int},
                                        {"head_dim", P::Int},
                                        {"v_head_dim", P::Int},
                                        {"scale", P::F64}};
  static const ParamSpec mla[] = {{"heads", P::Int},
                                  {"nope", P::Int},
                                  {"rope", P::Int},
                                  {"v", P::Int},
                                  {"rank", P::Int},
                                  {"scale", P::F64},
                                  {"wtype", P::Str},
                                  {"wtype_uk", P::Str},
                                  {"prefill_absorbed", P::Bool},
                                  {"decode_absorbed", P::Bool}};
  static const ParamSpec elementwise[] = {{"hidden", P::Int}};
  static const ParamSpec quantize[] = {{"hidden", P::Int}, {"block", P::Int}};
  static const ParamSpec slice[] = {
      {"heads", P::Int}, {"in_row", P::Int}, {"offset", P::Int}, {"size", P::Int}};
  static const ParamSpec concat[] = {{"heads", P::Int}, {"a", P::Int}, {"b", P::Int}};
  static const ParamSpec broadcast[] = {{"heads", P::Int}, {"dim", P::Int}};
  static const ParamSpec topk[] = {{"experts", P::Int},     {"top_k", P::Int},
                                   {"groups", P::Int},      {"topk_groups", P::Int},
                                   {"group_score", P::Int}, {"bias", P::Bool},
                                   {"normalize", P::Bool},  {"scaling", P::F64}};
  static const ParamSpec route[] = {{"hidden", P::Int},      {"experts", P::Int},
                                    {"wtype", P::Str},       {"scoring", P::Int},
                                    {"top_k", P::Int},       {"groups", P::Int},
                                    {"topk_groups", P::Int}, {"group_score", P::Int},
                                    {"bias", P::Bool},       {"normalize", P::Bool},
                                    {"scaling", P::F64}};
  static const ParamSpec experts[] = {{"experts", P::Int}, {"top_k", P::Int}, {"hidden", P::Int},
                                      {"inter", P::Int},   {"wtype", P::Str}};
  *known = true;
  if (kind == "embed")
    return embed;
  if (kind == "rms_norm" || kind == "add_rms_norm")
    return norm;
  if (kind == "linear")
    return linear;
  if (kind == "gated_linear")
    return gated;
  if (kind == "rope")
    return rope;
  if (kind == "attention")
    return attention;
  if (kind == "mla")
    return mla;
  if (kind == "add" || kind == "mul" || kind == "silu" || kind == "sigmoid" || kind == "softmax")
    return elementwise;
  if (kind == "slice")
    return slice;
  if (kind == "quantize_f8")
    return quantize;
  if (kind == "concat")
    return concat;
  if (kind == "broadcast")
    return broadcast;
  if (kind == "moe_topk")
    return topk;
  if (kind == "moe_experts")
    return experts;
  if (kind == "moe_route")
    return route;
  *known = false;
  return {};
}

bool hasKind(Attribute attr, ParamKind kind) {
  switch (kind) {
  case ParamKind::Int:
    return isa_and_nonnull<IntegerAttr>(attr) && !cast<IntegerAttr>(attr).getType().isInteger(1);
  case ParamKind::Bool:
    return isa_and_nonnull<BoolAttr>(attr);
  case ParamKind::F64:
    return isa_and_nonnull<FloatAttr>(attr);
  case ParamKind::Ints:
    return isa_and_nonnull<DenseI64ArrayAttr>(attr);
  case ParamKind::Str:
    return isa_and_nonnull<StringAttr>(attr);
  case ParamKind::F32s:
    return isa_and_nonnull<DenseF32ArrayAttr>(attr);
  }
  return false;
}

} // namespace

LogicalResult KernelOp::verify() {
  bool known = false;
  llvm::ArrayRef<ParamSpec> specs = requiredParams(getKind(), &known);
  if (!known)
    return emitOpError() << "unknown kernel kind '" << getKind() << "'";
  for (const ParamSpec &spec : specs)
    if (!hasKind(getParams().get(spec.name), spec.kind))
      return emitOpError() << "kind '" << getKind() << "' needs param '" << spec.name
                           << "' of the right type";
  static constexpr llvm::StringLiteral kWeightTypes[] = {
      "f32", "bf16", "f16", "f8", "i8g32", "i8g64", "i8g128", "i4g32", "i4g64", "i4g128"};
  if (getParams().get("wtype") && !llvm::is_contained(kWeightTypes, getStr("wtype")))
    return emitOpError() << "wtype must be f32, bf16, f16, f8 or i8g/i4g with groups of 32, 64 "
                            "or 128, not '"
                         << getStr("wtype") << "'";
  // Integer weights are read by projections (linear, gated_linear, experts) only.
  if (getParams().get("wtype") && getStr("wtype").starts_with("i") &&
      !llvm::is_contained({"linear", "gated_linear", "moe_experts"}, getKind()))
    return emitOpError() << "kind '" << getKind() << "' does not read integer weights";
  if (getKind() == "embed" && getStr("wtype") == "f8")
    return emitOpError() << "embeddings are never f8";
  if (getKind() == "slice" && getInt("offset") + getInt("size") > getInt("in_row"))
    return emitOpError() << "slice [offset, offset + size) must lie in the row";
  if (getKind() == "moe_route" && (getInt("scoring") < 0 || getInt("scoring") > 1))
    return emitOpError() << "scoring is 0 (sigmoid) or 1 (softmax)";
  if (getKind() == "moe_topk" || getKind() == "moe_route") {
    if (getInt("experts") % getInt("groups") != 0 || getInt("topk_groups") > getInt("groups"))
      return emitOpError() << "experts must split into groups, and topk_groups <= groups";
    if (getInt("group_score") < 0 || getInt("group_score") > 2)
      return emitOpError() << "group_score is 0 (none), 1 (max) or 2 (top2_sum)";
  }
  if ((getKind() == "linear" || getKind() == "gated_linear") && getBool("norm") &&
      !hasKind(getParams().get("eps"), ParamKind::F64))
    return emitOpError() << "a kernel with norm needs param 'eps'";
  if (getKind() == "linear" && getInts("n").empty())
    return emitOpError() << "linear needs at least one output segment";
  if (getKind() == "rope") {
    if (getInt("dim") % 2 != 0)
      return emitOpError() << "rope dim must be even";
    if (int64_t(cast<DenseF32ArrayAttr>(getParams().get("inv_freq")).size()) != getInt("dim") / 2)
      return emitOpError() << "rope inv_freq must have dim/2 entries";
  }
  if (getKind() == "mla" &&
      !llvm::is_contained({"f32", "bf16", "f16", "f8"}, getStr("wtype_uk")))
    return emitOpError() << "wtype_uk must be f32, bf16, f16 or f8";
  if (getKind() == "quantize_f8" && getInt("block") != 128)
    return emitOpError() << "quantize_f8 has host kernels for blocks of 128 only";
  if (getKind() == "attention" && getInt("q_heads") % getInt("kv_heads") != 0)
    return emitOpError() << "q_heads must be a multiple of kv_heads";
  return success();
}

int64_t KernelOp::getInt(llvm::StringRef name) {
  return cast<IntegerAttr>(getParams().get(name)).getInt();
}
bool KernelOp::getBool(llvm::StringRef name) {
  return cast<BoolAttr>(getParams().get(name)).getValue();
}
double KernelOp::getF64(llvm::StringRef name) {
  return cast<FloatAttr>(getParams().get(name)).getValueAsDouble();
}
llvm::ArrayRef<int64_t> KernelOp::getInts(llvm::StringRef name) {
  return cast<DenseI64ArrayAttr>(getParams().get(name)).asArrayRef();
}
llvm::StringRef KernelOp::getStr(llvm::StringRef name) {
  return cast<StringAttr>(getParams().get(name)).getValue();
}

//===----------------------------------------------------------------------===//
// Packed weights
//===----------------------------------------------------------------------===//

LogicalResult PackedWeightOp::verify() {
  if (getSources().empty())
    return emitOpError() << "needs at least one source";
  auto groups = dyn_cast<r1::GroupScaledLayoutAttr>(getWeightType().getLayout());
  if (!isa<r1::PlainLayoutAttr>(getWeightType().getLayout()) && !groups)
    return emitOpError() << "packed weights are plain (row-major) or group_scaled integer codes";
  if (groups && (getRowScales() || getHeadRows()))
    return emitOpError() << "group_scaled codes are packed whole: no row_scales or head_rows";
  if (int64_t(getAxis()) >= int64_t(getWeightType().getShape().size()))
    return emitOpError() << "axis " << getAxis() << " is not a dimension of the type";
  Type element = getWeightType().getElementType();
  if (getRowScales() && !element.isF32() && !element.isF16() && !element.isBF16())
    return emitOpError() << "row scales are f32 (FP8 blocks) or a group_scaled layout's scale type";
  if (getTranspose() && !getHeadRows())
    return emitOpError() << "transpose applies to head_rows";
  if (auto rows = getHeadRows()) {
    if (rows->size() != 3 || (*rows)[0] < 1 || (*rows)[1] < 0 || (*rows)[2] < 1 ||
        (*rows)[1] + (*rows)[2] > (*rows)[0])
      return emitOpError() << "head_rows must be [period, offset, count] with offset + count <= "
                              "period";
    if (getSources().size() != 1 || getAxis() != 0)
      return emitOpError() << "head_rows takes one source and axis 0";
  }
  return success();
}

/// The shape a head_rows selection (and transpose) makes of a [R, C] source.
static FailureOr<SmallVector<int64_t>> headRowsShape(ArrayRef<int64_t> source,
                                                     ArrayRef<int64_t> rows, bool transpose) {
  if (source.size() != 2 || source[0] % rows[0] != 0)
    return failure();
  int64_t groups = source[0] / rows[0];
  if (transpose)
    return SmallVector<int64_t>{groups * source[1], rows[2]};
  return SmallVector<int64_t>{groups * rows[2], source[1]};
}

LogicalResult PackedWeightOp::verifySymbolUses(SymbolTableCollection &symbols) {
  r1::WeightType packed = getWeightType();
  int64_t axis = getAxis(), total = 0;
  for (Attribute ref : getSources()) {
    auto source = symbols.lookupNearestSymbolFrom<r1::WeightOp>(*this, cast<FlatSymbolRefAttr>(ref));
    if (!source)
      return emitOpError() << "source " << ref << " is not an r1.weight";
    r1::WeightType type = source.getWeightType();
    // What this packed weight holds of the source: its values, or (with
    // row_scales) one row of block scales per row of the source.
    SmallVector<int64_t> shape(type.getShape());
    if (auto rows = getHeadRows()) {
      FailureOr<SmallVector<int64_t>> selected =
          headRowsShape(type.getShape(), *rows, getTranspose());
      if (failed(selected))
        return emitOpError() << "source " << ref << " is not [groups * " << (*rows)[0]
                             << ", cols]";
      shape = *selected;
    }
    Type from = type.getElementType(), to = packed.getElementType();
    auto blocks = dyn_cast<r1::BlockScaledLayoutAttr>(type.getLayout());
    auto groups = dyn_cast<r1::GroupScaledLayoutAttr>(type.getLayout());
    if (groups && getHeadRows())
      return emitOpError() << "source " << ref << " is group_scaled: no head_rows selection";
    if (getRowScales() && groups) {
      shape.back() /= groups.getGroupSize();
      if (to != groups.getScaleType())
        return emitOpError() << "source " << ref << "'s group scales are "
                             << groups.getScaleType() << ", not " << to;
    } else if (getRowScales()) {
      if (!blocks)
        return emitOpError() << "source " << ref << " has no block scales";
      if (!to.isF32())
        return emitOpError() << "FP8 row scales are f32";
      shape.back() = (shape.back() + 127) / 128;
      if (getTranspose()) {
        // Transposed scales exist only when each 128-column block of the
        // result lies in one block of the source's scales.
        int64_t period = (*getHeadRows())[0], blockRows = blocks.getBlock().front();
        if (period % 128 != 0 || blockRows % 128 != 0 || (*getHeadRows())[1] % 128 != 0)
          return emitOpError() << "source " << ref << "'s scale blocks do not transpose onto "
                                  "128-column blocks; pack it as f32";
      }
    } else if (groups) {
      if (from != to || packed.getLayout() != type.getLayout())
        return emitOpError() << "source " << ref << " is group_scaled: packed as its codes ("
                             << from << ", " << type.getLayout() << ")";
    } else {
      if (from != to && !to.isF32())
        return emitOpError() << "source " << ref << " of element type " << from
                             << " can only be packed as itself or f32";
      if (blocks && from != to && !getHeadRows())
        return emitOpError() << "source " << ref << " is block-scaled: packed as its codes";
      if (!blocks && !isa<r1::PlainLayoutAttr>(type.getLayout()))
        return emitOpError() << "source " << ref << " has a layout this backend cannot pack yet";
    }
    if (shape.size() != packed.getShape().size())
      return emitOpError() << "source " << ref << " has rank " << shape.size() << ", not "
                           << packed.getShape().size();
    for (size_t d = 0; d < shape.size(); ++d)
      if (int64_t(d) != axis && shape[d] != packed.getShape()[d])
        return emitOpError() << "source " << ref << " does not stack onto " << packed
                             << " along axis " << axis;
    total += shape[axis];
  }
  if (total != packed.getShape()[axis])
    return emitOpError() << "sources stack to " << total << " along axis " << axis
                         << ", but the type has " << packed.getShape()[axis];
  return success();
}

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

LogicalResult BufferOp::verify() {
  auto type = cast<MemRefType>(getType());
  if (!type.getLayout().isIdentity())
    return emitOpError() << "buffers are contiguous row-major";
  for (int64_t dim : type.getShape().drop_front())
    if (ShapedType::isDynamic(dim))
      return emitOpError() << "only the row (token) dimension may be dynamic";
  if (getOffset() && *getOffset() % 64 != 0)
    return emitOpError() << "offset must be 64-byte aligned";
  return success();
}

LogicalResult ViewOp::verify() {
  auto from = cast<MemRefType>(getSource().getType());
  auto to = cast<MemRefType>(getType());
  if (from.getElementType() != to.getElementType() || from.getShape()[0] != to.getShape()[0])
    return emitOpError() << "views keep the element type and the rows";
  auto rowElements = [](MemRefType t) {
    int64_t n = 1;
    for (int64_t d : t.getShape().drop_front())
      n *= d;
    return n;
  };
  if (rowElements(from) != rowElements(to))
    return emitOpError() << "views keep the elements per row";
  return success();
}

//===----------------------------------------------------------------------===//
// Launches
//===----------------------------------------------------------------------===//

LogicalResult LaunchOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto kernel = symbols.lookupNearestSymbolFrom<KernelOp>(*this, getKernelAttr());
  if (!kernel)
    return emitOpError() << "kernel " << getKernelAttr() << " is not an r1k.kernel";
  for (Attribute ref : getWeights())
    if (!symbols.lookupNearestSymbolFrom<PackedWeightOp>(*this, cast<FlatSymbolRefAttr>(ref)))
      return emitOpError() << "weight " << ref << " is not an r1k.packed_weight";

  llvm::StringRef kind = kernel.getKind();
  unsigned ins = 1, outs = 1, weights = 0;
  // FP8 and integer projections take their scales as one more weight.
  const bool scaled = kernel.getParams().get("wtype") &&
                      (kernel.getStr("wtype") == "f8" || kernel.getStr("wtype").starts_with("i"));
  if (kind == "embed" || kind == "rms_norm") {
    weights = 1;
  } else if (kind == "add_rms_norm") {
    ins = 2, outs = 2, weights = 1;
  } else if (kind == "linear") {
    outs = kernel.getInts("n").size();
    weights = 1 + kernel.getBool("bias") + kernel.getBool("norm") + scaled;
  } else if (kind == "gated_linear") {
    weights = 1 + kernel.getBool("norm") + scaled;
  } else if (kind == "concat") {
    ins = 2;
  } else if (kind == "moe_topk") {
    outs = 2, weights = kernel.getBool("bias");
  } else if (kind == "moe_route") {
    outs = 3, weights = 1 + kernel.getBool("bias");
  } else if (kind == "moe_experts") {
    ins = 3, weights = scaled ? 4 : 2;
  } else if (kind == "rope") {
    ins = 2;
  } else if (kind == "attention") {
    ins = 4;
  } else if (kind == "mla") {
    // kv_b (+ scales), then W_UK^T (+ scales) when a phase is absorbed.
    ins = 4;
    weights = 1 + (kernel.getStr("wtype") == "f8");
    if (kernel.getBool("prefill_absorbed") || kernel.getBool("decode_absorbed"))
      weights += 1 + (kernel.getStr("wtype_uk") == "f8");
  } else if (kind == "add" || kind == "mul") {
    ins = 2;
  }
  if (getIns().size() != ins || getOuts().size() != outs || getWeights().size() != weights)
    return emitOpError() << "a '" << kind << "' launch takes " << ins << " inputs, " << outs
                         << " outputs and " << weights << " weights";
  bool cached = kind == "attention" || kind == "mla";
  if (cached != getKvOffset().has_value())
    return emitOpError() << (cached ? "attention and mla need kv_offset"
                                    : "only attention and mla take kv_offset");
  return success();
}

#define GET_OP_CLASSES
#include "dialects/R1KernelPlan.cpp.inc"
