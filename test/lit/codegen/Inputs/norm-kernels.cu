// The CUDA norm kernels at R1's and the Distills' hidden sizes, for the
// resource check in cuda-kernels.test, wrapped as the generated code wraps
// them: one extern "C" __global__ per specialization.
#include "codegen/cuda/kernels/Norm.cuh"

extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    rms_norm_7168(const float *x, const float *gamma, float *out) {
  r1ck::rmsNorm<7168, 256>(x, gamma, 1e-6f, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    rms_norm_1536(const float *x, const float *gamma, float *out) {
  r1ck::rmsNorm<1536, 256>(x, gamma, 1e-6f, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    add_rms_norm_7168(const float *x, const float *r, const float *gamma, float *sum, float *out) {
  r1ck::addRmsNorm<7168, 256>(x, r, gamma, 1e-6f, sum, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(1024)
    add_rms_norm_8192(const float *x, const float *r, const float *gamma, float *sum, float *out) {
  r1ck::addRmsNorm<8192, 1024>(x, r, gamma, 1e-5f, sum, out);
}
