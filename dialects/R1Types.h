//===- R1Types.h - r1 types -----------------------------------------------===//
#ifndef R1C_DIALECTS_R1TYPES_H
#define R1C_DIALECTS_R1TYPES_H

#include "dialects/R1Attributes.h"

#include "mlir/IR/Types.h"

#define GET_TYPEDEF_CLASSES
#include "dialects/R1Types.h.inc"

#endif // R1C_DIALECTS_R1TYPES_H
