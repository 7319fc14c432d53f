// The device sampler (codegen/cuda/kernels/Sample.cuh) over the vocabularies
// of R1 and of Qwen (152064), and the tiny test models', for the resource
// check in cuda-sample-kernel.test, wrapped as the generated code wraps it:
// one extern "C" __global__ per vocabulary, 1024 threads.
#include "codegen/cuda/kernels/Sample.cuh"

extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(1024)
    sample_129280(const float *logits, const r1ck::SampleParams *params, int32_t *token) {
  r1ck::sampleRow<129280, 1024>(logits, params, token);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(1024)
    sample_152064(const float *logits, const r1ck::SampleParams *params, int32_t *token) {
  r1ck::sampleRow<152064, 1024>(logits, params, token);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(1024)
    sample_512(const float *logits, const r1ck::SampleParams *params, int32_t *token) {
  r1ck::sampleRow<512, 1024>(logits, params, token);
}
