// The row-wise CUDA kernels (Elementwise, Reshape, Rope, Quant, Embed .cuh) at the real
// models' shapes and the tiny test models', for the resource check in
// cuda-rowwise-kernels.test, wrapped as the generated code wraps them: one
// extern "C" __global__ per specialization. 128 threads, as the generator
// launches them; a few with 1024, the most a block has (their
// R1_LAUNCH_BOUNDS say which).
#include "codegen/cuda/kernels/Elementwise.cuh"
#include "codegen/cuda/kernels/Embed.cuh"
#include "codegen/cuda/kernels/Quant.cuh"
#include "codegen/cuda/kernels/Reshape.cuh"
#include "codegen/cuda/kernels/Rope.cuh"

// Embedding lookup: R1, Qwen-1.5B and Llama-70B tables (bf16), the tiny models' (f32, f16, fp8).
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    embed_r1(const int32_t *tokens, const void *table, float *out) {
  r1ck::embed<129280, 7168, r1ck::WType::BF16, 128>(tokens, table, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    embed_qwen(const int32_t *tokens, const void *table, float *out) {
  r1ck::embed<151936, 1536, r1ck::WType::BF16, 128>(tokens, table, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    embed_llama(const int32_t *tokens, const void *table, float *out) {
  r1ck::embed<128256, 8192, r1ck::WType::BF16, 128>(tokens, table, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    embed_tiny_f32(const int32_t *tokens, const void *table, float *out) {
  r1ck::embed<512, 128, r1ck::WType::F32, 128>(tokens, table, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    embed_tiny_f16(const int32_t *tokens, const void *table, float *out) {
  r1ck::embed<512, 128, r1ck::WType::F16, 128>(tokens, table, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    embed_tiny_f8(const int32_t *tokens, const void *table, float *out) {
  r1ck::embed<512, 128, r1ck::WType::F8E4M3, 128>(tokens, table, out);
}

// Residual adds and gate * up products at the hidden and intermediate sizes.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    add_7168(const float *a, const float *b, float *out) {
  r1ck::add<7168, 128>(a, b, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    add_1536(const float *a, const float *b, float *out) {
  r1ck::add<1536, 128>(a, b, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    add_8192(const float *a, const float *b, float *out) {
  r1ck::add<8192, 128>(a, b, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    add_128(const float *a, const float *b, float *out) {
  r1ck::add<128, 128>(a, b, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    mul_18432(const float *a, const float *b, float *out) {
  r1ck::mul<18432, 128>(a, b, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    mul_2048(const float *a, const float *b, float *out) {
  r1ck::mul<2048, 128>(a, b, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    mul_8960(const float *a, const float *b, float *out) {
  r1ck::mul<8960, 128>(a, b, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    mul_28672(const float *a, const float *b, float *out) {
  r1ck::mul<28672, 128>(a, b, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    mul_64(const float *a, const float *b, float *out) {
  r1ck::mul<64, 128>(a, b, out);
}

// SiLU of the gate projections; sigmoid of the router's logits (R1: 256 experts; tiny: 16).
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    silu_18432(const float *x, float *out) {
  r1ck::silu<18432, 128>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    silu_2048(const float *x, float *out) {
  r1ck::silu<2048, 128>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    silu_8960(const float *x, float *out) {
  r1ck::silu<8960, 128>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    silu_28672(const float *x, float *out) {
  r1ck::silu<28672, 128>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    silu_64(const float *x, float *out) {
  r1ck::silu<64, 128>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    sigmoid_256(const float *x, float *out) {
  r1ck::sigmoid<256, 128>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    sigmoid_16(const float *x, float *out) {
  r1ck::sigmoid<16, 128>(x, out);
}

// Row softmax: over vocabularies (sampling), R1's experts, the tiny router.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(1024)
    softmax_129280(const float *x, float *out) {
  r1ck::softmax<129280, 1024>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    softmax_151936(const float *x, float *out) {
  r1ck::softmax<151936, 128>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    softmax_256(const float *x, float *out) {
  r1ck::softmax<256, 128>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    softmax_16(const float *x, float *out) {
  r1ck::softmax<16, 128>(x, out);
}

// MLA reshapes: q = [q_nope | q_pe] per head (R1: 128 heads, 128 + 64; tiny: 4 heads, 32 + 16),
// the latent = [c_kv | k_pe] (512 + 64; tiny 64 + 16), kv_b's [k_nope | v] (128 + 128).
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    slice_q_nope_r1(const float *in, float *out) {
  r1ck::sliceLast<128, 0, 128, 192, 128>(in, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    slice_q_pe_r1(const float *in, float *out) {
  r1ck::sliceLast<128, 128, 64, 192, 128>(in, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    slice_c_kv_r1(const float *in, float *out) {
  r1ck::sliceLast<1, 0, 512, 576, 128>(in, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    slice_k_pe_r1(const float *in, float *out) {
  r1ck::sliceLast<1, 512, 64, 576, 128>(in, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    slice_k_nope_r1(const float *in, float *out) {
  r1ck::sliceLast<128, 0, 128, 256, 128>(in, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    slice_v_r1(const float *in, float *out) {
  r1ck::sliceLast<128, 128, 128, 256, 128>(in, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    slice_q_pe_tiny(const float *in, float *out) {
  r1ck::sliceLast<4, 32, 16, 48, 128>(in, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    slice_k_pe_tiny(const float *in, float *out) {
  r1ck::sliceLast<1, 64, 16, 80, 128>(in, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    concat_q_r1(const float *a, const float *b, float *out) {
  r1ck::concatLast<128, 128, 64, 128>(a, b, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    concat_k_r1(const float *a, const float *b, float *out) {
  r1ck::concatLast<128, 128, 64, 128>(a, b, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    concat_q_tiny(const float *a, const float *b, float *out) {
  r1ck::concatLast<4, 32, 16, 128>(a, b, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    broadcast_k_pe_r1(const float *in, float *out) {
  r1ck::broadcastHeads<128, 64, 128>(in, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    broadcast_k_pe_tiny(const float *in, float *out) {
  r1ck::broadcastHeads<4, 16, 128>(in, out);
}

// RoPE: R1's interleaved q_pe (128 heads) and k_pe (1 head) of 64; the Distills' half-rotated
// q and k heads of 128 (Qwen 12 and 2, Llama 64 and 8); the tiny model's 4 heads of 16.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    rope_q_r1(const float *in, const int32_t *pos, const float *inv_freq, float *out) {
  r1ck::rope<128, 64, true, 128>(in, pos, inv_freq, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    rope_k_r1(const float *in, const int32_t *pos, const float *inv_freq, float *out) {
  r1ck::rope<1, 64, true, 128>(in, pos, inv_freq, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    rope_q_qwen(const float *in, const int32_t *pos, const float *inv_freq, float *out) {
  r1ck::rope<12, 128, false, 128>(in, pos, inv_freq, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    rope_k_qwen(const float *in, const int32_t *pos, const float *inv_freq, float *out) {
  r1ck::rope<2, 128, false, 128>(in, pos, inv_freq, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    rope_q_llama(const float *in, const int32_t *pos, const float *inv_freq, float *out) {
  r1ck::rope<64, 128, false, 128>(in, pos, inv_freq, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    rope_k_llama(const float *in, const int32_t *pos, const float *inv_freq, float *out) {
  r1ck::rope<8, 128, false, 128>(in, pos, inv_freq, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    rope_q_tiny(const float *in, const int32_t *pos, const float *inv_freq, float *out) {
  r1ck::rope<4, 16, true, 128>(in, pos, inv_freq, out);
}

// W8A8 activation quantization of every Linear input of R1 (hidden, q_lora, kv_lora, heads * v,
// moe and dense intermediate) and of the tiny model (128, 64, and a partial block).
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    quantize_f8_7168(const float *x, float *out) {
  r1ck::quantizeF8Blocks<7168, 128>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    quantize_f8_1536(const float *x, float *out) {
  r1ck::quantizeF8Blocks<1536, 128>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    quantize_f8_512(const float *x, float *out) {
  r1ck::quantizeF8Blocks<512, 128>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    quantize_f8_16384(const float *x, float *out) {
  r1ck::quantizeF8Blocks<16384, 128>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    quantize_f8_2048(const float *x, float *out) {
  r1ck::quantizeF8Blocks<2048, 128>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(1024)
    quantize_f8_18432(const float *x, float *out) {
  r1ck::quantizeF8Blocks<18432, 1024>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    quantize_f8_128(const float *x, float *out) {
  r1ck::quantizeF8Blocks<128, 128>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    quantize_f8_64(const float *x, float *out) {
  r1ck::quantizeF8Blocks<64, 128>(x, out);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    quantize_f8_200(const float *x, float *out) {
  r1ck::quantizeF8Blocks<200, 128>(x, out);
}

// Greedy pick over the vocabularies of R1, Qwen-1.5B, Llama-70B and a tiny model.
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(1024)
    argmax_129280(const float *logits, int32_t *out_id) {
  r1ck::argmaxRow<129280, 1024>(logits, out_id);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(1024)
    argmax_151936(const float *logits, int32_t *out_id) {
  r1ck::argmaxRow<151936, 1024>(logits, out_id);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    argmax_128256(const float *logits, int32_t *out_id) {
  r1ck::argmaxRow<128256, 128>(logits, out_id);
}
extern "C" R1_GLOBAL void R1_LAUNCH_BOUNDS(128)
    argmax_512(const float *logits, int32_t *out_id) {
  r1ck::argmaxRow<512, 128>(logits, out_id);
}
