//===- R1Attributes.cpp - r1 enums, weight layouts, rope scaling ---------===//

#include "dialects/R1Attributes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace r1;

#include "dialects/R1AttrInterfaces.cpp.inc"
#include "dialects/R1Enums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/R1Attrs.cpp.inc"

void R1Dialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/R1Attrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// PlainLayoutAttr
//===----------------------------------------------------------------------===//

LogicalResult PlainLayoutAttr::verifyWeight(function_ref<InFlightDiagnostic()> emitError,
                                            ArrayRef<int64_t> shape, Type elementType) const {
  // FP8 codes are plain only as r1k packed weights, whose scales are a
  // separate packed weight; r1.weight (a checkpoint tensor) rejects them.
  if (!elementType.isBF16() && !elementType.isF16() && !elementType.isF32() &&
      !isa<Float8E4M3FNType>(elementType))
    return emitError() << "plain layout stores bf16, f16, f32 or (packed) f8E4M3FN elements, not "
                       << elementType;
  return success();
}

SmallVector<int64_t> PlainLayoutAttr::getScaleShape(ArrayRef<int64_t>) const { return {}; }

Type PlainLayoutAttr::getScaleElementType(MLIRContext *) const { return nullptr; }

//===----------------------------------------------------------------------===//
// BlockScaledLayoutAttr
//===----------------------------------------------------------------------===//

LogicalResult BlockScaledLayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                            ArrayRef<int64_t> block) {
  if (block.size() != 2)
    return emitError() << "block_scaled layout needs a 2-d block (rows, columns), got "
                       << block.size() << " dimension(s)";
  if (llvm::any_of(block, [](int64_t b) { return b <= 0; }))
    return emitError() << "block_scaled block sizes must be positive";
  return success();
}

LogicalResult BlockScaledLayoutAttr::verifyWeight(function_ref<InFlightDiagnostic()> emitError,
                                                  ArrayRef<int64_t> shape,
                                                  Type elementType) const {
  if (!isa<Float8E4M3FNType, Float8E5M2Type>(elementType))
    return emitError() << "block_scaled layout stores FP8 (f8E4M3FN or f8E5M2) elements, not "
                       << elementType;
  if (shape.size() < getBlock().size())
    return emitError() << "block_scaled layout with a " << getBlock().size()
                       << "-d block needs a weight of rank >= " << getBlock().size()
                       << ", got rank " << shape.size();
  return success();
}

SmallVector<int64_t> BlockScaledLayoutAttr::getScaleShape(ArrayRef<int64_t> shape) const {
  // Leading (stacked) dimensions keep their size; the last block.size()
  // dimensions are divided into blocks, a partial block counting as one.
  SmallVector<int64_t> scaleShape(shape);
  ArrayRef<int64_t> block = getBlock();
  size_t first = shape.size() - block.size();
  for (size_t i = 0; i < block.size(); ++i)
    scaleShape[first + i] = llvm::divideCeil(shape[first + i], block[i]);
  return scaleShape;
}

Type BlockScaledLayoutAttr::getScaleElementType(MLIRContext *context) const {
  return Float32Type::get(context);
}

//===----------------------------------------------------------------------===//
// GroupScaledLayoutAttr
//===----------------------------------------------------------------------===//

LogicalResult GroupScaledLayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                            int64_t groupSize, Type scaleType) {
  if (groupSize <= 0)
    return emitError() << "group_scaled group size must be positive, got " << groupSize;
  if (!scaleType.isBF16() && !scaleType.isF16() && !scaleType.isF32())
    return emitError() << "group_scaled scales are bf16, f16 or f32, not " << scaleType;
  return success();
}

LogicalResult GroupScaledLayoutAttr::verifyWeight(function_ref<InFlightDiagnostic()> emitError,
                                                  ArrayRef<int64_t> shape,
                                                  Type elementType) const {
  if (!elementType.isSignlessInteger(4) && !elementType.isSignlessInteger(8))
    return emitError() << "group_scaled layout stores i4 or i8 elements, not " << elementType;
  if (shape.empty() || shape.back() % getGroupSize() != 0)
    return emitError() << "group_scaled layout needs the last dimension ("
                       << (shape.empty() ? 0 : shape.back())
                       << ") to be a multiple of the group size (" << getGroupSize() << ")";
  return success();
}

SmallVector<int64_t> GroupScaledLayoutAttr::getScaleShape(ArrayRef<int64_t> shape) const {
  SmallVector<int64_t> scaleShape(shape);
  scaleShape.back() = shape.back() / getGroupSize();
  return scaleShape;
}

Type GroupScaledLayoutAttr::getScaleElementType(MLIRContext *) const { return getScaleType(); }

//===----------------------------------------------------------------------===//
// Rope scaling
//===----------------------------------------------------------------------===//

LogicalResult YarnScalingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                      APFloat factorValue, int64_t originalMaxPositions,
                                      APFloat betaFastValue, APFloat betaSlowValue,
                                      APFloat mscaleValue, APFloat mscaleAllDimValue) {
  double factor = factorValue.convertToDouble();
  double betaFast = betaFastValue.convertToDouble(), betaSlow = betaSlowValue.convertToDouble();
  double mscale = mscaleValue.convertToDouble();
  double mscaleAllDim = mscaleAllDimValue.convertToDouble();
  if (!(factor >= 1.0))
    return emitError() << "yarn factor must be >= 1, got " << factor;
  if (originalMaxPositions <= 0)
    return emitError() << "yarn original_max_positions must be positive";
  if (!(betaFast > 0.0) || !(betaSlow > 0.0))
    return emitError() << "yarn beta_fast and beta_slow must be positive";
  if (!(mscale >= 0.0) || !(mscaleAllDim >= 0.0))
    return emitError() << "yarn mscale and mscale_all_dim must be non-negative";
  return success();
}

LogicalResult Llama3ScalingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                        APFloat factorValue, APFloat lowFreqFactorValue,
                                        APFloat highFreqFactorValue,
                                        int64_t originalMaxPositions) {
  double factor = factorValue.convertToDouble();
  double lowFreqFactor = lowFreqFactorValue.convertToDouble();
  double highFreqFactor = highFreqFactorValue.convertToDouble();
  if (!(factor > 0.0))
    return emitError() << "llama3 factor must be positive, got " << factor;
  if (!(lowFreqFactor > 0.0) || !(highFreqFactor > lowFreqFactor))
    return emitError() << "llama3 scaling needs 0 < low_freq_factor < high_freq_factor, got "
                       << lowFreqFactor << " and " << highFreqFactor;
  if (originalMaxPositions <= 0)
    return emitError() << "llama3 original_max_positions must be positive";
  return success();
}

//===----------------------------------------------------------------------===//
// ModelAttr
//===----------------------------------------------------------------------===//

LogicalResult ModelAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                StringRef architecture, int64_t vocabSize, int64_t hiddenSize,
                                int64_t numLayers, int64_t numMtpLayers, int64_t maxPositions,
                                int64_t bos, ArrayRef<int64_t> eos) {
  if (vocabSize <= 0 || hiddenSize <= 0 || numLayers <= 0 || maxPositions <= 0)
    return emitError() << "model vocab_size, hidden_size, num_layers and max_positions must be "
                          "positive";
  if (numMtpLayers < 0)
    return emitError() << "model num_mtp_layers must be non-negative";
  if (bos < -1 || bos >= vocabSize)
    return emitError() << "model bos " << bos << " is outside the vocabulary [0, " << vocabSize
                       << ")";
  for (int64_t id : eos)
    if (id < 0 || id >= vocabSize)
      return emitError() << "model eos " << id << " is outside the vocabulary [0, " << vocabSize
                         << ")";
  return success();
}
