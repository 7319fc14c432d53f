//===- KernelTestUtil.h - Shared helpers of the host kernel unit tests ----===//
//
// A std::thread parallel_for behind r1hk::Exec, seeded random data, weights
// whose values are exactly representable in their storage type (so that a
// double-precision reference sees the very values the kernel reads), and a
// tolerance check that reports the first few mismatches.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_TEST_UNIT_KERNELS_KERNELTESTUTIL_H
#define R1C_TEST_UNIT_KERNELS_KERNELTESTUTIL_H

#include "codegen/host/kernels/R1HostKernels.h"

#include <gtest/gtest.h>
#include <immintrin.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace r1hk::test {

/// parallel_for on `threads` threads (the caller included), started per call.
struct TestPool {
  int threads = 1;
  std::atomic<int64_t> calls{0};

  static void parallelFor(void *pool, int64_t n, r1_task_fn fn, void *data) {
    auto *self = static_cast<TestPool *>(pool);
    self->calls++;
    std::atomic<int64_t> next{0};
    auto work = [&] {
      for (int64_t t; (t = next.fetch_add(1)) < n;)
        fn(t, data);
    };
    std::vector<std::thread> helpers;
    for (int i = 1; i < self->threads; ++i)
      helpers.emplace_back(work);
    work();
    for (std::thread &h : helpers)
      h.join();
  }

  explicit TestPool(int threads_) : threads(threads_) {}
  Exec exec(bool fp32) { return Exec{&TestPool::parallelFor, this, threads, fp32}; }
};

inline const char *name(WType wt) {
  return wt == WType::F32 ? "f32" : wt == WType::BF16 ? "bf16" : "f16";
}

struct Rng {
  std::mt19937_64 gen;
  explicit Rng(uint64_t seed) : gen(seed) {}
  float uniform(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(gen); }
  int64_t integer(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(gen);
  }
  std::vector<float> floats(size_t n, float lo, float hi) {
    std::vector<float> v(n);
    for (float &f : v)
      f = uniform(lo, hi);
    return v;
  }
};

/// A weight array in storage type WT plus the exact value of every element.
template <WType WT>
struct Weights {
  std::vector<WElem<WT>> raw;
  std::vector<double> value;

  Weights(size_t n, Rng &rng) : raw(n), value(n) {
    for (size_t i = 0; i < n; ++i) {
      if constexpr (WT == WType::F32) {
        raw[i] = rng.uniform(-0.3f, 0.3f);
        value[i] = raw[i];
      } else if constexpr (WT == WType::BF16) {
        // k * 2^-10 with |k| < 256 has 8 significant bits: exact in bf16.
        float f = float(rng.integer(-255, 255)) * 0x1p-10f;
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        raw[i] = uint16_t(bits >> 16);
        value[i] = f;
      } else {
        // k * 2^-12 with |k| < 2048 is exact in f16; encoded by F16C.
        float f = float(rng.integer(-2047, 2047)) * 0x1p-12f;
        raw[i] = _cvtss_sh(f, 0);
        value[i] = f;
      }
    }
  }
};

/// Weights [rows, K] of type WT (stacked experts, a head's rows) with the
/// exact value of each element; FP8 codes (never NaN) with row-expanded
/// block scales, each 128-column block scaled on its own.
template <WType WT>
struct ExpertWeights {
  std::vector<WElem<WT>> raw;
  std::vector<float> scales;
  std::vector<double> value;
  ExpertWeights(int64_t rows, int64_t K, Rng &rng) : raw(size_t(rows * K)), value(raw.size()) {
    if constexpr (WT == WType::F8E4M3) {
      int64_t KB = (K + 127) / 128;
      scales.resize(size_t(rows * KB));
      for (float &s : scales)
        s = rng.uniform(0.2f, 2.0f) * 0x1p-9f;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < K; ++k) {
          uint8_t b;
          do
            b = uint8_t(rng.integer(0, 255));
          while ((b & 0x7f) == 0x7f);
          raw[size_t(r * K + k)] = b;
          value[size_t(r * K + k)] =
              double(f8e4m3ToF32(b)) * double(scales[size_t(r * KB + k / 128)]);
        }
    } else {
      Weights<WT> w(raw.size(), rng);
      raw = w.raw, value = w.value;
    }
  }
};

/// Expects |got[i] - want[i]| <= tol[i] for all i; reports up to 5 misses.
inline void expectClose(const float *got, const std::vector<double> &want,
                        const std::vector<double> &tol, const std::string &what) {
  int misses = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    double err = std::fabs(double(got[i]) - want[i]);
    if (!(err <= tol[i])) { // also catches NaN
      if (++misses <= 5)
        ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", want " << want[i]
                      << " (error " << err << " > tolerance " << tol[i] << ")";
    }
  }
  if (misses > 5)
    ADD_FAILURE() << what << ": " << misses << " elements out of tolerance in all";
}

inline bool sameBits(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

/// x / sqrt(mean(x^2) + eps) * gamma in double.
inline std::vector<double> refNorm(const float *x, int64_t K, const float *gamma, float eps) {
  double ss = 0;
  for (int64_t k = 0; k < K; ++k)
    ss += double(x[k]) * x[k];
  double r = 1.0 / std::sqrt(ss / double(K) + double(eps));
  std::vector<double> out(K);
  for (int64_t k = 0; k < K; ++k)
    out[k] = double(x[k]) * r * (gamma ? double(gamma[k]) : 1.0);
  return out;
}

/// Reference dot product with the error scales the tolerance is built from.
struct RefDot {
  double value = 0, absSum = 0, sqSum = 0;
  void add(double a, double b) {
    double p = a * b;
    value += p, absSum += std::fabs(p), sqSum += p * p;
  }
  /// fp32: 1e-5 of the sum of |terms| (about 1e-5 * sqrt(K) relative for
  /// random data). bf16 activations: each term off by up to 2^-8 relative
  /// (uniformly, independently; sigma = 2^-8 / sqrt(3) of the root sum of
  /// squares): 4 * 2^-8 of it is about 7 sigma.
  double tolerance(bool bf16Activations) const {
    double tol = 1e-5 * absSum + 1e-6 * std::fabs(value) + 1e-30;
    if (bf16Activations)
      tol += 4.0 * 0x1p-8 * std::sqrt(sqSum);
    return tol;
  }
};

} // namespace r1hk::test

#endif // R1C_TEST_UNIT_KERNELS_KERNELTESTUTIL_H
