//===- Mma.cuh - CUDA kernels: the m16n8k16 bf16 tensor-core MMA ----------===//
//
// D = A * B + C for one warp: A 16x16 bf16 (row-major fragments), B 16x8
// bf16 (column-major fragments), C and D 16x8 f32, accumulated in place.
// Under nvcc it is one `mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32`
// (sm_80+); on the host, where the emulator has no tensor cores, the warp
// gathers the operands it needs through a per-warp static slice (two
// __syncwarp) and computes the same product in fp32, so that kernels built
// on it run in the unit tests.
//
// Fragments, as the PTX ISA lays them out for m16n8k16 .bf16 (lane l,
// g = l >> 2, q = l % 4; each uint32 holds two bf16, the lower-numbered
// element in the low half):
//   a[0] = A[g][2q, 2q+1]      a[1] = A[g+8][2q, 2q+1]
//   a[2] = A[g][2q+8, 2q+9]    a[3] = A[g+8][2q+8, 2q+9]
//   b[0] = B[2q, 2q+1][g]      b[1] = B[2q+8, 2q+9][g]
//   c[0], c[1] = C[g][2q, 2q+1]   c[2], c[3] = C[g+8][2q, 2q+1]
//
// Every lane of the warp must call it with the full mask's participation
// (it is a warp-synchronous instruction). LinearTc.cuh builds the prefill
// GEMMs on it.
//
//===----------------------------------------------------------------------===//
#ifndef R1CK_MMA_CUH
#define R1CK_MMA_CUH

#include "R1Cuda.h"

#include <stdint.h>

namespace r1ck {

#if defined(__CUDACC__)

R1_DEVICE inline void mmaM16N8K16Bf16(float (&c)[4], const uint32_t (&a)[4],
                                      const uint32_t (&b)[2]) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

#else

namespace mma_detail {
inline float lowBf16(uint32_t pair) { return __uint_as_float(pair << 16); }
inline float highBf16(uint32_t pair) { return __uint_as_float(pair & 0xffff0000u); }
} // namespace mma_detail

/// The emulation: lane (g, q) needs rows g and g+8 of A and columns 2q and
/// 2q+1 of B. Each lane publishes its a[4], b[2] in its warp's slice of a
/// function-local static (one object in the process; blocks run one at a
/// time in the emulator, so it is per block, a slice per warp), the warp
/// meets at __syncwarp, and each lane reads what it needs: for each pair of
/// k (k, k+1), k = 2p, the A pair of row g sits in lane g*4 + p%4 (register
/// a[0] for k < 8, a[2] above; a[1]/a[3] for row g+8), the B pair of column
/// n in lane n*4 + p%4 (b[0] / b[1]). A second __syncwarp keeps the slice
/// until every lane has read it: two warp barriers per MMA (the shuffles it
/// replaced were 32). Products of bf16 values are exact in fp32; the sum
/// runs in k order after C.
inline void mmaM16N8K16Bf16(float (&c)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  using namespace mma_detail;
  static uint32_t slice[32][32][6]; // [warp][lane][a0..a3, b0, b1]
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32, g = lane >> 2,
            q = lane % 4;
  uint32_t(&mine)[32][6] = slice[warp];
  for (int i = 0; i < 4; ++i)
    mine[lane][i] = a[i];
  mine[lane][4] = b[0], mine[lane][5] = b[1];
  __syncwarp();
  for (int p = 0; p < 8; ++p) {
    const int high = p >= 4 ? 1 : 0; // k >= 8
    const uint32_t aTop = mine[g * 4 + p % 4][2 * high];
    const uint32_t aBottom = mine[g * 4 + p % 4][2 * high + 1];
    const uint32_t b0 = mine[(2 * q) * 4 + p % 4][4 + high];
    const uint32_t b1 = mine[(2 * q + 1) * 4 + p % 4][4 + high];
    // k = 2p and 2p + 1: the low, then the high half of each pair.
    c[0] = fmaf(lowBf16(aTop), lowBf16(b0), c[0]);
    c[0] = fmaf(highBf16(aTop), highBf16(b0), c[0]);
    c[1] = fmaf(lowBf16(aTop), lowBf16(b1), c[1]);
    c[1] = fmaf(highBf16(aTop), highBf16(b1), c[1]);
    c[2] = fmaf(lowBf16(aBottom), lowBf16(b0), c[2]);
    c[2] = fmaf(highBf16(aBottom), highBf16(b0), c[2]);
    c[3] = fmaf(lowBf16(aBottom), lowBf16(b1), c[3]);
    c[3] = fmaf(highBf16(aBottom), highBf16(b1), c[3]);
  }
  __syncwarp(); // the next MMA of this warp overwrites the slice
}

#endif

} // namespace r1ck

#endif // R1CK_MMA_CUH
