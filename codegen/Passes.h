//===- Passes.h - Passes of the codegen component --------------------------===//
#ifndef R1C_CODEGEN_PASSES_H
#define R1C_CODEGEN_PASSES_H

#include "dialects/R1KernelPlan.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Pass/Pass.h"

namespace r1 {

#define GEN_PASS_DECL
#include "codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "codegen/Passes.h.inc"

} // namespace r1

#endif // R1C_CODEGEN_PASSES_H
