//===- AttentionTest.cpp - KV-cache attention: chunked steps vs one shot --===//
//
// A sequence is fed in chunks (5, 1, 3 tokens, or longer ones that cross the
// 64-key blocks of the online softmax); every output is checked against a
// double-precision softmax and against a single call over the whole
// sequence, which must give the same bits.
//
//===----------------------------------------------------------------------===//
#include "KernelTestUtil.h"

namespace r1hk::test {
namespace {

template <int64_t Hq, int64_t Hkv, int64_t D, int64_t Dv>
void checkAttention(std::vector<int64_t> chunks) {
  int64_t total = 0;
  for (int64_t c : chunks)
    total += c;
  const int64_t cap = total + 3;
  Rng rng(Hq * 100 + Hkv * 10 + D + Dv);
  std::vector<float> q = rng.floats(total * Hq * D, -1, 1), k(size_t(total * Hkv * D)),
                     v = rng.floats(total * Hkv * Dv, -1, 1);
  // Keys of varied length so that some later scores exceed the running max.
  for (int64_t t = 0; t < total; ++t) {
    float scale = rng.uniform(0.1f, 4.0f);
    for (int64_t i = 0; i < Hkv * D; ++i)
      k[size_t(t * Hkv * D + i)] = scale * rng.uniform(-1, 1);
  }
  std::vector<int32_t> pos(static_cast<size_t>(total));
  for (int64_t t = 0; t < total; ++t)
    pos[size_t(t)] = int32_t(t);
  const float scale = float(1.0 / std::sqrt(double(D)));

  // Reference: out[t, h] over keys 0..t.
  std::vector<double> want(size_t(total * Hq * Dv)), tol(want.size());
  for (int64_t t = 0; t < total; ++t)
    for (int64_t h = 0; h < Hq; ++h) {
      int64_t g = h / (Hq / Hkv);
      std::vector<double> s(size_t(t + 1));
      double m = -1e300, l = 0;
      for (int64_t j = 0; j <= t; ++j) {
        double d = 0;
        for (int64_t e = 0; e < D; ++e)
          d += double(q[size_t((t * Hq + h) * D + e)]) * k[size_t((j * Hkv + g) * D + e)];
        s[size_t(j)] = double(scale) * d;
        m = std::max(m, s[size_t(j)]);
      }
      for (double &e : s)
        l += (e = std::exp(e - m));
      for (int64_t e = 0; e < Dv; ++e) {
        double o = 0, mag = 0;
        for (int64_t j = 0; j <= t; ++j) {
          double val = v[size_t((j * Hkv + g) * Dv + e)];
          o += s[size_t(j)] * val, mag += s[size_t(j)] * std::fabs(val);
        }
        want[size_t((t * Hq + h) * Dv + e)] = o / l;
        tol[size_t((t * Hq + h) * Dv + e)] = 1e-5 * mag / l + 1e-6;
      }
    }

  for (int threads : {1, 3}) {
    TestPool pool(threads);
    Exec ex = pool.exec(true);
    std::vector<float> kc(size_t(cap * Hkv * D)), vc(size_t(cap * Hkv * Dv));
    std::vector<float> out(want.size(), std::nanf(""));
    int64_t t0 = 0;
    for (int64_t c : chunks) {
      attention<Hq, Hkv, D, Dv>(ex, q.data() + t0 * Hq * D, k.data() + t0 * Hkv * D,
                                v.data() + t0 * Hkv * Dv, c, pos.data() + t0, scale, kc.data(),
                                vc.data(), cap, out.data() + t0 * Hq * Dv);
      t0 += c;
    }
    std::string what = "attention Hq=" + std::to_string(Hq) + " Hkv=" + std::to_string(Hkv) +
                       " D=" + std::to_string(D) + " Dv=" + std::to_string(Dv) +
                       " threads=" + std::to_string(threads);
    expectClose(out.data(), want, tol, what);
    for (int64_t i = 0; i < total * Hkv * D; ++i)
      ASSERT_EQ(kc[size_t(i)], k[size_t(i)]) << what << ": key cache element " << i;
    for (int64_t i = 0; i < total * Hkv * Dv; ++i)
      ASSERT_EQ(vc[size_t(i)], v[size_t(i)]) << what << ": value cache element " << i;

    std::vector<float> kc1(kc.size()), vc1(vc.size()), once(want.size());
    attention<Hq, Hkv, D, Dv>(ex, q.data(), k.data(), v.data(), total, pos.data(), scale,
                              kc1.data(), vc1.data(), cap, once.data());
    EXPECT_TRUE(sameBits(out, once)) << what << ": chunked steps differ from one call";
  }
}

TEST(Attention, Mha) { checkAttention<4, 4, 64, 64>({5, 1, 3}); }
TEST(Attention, Gqa2) { checkAttention<4, 2, 64, 64>({5, 1, 3}); }
TEST(Attention, Gqa4OddDims) { checkAttention<8, 2, 40, 24>({5, 1, 3}); }
TEST(Attention, Gqa7) { checkAttention<7, 1, 128, 128>({5, 1, 3}); }
TEST(Attention, MlaShapes) { checkAttention<2, 2, 192, 128>({5, 1, 3}); }
// DeepSeek tiny MLA, materialized: q/k head dim 48 (nope 32 + rope 16), v 32.
TEST(Attention, MlaTinyShapes) { checkAttention<4, 4, 48, 32>({5, 1, 3, 70}); }
// Crosses 64-key blocks: the running max and sum are rescaled.
TEST(Attention, LongChunks) { checkAttention<2, 1, 64, 64>({70, 1, 80, 2}); }
TEST(Attention, LongOddDims) { checkAttention<3, 1, 20, 36>({130, 3}); }

} // namespace
} // namespace r1hk::test
