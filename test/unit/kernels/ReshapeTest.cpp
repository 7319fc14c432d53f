//===- ReshapeTest.cpp - slice/concat/broadcast, sigmoid, softmax ---------===//
#include "KernelTestUtil.h"

namespace r1hk::test {
namespace {

TEST(Reshape, SliceConcatBroadcast) {
  constexpr int64_t H = 3, A = 32, B = 16, Row = A + B + 5, D = 24;
  for (int64_t n : {1, 7}) {
    for (int threads : {1, 3}) {
      TestPool pool(threads);
      Exec ex = pool.exec(true);
      Rng rng(uint64_t(n * 10 + threads));
      std::vector<float> in = rng.floats(size_t(n * H * Row), -1, 1);
      std::vector<float> a(size_t(n * H * A)), b(size_t(n * H * B)), ab(size_t(n * H * (A + B)));
      sliceLast<H, 0, A, Row>(ex, in.data(), n, a.data());
      sliceLast<H, A, B, Row>(ex, in.data(), n, b.data());
      concatLast<H, A, B>(ex, a.data(), b.data(), n, ab.data());
      for (int64_t r = 0; r < n * H; ++r) {
        for (int64_t i = 0; i < A; ++i)
          ASSERT_EQ(a[size_t(r * A + i)], in[size_t(r * Row + i)]) << "slice row " << r;
        for (int64_t i = 0; i < B; ++i)
          ASSERT_EQ(b[size_t(r * B + i)], in[size_t(r * Row + A + i)]) << "slice row " << r;
        for (int64_t i = 0; i < A + B; ++i)
          ASSERT_EQ(ab[size_t(r * (A + B) + i)], in[size_t(r * Row + i)]) << "concat row " << r;
      }
      std::vector<float> one = rng.floats(size_t(n * D), -1, 1), many(size_t(n * H * D));
      broadcastHeads<H, D>(ex, one.data(), n, many.data());
      for (int64_t t = 0; t < n; ++t)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t d = 0; d < D; ++d)
            ASSERT_EQ(many[size_t((t * H + h) * D + d)], one[size_t(t * D + d)]);
    }
  }
}

template <int64_t H>
void checkSigmoidSoftmax(int64_t n) {
  Rng rng(uint64_t(H + n));
  std::vector<float> x = rng.floats(size_t(n * H), -12, 12);
  for (int threads : {1, 3}) {
    TestPool pool(threads);
    std::vector<float> sg(x.size()), sm(x.size()), inPlace = x;
    sigmoid<H>(pool.exec(true), x.data(), n, sg.data());
    softmax<H>(pool.exec(true), x.data(), n, sm.data());
    softmax<H>(pool.exec(true), inPlace.data(), n, inPlace.data());
    EXPECT_TRUE(sameBits(sm, inPlace)) << "in-place softmax differs";
    for (int64_t t = 0; t < n; ++t) {
      double m = -1e300, l = 0;
      for (int64_t k = 0; k < H; ++k)
        m = std::max(m, double(x[size_t(t * H + k)]));
      for (int64_t k = 0; k < H; ++k)
        l += std::exp(double(x[size_t(t * H + k)]) - m);
      for (int64_t k = 0; k < H; ++k) {
        size_t i = size_t(t * H + k);
        double s = 1.0 / (1.0 + std::exp(-double(x[i])));
        ASSERT_NEAR(sg[i], s, 1e-6 * s) << "sigmoid H=" << H << " element " << i;
        double p = std::exp(double(x[i]) - m) / l;
        ASSERT_NEAR(sm[i], p, 2e-6 * p + 1e-12) << "softmax H=" << H << " element " << i;
      }
    }
  }
}

TEST(Activations, SigmoidSoftmax) {
  checkSigmoidSoftmax<64>(5);
  checkSigmoidSoftmax<256>(3);
  checkSigmoidSoftmax<13>(9); // vector tail
  checkSigmoidSoftmax<1>(2);
}

} // namespace
} // namespace r1hk::test
