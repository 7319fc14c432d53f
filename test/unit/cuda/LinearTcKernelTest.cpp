//===- LinearTcKernelTest.cpp - The tensor-core GEMMs, run through emulation -===//
//
// codegen/cuda/kernels/LinearTc.cuh on the host (R1CudaEmu.h, Mma.cuh's
// emulated MMA) against r1hk::linear / r1hk::gatedLinear in fp32 and a
// double-precision reference: BF16 and FP8 weights, bias and norm on and
// off, one to three segments (tiles straddling them), K a multiple of 16,
// 32 and 128 or not (zero-padded stages, a partial last FP8 scale block),
// K = 7168 (R1's hidden size), and 1, 17, 37 and 64 token rows (partial and
// whole 32-row tiles). With activations split into three bf16 terms the
// result is fp32-accurate: within 2e-5 of the largest host output of the
// case, and within the fp32 tolerance of the double reference.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/kernels/LinearTc.cuh"
#include "test/unit/kernels/KernelTestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using r1hk::WType;
using r1hk::test::ExpertWeights;
using r1hk::test::RefDot;
using r1hk::test::Rng;

constexpr r1ck::WType deviceType(WType wt) { return static_cast<r1ck::WType>(int(wt)); }

template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t N0, int64_t N1, int64_t N2>
R1_GLOBAL void linearGemmTcKernel(const float *x, int64_t rows, const void *w, const float *bias,
                                  const float *gamma, float eps, const float *scales,
                                  float *out0, float *out1, float *out2) {
  r1ck::linearGemmTc<K, deviceType(WT), kBias, kNorm, N0, N1, N2, 256>(
      x, rows, w, bias, gamma, eps, scales, out0, out1, out2);
}

template <int64_t K, int64_t I, WType WT, bool kNorm>
R1_GLOBAL void gatedGemmTcKernel(const float *x, int64_t rows, const void *w, const float *gamma,
                                 float eps, const float *scales, float *out) {
  r1ck::gatedGemmTc<K, I, deviceType(WT), kNorm, 256>(x, rows, w, gamma, eps, scales, out);
}

constexpr float kEps = 1e-6f;
/// The bound on |device - host| / max |host| of a case.
constexpr double kRelTol = 2e-5;
/// The worst relative errors seen, printed at the end of the run.
double worstVsHost = 0, worstVsRefTol = 0;

/// rows x K activations (rows of very different magnitudes), weights [N, K]
/// of type WT with their exact values, gamma, bias.
template <int64_t K, WType WT>
struct Problem {
  int64_t rows;
  Rng rng;
  ExpertWeights<WT> w;
  std::vector<float> x, gamma, bias;

  Problem(int64_t rows_, int64_t N, uint64_t seed) : rows(rows_), rng(seed), w(N, K, rng) {
    x = rng.floats(size_t(rows * K), -1.0f, 1.0f);
    for (int64_t t = 0; t < rows; ++t)
      for (int64_t k = 0; k < K; ++k)
        x[size_t(t * K + k)] *= t % 3 == 1 ? 20.0f : t % 3 == 2 ? 0.05f : 1.0f;
    gamma = rng.floats(size_t(K), 0.5f, 1.5f);
    bias = rng.floats(size_t(N), -0.5f, 0.5f);
  }

  const float *scales() const { return WT == WType::F8E4M3 ? w.scales.data() : nullptr; }

  RefDot dot(bool norm, int64_t t, int64_t n) const {
    std::vector<double> xn(K);
    if (norm)
      xn = r1hk::test::refNorm(x.data() + t * K, K, gamma.data(), kEps);
    else
      for (int64_t k = 0; k < K; ++k)
        xn[size_t(k)] = x[size_t(t * K + k)];
    RefDot d;
    for (int64_t k = 0; k < K; ++k)
      d.add(xn[size_t(k)], w.value[size_t(n * K + k)]);
    return d;
  }
};

/// got within kRelTol * max|host| of host, and within tol of the double
/// reference; records the worst ratios.
void expectMatches(const std::vector<float> &got, const std::vector<float> &host,
                   const std::vector<double> &want, const std::vector<double> &tol,
                   const std::string &what) {
  double scale = 0;
  for (float h : host)
    scale = std::max(scale, double(std::fabs(h)));
  double worst = 0, worstRef = 0;
  int misses = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double e = std::fabs(double(got[i]) - double(host[i])) / scale;
    const double r = std::fabs(double(got[i]) - want[i]) / tol[i];
    if (!(e <= kRelTol) && ++misses <= 5)
      ADD_FAILURE() << what << " [" << i << "]: " << got[i] << ", host " << host[i]
                    << " (relative " << e << ")";
    if (!(r <= 1.0) && ++misses <= 5)
      ADD_FAILURE() << what << " [" << i << "]: " << got[i] << ", reference " << want[i]
                    << " +- " << tol[i];
    worst = std::max(worst, std::isnan(e) ? INFINITY : e);
    worstRef = std::max(worstRef, std::isnan(r) ? INFINITY : r);
  }
  worstVsHost = std::max(worstVsHost, worst);
  worstVsRefTol = std::max(worstVsRefTol, worstRef);
  if (std::getenv("R1_TC_VERBOSE"))
    std::printf("%-70s vs host %.2e of max|y|, vs double %.3f of tol\n", what.c_str(), worst,
                worstRef);
}

const char *typeName(WType wt) { return wt == WType::BF16 ? "bf16" : "f8"; }

template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t N0, int64_t N1, int64_t N2>
void checkLinear(int64_t rows) {
  constexpr int64_t N = N0 + N1 + N2, S = N1 == 0 ? 1 : N2 == 0 ? 2 : 3;
  constexpr int64_t size[3] = {N0, N1, N2};
  const std::string what = "linearGemmTc<K=" + std::to_string(K) + ", " + typeName(WT) +
                           (kBias ? ", bias" : "") + (kNorm ? ", norm" : "") +
                           ", N=" + std::to_string(N0) + "/" + std::to_string(N1) + "/" +
                           std::to_string(N2) + "> rows=" + std::to_string(rows);
  SCOPED_TRACE(what);
  Problem<K, WT> p(rows, N, uint64_t(K * 31 + N * 7 + rows + int(WT) * 1000));
  std::vector<float> got[3], host[3];
  float *gotPtr[3] = {}, *hostPtr[3] = {};
  for (int64_t s = 0; s < S; ++s) {
    got[s].assign(size_t(rows * size[s]), NAN);
    host[s].assign(size_t(rows * size[s]), NAN);
    gotPtr[s] = got[s].data(), hostPtr[s] = host[s].data();
  }
  const float *bias = kBias ? p.bias.data() : nullptr;
  const float *gamma = kNorm ? p.gamma.data() : nullptr;
  auto *kernel = &linearGemmTcKernel<K, WT, kBias, kNorm, N0, N1, N2>;
  R1_LAUNCH(kernel, dim3(unsigned((N + 63) / 64), unsigned((rows + 31) / 32)), dim3(256), 0,
            nullptr, p.x.data(), rows, p.w.raw.data(), bias, gamma, kEps, p.scales(),
            gotPtr[0], gotPtr[1], gotPtr[2]);

  const r1hk::Exec ex{nullptr, nullptr, 1, true};
  if constexpr (S == 1)
    r1hk::linear<0, K, WT, kBias, kNorm, N0>(ex, p.x.data(), rows, p.w.raw.data(), bias, gamma,
                                             kEps, hostPtr, p.scales());
  else if constexpr (S == 2)
    r1hk::linear<0, K, WT, kBias, kNorm, N0, N1>(ex, p.x.data(), rows, p.w.raw.data(), bias,
                                                 gamma, kEps, hostPtr, p.scales());
  else
    r1hk::linear<0, K, WT, kBias, kNorm, N0, N1, N2>(ex, p.x.data(), rows, p.w.raw.data(), bias,
                                                     gamma, kEps, hostPtr, p.scales());

  for (int64_t s = 0, off = 0; s < S; off += size[s], ++s) {
    std::vector<double> want(got[s].size()), tol(got[s].size());
    for (int64_t t = 0; t < rows; ++t)
      for (int64_t n = 0; n < size[s]; ++n) {
        RefDot d = p.dot(kNorm, t, off + n);
        const double y = d.value + (kBias ? double(p.bias[size_t(off + n)]) : 0.0);
        want[size_t(t * size[s] + n)] = y;
        tol[size_t(t * size[s] + n)] = d.tolerance(false) + 1e-6 * std::fabs(y);
      }
    expectMatches(got[s], host[s], want, tol, what + " out" + std::to_string(s));
  }
}

template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t N0, int64_t N1 = 0,
          int64_t N2 = 0>
void checkLinearRows() {
  for (int64_t rows : {1, 17, 37, 64})
    checkLinear<K, WT, kBias, kNorm, N0, N1, N2>(rows);
}

double siluD(double z) { return z / (1.0 + std::exp(-z)); }

template <int64_t K, int64_t I, WType WT, bool kNorm>
void checkGated(int64_t rows) {
  const std::string what = "gatedGemmTc<K=" + std::to_string(K) + ", I=" + std::to_string(I) +
                           ", " + typeName(WT) + (kNorm ? ", norm" : "") +
                           "> rows=" + std::to_string(rows);
  SCOPED_TRACE(what);
  Problem<K, WT> p(rows, 2 * I, uint64_t(K * 17 + I * 3 + rows + int(WT) * 100));
  std::vector<float> got(size_t(rows * I), NAN), host(size_t(rows * I), NAN);
  const float *gamma = kNorm ? p.gamma.data() : nullptr;
  auto *kernel = &gatedGemmTcKernel<K, I, WT, kNorm>;
  R1_LAUNCH(kernel, dim3(unsigned((I + 63) / 64), unsigned((rows + 31) / 32)), dim3(256), 0,
            nullptr, p.x.data(), rows, p.w.raw.data(), gamma, kEps, p.scales(), got.data());
  const r1hk::Exec ex{nullptr, nullptr, 1, true};
  r1hk::gatedLinear<0, K, I, WT, kNorm>(ex, p.x.data(), rows, p.w.raw.data(), gamma, kEps,
                                        host.data(), p.scales());
  std::vector<double> want(got.size()), tol(got.size());
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t i = 0; i < I; ++i) {
      RefDot g = p.dot(kNorm, t, i), u = p.dot(kNorm, t, I + i);
      const double y = siluD(g.value) * u.value;
      want[size_t(t * I + i)] = y;
      tol[size_t(t * I + i)] = 1.1 * std::fabs(u.value) * g.tolerance(false) +
                               (std::fabs(g.value) + 0.3) * u.tolerance(false) +
                               1e-6 * std::fabs(y) + 1e-30;
    }
  expectMatches(got, host, want, tol, what);
}

template <int64_t K, int64_t I, WType WT, bool kNorm>
void checkGatedRows() {
  for (int64_t rows : {1, 17, 37, 64})
    checkGated<K, I, WT, kNorm>(rows);
}

TEST(CudaLinearTc, Bf16) {
  checkLinearRows<128, WType::BF16, true, true, 128, 64, 64>(); // the tiny model's QKV
  checkLinearRows<200, WType::BF16, false, false, 70>();        // K: no multiple of 32
  checkLinearRows<264, WType::BF16, true, false, 24, 8, 12>();  // K: no multiple of 16
}

TEST(CudaLinearTc, F8WithPartialScaleBlocks) {
  checkLinearRows<256, WType::F8E4M3, true, true, 30, 10, 5>();
  checkLinearRows<200, WType::F8E4M3, false, true, 16, 24>(); // last block: 72 columns
  checkLinearRows<128, WType::F8E4M3, false, false, 66>();
}

TEST(CudaLinearTc, R1HiddenSize) {
  // K 7168 as in R1's q_a/kv_a projection, FP8 with the norm: few columns.
  checkLinear<7168, WType::F8E4M3, false, true, 12, 6, 0>(37);
  checkLinear<7168, WType::BF16, true, true, 20, 0, 0>(17);
}

TEST(CudaGatedLinearTc, Bf16AndF8) {
  checkGatedRows<128, 20, WType::BF16, true>();
  checkGatedRows<264, 70, WType::BF16, false>(); // two tiles, the second partial
  checkGatedRows<200, 18, WType::F8E4M3, true>(); // partial scale block
  checkGatedRows<144, 66, WType::F8E4M3, false>();
}

TEST(CudaGatedLinearTc, R1HiddenSize) { checkGated<7168, 24, WType::F8E4M3, true>(33); }

// Printed last (gtest runs the tests of a file in order).
TEST(CudaLinearTcSummary, WorstErrors) {
  std::printf("worst |tc - r1hk| / max|r1hk| = %.3g (bound %.0e); worst |tc - double| / fp32 "
              "tolerance = %.3f\n",
              worstVsHost, kRelTol, worstVsRefTol);
}

} // namespace
