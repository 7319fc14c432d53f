//===- R1Ops.cpp - Verifiers and folders of r1 operations ----------------===//
//
// Shapes are checked as far as they are static: the token dimension is
// usually dynamic (`?`), and a dynamic dimension is compatible with any size.
//
//===----------------------------------------------------------------------===//

#include "dialects/R1Ops.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace r1;

namespace {

/// Parses an enum written as a bare keyword (`interleaved`, `sigmoid`):
/// `symbolize` maps the keyword to the enum; `expected` names the choices in
/// the error.
template <typename AttrT, typename SymbolizeFn>
ParseResult parseKeywordEnum(OpAsmParser &parser, AttrT &attr, SymbolizeFn symbolize,
                             StringRef expected) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  auto value = symbolize(keyword);
  if (!value)
    return parser.emitError(loc, "expected ") << expected << ", got '" << keyword << "'";
  attr = AttrT::get(parser.getContext(), *value);
  return success();
}

// `interleaved` / `half` as a bare keyword in r1.rope's assembly.
ParseResult parseRopeStyle(OpAsmParser &parser, RopeStyleAttr &style) {
  return parseKeywordEnum(
      parser, style, [](StringRef k) { return symbolizeRopeStyle(k); },
      "rope style 'interleaved' or 'half'");
}

void printRopeStyle(OpAsmPrinter &printer, Operation *, RopeStyleAttr style) {
  printer << stringifyRopeStyle(style.getValue());
}

// `sigmoid` / `softmax` as a bare keyword in r1.moe.route's assembly.
ParseResult parseRouterScoring(OpAsmParser &parser, RouterScoringAttr &scoring) {
  return parseKeywordEnum(
      parser, scoring, [](StringRef k) { return symbolizeRouterScoring(k); },
      "scoring function 'sigmoid' or 'softmax'");
}

void printRouterScoring(OpAsmPrinter &printer, Operation *, RouterScoringAttr scoring) {
  printer << stringifyRouterScoring(scoring.getValue());
}

// `materialized` / `absorbed` as a bare keyword in r1.mla's assembly.
ParseResult parseMlaForm(OpAsmParser &parser, MlaFormAttr &form) {
  return parseKeywordEnum(
      parser, form, [](StringRef k) { return symbolizeMlaForm(k); },
      "MLA form 'materialized' or 'absorbed'");
}

void printMlaForm(OpAsmPrinter &printer, Operation *, MlaFormAttr form) {
  printer << stringifyMlaForm(form.getValue());
}

} // namespace

#define GET_OP_CLASSES
#include "dialects/R1Ops.cpp.inc"

namespace {

bool dimsCompatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// All dimensions but the last are pairwise compatible.
bool leadingDimsCompatible(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.size() != b.size() || a.empty())
    return false;
  for (size_t i = 0; i + 1 < a.size(); ++i)
    if (!dimsCompatible(a[i], b[i]))
      return false;
  return true;
}

RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }
WeightType weightType(Value v) { return cast<WeightType>(v.getType()); }

} // namespace

//===----------------------------------------------------------------------===//
// WeightOp, WeightGetOp
//===----------------------------------------------------------------------===//

bool WeightOp::isStackedFromExperts() { return getSource().contains(kExpertPlaceholder); }

std::string r1::expertSourceName(StringRef sourceTemplate, int64_t expert) {
  std::string name = sourceTemplate.str();
  size_t at = name.find(kExpertPlaceholder.data());
  if (at != std::string::npos)
    name.replace(at, kExpertPlaceholder.size(), std::to_string(expert));
  return name;
}

std::string WeightOp::getSourceFor(int64_t index) { return expertSourceName(getSource(), index); }

LogicalResult WeightOp::verify() {
  WeightType type = getWeightType();
  if (getSource().empty())
    return emitOpError("needs a non-empty source tensor name");
  if (isStackedFromExperts() && type.getRank() < 2)
    return emitOpError("stacks experts along dimension 0 (source has '")
           << kExpertPlaceholder << "') and so needs rank >= 2, got " << type;
  // The scale source belongs to the checkpoint's type, which is `from` for
  // a weight converted at compile time.
  WeightType stored = getSourceType();
  if (getFrom()) {
    if (stored.getShape() != type.getShape())
      return emitOpError("converts from ") << stored << " to " << type
                                           << ", which differ in shape";
    if (isa<GroupScaledLayoutAttr>(stored.getLayout()))
      return emitOpError("converts from a group_scaled checkpoint type, which r1c does not read");
  }
  bool hasScales = !stored.getScaleShape().empty();
  std::optional<StringRef> scaleSource = getScaleSource();
  if (scaleSource && !hasScales)
    return emitOpError("has a scale source but its layout ") << stored.getLayout()
           << " has no scales";
  if (isa<Float8E4M3FNType>(type.getElementType()) && type.getScaleShape().empty())
    return emitOpError("holds FP8 values without scales; checkpoint FP8 weights are "
                       "#r1.block_scaled (the plain FP8 layout is for r1k packed codes)");
  if (!scaleSource && isa<BlockScaledLayoutAttr>(stored.getLayout()))
    return emitOpError("with a block_scaled layout needs a scale source (the checkpoint's "
                       "*_scale_inv tensor)");
  if (scaleSource && scaleSource->contains(kExpertPlaceholder) != isStackedFromExperts())
    return emitOpError("source and scale source must both or neither contain '")
           << kExpertPlaceholder << "'";
  return success();
}

LogicalResult WeightGetOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto weight = symbolTable.lookupNearestSymbolFrom<WeightOp>(*this, getNameAttr());
  if (!weight)
    return emitOpError("refers to '") << getName() << "', which is not an r1.weight";
  if (weight.getType() != getResult().getType())
    return emitOpError("result type ") << getResult().getType() << " does not match the type "
           << weight.getType() << " of weight '" << getName() << "'";
  return success();
}

//===----------------------------------------------------------------------===//
// EmbedOp, RmsNormOp, LinearOp
//===----------------------------------------------------------------------===//

LogicalResult EmbedOp::verify() {
  WeightType table = weightType(getTable());
  RankedTensorType result = tensorType(getResult());
  if (table.getRank() != 2)
    return emitOpError("table must be [vocab, hidden], got ") << table;
  if (result.getRank() != 2 || !dimsCompatible(result.getDimSize(1), table.getShape()[1]))
    return emitOpError("result must be [tokens, ") << table.getShape()[1] << "], got " << result;
  if (!dimsCompatible(result.getDimSize(0), tensorType(getTokens()).getDimSize(0)))
    return emitOpError("result has ") << result.getDimSize(0) << " tokens but the input has "
                                      << tensorType(getTokens()).getDimSize(0);
  return success();
}

/// The checks r1.rms_norm and r1.add_rms_norm share: a [H] weight for an
/// input of last dimension H, and a positive epsilon.
static LogicalResult verifyRmsNorm(Operation *op, Value weightValue, Value inputValue,
                                   const APFloat &epsilon) {
  WeightType weight = weightType(weightValue);
  RankedTensorType input = tensorType(inputValue);
  if (weight.getRank() != 1 || weight.getShape()[0] != input.getShape().back())
    return op->emitOpError("weight must be [") << input.getShape().back()
           << "] to match the last dimension of the input, got " << weight;
  if (!(epsilon.convertToDouble() > 0.0))
    return op->emitOpError("epsilon must be positive");
  return success();
}

LogicalResult RmsNormOp::verify() {
  return verifyRmsNorm(*this, getWeight(), getInput(), getEpsilon());
}

LogicalResult LinearOp::verify() {
  WeightType weight = weightType(getWeight());
  RankedTensorType input = tensorType(getInput());
  RankedTensorType result = tensorType(getResult());
  if (weight.getRank() != 2)
    return emitOpError("weight must be [out, in], got ") << weight;
  int64_t out = weight.getShape()[0], in = weight.getShape()[1];
  if (!dimsCompatible(input.getShape().back(), in))
    return emitOpError("input's last dimension ") << input.getShape().back()
           << " does not match the weight's input dimension " << in << " (weight " << weight
           << ")";
  if (!leadingDimsCompatible(input.getShape(), result.getShape()) ||
      result.getShape().back() != out)
    return emitOpError("result must be the input's shape with the last dimension ")
           << out << ", got " << result << " for input " << input;
  if (input.getElementType() != result.getElementType())
    return emitOpError("input and result element types differ");
  if (Value bias = getBias()) {
    WeightType biasType = weightType(bias);
    if (biasType.getRank() != 1 || biasType.getShape()[0] != out)
      return emitOpError("bias must be [") << out << "], got " << biasType;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// SliceOp, ConcatOp, ReshapeOp, BroadcastOp
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::verify() {
  RankedTensorType input = tensorType(getInput());
  RankedTensorType result = tensorType(getResult());
  int64_t last = input.getShape().back();
  int64_t offset = getOffset(), size = getSize();
  if (ShapedType::isDynamic(last))
    return emitOpError("needs a static last dimension");
  if (offset < 0 || size <= 0 || offset + size > last)
    return emitOpError("range [") << offset << ", " << offset + size
                                  << ") is not inside the last dimension of size " << last;
  if (!leadingDimsCompatible(input.getShape(), result.getShape()) ||
      result.getShape().back() != size || input.getElementType() != result.getElementType())
    return emitOpError("result must be the input's shape with the last dimension ")
           << size << ", got " << result;
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  if (getOffset() == 0 && getInput().getType() == getType())
    return getInput();
  return {};
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  RankedTensorType result = tensorType(getResult());
  int64_t total = 0;
  for (Value input : getInputs()) {
    RankedTensorType type = tensorType(input);
    if (!leadingDimsCompatible(type.getShape(), result.getShape()) ||
        type.getElementType() != result.getElementType())
      return emitOpError("input ") << type << " does not match the leading dimensions and "
                                   << "element type of the result " << result;
    if (ShapedType::isDynamic(type.getShape().back()))
      return emitOpError("inputs need a static last dimension");
    total += type.getShape().back();
  }
  if (result.getShape().back() != total)
    return emitOpError("result's last dimension must be the sum of the inputs' (")
           << total << "), got " << result.getShape().back();
  return success();
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  return {};
}

LogicalResult ReshapeOp::verify() {
  RankedTensorType input = tensorType(getInput());
  RankedTensorType result = tensorType(getResult());
  if (input.getElementType() != result.getElementType())
    return emitOpError("input and result element types differ");
  if (!dimsCompatible(input.getDimSize(0), result.getDimSize(0)))
    return emitOpError("must keep the token dimension");
  auto product = [](ArrayRef<int64_t> dims) -> std::optional<int64_t> {
    int64_t n = 1;
    for (int64_t d : dims.drop_front()) {
      if (ShapedType::isDynamic(d))
        return std::nullopt;
      n *= d;
    }
    return n;
  };
  std::optional<int64_t> in = product(input.getShape()), out = product(result.getShape());
  if (!in || !out)
    return emitOpError("needs static dimensions after the token dimension");
  if (*in != *out)
    return emitOpError("changes the elements per token from ") << *in << " to " << *out;
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // reshape(reshape(x)) = reshape(x): only the final grouping matters.
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  return {};
}

LogicalResult BroadcastOp::verify() {
  RankedTensorType input = tensorType(getInput());
  RankedTensorType result = tensorType(getResult());
  if (input.getRank() != result.getRank() || input.getElementType() != result.getElementType())
    return emitOpError("input and result must have the same rank and element type");
  for (int64_t i = 0; i < input.getRank(); ++i) {
    int64_t from = input.getDimSize(i), to = result.getDimSize(i);
    if (!dimsCompatible(from, to) && from != 1)
      return emitOpError("cannot broadcast dimension ") << i << " from " << from << " to " << to;
  }
  return success();
}

OpFoldResult BroadcastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// RopeOp, AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::verify() {
  RankedTensorType input = tensorType(getInput());
  if (input.getRank() != 3)
    return emitOpError("input must be [tokens, heads, dim], got ") << input;
  int64_t dim = input.getDimSize(2);
  if (ShapedType::isDynamic(dim) || dim % 2 != 0)
    return emitOpError("rotates pairs, so the last dimension must be static and even, got ")
           << dim;
  if (!dimsCompatible(input.getDimSize(0), tensorType(getPositions()).getDimSize(0)))
    return emitOpError("needs one position per token");
  if (!(getTheta().convertToDouble() > 0.0))
    return emitOpError("theta must be positive");
  return success();
}

LogicalResult AttentionOp::verify() {
  RankedTensorType q = tensorType(getQuery()), k = tensorType(getKey()),
                   v = tensorType(getValue()), out = tensorType(getResult());
  for (RankedTensorType t : {q, k, v, out})
    if (t.getRank() != 3)
      return emitOpError("query, key, value and result must be [tokens, heads, dim], got ") << t;
  for (RankedTensorType t : {k, v, out})
    if (t.getElementType() != q.getElementType())
      return emitOpError("query, key, value and result must share an element type");
  int64_t tokens = q.getDimSize(0);
  for (RankedTensorType t : {k, v, out})
    if (!dimsCompatible(t.getDimSize(0), tokens))
      return emitOpError("query, key, value and result must have the same number of tokens");
  if (!dimsCompatible(tensorType(getPositions()).getDimSize(0), tokens))
    return emitOpError("needs one position per token");
  int64_t qHeads = q.getDimSize(1), kvHeads = k.getDimSize(1);
  if (v.getDimSize(1) != kvHeads)
    return emitOpError("key and value must have the same number of heads, got ")
           << kvHeads << " and " << v.getDimSize(1);
  if (kvHeads <= 0 || qHeads % kvHeads != 0)
    return emitOpError("query heads (") << qHeads << ") must be a multiple of key/value heads ("
                                        << kvHeads << ")";
  if (q.getDimSize(2) != k.getDimSize(2))
    return emitOpError("query and key head dims differ: ") << q.getDimSize(2) << " vs "
                                                           << k.getDimSize(2);
  if (out.getDimSize(1) != qHeads || out.getDimSize(2) != v.getDimSize(2))
    return emitOpError("result must be [tokens, ") << qHeads << ", " << v.getDimSize(2)
                                                   << "], got " << out;
  if (!(getScale().convertToDouble() > 0.0))
    return emitOpError("scale must be positive");
  return success();
}

//===----------------------------------------------------------------------===//
// MlaOp
//===----------------------------------------------------------------------===//

int64_t MlaOp::getHeads() { return tensorType(getQuery()).getDimSize(1); }
int64_t MlaOp::getRopeDim() { return tensorType(getKeyRope()).getDimSize(2); }
int64_t MlaOp::getNopeDim() { return tensorType(getQuery()).getDimSize(2) - getRopeDim(); }
int64_t MlaOp::getValueDim() { return tensorType(getResult()).getDimSize(2); }
int64_t MlaOp::getRank() { return tensorType(getLatent()).getDimSize(1); }

LogicalResult MlaOp::verify() {
  RankedTensorType q = tensorType(getQuery()), latent = tensorType(getLatent()),
                   kpe = tensorType(getKeyRope()), out = tensorType(getResult());
  if (q.getRank() != 3 || kpe.getRank() != 3 || out.getRank() != 3)
    return emitOpError("query, key_rope and result must be [tokens, heads, dim]");
  if (latent.getRank() != 2)
    return emitOpError("latent must be [tokens, kv_lora_rank], got ") << latent;
  for (RankedTensorType t : {latent, kpe, out})
    if (t.getElementType() != q.getElementType())
      return emitOpError("query, latent, key_rope and result must share an element type");
  int64_t tokens = q.getDimSize(0);
  for (RankedTensorType t : {latent, kpe, out})
    if (!dimsCompatible(t.getDimSize(0), tokens))
      return emitOpError("query, latent, key_rope and result must have the same number of tokens");
  if (!dimsCompatible(tensorType(getPositions()).getDimSize(0), tokens))
    return emitOpError("needs one position per token");
  for (RankedTensorType t : {q, latent, kpe, out})
    for (int64_t d : t.getShape().drop_front())
      if (ShapedType::isDynamic(d) || d <= 0)
        return emitOpError("head counts and dims must be static and positive, got ") << t;
  if (kpe.getDimSize(1) != 1)
    return emitOpError("key_rope must be one head shared by all query heads, got ") << kpe;
  int64_t heads = q.getDimSize(1), rope = kpe.getDimSize(2), nope = q.getDimSize(2) - rope;
  if (nope <= 0)
    return emitOpError("query head dim (") << q.getDimSize(2)
                                           << ") must exceed the rope dim (" << rope << ")";
  if (out.getDimSize(1) != heads)
    return emitOpError("result must have ") << heads << " heads, got " << out;
  auto kvB = cast<WeightType>(getKvB().getType());
  int64_t rows = heads * (nope + out.getDimSize(2));
  if (kvB.getShape().size() != 2 || kvB.getShape()[0] != rows ||
      kvB.getShape()[1] != latent.getDimSize(1))
    return emitOpError("kv_b must be [heads * (nope + v), kv_lora_rank] = [")
           << rows << ", " << latent.getDimSize(1) << "], got " << kvB;
  if (!(getScale().convertToDouble() > 0.0))
    return emitOpError("scale must be positive");
  return success();
}

//===----------------------------------------------------------------------===//
// MoeTopkOp, MoeRouteOp, MoeExpertsOp
//===----------------------------------------------------------------------===//

namespace {

/// The checks r1.moe.topk and r1.moe.route share: `experts` scores per token
/// (static) for `tokens` tokens (usually dynamic).
LogicalResult verifyRouting(Operation *op, int64_t tokens, int64_t experts, Value bias,
                            int64_t topK, int64_t groups, int64_t keptGroups,
                            GroupScore groupScore, double scalingFactor, Value ids,
                            Value weights) {
  if (bias) {
    WeightType biasType = weightType(bias);
    if (biasType.getRank() != 1 || biasType.getShape()[0] != experts)
      return op->emitOpError("bias must be [") << experts << "], got " << biasType;
  }
  if (experts % groups != 0)
    return op->emitOpError("num_groups (") << groups << ") must divide the expert count ("
                                           << experts << ")";
  if (keptGroups > groups)
    return op->emitOpError("topk_groups (") << keptGroups << ") must not exceed num_groups ("
                                            << groups << ")";
  int64_t perGroup = experts / groups;
  if (topK > keptGroups * perGroup)
    return op->emitOpError("top_k (") << topK << ") exceeds the " << keptGroups * perGroup
                                      << " experts in the " << keptGroups << " kept group(s)";
  switch (groupScore) {
  case GroupScore::None:
    if (groups != 1 || keptGroups != 1)
      return op->emitOpError("group_score none means one group: num_groups and topk_groups "
                             "must be 1");
    break;
  case GroupScore::Top2Sum:
    if (perGroup < 2)
      return op->emitOpError("group_score top2_sum needs at least 2 experts per group, got ")
             << perGroup;
    break;
  case GroupScore::Max:
    break;
  }
  if (!(scalingFactor > 0.0))
    return op->emitOpError("scaling_factor must be positive");
  for (Value result : {ids, weights}) {
    RankedTensorType type = tensorType(result);
    if (!dimsCompatible(type.getDimSize(0), tokens) || type.getDimSize(1) != topK)
      return op->emitOpError("results must be [tokens, ") << topK << "], got " << type;
  }
  return success();
}

} // namespace

LogicalResult MoeTopkOp::verify() {
  RankedTensorType scores = tensorType(getScores());
  if (scores.getRank() != 2 || ShapedType::isDynamic(scores.getDimSize(1)))
    return emitOpError("scores must be [tokens, experts] with a static expert count, got ")
           << scores;
  return verifyRouting(*this, scores.getDimSize(0), scores.getDimSize(1), getBias(), getTopK(),
                       getNumGroups(), getTopkGroups(), getGroupScore(),
                       getScalingFactor().convertToDouble(), getIds(), getWeights());
}

LogicalResult MoeRouteOp::verify() {
  RankedTensorType input = tensorType(getInput());
  if (input.getRank() != 2)
    return emitOpError("input must be [tokens, hidden], got ") << input;
  WeightType gate = weightType(getGate());
  if (gate.getRank() != 2 || !dimsCompatible(input.getDimSize(1), gate.getShape()[1]))
    return emitOpError("gate must be [experts, hidden] with the input's hidden size (input ")
           << input << "), got " << gate;
  return verifyRouting(*this, input.getDimSize(0), gate.getShape()[0], getBias(), getTopK(),
                       getNumGroups(), getTopkGroups(), getGroupScore(),
                       getScalingFactor().convertToDouble(), getIds(), getWeights());
}

LogicalResult MoeExpertsOp::verify() {
  RankedTensorType input = tensorType(getInput());
  if (input.getRank() != 2 || input != getResult().getType())
    return emitOpError("input and result must be the same [tokens, hidden] type");
  RankedTensorType ids = tensorType(getIds()), weights = tensorType(getWeights());
  if (ids.getShape() != weights.getShape() ||
      !dimsCompatible(ids.getDimSize(0), input.getDimSize(0)))
    return emitOpError("ids and weights must both be [tokens, top_k]");
  WeightType gate = weightType(getGate()), up = weightType(getUp()),
             down = weightType(getDown());
  if (gate.getRank() != 3 || up.getShape() != gate.getShape() || down.getRank() != 3)
    return emitOpError("gate and up must be [experts, inter, hidden] and down [experts, "
                       "hidden, inter]");
  int64_t experts = gate.getShape()[0], inter = gate.getShape()[1], hidden = gate.getShape()[2];
  if (hidden != input.getDimSize(1))
    return emitOpError("expert hidden size ") << hidden << " does not match the input's "
                                              << input.getDimSize(1);
  if (down.getShape() != ArrayRef<int64_t>{experts, hidden, inter})
    return emitOpError("down must be [") << experts << ", " << hidden << ", " << inter
                                         << "], got " << down;
  return success();
}

//===----------------------------------------------------------------------===//
// AddRmsNormOp, FusedLinearOp, GatedLinearOp
//===----------------------------------------------------------------------===//

namespace {

/// The optional leading normalization of fused_linear / gated_linear: the
/// weight is [K] for an input [..., K], and `epsilon` is given exactly when
/// the weight is, and is positive.
LogicalResult verifyOptionalNorm(Operation *op, RankedTensorType input, Value normWeight,
                                 std::optional<APFloat> epsilon) {
  if (normWeight && !epsilon)
    return op->emitOpError("has a norm weight but no epsilon");
  if (!normWeight && epsilon)
    return op->emitOpError("has an epsilon but no norm weight");
  if (!normWeight)
    return success();
  WeightType weight = weightType(normWeight);
  if (weight.getRank() != 1 || !dimsCompatible(weight.getShape()[0], input.getShape().back()))
    return op->emitOpError("norm weight must be [")
           << input.getShape().back() << "] to match the last dimension of the input, got "
           << weight;
  if (!(epsilon->convertToDouble() > 0.0))
    return op->emitOpError("epsilon must be positive");
  return success();
}

/// `result` is `input`'s shape with the last dimension `out`, same element
/// type.
bool isProjectionOf(RankedTensorType input, RankedTensorType result, int64_t out) {
  return leadingDimsCompatible(input.getShape(), result.getShape()) &&
         result.getShape().back() == out && input.getElementType() == result.getElementType();
}

} // namespace

LogicalResult AddRmsNormOp::verify() {
  return verifyRmsNorm(*this, getWeight(), getInput(), getEpsilon());
}

LogicalResult FusedLinearOp::verify() {
  RankedTensorType input = tensorType(getInput());
  size_t numWeights = getWeights().size();
  if (numWeights == 0)
    return emitOpError("needs at least one weight");
  if (!getBiases().empty() && getBiases().size() != numWeights)
    return emitOpError("has ") << getBiases().size() << " biases for " << numWeights
                               << " weights: give one per weight or none";
  if (getResults().size() != numWeights)
    return emitOpError("has ") << getResults().size() << " results for " << numWeights
                               << " weights: needs one per weight";
  if (failed(verifyOptionalNorm(*this, input, getNormWeight(), getEpsilon())))
    return failure();
  WeightType first = weightType(getWeights()[0]);
  for (auto [i, value] : llvm::enumerate(getWeights())) {
    WeightType weight = weightType(value);
    if (weight.getRank() != 2)
      return emitOpError("weight #") << i << " must be [out, in], got " << weight;
    int64_t out = weight.getShape()[0], in = weight.getShape()[1];
    if (!dimsCompatible(input.getShape().back(), in))
      return emitOpError("weight #") << i << "'s input dimension " << in
             << " does not match the input's last dimension " << input.getShape().back();
    if (weight.getElementType() != first.getElementType())
      return emitOpError("weights must share one element type: weight #0 has ")
             << first.getElementType() << ", weight #" << i << " has "
             << weight.getElementType();
    if (weight.getLayout() != first.getLayout())
      return emitOpError("weights must share one layout: weight #0 has ")
             << first.getLayout() << ", weight #" << i << " has " << weight.getLayout();
    RankedTensorType result = tensorType(getResults()[i]);
    if (!isProjectionOf(input, result, out))
      return emitOpError("result #") << i << " must be the input's shape with the last dimension "
                                     << out << ", got " << result << " for input " << input;
    if (!getBiases().empty()) {
      WeightType bias = weightType(getBiases()[i]);
      if (bias.getRank() != 1 || bias.getShape()[0] != out)
        return emitOpError("bias #") << i << " must be [" << out << "], got " << bias;
    }
  }
  return success();
}

LogicalResult GatedLinearOp::verify() {
  RankedTensorType input = tensorType(getInput());
  WeightType gate = weightType(getGate()), up = weightType(getUp());
  if (failed(verifyOptionalNorm(*this, input, getNormWeight(), getEpsilon())))
    return failure();
  if (gate.getRank() != 2 || up.getShape() != gate.getShape())
    return emitOpError("gate and up must both be [inter, in], got ") << gate << " and " << up;
  if (gate.getElementType() != up.getElementType() || gate.getLayout() != up.getLayout())
    return emitOpError("gate and up must share one element type and layout, got ")
           << gate << " and " << up;
  int64_t inter = gate.getShape()[0], in = gate.getShape()[1];
  if (!dimsCompatible(input.getShape().back(), in))
    return emitOpError("input's last dimension ") << input.getShape().back()
           << " does not match the weights' input dimension " << in;
  RankedTensorType result = tensorType(getResult());
  if (!isProjectionOf(input, result, inter))
    return emitOpError("result must be the input's shape with the last dimension ")
           << inter << ", got " << result << " for input " << input;
  return success();
}
