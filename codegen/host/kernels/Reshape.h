//===- Reshape.h - Host kernels: slices, concatenation, head broadcast ----===//
//
// Copies along the last axis of [n, H, ...] fp32 arrays, as MLA needs them:
// q = [q_nope | q_pe] split and joined per head, the single k_pe head
// broadcast to every head. Rows are split into ranges; small jobs run inline.
// Outputs must not overlap inputs.
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_RESHAPE_H
#define R1HK_RESHAPE_H

#include "Elementwise.h"

#include <cstring>

namespace r1hk {

/// out[n, H, Size] = in[:, :, InOff : InOff + Size] with in viewed as
/// [n, H, InRow].
template <int64_t H, int64_t InOff, int64_t Size, int64_t InRow>
void sliceLast(const Exec &ex, const float *in, int64_t n, float *out) {
  static_assert(InOff >= 0 && Size > 0 && InOff + Size <= InRow, "slice out of the row");
  detail::forRowRanges(ex, n * H, Size, detail::kInlineElems, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      std::memcpy(out + r * Size, in + r * InRow + InOff, sizeof(float) * Size);
  });
}

/// out[n, H, A + B] = [a[n, H, A] | b[n, H, B]] along the last axis.
template <int64_t H, int64_t A, int64_t B>
void concatLast(const Exec &ex, const float *a, const float *b, int64_t n, float *out) {
  static_assert(A > 0 && B > 0, "concatLast needs two non-empty parts");
  detail::forRowRanges(ex, n * H, A + B, detail::kInlineElems, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      std::memcpy(out + r * (A + B), a + r * A, sizeof(float) * A);
      std::memcpy(out + r * (A + B) + A, b + r * B, sizeof(float) * B);
    }
  });
}

/// out[n, H, D] = in[n, 1, D] repeated over H heads.
template <int64_t H, int64_t D>
void broadcastHeads(const Exec &ex, const float *in, int64_t n, float *out) {
  detail::forRowRanges(ex, n, H * D, detail::kInlineElems, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t)
      for (int64_t h = 0; h < H; ++h)
        std::memcpy(out + (t * H + h) * D, in + t * D, sizeof(float) * D);
  });
}

} // namespace r1hk

#endif // R1HK_RESHAPE_H
