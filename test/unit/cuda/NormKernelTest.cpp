//===- NormKernelTest.cpp - The CUDA norm kernels, run through emulation --===//
//
// codegen/cuda/kernels/Norm.cuh on the host (R1CudaEmu.h) against a double
// reference: hidden sizes that are and are not multiples of the block, rows
// with large and tiny magnitudes.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/kernels/Norm.cuh"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace {

// The kernels are device bodies; tests launch them through __global__
// wrappers as the generated code does.
template <int kHidden, int kThreads>
R1_GLOBAL void rmsNormKernel(const float *x, const float *gamma, float eps, float *out) {
  r1ck::rmsNorm<kHidden, kThreads>(x, gamma, eps, out);
}

template <int kHidden, int kThreads>
R1_GLOBAL void addRmsNormKernel(const float *x, const float *r, const float *gamma, float eps,
                                float *sum, float *out) {
  r1ck::addRmsNorm<kHidden, kThreads>(x, r, gamma, eps, sum, out);
}

std::vector<float> randomRows(int rows, int hidden, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(size_t(rows) * hidden);
  for (int t = 0; t < rows; ++t) {
    float magnitude = t % 2 ? 1e-3f : 30.0f; // both ends of the range eps matters in
    for (int i = 0; i < hidden; ++i)
      v[size_t(t) * hidden + i] = magnitude * u(rng);
  }
  return v;
}

std::vector<double> reference(const std::vector<float> &x, const std::vector<float> &gamma,
                              int rows, int hidden, double eps) {
  std::vector<double> out(x.size());
  for (int t = 0; t < rows; ++t) {
    double ss = 0;
    for (int i = 0; i < hidden; ++i)
      ss += double(x[size_t(t) * hidden + i]) * x[size_t(t) * hidden + i];
    double scale = 1.0 / std::sqrt(ss / hidden + eps);
    for (int i = 0; i < hidden; ++i)
      out[size_t(t) * hidden + i] = x[size_t(t) * hidden + i] * scale * gamma[size_t(i)];
  }
  return out;
}

template <int kHidden, int kThreads>
void checkRmsNorm() {
  constexpr int kRows = 6;
  const float eps = 1e-6f;
  std::vector<float> x = randomRows(kRows, kHidden, 1), gamma = randomRows(1, kHidden, 2);
  std::vector<float> out(x.size(), NAN);
  auto *kernel = &rmsNormKernel<kHidden, kThreads>;
  R1_LAUNCH(kernel, dim3(kRows), dim3(kThreads), 0, nullptr, x.data(), gamma.data(), eps,
            out.data());
  std::vector<double> want = reference(x, gamma, kRows, kHidden, eps);
  for (size_t i = 0; i < out.size(); ++i)
    ASSERT_NEAR(out[i], want[i], 2e-6 * (1.0 + std::fabs(want[i]))) << "element " << i;
}

TEST(CudaNorm, RmsNormMatchesTheReference) {
  checkRmsNorm<128, 128>();
  checkRmsNorm<200, 64>(); // hidden not a multiple of the block
  checkRmsNorm<7168, 256>(); // R1's hidden size
  checkRmsNorm<96, 1024>(); // more threads than elements
}

TEST(CudaNorm, AddRmsNormWritesTheSumAndTheNormalizedSum) {
  constexpr int kRows = 4, kHidden = 1536, kThreads = 256;
  const float eps = 1e-6f;
  std::vector<float> x = randomRows(kRows, kHidden, 3), r = randomRows(kRows, kHidden, 4);
  std::vector<float> gamma = randomRows(1, kHidden, 5);
  std::vector<float> sum(x.size(), NAN), out(x.size(), NAN);
  auto *kernel = &addRmsNormKernel<kHidden, kThreads>;
  R1_LAUNCH(kernel, dim3(kRows), dim3(kThreads), 0, nullptr, x.data(), r.data(), gamma.data(),
            eps, sum.data(), out.data());
  std::vector<float> s(x.size());
  for (size_t i = 0; i < s.size(); ++i)
    s[i] = x[i] + r[i];
  EXPECT_EQ(sum, s); // one fp32 add, exactly
  std::vector<double> want = reference(s, gamma, kRows, kHidden, eps);
  for (size_t i = 0; i < out.size(); ++i)
    ASSERT_NEAR(out[i], want[i], 2e-6 * (1.0 + std::fabs(want[i]))) << "element " << i;
}

} // namespace
