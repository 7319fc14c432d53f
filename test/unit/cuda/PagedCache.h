//===- PagedCache.h - Block tables for the CUDA attention kernel tests ----===//
//
// The attention and MLA kernels read a paged KV cache through a block table
// (Attention.cuh, kvRow). Their tests build tables with this, identity or
// permuted, and check where the stores put each row.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_TEST_UNIT_CUDA_PAGEDCACHE_H
#define R1C_TEST_UNIT_CUDA_PAGEDCACHE_H

#include "codegen/cuda/kernels/Attention.cuh"

#include <cstdint>
#include <cstring>
#include <vector>

namespace r1ck::test {

/// The block table of a paged cache of cap positions and its pool's size.
/// Identity: block i in pool block i, no spare block. Permuted: the blocks in
/// reverse order at the odd pool blocks, so that no two neighbours are
/// adjacent and the even pool blocks (the first and the last among them)
/// are never mapped.
struct PagedCache {
  std::vector<int32_t> table;
  int64_t poolRows;

  PagedCache(int64_t cap, bool permuted) {
    constexpr int64_t B = r1ck::kKvBlockRows;
    const int64_t n = (cap + B - 1) / B;
    for (int64_t i = 0; i < n; ++i)
      table.push_back(int32_t(permuted ? 2 * (n - 1 - i) + 1 : i));
    poolRows = (permuted ? 2 * n + 1 : n) * B;
  }
  int64_t row(int64_t p) const {
    return int64_t(table[size_t(p / r1ck::kKvBlockRows)]) * r1ck::kKvBlockRows +
           p % r1ck::kKvBlockRows;
  }

  /// Whether pool row row(p) of `pool` holds host row p's `width` floats for
  /// every p < cap, and every pool row no position maps to is still `fill`.
  bool matches(const std::vector<float> &pool, const std::vector<float> &host, int64_t width,
               int64_t cap, float fill) const {
    std::vector<bool> mapped(size_t(poolRows), false);
    for (int64_t p = 0; p < cap; ++p) {
      mapped[size_t(row(p))] = true;
      if (std::memcmp(pool.data() + row(p) * width, host.data() + p * width,
                      size_t(width) * sizeof(float)) != 0)
        return false;
    }
    const std::vector<float> untouched(size_t(width), fill);
    for (int64_t r = 0; r < poolRows; ++r)
      if (!mapped[size_t(r)] && std::memcmp(pool.data() + r * width, untouched.data(),
                                            size_t(width) * sizeof(float)) != 0)
        return false;
    return true;
  }
};

} // namespace r1ck::test

#endif // R1C_TEST_UNIT_CUDA_PAGEDCACHE_H
