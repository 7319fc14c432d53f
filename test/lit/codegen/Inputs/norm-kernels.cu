// The CUDA norm kernels at R1's and the Distills' hidden sizes, for the
// resource check in cuda-kernels.test.
#include "codegen/cuda/kernels/Norm.cuh"

template __global__ void r1ck::rmsNorm<7168, 256>(const float *, const float *, float, float *);
template __global__ void r1ck::rmsNorm<1536, 256>(const float *, const float *, float, float *);
template __global__ void r1ck::addRmsNorm<7168, 256>(const float *, const float *, const float *,
                                                      float, float *, float *);
template __global__ void r1ck::addRmsNorm<8192, 1024>(const float *, const float *,
                                                       const float *, float, float *, float *);
