//===- Passes.h - r1 passes ------------------------------------------------===//
#ifndef R1C_PASSES_PASSES_H
#define R1C_PASSES_PASSES_H

#include "dialects/R1Ops.h"

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir {
class RewriterBase;
} // namespace mlir

namespace r1 {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Adds the CPU fusion passes to `pm`, which must be anchored on
/// builtin.module: canonicalize, then on each func.func r1-fuse-mla (with
/// `mla`'s cost-model figures and forced forms), r1-select-weight-layout
/// (`layout`: W8A8 or weight-only FP8), r1-fuse-swiglu,
/// r1-fuse-moe-routing, r1-fuse-projections, r1-fuse-residual-norm,
/// r1-fuse-norm-projection.
void buildCpuFusionPipeline(mlir::OpPassManager &pm, const R1FuseMlaOptions &mla = {},
                            const R1SelectWeightLayoutOptions &layout = {});

/// Registers the r1 pass pipelines (`r1-fuse-cpu`) for command-line use.
void registerR1Pipelines();

/// Fusion passes that hoist an op above the reads of its weights use these
/// two. A weight can be used right before `op` when it is defined before `op`
/// in its block or an enclosing one (or is such a block's argument), or when
/// it is read by an `r1.weight.get`, which can be repeated there.
bool canMaterializeWeightBefore(mlir::Value weight, mlir::Operation *op);

/// `weight` itself when it is available before `op`, else a new
/// `r1.weight.get` of the same symbol created right before `op`. Requires
/// canMaterializeWeightBefore(weight, op).
mlir::Value materializeWeightBefore(mlir::Value weight, mlir::Operation *op,
                                    mlir::RewriterBase &rewriter);

} // namespace r1

#endif // R1C_PASSES_PASSES_H
