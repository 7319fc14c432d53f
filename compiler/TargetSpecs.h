//===- TargetSpecs.h - Datasheet figures of the machines r1c plans for ----===//
//
// One table of the figures `r1c plan` divides by: memory bandwidth, peak
// FLOP/s per element type, memory capacity, and for GPUs the SM count and
// shared memory per SM. GPU figures are vendor datasheet values (dense, no
// sparsity); the host figures are this project's machine, with the
// measurement or assumption behind each in TargetSpecs.cpp and docs/plan.md.
// No MLIR here: the table is plain data.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_TARGETSPECS_H
#define R1C_COMPILER_TARGETSPECS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

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
};

/// Every target `r1c plan` knows, in --help order.
const std::vector<TargetSpec> &targetSpecs();

/// The spec named `name`; the error lists the names there are.
llvm::Expected<const TargetSpec &> lookupTargetSpec(llvm::StringRef name);

} // namespace r1

#endif // R1C_COMPILER_TARGETSPECS_H
