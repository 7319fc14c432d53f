//===- ElementwiseKernelTest.cpp - CUDA add/mul/silu/sigmoid/softmax ------===//
//
// codegen/cuda/kernels/Elementwise.cuh on the host (R1CudaEmu.h) against the
// host kernels (codegen/host/kernels/Elementwise.h) on the same inputs: add
// and mul bit for bit, the exp-based kernels within a few ulp (expf against
// the host's Cephes exp), extremes and non-finite inputs included, rows not
// a multiple of the block, more threads than elements, and outputs that
// alias their inputs.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/kernels/Elementwise.cuh"
#include "test/unit/kernels/KernelTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace {

using r1hk::test::expectClose;
using r1hk::test::Rng;
using r1hk::test::sameBits;

const r1hk::Exec kSerial{nullptr, nullptr, 1, true};

template <int64_t H, int kThreads>
R1_GLOBAL void addKernel(const float *a, const float *b, float *out) {
  r1ck::add<H, kThreads>(a, b, out);
}
template <int64_t H, int kThreads>
R1_GLOBAL void mulKernel(const float *a, const float *b, float *out) {
  r1ck::mul<H, kThreads>(a, b, out);
}
template <int64_t H, int kThreads>
R1_GLOBAL void siluKernel(const float *x, float *out) {
  r1ck::silu<H, kThreads>(x, out);
}
template <int64_t H, int kThreads>
R1_GLOBAL void sigmoidKernel(const float *x, float *out) {
  r1ck::sigmoid<H, kThreads>(x, out);
}
template <int64_t H, int kThreads>
R1_GLOBAL void softmaxKernel(const float *x, float *out) {
  r1ck::softmax<H, kThreads>(x, out);
}

/// |got - want| <= rel * |want| + abs, element by element.
std::vector<double> relTolerance(const std::vector<float> &want, double rel, double abs) {
  std::vector<double> tol(want.size());
  for (size_t i = 0; i < want.size(); ++i)
    tol[i] = std::isfinite(want[i]) ? rel * std::fabs(double(want[i])) + abs : 0.0;
  return tol;
}

/// expectClose, with equal non-finite values (inf, NaN) accepted as equal.
void expectCloseOrSame(const std::vector<float> &got, const std::vector<float> &want, double rel,
                       double abs, const std::string &what) {
  std::vector<double> w(want.begin(), want.end());
  std::vector<double> tol = relTolerance(want, rel, abs);
  std::vector<float> g = got;
  for (size_t i = 0; i < want.size(); ++i)
    if (!std::isfinite(want[i])) {
      EXPECT_TRUE(std::isnan(want[i]) ? std::isnan(got[i]) : got[i] == want[i])
          << what << ": element " << i << " is " << got[i] << ", want " << want[i];
      g[i] = 0.0f, w[i] = 0.0; // checked here
    }
  expectClose(g.data(), w, tol, what);
}

template <int64_t H, int kThreads>
void checkAddMul(int rows, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> a = rng.floats(size_t(rows * H), -50.0f, 50.0f);
  std::vector<float> b = rng.floats(size_t(rows * H), -2.0f, 2.0f);
  std::vector<float> sum(a.size(), NAN), prod(a.size(), NAN), wantSum(a.size()), wantProd(a.size());
  auto *add = &addKernel<H, kThreads>;
  auto *mul = &mulKernel<H, kThreads>;
  R1_LAUNCH(add, dim3(rows), dim3(kThreads), 0, nullptr, a.data(), b.data(), sum.data());
  R1_LAUNCH(mul, dim3(rows), dim3(kThreads), 0, nullptr, a.data(), b.data(), prod.data());
  r1hk::add<H>(kSerial, a.data(), b.data(), rows, wantSum.data());
  r1hk::mul<H>(kSerial, a.data(), b.data(), rows, wantProd.data());
  EXPECT_TRUE(sameBits(sum, wantSum)) << "add H=" << H;
  EXPECT_TRUE(sameBits(prod, wantProd)) << "mul H=" << H;
  // In place: out aliases a.
  std::vector<float> inPlace = a;
  R1_LAUNCH(mul, dim3(rows), dim3(kThreads), 0, nullptr, inPlace.data(), b.data(), inPlace.data());
  EXPECT_TRUE(sameBits(inPlace, wantProd)) << "mul in place H=" << H;
}

TEST(CudaElementwise, AddAndMulAreTheHostsBits) {
  checkAddMul<200, 64>(3, 1);  // a row not a multiple of the block
  checkAddMul<7168, 128>(2, 2); // R1's hidden size
  checkAddMul<40, 1024>(2, 3); // more threads than elements
}

/// Random values of a wide range, then the extremes the host clamps and the
/// non-finite values, repeated over the rows.
std::vector<float> activationInputs(int rows, int64_t H, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x = rng.floats(size_t(rows * H), -12.0f, 12.0f);
  const float special[] = {0.0f,     -0.0f,    1e-30f,   -1e-30f,  87.0f,    88.0f,
                           88.5f,    100.0f,   -87.0f,   -87.4f,   -88.0f,   -100.0f,
                           -1000.0f, 1e30f,    -1e30f,   INFINITY, -INFINITY, NAN,
                           1e-45f,   20.0f,    -20.0f,   0.5f,     -0.5f};
  for (size_t i = 0; i < x.size() && i < 3 * std::size(special); i += 3)
    x[i] = special[i / 3];
  return x;
}

template <int64_t H, int kThreads>
void checkSiluSigmoid(int rows, uint64_t seed) {
  std::vector<float> x = activationInputs(rows, H, seed);
  std::vector<float> silu(x.size(), NAN), sig(x.size(), NAN), wantSilu(x.size()),
      wantSig(x.size());
  auto *siluK = &siluKernel<H, kThreads>;
  auto *sigK = &sigmoidKernel<H, kThreads>;
  R1_LAUNCH(siluK, dim3(rows), dim3(kThreads), 0, nullptr, x.data(), silu.data());
  R1_LAUNCH(sigK, dim3(rows), dim3(kThreads), 0, nullptr, x.data(), sig.data());
  r1hk::silu<H>(kSerial, x.data(), rows, wantSilu.data());
  r1hk::sigmoid<H>(kSerial, x.data(), rows, wantSig.data());
  // expf and the host's exp are each within ~1 ulp; the division adds 1/2.
  // The absolute term covers results that underflow into subnormals.
  expectCloseOrSame(silu, wantSilu, 1e-6, 1e-40, "silu");
  expectCloseOrSame(sig, wantSig, 1e-6, 1e-40, "sigmoid");
  // In place, as the router's sigmoid runs.
  std::vector<float> inPlace = x;
  R1_LAUNCH(sigK, dim3(rows), dim3(kThreads), 0, nullptr, inPlace.data(), inPlace.data());
  EXPECT_TRUE(sameBits(inPlace, sig)) << "sigmoid in place";
}

TEST(CudaElementwise, SiluAndSigmoidMatchTheHostAtTheExtremesToo) {
  checkSiluSigmoid<100, 64>(3, 4);
  checkSiluSigmoid<2048, 128>(2, 5); // R1's moe_intermediate
  checkSiluSigmoid<16, 128>(4, 6);   // the tiny router's 16 scores
}

template <int64_t H, int kThreads>
void checkSoftmax(const std::vector<float> &x, int rows, double rel) {
  std::vector<float> got(x.size(), NAN), want(x.size());
  auto *k = &softmaxKernel<H, kThreads>;
  R1_LAUNCH(k, dim3(rows), dim3(kThreads), 0, nullptr, x.data(), got.data());
  r1hk::softmax<H>(kSerial, x.data(), rows, want.data());
  expectCloseOrSame(got, want, rel, 1e-44, "softmax H=" + std::to_string(H));
  std::vector<float> inPlace = x;
  R1_LAUNCH(k, dim3(rows), dim3(kThreads), 0, nullptr, inPlace.data(), inPlace.data());
  EXPECT_TRUE(sameBits(inPlace, got)) << "softmax in place H=" << H;
  for (int t = 0; t < rows; ++t) {
    double total = 0;
    for (int64_t i = 0; i < H; ++i)
      total += got[size_t(t * H + i)];
    EXPECT_NEAR(total, 1.0, 1e-5) << "row " << t;
  }
}

TEST(CudaElementwise, SoftmaxMatchesTheHost) {
  Rng rng(7);
  { // rows of growing spread; one with -inf entries (masked), one constant
    constexpr int64_t H = 300;
    constexpr int rows = 5;
    std::vector<float> x(size_t(rows * H));
    for (int t = 0; t < rows; ++t)
      for (int64_t i = 0; i < H; ++i)
        x[size_t(t * H + i)] = rng.uniform(-1.0f, 1.0f) * float(1 << (3 * t));
    for (int64_t i = 0; i < H; i += 7)
      x[size_t(3 * H + i)] = -INFINITY;
    for (int64_t i = 0; i < H; ++i)
      x[size_t(4 * H + i)] = 2.5f;
    checkSoftmax<H, 128>(x, rows, 2e-6);
  }
  { // the tiny router's 16 experts: more threads than elements
    std::vector<float> x = rng.floats(3 * 16, -4.0f, 4.0f);
    checkSoftmax<16, 128>(x, 3, 2e-6);
  }
  { // a Qwen vocabulary row of logits: fp32 sums of 151936 terms differ in order
    std::vector<float> x = rng.floats(151936, -30.0f, 30.0f);
    checkSoftmax<151936, 1024>(x, 1, 2e-5);
  }
}

} // namespace
