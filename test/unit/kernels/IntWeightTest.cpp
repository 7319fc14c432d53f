//===- IntWeightTest.cpp - group-scaled int8/int4 weights vs double refs --===//
//
// linear, gatedLinear and moeExperts with integer weights (I8G*, I4G*; see
// /work/notes/quant-contract.md), quantized by IntWeights (KernelTestUtil.h),
// against a double reference on the dequantized weights: decode (kRows 1,
// one row) and prefill (kRows 0, several rows), 1 and 3 threads, both
// precision modes. Every run must also give the bits of the F32 kernel on
// the dequantized weights: q * an f16 scale is exact in fp32 and the integer
// loops are the f32 loops. Shapes include K = G and K = 3G, K in chunks that
// cut a group, and segments that are not multiples of the 8/16-row blocks.
// The int4 nibble order is checked code by code, and swapped nibbles must
// make linear fail.
//
// Except one case: single-row calls at the default precision on AVX512-VNNI
// (GemvVnni.h) multiply int8 activation codes. Those are checked against the
// double reference on the same codes (tight: fp32 rounding, plus a step for
// a code the kernel's fp32 norm rounds the other way), and against the exact
// reference within what int8 activations can move a dot: each element off by
// at most half a step, sum |w| * step / 2.
//
//===----------------------------------------------------------------------===//
#include "KernelTestUtil.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace r1hk::test {
namespace {

constexpr float kEps = 1e-6f;
const float kNaN = std::numeric_limits<float>::quiet_NaN();
const std::vector<int64_t> kRowCounts = {1, 5, 37};

/// ref[t * rows + j] = xn[t] . w[j], xn = rmsNorm(x[t]) * gamma (x[t]
/// itself without gamma).
std::vector<RefDot> referenceDots(const std::vector<float> &x, int64_t n, int64_t K,
                                  const std::vector<double> &w, int64_t rows, const float *gamma) {
  std::vector<RefDot> ref(size_t(n * rows));
  for (int64_t t = 0; t < n; ++t) {
    std::vector<double> xn = refNorm(x.data() + t * K, K, gamma, kEps);
    if (!gamma)
      for (int64_t k = 0; k < K; ++k)
        xn[size_t(k)] = x[size_t(t * K + k)];
    for (int64_t j = 0; j < rows; ++j)
      for (int64_t k = 0; k < K; ++k)
        ref[size_t(t * rows + j)].add(xn[size_t(k)], w[size_t(j * K + k)]);
  }
  return ref;
}

/// True where a run takes GemvVnni.h's path (int8 activation codes).
template <int64_t K, WType WT>
bool usesVnni(bool fp32, int64_t n) {
  // Decode always; prefill where AMX does not take it (GemmVnni.h).
  return !fp32 && detail::kUsesVnni<K, WT> && (n == 1 || !amxPrefill<WT>(fp32, n));
}

/// A row as GemvVnni.h quantizes it: per 32 elements, codes round(x * 127 /
/// amax) in fp32 arithmetic, worth code * amax / 127; `step` gets each
/// element's amax / 127.
std::vector<double> vnniActivations(const std::vector<double> &xn, std::vector<double> &step) {
  std::vector<double> out(xn.size());
  step.assign(xn.size(), 0.0);
  for (size_t b = 0; b < xn.size(); b += 32) {
    float amax = 0;
    for (size_t k = b; k < b + 32; ++k)
      amax = std::max(amax, std::fabs(float(xn[k])));
    float sx = amax / 127.0f, inv = amax > 0 ? 127.0f / amax : 0.0f;
    for (size_t k = b; k < b + 32; ++k) {
      out[k] = double(std::nearbyint(float(xn[k]) * inv)) * double(sx);
      step[k] = double(sx);
    }
  }
  return out;
}

/// For a one-row VNNI run of row x: per weight row j, the dot on the int8
/// activations (quant, with its tolerance) and the tolerance against the
/// exact dot.
struct VnniRef {
  std::vector<double> quant, quantTol, exactTol;
};
VnniRef vnniReference(const float *x, int64_t K, const std::vector<double> &w, int64_t rows,
                      const float *gamma) {
  std::vector<double> xn = refNorm(x, K, gamma, kEps);
  if (!gamma)
    for (int64_t k = 0; k < K; ++k)
      xn[size_t(k)] = x[k];
  std::vector<double> step;
  std::vector<double> xq = vnniActivations(xn, step);
  VnniRef ref;
  for (int64_t j = 0; j < rows; ++j) {
    RefDot dot;
    double moved = 0, wmax = 0, smax = 0;
    for (int64_t k = 0; k < K; ++k) {
      double wk = w[size_t(j * K + k)];
      dot.add(xq[size_t(k)], wk);
      moved += std::fabs(wk) * step[size_t(k)] / 2;
      wmax = std::max(wmax, std::fabs(wk)), smax = std::max(smax, step[size_t(k)]);
    }
    ref.quant.push_back(dot.value);
    ref.quantTol.push_back(dot.tolerance(false) + (gamma ? 2 * wmax * smax : 0.0));
    ref.exactTol.push_back(moved + dot.tolerance(false));
  }
  return ref;
}

std::string label(const char *kernel, int64_t K, WType wt, int64_t n, bool fp32, int kRows,
                  int threads) {
  return std::string(kernel) + " K=" + std::to_string(K) + " " + name(wt) +
         " n=" + std::to_string(n) + (fp32 ? " fp32" : " default") +
         " kRows=" + std::to_string(kRows) + " threads=" + std::to_string(threads);
}

/// Calls f(exec, fp32, kRows, threads) for every run configuration of n rows.
template <class F>
void forEachRun(int64_t n, F &&f) {
  for (bool fp32 : {true, false})
    for (int kRows : {0, 1}) {
      if (kRows == 1 && n != 1)
        continue;
      for (int threads : {1, 3}) {
        TestPool pool(threads);
        f(pool.exec(fp32), fp32, kRows, threads);
      }
    }
}

/// linear's outputs for n rows, flattened to [n, sum N].
template <int kRows, int64_t K, WType WT, bool kBias, bool kNorm, int64_t... N>
std::vector<float> runLinear(const Exec &ex, const std::vector<float> &x, int64_t n, const void *w,
                             const void *scales, const float *bias, const float *gamma) {
  constexpr int64_t S = sizeof...(N), total = (N + ...);
  constexpr int64_t size[S] = {N...};
  std::vector<std::vector<float>> outs(S);
  float *ptrs[S];
  for (int64_t s = 0; s < S; ++s) {
    outs[size_t(s)].assign(size_t(n * size[s]), kNaN);
    ptrs[s] = outs[size_t(s)].data();
  }
  linear<kRows, K, WT, kBias, kNorm, N...>(ex, x.data(), n, w, bias, gamma, kEps, ptrs, scales);
  std::vector<float> flat(size_t(n * total));
  for (int64_t t = 0; t < n; ++t)
    for (int64_t s = 0, off = 0; s < S; off += size[s], ++s)
      for (int64_t c = 0; c < size[s]; ++c)
        flat[size_t(t * total + off + c)] = outs[size_t(s)][size_t(t * size[s] + c)];
  return flat;
}

template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t... N>
void checkLinear(std::vector<int64_t> ns) {
  constexpr int64_t total = (N + ...);
  Rng rng(uint64_t(K * 1000003 + total * 31 + int(WT) * 7 + kBias * 2 + kNorm));
  IntWeights<WT> w(total, K, rng);
  const std::vector<float> wf = w.dequantized();
  std::vector<float> bias = rng.floats(total, -1, 1), gamma = rng.floats(K, 0.5f, 1.5f);
  const float *b = kBias ? bias.data() : nullptr, *g = kNorm ? gamma.data() : nullptr;
  for (int64_t n : ns) {
    std::vector<float> x = activations(n, K, rng);
    std::vector<RefDot> ref = referenceDots(x, n, K, w.value, total, g);
    std::vector<double> want(ref.size()), tol(ref.size()), amxTol(ref.size());
    for (size_t i = 0; i < ref.size(); ++i) {
      want[i] = ref[i].value + (kBias ? bias[i % total] : 0.0);
      tol[i] = ref[i].tolerance(0) + 1e-6 * std::fabs(want[i]);
      amxTol[i] = ref[i].tolerance(2) + 1e-6 * std::fabs(want[i]);
    }
    TestPool serial(1);
    const std::vector<float> f32 = runLinear<0, K, WType::F32, kBias, kNorm, N...>(
        serial.exec(true), x, n, wf.data(), nullptr, b, g);
    // Each token's row quantized as a decode step's; prefill on the VNNI
    // path must give exactly the bits of decoding the tokens one at a time.
    VnniRef vnni;
    std::vector<float> decoded;
    if (detail::kUsesVnni<K, WT>) {
      for (int64_t t = 0; t < n; ++t) {
        VnniRef one = vnniReference(x.data() + t * K, K, w.value, total, g);
        for (int64_t j = 0; j < total; ++j) {
          double q = one.quant[size_t(j)] + (kBias ? bias[size_t(j)] : 0.0);
          vnni.quant.push_back(q);
          vnni.quantTol.push_back(one.quantTol[size_t(j)] + 1e-6 * std::fabs(q)); // the bias add
          vnni.exactTol.push_back(one.exactTol[size_t(j)]);
        }
        TestPool pool(1);
        std::vector<float> xt(x.begin() + t * K, x.begin() + (t + 1) * K);
        std::vector<float> d = runLinear<1, K, WT, kBias, kNorm, N...>(
            pool.exec(false), xt, 1, w.raw.data(), w.scales.data(), b, g);
        decoded.insert(decoded.end(), d.begin(), d.end());
      }
    }
    forEachRun(n, [&](const Exec &ex, bool fp32, int kRows, int threads) {
      const uint8_t *codes = w.raw.data();
      const uint16_t *scales = w.scales.data();
      std::vector<float> got =
          kRows == 1 ? runLinear<1, K, WT, kBias, kNorm, N...>(ex, x, n, codes, scales, b, g)
                     : runLinear<0, K, WT, kBias, kNorm, N...>(ex, x, n, codes, scales, b, g);
      std::string what = label("linear", K, WT, n, fp32, kRows, threads);
      if (usesVnni<K, WT>(fp32, n)) {
        expectClose(got.data(), vnni.quant, vnni.quantTol, what + " int8 activations");
        expectClose(got.data(), want, vnni.exactTol, what + " int8 activations vs exact");
        EXPECT_TRUE(sameBits(got, decoded)) << what << ": differs from decoding token by token";
        return;
      }
      if (amxPrefill<WT>(fp32, n)) {
        expectClose(got.data(), want, amxTol, what + " AMX");
        EXPECT_FALSE(sameBits(got, f32)) << what << ": AMX gave the fp32 path's bits";
        return;
      }
      expectClose(got.data(), want, tol, what);
      EXPECT_TRUE(sameBits(got, f32)) << what << ": differs from f32 dequantized weights";
    });
  }
}

template <int kRows, int64_t K, int64_t I, WType WT, bool kNorm>
std::vector<float> runGated(const Exec &ex, const std::vector<float> &x, int64_t n, const void *w,
                            const void *scales, const float *gamma) {
  std::vector<float> out(size_t(n * I), kNaN);
  gatedLinear<kRows, K, I, WT, kNorm>(ex, x.data(), n, w, gamma, kEps, out.data(), scales);
  return out;
}

template <int64_t K, int64_t I, WType WT, bool kNorm>
void checkGated(std::vector<int64_t> ns) {
  Rng rng(uint64_t(K * 7919 + I * 13 + int(WT) * 3 + kNorm));
  IntWeights<WT> w(2 * I, K, rng);
  const std::vector<float> wf = w.dequantized();
  std::vector<float> gamma = rng.floats(K, 0.5f, 1.5f);
  const float *g = kNorm ? gamma.data() : nullptr;
  for (int64_t n : ns) {
    std::vector<float> x = activations(n, K, rng);
    std::vector<double> want, tol, amxWant, amxTol;
    const std::vector<RefDot> ref = referenceDots(x, n, K, w.value, 2 * I, g);
    gatedReference(ref, n, I, want, tol);
    gatedReference(ref, n, I, amxWant, amxTol, 2);
    TestPool serial(1);
    const std::vector<float> f32 =
        runGated<0, K, I, WType::F32, kNorm>(serial.exec(true), x, n, wf.data(), nullptr, g);
    // One VNNI row: silu(g) * u on the int8-activation dots; tolerances as
    // gatedReference propagates them (d silu / dg within [-0.1, 1.1]).
    // Per token, as a decode step (and the bits of one, see checkLinear).
    std::vector<double> vWant, vTol, vExactTol;
    std::vector<float> decoded;
    if (detail::kUsesVnni<K, WT>) {
      for (int64_t t = 0; t < n; ++t) {
        VnniRef v = vnniReference(x.data() + t * K, K, w.value, 2 * I, g);
        for (int64_t i = 0; i < I; ++i) {
          double gv = v.quant[size_t(i)], uv = v.quant[size_t(I + i)];
          double silu = gv / (1.0 + std::exp(-gv));
          vWant.push_back(silu * uv);
          auto spread = [&](const std::vector<double> &e) {
            return 1.1 * std::fabs(uv) * e[size_t(i)] + std::fabs(silu) * e[size_t(I + i)] +
                   1.1 * e[size_t(i)] * e[size_t(I + i)] + 1e-6 * std::fabs(silu * uv);
          };
          vTol.push_back(spread(v.quantTol));
          vExactTol.push_back(spread(v.exactTol) + tol[size_t(t * I + i)]);
        }
        TestPool pool(1);
        std::vector<float> xt(x.begin() + t * K, x.begin() + (t + 1) * K);
        std::vector<float> d =
            runGated<1, K, I, WT, kNorm>(pool.exec(false), xt, 1, w.raw.data(), w.scales.data(), g);
        decoded.insert(decoded.end(), d.begin(), d.end());
      }
    }
    forEachRun(n, [&](const Exec &ex, bool fp32, int kRows, int threads) {
      std::vector<float> got =
          kRows == 1 ? runGated<1, K, I, WT, kNorm>(ex, x, n, w.raw.data(), w.scales.data(), g)
                     : runGated<0, K, I, WT, kNorm>(ex, x, n, w.raw.data(), w.scales.data(), g);
      std::string what = label("gatedLinear", K, WT, n, fp32, kRows, threads);
      if (usesVnni<K, WT>(fp32, n)) {
        expectClose(got.data(), vWant, vTol, what + " int8 activations");
        expectClose(got.data(), want, vExactTol, what + " int8 activations vs exact");
        EXPECT_TRUE(sameBits(got, decoded)) << what << ": differs from decoding token by token";
        return;
      }
      if (amxPrefill<WT>(fp32, n)) {
        expectClose(got.data(), want, amxTol, what + " AMX");
        EXPECT_FALSE(sameBits(got, f32)) << what << ": AMX gave the fp32 path's bits";
        return;
      }
      expectClose(got.data(), want, tol, what);
      EXPECT_TRUE(sameBits(got, f32)) << what << ": differs from f32 dequantized weights";
    });
  }
}

/// Distinct random experts per token (skewed to the low ids, so that some
/// experts get many tokens and some one) with weights in [0.1, 1].
void randomRoutes(int64_t n, int64_t E, int64_t TopK, Rng &rng, std::vector<int32_t> &ids,
                  std::vector<float> &w) {
  ids.resize(size_t(n * TopK)), w.resize(size_t(n * TopK));
  for (int64_t t = 0; t < n; ++t) {
    std::vector<int32_t> perm(static_cast<size_t>(E));
    std::iota(perm.begin(), perm.end(), 0);
    for (int64_t k = 0; k < TopK; ++k) {
      int64_t j = k + (rng.integer(0, 3) == 0 ? rng.integer(0, E - 1 - k) : rng.integer(0, 1));
      std::swap(perm[size_t(k)], perm[size_t(std::min<int64_t>(j, E - 1))]);
      ids[size_t(t * TopK + k)] = perm[size_t(k)];
      w[size_t(t * TopK + k)] = rng.uniform(0.1f, 1.0f);
    }
  }
}

template <int64_t E, int64_t TopK, int64_t Hd, int64_t I, WType WT>
void checkExperts(std::vector<int64_t> ns) {
  Rng rng(uint64_t(E * 7 + TopK * 3 + Hd * 11 + I * 13 + int(WT)));
  IntWeights<WT> gu(E * 2 * I, Hd, rng), dn(E * Hd, I, rng);
  const std::vector<float> guf = gu.dequantized(), dnf = dn.dequantized();
  for (int64_t n : ns) {
    std::vector<float> x = rng.floats(size_t(n * Hd), -1.5f, 1.5f), w;
    std::vector<int32_t> ids;
    randomRoutes(n, E, TopK, rng, ids, w);
    // Reference: per (token, k), h = silu(gate x) * (up x), out += w * down h.
    // vnniTol: what int8 activations (a decode step at the default
    // precision, GemvVnni.h) may add: x's half steps through gate and up,
    // then h's (its block amax grown by h's own error) through down.
    // amxTol: prefill on AMX tiles (bf16 x, h and weights) instead of fp32.
    std::vector<double> want(size_t(n * Hd), 0.0), tol(size_t(n * Hd), 1e-6),
        vnniTol(size_t(n * Hd), 0.0), amxTol(size_t(n * Hd), 1e-6);
    for (int64_t t = 0; t < n; ++t)
      for (int64_t k = 0; k < TopK; ++k) {
        const int64_t e = ids[size_t(t * TopK + k)];
        const double wk = w[size_t(t * TopK + k)];
        std::vector<float> xt(x.begin() + t * Hd, x.begin() + (t + 1) * Hd);
        std::vector<double> gateUp(gu.value.begin() + e * 2 * I * Hd,
                                   gu.value.begin() + (e + 1) * 2 * I * Hd);
        std::vector<RefDot> gu1 = referenceDots(xt, 1, Hd, gateUp, 2 * I, nullptr);
        std::vector<double> h, htol, amxH, amxHtol;
        gatedReference(gu1, 1, I, h, htol);
        gatedReference(gu1, 1, I, amxH, amxHtol, 2);
        std::vector<double> dh(size_t(I), 0.0), hstep(size_t(I), 0.0);
        {
          std::vector<double> xd(xt.begin(), xt.end()), xstep;
          vnniActivations(xd, xstep);
          for (int64_t i = 0; i < I; ++i) {
            double dg = 0, du = 0;
            for (int64_t j = 0; j < Hd; ++j) {
              dg += std::fabs(gateUp[size_t(i * Hd + j)]) * xstep[size_t(j)] / 2;
              du += std::fabs(gateUp[size_t((I + i) * Hd + j)]) * xstep[size_t(j)] / 2;
            }
            if (!detail::kUsesVnni<Hd, WT>)
              dg = du = 0;
            double g = gu1[size_t(i)].value, u = gu1[size_t(I + i)].value;
            double silu = g / (1.0 + std::exp(-g));
            dh[size_t(i)] = 1.1 * std::fabs(u) * dg + std::fabs(silu) * du + 1.1 * dg * du;
          }
          for (int64_t b = 0; b < I && detail::kUsesVnni<I, WT>; b += 32) {
            double amax = 0;
            for (int64_t i = b; i < b + 32; ++i)
              amax = std::max(amax, std::fabs(h[size_t(i)]) + dh[size_t(i)] + htol[size_t(i)]);
            for (int64_t i = b; i < b + 32; ++i)
              hstep[size_t(i)] = amax / 127 / 2 * (1 + 1e-6);
          }
        }
        for (int64_t r = 0; r < Hd; ++r) {
          RefDot d;
          double propagated = 0, moved = 0, amxPropagated = 0;
          for (int64_t i = 0; i < I; ++i) {
            double wd = dn.value[size_t((e * Hd + r) * I + i)];
            d.add(h[size_t(i)], wd);
            propagated += htol[size_t(i)] * std::fabs(wd);
            amxPropagated += amxHtol[size_t(i)] * std::fabs(wd);
            moved += (dh[size_t(i)] + hstep[size_t(i)]) * std::fabs(wd);
          }
          want[size_t(t * Hd + r)] += wk * d.value;
          tol[size_t(t * Hd + r)] +=
              wk * (d.tolerance(false) + propagated) + 1e-6 * std::fabs(wk * d.value);
          vnniTol[size_t(t * Hd + r)] += wk * moved;
          amxTol[size_t(t * Hd + r)] +=
              wk * (d.tolerance(2) + amxPropagated) + 1e-6 * std::fabs(wk * d.value);
        }
      }
    auto run = [&](const Exec &ex, WType wt) {
      std::vector<float> out(size_t(n * Hd), kNaN);
      if (wt == WType::F32)
        moeExperts<E, TopK, Hd, I, WType::F32>(ex, x.data(), n, ids.data(), w.data(), guf.data(),
                                               dnf.data(), nullptr, nullptr, out.data());
      else
        moeExperts<E, TopK, Hd, I, WT>(ex, x.data(), n, ids.data(), w.data(), gu.raw.data(),
                                       dn.raw.data(), gu.scales.data(), dn.scales.data(),
                                       out.data());
      return out;
    };
    TestPool serial(1);
    const std::vector<float> f32 = run(serial.exec(true), WType::F32);
    for (auto [threads, fp32] : {std::pair{1, false}, std::pair{3, false}, std::pair{3, true}}) {
      TestPool pool(threads);
      std::vector<float> got = run(pool.exec(fp32), WT);
      std::string what = std::string("moeExperts ") + name(WT) + " n=" + std::to_string(n) +
                         " threads=" + std::to_string(threads) + (fp32 ? " fp32" : " default");
      // Decode, and prefill where AMX does not take it (GemmVnni.h): the
      // bits of decoding the tokens one at a time.
      if (!fp32 && (detail::kUsesVnni<Hd, WT> || detail::kUsesVnni<I, WT>) &&
          (n == 1 || !amxPrefill<WT>(fp32, n))) {
        std::vector<double> loose(tol);
        for (size_t i = 0; i < loose.size(); ++i)
          loose[i] += vnniTol[i];
        expectClose(got.data(), want, loose, what + " int8 activations");
        if (n > 1) {
          std::vector<float> decoded;
          for (int64_t t = 0; t < n; ++t) {
            std::vector<float> one(size_t(Hd), kNaN);
            moeExperts<E, TopK, Hd, I, WT>(pool.exec(false), x.data() + t * Hd, 1,
                                           ids.data() + t * TopK, w.data() + t * TopK,
                                           gu.raw.data(), dn.raw.data(), gu.scales.data(),
                                           dn.scales.data(), one.data());
            decoded.insert(decoded.end(), one.begin(), one.end());
          }
          EXPECT_TRUE(sameBits(got, decoded)) << what << ": differs from decoding token by token";
        }
        continue;
      }
      if (amxPrefill<WT>(fp32, n)) {
        expectClose(got.data(), want, amxTol, what + " AMX");
        EXPECT_FALSE(sameBits(got, f32)) << what << ": AMX gave the fp32 path's bits";
        continue;
      }
      expectClose(got.data(), want, tol, what);
      EXPECT_TRUE(sameBits(got, f32)) << what << ": differs from f32 dequantized weights";
    }
  }
}

/// Every int8 code, and every int4 byte (all 16 x 16 nibble pairs), widened
/// through the kernels' vector loads against the contract's definition:
/// int8 q = the byte as two's complement; int4 element 2j = low nibble of
/// byte j - 8, element 2j + 1 = high nibble - 8; times the f16 scale.
TEST(IntWeights, DecodesEveryCodeInContractOrder) {
  alignas(64) uint8_t bytes[256];
  for (int c = 0; c < 256; ++c)
    bytes[c] = uint8_t(c);
  auto contractI4 = [&](int64_t k) { return ((bytes[k / 2] >> (k % 2 == 0 ? 0 : 4)) & 0xf) - 8; };
  // 1.0, 0.1 (rounded), the smallest subnormal, a negative scale.
  for (uint16_t h : {uint16_t(0x3c00), uint16_t(0x2e66), uint16_t(0x0001), uint16_t(0xc500)}) {
    const float scale = _cvtsh_ss(h);
    alignas(64) float v[Vec::W];
    for (int64_t k = 0; k < 256; k += Vec::W) {
      Vec::store(v, detail::loadIntW<WType::I8G32>(bytes, k, Vec::broadcastF16(h)));
      for (int64_t i = 0; i < Vec::W; ++i)
        ASSERT_EQ(v[i], float(int8_t(bytes[k + i])) * scale) << "int8 code " << k + i;
    }
    for (int64_t k = 0; k < 512; k += Vec::W) {
      Vec::store(v, detail::loadIntW<WType::I4G32>(bytes, k, Vec::broadcastF16(h)));
      for (int64_t i = 0; i < Vec::W; ++i)
        ASSERT_EQ(v[i], float(contractI4(k + i)) * scale)
            << "int4 element " << k + i << " (byte " << (k + i) / 2 << ")";
    }
    alignas(64) float pair[2 * Vec::W];
    for (int64_t k = 0; k < 512; k += 2 * Vec::W) {
      typename Vec::T first, second;
      Vec::loadI4Pair(bytes, k, Vec::broadcastF16(h), first, second);
      Vec::store(pair, first), Vec::store(pair + Vec::W, second);
      for (int64_t i = 0; i < 2 * Vec::W; ++i)
        ASSERT_EQ(pair[i], float(contractI4(k + i)) * scale) << "int4 pair element " << k + i;
    }
  }
  // The test quantizer writes the same order.
  Rng rng(3);
  IntWeights<WType::I4G32> w(1, 64, rng);
  for (int64_t k = 0; k < 64; ++k) {
    int nibble = (w.raw[size_t(k / 2)] >> (k % 2 == 0 ? 0 : 4)) & 0xf;
    EXPECT_EQ(double(nibble - 8) * double(_cvtsh_ss(w.scales[size_t(k / 32)])),
              w.value[size_t(k)])
        << "IntWeights element " << k;
  }
}

TEST(IntWeights, LayoutHelpers) {
  static_assert(isIntW(WType::I4G64) && !isIntW(WType::F8E4M3) && !isIntW(WType::BF16));
  static_assert(wGroup(WType::I8G32) == 32 && wGroup(WType::I4G128) == 128 &&
                wGroup(WType::F8E4M3) == kF8Block && wGroup(WType::F16) == 0);
  static_assert(wBits(WType::I4G32) == 4 && wBits(WType::I8G64) == 8 && wBits(WType::BF16) == 16);
  static_assert(hasScales(WType::F8E4M3) && hasScales(WType::I8G128) && !hasScales(WType::F32));
  static_assert(rowBytes(WType::I4G32, 96) == 48 && rowBytes(WType::I8G32, 96) == 96 &&
                rowBytes(WType::F32, 96) == 384 && rowBytes(WType::BF16, 96) == 192);
  static_assert(std::is_same_v<WElem<WType::I4G64>, uint8_t> &&
                std::is_same_v<ScaleElem<WType::I8G32>, uint16_t>);
  SUCCEED();
}

/// The same int4 weights with the two nibbles of every byte swapped: linear
/// (decode and prefill) must miss the reference on most outputs, so that a
/// nibble-order mix-up anywhere cannot pass the tests above.
TEST(IntWeights, Int4SwappedNibblesFail) {
  constexpr int64_t K = 96, N = 40;
  Rng rng(11);
  IntWeights<WType::I4G32> w(N, K, rng);
  std::vector<uint8_t> swapped = w.raw;
  for (uint8_t &b : swapped)
    b = uint8_t((b >> 4) | (b << 4));
  for (int64_t n : {1, 5}) {
    std::vector<float> x = activations(n, K, rng);
    std::vector<RefDot> ref = referenceDots(x, n, K, w.value, N, nullptr);
    TestPool pool(1);
    for (int kRows : {0, 1}) {
      if (kRows == 1 && n != 1)
        continue;
      const Exec ex = pool.exec(true);
      const uint16_t *scales = w.scales.data();
      std::vector<float> got =
          kRows == 1 ? runLinear<1, K, WType::I4G32, false, false, N>(ex, x, n, swapped.data(),
                                                                      scales, nullptr, nullptr)
                     : runLinear<0, K, WType::I4G32, false, false, N>(ex, x, n, swapped.data(),
                                                                      scales, nullptr, nullptr);
      int64_t misses = 0;
      for (size_t i = 0; i < ref.size(); ++i)
        misses += !(std::fabs(double(got[i]) - ref[i].value) <= ref[i].tolerance(false));
      EXPECT_GT(misses, int64_t(ref.size()) * 3 / 4) << "n=" << n << " kRows=" << kRows;
    }
  }
}

// K = G and K = 3G; segments off the 8/16-row blocks; bias and norm.
TEST(IntLinear, I8G32OneGroupBias) {
  checkLinear<32, WType::I8G32, true, false, 33, 17>(kRowCounts);
}
TEST(IntLinear, I8G32ThreeGroupsNorm) {
  checkLinear<96, WType::I8G32, false, true, 7, 5, 20>(kRowCounts);
}
TEST(IntLinear, I4G32OneGroupNorm) { checkLinear<32, WType::I4G32, false, true, 40>(kRowCounts); }
TEST(IntLinear, I4G32ThreeGroupsBiasNorm) {
  checkLinear<96, WType::I4G32, true, true, 33, 17>(kRowCounts);
}
TEST(IntLinear, I8G64ThreeGroups) { checkLinear<192, WType::I8G64, false, false, 33>(kRowCounts); }
TEST(IntLinear, I4G64OneGroupBias) {
  checkLinear<64, WType::I4G64, true, false, 24, 9>(kRowCounts);
}
TEST(IntLinear, I4G128OneGroupBias) {
  checkLinear<128, WType::I4G128, true, false, 24, 9>(kRowCounts);
}
TEST(IntLinear, I4G128ThreeGroupsNorm) {
  checkLinear<384, WType::I4G128, false, true, 50>(kRowCounts);
}
TEST(IntLinear, I8G128OneGroup) { checkLinear<128, WType::I8G128, false, false, 48>(kRowCounts); }
TEST(IntLinear, I8G128ThreeGroupsBiasNorm) {
  checkLinear<384, WType::I8G128, true, true, 33, 17>(kRowCounts);
}
// Prefill K chunks (736, 544 elements) that end inside a group.
TEST(IntLinear, I8G128ChunkedK) { checkLinear<2176, WType::I8G128, false, true, 20>(kRowCounts); }
TEST(IntLinear, I4G64ChunkedK) { checkLinear<1088, WType::I4G64, true, true, 17>(kRowCounts); }
// K beyond the stack row limit: the decode row lives in a per-thread buffer.
TEST(IntLinear, I4G128LongRow) { checkLinear<16512, WType::I4G128, false, true, 12>({1, 5}); }

// Rows whose K fits GemvVnni.h's blocks (64 codes for int8, 128 for int4)
// take that path in single-row default-precision runs; these add its group
// patterns not covered above: 2 int8 groups or 4 int4 groups per block.
TEST(IntLinear, I8G32VnniBlocks) { checkLinear<256, WType::I8G32, true, true, 33, 17>(kRowCounts); }
TEST(IntLinear, I4G32VnniBlocks) { checkLinear<256, WType::I4G32, false, true, 40>(kRowCounts); }
TEST(IntLinear, I4G64VnniBlocks) { checkLinear<384, WType::I4G64, true, false, 24, 9>(kRowCounts); }
// The VNNI GEMV converts a row's group scales 16 at a time (8 int8 or 4 int4
// blocks) and loads a shorter last run masked: K = 640 is one whole run and
// a short one for both widths, K = 1024 two whole int4 runs.
TEST(IntLinear, I8G32VnniScaleRuns) { checkLinear<640, WType::I8G32, false, true, 24, 9>(kRowCounts); }
TEST(IntLinear, I4G32VnniScaleRuns) { checkLinear<640, WType::I4G32, true, false, 40>(kRowCounts); }
TEST(IntLinear, I4G32VnniWholeRuns) { checkLinear<1024, WType::I4G32, false, false, 17>(kRowCounts); }
// Prefill token counts past one and four 16-token activation tiles and past
// the 128-token block (AMX: partial tiles, a second group of 64, two blocks).
TEST(IntLinear, I4G32TokenTiles) { checkLinear<256, WType::I4G32, true, true, 40>({65, 130}); }
TEST(IntGatedLinear, I8G64TokenTiles) { checkGated<192, 20, WType::I8G64, true>({18, 130}); }
TEST(IntGatedLinear, I4G32VnniBlocksNorm) { checkGated<256, 20, WType::I4G32, true>(kRowCounts); }
TEST(IntGatedLinear, I8G32VnniBlocks) { checkGated<128, 17, WType::I8G32, false>(kRowCounts); }

TEST(IntGatedLinear, I8G32ThreeGroupsNorm) { checkGated<96, 33, WType::I8G32, true>(kRowCounts); }
TEST(IntGatedLinear, I4G32OneGroup) { checkGated<32, 17, WType::I4G32, false>(kRowCounts); }
TEST(IntGatedLinear, I8G64OneGroup) { checkGated<64, 20, WType::I8G64, false>(kRowCounts); }
TEST(IntGatedLinear, I4G64ThreeGroupsNorm) { checkGated<192, 9, WType::I4G64, true>(kRowCounts); }
TEST(IntGatedLinear, I4G128ThreeGroupsNorm) {
  checkGated<384, 40, WType::I4G128, true>(kRowCounts);
}
TEST(IntGatedLinear, I8G128OneGroup) { checkGated<128, 24, WType::I8G128, false>(kRowCounts); }

// Hd and I at one and at several groups; n = 1 takes the GEMV dots, more
// tokens the blocked tile for experts with several of them.
TEST(IntMoeExperts, I8G32) { checkExperts<8, 3, 96, 32, WType::I8G32>({1, 5, 37}); }
TEST(IntMoeExperts, I4G32) { checkExperts<6, 2, 96, 64, WType::I4G32>({1, 5, 37}); }
TEST(IntMoeExperts, I8G64) { checkExperts<4, 2, 192, 64, WType::I8G64>({1, 5, 37}); }
TEST(IntMoeExperts, I4G64) { checkExperts<4, 2, 64, 192, WType::I4G64>({1, 5, 37}); }
TEST(IntMoeExperts, I4G128) { checkExperts<8, 3, 384, 128, WType::I4G128>({1, 5, 37}); }
TEST(IntMoeExperts, I4G32VnniBlocks) { checkExperts<8, 3, 256, 128, WType::I4G32>({1, 5}); }
TEST(IntMoeExperts, I8G32VnniBlocks) { checkExperts<6, 2, 128, 192, WType::I8G32>({1, 5}); }
TEST(IntMoeExperts, I8G128ManyTokens) { checkExperts<4, 2, 128, 256, WType::I8G128>({1, 300}); }

} // namespace
} // namespace r1hk::test
