//===- NormRopeTest.cpp - rmsNorm, addRmsNorm and rope vs double ----------===//
#include "KernelTestUtil.h"

#include <complex>

namespace r1hk::test {
namespace {

template <int64_t H>
void checkNorm(int64_t n) {
  Rng rng(H * 31 + n);
  std::vector<float> x = rng.floats(n * H, -2, 2), r = rng.floats(n * H, -1, 1),
                     gamma = rng.floats(H, 0.5f, 1.5f);
  const float eps = 1e-5f;
  for (int threads : {1, 3}) {
    TestPool pool(threads);
    Exec ex = pool.exec(true);
    std::vector<float> out(x.size()), sum(x.size()), out2(x.size());
    rmsNorm<H>(ex, x.data(), n, gamma.data(), eps, out.data());
    // addRmsNorm with sum aliasing x, as the residual stream does.
    std::vector<float> stream = x;
    addRmsNorm<H>(ex, stream.data(), r.data(), n, gamma.data(), eps, stream.data(), out2.data());
    for (int64_t t = 0; t < n; ++t) {
      std::vector<double> want = refNorm(x.data() + t * H, H, gamma.data(), eps);
      std::vector<float> s(H);
      for (int64_t k = 0; k < H; ++k)
        s[size_t(k)] = x[size_t(t * H + k)] + r[size_t(t * H + k)];
      std::vector<double> want2 = refNorm(s.data(), H, gamma.data(), eps);
      for (int64_t k = 0; k < H; ++k) {
        size_t i = size_t(t * H + k);
        // Three fp32 roundings (scale, two products): 4e-7 relative.
        ASSERT_NEAR(out[i], want[size_t(k)], 4e-7 * std::fabs(want[size_t(k)]) + 1e-30)
            << "rmsNorm H=" << H << " row " << t << " element " << k;
        ASSERT_EQ(stream[i], s[size_t(k)]) << "sum row " << t << " element " << k;
        ASSERT_NEAR(out2[i], want2[size_t(k)], 4e-7 * std::fabs(want2[size_t(k)]) + 1e-30)
            << "addRmsNorm H=" << H << " row " << t << " element " << k;
      }
    }
  }
}

TEST(Norm, Shapes) {
  for (int64_t n : {1, 3, 17}) {
    checkNorm<96>(n);
    checkNorm<200>(n);
    checkNorm<1536>(n);
  }
  checkNorm<13>(64);
}

template <int64_t Heads, int64_t D, bool kInterleaved>
void checkRope(int64_t n) {
  Rng rng(Heads * 1000 + D * 10 + kInterleaved);
  std::vector<float> x = rng.floats(n * Heads * D, -2, 2), invFreq(D / 2);
  for (int64_t i = 0; i < D / 2; ++i)
    invFreq[size_t(i)] = float(std::pow(10000.0, -2.0 * double(i) / double(D)));
  std::vector<int32_t> pos(static_cast<size_t>(n));
  for (int64_t t = 0; t < n; ++t)
    pos[size_t(t)] = int32_t(t == 0 ? 0 : t == 1 ? 4000 : rng.integer(0, 4000));
  for (int threads : {1, 3}) {
    TestPool pool(threads);
    std::vector<float> out(x.size()), inPlace = x;
    rope<Heads, D, kInterleaved>(pool.exec(true), x.data(), out.data(), n, pos.data(),
                                 invFreq.data());
    rope<Heads, D, kInterleaved>(pool.exec(true), inPlace.data(), inPlace.data(), n, pos.data(),
                                 invFreq.data());
    for (int64_t t = 0; t < n; ++t)
      for (int64_t h = 0; h < Heads; ++h)
        for (int64_t i = 0; i < D / 2; ++i) {
          float angle = float(pos[size_t(t)]) * invFreq[size_t(i)]; // fp32, as PyTorch
          double c = std::cos(double(angle)), s = std::sin(double(angle));
          int64_t a = kInterleaved ? 2 * i : i, b = kInterleaved ? 2 * i + 1 : i + D / 2;
          size_t base = size_t((t * Heads + h) * D);
          double xa = x[base + size_t(a)], xb = x[base + size_t(b)];
          double tol = 3e-7 * (std::fabs(xa) + std::fabs(xb));
          std::string what = "rope D=" + std::to_string(D) +
                             (kInterleaved ? " interleaved" : " half") + " pos " +
                             std::to_string(pos[size_t(t)]) + " pair " + std::to_string(i);
          ASSERT_NEAR(out[base + size_t(a)], xa * c - xb * s, tol) << what;
          ASSERT_NEAR(out[base + size_t(b)], xb * c + xa * s, tol) << what;
        }
    EXPECT_TRUE(sameBits(out, inPlace)) << "in-place rope differs";
  }
}

TEST(Rope, Half) {
  checkRope<3, 64, false>(17);
  checkRope<2, 128, false>(5);
  checkRope<3, 40, false>(3); // D/2 = 20: vector tail
  checkRope<1, 64, false>(1);
}

TEST(Rope, Interleaved) {
  checkRope<3, 64, true>(17);
  checkRope<2, 128, true>(5);
  checkRope<3, 36, true>(3); // D = 36: vector tail
  checkRope<1, 64, true>(1);
  checkRope<4, 16, true>(5); // DeepSeek tiny qk_rope_head_dim, per head
  checkRope<1, 16, true>(5); // the shared k_pe head
}

// DeepSeek's apply_rotary_emb: view_as_complex over consecutive pairs times
// polar(1, angle), i.e. (x[2i] + i x[2i+1]) * (cos + i sin), worked out here
// in complex arithmetic, independently of the formula checkRope uses.
TEST(Rope, InterleavedIsDeepSeekComplexProduct) {
  constexpr int64_t D = 16;
  Rng rng(77);
  std::vector<float> x = rng.floats(D, -2, 2), invFreq(D / 2), out(D);
  for (int64_t i = 0; i < D / 2; ++i)
    invFreq[size_t(i)] = float(1.0 / std::pow(10000.0, double(2 * i) / double(D)));
  const int32_t pos = 37;
  TestPool pool(1);
  rope<1, D, true>(pool.exec(true), x.data(), out.data(), 1, &pos, invFreq.data());
  for (int64_t i = 0; i < D / 2; ++i) {
    std::complex<double> z(x[size_t(2 * i)], x[size_t(2 * i + 1)]);
    std::complex<double> r = z * std::polar(1.0, double(float(pos) * invFreq[size_t(i)]));
    EXPECT_NEAR(out[size_t(2 * i)], r.real(), 1e-6) << "pair " << i;
    EXPECT_NEAR(out[size_t(2 * i + 1)], r.imag(), 1e-6) << "pair " << i;
  }
}

} // namespace
} // namespace r1hk::test
