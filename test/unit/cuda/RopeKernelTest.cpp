//===- RopeKernelTest.cpp - CUDA rotary position embedding ----------------===//
//
// codegen/cuda/kernels/Rope.cuh on the host (R1CudaEmu.h) against r1hk::rope
// (codegen/host/kernels/Rope.h): the same bits (within 1e-6 where the host
// runs its scalar tail), interleaved (R1) and half (Qwen, Llama) styles,
// positions from 0 to past R1's 163840-token context, heads * pairs not a
// multiple of the block, in place. The kernel's own
// double sin/cos against the C library's on many angles: within 2 ulp of
// double and, rounded to float, the host's tables.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/kernels/Rope.cuh"
#include "test/unit/kernels/KernelTestUtil.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <vector>

namespace {

using r1hk::test::Rng;

const r1hk::Exec kSerial{nullptr, nullptr, 1, true};

template <int64_t Heads, int64_t D, bool kInterleaved, int kThreads>
R1_GLOBAL void ropeKernel(const float *in, const int32_t *pos, const float *invFreq, float *out) {
  r1ck::rope<Heads, D, kInterleaved, kThreads>(in, pos, invFreq, out);
}

/// Hugging Face's inv_freq = 1 / base^(2i / D), in fp32.
std::vector<float> inverseFrequencies(int64_t D, float base) {
  std::vector<float> f(size_t(D / 2));
  for (int64_t i = 0; i < D / 2; ++i)
    f[size_t(i)] = 1.0f / std::pow(base, float(2 * i) / float(D));
  return f;
}

/// got and want bit for bit; reports the first difference.
void expectSameBits(const std::vector<float> &got, const std::vector<float> &want,
                    const char *what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
        << what << ": element " << i << " is " << got[i] << ", want " << want[i];
}

template <int64_t Heads, int64_t D, bool kInterleaved, int kThreads>
void checkRope(const std::vector<int32_t> &pos, float base, uint64_t seed) {
  const int rows = int(pos.size());
  Rng rng(seed);
  std::vector<float> x = rng.floats(size_t(rows * Heads * D), -3.0f, 3.0f);
  std::vector<float> invFreq = inverseFrequencies(D, base);
  std::vector<float> got(x.size(), NAN), want(x.size());
  auto *k = &ropeKernel<Heads, D, kInterleaved, kThreads>;
  R1_LAUNCH(k, dim3(rows), dim3(kThreads), 0, nullptr, x.data(), pos.data(), invFreq.data(),
            got.data());
  r1hk::rope<Heads, D, kInterleaved>(kSerial, x.data(), want.data(), rows, pos.data(),
                                     invFreq.data());
  // The host's vector loop rounds as the kernel does (one fma per output);
  // its scalar tail, used where D (interleaved) or D/2 (half) is not a
  // multiple of the vector width, leaves the fusing to the compiler.
  constexpr bool kHostVectorOnly = (kInterleaved ? D : D / 2) % r1hk::Vec::W == 0;
  if (kHostVectorOnly) {
    expectSameBits(got, want, kInterleaved ? "rope interleaved" : "rope half");
  } else {
    std::vector<double> w(want.begin(), want.end()), tol(want.size(), 1e-6); // |x| <= 3: ~4 ulp
    r1hk::test::expectClose(got.data(), w, tol, "rope with the host's scalar tail");
  }
  std::vector<float> inPlace = x;
  R1_LAUNCH(k, dim3(rows), dim3(kThreads), 0, nullptr, inPlace.data(), pos.data(),
            invFreq.data(), inPlace.data());
  expectSameBits(inPlace, got, "rope in place");
}

const std::vector<int32_t> kPositions = {0, 1, 2, 17, 4095, 65535, 163839, 1000003};

TEST(CudaRope, InterleavedIsTheHostsBits) {
  checkRope<4, 16, true, 128>(kPositions, 10000.0f, 1);  // the tiny model's q_pe
  checkRope<3, 10, true, 32>(kPositions, 10000.0f, 2);   // 15 pairs per head
  checkRope<128, 64, true, 128>({5, 163839}, 10000.0f, 3); // R1's q_pe
}

TEST(CudaRope, HalfIsTheHostsBits) {
  checkRope<2, 128, false, 128>(kPositions, 1000000.0f, 4); // Qwen's k
  checkRope<5, 12, false, 64>(kPositions, 10000.0f, 5);     // odd head count, 6 pairs per head
  checkRope<64, 128, false, 256>({3, 131071}, 500000.0f, 6); // Llama's q
}

TEST(CudaRope, TablesAreTheHostsRoundedCosAndSin) {
  // Rotating (1, 0) gives (cos, sin) exactly: the kernel's tables, checked
  // against float(cos(double(float(pos) * invFreq))) for 2048 positions
  // spread up to 2^31 and 64 frequencies each.
  constexpr int64_t D = 128;
  std::vector<int32_t> pos(2048);
  Rng rng(7);
  for (size_t t = 0; t < pos.size(); ++t)
    pos[t] = t < 1024 ? int32_t(t) : int32_t(rng.integer(0, INT32_MAX));
  std::vector<float> x(pos.size() * D, 0.0f);
  for (size_t i = 0; i < x.size(); i += 2) // every pair (1, 0)
    x[i] = 1.0f;
  std::vector<float> invFreq = inverseFrequencies(D, 10000.0f), got(x.size(), NAN);
  auto *k = &ropeKernel<1, D, true, 64>;
  R1_LAUNCH(k, dim3(unsigned(pos.size())), dim3(64), 0, nullptr, x.data(), pos.data(),
            invFreq.data(), got.data());
  for (size_t t = 0; t < pos.size(); ++t)
    for (int64_t i = 0; i < D / 2; ++i) {
      double angle = double(float(pos[t]) * invFreq[size_t(i)]);
      const size_t k = t * D + 2 * size_t(i);
      ASSERT_EQ(got[k], float(std::cos(angle))) << "pos " << pos[t] << ", cos " << i;
      ASSERT_EQ(got[k + 1], float(std::sin(angle))) << "pos " << pos[t] << ", sin " << i;
    }
}

TEST(CudaRope, SinCosIsWithinTwoUlpOfDouble) {
  Rng rng(8);
  double worst = 0;
  for (int n = 0; n < 300000; ++n) {
    // Angles of every magnitude from 2^-30 to 2^31, both signs.
    float a = std::ldexp(rng.uniform(-1.0f, 1.0f), int(rng.integer(-30, 31)));
    double s, c;
    r1ck::rowwise::sinCos(a, s, c);
    double ws = std::sin(double(a)), wc = std::cos(double(a));
    ASSERT_EQ(float(s), float(ws)) << "sin " << a;
    ASSERT_EQ(float(c), float(wc)) << "cos " << a;
    worst = std::fmax(worst, std::fabs(s - ws) / std::fabs(std::nextafter(ws, INFINITY) - ws));
    worst = std::fmax(worst, std::fabs(c - wc) / std::fabs(std::nextafter(wc, INFINITY) - wc));
  }
  EXPECT_LE(worst, 2.0) << "ulp of double";
}

} // namespace
