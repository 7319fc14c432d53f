//===- CudaEmitter.h - r1k plan -> CUDA C++ and a launch plan -------------===//
//
// The CUDA backend's code generator. From a module after r1-plan-memory it
// writes
//  - one CUDA C++ translation unit: every r1k.kernel becomes one or two
//    `extern "C" __global__` kernels (named after the plan's kernel, so that
//    PTX, ptxas reports and overrides use those names) instantiating the
//    device bodies of codegen/cuda/kernels/ with the model's dimensions as
//    constants; the same file compiles as plain C++ against the host
//    emulation (R1CudaEmu.h) and then also exports a launcher for it;
//  - the launch plan: per phase (prefill: any row count; decode: one row) the
//    kernels to launch in order, with their grid, block, shared memory and
//    arguments (arena offsets, weight indices, KV-cache slices). The runtime
//    executes it through the CUDA driver API (or the emulation) and knows
//    nothing else about the model.
// docs/cuda.md describes both.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_CUDA_CUDAEMITTER_H
#define R1C_CODEGEN_CUDA_CUDAEMITTER_H

#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/Error.h"

#include <nlohmann/json.hpp>

#include <string>

namespace r1 {

struct CudaEmitOptions {
  /// What the code reports as its identity; recorded in the manifest too.
  std::string identity;
  /// Said in the generated file's header comment.
  std::string generatedBy;
};

struct CudaProgram {
  /// The CUDA C++ source (includes R1CudaKernels.cuh).
  std::string source;
  /// {"kernels": [{"name", "threads", "grid", "rows_dim", "rows_per_block",
  ///   "dynamic_shared_bytes"}], "prefill": [launch...], "decode": [launch...]}
  /// where a launch is {"kernel", "rows": "tokens"|"logits", "args": [...]}
  /// (docs/cuda.md, "The launch plan").
  nlohmann::json launchPlan;
  /// The arena the CUDA step needs: the plan's, plus scratch some CUDA
  /// kernels use past it (the grouped MoE kernels' lists and hidden rows).
  int64_t arenaBytes = 0;
};

/// CUDA source and launch plan for a module after r1-plan-memory. Errors name
/// the kernel kind or op the backend cannot handle.
llvm::Expected<CudaProgram> emitCuda(mlir::ModuleOp plan, const CudaEmitOptions &options);

} // namespace r1

#endif // R1C_CODEGEN_CUDA_CUDAEMITTER_H
