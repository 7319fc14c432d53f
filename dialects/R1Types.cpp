//===- R1Types.cpp - The r1 weight type ----------------------------------===//

#include "dialects/R1Types.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace r1;

#define GET_TYPEDEF_CLASSES
#include "dialects/R1Types.cpp.inc"

void R1Dialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/R1Types.cpp.inc"
      >();
}

// !r1.weight<96x128xf8E4M3FN, #r1.block_scaled<[128, 128]>>, or without the
// layout when it is #r1.plain.
Type WeightType::parse(AsmParser &parser) {
  SmallVector<int64_t> shape;
  Type elementType;
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/false, /*withTrailingX=*/true) ||
      parser.parseType(elementType))
    return {};

  WeightLayoutAttrInterface layout = PlainLayoutAttr::get(parser.getContext());
  if (succeeded(parser.parseOptionalComma())) {
    SMLoc layoutLoc = parser.getCurrentLocation();
    Attribute attr;
    if (parser.parseAttribute(attr))
      return {};
    layout = dyn_cast<WeightLayoutAttrInterface>(attr);
    if (!layout) {
      parser.emitError(layoutLoc) << "expected a weight layout attribute, got " << attr;
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<WeightType>(parser.getContext(), shape, elementType, layout);
}

void WeightType::print(AsmPrinter &printer) const {
  printer << "<";
  printer.printDimensionList(getShape());
  printer << "x" << getElementType();
  if (!isa<PlainLayoutAttr>(getLayout()))
    printer << ", " << getLayout();
  printer << ">";
}

LogicalResult WeightType::verify(function_ref<InFlightDiagnostic()> emitError,
                                 ArrayRef<int64_t> shape, Type elementType,
                                 WeightLayoutAttrInterface layout) {
  if (shape.empty())
    return emitError() << "weight must have rank >= 1";
  if (llvm::any_of(shape, [](int64_t d) { return d <= 0; }))
    return emitError() << "weight dimensions must be static and positive";
  if (!layout)
    return emitError() << "weight needs a layout";
  return layout.verifyWeight(emitError, shape, elementType);
}

int64_t WeightType::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : getShape())
    n *= d;
  return n;
}
