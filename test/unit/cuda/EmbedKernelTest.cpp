//===- EmbedKernelTest.cpp - CUDA embedding lookup ------------------------===//
//
// codegen/cuda/kernels/Embed.cuh on the host (R1CudaEmu.h) against r1hk::embed
// (codegen/host/kernels/Elementwise.h), bit for bit: tables of every weight
// type filled with random bit patterns, tokens at both ends of the vocabulary
// and outside it (a zero row, as on the host). NaN codes decode to a NaN on
// both sides; its sign and payload are not compared (the host's vector
// decoders quiet f16 NaNs and drop the sign of FP8 ones). argmaxRow against
// the runtime's greedy rule: ties across threads and warps, NaNs, signed
// zeros, all-NaN and all -inf rows, a vocabulary row of R1.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/kernels/Embed.cuh"
#include "test/unit/kernels/KernelTestUtil.h"

#include <gtest/gtest.h>

#include <bit>
#include <climits>
#include <cmath>
#include <string>
#include <vector>

namespace {

using r1hk::test::Rng;

const r1hk::Exec kSerial{nullptr, nullptr, 1, true};

template <int64_t V, int64_t H, r1ck::WType WT, int kThreads>
R1_GLOBAL void embedKernel(const int32_t *tokens, const void *table, float *out) {
  r1ck::embed<V, H, WT, kThreads>(tokens, table, out);
}

template <int64_t V, int kThreads>
R1_GLOBAL void argmaxKernel(const float *logits, int32_t *outId) {
  r1ck::argmaxRow<V, kThreads>(logits, outId);
}

/// A [V, H] table of random storage bits of type WT.
template <r1hk::WType WT>
std::vector<r1hk::WElem<WT>> randomTable(int64_t V, int64_t H, Rng &rng) {
  std::vector<r1hk::WElem<WT>> t(size_t(V * H));
  for (auto &e : t) {
    if constexpr (WT == r1hk::WType::F32) {
      e = rng.uniform(-1.0f, 1.0f);
    } else if constexpr (WT == r1hk::WType::F8E4M3) {
      e = uint8_t(rng.integer(0, 255));
    } else { // bf16, f16: every bit pattern
      e = uint16_t(rng.integer(0, 0xffff));
    }
  }
  return t;
}

template <int64_t V, int64_t H, r1hk::WType HostWT, r1ck::WType WT, int kThreads>
void checkEmbed(uint64_t seed) {
  Rng rng(seed);
  std::vector<r1hk::WElem<HostWT>> table = randomTable<HostWT>(V, H, rng);
  const std::vector<int32_t> tokens = {0, int32_t(V - 1), -1, int32_t(V), 7, INT32_MAX, 7,
                                       INT32_MIN, int32_t(V / 2)};
  const int rows = int(tokens.size());
  std::vector<float> got(size_t(rows * H), NAN), want(got.size());
  auto *k = &embedKernel<V, H, WT, kThreads>;
  R1_LAUNCH(k, dim3(rows), dim3(kThreads), 0, nullptr, tokens.data(), table.data(), got.data());
  r1hk::embed<V, H, HostWT>(kSerial, tokens.data(), rows, table.data(), want.data());
  for (size_t i = 0; i < got.size(); ++i) {
    if (!(std::isnan(got[i]) && std::isnan(want[i]))) {
      ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
          << "embed<" << V << ", " << H << ", WType " << int(WT) << ">: row " << i / H
          << ", element " << i % H << " is " << got[i] << ", want " << want[i];
    }
  }
  for (int64_t i = 0; i < H; ++i) // token -1: a zero row
    ASSERT_EQ(got[size_t(2 * H + i)], 0.0f);
}

TEST(CudaEmbed, LookupIsTheHostsRowBitForBit) {
  checkEmbed<50, 128, r1hk::WType::F32, r1ck::WType::F32, 128>(1);
  checkEmbed<50, 200, r1hk::WType::BF16, r1ck::WType::BF16, 64>(2); // H not a multiple of the block
  checkEmbed<50, 136, r1hk::WType::F16, r1ck::WType::F16, 128>(3);
  checkEmbed<50, 256, r1hk::WType::F8E4M3, r1ck::WType::F8E4M3, 128>(4);
  checkEmbed<20, 7168, r1hk::WType::BF16, r1ck::WType::BF16, 128>(5); // R1's hidden size
  checkEmbed<20, 96, r1hk::WType::BF16, r1ck::WType::BF16, 1024>(6);  // more threads than elements
}

/// runtime/Greedy.cpp's argmax (the runtime library is not linked here):
/// the first largest, NaNs never win, 0 when all are NaN.
int32_t greedyArgmax(const float *logits, int64_t count) {
  int64_t best = -1;
  for (int64_t i = 0; i < count; ++i)
    if (logits[i] == logits[i] && (best < 0 || logits[i] > logits[best]))
      best = i;
  return int32_t(best < 0 ? 0 : best);
}

template <int64_t V, int kThreads>
void checkArgmax(const std::vector<float> &logits, const std::vector<int32_t> &expected) {
  const int rows = int(logits.size() / V);
  std::vector<int32_t> got(size_t(rows), -7);
  auto *k = &argmaxKernel<V, kThreads>;
  R1_LAUNCH(k, dim3(rows), dim3(kThreads), 0, nullptr, logits.data(), got.data());
  for (int t = 0; t < rows; ++t) {
    EXPECT_EQ(got[size_t(t)], greedyArgmax(logits.data() + int64_t(t) * V, V))
        << "argmaxRow<" << V << ", " << kThreads << "> row " << t;
    if (size_t(t) < expected.size()) {
      EXPECT_EQ(got[size_t(t)], expected[size_t(t)]) << "row " << t;
    }
  }
}

TEST(CudaEmbed, ArgmaxRowIsTheGreedyPick) {
  constexpr int64_t V = 1000; // not a multiple of the block
  constexpr int rows = 9;
  Rng rng(7);
  std::vector<float> x = rng.floats(size_t(rows * V), -10.0f, 10.0f);
  auto row = [&](int t) { return x.data() + int64_t(t) * V; };
  // 0: the maximum tied at ids in different warps and threads: the first.
  row(0)[700] = 50.0f, row(0)[37] = 50.0f, row(0)[999] = 50.0f, row(0)[165] = 50.0f;
  // 1: NaN everywhere a maximum could hide, the real one last.
  for (int64_t i = 0; i < V; i += 3)
    row(1)[i] = NAN;
  row(1)[V - 1] = 20.0f;
  // 2: all NaN: 0.
  for (int64_t i = 0; i < V; ++i)
    row(2)[i] = NAN;
  // 3: all -inf: the first, 0.
  for (int64_t i = 0; i < V; ++i)
    row(3)[i] = -INFINITY;
  // 4: +0 and -0 are equal: the first of them. 5: a single +inf.
  for (int64_t i = 0; i < V; ++i)
    row(4)[i] = -1.0f;
  row(4)[300] = -0.0f, row(4)[200] = 0.0f, row(4)[900] = 0.0f;
  row(5)[512] = INFINITY;
  // 6: every value equal: 0. 7: the maximum in lane 31 of the last warp.
  for (int64_t i = 0; i < V; ++i)
    row(6)[i] = 3.0f;
  row(7)[127] = 99.0f;
  checkArgmax<V, 128>(x, {37, int32_t(V - 1), 0, 0, 200, 512, 0, 127});
  checkArgmax<V, 32>(x, {37, int32_t(V - 1), 0, 0, 200, 512, 0, 127}); // one warp
  // R1's vocabulary, 1024 threads, the maximum tied at the two ends.
  std::vector<float> vocab = rng.floats(129280, -30.0f, 30.0f);
  vocab[129279] = 31.0f, vocab[5] = 31.0f;
  checkArgmax<129280, 1024>(vocab, {5});
}

} // namespace
