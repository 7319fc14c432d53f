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

#include <algorithm>
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
  /// The kernels as a step at that precision runs them: fp32, or the
  /// default/bf16 modes (bf16 dot products, int8 activations for integer
  /// weights). Every step of two or more tokens on the GEMM tiles, AMX
  /// from two tokens (gemvMaxTokens and the AMX thresholds 1), so that the
  /// tests' small shapes exercise the tiles; the thresholds have tests of
  /// their own.
  Exec exec(bool fp32) {
    Exec ex{&TestPool::parallelFor, this, threads, fp32, !fp32};
    ex.amxMinTokens = ex.amxMinExpertTokens = ex.gemvMaxTokens = 1;
    return ex;
  }
};

inline const char *name(WType wt) {
  switch (wt) {
  case WType::F32: return "f32";
  case WType::BF16: return "bf16";
  case WType::F16: return "f16";
  case WType::F8E4M3: return "f8";
  case WType::I8G32: return "i8g32";
  case WType::I8G64: return "i8g64";
  case WType::I8G128: return "i8g128";
  case WType::I4G32: return "i4g32";
  case WType::I4G64: return "i4g64";
  case WType::I4G128: return "i4g128";
  }
  return "?";
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

/// n rows of K floats, each row with its own scale so that the norm matters.
inline std::vector<float> activations(int64_t n, int64_t K, Rng &rng) {
  std::vector<float> x(size_t(n * K));
  for (int64_t t = 0; t < n; ++t) {
    float scale = rng.uniform(0.2f, 3.0f);
    for (int64_t k = 0; k < K; ++k)
      x[size_t(t * K + k)] = scale * rng.uniform(-1.0f, 1.0f);
  }
  return x;
}

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

/// Integer weights [rows, K] quantized as /work/notes/quant-contract.md has
/// the compiler do it: per group of G elements of a row, scale = f16(amax /
/// qmax) (qmax 127 for int8, 7 for int4), q = round(w / scale) clamped to
/// [-qmax, qmax]; int8 codes one per byte, int4 codes q + 8 two per byte
/// (element 2j in the low nibble of byte j). Stacked experts are simply more
/// rows. Group magnitudes vary, and a few groups are zero or tiny (zero and
/// subnormal f16 scales). value: q * scale, the weight the kernels must use.
template <WType WT>
struct IntWeights {
  static_assert(isIntW(WT));
  static constexpr int64_t G = wGroup(WT);
  static constexpr int qmax = wBits(WT) == 8 ? 127 : 7;
  int64_t rows, K;
  std::vector<uint8_t> raw;     // codes, rowBytes(WT, K) per row
  std::vector<uint16_t> scales; // f16 bits, [rows, K / G]
  std::vector<double> value;    // [rows, K]

  IntWeights(int64_t rows_, int64_t K_, Rng &rng)
      : rows(rows_), K(K_), raw(size_t(rows_ * rowBytes(WT, K_))), scales(size_t(rows_ * K_ / G)),
        value(size_t(rows_ * K_)) {
    std::vector<float> w(static_cast<size_t>(G));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t g = 0; g < K / G; ++g) {
        int64_t kind = rng.integer(0, 31);
        float magnitude = kind == 0 ? 0.0f : kind == 1 ? 0x1p-20f : rng.uniform(0.05f, 0.5f);
        float amax = 0;
        for (float &v : w) {
          v = magnitude * rng.uniform(-1.0f, 1.0f);
          amax = std::max(amax, std::fabs(v));
        }
        uint16_t h = _cvtss_sh(amax / float(qmax), 0);
        float scale = _cvtsh_ss(h);
        scales[size_t(r * (K / G) + g)] = h;
        for (int64_t i = 0; i < G; ++i) {
          long q = scale == 0.0f ? 0 : std::lround(w[size_t(i)] / scale);
          q = std::min<long>(qmax, std::max<long>(-qmax, q));
          setCode(r, g * G + i, int(q));
          value[size_t(r * K + g * G + i)] = double(q) * double(scale);
        }
      }
  }

  /// Stores q as element k of row r (the contract's layout).
  void setCode(int64_t r, int64_t k, int q) {
    uint8_t *row = raw.data() + r * rowBytes(WT, K);
    if constexpr (wBits(WT) == 8) {
      row[k] = uint8_t(int8_t(q));
    } else {
      int shift = k % 2 == 0 ? 0 : 4; // element 2j low, 2j + 1 high
      row[k / 2] = uint8_t((row[k / 2] & ~(0xf << shift)) | ((q + 8) << shift));
    }
  }

  /// The weights as f32 (exact: q * an f16 scale fits in 24 bits).
  std::vector<float> dequantized() const { return std::vector<float>(value.begin(), value.end()); }
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

/// True where linear's and gatedLinear's prefill (n > 1) runs on AMX tiles
/// (GemmAmx.h): activations and weights rounded to bf16.
template <WType WT>
bool amxPrefill(bool fp32, int64_t n) {
#if defined(R1HK_HAS_AMX)
  return !fp32 && n > 1 && detail::kAmxWeights<WT> && detail::amxUsable();
#else
  (void)fp32, (void)n;
  return false;
#endif
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
  /// random data). Each operand rounded to bf16 (`bf16Operands`: 0, 1 for
  /// activations, 2 for activations and weights as on AMX) moves each term
  /// by up to 2^-8 relative (uniformly, independently; sigma = 2^-8 /
  /// sqrt(3) of the root sum of squares per operand): 4 * 2^-8 * sqrt(count)
  /// of it is about 7 sigma.
  double tolerance(int bf16Operands) const {
    double tol = 1e-5 * absSum + 1e-6 * std::fabs(value) + 1e-30;
    if (bf16Operands > 0)
      tol += 4.0 * 0x1p-8 * std::sqrt(double(bf16Operands) * sqSum);
    return tol;
  }
};

/// silu(g) * u for the gate and up dots of ref ([n, 2I]: per token its I
/// gate dots, then its I up dots), with RefDot-based tolerances for
/// `bf16` rounded operands.
inline void gatedReference(const std::vector<RefDot> &ref, int64_t n, int64_t I,
                           std::vector<double> &want, std::vector<double> &tol, int bf16 = 0) {
  want.assign(size_t(n * I), 0.0), tol.assign(size_t(n * I), 0.0);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < I; ++i) {
      const RefDot &g = ref[size_t(t * 2 * I + i)], &u = ref[size_t(t * 2 * I + I + i)];
      double silu = g.value / (1.0 + std::exp(-g.value));
      // d silu / dg is within [-0.1, 1.1].
      want[size_t(t * I + i)] = silu * u.value;
      tol[size_t(t * I + i)] = 1.1 * std::fabs(u.value) * g.tolerance(bf16) +
                               std::fabs(silu) * u.tolerance(bf16) +
                               1e-6 * std::fabs(silu * u.value);
    }
}

} // namespace r1hk::test

#endif // R1C_TEST_UNIT_KERNELS_KERNELTESTUTIL_H
