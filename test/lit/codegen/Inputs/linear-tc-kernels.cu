// The tensor-core GEMMs (codegen/cuda/kernels/LinearTc.cuh) at R1's shapes
// and at the tiny test model's, for the resource check in
// cuda-linear-tc-kernels.test, wrapped as the generated code wraps them: one
// extern "C" __global__ per specialization.
#include "codegen/cuda/kernels/LinearTc.cuh"

using r1ck::WType;

// DeepSeek-R1's fused q_a/kv_a projection: K 7168 -> (1536, 576), FP8, with
// the attention norm fused in.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_qkv_a_gemm_tc(const float *x, int64_t rows, const void *w, const float *gamma,
                     const float *scales, float *q, float *kv) {
  r1ck::linearGemmTc<7168, WType::F8E4M3, false, true, 1536, 576, 0, 256>(
      x, rows, w, nullptr, gamma, 1e-6f, scales, q, kv, nullptr);
}

// DeepSeek-R1's LM head: K 7168 -> 129280, BF16, final norm fused in.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_lm_head_gemm_tc(const float *x, int64_t rows, const void *w, const float *gamma,
                       float *logits) {
  r1ck::linearGemmTc<7168, WType::BF16, false, true, 129280, 0, 0, 256>(
      x, rows, w, nullptr, gamma, 1e-6f, nullptr, logits, nullptr, nullptr);
}

// DeepSeek-R1's dense MLP gate/up: K 7168 -> I 18432, FP8, norm fused in.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_mlp_gate_up_gemm_tc(const float *x, int64_t rows, const void *w, const float *gamma,
                           const float *scales, float *out) {
  r1ck::gatedGemmTc<7168, 18432, WType::F8E4M3, true, 256>(x, rows, w, gamma, 1e-6f, scales,
                                                           out);
}

// The tiny test model's QKV: K 128 -> (128, 64, 64), BF16, bias and norm.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    tiny_qkv_gemm_tc(const float *x, int64_t rows, const void *w, const float *bias,
                     const float *gamma, float *q, float *k, float *v) {
  r1ck::linearGemmTc<128, WType::BF16, true, true, 128, 64, 64, 256>(
      x, rows, w, bias, gamma, 1e-6f, nullptr, q, k, v);
}

// Group-scaled integer weights: the codes staged as exact bf16, each group's
// partial sums scaled by its f16 scale (every stage for G = 32, every fourth
// for G = 128).
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_qkv_a_gemm_tc_i4g128(const float *x, int64_t rows, const void *w, const float *gamma,
                            const void *scales, float *q, float *kv) {
  r1ck::linearGemmTc<7168, WType::I4G128, false, true, 1536, 576, 0, 256>(
      x, rows, w, nullptr, gamma, 1e-6f, scales, q, kv, nullptr);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_mlp_gate_up_gemm_tc_i4g32(const float *x, int64_t rows, const void *w, const float *gamma,
                                 const void *scales, float *out) {
  r1ck::gatedGemmTc<7168, 18432, WType::I4G32, true, 256>(x, rows, w, gamma, 1e-6f, scales, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_mlp_gate_up_gemm_tc_i8g128(const float *x, int64_t rows, const void *w, const float *gamma,
                                  const void *scales, float *out) {
  r1ck::gatedGemmTc<7168, 18432, WType::I8G128, true, 256>(x, rows, w, gamma, 1e-6f, scales,
                                                           out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    qwen_qkv_gemm_tc_i8g32(const float *x, int64_t rows, const void *w, const float *bias,
                           const float *gamma, const void *scales, float *q, float *k, float *v) {
  r1ck::linearGemmTc<1536, WType::I8G32, true, true, 1536, 256, 256, 256>(
      x, rows, w, bias, gamma, 1e-6f, scales, q, k, v);
}
