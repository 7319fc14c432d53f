//===- QuantKernelTest.cpp - CUDA 1x128-block FP8 activation quantization -===//
//
// codegen/cuda/kernels/Quant.cuh on the host (R1CudaEmu.h) against
// r1hk::quantizeF8Blocks (codegen/host/kernels/Quant.h), bit for bit: random
// rows of many magnitudes, e4m3 rounding ties (normal and subnormal codes),
// fp32 subnormal inputs, signed zeros, zero blocks and blocks under the 1e-4
// amax floor, infinities, rows that are not a multiple of 128, more warps
// than blocks, in place. roundToE4M3 against the host's on every pattern
// class.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/kernels/Quant.cuh"
#include "test/unit/kernels/KernelTestUtil.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <vector>

namespace {

using r1hk::test::Rng;

const r1hk::Exec kSerial{nullptr, nullptr, 1, true};

template <int64_t K, int kThreads>
R1_GLOBAL void quantizeKernel(const float *x, float *out) {
  r1ck::quantizeF8Blocks<K, kThreads>(x, out);
}

/// Bit for bit, except that any NaN matches any NaN (the NaN an x86 0 * inf
/// gives has its sign bit set, a GPU's does not).
void expectSameBits(const std::vector<float> &got, const std::vector<float> &want,
                    const std::string &what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (!(std::isnan(got[i]) && std::isnan(want[i]))) {
      ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
          << what << ": element " << i << " is " << got[i] << ", want " << want[i];
    }
  }
}

/// Runs the kernel on x (out of place and in place), expects the host's
/// bits, returns the kernel's output.
template <int64_t K, int kThreads>
std::vector<float> checkQuantize(const std::vector<float> &x, const std::string &what) {
  const int rows = int(x.size() / K);
  std::vector<float> got(x.size(), NAN), want(x.size());
  auto *k = &quantizeKernel<K, kThreads>;
  R1_LAUNCH(k, dim3(rows), dim3(kThreads), 0, nullptr, x.data(), got.data());
  r1hk::quantizeF8Blocks<K>(kSerial, x.data(), rows, want.data());
  expectSameBits(got, want, what);
  std::vector<float> inPlace = x;
  R1_LAUNCH(k, dim3(rows), dim3(kThreads), 0, nullptr, inPlace.data(), inPlace.data());
  expectSameBits(inPlace, want, what + " in place");
  return got;
}

/// rows * K values: each row of its own magnitude (2^-20 .. 2^20), some
/// elements far below the row's amax so that they land on subnormal codes.
std::vector<float> randomRows(int rows, int64_t K, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(size_t(rows * K));
  for (int t = 0; t < rows; ++t) {
    float magnitude = std::ldexp(1.0f, int(rng.integer(-20, 20)));
    for (int64_t i = 0; i < K; ++i) {
      float v = rng.uniform(-1.0f, 1.0f) * magnitude;
      if (rng.integer(0, 3) == 0)
        v *= std::ldexp(1.0f, -int(rng.integer(5, 14))); // 2^-5 .. 2^-14 of the amax
      x[size_t(t * K + i)] = v;
    }
  }
  return x;
}

TEST(CudaQuant, RandomRowsAreTheHostsBits) {
  checkQuantize<7168, 128>(randomRows(3, 7168, 1), "K=7168");  // R1's hidden size
  checkQuantize<200, 128>(randomRows(5, 200, 2), "K=200");     // a partial last block of 72
  checkQuantize<64, 128>(randomRows(4, 64, 3), "K=64");        // one partial block only
  checkQuantize<384, 32>(randomRows(3, 384, 4), "K=384, one warp");
  checkQuantize<300, 1024>(randomRows(2, 300, 5), "K=300, more warps than blocks");
}

TEST(CudaQuant, TiesSubnormalsZerosAndFloors) {
  constexpr int64_t K = 640; // five blocks per row
  std::vector<float> x(size_t(2 * K), 0.0f);
  // Block 0: amax 448, so s = 1 and x / s = x: e4m3 rounding ties, normal
  // (1 + m/8 steps; 32 steps in [256, 448]) and subnormal (2^-9 steps), and
  // values around them, with both signs.
  const float ties[] = {448.0f,
                        1.0625f,                 // 1 | 1.125: to 1 (even)
                        1.1875f,                 // 1.125 | 1.25: to 1.25
                        1.8125f,                 // 1.75 | 1.875: to 1.75
                        272.0f,                  // 256 | 288: to 256
                        304.0f,                  // 288 | 320: to 320
                        432.0f,                  // 416 | 448: to 448
                        0x1p-10f,                // 0 | 2^-9: to 0
                        0x1.000002p-10f,         // just above: to 2^-9
                        0x3p-10f,                // 2^-9 | 2^-8: to 2^-8
                        0x5p-10f,                // 2^-8 | 3 * 2^-9: to 2^-8
                        0x7p-10f,                // 3 | 4 * 2^-9: to 2^-7
                        0x1p-6f - 0x1p-11f,      // 7.75 * 2^-9: to 2^-6 (normal)
                        0x1.1p-6f,               // first normal binade: tie to 2^-6
                        0x1.3p-6f,               // tie to 1.25 * 2^-6
                        1e-40f,                  // an fp32 subnormal: to 0
                        -0.0f,                   // stays -0
                        std::nextafter(1.0625f, 2.0f),
                        std::nextafter(1.0625f, 0.0f)};
  for (size_t i = 0; i < std::size(ties); ++i) {
    x[i] = ties[i];
    x[64 + i] = -ties[i];
  }
  // Block 1: all zeros (s = 1e-4 / 448, zeros out). Block 2: amax below the
  // floor, so fewer than 448 levels. Block 3: amax exactly the floor.
  for (int64_t i = 0; i < 128; ++i) {
    x[size_t(256 + i)] = float(i - 64) * 1e-6f;
    x[size_t(384 + i)] = float(i % 7) * 1e-5f;
  }
  x[384] = 1e-4f;
  // Block 4 of row 0: fp32 subnormals only.
  for (int64_t i = 0; i < 128; ++i)
    x[size_t(512 + i)] = std::ldexp(float(i - 60), -140);
  // Row 1: an infinity in block 0 (every element of that block becomes NaN:
  // x / inf, then 0 * inf), large values near the fp32 limit in block 1,
  // random elsewhere.
  Rng rng(6);
  for (int64_t i = 0; i < K; ++i)
    x[size_t(K + i)] = rng.uniform(-3.0f, 3.0f);
  x[size_t(K + 5)] = INFINITY;
  x[size_t(K + 128)] = 3e38f;
  x[size_t(K + 129)] = -1e38f;
  // Row 1, block 2: the ties times 7 with amax 3136, so s = 7 and x / s is
  // the tie again, where x * (1 / s) is not (1.8125 * float(1/7) rounds
  // up: the division matters). Only the ties whose multiple is exact.
  const size_t scaled[] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 16};
  for (size_t i : scaled)
    x[size_t(K + 256) + i] = 7.0f * ties[i];
  std::vector<float> got = checkQuantize<K, 128>(x, "crafted blocks");
  // The ties' e4m3 values, independently of the host.
  const float rounded[] = {448.0f,  1.0f,    1.25f,     1.75f, 256.0f,  320.0f, 448.0f,
                           0.0f,    0x1p-9f, 0x1p-8f,   0x1p-8f, 0x1p-7f, 0x1p-6f,
                           0x1p-6f, 0x1.4p-6f, 0.0f,    -0.0f, 1.125f,  1.0f};
  static_assert(std::size(rounded) == std::size(ties));
  for (size_t i = 0; i < std::size(ties); ++i) {
    EXPECT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(rounded[i])) << ties[i];
    EXPECT_EQ(std::bit_cast<uint32_t>(got[64 + i]), std::bit_cast<uint32_t>(-rounded[i]))
        << -ties[i];
  }
  for (size_t i : scaled)
    EXPECT_EQ(std::bit_cast<uint32_t>(got[size_t(K + 256) + i]),
              std::bit_cast<uint32_t>(7.0f * rounded[i]))
        << 7.0f * ties[i];
}

TEST(CudaQuant, RoundToE4M3IsTheHosts) {
  // Every 2^-11-spaced value of [0, 2^-5], every e4m3 tie and its
  // neighbours, and random bit patterns (NaN and infinities included).
  Rng rng(7);
  std::vector<float> v;
  for (int i = 0; i <= 64; ++i)
    v.push_back(float(i) * 0x1p-11f);
  for (int e = -9; e <= 8; ++e)
    for (int m = 0; m < 16; ++m) {
      float tie = std::ldexp(1.0f + float(2 * m + 1) / 16.0f, e);
      v.insert(v.end(), {tie, std::nextafter(tie, 0.0f), std::nextafter(tie, INFINITY)});
    }
  for (int i = 0; i < 200000; ++i)
    v.push_back(std::bit_cast<float>(uint32_t(rng.integer(0, 0xffffffffu))));
  for (float f : v)
    for (float s : {f, -f})
      ASSERT_EQ(std::bit_cast<uint32_t>(r1ck::roundToE4M3(s)),
                std::bit_cast<uint32_t>(r1hk::detail::roundToE4M3(s)))
          << s;
}

} // namespace
