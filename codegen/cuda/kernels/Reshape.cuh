//===- Reshape.cuh - CUDA kernels: slices, concatenation, head broadcast --===//
//
// Device bodies mirroring codegen/host/kernels/Reshape.h: copies along the
// last axis of [rows, Heads, ...] fp32 arrays, as MLA needs them (q split
// into q_nope | q_pe, joined again per head; the single k_pe head broadcast
// to every head). Launch: grid.x = rows, kThreads threads (a multiple of 32,
// at most 1024), no dynamic shared memory; block b copies all heads of token
// row b, consecutive threads taking consecutive output elements, so stores
// coalesce. Outputs must not overlap inputs (as on the host). Exact copies.
//
//===----------------------------------------------------------------------===//
#ifndef R1CK_RESHAPE_CUH
#define R1CK_RESHAPE_CUH

#include "Elementwise.cuh"
#include "R1Cuda.h"

#include <stdint.h>

namespace r1ck {

/// out[rows, Heads, Size] = in[:, :, InOff : InOff + Size], in viewed as
/// [rows, Heads, InRow].
template <int64_t Heads, int64_t InOff, int64_t Size, int64_t InRow, int kThreads>
R1_DEVICE inline void sliceLast(const float *in, float *out) {
  static_assert(InOff >= 0 && Size > 0 && InOff + Size <= InRow, "slice out of the row");
  static_assert(Heads > 0 && Heads * InRow <= rowwise::kMaxRow, "row length");
  const float *src = in + int64_t(blockIdx.x) * (Heads * InRow) + InOff;
  float *dst = out + int64_t(blockIdx.x) * (Heads * Size);
  for (int i = int(threadIdx.x); i < Heads * Size; i += kThreads) {
    const int h = i / int(Size), k = i % int(Size); // constant divisors
    dst[i] = src[h * int(InRow) + k];
  }
}

/// out[rows, Heads, A + B] = [a[rows, Heads, A] | b[rows, Heads, B]] along
/// the last axis.
template <int64_t Heads, int64_t A, int64_t B, int kThreads>
R1_DEVICE inline void concatLast(const float *a, const float *b, float *out) {
  static_assert(A > 0 && B > 0, "concatLast needs two non-empty parts");
  static_assert(Heads > 0 && Heads * (A + B) <= rowwise::kMaxRow, "row length");
  constexpr int kRow = int(A + B);
  const float *ra = a + int64_t(blockIdx.x) * (Heads * A);
  const float *rb = b + int64_t(blockIdx.x) * (Heads * B);
  float *dst = out + int64_t(blockIdx.x) * (Heads * kRow);
  for (int i = int(threadIdx.x); i < Heads * kRow; i += kThreads) {
    const int h = i / kRow, k = i % kRow;
    dst[i] = k < A ? ra[h * int(A) + k] : rb[h * int(B) + (k - int(A))];
  }
}

/// out[rows, Heads, D] = in[rows, 1, D] repeated over the heads.
template <int64_t Heads, int64_t D, int kThreads>
R1_DEVICE inline void broadcastHeads(const float *in, float *out) {
  static_assert(Heads > 0 && D > 0 && Heads * D <= rowwise::kMaxRow, "row length");
  const float *src = in + int64_t(blockIdx.x) * D;
  float *dst = out + int64_t(blockIdx.x) * (Heads * D);
  for (int i = int(threadIdx.x); i < Heads * D; i += kThreads)
    dst[i] = src[i % int(D)];
}

} // namespace r1ck

#endif // R1CK_RESHAPE_CUH
