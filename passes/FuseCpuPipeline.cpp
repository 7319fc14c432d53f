//===- FuseCpuPipeline.cpp - r1-fuse-cpu: the CPU fusion pipeline ---------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void r1::buildCpuFusionPipeline(OpPassManager &pm, const R1FuseMlaOptions &mla,
                                const R1SelectWeightLayoutOptions &layout) {
  // Folds (reshape of reshape, whole-range slices) first, so the patterns
  // see the simplest form.
  pm.addPass(createCanonicalizerPass());
  // The order matters; Passes.td says why.
  pm.addNestedPass<func::FuncOp>(createR1FuseMla(mla));
  pm.addPass(createR1SelectWeightLayout(layout));
  pm.addNestedPass<func::FuncOp>(createR1FuseSwiglu());
  pm.addNestedPass<func::FuncOp>(createR1FuseMoeRouting());
  pm.addNestedPass<func::FuncOp>(createR1FuseProjections());
  pm.addNestedPass<func::FuncOp>(createR1FuseResidualNorm());
  pm.addNestedPass<func::FuncOp>(createR1FuseNormProjection());
}

void r1::registerR1Pipelines() {
  PassPipelineRegistration<>("r1-fuse-cpu",
                             "The CPU fusions: canonicalize, r1-fuse-mla, r1-select-weight-layout, r1-fuse-swiglu, r1-fuse-moe-routing, "
                             "r1-fuse-projections, r1-fuse-residual-norm, "
                             "r1-fuse-norm-projection",
                             [](OpPassManager &pm) { buildCpuFusionPipeline(pm); });
}
