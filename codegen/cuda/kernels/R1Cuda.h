//===- R1Cuda.h - What r1c's CUDA kernels include -------------------------===//
//
// One kernel source, two builds: under a CUDA compiler (__CUDACC__: nvcc, or
// clang -x cuda) the qualifiers and the launch macro are CUDA's own; under a
// plain C++ compiler they map onto R1CudaEmu.h, which runs the kernel's
// threads on the CPU so that it can be tested without a GPU. See
// codegen/cuda/README.md.
//
//   R1_GLOBAL void scale(float *x, float s, int n) {
//     R1_SHARED float tile[256];
//     float *scratch = r1cuda::dynamicShared<float>();
//     ...
//   }
//   R1_LAUNCH(scale, dim3(blocks), dim3(256), bytes, stream, x, 2.0f, n);
//
//===----------------------------------------------------------------------===//
#ifndef R1CUDA_H
#define R1CUDA_H

#if defined(__CUDACC__)

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#define R1_GLOBAL __global__
#define R1_DEVICE __device__
#define R1_HOST_DEVICE __host__ __device__
#define R1_SHARED __shared__
// minBlocksPerMultiprocessor 1: without it ptxas (CUDA 13.0) caps some
// kernels at 64 registers and spills 4-8 bytes (linear GEMM/GEMV on sm_89 and
// sm_90a); with it, it uses what the kernel needs and nothing spills.
#define R1_LAUNCH_BOUNDS(maxThreads) __launch_bounds__(maxThreads, 1)
#define R1_LAUNCH(kernel, grid, block, sharedBytes, stream, ...)                                   \
  kernel<<<grid, block, sharedBytes, stream>>>(__VA_ARGS__)

namespace r1cuda {
/// The block's dynamic shared memory (the launch's sharedBytes).
template <typename T> __device__ inline T *dynamicShared() {
  extern __shared__ __align__(16) unsigned char r1cudaDynamicShared[];
  return reinterpret_cast<T *>(r1cudaDynamicShared);
}
} // namespace r1cuda

#else

#include "R1CudaEmu.h"

#define R1_GLOBAL
#define R1_DEVICE
#define R1_HOST_DEVICE
// Blocks run one at a time and all threads of a block are threads of this
// process, so a function-local static is exactly one array per block, shared
// by its threads. Unlike __shared__ memory it keeps the previous block's
// values instead of starting as garbage.
#define R1_SHARED static
#define R1_LAUNCH_BOUNDS(maxThreads)
// Synchronous: returns after the whole grid has run; errors throw
// r1cuda::LaunchError.
#define R1_LAUNCH(kernel, grid, block, sharedBytes, stream, ...)                                   \
  ::r1cuda::launch(#kernel, kernel, grid, block, sharedBytes, stream __VA_OPT__(, ) __VA_ARGS__)

#endif

#endif // R1CUDA_H
