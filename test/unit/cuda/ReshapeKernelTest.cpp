//===- ReshapeKernelTest.cpp - CUDA sliceLast/concatLast/broadcastHeads ---===//
//
// codegen/cuda/kernels/Reshape.cuh on the host (R1CudaEmu.h) against the host
// kernels (codegen/host/kernels/Reshape.h): exact copies, so bit for bit, at
// MLA's shapes for the tiny model and R1 (q = [q_nope | q_pe] per head, the
// latent's [c_kv | k_pe], k_pe broadcast to the heads), with rows not a
// multiple of the block and more threads than elements.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/kernels/Reshape.cuh"
#include "test/unit/kernels/KernelTestUtil.h"

#include <gtest/gtest.h>

#include <vector>

namespace {

using r1hk::test::Rng;
using r1hk::test::sameBits;

const r1hk::Exec kSerial{nullptr, nullptr, 1, true};

template <int64_t Heads, int64_t InOff, int64_t Size, int64_t InRow, int kThreads>
R1_GLOBAL void sliceKernel(const float *in, float *out) {
  r1ck::sliceLast<Heads, InOff, Size, InRow, kThreads>(in, out);
}
template <int64_t Heads, int64_t A, int64_t B, int kThreads>
R1_GLOBAL void concatKernel(const float *a, const float *b, float *out) {
  r1ck::concatLast<Heads, A, B, kThreads>(a, b, out);
}
template <int64_t Heads, int64_t D, int kThreads>
R1_GLOBAL void broadcastKernel(const float *in, float *out) {
  r1ck::broadcastHeads<Heads, D, kThreads>(in, out);
}

template <int64_t Heads, int64_t InOff, int64_t Size, int64_t InRow, int kThreads>
void checkSlice(int rows, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> in = rng.floats(size_t(rows * Heads * InRow), -1.0f, 1.0f);
  std::vector<float> got(size_t(rows * Heads * Size), NAN), want(got.size());
  auto *k = &sliceKernel<Heads, InOff, Size, InRow, kThreads>;
  R1_LAUNCH(k, dim3(rows), dim3(kThreads), 0, nullptr, in.data(), got.data());
  r1hk::sliceLast<Heads, InOff, Size, InRow>(kSerial, in.data(), rows, want.data());
  EXPECT_TRUE(sameBits(got, want)) << "sliceLast<" << Heads << ", " << InOff << ", " << Size
                                   << ", " << InRow << ">";
}

TEST(CudaReshape, SliceLastIsTheHostsCopy) {
  checkSlice<4, 0, 32, 48, 128>(3, 1);  // tiny q_nope
  checkSlice<4, 32, 16, 48, 64>(3, 2);  // tiny q_pe
  checkSlice<1, 64, 16, 80, 128>(5, 3); // tiny k_pe out of the latent: fewer elements than threads
  checkSlice<128, 128, 64, 192, 128>(2, 4); // R1 q_pe
  checkSlice<1, 0, 512, 576, 96>(2, 5);     // R1 c_kv, 96 threads (3 warps)
}

template <int64_t Heads, int64_t A, int64_t B, int kThreads>
void checkConcat(int rows, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> a = rng.floats(size_t(rows * Heads * A), -1.0f, 1.0f);
  std::vector<float> b = rng.floats(size_t(rows * Heads * B), 2.0f, 3.0f);
  std::vector<float> got(size_t(rows * Heads * (A + B)), NAN), want(got.size());
  auto *k = &concatKernel<Heads, A, B, kThreads>;
  R1_LAUNCH(k, dim3(rows), dim3(kThreads), 0, nullptr, a.data(), b.data(), got.data());
  r1hk::concatLast<Heads, A, B>(kSerial, a.data(), b.data(), rows, want.data());
  EXPECT_TRUE(sameBits(got, want)) << "concatLast<" << Heads << ", " << A << ", " << B << ">";
}

TEST(CudaReshape, ConcatLastIsTheHostsCopy) {
  checkConcat<4, 32, 16, 128>(3, 6);   // tiny q
  checkConcat<3, 5, 7, 32>(4, 7);      // odd parts
  checkConcat<128, 128, 64, 128>(2, 8); // R1 q and k
}

template <int64_t Heads, int64_t D, int kThreads>
void checkBroadcast(int rows, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> in = rng.floats(size_t(rows * D), -1.0f, 1.0f);
  std::vector<float> got(size_t(rows * Heads * D), NAN), want(got.size());
  auto *k = &broadcastKernel<Heads, D, kThreads>;
  R1_LAUNCH(k, dim3(rows), dim3(kThreads), 0, nullptr, in.data(), got.data());
  r1hk::broadcastHeads<Heads, D>(kSerial, in.data(), rows, want.data());
  EXPECT_TRUE(sameBits(got, want)) << "broadcastHeads<" << Heads << ", " << D << ">";
}

TEST(CudaReshape, BroadcastHeadsIsTheHostsCopy) {
  checkBroadcast<4, 16, 128>(3, 9);    // tiny k_pe
  checkBroadcast<5, 13, 32>(4, 10);    // odd sizes
  checkBroadcast<128, 64, 128>(2, 11); // R1 k_pe
}

} // namespace
