//===- R1Attributes.h - r1 enums, layout interface and attributes ---------===//
#ifndef R1C_DIALECTS_R1ATTRIBUTES_H
#define R1C_DIALECTS_R1ATTRIBUTES_H

#include "dialects/R1Dialect.h"

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"

#include "dialects/R1Enums.h.inc"
#include "dialects/R1AttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/R1Attrs.h.inc"

#endif // R1C_DIALECTS_R1ATTRIBUTES_H
