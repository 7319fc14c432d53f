//===- F8Test.cpp - FP8 e4m3 decoding and block-scaled linear/gatedLinear -===//
//
// All 256 e4m3fn codes decode (scalar and vector loads, partial loads too)
// to the bit-exact values of an independent reference. linear/gatedLinear
// with F8E4M3 weights and row-expanded 128-element block scales (partial
// last block, K below one block) match a double reference in both
// precisions, both entry points and 1 and 3 threads, with identical bits.
//
//===----------------------------------------------------------------------===//
#include "KernelTestUtil.h"

#include <limits>

namespace r1hk::test {
namespace {

constexpr float kEps = 1e-6f;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

/// e4m3fn by its definition: sign, 4 exponent bits (bias 7), 3 mantissa bits.
double refF8(uint8_t b) {
  int e = (b >> 3) & 15, m = b & 7;
  if ((b & 0x7f) == 0x7f)
    return std::numeric_limits<double>::quiet_NaN();
  double v = e == 0 ? std::ldexp(double(m), -9) : std::ldexp(double(8 + m), e - 10);
  return (b & 0x80) ? -v : v;
}

void expectDecodes(float got, uint8_t code, const char *how) {
  double want = refF8(code);
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << how << " code " << int(code);
  } else {
    EXPECT_EQ(double(got), want) << how << " code " << int(code);
    EXPECT_EQ(std::signbit(got), bool(code & 0x80)) << how << " sign of code " << int(code);
  }
}

TEST(F8, DecodesAllCodes) {
  EXPECT_EQ(refF8(0x7e), 448.0);      // the largest finite value
  EXPECT_EQ(refF8(0x01), 0x1p-9);     // the smallest subnormal
  EXPECT_EQ(refF8(0x08), 0x1p-6);     // the smallest normal
  EXPECT_EQ(refF8(0x38), 1.0);
  alignas(64) uint8_t codes[256 + 64] = {};
  for (int c = 0; c < 256; ++c) {
    codes[c] = uint8_t(c);
    expectDecodes(f8e4m3ToF32(uint8_t(c)), uint8_t(c), "scalar");
    expectDecodes(wToF32<WType::F8E4M3>(uint8_t(c)), uint8_t(c), "wToF32");
  }
  // Vector loads, whole and partial, through the generic widening path.
  std::vector<float> out(256);
  detail::convertRow<WType::F8E4M3>(codes, 256, out.data());
  for (int c = 0; c < 256; ++c)
    expectDecodes(out[size_t(c)], uint8_t(c), "vector");
  for (int64_t len : {1, 5, 7, 13, 15}) {
    std::vector<float> part(size_t(len) + 16, -7.0f);
    detail::convertRow<WType::F8E4M3>(codes + 120, len, part.data());
    for (int64_t i = 0; i < len; ++i)
      expectDecodes(part[size_t(i)], uint8_t(120 + i), "partial");
    EXPECT_EQ(part[size_t(len)], -7.0f) << "partial load wrote past its end";
  }
  // The scaled load: fp8 * scale rounded once.
  const float scale = 0.0123f;
  for (int c = 0; c < 256; c += Vec::W) {
    alignas(64) float v[Vec::W];
    Vec::store(v, Vec::loadF8(codes + c, Vec::set1(scale * detail::kF8Lift)));
    for (int i = 0; i < Vec::W; ++i) {
      float want = f8e4m3ToF32(uint8_t(c + i)) * scale;
      if (std::isnan(want))
        EXPECT_TRUE(std::isnan(v[i])) << "scaled code " << c + i;
      else
        EXPECT_EQ(v[i], want) << "scaled code " << c + i;
    }
  }
}

/// FP8 weights [rows, K], no NaN codes, with row-expanded block scales.
struct F8Weights {
  int64_t rows, K, KB;
  std::vector<uint8_t> raw;
  std::vector<float> scales;
  std::vector<double> value;
  F8Weights(int64_t rows_, int64_t K_, Rng &rng)
      : rows(rows_), K(K_), KB((K_ + 127) / 128), raw(size_t(rows_ * K_)),
        scales(size_t(rows_ * KB)), value(raw.size()) {
    for (float &s : scales)
      s = rng.uniform(0.2f, 2.0f) * 0x1p-8f;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < K; ++k) {
        uint8_t b;
        do
          b = uint8_t(rng.integer(0, 255));
        while ((b & 0x7f) == 0x7f);
        raw[size_t(r * K + k)] = b;
        value[size_t(r * K + k)] = refF8(b) * double(scales[size_t(r * KB + k / 128)]);
      }
  }
};

std::vector<RefDot> referenceDots(const std::vector<float> &x, int64_t n, const F8Weights &w,
                                  const float *gamma) {
  const int64_t K = w.K;
  std::vector<RefDot> ref(size_t(n * w.rows));
  for (int64_t t = 0; t < n; ++t) {
    std::vector<double> xn = refNorm(x.data() + t * K, K, gamma, kEps);
    if (!gamma)
      for (int64_t k = 0; k < K; ++k)
        xn[size_t(k)] = x[size_t(t * K + k)];
    for (int64_t j = 0; j < w.rows; ++j)
      for (int64_t k = 0; k < K; ++k)
        ref[size_t(t * w.rows + j)].add(xn[size_t(k)], w.value[size_t(j * K + k)]);
  }
  return ref;
}

template <int64_t K, bool kBias, bool kNorm, int64_t... N>
void checkLinearF8(std::vector<int64_t> ns) {
  constexpr int64_t S = sizeof...(N), total = (N + ...);
  constexpr int64_t size[S] = {N...};
  Rng rng(uint64_t(K * 911 + total * 7 + kBias * 2 + kNorm));
  F8Weights w(total, K, rng);
  std::vector<float> bias = rng.floats(total, -1, 1), gamma = rng.floats(K, 0.5f, 1.5f);
  for (int64_t n : ns) {
    std::vector<float> x = activations(n, K, rng);
    std::vector<RefDot> ref = referenceDots(x, n, w, kNorm ? gamma.data() : nullptr);
    std::vector<float> first[2]; // per precision: the first run's results
    for (bool fp32 : {true, false}) {
      const int bf16 = amxPrefill<WType::F8E4M3>(fp32, n) ? 2 : 0;
      std::vector<double> want(ref.size()), tol(ref.size());
      for (size_t i = 0; i < ref.size(); ++i) {
        want[i] = ref[i].value + (kBias ? bias[i % total] : 0.0);
        tol[i] = ref[i].tolerance(bf16) + 1e-6 * std::fabs(want[i]);
      }
      for (int kRows : {0, 1}) {
        if (kRows == 1 && n != 1)
          continue;
        for (int threads : {1, 3}) {
          TestPool pool(threads);
          std::vector<std::vector<float>> outs(S);
          float *ptrs[S];
          for (int64_t s = 0; s < S; ++s) {
            outs[size_t(s)].assign(size_t(n * size[s]), kNaN);
            ptrs[s] = outs[size_t(s)].data();
          }
          const float *b = kBias ? bias.data() : nullptr, *g = kNorm ? gamma.data() : nullptr;
          if (kRows == 1)
            linear<1, K, WType::F8E4M3, kBias, kNorm, N...>(pool.exec(fp32), x.data(), n,
                                                            w.raw.data(), b, g, kEps, ptrs,
                                                            w.scales.data());
          else
            linear<0, K, WType::F8E4M3, kBias, kNorm, N...>(pool.exec(fp32), x.data(), n,
                                                            w.raw.data(), b, g, kEps, ptrs,
                                                            w.scales.data());
          std::vector<float> flat(size_t(n * total));
          for (int64_t t = 0; t < n; ++t)
            for (int64_t s = 0, off = 0; s < S; off += size[s], ++s)
              for (int64_t c = 0; c < size[s]; ++c)
                flat[size_t(t * total + off + c)] = outs[size_t(s)][size_t(t * size[s] + c)];
          std::string what = "linear f8 K=" + std::to_string(K) + " n=" + std::to_string(n) +
                             (fp32 ? " fp32" : " default") + " kRows=" + std::to_string(kRows) +
                             " threads=" + std::to_string(threads);
          expectClose(flat.data(), want, tol, what);
          if (first[fp32].empty())
            first[fp32] = flat;
          else if (kRows == 0 || n == 1)
            EXPECT_TRUE(sameBits(first[fp32], flat)) << what << ": differs from the first run";
        }
      }
    }
    if (amxPrefill<WType::F8E4M3>(false, n))
      EXPECT_FALSE(sameBits(first[0], first[1])) << "default precision did not use AMX";
    else
      EXPECT_TRUE(sameBits(first[0], first[1])) << "default precision differs from fp32";
  }
}

template <int64_t K, int64_t I, bool kNorm>
void checkGatedF8(std::vector<int64_t> ns) {
  Rng rng(uint64_t(K * 31 + I * 5 + kNorm));
  F8Weights w(2 * I, K, rng);
  std::vector<float> gamma = rng.floats(K, 0.5f, 1.5f);
  for (int64_t n : ns) {
    std::vector<float> x = activations(n, K, rng);
    std::vector<RefDot> ref = referenceDots(x, n, w, kNorm ? gamma.data() : nullptr);
    std::vector<float> first[2];
    for (bool fp32 : {true, false}) {
      const int bf16 = amxPrefill<WType::F8E4M3>(fp32, n) ? 2 : 0;
      std::vector<double> want, tol;
      gatedReference(ref, n, I, want, tol, bf16);
      for (int kRows : {0, 1}) {
        if (kRows == 1 && n != 1)
          continue;
        for (int threads : {1, 3}) {
          TestPool pool(threads);
          std::vector<float> out(size_t(n * I), kNaN);
          const float *g = kNorm ? gamma.data() : nullptr;
          if (kRows == 1)
            gatedLinear<1, K, I, WType::F8E4M3, kNorm>(pool.exec(fp32), x.data(), n, w.raw.data(),
                                                       g, kEps, out.data(), w.scales.data());
          else
            gatedLinear<0, K, I, WType::F8E4M3, kNorm>(pool.exec(fp32), x.data(), n, w.raw.data(),
                                                       g, kEps, out.data(), w.scales.data());
          std::string what = "gatedLinear f8 K=" + std::to_string(K) + " n=" + std::to_string(n) +
                             (fp32 ? " fp32" : " default") + " kRows=" + std::to_string(kRows) +
                             " threads=" + std::to_string(threads);
          expectClose(out.data(), want, tol, what);
          if (first[fp32].empty())
            first[fp32] = out;
          else
            EXPECT_TRUE(sameBits(first[fp32], out)) << what << ": differs from the first run";
        }
      }
    }
    if (amxPrefill<WType::F8E4M3>(false, n))
      EXPECT_FALSE(sameBits(first[0], first[1])) << "default precision did not use AMX";
    else
      EXPECT_TRUE(sameBits(first[0], first[1])) << "default precision differs from fp32";
  }
}

TEST(LinearF8, OneBlock) { checkLinearF8<128, false, false, 96, 80>({1, 5}); }
TEST(LinearF8, PartialBlockBiasNorm) { checkLinearF8<200, true, true, 96, 80>({1, 5}); }
TEST(LinearF8, BelowOneBlock) { checkLinearF8<64, true, false, 96, 80>({1, 5}); }
TEST(LinearF8, ManyBlocksChunkedK) { checkLinearF8<1100, false, true, 40>({1, 5, 17}); }
TEST(LinearF8, TokenTiles) { checkLinearF8<300, true, true, 40>({65, 130}); }
TEST(GatedLinearF8, OneBlock) { checkGatedF8<128, 40, false>({1, 5}); }
TEST(GatedLinearF8, PartialBlockNorm) { checkGatedF8<200, 33, true>({1, 5}); }
TEST(GatedLinearF8, BelowOneBlock) { checkGatedF8<64, 24, true>({1, 5}); }

} // namespace
} // namespace r1hk::test
