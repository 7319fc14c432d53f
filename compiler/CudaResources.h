//===- CudaResources.h - Kernel resources from ptxas, and occupancy -------===//
//
// What a compiled CUDA kernel costs an SM, as `ptxas -v` reports it
// (registers, spills, shared and constant memory, stack), and how many of its
// blocks and warps one SM then holds: NVIDIA's occupancy arithmetic
// (CUDA's include/cuda_occupancy.h) over the per-SM limits in TargetSpecs.
// Pure functions over text and numbers: no MLIR, no toolkit needed, so the
// CUDA backend's cost model and unit tests can use them anywhere.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_CUDARESOURCES_H
#define R1C_COMPILER_CUDARESOURCES_H

#include "compiler/TargetSpecs.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace r1 {

/// One function of a ptxas run. Entries (__global__ kernels) carry every
/// figure; a device function ptxas kept as a call (noinline) reports only its
/// stack frame and spills.
struct KernelResources {
  /// As in the PTX: mangled unless declared extern "C".
  std::string name;
  /// The ptxas target ("sm_80", "sm_90a"); for a device function, that of the
  /// entry compiled before it.
  std::string target;
  bool isEntry = false;
  /// Per thread.
  int64_t registers = 0;
  /// Named barriers (bar.sync ids) the kernel uses.
  int64_t barriers = 0;
  /// Per thread: local memory written and read because registers ran out.
  int64_t spillStoreBytes = 0;
  int64_t spillLoadBytes = 0;
  /// Per thread: this function's frame, and with the frames of its callees.
  int64_t stackFrameBytes = 0;
  int64_t cumulativeStackBytes = 0;
  /// Per block: __shared__ arrays (dynamic shared memory is a launch
  /// argument, not known to ptxas).
  int64_t staticSmemBytes = 0;
  /// Constant banks the function uses, summed (cmem[0] holds the kernel
  /// parameters on sm_80/sm_89; sm_90 does not report that bank).
  int64_t constantBytes = 0;
};

/// Reads the `ptxas -v` (--verbose) log of one ptxas run. Lines it does not
/// know ("Compile time", "Overriding ...", the module's "bytes gmem") are
/// skipped; a known line with a figure it cannot read is an error naming the
/// line. The format, as CUDA 13.0's ptxas writes it to stderr:
///
///   ptxas info    : Compiling entry function 'axpy' for 'sm_80'
///   ptxas info    : Function properties for axpy
///       0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
///   ptxas info    : Used 10 registers, used 0 barriers, 380 bytes cmem[0]
///
/// with "N bytes smem", "N bytes cumulative stack size" and more cmem banks
/// on the "Used" line when the kernel has them.
llvm::Expected<std::vector<KernelResources>> parsePtxasVerbose(llvm::StringRef text);

/// How many blocks of a kernel one SM holds at once, and what limits it.
struct Occupancy {
  int64_t threadsPerBlock = 0;
  int64_t warpsPerBlock = 0;
  /// Resident blocks per SM: the least of the four limits below.
  int64_t blocksPerSm = 0;
  int64_t activeWarpsPerSm = 0;
  int64_t maxWarpsPerSm = 0;
  /// activeWarpsPerSm / maxWarpsPerSm.
  double fraction = 0;
  /// Blocks per SM each resource alone allows.
  int64_t blocksByRegisters = 0;
  int64_t blocksBySmem = 0;
  int64_t blocksByWarps = 0;
  int64_t blocksByBlockLimit = 0;
  /// What one block is allocated: registers rounded to whole 256-register
  /// units per warp; shared memory (static + dynamic + the 1 KB CUDA reserves
  /// per block) rounded up to 128 bytes.
  int64_t registersPerBlock = 0;
  int64_t smemPerBlockBytes = 0;
  /// The binding limit(s), "registers", "shared memory", "warps", "blocks"
  /// (joined with ", " on a tie); or, when no block fits, why.
  std::string limiter;
};

/// The occupancy of `kernel` launched with `threadsPerBlock` threads and
/// `dynamicSmemBytes` of dynamic shared memory on a GPU target, assuming the
/// largest shared-memory carveout and the opt-in per-block maximum (what the
/// runtime asks for). Follows cudaOccMaxActiveBlocksPerMultiprocessor of
/// CUDA 13.0 for compute capabilities 8.x and 9.0. Errors: a host target, or
/// threadsPerBlock outside 1..1024.
llvm::Expected<Occupancy> occupancy(const KernelResources &kernel, int64_t threadsPerBlock,
                                    const TargetSpec &target, int64_t dynamicSmemBytes = 0);

} // namespace r1

#endif // R1C_COMPILER_CUDARESOURCES_H
