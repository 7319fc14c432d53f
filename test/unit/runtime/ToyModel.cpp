//===- ToyModel.cpp - A toy "compiled model" implementing R1Abi.h ---------===//
//
// Built as a shared object and packaged into test artifacts in place of the
// code r1c generates; see ToyModelSpec.h for what it computes. It checks its
// arguments as strictly as generated code should, so the runtime's tests also
// test that the runtime keeps the ABI's contract.
//
//===----------------------------------------------------------------------===//

#include "runtime/R1Abi.h"
#include "test/unit/runtime/ToyModelSpec.h"

#include <cstdint>

using namespace r1::toy;

namespace {

struct LogitsJob {
  const r1_step_args *args;
  const float *h; // per logits row
  int64_t firstRow;
  int64_t blocks;
};

bool aligned64(const void *p) { return reinterpret_cast<uintptr_t>(p) % 64 == 0; }

void logitsTask(int64_t task, void *data) {
  const LogitsJob &job = *static_cast<const LogitsJob *>(data);
  const r1_step_args &a = *job.args;
  int64_t row = task / job.blocks, block = task % job.blocks;
  int32_t token = a.tokens[job.firstRow + row];
  const float *biasW = static_cast<const float *>(a.weights[0]);
  const float *embW = static_cast<const float *>(a.weights[1]);
  const float *mixW = static_cast<const float *>(a.weights[2]);
  float *out = a.logits + row * kVocab;
  for (int64_t v = block * kBlock; v < (block + 1) * kBlock && v < kVocab; ++v)
    out[v] = biasW[v] + embW[token] + job.h[row] * mixW[v];
}

int step(const r1_step_args *a, bool decode) {
  if (!a || a->abi_version != R1_ABI_VERSION)
    return R1_STEP_BAD_ABI;
  int64_t n = a->n_tokens;
  if (n < 1 || n > kMaxStepTokens || (decode && n != 1))
    return R1_STEP_BAD_ARGS;
  if (a->logits_rows != n && a->logits_rows != 1)
    return R1_STEP_BAD_ARGS;
  if (!a->tokens || !a->positions || !a->logits || !a->weights || !a->parallel_for ||
      a->num_threads < 1)
    return R1_STEP_BAD_ARGS;
  if (!aligned64(a->kv_cache) || !aligned64(a->arena))
    return R1_STEP_BAD_ARGS;
  for (int i = 0; i < 3; ++i)
    if (!aligned64(a->weights[i]))
      return R1_STEP_BAD_ARGS;
  if (a->precision != R1_PRECISION_DEFAULT && a->precision != R1_PRECISION_FP32 &&
      a->precision != R1_PRECISION_BF16)
    return R1_STEP_BAD_ARGS;
  int32_t first = a->positions[0];
  if (first < 0 || first + n > a->kv_capacity)
    return R1_STEP_BAD_ARGS;
  for (int64_t i = 0; i < n; ++i)
    if (a->positions[i] != first + i || a->tokens[i] < 0 || a->tokens[i] >= kVocab)
      return R1_STEP_BAD_ARGS;

  auto *kv = static_cast<KvEntry *>(a->kv_cache);
  // The history must be in the cache, written by earlier steps.
  for (int32_t q = 0; q < first; ++q)
    if (kv[q].positionPlusOne != static_cast<float>(q + 1))
      return R1_STEP_BAD_ARGS;
  const float *embW = static_cast<const float *>(a->weights[1]);
  for (int64_t i = 0; i < n; ++i)
    kv[first + i] =
        KvEntry{embW[a->tokens[i]], static_cast<float>(first + i + 1), decode ? 1.0f : 2.0f, {}};

  int64_t firstRow = n - a->logits_rows;
  auto *h = static_cast<float *>(a->arena);
  for (int64_t row = 0; row < a->logits_rows; ++row) {
    float sum = 0;
    for (int64_t q = 0; q <= first + firstRow + row; ++q)
      sum += kv[q].emb;
    h[row] = a->precision == R1_PRECISION_FP32 ? sum : roundToBf16(sum);
  }
  LogitsJob job{a, h, firstRow, (kVocab + kBlock - 1) / kBlock};
  a->parallel_for(a->pool, a->logits_rows * job.blocks, logitsTask, &job);
  return R1_STEP_OK;
}

} // namespace

extern "C" {

__attribute__((visibility("default"))) int r1_prefill(const struct r1_step_args *args) {
  return step(args, /*decode=*/false);
}

__attribute__((visibility("default"))) int r1_decode(const struct r1_step_args *args) {
  return step(args, /*decode=*/true);
}

__attribute__((visibility("default"))) const char *r1_code_identity(void) { return kIdentity; }

} // extern "C"
