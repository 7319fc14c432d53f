//===- CudaEmuTest.cpp - CUDA kernels run by the host emulation -----------===//
//
// The kernels of EmuKernels.h, launched with R1_LAUNCH as on a GPU, checked
// against plain loops; then the emulator's errors (deadlock, timeout, invalid
// launches) and its speed.
//
//===----------------------------------------------------------------------===//
#include "EmuKernels.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

namespace r1c::cudatest {
namespace {

std::vector<float> randomFloats(size_t n, uint32_t seed, float lo = -1, float hi = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &e : v)
    e = dist(rng);
  return v;
}

std::vector<int> randomInts(size_t n, uint32_t seed, int lo, int hi) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<int> v(n);
  for (int &e : v)
    e = dist(rng);
  return v;
}

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

template <int kThreads> void checkBlockSum(int blocks, int n) {
  std::vector<float> x = randomFloats(size_t(n), uint32_t(kThreads + n));
  std::vector<float> out(size_t(blocks), -1.0f);
  R1_LAUNCH(blockSum<kThreads>, dim3(unsigned(blocks)), dim3(kThreads), 0, nullptr, x.data(),
            out.data(), n);
  for (int b = 0; b < blocks; ++b) {
    double want = 0, mag = 0;
    for (int i = b * kThreads; i < std::min(n, (b + 1) * kThreads); ++i)
      want += x[size_t(i)], mag += std::fabs(x[size_t(i)]);
    EXPECT_NEAR(out[size_t(b)], want, 1e-6 * mag) << "block " << b << " of " << kThreads;
  }
}

TEST(CudaEmu, BlockSumInSharedMemory) {
  checkBlockSum<256>(37, 37 * 256 - 100); // the last block partly out of range
  checkBlockSum<1024>(4, 4096);
  checkBlockSum<32>(3, 96);
}

TEST(CudaEmu, SyncThreadsOrdersWritesBeforeReads) {
  std::vector<int> out(64, -7);
  R1_LAUNCH(barrierOrders<true>, dim3(2), dim3(256), 0, nullptr, out.data());
  for (int b = 0; b < 2; ++b)
    for (int t = 0; t < 32; ++t)
      EXPECT_EQ(out[size_t(b * 32 + t)], (255 - t) * 3 + b * 1000)
          << "block " << b << " thread " << t;

  // The control: without the barrier the first warp reads before the last warp
  // writes (all 64 reads are stale unless a reader is delayed by 20 ms), so the
  // test above would catch a barrier that does not wait. A deliberate race:
  // ThreadSanitizer reports it.
  R1_LAUNCH(barrierOrders<false>, dim3(2), dim3(256), 0, nullptr, out.data());
  int right = 0;
  for (int b = 0; b < 2; ++b)
    for (int t = 0; t < 32; ++t)
      right += out[size_t(b * 32 + t)] == (255 - t) * 3 + b * 1000;
  EXPECT_LT(right, 64);
}

TEST(CudaEmu, WarpShuffles) {
  const int blocks = 3, threads = 128, n = blocks * threads;
  std::vector<float> x = randomFloats(n, 1);
  std::vector<int> ints = randomInts(n, 2, -50, 50);
  std::vector<float> xorSum(n), downSum(n / 32), seg8(n), bcast(n);
  std::vector<int> scan(n);
  std::vector<unsigned> rot(n);
  R1_LAUNCH(warpOps, dim3(blocks), dim3(threads), 0, nullptr, x.data(), ints.data(), xorSum.data(),
            downSum.data(), seg8.data(), scan.data(), bcast.data(), rot.data());
  for (int w = 0; w < n / 32; ++w) {
    double sum = 0;
    for (int l = 0; l < 32; ++l)
      sum += x[size_t(w * 32 + l)];
    EXPECT_NEAR(downSum[size_t(w)], sum, 1e-5) << "warp " << w;
    int prefix = 0;
    for (int l = 0; l < 32; ++l) {
      const size_t i = size_t(w * 32 + l);
      EXPECT_NEAR(xorSum[i], sum, 1e-5) << "lane " << i;
      // Butterfly sums add in the same order at every lane: identical bits.
      EXPECT_EQ(xorSum[i], xorSum[size_t(w * 32)]) << "lane " << i;
      double s8 = 0;
      for (int k = 0; k < 8; ++k)
        s8 += x[size_t(w * 32 + l / 8 * 8 + k)];
      EXPECT_NEAR(seg8[i], s8, 1e-5) << "lane " << i;
      prefix += ints[i];
      EXPECT_EQ(scan[i], prefix) << "lane " << i;
      EXPECT_EQ(bcast[i], x[size_t(w * 32 + 7)]) << "lane " << i;
      EXPECT_EQ(rot[i], unsigned(ints[size_t(w * 32 + (l + 1) % 32)])) << "lane " << i;
    }
  }
}

TEST(CudaEmu, BallotAnyAllOnFullAndPartialWarps) {
  // 48 threads: one full warp and one of 16 lanes (__activemask() = 0xffff).
  const int blocks = 4, threads = 48, n = blocks * threads;
  std::vector<int> x = randomInts(n, 3, -3, 3);
  for (int i = 80; i < 96; ++i) // block 1's second warp: all true
    x[size_t(i)] = 1;
  for (int i = 96; i < 128; ++i) // block 2's first warp: all false
    x[size_t(i)] = 0;
  std::vector<unsigned> ballot(n);
  std::vector<int> any(n), all(n), counts(blocks);
  R1_LAUNCH(votes, dim3(blocks), dim3(threads), 0, nullptr, x.data(), ballot.data(), any.data(),
            all.data(), counts.data());
  for (int b = 0; b < blocks; ++b) {
    int count = 0;
    for (int w = 0; w < 2; ++w) {
      const int lanes = w == 0 ? 32 : 16, first = b * threads + w * 32;
      unsigned want = 0;
      for (int l = 0; l < lanes; ++l)
        want |= unsigned(x[size_t(first + l)] > 0) << l;
      count += __builtin_popcount(want);
      const unsigned lanesMask = lanes == 32 ? 0xffffffffu : 0xffffu;
      for (int l = 0; l < lanes; ++l) {
        const size_t i = size_t(first + l);
        EXPECT_EQ(ballot[i], want) << "thread " << i;
        EXPECT_EQ(any[i], want != 0) << "thread " << i;
        EXPECT_EQ(all[i], want == lanesMask) << "thread " << i;
      }
    }
    EXPECT_EQ(counts[size_t(b)], count) << "block " << b;
  }
  EXPECT_EQ(all[80], 1);
  EXPECT_EQ(any[96], 0);
}

TEST(CudaEmu, GridStrideLoop) {
  const int n = 1 << 20;
  std::vector<float> x = randomFloats(n, 4), y = randomFloats(n, 5), want(n);
  for (int i = 0; i < n; ++i)
    want[size_t(i)] = 3.0f * x[size_t(i)] + y[size_t(i)];
  // 400 blocks of 256 threads: each thread takes ~10 elements.
  const auto start = std::chrono::steady_clock::now();
  R1_LAUNCH(saxpy, dim3(400), dim3(256), 0, nullptr, 3.0f, x.data(), y.data(), n);
  const double s = seconds(start);
  std::printf("[ emu speed ] saxpy 400 blocks x 256 threads: %.3f s, %.2fM block-threads/s\n", s,
              400 * 256 / s / 1e6);
  for (int i = 0; i < n; ++i)
    ASSERT_EQ(y[size_t(i)], want[size_t(i)]) << "element " << i;
}

TEST(CudaEmu, AtomicsFromAllThreads) {
  const int blocks = 6, threads = 192, n = blocks * threads;
  std::vector<int> x = randomInts(n, 6, -1000, 1000);
  x[777] = 5000;
  int total = 0, maxv = -1 << 30;
  float ftotal = 0;
  std::vector<float> perBlock(2 * blocks);
  R1_LAUNCH(atomics, dim3(blocks), dim3(threads), 0, nullptr, x.data(), &total, &ftotal, &maxv,
            perBlock.data());
  int want = 0;
  for (int v : x)
    want += v;
  EXPECT_EQ(total, want);
  EXPECT_EQ(ftotal, float(want)); // integers below 2^24: exact in any order
  EXPECT_EQ(maxv, 5000);
  for (int b = 0; b < blocks; ++b) {
    EXPECT_EQ(perBlock[size_t(2 * b)], float(threads)) << "block " << b;
    EXPECT_EQ(perBlock[size_t(2 * b + 1)], 0.5f * threads) << "block " << b;
  }
}

TEST(CudaEmu, DynamicSharedMemory) {
  const int blocks = 5, threads = 96, n = blocks * threads;
  std::vector<float> x = randomFloats(n, 7), y(n), before(n);
  std::vector<int> idx(n);
  R1_LAUNCH(reverseInBlock, dim3(blocks), dim3(threads), threads * 8, nullptr, x.data(), y.data(),
            idx.data(), before.data());
  for (int b = 0; b < blocks; ++b)
    for (int t = 0; t < threads; ++t) {
      const size_t i = size_t(b * threads + t), j = size_t(b * threads + threads - 1 - t);
      EXPECT_EQ(y[i], x[j]) << "thread " << i;
      EXPECT_EQ(idx[i], int(j)) << "thread " << i;
      // Every block starts with poisoned memory, not the previous block's data.
      EXPECT_TRUE(std::isnan(before[i])) << "thread " << i;
    }
}

TEST(CudaEmu, TwoDimensionalGridAndBlock) {
  for (auto [rows, cols] : {std::pair{70, 45}, std::pair{32, 32}, std::pair{1, 100}}) {
    std::vector<float> in = randomFloats(size_t(rows * cols), uint32_t(rows * cols));
    std::vector<float> out(in.size(), -1.0f);
    dim3 grid(unsigned(cols + 31) / 32, unsigned(rows + 31) / 32), block(32, 8);
    R1_LAUNCH(transpose, grid, block, 0, nullptr, in.data(), out.data(), rows, cols);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c)
        ASSERT_EQ(out[size_t(c * rows + r)], in[size_t(r * cols + c)]) << rows << "x" << cols;
  }
}

TEST(CudaEmu, ThreeDimensionalIndicesAndPerThreadParameters) {
  const dim3 grid(3, 2, 2), block(4, 3, 5);
  const unsigned perBlock = 60, total = 12 * perBlock;
  std::vector<unsigned> out(4 * total, 0xdeadbeef);
  R1_LAUNCH(indices, grid, block, 0, nullptr, out.data(), 42);
  for (unsigned bz = 0; bz < 2; ++bz)
    for (unsigned by = 0; by < 2; ++by)
      for (unsigned bx = 0; bx < 3; ++bx)
        for (unsigned tz = 0; tz < 5; ++tz)
          for (unsigned ty = 0; ty < 3; ++ty)
            for (unsigned tx = 0; tx < 4; ++tx) {
              const unsigned b = bx + 3 * (by + 2 * bz), t = tx + 4 * (ty + 3 * tz);
              const unsigned *o = &out[4 * (b * perBlock + t)];
              EXPECT_EQ(o[0], bx | by << 8 | bz << 16);
              EXPECT_EQ(o[1], tx | ty << 8 | tz << 16);
              EXPECT_EQ(o[2], 3u | 2u << 8 | 2u << 16 | 4u << 24);
              EXPECT_EQ(o[3], t == 0 ? 0u : 42u);
            }
}

TEST(CudaEmu, MathAndBf16) {
  std::vector<float> x = randomFloats(1000, 8, -20, 20);
  x[0] = 0.0f, x[1] = 1.0f, x[2] = -87.0f, x[3] = 88.0f;
  const int n = int(x.size());
  std::vector<float> ex(n), quot(n), rs(n), widened(n);
  std::vector<__nv_bfloat16> bf(n);
  R1_LAUNCH(mathOps, dim3(2), dim3(128), 0, nullptr, x.data(), ex.data(), quot.data(), rs.data(),
            bf.data(), widened.data(), n);
  for (int i = 0; i < n; ++i) {
    const double v = x[size_t(i)];
    // ex2.approx(x * log2 e): ~2 ulp, plus x's rounding error times |x|.
    EXPECT_NEAR(ex[size_t(i)], std::exp(v), std::exp(v) * (4e-7 + 1e-7 * std::fabs(v)));
    if (v != 0)
      EXPECT_NEAR(quot[size_t(i)], 1.0 / v, std::fabs(2e-7 / v));
    else
      EXPECT_EQ(quot[size_t(i)], INFINITY);
    EXPECT_NEAR(rs[size_t(i)], 1.0 / std::sqrt(std::fabs(v) + 1), 2e-7);
    EXPECT_NEAR(widened[size_t(i)], v, std::fabs(v) * 0x1p-8);
    EXPECT_EQ(__bfloat16_as_ushort(bf[size_t(i)]), __float_as_uint(widened[size_t(i)]) >> 16);
  }
  // Round to nearest, ties to even; NaN to the canonical 0x7fff.
  auto bits = [](uint32_t u) { return __bfloat16_as_ushort(__float2bfloat16(__uint_as_float(u))); };
  EXPECT_EQ(bits(0x3f808000), 0x3f80);
  EXPECT_EQ(bits(0x3f818000), 0x3f82);
  EXPECT_EQ(bits(0x3f808001), 0x3f81);
  EXPECT_EQ(bits(0x7f7fffff), 0x7f80);
  EXPECT_EQ(bits(0xffc00001), 0x7fff);
  EXPECT_EQ(__bfloat162float(__ushort_as_bfloat16(0xc040)), -3.0f);
}

// --- Errors ---------------------------------------------------------------------

template <typename Launch> std::string launchError(Launch &&launch) {
  try {
    launch();
  } catch (const r1cuda::LaunchError &e) {
    return e.what();
  }
  return "(no error)";
}

TEST(CudaEmu, DeadlockIsReportedNotHung) {
  std::vector<int> ints(256);
  std::string msg =
      launchError([&] { R1_LAUNCH(skipsBarrier, dim3(2), dim3(64), 0, nullptr, ints.data()); });
  EXPECT_NE(msg.find("skipsBarrier, block (0,0,0): deadlock"), std::string::npos) << msg;
  EXPECT_NE(msg.find("63 threads wait in __syncthreads"), std::string::npos) << msg;
  EXPECT_NE(msg.find("1 thread returned from the kernel (first: thread (5,0,0))"),
            std::string::npos)
      << msg;

  std::vector<float> floats(64);
  msg = launchError(
      [&] { R1_LAUNCH(divergentShuffle, dim3(1), dim3(64), 0, nullptr, floats.data()); });
  EXPECT_NE(msg.find("lanes 0x0000ffff of mask 0xffffffff wait in __shfl_xor_sync"),
            std::string::npos)
      << msg;

  std::vector<unsigned> words(32);
  msg = launchError(
      [&] { R1_LAUNCH(mismatchedWarpOps, dim3(1), dim3(32), 0, nullptr, words.data()); });
  EXPECT_NE(msg.find("wait in __"), std::string::npos) << msg;
  EXPECT_NE(msg.find("calls __"), std::string::npos) << msg;

  // The pool is still usable after failed launches.
  checkBlockSum<256>(2, 512);
}

TEST(CudaEmu, TimeoutStopsASpinningKernel) {
  const auto saved = r1cuda::launchTimeout();
  r1cuda::setLaunchTimeout(std::chrono::milliseconds(300));
  int flag = 0;
  const auto start = std::chrono::steady_clock::now();
  std::string msg =
      launchError([&] { R1_LAUNCH(spinsForever, dim3(1), dim3(64), 0, nullptr, &flag); });
  r1cuda::setLaunchTimeout(saved);
  EXPECT_LT(seconds(start), 2.0);
  EXPECT_NE(msg.find("did not finish within 0.3 s"), std::string::npos) << msg;
  EXPECT_NE(msg.find("63 threads wait in __syncthreads"), std::string::npos) << msg;
  EXPECT_NE(msg.find("1 thread running"), std::string::npos) << msg;
}

TEST(CudaEmu, InvalidLaunchesAreRejected) {
  std::vector<int> ints(2048);
  EXPECT_NE(launchError([&] {
              R1_LAUNCH(skipsBarrier, dim3(1), dim3(1025), 0, nullptr, ints.data());
            }).find("not a valid CUDA block"),
            std::string::npos);
  EXPECT_NE(launchError([&] {
              R1_LAUNCH(skipsBarrier, dim3(0), dim3(32), 0, nullptr, ints.data());
            }).find("not a valid CUDA grid"),
            std::string::npos);
  EXPECT_NE(launchError([&] {
              R1_LAUNCH(skipsBarrier, dim3(1), dim3(32), 300 * 1024, nullptr, ints.data());
            }).find("dynamic shared memory"),
            std::string::npos);
}

TEST(CudaEmu, Speed) {
  // Barrier-heavy: 9 __syncthreads per block of 256 threads.
  const int blocks = 64;
  std::vector<float> x = randomFloats(blocks * 256, 9), out(blocks);
  auto start = std::chrono::steady_clock::now();
  R1_LAUNCH(blockSum<256>, dim3(blocks), dim3(256), 0, nullptr, x.data(), out.data(), blocks * 256);
  double s = seconds(start);
  std::printf("[ emu speed ] blockSum %d blocks x 256 threads (9 barriers each): %.3f s, "
              "%.2fM block-threads/s\n",
              blocks, s, blocks * 256 / s / 1e6);

  // Shuffle-heavy: 20 warp operations per thread.
  const int n = 32 * 128;
  std::vector<float> f = randomFloats(n, 10), a(n), b(n / 32), c(n), d(n);
  std::vector<int> ints = randomInts(n, 11, 0, 9), e(n);
  std::vector<unsigned> g(n);
  start = std::chrono::steady_clock::now();
  R1_LAUNCH(warpOps, dim3(32), dim3(128), 0, nullptr, f.data(), ints.data(), a.data(), b.data(),
            c.data(), e.data(), d.data(), g.data());
  s = seconds(start);
  std::printf("[ emu speed ] warpOps 32 blocks x 128 threads (20 warp operations each): %.3f s, "
              "%.2fM block-threads/s\n",
              s, n / s / 1e6);
}

} // namespace
} // namespace r1c::cudatest
