// The CUDA MoE kernels (codegen/cuda/kernels/Moe.cuh) at DeepSeek-R1's,
// DeepSeek-V2-Lite's and the tiny test models' shapes, for the resource
// check in cuda-moe-kernels.test, wrapped as the generated code wraps them:
// one extern "C" __global__ per specialization.
#include "codegen/cuda/kernels/Moe.cuh"

using r1ck::WType;

// DeepSeek-R1: 256 experts, top 8 in the 4 best of 8 groups (top-2 sums of
// sigmoid + bias), normalized, scaled by 2.5; FP8 experts 7168 x 2048.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    moe_topk_r1(const float *scores, const float *bias, int32_t *ids, float *weights) {
  r1ck::moeTopk<256, 8, 8, 4, 2, true, true, 128>(scores, bias, 2.5f, ids, weights);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    moe_route_r1(const float *x, const void *gate, const float *bias, int32_t *ids, float *weights,
                 float *scores) {
  r1ck::moeRoute<256, 7168, WType::BF16, 0, 8, 8, 4, 2, true, true, 128>(x, gate, bias, 2.5f, ids,
                                                                         weights, scores);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    moe_experts_r1_fp8(const float *x, const int32_t *ids, const float *weights,
                       const void *gateUp, const void *down, const float *gateUpScales,
                       const float *downScales, float *out) {
  r1ck::moeExperts<256, 8, 7168, 2048, WType::F8E4M3, false, 256>(
      x, ids, weights, gateUp, down, gateUpScales, downScales, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    moe_experts_r1_w8a8(const float *x, const int32_t *ids, const float *weights,
                        const void *gateUp, const void *down, const float *gateUpScales,
                        const float *downScales, float *out) {
  r1ck::moeExperts<256, 8, 7168, 2048, WType::F8E4M3, true, 256>(
      x, ids, weights, gateUp, down, gateUpScales, downScales, out);
}

// DeepSeek-V2-Lite: 64 experts, greedy top 6 of the softmax, not
// normalized; bf16 experts 2048 x 1408.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    moe_topk_v2_lite(const float *scores, int32_t *ids, float *weights) {
  r1ck::moeTopk<64, 6, 1, 1, 0, false, false, 128>(scores, nullptr, 1.0f, ids, weights);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    moe_route_v2_lite(const float *x, const void *gate, int32_t *ids, float *weights,
                      float *scores) {
  r1ck::moeRoute<64, 2048, WType::BF16, 1, 6, 1, 1, 0, false, false, 128>(
      x, gate, nullptr, 1.0f, ids, weights, scores);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    moe_experts_v2_lite(const float *x, const int32_t *ids, const float *weights,
                        const void *gateUp, const void *down, float *out) {
  r1ck::moeExperts<64, 6, 2048, 1408, WType::BF16, false, 256>(x, ids, weights, gateUp, down,
                                                               nullptr, nullptr, out);
}

// The tiny test models: 16 experts, top 4 in 2 of 4 groups; 128 x 64.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    moe_route_tiny(const float *x, const void *gate, const float *bias, int32_t *ids,
                   float *weights, float *scores) {
  r1ck::moeRoute<16, 128, WType::F32, 0, 4, 4, 2, 2, true, true, 128>(x, gate, bias, 2.5f, ids,
                                                                      weights, scores);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    moe_experts_tiny_w8a8(const float *x, const int32_t *ids, const float *weights,
                          const void *gateUp, const void *down, const float *gateUpScales,
                          const float *downScales, float *out) {
  r1ck::moeExperts<16, 4, 128, 64, WType::F8E4M3, true, 256>(x, ids, weights, gateUp, down,
                                                             gateUpScales, downScales, out);
}
// moeExpertsGrouped's three steps at R1's shape (FP8; the W8A8 variant only
// adds Quant.cuh launches) and at V2-Lite's (bf16).
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(1024)
    moe_grouped_sort_r1(const int32_t *ids, int64_t rows, int32_t *groups) {
  r1ck::moeExpertsGroupedSort<256, 8, 1024>(ids, rows, groups);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    moe_grouped_up_r1_fp8(const float *x, const int32_t *groups, const void *gateUp,
                          const float *gateUpScales, float *h) {
  r1ck::moeExpertsGroupedUp<256, 8, 7168, 2048, WType::F8E4M3, 256>(x, groups, gateUp,
                                                                    gateUpScales, h);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    moe_grouped_down_r1_fp8(const float *h, const float *weights, const int32_t *groups,
                            const void *down, const float *downScales, int64_t rows, float *out) {
  r1ck::moeExpertsGroupedDown<256, 8, 7168, 2048, WType::F8E4M3, 256>(h, weights, groups, down,
                                                                      downScales, rows, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    moe_grouped_up_v2_lite(const float *x, const int32_t *groups, const void *gateUp, float *h) {
  r1ck::moeExpertsGroupedUp<64, 6, 2048, 1408, WType::BF16, 256>(x, groups, gateUp, nullptr, h);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    moe_grouped_down_v2_lite(const float *h, const float *weights, const int32_t *groups,
                             const void *down, int64_t rows, float *out) {
  r1ck::moeExpertsGroupedDown<64, 6, 2048, 1408, WType::BF16, 256>(h, weights, groups, down,
                                                                   nullptr, rows, out);
}

// Group-scaled integer experts at R1's shape (7168 x 2048): the grouped
// steps and the per-token kernel (not W8A8).
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    moe_grouped_up_r1_i4g32(const float *x, const int32_t *groups, const void *gateUp,
                            const void *gateUpScales, float *h) {
  r1ck::moeExpertsGroupedUp<256, 8, 7168, 2048, WType::I4G32, 256>(x, groups, gateUp,
                                                                   gateUpScales, h);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    moe_grouped_down_r1_i4g32(const float *h, const float *weights, const int32_t *groups,
                              const void *down, const void *downScales, int64_t rows,
                              float *out) {
  r1ck::moeExpertsGroupedDown<256, 8, 7168, 2048, WType::I4G32, 256>(h, weights, groups, down,
                                                                     downScales, rows, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    moe_grouped_up_r1_i8g128(const float *x, const int32_t *groups, const void *gateUp,
                             const void *gateUpScales, float *h) {
  r1ck::moeExpertsGroupedUp<256, 8, 7168, 2048, WType::I8G128, 256>(x, groups, gateUp,
                                                                    gateUpScales, h);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    moe_grouped_down_r1_i8g128(const float *h, const float *weights, const int32_t *groups,
                               const void *down, const void *downScales, int64_t rows,
                               float *out) {
  r1ck::moeExpertsGroupedDown<256, 8, 7168, 2048, WType::I8G128, 256>(h, weights, groups, down,
                                                                      downScales, rows, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    moe_experts_r1_i4g128(const float *x, const int32_t *ids, const float *weights,
                          const void *gateUp, const void *down, const void *gateUpScales,
                          const void *downScales, float *out) {
  r1ck::moeExperts<256, 8, 7168, 2048, WType::I4G128, false, 256>(
      x, ids, weights, gateUp, down, gateUpScales, downScales, out);
}
