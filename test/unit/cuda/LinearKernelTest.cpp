//===- LinearKernelTest.cpp - The CUDA linear kernels, run through emulation -===//
//
// codegen/cuda/kernels/WeightTypes.cuh: every e4m3, bf16 and f16 code decodes
// to the host's value, bit for bit. codegen/cuda/kernels/Linear.cuh on the
// host (R1CudaEmu.h) against r1hk::linear / r1hk::gatedLinear in fp32 and a
// double-precision reference: all four weight types, bias and norm on and off,
// one to three segments (GEMM tiles straddling them), K that is and is not a
// multiple of a 16-byte pack, of the GEMM's K tile and of the FP8 scale block,
// unaligned activations (the element-wise GEMV path), and 1, 3 and 37 token
// rows (four-row GEMV chunks and 32-row GEMM tiles, with remainders).
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/kernels/Linear.cuh"
#include "test/unit/kernels/KernelTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace {

using r1hk::WType;
using r1hk::test::ExpertWeights;
using r1hk::test::RefDot;
using r1hk::test::Rng;

constexpr r1ck::WType deviceType(WType wt) { return static_cast<r1ck::WType>(int(wt)); }

const char *typeName(WType wt) {
  return wt == WType::F32 ? "f32" : wt == WType::BF16 ? "bf16" : wt == WType::F16 ? "f16" : "f8";
}

//===----------------------------------------------------------------------===//
// Weight decoding
//===----------------------------------------------------------------------===//

template <r1ck::WType WT>
R1_GLOBAL void decodeKernel(const void *w, float *out) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  out[i] = r1ck::loadWeight<WT>(w, i);
}

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(CudaWeightTypes, EveryE4M3CodeDecodesAsOnTheHost) {
  std::vector<uint8_t> codes(256);
  for (int i = 0; i < 256; ++i)
    codes[size_t(i)] = uint8_t(i);
  std::vector<float> out(256);
  auto *kernel = &decodeKernel<r1ck::WType::F8E4M3>;
  R1_LAUNCH(kernel, dim3(1), dim3(256), 0, nullptr, codes.data(), out.data());
  for (int i = 0; i < 256; ++i)
    EXPECT_EQ(bitsOf(out[size_t(i)]), bitsOf(r1hk::f8e4m3ToF32(uint8_t(i))))
        << "code 0x" << std::hex << i << ": " << out[size_t(i)];
  // Spot values: the largest finite, the smallest subnormal, NaN.
  EXPECT_EQ(out[0x7e], 448.0f);
  EXPECT_EQ(out[0xfe], -448.0f);
  EXPECT_EQ(out[0x01], 0x1p-9f);
  EXPECT_EQ(out[0x08], 0x1p-6f);
  EXPECT_TRUE(std::isnan(out[0x7f]) && std::isnan(out[0xff]));
  EXPECT_TRUE(std::signbit(out[0x80]) && out[0x80] == 0.0f);
}

template <r1ck::WType WT>
void checkEvery16BitCode(float (*host)(uint16_t)) {
  std::vector<uint16_t> codes(65536);
  for (int i = 0; i < 65536; ++i)
    codes[size_t(i)] = uint16_t(i);
  std::vector<float> out(65536);
  auto *kernel = &decodeKernel<WT>;
  R1_LAUNCH(kernel, dim3(256), dim3(256), 0, nullptr, codes.data(), out.data());
  int misses = 0;
  for (int i = 0; i < 65536; ++i)
    if (bitsOf(out[size_t(i)]) != bitsOf(host(uint16_t(i))) && ++misses <= 5)
      ADD_FAILURE() << "code 0x" << std::hex << i << ": 0x" << bitsOf(out[size_t(i)])
                    << ", the host has 0x" << bitsOf(host(uint16_t(i)));
  EXPECT_EQ(misses, 0);
}

TEST(CudaWeightTypes, EveryBf16AndF16CodeDecodesAsOnTheHost) {
  checkEvery16BitCode<r1ck::WType::BF16>(r1hk::bf16ToF32);
  checkEvery16BitCode<r1ck::WType::F16>(r1hk::f16ToF32);
}

TEST(CudaWeightTypes, F32IsReadAsIs) {
  std::vector<float> w = {1.5f, -0.0f, 3e-40f, INFINITY};
  std::vector<float> out(4);
  auto *kernel = &decodeKernel<r1ck::WType::F32>;
  R1_LAUNCH(kernel, dim3(1), dim3(4), 0, nullptr, w.data(), out.data());
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(bitsOf(out[size_t(i)]), bitsOf(w[size_t(i)]));
}

//===----------------------------------------------------------------------===//
// linear
//===----------------------------------------------------------------------===//

// The kernels are device bodies; tests launch them through __global__
// wrappers as the generated code does.
template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t N0, int64_t N1, int64_t N2,
          int kThreads>
R1_GLOBAL void linearGemvKernel(const float *x, int64_t rows, const void *w, const float *bias,
                                const float *gamma, float eps, const float *scales, float *out0,
                                float *out1, float *out2) {
  r1ck::linearGemv<K, deviceType(WT), kBias, kNorm, N0, N1, N2, kThreads>(
      x, rows, w, bias, gamma, eps, scales, out0, out1, out2);
}

template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t N0, int64_t N1, int64_t N2>
R1_GLOBAL void linearGemmKernel(const float *x, int64_t rows, const void *w, const float *bias,
                                const float *gamma, float eps, const float *scales, float *out0,
                                float *out1, float *out2) {
  r1ck::linearGemm<K, deviceType(WT), kBias, kNorm, N0, N1, N2, 256>(
      x, rows, w, bias, gamma, eps, scales, out0, out1, out2);
}

template <int64_t K, int64_t I, WType WT, bool kNorm, int kThreads>
R1_GLOBAL void gatedGemvKernel(const float *x, int64_t rows, const void *w, const float *gamma,
                               float eps, const float *scales, float *out) {
  r1ck::gatedGemv<K, I, deviceType(WT), kNorm, kThreads>(x, rows, w, gamma, eps, scales, out);
}

template <int64_t K, int64_t I, WType WT, bool kNorm>
R1_GLOBAL void gatedGemmKernel(const float *x, int64_t rows, const void *w, const float *gamma,
                               float eps, const float *scales, float *out) {
  r1ck::gatedGemm<K, I, deviceType(WT), kNorm, 256>(x, rows, w, gamma, eps, scales, out);
}

constexpr float kEps = 1e-6f;

/// Inputs of one linear / gatedLinear call: `rows` token rows of K, weights
/// [N, K] of type WT with their exact values, gamma, bias. `xShift` floats
/// of padding before x make the activations unaligned for 16-byte loads.
template <int64_t K, WType WT>
struct Problem {
  int64_t rows, N;
  Rng rng;
  ExpertWeights<WT> w;
  std::vector<float> xStorage, gamma, bias;
  const float *x;

  Problem(int64_t rows_, int64_t N_, uint64_t seed, int xShift = 0)
      : rows(rows_), N(N_), rng(seed), w(N_, K, rng) {
    xStorage = rng.floats(size_t(rows * K + xShift), -1.0f, 1.0f);
    // Rows of very different magnitudes: the norm must take each on its own.
    for (int64_t t = 0; t < rows; ++t)
      for (int64_t k = 0; k < K; ++k)
        xStorage[size_t(xShift + t * K + k)] *= t % 3 == 1 ? 20.0f : t % 3 == 2 ? 0.05f : 1.0f;
    gamma = rng.floats(size_t(K), 0.5f, 1.5f);
    bias = rng.floats(size_t(N), -0.5f, 0.5f);
    x = xStorage.data() + xShift;
  }

  const float *scales() const { return WT == WType::F8E4M3 ? w.scales.data() : nullptr; }

  /// The double-precision dot of token row t (normalized when kNorm) with
  /// weight row n, with its tolerance.
  RefDot dot(bool norm, int64_t t, int64_t n) const {
    std::vector<double> xn(K);
    if (norm)
      xn = r1hk::test::refNorm(x + t * K, K, gamma.data(), kEps);
    else
      for (int64_t k = 0; k < K; ++k)
        xn[size_t(k)] = x[t * K + k];
    RefDot d;
    for (int64_t k = 0; k < K; ++k)
      d.add(xn[size_t(k)], w.value[size_t(n * K + k)]);
    return d;
  }
};

/// Expects got within tol of the double reference and within 2 * tol of the
/// host kernel's result (each is within tol of the exact value).
void expectMatches(const std::vector<float> &got, const std::vector<float> &host,
                   const std::vector<double> &want, const std::vector<double> &tol,
                   const std::string &what) {
  r1hk::test::expectClose(got.data(), want, tol, what + " vs double reference");
  std::vector<double> hostD(host.begin(), host.end()), tol2(tol);
  for (double &t : tol2)
    t *= 2;
  r1hk::test::expectClose(got.data(), hostD, tol2, what + " vs r1hk");
}

template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t N0, int64_t N1, int64_t N2>
void checkLinear(int64_t rows, bool gemm, int xShift = 0) {
  constexpr int64_t N = N0 + N1 + N2, S = N1 == 0 ? 1 : N2 == 0 ? 2 : 3;
  constexpr int64_t size[3] = {N0, N1, N2};
  const std::string what = std::string(gemm ? "linearGemm" : "linearGemv") + "<K=" +
                           std::to_string(K) + ", " + typeName(WT) + (kBias ? ", bias" : "") +
                           (kNorm ? ", norm" : "") + ", N=" + std::to_string(N0) + "/" +
                           std::to_string(N1) + "/" + std::to_string(N2) +
                           "> rows=" + std::to_string(rows) +
                           (xShift ? " (unaligned x)" : "");
  SCOPED_TRACE(what);
  Problem<K, WT> p(rows, N, uint64_t(K * 31 + N * 7 + rows + int(WT) * 1000));

  // The device kernel, outputs pre-filled with NaN so that a missed element shows.
  std::vector<float> got[3], host[3];
  float *gotPtr[3] = {}, *hostPtr[3] = {};
  for (int64_t s = 0; s < S; ++s) {
    got[s].assign(size_t(rows * size[s]), NAN);
    host[s].assign(size_t(rows * size[s]), NAN);
    gotPtr[s] = got[s].data(), hostPtr[s] = host[s].data();
  }
  const float *bias = kBias ? p.bias.data() : nullptr;
  const float *gamma = kNorm ? p.gamma.data() : nullptr;
  if (gemm) {
    auto *kernel = &linearGemmKernel<K, WT, kBias, kNorm, N0, N1, N2>;
    R1_LAUNCH(kernel, dim3(unsigned((N + 63) / 64), unsigned((rows + 31) / 32)), dim3(256), 0,
              nullptr, p.x, rows, p.w.raw.data(), bias, gamma, kEps, p.scales(), gotPtr[0],
              gotPtr[1], gotPtr[2]);
  } else {
    constexpr int kThreads = 128;
    auto *kernel = &linearGemvKernel<K, WT, kBias, kNorm, N0, N1, N2, kThreads>;
    R1_LAUNCH(kernel, dim3(unsigned((N + kThreads / 32 - 1) / (kThreads / 32))),
              dim3(kThreads), 0, nullptr, p.x, rows, p.w.raw.data(), bias, gamma, kEps,
              p.scales(), gotPtr[0], gotPtr[1], gotPtr[2]);
  }

  // The host kernel in fp32.
  const r1hk::Exec ex{nullptr, nullptr, 1, true};
  if constexpr (S == 1)
    r1hk::linear<0, K, WT, kBias, kNorm, N0>(ex, p.x, rows, p.w.raw.data(), bias, gamma, kEps,
                                             hostPtr, p.scales());
  else if constexpr (S == 2)
    r1hk::linear<0, K, WT, kBias, kNorm, N0, N1>(ex, p.x, rows, p.w.raw.data(), bias, gamma,
                                                 kEps, hostPtr, p.scales());
  else
    r1hk::linear<0, K, WT, kBias, kNorm, N0, N1, N2>(ex, p.x, rows, p.w.raw.data(), bias, gamma,
                                                     kEps, hostPtr, p.scales());

  for (int64_t s = 0, off = 0; s < S; off += size[s], ++s) {
    std::vector<double> want(got[s].size()), tol(got[s].size());
    for (int64_t t = 0; t < rows; ++t)
      for (int64_t n = 0; n < size[s]; ++n) {
        RefDot d = p.dot(kNorm, t, off + n);
        double y = d.value + (kBias ? double(p.bias[size_t(off + n)]) : 0.0);
        want[size_t(t * size[s] + n)] = y;
        tol[size_t(t * size[s] + n)] = d.tolerance(false) + 1e-6 * std::fabs(y);
      }
    expectMatches(got[s], host[s], want, tol, what + " out" + std::to_string(s));
  }
}

template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t N0, int64_t N1 = 0,
          int64_t N2 = 0>
void checkLinearBoth(int xShift = 0) {
  for (int64_t rows : {1, 3, 37}) {
    checkLinear<K, WT, kBias, kNorm, N0, N1, N2>(rows, false, xShift);
    checkLinear<K, WT, kBias, kNorm, N0, N1, N2>(rows, true, xShift);
  }
}

TEST(CudaLinear, F32) {
  checkLinearBoth<256, WType::F32, false, false, 40>();
  checkLinearBoth<130, WType::F32, true, true, 30, 20>(); // K: no 16-byte pack multiple
}

TEST(CudaLinear, Bf16) {
  checkLinearBoth<264, WType::BF16, true, true, 24, 8, 12>();
  checkLinearBoth<72, WType::BF16, false, false, 70>(); // two GEMM column tiles
}

TEST(CudaLinear, F16) {
  checkLinearBoth<136, WType::F16, true, false, 20, 12>();
  checkLinearBoth<96, WType::F16, false, true, 50, 30, 20>(); // tiles straddle segments
}

TEST(CudaLinear, F8WithPartialScaleBlocks) {
  // K 200: the last scale block holds 72 columns, and 200 is no multiple of
  // a 16-byte pack (the element-wise GEMV path).
  checkLinearBoth<200, WType::F8E4M3, false, true, 16, 24>();
  // K 272: packs of 16 tile it, the last block holds 16 columns.
  checkLinearBoth<272, WType::F8E4M3, true, true, 30, 10, 5>();
  checkLinearBoth<128, WType::F8E4M3, false, false, 66>();
}

TEST(CudaLinear, UnalignedActivationsTakeTheElementPath) {
  checkLinearBoth<256, WType::BF16, true, true, 12, 8>(/*xShift=*/1);
  checkLinearBoth<256, WType::F8E4M3, false, true, 12>(/*xShift=*/2);
}

TEST(CudaLinear, R1HiddenSize) {
  // K 7168 as in R1's q_a/kv_a projection, FP8 with the norm: few rows and
  // columns, to keep the emulated grid small.
  checkLinear<7168, WType::F8E4M3, false, true, 12, 6, 0>(2, false);
  checkLinear<7168, WType::F8E4M3, false, true, 12, 6, 0>(2, true);
}

//===----------------------------------------------------------------------===//
// gatedLinear
//===----------------------------------------------------------------------===//

double siluD(double z) { return z / (1.0 + std::exp(-z)); }

template <int64_t K, int64_t I, WType WT, bool kNorm>
void checkGated(int64_t rows, bool gemm) {
  const std::string what = std::string(gemm ? "gatedGemm" : "gatedGemv") + "<K=" +
                           std::to_string(K) + ", I=" + std::to_string(I) + ", " +
                           typeName(WT) + (kNorm ? ", norm" : "") +
                           "> rows=" + std::to_string(rows);
  SCOPED_TRACE(what);
  Problem<K, WT> p(rows, 2 * I, uint64_t(K * 17 + I * 3 + rows + int(WT) * 100));
  std::vector<float> got(size_t(rows * I), NAN), host(size_t(rows * I), NAN);
  const float *gamma = kNorm ? p.gamma.data() : nullptr;
  if (gemm) {
    auto *kernel = &gatedGemmKernel<K, I, WT, kNorm>;
    R1_LAUNCH(kernel, dim3(unsigned((I + 63) / 64), unsigned((rows + 31) / 32)), dim3(256), 0,
              nullptr, p.x, rows, p.w.raw.data(), gamma, kEps, p.scales(), got.data());
  } else {
    constexpr int kThreads = 64;
    auto *kernel = &gatedGemvKernel<K, I, WT, kNorm, kThreads>;
    R1_LAUNCH(kernel, dim3(unsigned((I + kThreads / 32 - 1) / (kThreads / 32))), dim3(kThreads),
              0, nullptr, p.x, rows, p.w.raw.data(), gamma, kEps, p.scales(), got.data());
  }
  const r1hk::Exec ex{nullptr, nullptr, 1, true};
  r1hk::gatedLinear<0, K, I, WT, kNorm>(ex, p.x, rows, p.w.raw.data(), gamma, kEps, host.data(),
                                        p.scales());

  std::vector<double> want(got.size()), tol(got.size());
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t i = 0; i < I; ++i) {
      RefDot g = p.dot(kNorm, t, i), u = p.dot(kNorm, t, I + i);
      double y = siluD(g.value) * u.value;
      want[size_t(t * I + i)] = y;
      // |silu'| < 1.1 everywhere, |silu(g)| <= |g| + 0.3.
      tol[size_t(t * I + i)] = 1.1 * std::fabs(u.value) * g.tolerance(false) +
                               (std::fabs(g.value) + 0.3) * u.tolerance(false) +
                               1e-6 * std::fabs(y) + 1e-30;
    }
  expectMatches(got, host, want, tol, what);
}

template <int64_t K, int64_t I, WType WT, bool kNorm>
void checkGatedBoth() {
  for (int64_t rows : {1, 3, 37}) {
    checkGated<K, I, WT, kNorm>(rows, false);
    checkGated<K, I, WT, kNorm>(rows, true);
  }
}

TEST(CudaGatedLinear, AllWeightTypes) {
  checkGatedBoth<128, 20, WType::F32, true>();
  checkGatedBoth<264, 70, WType::BF16, false>(); // two GEMM tiles, the second partial
  checkGatedBoth<96, 24, WType::F16, true>();
  checkGatedBoth<200, 18, WType::F8E4M3, true>(); // element path, partial scale block
  checkGatedBoth<144, 66, WType::F8E4M3, false>(); // packs, partial scale block
}

} // namespace
