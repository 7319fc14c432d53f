//===- Embed.cuh - CUDA kernels: embedding lookup, greedy argmax ----------===//
//
// Device bodies at the two ends of a model: the token embedding lookup
// (mirroring r1hk::embed in codegen/host/kernels/Elementwise.h) and the
// greedy pick over a row of logits. Launch: grid.x = rows, kThreads threads
// (a multiple of 32, at most 1024), no dynamic shared memory; block b
// handles token row b.
//
//===----------------------------------------------------------------------===//
#ifndef R1CK_EMBED_CUH
#define R1CK_EMBED_CUH

#include "Elementwise.cuh"
#include "R1Cuda.h"
#include "WeightTypes.cuh"

#include <stdint.h>

namespace r1ck {

/// out[b] = table[tokens[b]] decoded to f32 (table is [V, H] of WT, stored
/// as for the host); a token outside [0, V) gives a zero row, as on the host.
/// F8E4M3 decodes the codes without a block scale, as r1hk::embed does (it
/// takes no scales); the checkpoints keep embeddings in bf16.
template <int64_t V, int64_t H, WType WT, int kThreads>
R1_DEVICE inline void embed(const int32_t *tokens, const void *table, float *out) {
  static_assert(V > 0 && H > 0 && H <= rowwise::kMaxRow, "table shape");
  static_assert(!isIntW(WT), "embedding tables are not integer-quantized (no scales here)");
  const int64_t token = tokens[blockIdx.x];
  float *o = out + int64_t(blockIdx.x) * H;
  if (token >= 0 && token < V) {
    const int64_t base = token * H; // beyond 2^31 elements for R1's table
    for (int i = int(threadIdx.x); i < H; i += kThreads)
      o[i] = loadWeight<WT>(table, base + i);
  } else {
    for (int i = int(threadIdx.x); i < H; i += kThreads)
      o[i] = 0.0f;
  }
}

namespace rowwise {

/// Whether candidate (va, ia) beats (vb, ib) in the greedy order: the larger
/// value, on equal values (+0 == -0 included) the lower id; id -1 (no
/// candidate) never. A total order on real candidates, so every lane of a
/// butterfly reduction ends with the same winner.
R1_DEVICE inline bool beatsForArgmax(float va, int ia, float vb, int ib) {
  if (ia < 0)
    return false;
  if (ib < 0)
    return true;
  return va > vb || (va == vb && ia < ib);
}

/// The winner of (value, id) over the warp, in every lane.
R1_DEVICE inline void warpArgmax(float &value, int &id) {
  for (int m = 16; m > 0; m /= 2) {
    const float otherValue = __shfl_xor_sync(0xffffffffu, value, m);
    const int otherId = __shfl_xor_sync(0xffffffffu, id, m);
    if (beatsForArgmax(otherValue, otherId, value, id))
      value = otherValue, id = otherId;
  }
}

} // namespace rowwise

/// outId[b] = the index of the largest of logits[b, 0 .. V): greedy
/// sampling on the device, as the runtime's argmax (runtime/Greedy.cpp):
/// the first on ties, NaNs never win, 0 if the row is all NaN.
template <int64_t V, int kThreads>
R1_DEVICE inline void argmaxRow(const float *logits, int32_t *outId) {
  static_assert(kThreads % 32 == 0 && kThreads <= 1024, "whole warps, at most 1024 threads");
  static_assert(V > 0 && V <= rowwise::kMaxRow, "row length");
  constexpr int kWarps = kThreads / 32;
  R1_SHARED float warpValue[kWarps];
  R1_SHARED int warpId[kWarps];
  const float *row = logits + int64_t(blockIdx.x) * V;
  // Each thread's ids increase, so a strict > keeps its first maximum.
  float value = 0.0f;
  int id = -1;
  for (int i = int(threadIdx.x); i < V; i += kThreads) {
    const float v = row[i];
    if (v == v && (id < 0 || v > value))
      value = v, id = i;
  }
  rowwise::warpArgmax(value, id);
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  if (lane == 0)
    warpValue[warp] = value, warpId[warp] = id;
  __syncthreads();
  if (warp == 0) {
    value = lane < kWarps ? warpValue[lane] : 0.0f;
    id = lane < kWarps ? warpId[lane] : -1;
    rowwise::warpArgmax(value, id);
    if (lane == 0)
      outId[blockIdx.x] = id < 0 ? 0 : id;
  }
}

} // namespace r1ck

#endif // R1CK_EMBED_CUH
