//===- R1KernelPlan.h - The r1k dialect (kernel launch plans) -------------===//
#ifndef R1C_DIALECTS_R1KERNELPLAN_H
#define R1C_DIALECTS_R1KERNELPLAN_H

#include "dialects/R1Ops.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/R1KernelPlanDialect.h.inc"


#define GET_OP_CLASSES
#include "dialects/R1KernelPlan.h.inc"

#endif // R1C_DIALECTS_R1KERNELPLAN_H
