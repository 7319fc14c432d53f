//===- ToyModelSpec.h - The toy model behind the runtime's tests ----------===//
//
// A stand-in for generated code, small enough to check by hand, that uses
// every part of R1Abi.h: three f32 weights, a KV cache that carries the
// history between steps, the arena, parallel_for. For token t at position p:
//
//   kv[p]        = {emb[t], p + 1, 1 if written by r1_decode else 2}
//   h            = emb[t_0] + emb[t_1] + ... + emb[t_p]   (summed in order,
//                  from the KV cache; fp32, rounded to bf16 in the default
//                  and bf16 precisions)
//   logits[v]    = bias[v] + emb[t] + h * mix[v]
//
// so logits depend on the whole prefix, and a step that does not find the
// earlier positions in the cache (kv[q].p + 1 != q + 1) fails with
// R1_STEP_BAD_ARGS. Shared by the model (ToyModel.cpp) and the tests.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_TEST_UNIT_RUNTIME_TOYMODELSPEC_H
#define R1C_TEST_UNIT_RUNTIME_TOYMODELSPEC_H

#include <cstdint>
#include <cstring>

namespace r1::toy {

inline constexpr int64_t kVocab = 40;
inline constexpr int64_t kMaxStepTokens = 8;
inline constexpr int64_t kMaxPositions = 64;
inline constexpr int64_t kKvBytesPerToken = 64;
inline constexpr int64_t kArenaBytes = kMaxStepTokens * 4;
inline constexpr int32_t kBos = 1;
inline constexpr int32_t kEos = 2;
/// Logits per parallel_for task.
inline constexpr int64_t kBlock = 8;
inline constexpr const char *kIdentity = "r1c-test toy-model host";

/// Weight values, a function of the index so the tests need no files. All
/// are small integers over powers of two, so every way of computing them
/// (constant folding, contraction into FMA) gives the same float; emb has
/// enough bits that its sums are not bf16 values, so the precisions differ.
inline float bias(int64_t v) { return static_cast<float>(v % 7 - 2) / 4.0f; }
inline float emb(int64_t t) { return static_cast<float>((t * 13) % 17 * 293 - 2000) / 4096.0f; }
inline float mix(int64_t v) { return static_cast<float>((v * 5) % 11 - 5) / 8.0f; }

/// Round to the nearest bf16 (ties to even), as the default precision does.
inline float roundToBf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  bits = (bits + 0x7fff + ((bits >> 16) & 1)) & 0xffff0000u;
  std::memcpy(&x, &bits, sizeof(bits));
  return x;
}

/// One KV-cache entry (kKvBytesPerToken bytes).
struct KvEntry {
  float emb;
  float positionPlusOne;
  float writtenBy; // 1: r1_decode, 2: r1_prefill
  float unused[13];
};
static_assert(sizeof(KvEntry) == kKvBytesPerToken);

} // namespace r1::toy

#endif // R1C_TEST_UNIT_RUNTIME_TOYMODELSPEC_H
