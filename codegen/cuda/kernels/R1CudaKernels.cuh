//===- R1CudaKernels.cuh - Every CUDA kernel body, for generated code -----===//
//
// What the CUDA C++ that r1c generates per model includes (codegen/cuda/
// CudaEmitter.cpp): the device bodies it instantiates with the model's
// dimensions. r1c embeds this directory and writes it next to the generated
// file; nvcc compiles it for the GPU, a C++ compiler for the host emulation.
//
//===----------------------------------------------------------------------===//
#ifndef R1CK_R1CUDAKERNELS_CUH
#define R1CK_R1CUDAKERNELS_CUH

#include "R1Cuda.h"
#include "WeightTypes.cuh"

#include "Attention.cuh"
#include "Elementwise.cuh"
#include "Embed.cuh"
#include "Linear.cuh"
#include "LinearTc.cuh"
#include "Mla.cuh"
#include "Moe.cuh"
#include "Norm.cuh"
#include "Quant.cuh"
#include "Reshape.cuh"
#include "Rope.cuh"
#include "Sample.cuh"

#if !defined(__CUDACC__)
#include <cstdio>
#endif

#endif // R1CK_R1CUDAKERNELS_CUH
