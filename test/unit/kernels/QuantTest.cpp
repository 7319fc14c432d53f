//===- QuantTest.cpp - 1x128 FP8 activation quantization and W8A8 MoE -----===//
//
// roundToE4M3 (scalar and vector) against the nearest of the 256 e4m3fn
// codes decoded by their definition: every code maps to itself, midpoints
// to the even code, saturation at 448, subnormals and zero, and a million
// random floats. quantizeF8Blocks (K = 300 with a partial last block, and
// 256) against DeepSeek-V3's act_quant rule: block amax kept, every output
// a representable value times the block scale, zero blocks zero, the 1e-4
// amax floor, the error bound of 3 mantissa bits, in place, any thread
// count. moeExperts<kQuantAct> with f32 and fp8 experts against a double
// reference that quantizes x and h the same way.
//
//===----------------------------------------------------------------------===//
#include "KernelTestUtil.h"

#include "codegen/host/kernels/Quant.h"

#include <algorithm>
#include <array>
#include <limits>
#include <numeric>

namespace r1hk::test {
namespace {

/// e4m3fn by its definition: sign, 4 exponent bits (bias 7), 3 mantissa bits.
double refF8(int code) {
  int e = (code >> 3) & 15, m = code & 7;
  if ((code & 0x7f) == 0x7f)
    return std::numeric_limits<double>::quiet_NaN();
  double v = e == 0 ? std::ldexp(double(m), -9) : std::ldexp(double(8 + m), e - 10);
  return (code & 0x80) ? -v : v;
}

/// The 127 non-negative finite e4m3fn values, ascending (code = index).
const std::array<double, 127> &positiveValues() {
  static const std::array<double, 127> values = [] {
    std::array<double, 127> v{};
    for (int c = 0; c < 127; ++c)
      v[size_t(c)] = refF8(c);
    return v;
  }();
  return values;
}

/// Nearest e4m3fn value to v by brute force: ties to the even code,
/// |v| >= 448 saturated, NaN kept.
double refRound(double v) {
  if (std::isnan(v))
    return v;
  double a = std::fabs(v);
  if (a >= 448.0)
    return std::copysign(448.0, v);
  const auto &vals = positiveValues();
  size_t lo = size_t(std::upper_bound(vals.begin(), vals.end(), a) - vals.begin()) - 1;
  double dl = a - vals[lo], dh = vals[lo + 1] - a;
  double r = dl < dh ? vals[lo] : dh < dl ? vals[lo + 1] : (lo % 2 ? vals[lo + 1] : vals[lo]);
  return std::copysign(r, v);
}

/// roundToE4M3Vec over an array, Vec::W lanes at a time.
std::vector<float> roundVec(const std::vector<float> &in) {
  std::vector<float> out(in.size());
  size_t i = 0;
  for (; i + Vec::W <= in.size(); i += Vec::W)
    Vec::store(out.data() + i, detail::roundToE4M3Vec(Vec::load(in.data() + i)));
  for (; i < in.size(); ++i) { // the tail through a padded vector
    alignas(64) float buf[Vec::W] = {};
    buf[0] = in[i];
    Vec::store(buf, detail::roundToE4M3Vec(Vec::load(buf)));
    out[i] = buf[0];
  }
  return out;
}

/// Expects the scalar and vector rounding of v to be `want`, sign and NaN
/// included; returns the number of failures.
int checkRound(const std::vector<float> &in, const std::vector<double> &want, const char *what) {
  std::vector<float> vec = roundVec(in);
  int misses = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const float got[2] = {detail::roundToE4M3(in[i]), vec[i]};
    for (int path = 0; path < 2; ++path) {
      bool ok = std::isnan(want[i]) ? std::isnan(got[path])
                                    : double(got[path]) == want[i] &&
                                          std::signbit(got[path]) == std::signbit(want[i]);
      if (!ok && ++misses <= 5)
        ADD_FAILURE() << what << ": " << (path ? "vector" : "scalar") << " rounding of "
                      << std::hexfloat << in[i] << " is " << got[path] << ", want " << want[i]
                      << std::defaultfloat;
    }
  }
  return misses;
}

TEST(Quant, RoundToE4M3Codes) {
  std::vector<float> in;
  std::vector<double> want;
  auto add = [&](double v, double w) {
    in.push_back(float(v));
    want.push_back(w);
  };
  for (int c = 0; c < 256; ++c) // every code to itself (±0 keep their sign)
    if ((c & 0x7f) != 0x7f)
      add(refF8(c), refF8(c));
  const auto &vals = positiveValues();
  for (size_t c = 0; c + 1 < vals.size(); ++c) {
    // The midpoint (exact in float: at most 5 significant bits) goes to the
    // even code; one float either side goes to the nearer value.
    double mid = (vals[c] + vals[c + 1]) / 2, even = c % 2 ? vals[c + 1] : vals[c];
    for (double s : {1.0, -1.0}) {
      add(s * mid, s * even);
      add(s * double(std::nextafter(float(mid), 0.0f)), s * vals[c]);
      add(s * double(std::nextafter(float(mid), 1e9f)), s * vals[c + 1]);
    }
  }
  EXPECT_EQ(checkRound(in, want, "codes and midpoints"), 0);
}

TEST(Quant, RoundToE4M3EdgeCases) {
  const float inf = std::numeric_limits<float>::infinity();
  const float big[] = {448.0f, 448.5f, 463.99f, 464.0f, 464.01f, 479.0f, 480.0f,
                       1e6f,   std::numeric_limits<float>::max(),  inf};
  std::vector<float> in;
  std::vector<double> want;
  for (float b : big)
    for (float s : {1.0f, -1.0f})
      in.push_back(s * b), want.push_back(s * 448.0);
  // Tiny values: half the smallest subnormal (a tie) goes to 0, anything
  // above it to 2^-9; 3 * 2^-10 ties between codes 1 and 2: to 2^-8.
  const std::pair<float, double> tiny[] = {
      {0x1p-10f, 0.0},
      {std::nextafter(0x1p-10f, 1.0f), 0x1p-9},
      {0x1p-11f, 0.0},
      {std::numeric_limits<float>::denorm_min(), 0.0},
      {std::numeric_limits<float>::min(), 0.0},
      {3 * 0x1p-10f, 0x1p-8},
      {5 * 0x1p-10f, 0x1p-8},
      {7 * 0x1p-10f, 0x1p-7},
      {15 * 0x1p-10f, 0x1p-6}, // between 7 * 2^-9 and the smallest normal: even
      {std::nextafter(0x1p-6f, 0.0f), 0x1p-6},
      {0x1p-6f + 0x1p-10f, 0x1p-6}, // a normal value's tie: down to the even code 8
      {0x1p-6f + 3 * 0x1p-10f, 0x1p-6 + 0x1p-8},
  };
  for (auto [v, w] : tiny)
    for (float s : {1.0f, -1.0f})
      in.push_back(s * v), want.push_back(s * w);
  in.push_back(std::numeric_limits<float>::quiet_NaN()), want.push_back(std::nan(""));
  in.push_back(-std::numeric_limits<float>::quiet_NaN()), want.push_back(std::nan(""));
  EXPECT_EQ(checkRound(in, want, "edge cases"), 0);
  // -0 and tiny negatives keep the sign.
  EXPECT_TRUE(std::signbit(detail::roundToE4M3(-1e-30f)));
  EXPECT_FALSE(std::signbit(detail::roundToE4M3(1e-30f)));
}

TEST(Quant, RoundToE4M3RandomFloats) {
  Rng rng(4242);
  std::vector<float> in;
  // Every 4099th bit pattern (all exponents, infinities and NaNs included).
  for (uint64_t b = 0; b <= 0xffffffffull; b += 4099)
    in.push_back(std::bit_cast<float>(uint32_t(b)));
  // Dense where it matters: exponents -12..9, random mantissas and signs.
  for (int i = 0; i < (1 << 20); ++i) {
    uint32_t bits = (uint32_t(rng.integer(0, 1)) << 31) | (uint32_t(rng.integer(115, 136)) << 23) |
                    uint32_t(rng.integer(0, (1 << 23) - 1));
    in.push_back(std::bit_cast<float>(bits));
  }
  std::vector<double> want(in.size());
  for (size_t i = 0; i < in.size(); ++i)
    want[i] = refRound(double(in[i]));
  EXPECT_EQ(checkRound(in, want, "random floats"), 0);
}

/// n >= 5 rows of K with per-row magnitudes from 1e-3 to 1e3, plus special
/// blocks: all zeros (row 1, last block), below the 1e-4 amax floor (row 2,
/// block 0), one nonzero element (row 3, last block), a spike (row 4).
std::vector<float> quantRows(int64_t n, int64_t K, Rng &rng) {
  std::vector<float> x(size_t(n * K));
  for (int64_t t = 0; t < n; ++t) {
    float scale = std::pow(10.0f, rng.uniform(-3.0f, 3.0f));
    for (int64_t k = 0; k < K; ++k)
      x[size_t(t * K + k)] = scale * rng.uniform(-1.0f, 1.0f);
  }
  const int64_t last = (K - 1) / 128 * 128; // first element of the last block
  std::fill(x.begin() + K + last, x.begin() + 2 * K, 0.0f);
  for (int64_t k = 0; k < std::min<int64_t>(K, 128); ++k)
    x[size_t(2 * K + k)] = 4e-5f * rng.uniform(-1.0f, 1.0f);
  std::fill(x.begin() + 3 * K + last, x.begin() + 4 * K, 0.0f);
  x[size_t(3 * K + K - 1)] = -0.75f;
  x[size_t(4 * K + 17)] = 5e4f;
  return x;
}

template <int64_t K>
void checkQuantize(int64_t n) {
  Rng rng(uint64_t(K * 3 + n));
  std::vector<float> x = quantRows(n, K, rng);
  constexpr int64_t KB = (K + 127) / 128;
  std::vector<float> first;
  for (int threads : {1, 3}) {
    TestPool pool(threads);
    std::vector<float> out(x.size(), std::nanf(""));
    quantizeF8Blocks<K>(pool.exec(false), x.data(), n, out.data());
    // In place gives the same bits.
    std::vector<float> inPlace = x;
    quantizeF8Blocks<K>(pool.exec(false), inPlace.data(), n, inPlace.data());
    EXPECT_TRUE(sameBits(out, inPlace)) << "K=" << K << ": in place differs";
    if (first.empty())
      first = out;
    else
      EXPECT_TRUE(sameBits(first, out)) << "K=" << K << ": differs with " << threads << " threads";
  }
  const std::vector<float> &out = first;
  int misses = 0;
  auto miss = [&](int64_t t, int64_t k, const std::string &why) {
    if (++misses <= 8)
      ADD_FAILURE() << "K=" << K << " row " << t << " element " << k << ": " << why;
  };
  for (int64_t t = 0; t < n; ++t)
    for (int64_t b = 0; b < KB; ++b) {
      const int64_t k0 = b * 128, k1 = std::min<int64_t>(K, k0 + 128);
      float amax = 0, omax = 0;
      for (int64_t k = k0; k < k1; ++k) {
        amax = std::max(amax, std::fabs(x[size_t(t * K + k)]));
        omax = std::max(omax, std::fabs(out[size_t(t * K + k)]));
      }
      // act_quant's scale in fp32. Below the 1e-4 floor out / s is still on
      // the e4m3 grid, with this s (checked below), but its max is not 448.
      const float s = std::max(amax, 1e-4f) / 448.0f;
      if (amax >= 1e-4f && std::fabs(double(omax) - amax) > 0x1p-22 * amax)
        miss(t, k0, "block max " + std::to_string(omax) + " != amax " + std::to_string(amax));
      for (int64_t k = k0; k < k1; ++k) {
        const double xv = x[size_t(t * K + k)], o = out[size_t(t * K + k)];
        if (amax == 0 && !(o == 0))
          miss(t, k, "a zero block gives " + std::to_string(o));
        // out = q * s rounded once: out / s is within 2^-24 of an e4m3 value.
        const double q = o / double(s);
        if (!(std::fabs(q - refRound(q)) <= 0x1p-23 * std::fabs(q)))
          miss(t, k, "out / s = " + std::to_string(q) + " is not an e4m3 value");
        // The quantum is 2^-3 of the binade (2^-9 * s below 2^-6 * s).
        const double err = std::fabs(o - xv);
        const double bound = std::fabs(xv) >= 0x1p-6 * double(s)
                                 ? 0x1p-4 * std::fabs(xv) * (1 + 0x1p-18)
                                 : 0x1p-10 * double(s) * (1 + 0x1p-18);
        if (!(err <= bound))
          miss(t, k, "error " + std::to_string(err) + " > " + std::to_string(bound));
        // The vector path is the scalar rule, bit for bit.
        const float exact = detail::roundToE4M3(float(xv) / s) * s;
        if (std::bit_cast<uint32_t>(exact) != std::bit_cast<uint32_t>(float(o)))
          miss(t, k,
               "got " + std::to_string(o) + ", the scalar rule gives " + std::to_string(exact));
      }
    }
  EXPECT_EQ(misses, 0);
}

// Enough rows (n * K > 2^16) for quantizeF8Blocks to use the threads.
TEST(Quant, BlocksPartialLastBlock) { checkQuantize<300>(300); }
TEST(Quant, BlocksWhole) { checkQuantize<256>(260); }
TEST(Quant, BlocksShortRow) { checkQuantize<100>(6); } // one partial block only

// Block scale 63 (amax 28224): x = 63 * (a midpoint) divides exactly onto
// the midpoint, which must go to the even code; x * float(1 / 63) misses
// 125 of the 126 midpoints, as a reciprocal multiply would.
TEST(Quant, BlocksDivideOntoTies) {
  const auto &vals = positiveValues();
  std::vector<float> x(256, 0.0f);
  std::vector<double> want(256, 0.0);
  for (int64_t b = 0; b < 2; ++b) {
    const double sign = b ? -1.0 : 1.0;
    x[size_t(b * 128)] = float(sign * 28224.0), want[size_t(b * 128)] = sign * 28224.0;
    for (size_t c = 0; c + 1 < vals.size(); ++c) {
      const double mid = (vals[c] + vals[c + 1]) / 2;
      x[size_t(b * 128) + 1 + c] = float(sign * 63 * mid);
      want[size_t(b * 128) + 1 + c] = sign * 63 * (c % 2 ? vals[c + 1] : vals[c]);
    }
  }
  std::vector<float> out(256);
  TestPool pool(1);
  quantizeF8Blocks<256>(pool.exec(false), x.data(), 1, out.data());
  expectClose(out.data(), want, std::vector<double>(256, 0.0), "ties at scale 63");
}

TEST(Quant, RowHelperMatchesBlocks) {
  Rng rng(7);
  std::vector<float> x = quantRows(5, 300, rng), a(x.size()), b(x.size());
  TestPool pool(1);
  quantizeF8Blocks<300>(pool.exec(true), x.data(), 5, a.data());
  for (int64_t t = 0; t < 5; ++t)
    detail::quantizeRowF8<300>(x.data() + t * 300, b.data() + t * 300);
  EXPECT_TRUE(sameBits(a, b));
}

/// h fake-quantized in double from its reference values and their error
/// bounds: hq and a bound on |kernel's hq - hq|. The kernel's block scale
/// differs from the reference's by at most ds (its amax by the largest h
/// error of the block); an element within its error of a rounding boundary
/// may round to the neighbouring value (a full step allowed).
void refQuantizeH(const std::vector<double> &h, const std::vector<double> &htol,
                  std::vector<double> &hq, std::vector<double> &hqtol) {
  const size_t I = h.size();
  hq.assign(I, 0), hqtol.assign(I, 0);
  for (size_t k0 = 0; k0 < I; k0 += 128) {
    const size_t k1 = std::min(I, k0 + 128);
    double amax = 0, atol = 0;
    for (size_t k = k0; k < k1; ++k)
      amax = std::max(amax, std::fabs(h[k])), atol = std::max(atol, htol[k]);
    const double s = std::max(amax, double(1e-4f)) / 448.0;
    const double ds = atol / 448.0 + 0x1p-23 * s;
    for (size_t k = k0; k < k1; ++k) {
      const double y = h[k] / s, q = refRound(y);
      const double dy = (htol[k] + std::fabs(y) * ds) / s + 0x1p-22 * std::fabs(y);
      const double step = std::fabs(refRound(y + dy) - refRound(y - dy));
      hq[k] = q * s;
      hqtol[k] = step * (s + ds) + (std::fabs(q) + step) * ds + 0x1p-22 * std::fabs(hq[k]);
    }
  }
}

template <int64_t E, int64_t TopK, int64_t Hd, int64_t I, WType WT>
void checkQuantExperts(std::vector<int64_t> ns) {
  Rng rng(uint64_t(E * 5 + TopK * 7 + Hd * 3 + I * 17 + int(WT)));
  ExpertWeights<WT> gu(E * 2 * I, Hd, rng), dn(E * Hd, I, rng);
  const char *wname = WT == WType::F8E4M3 ? "f8" : "f32";
  for (int64_t n : ns) {
    std::vector<float> x(size_t(n * Hd));
    for (int64_t t = 0; t < n; ++t) {
      float scale = rng.uniform(0.2f, 3.0f);
      for (int64_t c = 0; c < Hd; ++c)
        x[size_t(t * Hd + c)] = scale * rng.uniform(-1.0f, 1.0f);
    }
    if (n > 1) // a zero block of x
      std::fill(x.begin() + Hd, x.begin() + Hd + std::min<int64_t>(128, Hd), 0.0f);
    std::vector<int32_t> ids(size_t(n * TopK));
    std::vector<float> w(size_t(n * TopK));
    for (int64_t t = 0; t < n; ++t) {
      std::vector<int32_t> perm(static_cast<size_t>(E));
      std::iota(perm.begin(), perm.end(), 0);
      for (int64_t k = 0; k < TopK; ++k) { // skewed: some experts get many tokens
        int64_t j = k + (rng.integer(0, 3) == 0 ? rng.integer(0, E - 1 - k) : rng.integer(0, 1));
        std::swap(perm[size_t(k)], perm[size_t(std::min<int64_t>(j, E - 1))]);
        ids[size_t(t * TopK + k)] = perm[size_t(k)];
        w[size_t(t * TopK + k)] = rng.uniform(0.1f, 1.0f);
      }
    }
    // Reference: x quantized by the row helper (the kernel's x, bit for
    // bit), h in double and quantized in double with its error bound.
    std::vector<float> xq(x.size());
    for (int64_t t = 0; t < n; ++t)
      detail::quantizeRowF8<Hd>(x.data() + t * Hd, xq.data() + t * Hd);
    std::vector<double> want(size_t(n * Hd), 0.0), tol(size_t(n * Hd), 1e-6);
    for (int64_t t = 0; t < n; ++t)
      for (int64_t k = 0; k < TopK; ++k) {
        int64_t e = ids[size_t(t * TopK + k)];
        double wk = w[size_t(t * TopK + k)];
        std::vector<double> h(static_cast<size_t>(I)), htol(static_cast<size_t>(I)), hq, hqtol;
        for (int64_t i = 0; i < I; ++i) {
          RefDot g, u;
          for (int64_t c = 0; c < Hd; ++c) {
            g.add(xq[size_t(t * Hd + c)], gu.value[size_t((e * 2 * I + i) * Hd + c)]);
            u.add(xq[size_t(t * Hd + c)], gu.value[size_t((e * 2 * I + I + i) * Hd + c)]);
          }
          double silu = g.value / (1.0 + std::exp(-g.value));
          h[size_t(i)] = silu * u.value;
          htol[size_t(i)] = 1.1 * std::fabs(u.value) * g.tolerance(false) +
                            std::fabs(silu) * u.tolerance(false) + 1e-6 * std::fabs(h[size_t(i)]);
        }
        refQuantizeH(h, htol, hq, hqtol);
        for (int64_t r = 0; r < Hd; ++r) {
          RefDot d;
          double prop = 0;
          for (int64_t i = 0; i < I; ++i) {
            double wd = dn.value[size_t((e * Hd + r) * I + i)];
            d.add(hq[size_t(i)], wd);
            prop += hqtol[size_t(i)] * std::fabs(wd);
          }
          want[size_t(t * Hd + r)] += wk * d.value;
          tol[size_t(t * Hd + r)] +=
              wk * (d.tolerance(false) + prop) + 1e-6 * std::fabs(wk * d.value);
        }
      }
    const float *gus = gu.scales.empty() ? nullptr : gu.scales.data();
    const float *dns = dn.scales.empty() ? nullptr : dn.scales.data();
    std::vector<float> first;
    for (auto [threads, fp32] : {std::pair{1, false}, std::pair{3, false}, std::pair{3, true}}) {
      TestPool pool(threads);
      std::vector<float> out(size_t(n * Hd), std::nanf(""));
      moeExperts<E, TopK, Hd, I, WT, true>(pool.exec(fp32), x.data(), n, ids.data(), w.data(),
                                           gu.raw.data(), dn.raw.data(), gus, dns, out.data());
      std::string what = std::string("moeExperts<kQuantAct> ") + wname + " n=" + std::to_string(n) +
                         " threads=" + std::to_string(threads) + (fp32 ? " fp32" : " default");
      expectClose(out.data(), want, tol, what);
      if (first.empty())
        first = out;
      else
        EXPECT_TRUE(sameBits(first, out)) << what << ": differs from 1 thread";
    }
    // The reference tells the modes apart: without quantization most
    // outputs fall outside its tolerance.
    TestPool pool(1);
    std::vector<float> plain(size_t(n * Hd));
    moeExperts<E, TopK, Hd, I, WT>(pool.exec(false), x.data(), n, ids.data(), w.data(),
                                   gu.raw.data(), dn.raw.data(), gus, dns, plain.data());
    int64_t outside = 0;
    for (size_t i = 0; i < plain.size(); ++i)
      outside += std::fabs(double(plain[i]) - want[i]) > tol[i];
    EXPECT_GT(outside, int64_t(plain.size()) / 2)
        << wname << " n=" << n << ": the unquantized result passes the quantized reference";
  }
}

// Hd = 200, I = 136: partial 128-blocks in both quantized rows, partial
// tiles (see MoeTest.cpp).
TEST(Quant, MoeExpertsF32) { checkQuantExperts<8, 3, 200, 136, WType::F32>({1, 5, 40}); }
TEST(Quant, MoeExpertsF8) { checkQuantExperts<8, 3, 200, 136, WType::F8E4M3>({1, 5, 40}); }
TEST(Quant, MoeExpertsF8WholeBlocks) { checkQuantExperts<4, 2, 256, 256, WType::F8E4M3>({70}); }

} // namespace
} // namespace r1hk::test
