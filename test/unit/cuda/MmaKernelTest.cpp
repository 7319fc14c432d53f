//===- MmaKernelTest.cpp - The m16n8k16 bf16 MMA's host emulation ---------===//
//
// codegen/cuda/kernels/Mma.cuh on the host: a warp loads A (16x16), B (16x8)
// and C (16x8) into fragments as the PTX ISA's tables for
// mma.m16n8k16 .bf16 give them (written here from the tables' row/column
// formulas, independently of the emulation's gather), runs the MMA and
// stores D the same way; D must be A * B + C. A = identity pins the layout
// of B and C down exactly; random tiles check the rest.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/kernels/Mma.cuh"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace {

// PTX ISA, "Matrix Fragments for mma.m16n8k16" with .bf16 (groupID = lane >> 2,
// threadID_in_group = lane % 4); element i of a fragment is half i % 2 of
// register i / 2.
int aRow(int lane, int i) { return (i < 2 || (i >= 4 && i < 6)) ? lane >> 2 : (lane >> 2) + 8; }
int aCol(int lane, int i) { return (lane % 4) * 2 + (i & 1) + (i >= 4 ? 8 : 0); }
int bRow(int lane, int i) { return (lane % 4) * 2 + (i & 1) + (i >= 2 ? 8 : 0); }
int bCol(int lane, int) { return lane >> 2; }
int cRow(int lane, int i) { return i < 2 ? lane >> 2 : (lane >> 2) + 8; }
int cCol(int lane, int i) { return (lane % 4) * 2 + (i & 1); }

uint16_t bf16Bits(float f) { // f is exact in bf16
  uint32_t u;
  std::memcpy(&u, &f, 4);
  EXPECT_EQ(u & 0xffffu, 0u) << f << " is not a bf16 value";
  return uint16_t(u >> 16);
}

/// A [16][16] and B [16][8] as bf16 bits, C and D [16][8] f32: one warp.
R1_GLOBAL void mmaKernel(const uint16_t *A, const uint16_t *B, const float *C, float *D) {
  const int lane = int(threadIdx.x);
  uint32_t a[4] = {}, b[2] = {};
  float c[4];
  for (int i = 0; i < 8; ++i)
    a[i / 2] |= uint32_t(A[aRow(lane, i) * 16 + aCol(lane, i)]) << (16 * (i % 2));
  for (int i = 0; i < 4; ++i)
    b[i / 2] |= uint32_t(B[bRow(lane, i) * 8 + bCol(lane, i)]) << (16 * (i % 2));
  for (int i = 0; i < 4; ++i)
    c[i] = C[cRow(lane, i) * 8 + cCol(lane, i)];
  r1ck::mmaM16N8K16Bf16(c, a, b);
  for (int i = 0; i < 4; ++i)
    D[cRow(lane, i) * 8 + cCol(lane, i)] = c[i];
}

std::vector<float> runMma(const std::vector<float> &A, const std::vector<float> &B,
                          const std::vector<float> &C) {
  std::vector<uint16_t> a(256), b(128);
  for (int i = 0; i < 256; ++i)
    a[size_t(i)] = bf16Bits(A[size_t(i)]);
  for (int i = 0; i < 128; ++i)
    b[size_t(i)] = bf16Bits(B[size_t(i)]);
  std::vector<float> D(128, NAN);
  R1_LAUNCH(mmaKernel, dim3(1), dim3(32), 0, nullptr, a.data(), b.data(), C.data(), D.data());
  return D;
}

TEST(CudaMma, IdentityTimesBPlusCIsExact) {
  std::vector<float> A(256, 0.0f), B(128), C(128);
  for (int i = 0; i < 16; ++i)
    A[size_t(i * 16 + i)] = 1.0f;
  for (int i = 0; i < 128; ++i) {
    B[size_t(i)] = float(i + 1);          // every element distinct, exact in bf16
    C[size_t(i)] = float(i) * 1024.0f;    // ... and no two sums alike
  }
  std::vector<float> D = runMma(A, B, C);
  for (int r = 0; r < 16; ++r)
    for (int n = 0; n < 8; ++n)
      EXPECT_EQ(D[size_t(r * 8 + n)], B[size_t(r * 8 + n)] + C[size_t(r * 8 + n)])
          << "D[" << r << "][" << n << "]";
}

TEST(CudaMma, RandomTilesMatchAPlainProduct) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> small(-127, 127);
  std::uniform_real_distribution<float> u(-4.0f, 4.0f);
  for (int trial = 0; trial < 4; ++trial) {
    // k * 2^-5 with |k| < 128: 7 significant bits, exact in bf16.
    std::vector<float> A(256), B(128), C(128);
    for (float &v : A)
      v = float(small(rng)) * 0x1p-5f;
    for (float &v : B)
      v = float(small(rng)) * 0x1p-5f;
    for (float &v : C)
      v = u(rng);
    std::vector<float> D = runMma(A, B, C);
    for (int r = 0; r < 16; ++r)
      for (int n = 0; n < 8; ++n) {
        double want = C[size_t(r * 8 + n)], absSum = std::fabs(want);
        for (int k = 0; k < 16; ++k) {
          double p = double(A[size_t(r * 16 + k)]) * double(B[size_t(k * 8 + n)]);
          want += p, absSum += std::fabs(p);
        }
        EXPECT_NEAR(D[size_t(r * 8 + n)], want, 1e-6 * absSum + 1e-30)
            << "trial " << trial << ", D[" << r << "][" << n << "]";
      }
  }
}

} // namespace
