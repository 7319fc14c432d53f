// The CUDA attention kernels (GQA: Attention.cuh, MLA: Mla.cuh) at the real
// models' shapes and the tiny test models', for the resource check in
// cuda-attention-kernels.test, wrapped as the generated code wraps them: one
// extern "C" __global__ per specialization, 128 threads per block, the KV
// caches paged through a block table.
#include "codegen/cuda/kernels/Mla.cuh"

using r1ck::WType;

// GQA. Qwen-1.5B: 12 query heads over 2 key/value heads of 128.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    attention_store_qwen(const float *k, const float *v, const int32_t *pos,
                         const int32_t *blocks, float *keys, float *values) {
  r1ck::attentionStore<2, 128, 128, 128>(k, v, pos, blocks, keys, values);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    attention_attend_qwen(const float *q, const int32_t *pos, const int32_t *blocks,
                          const float *keys, const float *values, float *out) {
  r1ck::attentionAttend<12, 2, 128, 128, 128>(q, pos, blocks, keys, values, 0.08838834764831845f,
                                              out);
}
// Llama-70B: 64 query heads over 8 key/value heads of 128.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    attention_store_llama70b(const float *k, const float *v, const int32_t *pos,
                             const int32_t *blocks, float *keys, float *values) {
  r1ck::attentionStore<8, 128, 128, 128>(k, v, pos, blocks, keys, values);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    attention_attend_llama70b(const float *q, const int32_t *pos, const int32_t *blocks,
                              const float *keys, const float *values, float *out) {
  r1ck::attentionAttend<64, 8, 128, 128, 128>(q, pos, blocks, keys, values, 0.08838834764831845f,
                                              out);
}
// The tiny test models: 4 query heads over 2 key/value heads of 32.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    attention_attend_tiny(const float *q, const int32_t *pos, const int32_t *blocks,
                          const float *keys, const float *values, float *out) {
  r1ck::attentionAttend<4, 2, 32, 32, 128>(q, pos, blocks, keys, values, 0.17677669529663687f, out);
}

// MLA. DeepSeek-R1: 128 heads, nope 128, rope 64, v 128, kv_lora_rank 512;
// kv_b_proj in FP8 (W_UK^T kept in FP8, or dequantized to f32) or BF16.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    mla_store_r1(const float *latent, const float *kpe, const int32_t *pos, const int32_t *blocks,
                 float *cache) {
  r1ck::mlaStore<512, 64, 128>(latent, kpe, pos, blocks, cache);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    mla_attend_r1_f8(const float *q, const int32_t *pos, const int32_t *blocks, const float *cache,
                     const void *kvB, const float *kvBScales, const void *wukT,
                     const float *wukTScales, float *out) {
  r1ck::mlaAttend<128, 128, 64, 128, 512, WType::F8E4M3, WType::F8E4M3, 128>(
      q, pos, blocks, cache, kvB, kvBScales, wukT, wukTScales, 0.07216878364870322f,
      out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    mla_attend_r1_f8_wukt_f32(const float *q, const int32_t *pos, const int32_t *blocks,
                              const float *cache, const void *kvB, const float *kvBScales,
                              const void *wukT, float *out) {
  r1ck::mlaAttend<128, 128, 64, 128, 512, WType::F8E4M3, WType::F32, 128>(
      q, pos, blocks, cache, kvB, kvBScales, wukT, nullptr, 0.07216878364870322f, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    mla_attend_r1_bf16(const float *q, const int32_t *pos, const int32_t *blocks,
                       const float *cache, const void *kvB, const void *wukT, float *out) {
  r1ck::mlaAttend<128, 128, 64, 128, 512, WType::BF16, WType::BF16, 128>(
      q, pos, blocks, cache, kvB, nullptr, wukT, nullptr, 0.07216878364870322f, out);
}
// The tiny test models: 4 heads, nope 32, rope 16, v 32, rank 64.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    mla_store_tiny(const float *latent, const float *kpe, const int32_t *pos, const int32_t *blocks,
                   float *cache) {
  r1ck::mlaStore<64, 16, 128>(latent, kpe, pos, blocks, cache);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    mla_attend_tiny_f32(const float *q, const int32_t *pos, const int32_t *blocks,
                        const float *cache, const void *kvB, const void *wukT, float *out) {
  r1ck::mlaAttend<4, 32, 16, 32, 64, WType::F32, WType::F32, 128>(
      q, pos, blocks, cache, kvB, nullptr, wukT, nullptr, 0.14433756729740643f, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    mla_attend_tiny_f8(const float *q, const int32_t *pos, const int32_t *blocks,
                       const float *cache, const void *kvB, const float *kvBScales,
                       const void *wukT, float *out) {
  r1ck::mlaAttend<4, 32, 16, 32, 64, WType::F8E4M3, WType::F32, 128>(
      q, pos, blocks, cache, kvB, kvBScales, wukT, nullptr, 0.14433756729740643f,
      out);
}
