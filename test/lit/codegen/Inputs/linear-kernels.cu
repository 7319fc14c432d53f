// The CUDA linear kernels (codegen/cuda/kernels/Linear.cuh) at the real
// models' shapes and at the tiny test models', for the resource check in
// cuda-linear-kernels.test, wrapped as the generated code wraps them: one
// extern "C" __global__ per specialization.
#include "codegen/cuda/kernels/Linear.cuh"

using r1ck::WType;

// DeepSeek-R1's fused q_a/kv_a projection: K 7168 -> (1536, 576), FP8, with
// the attention norm fused in.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_qkv_a_gemv(const float *x, int64_t rows, const void *w, const float *gamma,
                  const float *scales, float *q, float *kv) {
  r1ck::linearGemv<7168, WType::F8E4M3, false, true, 1536, 576, 0, 256>(
      x, rows, w, nullptr, gamma, 1e-6f, scales, q, kv, nullptr);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_qkv_a_gemm(const float *x, int64_t rows, const void *w, const float *gamma,
                  const float *scales, float *q, float *kv) {
  r1ck::linearGemm<7168, WType::F8E4M3, false, true, 1536, 576, 0, 256>(
      x, rows, w, nullptr, gamma, 1e-6f, scales, q, kv, nullptr);
}

// DeepSeek-R1's LM head: K 7168 -> 129280, BF16, final norm fused in.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_lm_head_gemv(const float *x, int64_t rows, const void *w, const float *gamma,
                    float *logits) {
  r1ck::linearGemv<7168, WType::BF16, false, true, 129280, 0, 0, 256>(
      x, rows, w, nullptr, gamma, 1e-6f, nullptr, logits, nullptr, nullptr);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_lm_head_gemm(const float *x, int64_t rows, const void *w, const float *gamma,
                    float *logits) {
  r1ck::linearGemm<7168, WType::BF16, false, true, 129280, 0, 0, 256>(
      x, rows, w, nullptr, gamma, 1e-6f, nullptr, logits, nullptr, nullptr);
}

// DeepSeek-R1's dense MLP gate/up: K 7168 -> I 18432, FP8, norm fused in.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_mlp_gate_up_gemv(const float *x, int64_t rows, const void *w, const float *gamma,
                        const float *scales, float *out) {
  r1ck::gatedGemv<7168, 18432, WType::F8E4M3, true, 256>(x, rows, w, gamma, 1e-6f, scales, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_mlp_gate_up_gemm(const float *x, int64_t rows, const void *w, const float *gamma,
                        const float *scales, float *out) {
  r1ck::gatedGemm<7168, 18432, WType::F8E4M3, true, 256>(x, rows, w, gamma, 1e-6f, scales, out);
}

// DeepSeek-R1's down projection: K 18432 -> 7168, FP8, no norm.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_mlp_down_gemv(const float *x, int64_t rows, const void *w, const float *scales,
                     float *out) {
  r1ck::linearGemv<18432, WType::F8E4M3, false, false, 7168, 0, 0, 256>(
      x, rows, w, nullptr, nullptr, 0.0f, scales, out, nullptr, nullptr);
}

// Qwen-1.5B's QKV projection: K 1536 -> (1536, 256, 256), BF16, with bias
// and the attention norm fused in.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    qwen_qkv_gemv(const float *x, int64_t rows, const void *w, const float *bias,
                  const float *gamma, float *q, float *k, float *v) {
  r1ck::linearGemv<1536, WType::BF16, true, true, 1536, 256, 256, 256>(
      x, rows, w, bias, gamma, 1e-6f, nullptr, q, k, v);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    qwen_qkv_gemm(const float *x, int64_t rows, const void *w, const float *bias,
                  const float *gamma, float *q, float *k, float *v) {
  r1ck::linearGemm<1536, WType::BF16, true, true, 1536, 256, 256, 256>(
      x, rows, w, bias, gamma, 1e-6f, nullptr, q, k, v);
}

// Llama-70B's gate/up: K 8192 -> I 28672, F16 (the half type's path), norm.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    llama_gate_up_gemv(const float *x, int64_t rows, const void *w, const float *gamma,
                       float *out) {
  r1ck::gatedGemv<8192, 28672, WType::F16, true, 256>(x, rows, w, gamma, 1e-5f, nullptr, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    llama_gate_up_gemm(const float *x, int64_t rows, const void *w, const float *gamma,
                       float *out) {
  r1ck::gatedGemm<8192, 28672, WType::F16, true, 256>(x, rows, w, gamma, 1e-5f, nullptr, out);
}

// The tiny test model: hidden 128, F32, a K that is no multiple of a pack
// (the element-wise path), and 128 threads per GEMV block.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    tiny_qkv_gemv(const float *x, int64_t rows, const void *w, const float *bias,
                  const float *gamma, float *q, float *k, float *v) {
  r1ck::linearGemv<128, WType::F32, true, true, 128, 64, 64, 128>(
      x, rows, w, bias, gamma, 1e-6f, nullptr, q, k, v);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    tiny_gate_up_gemm(const float *x, int64_t rows, const void *w, const float *gamma,
                      float *out) {
  r1ck::gatedGemm<128, 64, WType::F32, true, 256>(x, rows, w, gamma, 1e-6f, nullptr, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    tiny_down_gemv_k100(const float *x, int64_t rows, const void *w, const float *scales,
                        float *out) {
  r1ck::linearGemv<100, WType::F8E4M3, false, false, 128, 0, 0, 128>(
      x, rows, w, nullptr, nullptr, 0.0f, scales, out, nullptr, nullptr);
}

// The tensor-core primitive of Mma.cuh (not used by Linear.cuh yet): one
// m16n8k16 bf16 MMA per warp on fragments read from global memory.
#include "codegen/cuda/kernels/Mma.cuh"

extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(32)
    mma_m16n8k16_bf16(const uint32_t *a, const uint32_t *b, float *c) {
  const int lane = int(threadIdx.x);
  float d[4] = {c[4 * lane], c[4 * lane + 1], c[4 * lane + 2], c[4 * lane + 3]};
  const uint32_t af[4] = {a[4 * lane], a[4 * lane + 1], a[4 * lane + 2], a[4 * lane + 3]};
  const uint32_t bf[2] = {b[2 * lane], b[2 * lane + 1]};
  r1ck::mmaM16N8K16Bf16(d, af, bf);
  for (int i = 0; i < 4; ++i)
    c[4 * lane + i] = d[i];
}

// Group-scaled integer weights (r1c compile --quant int8|int4): codes with an
// f16 scale per group of 32 or 128 elements, at R1's and Qwen-1.5B's shapes.
// The int4 GEMV reads 16 bytes (32 codes) of a row per lane and step.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_qkv_a_gemv_i4g128(const float *x, int64_t rows, const void *w, const float *gamma,
                         const void *scales, float *q, float *kv) {
  r1ck::linearGemv<7168, WType::I4G128, false, true, 1536, 576, 0, 256>(
      x, rows, w, nullptr, gamma, 1e-6f, scales, q, kv, nullptr);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_mlp_gate_up_gemv_i4g32(const float *x, int64_t rows, const void *w, const float *gamma,
                              const void *scales, float *out) {
  r1ck::gatedGemv<7168, 18432, WType::I4G32, true, 256>(x, rows, w, gamma, 1e-6f, scales, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_mlp_gate_up_gemv_i8g128(const float *x, int64_t rows, const void *w, const float *gamma,
                               const void *scales, float *out) {
  r1ck::gatedGemv<7168, 18432, WType::I8G128, true, 256>(x, rows, w, gamma, 1e-6f, scales, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_mlp_down_gemv_i4g128(const float *x, int64_t rows, const void *w, const void *scales,
                            float *out) {
  r1ck::linearGemv<18432, WType::I4G128, false, false, 7168, 0, 0, 256>(
      x, rows, w, nullptr, nullptr, 0.0f, scales, out, nullptr, nullptr);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    r1_mlp_gate_up_gemm_i8g128(const float *x, int64_t rows, const void *w, const float *gamma,
                               const void *scales, float *out) {
  r1ck::gatedGemm<7168, 18432, WType::I8G128, true, 256>(x, rows, w, gamma, 1e-6f, scales, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    qwen_qkv_gemv_i4g32(const float *x, int64_t rows, const void *w, const float *bias,
                        const float *gamma, const void *scales, float *q, float *k, float *v) {
  r1ck::linearGemv<1536, WType::I4G32, true, true, 1536, 256, 256, 256>(
      x, rows, w, bias, gamma, 1e-6f, scales, q, k, v);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    qwen_qkv_gemv_i8g32(const float *x, int64_t rows, const void *w, const float *bias,
                        const float *gamma, const void *scales, float *q, float *k, float *v) {
  r1ck::linearGemv<1536, WType::I8G32, true, true, 1536, 256, 256, 256>(
      x, rows, w, bias, gamma, 1e-6f, scales, q, k, v);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(256)
    qwen_qkv_gemm_i4g32(const float *x, int64_t rows, const void *w, const float *bias,
                        const float *gamma, const void *scales, float *q, float *k, float *v) {
  r1ck::linearGemm<1536, WType::I4G32, true, true, 1536, 256, 256, 256>(
      x, rows, w, bias, gamma, 1e-6f, scales, q, k, v);
}
