//===- TargetSpecs.h - Datasheet figures of the machines r1c plans for ----===//
//
// One table of the figures `r1c plan` divides by: memory bandwidth, peak
// FLOP/s per element type, memory capacity, and for GPUs the SM count and
// shared memory per SM, plus the per-SM limits the CUDA backend's occupancy
// arithmetic needs (CudaResources.h) and its tensor-core generation. GPU
// figures are vendor datasheet values (dense, no sparsity); the host figures
// are this project's machine, with the measurement or assumption behind each
// in TargetSpecs.cpp and docs/plan.md. `r1c targets` prints the table.
// No MLIR here: the table is plain data.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_TARGETSPECS_H
#define R1C_COMPILER_TARGETSPECS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace r1 {

struct TargetSpec {
  /// As given to --target ("host", "sm_90a", ...).
  std::string name;
  /// The device the figures describe ("NVIDIA H100 SXM 80GB").
  std::string device;
  bool isGpu = false;
  /// Bytes per second, one device.
  double memoryBandwidth = 0;
  /// Peak FLOP/s of one device per compute type; 0 when it has no such
  /// arithmetic (FP8 before sm_89, BF16 dot products without AVX512-BF16).
  double peakF32 = 0;
  double peakBf16 = 0;
  double peakFp8 = 0;
  /// Bytes of memory one device holds.
  uint64_t memoryBytes = 0;
  /// GPUs only (0 for the host).
  int64_t smCount = 0;
  int64_t smemPerSmBytes = 0;
  /// Where the figures come from, one line.
  std::string source;
  /// GPUs only (0 or empty for the host): the per-SM limits occupancy is
  /// computed from, for the compute capability of `name`.
  int64_t registersPerSm = 0;
  int64_t maxThreadsPerSm = 0;
  int64_t maxBlocksPerSm = 0;
  /// The most shared memory one block may use (static + dynamic), after the
  /// kernel opts in above the default 48 KB.
  int64_t maxSmemPerBlockBytes = 0;
  /// The tensor-core instructions of the target: "mma.sync bf16" (sm_80),
  /// "mma.sync bf16+fp8" (sm_89), "wgmma bf16+fp8" (sm_90a), "tcgen05
  /// bf16+fp8+fp4" (sm_100a): what the hardware offers; the kernels use
  /// mma.sync everywhere today (docs/cuda.md).
  std::string tensorCores = "";

  /// FP8 (e4m3) tensor-core arithmetic: sm_89 and later.
  bool hasFp8TensorCores() const { return isGpu && peakFp8 > 0; }
};

/// Every target `r1c plan` knows, in --help order.
const std::vector<TargetSpec> &targetSpecs();

/// The spec named `name`; the error lists the names there are.
llvm::Expected<const TargetSpec &> lookupTargetSpec(llvm::StringRef name);

/// Every figure of `spec`; the keys of `r1c plan --json`'s "target" and more.
nlohmann::json targetSpecToJson(const TargetSpec &spec);

/// `r1c targets`: the devices, then one row of figures per target. A target
/// named in `compileTargets` is marked as one `r1c compile` accepts.
void printTargetSpecs(llvm::ArrayRef<TargetSpec> specs, llvm::ArrayRef<std::string> compileTargets,
                      llvm::raw_ostream &os);

} // namespace r1

#endif // R1C_COMPILER_TARGETSPECS_H
