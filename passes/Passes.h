//===- Passes.h - r1 passes ------------------------------------------------===//
#ifndef R1C_PASSES_PASSES_H
#define R1C_PASSES_PASSES_H

#include "dialects/R1Ops.h"

#include "mlir/Pass/Pass.h"

namespace r1 {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace r1

#endif // R1C_PASSES_PASSES_H
