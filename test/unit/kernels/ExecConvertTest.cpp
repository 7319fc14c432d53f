//===- ExecConvertTest.cpp - Exec, conversions, exp, embed, elementwise ---===//
#include "KernelTestUtil.h"

#include <limits>

namespace r1hk::test {
namespace {

TEST(Exec, RunsEveryTaskOnce) {
  for (int threads : {1, 3}) {
    for (int64_t tasks : {0, 1, 5, 1000}) {
      TestPool pool(threads);
      std::vector<std::atomic<int>> seen(static_cast<size_t>(tasks));
      pool.exec(true).run(tasks, [&](int64_t t) { seen[size_t(t)]++; });
      for (int64_t t = 0; t < tasks; ++t)
        EXPECT_EQ(seen[size_t(t)].load(), 1) << "task " << t << " of " << tasks;
      // parallel_for only for real parallel work.
      EXPECT_EQ(pool.calls.load(), threads > 1 && tasks > 1 ? 1 : 0);
    }
  }
}

TEST(Exec, TaskCount) {
  TestPool one(1), three(3);
  EXPECT_EQ(one.exec(true).taskCount(100), 1);
  EXPECT_EQ(three.exec(true).taskCount(100), 12);
  EXPECT_EQ(three.exec(true).taskCount(5), 5);
  EXPECT_EQ(detail::gemvSpan(three.exec(true), 8960), 752); // 12 tasks, 16-aligned
  EXPECT_EQ(detail::gemvSpan(one.exec(true), 33), 48);
}

TEST(Convert, F16Specials) {
  EXPECT_EQ(f16ToF32(0x3c00), 1.0f);
  EXPECT_EQ(f16ToF32(0xc000), -2.0f);
  EXPECT_EQ(f16ToF32(0x7bff), 65504.0f);
  EXPECT_EQ(f16ToF32(0x0001), 0x1p-24f);
  EXPECT_EQ(f16ToF32(0x03ff), 1023 * 0x1p-24f);
  EXPECT_EQ(f16ToF32(0x0400), 0x1p-14f);
  EXPECT_EQ(f16ToF32(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(f16ToF32(0xfc00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16ToF32(0x7e00)));
  EXPECT_TRUE(std::signbit(f16ToF32(0x8000)));
}

TEST(Convert, Bf16RoundsToNearestEven) {
  auto bits = [](uint32_t b) {
    float f;
    std::memcpy(&f, &b, 4);
    return f32ToBf16(f);
  };
  EXPECT_EQ(bits(0x3f800000), 0x3f80);
  EXPECT_EQ(bits(0x3f808000), 0x3f80); // tie, even stays
  EXPECT_EQ(bits(0x3f818000), 0x3f82); // tie, odd rounds up
  EXPECT_EQ(bits(0x3f808001), 0x3f81);
  EXPECT_EQ(bits(0x7f7fffff), 0x7f80); // rounds to inf
  EXPECT_TRUE(std::isnan(bf16ToF32(bits(0x7fc00001))));
  EXPECT_TRUE(std::isnan(bf16ToF32(bits(0x7f800001)))); // a NaN whose top half alone is inf
  EXPECT_EQ(bf16ToF32(0xc040), -3.0f);
}

/// Every 16-bit pattern through the vector converter (full vectors and a
/// tail), against F16C for f16 and the 16-bit shift for bf16.
TEST(Convert, RowsExhaustive) {
  std::vector<uint16_t> all(65536 + 5);
  for (size_t i = 0; i < all.size(); ++i)
    all[i] = uint16_t(i);
  std::vector<float> out(all.size());
  detail::convertRow<WType::F16>(all.data(), int64_t(all.size()), out.data());
  for (size_t i = 0; i < all.size(); ++i) {
    float want = _cvtsh_ss(all[i]), scalar = f16ToF32(all[i]);
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(out[i]) && std::isnan(scalar)) << i;
    } else {
      ASSERT_EQ(std::memcmp(&out[i], &want, 4), 0) << "f16 " << i;
      ASSERT_EQ(std::memcmp(&scalar, &want, 4), 0) << "f16 scalar " << i;
    }
  }
  detail::convertRow<WType::BF16>(all.data(), int64_t(all.size()), out.data());
  for (size_t i = 0; i < all.size(); ++i) {
    uint32_t want = uint32_t(all[i]) << 16, got;
    std::memcpy(&got, &out[i], 4);
    ASSERT_EQ(got, want) << "bf16 " << i;
  }
}

TEST(Simd, ExpIsAccurate) {
  std::vector<float> x;
  for (float v = -87.0f; v <= 87.9f; v += 0.0137f)
    x.push_back(v);
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); i += Vec::W) {
    int64_t m = detail::minI(Vec::W, int64_t(x.size() - i));
    Vec::storePartial(y.data() + i, Vec::exp(Vec::loadPartial(x.data() + i, m)), m);
  }
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double want = std::exp(double(x[i]));
    worst = std::max(worst, std::fabs(y[i] - want) / want);
  }
  EXPECT_LT(worst, 3e-7);
}

template <WType WT>
void checkEmbed() {
  constexpr int64_t V = 50, H = 200;
  Rng rng(static_cast<uint64_t>(WT) + 1);
  Weights<WT> table(V * H, rng);
  std::vector<int32_t> tokens = {3, 49, 0, -1, 50, 7, 3};
  for (int threads : {1, 3}) {
    TestPool pool(threads);
    std::vector<float> out(tokens.size() * H, -7.0f);
    embed<V, H, WT>(pool.exec(false), tokens.data(), int64_t(tokens.size()), table.raw.data(),
                    out.data());
    for (size_t t = 0; t < tokens.size(); ++t)
      for (int64_t k = 0; k < H; ++k) {
        int64_t tok = tokens[t];
        double want = tok >= 0 && tok < V ? table.value[size_t(tok * H + k)] : 0.0;
        ASSERT_EQ(out[t * H + size_t(k)], want) << name(WT) << " token " << t << " element " << k;
      }
  }
}

TEST(Embed, Bf16) { checkEmbed<WType::BF16>(); }
TEST(Embed, F16) { checkEmbed<WType::F16>(); }
TEST(Embed, F32) { checkEmbed<WType::F32>(); }

template <int64_t H>
void checkElementwise(int64_t n) {
  Rng rng(H * 7 + n);
  std::vector<float> a = rng.floats(n * H, -12, 12), b = rng.floats(n * H, -3, 3);
  for (int threads : {1, 3}) {
    TestPool pool(threads);
    Exec ex = pool.exec(false);
    std::vector<float> sum(a.size()), prod(a.size()), act(a.size()), inPlace = a;
    add<H>(ex, a.data(), b.data(), n, sum.data());
    mul<H>(ex, a.data(), b.data(), n, prod.data());
    silu<H>(ex, a.data(), n, act.data());
    silu<H>(ex, inPlace.data(), n, inPlace.data());
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(sum[i], a[i] + b[i]) << i;
      ASSERT_EQ(prod[i], a[i] * b[i]) << i;
      double want = double(a[i]) / (1.0 + std::exp(-double(a[i])));
      ASSERT_NEAR(act[i], want, 1e-6 * std::fabs(want) + 1e-30) << "silu " << a[i];
      ASSERT_EQ(inPlace[i], act[i]) << i;
    }
  }
}

TEST(Elementwise, Small) {
  checkElementwise<96>(1);
  checkElementwise<200>(3);
  checkElementwise<13>(17);
}
TEST(Elementwise, LargeIsSplit) { checkElementwise<2048>(64); }

} // namespace
} // namespace r1hk::test
