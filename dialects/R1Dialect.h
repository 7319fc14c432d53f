//===- R1Dialect.h - The r1 dialect ---------------------------------------===//
//
// Include "dialects/R1Ops.h" to get the whole dialect (attributes, types and
// ops); this header declares only the dialect class.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_DIALECTS_R1DIALECT_H
#define R1C_DIALECTS_R1DIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dialect.h"

#include "dialects/R1Dialect.h.inc"

#endif // R1C_DIALECTS_R1DIALECT_H
