//===- IntWeightKernelTest.cpp - CUDA kernels on group-scaled int8/int4 weights -===//
//
// The CUDA kernels that take the integer weight types (I8G*, I4G*: codes with
// an f16 scale per group of G elements of a row, WeightTypes.cuh), run on the
// host through the emulation (R1CudaEmu.h) against a double-precision
// reference on the dequantized weights q * scale:
//   - the decoding of every int8 byte and int4 nibble, and the nibble order
//     (element 2j in the low nibble of byte j);
//   - linearGemv / gatedGemv (decode: the packed-word path and the
//     element path), linearGemm / gatedGemm (CUDA cores) and linearGemmTc /
//     gatedGemmTc (tensor cores, emulated MMA);
//   - moeExperts and moeExpertsGrouped's sort / up / down launches;
// for I8G32, I4G32, I4G128 and I8G128, with K = G, K = 3G and K = 512 + G,
// weight rows that are not a multiple of a GEMV block's warps or of a GEMM
// tile, and 1, 2, 3, 5 and 37 token rows. The weights are quantized here,
// symmetric per group: scale = f16(amax / 127) or f16(amax / 7), q =
// round(w / scale); a few groups are zero or have subnormal scales, and a
// few int4 codes are -8, the format's extra code. A
// copy of the int4 weights with the nibbles of every byte swapped must fail
// the same check, so the tests see the nibble order.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/kernels/LinearTc.cuh"
#include "codegen/cuda/kernels/Moe.cuh"
#include "test/unit/kernels/KernelTestUtil.h"

#include <gtest/gtest.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace {

using r1ck::WType;
using r1hk::test::RefDot;
using r1hk::test::Rng;

static_assert(r1ck::isIntW(WType::I4G64) && !r1ck::isIntW(WType::F8E4M3));
static_assert(r1ck::wGroup(WType::I8G64) == 64 && r1ck::wGroup(WType::F8E4M3) == 128 &&
              r1ck::wGroup(WType::BF16) == 0);
static_assert(r1ck::wBits(WType::I4G128) == 4 && r1ck::wBits(WType::I8G32) == 8 &&
              r1ck::wBits(WType::F16) == 16);
static_assert(r1ck::rowBytes(WType::I4G32, 7168) == 3584 &&
              r1ck::rowBytes(WType::I8G128, 7168) == 7168 &&
              r1ck::rowBytes(WType::F32, 10) == 40);
static_assert(r1ck::hasScales(WType::F8E4M3) && r1ck::hasScales(WType::I8G128) &&
              !r1ck::hasScales(WType::BF16));

constexpr float kEps = 1e-6f;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

/// The host's name of a type (r1ck::WType and r1hk::WType share enumerators).
const char *typeName(WType wt) { return r1hk::test::name(r1hk::WType(int(wt))); }

float f16ToF32(uint16_t h) { return _cvtsh_ss(h); }

/// Integer weights [rows, K] of type WT as the compiler writes them: codes,
/// f16 group scales, and the exact value q * scale of every element.
/// `offset` bytes of padding before the codes (misaligned reads).
template <WType WT>
struct IntWeights {
  static constexpr int64_t G = r1ck::wGroup(WT);
  static constexpr int kQMax = r1ck::wBits(WT) == 4 ? 7 : 127;
  int64_t rows, K;
  std::vector<uint8_t> bytes; // offset bytes, then the codes
  size_t offset;
  std::vector<uint16_t> scales;
  std::vector<double> value;

  IntWeights(int64_t rows_, int64_t K_, Rng &rng, size_t offset_ = 0)
      : rows(rows_), K(K_), offset(offset_) {
    EXPECT_EQ(K % G, 0);
    bytes.assign(offset + size_t(r1ck::rowBytes(WT, K) * rows) + 16, 0xee);
    scales.resize(size_t(rows * (K / G)));
    value.resize(size_t(rows * K));
    std::vector<float> w(static_cast<size_t>(G));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t g = 0; g < K / G; ++g) {
        // Groups of very different magnitudes, so that a scale applied to
        // the wrong group shows; a few all zero (scale 0) or tiny (a
        // subnormal f16 scale).
        const int64_t kind = rng.integer(0, 31);
        const float mag = kind == 0 ? 0.0f : kind == 1 ? 0x1p-20f : rng.uniform(0.02f, 0.5f);
        float amax = 0;
        for (float &v : w)
          amax = std::max(amax, std::fabs(v = rng.uniform(-1.0f, 1.0f) * mag));
        const uint16_t s16 = _cvtss_sh(amax / float(kQMax), _MM_FROUND_TO_NEAREST_INT);
        const float s = f16ToF32(s16);
        scales[size_t(r * (K / G) + g)] = s16;
        for (int64_t i = 0; i < G; ++i) {
          int q = s == 0.0f ? 0 : int(std::lround(w[size_t(i)] / s));
          q = std::clamp(q, -kQMax, kQMax);
          if (kQMax == 7 && rng.integer(0, 40) == 0)
            q = -8; // the format allows it; the compiler does not write it
          set(r, g * G + i, q);
          value[size_t(r * K + g * G + i)] = double(q) * double(s);
        }
      }
  }

  void set(int64_t r, int64_t k, int q) {
    uint8_t *row = bytes.data() + offset + r * r1ck::rowBytes(WT, K);
    if constexpr (r1ck::wBits(WT) == 8) {
      row[k] = uint8_t(int8_t(q));
    } else {
      uint8_t &b = row[k / 2];
      const int shift = k % 2 ? 4 : 0; // element 2j low, 2j+1 high
      b = uint8_t((b & ~(0xf << shift)) | ((q + 8) << shift));
    }
  }

  const void *codes() const { return bytes.data() + offset; }
  const void *scalePtr() const { return scales.data(); }

  /// The codes with the two nibbles of every byte swapped (int4 only).
  std::vector<uint8_t> swappedNibbles() const {
    std::vector<uint8_t> b(bytes);
    for (size_t i = offset; i < b.size(); ++i)
      b[i] = uint8_t((b[i] >> 4) | (b[i] << 4));
    return b;
  }
};

/// rows x K activations (rows of very different magnitudes), gamma, bias.
struct Activations {
  std::vector<float> storage, gamma, bias;
  const float *x;
  Activations(int64_t rows, int64_t K, int64_t N, Rng &rng, int xShift = 0) {
    storage = rng.floats(size_t(rows * K + xShift), -1.0f, 1.0f);
    for (int64_t t = 0; t < rows; ++t)
      for (int64_t k = 0; k < K; ++k)
        storage[size_t(xShift + t * K + k)] *= t % 3 == 1 ? 20.0f : t % 3 == 2 ? 0.05f : 1.0f;
    gamma = rng.floats(size_t(K), 0.5f, 1.5f);
    bias = rng.floats(size_t(N), -0.5f, 0.5f);
    x = storage.data() + xShift;
  }
};

/// The double-precision dot of activation row t (normalized when `norm`)
/// with weight row n.
template <WType WT>
RefDot refDot(const Activations &a, const IntWeights<WT> &w, bool norm, int64_t t, int64_t n) {
  const int64_t K = w.K;
  std::vector<double> xn(static_cast<size_t>(K));
  if (norm)
    xn = r1hk::test::refNorm(a.x + t * K, K, a.gamma.data(), kEps);
  else
    for (int64_t k = 0; k < K; ++k)
      xn[size_t(k)] = a.x[t * K + k];
  RefDot d;
  for (int64_t k = 0; k < K; ++k)
    d.add(xn[size_t(k)], w.value[size_t(n * K + k)]);
  return d;
}

double siluD(double z) { return z / (1.0 + std::exp(-z)); }

/// Elements of got farther than tol from want (NaN counts); reports the
/// first few when `report`.
int misses(const std::vector<float> &got, const std::vector<double> &want,
           const std::vector<double> &tol, const std::string &what, bool report = true) {
  int n = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double err = std::fabs(double(got[i]) - want[i]);
    if (!(err <= tol[i]) && ++n <= 5 && report)
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", want " << want[i]
                    << " (error " << err << " > tolerance " << tol[i] << ")";
  }
  if (n > 5 && report)
    ADD_FAILURE() << what << ": " << n << " elements out of tolerance in all";
  return n;
}

//===----------------------------------------------------------------------===//
// Decoding
//===----------------------------------------------------------------------===//

template <WType WT>
R1_GLOBAL void decodeKernel(const void *w, float *out) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  out[i] = r1ck::loadWeight<WT>(w, i);
}

template <WType WT>
R1_GLOBAL void decodeWordKernel(const uint32_t *words, float *out) {
  constexpr int kW = r1ck::kCodesPerWord<WT>;
  float v[kW];
  r1ck::decodeCodeWord<WT>(words[threadIdx.x], v);
  for (int i = 0; i < kW; ++i)
    out[threadIdx.x * kW + i] = v[i];
}

template <WType WT, int64_t K>
R1_GLOBAL void scaleKernel(const void *scales, float *out) {
  out[threadIdx.x] = r1ck::loadScale<WT, K>(scales, threadIdx.x / (K / r1ck::wGroup(WT)),
                                            threadIdx.x % (K / r1ck::wGroup(WT)) *
                                                r1ck::wGroup(WT));
}

TEST(CudaIntWeights, EveryCodeDecodesInElementOrder) {
  std::vector<uint8_t> bytes(256);
  std::iota(bytes.begin(), bytes.end(), 0);
  // int8: two's complement bytes.
  std::vector<float> out(256, kNaN);
  auto *i8 = &decodeKernel<WType::I8G32>;
  R1_LAUNCH(i8, dim3(1), dim3(256), 0, nullptr, bytes.data(), out.data());
  for (int b = 0; b < 256; ++b)
    EXPECT_EQ(out[size_t(b)], float(int8_t(uint8_t(b)))) << "byte " << b;
  // int4: element 2j is the low nibble of byte j, element 2j+1 the high one,
  // each q + 8.
  std::vector<float> out4(512, kNaN);
  auto *i4 = &decodeKernel<WType::I4G128>;
  R1_LAUNCH(i4, dim3(2), dim3(256), 0, nullptr, bytes.data(), out4.data());
  for (int b = 0; b < 256; ++b) {
    EXPECT_EQ(out4[size_t(2 * b)], float((b & 15) - 8)) << "low nibble of byte " << b;
    EXPECT_EQ(out4[size_t(2 * b + 1)], float((b >> 4) - 8)) << "high nibble of byte " << b;
  }
  // Whole words, as the GEMV and MoE kernels decode them: the same order.
  std::vector<uint32_t> words(64);
  std::memcpy(words.data(), bytes.data(), 256);
  std::vector<float> w8(256, kNaN), w4(512, kNaN);
  auto *word8 = &decodeWordKernel<WType::I8G64>;
  R1_LAUNCH(word8, dim3(1), dim3(64), 0, nullptr, words.data(), w8.data());
  auto *word4 = &decodeWordKernel<WType::I4G64>;
  R1_LAUNCH(word4, dim3(1), dim3(64), 0, nullptr, words.data(), w4.data());
  EXPECT_EQ(w8, out);
  EXPECT_EQ(w4, out4);
}

TEST(CudaIntWeights, F16GroupScales) {
  // Normal, subnormal, the largest and the smallest f16, and a negative
  // one: [2 rows, 256 / 32 groups].
  std::vector<uint16_t> s(16);
  Rng rng(5);
  for (uint16_t &h : s)
    h = uint16_t(rng.integer(0x0400, 0x7bff));
  s[1] = 0x0001, s[2] = 0x03ff, s[3] = 0x7bff, s[4] = 0xbc00, s[5] = 0x0000;
  std::vector<float> out(16, kNaN);
  auto *kernel = &scaleKernel<WType::I4G32, 256>;
  R1_LAUNCH(kernel, dim3(1), dim3(16), 0, nullptr, s.data(), out.data());
  for (size_t i = 0; i < s.size(); ++i)
    EXPECT_EQ(out[i], f16ToF32(s[i])) << "scale " << i;
}

//===----------------------------------------------------------------------===//
// Linear and gated linear: GEMV, CUDA-core GEMM, tensor-core GEMM
//===----------------------------------------------------------------------===//

enum class Shape { Gemv, Gemm, GemmTc };
const char *shapeName(Shape s) {
  return s == Shape::Gemv ? "Gemv" : s == Shape::Gemm ? "Gemm" : "GemmTc";
}

template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t N0, int64_t N1, int64_t N2,
          int kThreads>
R1_GLOBAL void linearGemvKernel(const float *x, int64_t rows, const void *w, const float *bias,
                                const float *gamma, float eps, const void *scales, float *out0,
                                float *out1, float *out2) {
  r1ck::linearGemv<K, WT, kBias, kNorm, N0, N1, N2, kThreads>(x, rows, w, bias, gamma, eps,
                                                              scales, out0, out1, out2);
}

template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t N0, int64_t N1, int64_t N2>
R1_GLOBAL void linearGemmKernel(const float *x, int64_t rows, const void *w, const float *bias,
                                const float *gamma, float eps, const void *scales, float *out0,
                                float *out1, float *out2) {
  r1ck::linearGemm<K, WT, kBias, kNorm, N0, N1, N2, 256>(x, rows, w, bias, gamma, eps, scales,
                                                         out0, out1, out2);
}

template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t N0, int64_t N1, int64_t N2>
R1_GLOBAL void linearGemmTcKernel(const float *x, int64_t rows, const void *w, const float *bias,
                                  const float *gamma, float eps, const void *scales,
                                  float *out0, float *out1, float *out2) {
  r1ck::linearGemmTc<K, WT, kBias, kNorm, N0, N1, N2, 256>(x, rows, w, bias, gamma, eps, scales,
                                                           out0, out1, out2);
}

template <int64_t K, int64_t I, WType WT, bool kNorm, int kThreads>
R1_GLOBAL void gatedGemvKernel(const float *x, int64_t rows, const void *w, const float *gamma,
                               float eps, const void *scales, float *out) {
  r1ck::gatedGemv<K, I, WT, kNorm, kThreads>(x, rows, w, gamma, eps, scales, out);
}

template <int64_t K, int64_t I, WType WT, bool kNorm>
R1_GLOBAL void gatedGemmKernel(const float *x, int64_t rows, const void *w, const float *gamma,
                               float eps, const void *scales, float *out) {
  r1ck::gatedGemm<K, I, WT, kNorm, 256>(x, rows, w, gamma, eps, scales, out);
}

template <int64_t K, int64_t I, WType WT, bool kNorm>
R1_GLOBAL void gatedGemmTcKernel(const float *x, int64_t rows, const void *w, const float *gamma,
                                 float eps, const void *scales, float *out) {
  r1ck::gatedGemmTc<K, I, WT, kNorm, 256>(x, rows, w, gamma, eps, scales, out);
}

/// GEMV blocks of 128 threads: 4 weight rows per block pass.
constexpr int kGemvThreads = 128;

/// Runs one linear kernel on `codes` (the weights' bytes, or a variant of
/// them) into out[0..S).
template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t N0, int64_t N1, int64_t N2>
void runLinear(Shape shape, const Activations &a, int64_t rows, const void *codes,
               const void *scales, float *const (&out)[3]) {
  constexpr int64_t N = N0 + N1 + N2;
  const float *bias = kBias ? a.bias.data() : nullptr;
  const float *gamma = kNorm ? a.gamma.data() : nullptr;
  const dim3 tiles(unsigned((N + 63) / 64), unsigned((rows + 31) / 32));
  if (shape == Shape::Gemv) {
    auto *kernel = &linearGemvKernel<K, WT, kBias, kNorm, N0, N1, N2, kGemvThreads>;
    R1_LAUNCH(kernel, dim3(unsigned((N + kGemvThreads / 32 - 1) / (kGemvThreads / 32))),
              dim3(kGemvThreads), 0, nullptr, a.x, rows, codes, bias, gamma, kEps, scales,
              out[0], out[1], out[2]);
  } else if (shape == Shape::Gemm) {
    auto *kernel = &linearGemmKernel<K, WT, kBias, kNorm, N0, N1, N2>;
    R1_LAUNCH(kernel, tiles, dim3(256), 0, nullptr, a.x, rows, codes, bias, gamma, kEps, scales,
              out[0], out[1], out[2]);
  } else {
    auto *kernel = &linearGemmTcKernel<K, WT, kBias, kNorm, N0, N1, N2>;
    R1_LAUNCH(kernel, tiles, dim3(256), 0, nullptr, a.x, rows, codes, bias, gamma, kEps, scales,
              out[0], out[1], out[2]);
  }
}

/// linear<K, WT, ...> of the given shape against the double reference;
/// `xShift` floats before x (the GEMV's element path); for int4 also with
/// the nibbles swapped, which must fail.
template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t N0, int64_t N1 = 0,
          int64_t N2 = 0>
void checkLinear(Shape shape, int64_t rows, int xShift = 0) {
  constexpr int64_t N = N0 + N1 + N2, S = N1 == 0 ? 1 : N2 == 0 ? 2 : 3;
  constexpr int64_t size[3] = {N0, N1, N2};
  const std::string what = std::string("linear") + shapeName(shape) + "<K=" + std::to_string(K) +
                           ", " + typeName(WT) + (kBias ? ", bias" : "") +
                           (kNorm ? ", norm" : "") + ", N=" + std::to_string(N0) + "/" +
                           std::to_string(N1) + "/" + std::to_string(N2) +
                           "> rows=" + std::to_string(rows) + (xShift ? " (unaligned x)" : "");
  SCOPED_TRACE(what);
  Rng rng(uint64_t(K * 31 + N * 7 + rows + int(WT) * 1000 + int(shape) * 5));
  const IntWeights<WT> w(N, K, rng);
  const Activations a(rows, K, N, rng, xShift);

  std::vector<double> want[3], tol[3];
  for (int64_t s = 0, off = 0; s < S; off += size[s], ++s) {
    want[s].resize(size_t(rows * size[s]));
    tol[s].resize(want[s].size());
    for (int64_t t = 0; t < rows; ++t)
      for (int64_t n = 0; n < size[s]; ++n) {
        const RefDot d = refDot(a, w, kNorm, t, off + n);
        const double y = d.value + (kBias ? double(a.bias[size_t(off + n)]) : 0.0);
        want[s][size_t(t * size[s] + n)] = y;
        tol[s][size_t(t * size[s] + n)] = d.tolerance(false) + 1e-6 * std::fabs(y);
      }
  }
  auto run = [&](const void *codes, bool report) {
    std::vector<float> got[3];
    float *ptr[3] = {};
    for (int64_t s = 0; s < S; ++s)
      got[s].assign(size_t(rows * size[s]), kNaN), ptr[s] = got[s].data();
    runLinear<K, WT, kBias, kNorm, N0, N1, N2>(shape, a, rows, codes, w.scalePtr(), ptr);
    int n = 0;
    for (int64_t s = 0; s < S; ++s)
      n += misses(got[s], want[s], tol[s], what + " out" + std::to_string(s), report);
    return n;
  };
  EXPECT_EQ(run(w.codes(), true), 0);
  if constexpr (r1ck::wBits(WT) == 4) {
    const std::vector<uint8_t> swapped = w.swappedNibbles();
    EXPECT_GT(run(swapped.data() + w.offset, false), int(rows * N) / 2)
        << "the nibbles swapped must give wrong results";
  }
}

template <int64_t K, int64_t I, WType WT, bool kNorm>
void checkGated(Shape shape, int64_t rows) {
  const std::string what = std::string("gated") + shapeName(shape) + "<K=" + std::to_string(K) +
                           ", I=" + std::to_string(I) + ", " + typeName(WT) +
                           (kNorm ? ", norm" : "") + "> rows=" + std::to_string(rows);
  SCOPED_TRACE(what);
  Rng rng(uint64_t(K * 17 + I * 3 + rows + int(WT) * 100 + int(shape) * 7));
  const IntWeights<WT> w(2 * I, K, rng);
  const Activations a(rows, K, 2 * I, rng);
  const float *gamma = kNorm ? a.gamma.data() : nullptr;
  std::vector<float> got(size_t(rows * I), kNaN);
  const dim3 tiles(unsigned((I + 63) / 64), unsigned((rows + 31) / 32));
  if (shape == Shape::Gemv) {
    auto *kernel = &gatedGemvKernel<K, I, WT, kNorm, kGemvThreads>;
    R1_LAUNCH(kernel, dim3(unsigned((I + kGemvThreads / 32 - 1) / (kGemvThreads / 32))),
              dim3(kGemvThreads), 0, nullptr, a.x, rows, w.codes(), gamma, kEps, w.scalePtr(),
              got.data());
  } else if (shape == Shape::Gemm) {
    auto *kernel = &gatedGemmKernel<K, I, WT, kNorm>;
    R1_LAUNCH(kernel, tiles, dim3(256), 0, nullptr, a.x, rows, w.codes(), gamma, kEps,
              w.scalePtr(), got.data());
  } else {
    auto *kernel = &gatedGemmTcKernel<K, I, WT, kNorm>;
    R1_LAUNCH(kernel, tiles, dim3(256), 0, nullptr, a.x, rows, w.codes(), gamma, kEps,
              w.scalePtr(), got.data());
  }
  std::vector<double> want(got.size()), tol(got.size());
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t i = 0; i < I; ++i) {
      const RefDot g = refDot(a, w, kNorm, t, i), u = refDot(a, w, kNorm, t, I + i);
      const double y = siluD(g.value) * u.value;
      want[size_t(t * I + i)] = y;
      // |silu'| < 1.1 everywhere, |silu(g)| <= |g| + 0.3.
      tol[size_t(t * I + i)] = 1.1 * std::fabs(u.value) * g.tolerance(false) +
                               (std::fabs(g.value) + 0.3) * u.tolerance(false) +
                               1e-6 * std::fabs(y) + 1e-30;
    }
  EXPECT_EQ(misses(got, want, tol, what), 0);
}

/// Every linear shape of one weight type: K = G (one group per row), 3G and
/// 512 + G; 37 and 70 weight rows (no multiple of a GEMV block's 4 warps or
/// of a 64-row tile; tiles straddle the segments); 1 to 37 token rows.
template <WType WT>
void checkLinearType() {
  constexpr int64_t G = r1ck::wGroup(WT);
  for (Shape s : {Shape::Gemv, Shape::Gemm, Shape::GemmTc}) {
    const bool gemv = s == Shape::Gemv;
    checkLinear<G, WT, true, true, 37>(s, gemv ? 1 : 5);
    checkLinear<3 * G, WT, true, false, 40, 20, 10>(s, gemv ? 3 : 37);
    checkLinear<512 + G, WT, false, true, 30, 40>(s, gemv ? 2 : 1);
  }
  // Unaligned activations: the GEMV's element-wise path.
  checkLinear<3 * G, WT, false, true, 22>(Shape::Gemv, 3, /*xShift=*/1);
}

template <WType WT>
void checkGatedType() {
  constexpr int64_t G = r1ck::wGroup(WT);
  for (Shape s : {Shape::Gemv, Shape::Gemm, Shape::GemmTc}) {
    const bool gemv = s == Shape::Gemv;
    checkGated<G, 70, WT, true>(s, gemv ? 3 : 37);
    checkGated<512 + G, 18, WT, false>(s, gemv ? 1 : 5);
  }
}

TEST(CudaIntLinear, I8G32) { checkLinearType<WType::I8G32>(); }
TEST(CudaIntLinear, I4G32) { checkLinearType<WType::I4G32>(); }
TEST(CudaIntLinear, I4G128) { checkLinearType<WType::I4G128>(); }
TEST(CudaIntLinear, I8G128) { checkLinearType<WType::I8G128>(); }

TEST(CudaIntGatedLinear, I8G32) { checkGatedType<WType::I8G32>(); }
TEST(CudaIntGatedLinear, I4G32) { checkGatedType<WType::I4G32>(); }
TEST(CudaIntGatedLinear, I4G128) { checkGatedType<WType::I4G128>(); }
TEST(CudaIntGatedLinear, I8G128) { checkGatedType<WType::I8G128>(); }

TEST(CudaIntLinear, OtherGroupSizesAndQwenWidth) {
  // G = 64, and Qwen-1.5B's hidden size (1536: 48 int4 packs per row, so
  // half the lanes take a second pack) in the GEMV and both GEMMs.
  checkLinear<192, WType::I4G64, true, true, 24, 8>(Shape::Gemv, 2);
  checkLinear<192, WType::I8G64, false, false, 66>(Shape::GemmTc, 5);
  checkLinear<1536, WType::I4G32, true, true, 20, 4, 4>(Shape::Gemv, 1);
  checkLinear<1536, WType::I4G128, true, true, 20, 4, 4>(Shape::GemmTc, 5);
}

//===----------------------------------------------------------------------===//
// MoE experts: moeExperts and moeExpertsGrouped
//===----------------------------------------------------------------------===//

constexpr int kExpertThreads = 256;

template <int64_t E, int64_t TopK, int64_t H, int64_t I, WType WT>
R1_GLOBAL void expertsKernel(const float *x, const int32_t *ids, const float *weights,
                             const void *gateUp, const void *down, const void *gateUpScales,
                             const void *downScales, float *out) {
  r1ck::moeExperts<E, TopK, H, I, WT, false, kExpertThreads>(x, ids, weights, gateUp, down,
                                                             gateUpScales, downScales, out);
}

template <int64_t E, int64_t TopK>
R1_GLOBAL void groupedSortKernel(const int32_t *ids, int64_t rows, int32_t *groups) {
  r1ck::moeExpertsGroupedSort<E, TopK, kExpertThreads>(ids, rows, groups);
}

template <int64_t E, int64_t TopK, int64_t H, int64_t I, WType WT>
R1_GLOBAL void groupedUpKernel(const float *x, const int32_t *groups, const void *gateUp,
                               const void *gateUpScales, float *h) {
  r1ck::moeExpertsGroupedUp<E, TopK, H, I, WT, kExpertThreads>(x, groups, gateUp, gateUpScales,
                                                               h);
}

template <int64_t E, int64_t TopK, int64_t H, int64_t I, WType WT>
R1_GLOBAL void groupedDownKernel(const float *h, const float *weights, const int32_t *groups,
                                 const void *down, const void *downScales, int64_t rows,
                                 float *out) {
  r1ck::moeExpertsGroupedDown<E, TopK, H, I, WT, kExpertThreads>(h, weights, groups, down,
                                                                 downScales, rows, out);
}

/// out [n, H] of the routed experts in double, with its tolerance (as in
/// MoeKernelTest.cpp, without W8A8).
template <int64_t E, int64_t TopK, int64_t H, int64_t I, WType WT>
void referenceExperts(const std::vector<float> &x, const std::vector<int32_t> &ids,
                      const std::vector<float> &w, const IntWeights<WT> &gu,
                      const IntWeights<WT> &dn, std::vector<double> &want,
                      std::vector<double> &tol) {
  const int64_t n = int64_t(x.size()) / H;
  want.assign(size_t(n * H), 0.0);
  tol.assign(want.size(), 1e-6);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t k = 0; k < TopK; ++k) {
      const int64_t e = ids[size_t(t * TopK + k)];
      if (e < 0 || e >= E)
        continue;
      const double wk = w[size_t(t * TopK + k)];
      std::vector<double> h(I), htol(I);
      for (int64_t i = 0; i < I; ++i) {
        RefDot g, u;
        for (int64_t c = 0; c < H; ++c) {
          g.add(x[size_t(t * H + c)], gu.value[size_t((e * 2 * I + i) * H + c)]);
          u.add(x[size_t(t * H + c)], gu.value[size_t((e * 2 * I + I + i) * H + c)]);
        }
        const double silu = siluD(g.value);
        h[size_t(i)] = silu * u.value;
        htol[size_t(i)] = 1.1 * std::fabs(u.value) * g.tolerance(false) +
                          std::fabs(silu) * u.tolerance(false) + 1e-6 * std::fabs(h[size_t(i)]);
      }
      for (int64_t r = 0; r < H; ++r) {
        RefDot d;
        double prop = 0;
        for (int64_t i = 0; i < I; ++i) {
          const double wd = dn.value[size_t((e * H + r) * I + i)];
          d.add(h[size_t(i)], wd);
          prop += htol[size_t(i)] * std::fabs(wd);
        }
        want[size_t(t * H + r)] += wk * d.value;
        tol[size_t(t * H + r)] +=
            wk * (d.tolerance(false) + prop) + 1e-6 * std::fabs(wk * d.value);
      }
    }
}

/// moeExpertsGrouped's launch sequence (Moe.cuh, as the generator chains
/// it) into out.
template <int64_t E, int64_t TopK, int64_t H, int64_t I, WType WT>
void runGrouped(const std::vector<float> &x, const std::vector<int32_t> &ids,
                const std::vector<float> &w, const IntWeights<WT> &gu, const void *downCodes,
                const void *downScales, std::vector<float> &out) {
  const int64_t n = int64_t(x.size()) / H;
  constexpr int kWarps = kExpertThreads / 32;
  std::vector<int32_t> groups(size_t(r1ck::moeExpertsGroupsElems<E, TopK>(n)), -7);
  std::vector<float> h(size_t(n * TopK * I), kNaN);
  auto *sort = &groupedSortKernel<E, TopK>;
  R1_LAUNCH(sort, dim3(1), dim3(kExpertThreads), 0, nullptr, ids.data(), n, groups.data());
  auto *up = &groupedUpKernel<E, TopK, H, I, WT>;
  R1_LAUNCH(up,
            dim3(unsigned((I + kWarps - 1) / kWarps), unsigned(std::min<int64_t>(E, n * TopK))),
            dim3(kExpertThreads), 0, nullptr, x.data(), groups.data(), gu.codes(), gu.scalePtr(),
            h.data());
  auto *dn = &groupedDownKernel<E, TopK, H, I, WT>;
  R1_LAUNCH(dn, dim3(unsigned((H + 2 * kWarps - 1) / (2 * kWarps))), dim3(kExpertThreads), 0,
            nullptr, h.data(), w.data(), groups.data(), downCodes, downScales, n, out.data());
}

/// moeExperts (grouped: the three launches) on n tokens against the double
/// reference; `offset`: bytes the code arrays sit off 16-byte alignment
/// (element-wise reads). Token 0 skips its last expert.
template <int64_t E, int64_t TopK, int64_t H, int64_t I, WType WT>
void checkExperts(int64_t n, bool grouped, size_t offset = 0) {
  const std::string what = std::string(grouped ? "moeExpertsGrouped" : "moeExperts") + "<H=" +
                           std::to_string(H) + ", I=" + std::to_string(I) + ", " +
                           typeName(WT) + "> n=" + std::to_string(n) +
                           " offset=" + std::to_string(offset);
  SCOPED_TRACE(what);
  Rng rng(uint64_t(H * 13 + I + n * 101 + int(WT) * 7 + (grouped ? 3 : 0) + offset));
  const IntWeights<WT> gu(E * 2 * I, H, rng, offset), dn(E * H, I, rng, offset);
  const std::vector<float> x = rng.floats(size_t(n * H), -1.5f, 1.5f);
  std::vector<int32_t> ids(size_t(n * TopK));
  std::vector<float> w(ids.size());
  for (int64_t t = 0; t < n; ++t) {
    std::vector<int32_t> perm(E);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng.gen);
    for (int64_t k = 0; k < TopK; ++k) {
      ids[size_t(t * TopK + k)] = perm[size_t(k)];
      w[size_t(t * TopK + k)] = rng.uniform(0.1f, 1.0f);
    }
  }
  ids[size_t(TopK - 1)] = -1;
  std::vector<double> want, tol;
  referenceExperts<E, TopK, H, I, WT>(x, ids, w, gu, dn, want, tol);

  auto run = [&](const void *downCodes) {
    std::vector<float> out(size_t(n * H), kNaN);
    if (grouped) {
      runGrouped<E, TopK, H, I, WT>(x, ids, w, gu, downCodes, dn.scalePtr(), out);
    } else {
      auto *kernel = &expertsKernel<E, TopK, H, I, WT>;
      R1_LAUNCH(kernel, dim3(unsigned(n)), dim3(kExpertThreads), 4 * (H + I), nullptr, x.data(),
                ids.data(), w.data(), gu.codes(), downCodes, gu.scalePtr(), dn.scalePtr(),
                out.data());
    }
    return out;
  };
  EXPECT_EQ(misses(run(dn.codes()), want, tol, what), 0);
  if constexpr (r1ck::wBits(WT) == 4) {
    if (grouped) { // the down projection's nibbles swapped must fail
      const std::vector<uint8_t> swapped = dn.swappedNibbles();
      EXPECT_GT(misses(run(swapped.data() + offset), want, tol, what, false), int(n * H) / 2)
          << "the nibbles swapped must give wrong results";
    }
  }
}

// 4 experts, top 2: 12 tokens give 6 per expert, more than the 4 a warp of
// the grouped kernels takes at a time. H = 3G, I = G: the down projection's
// rows are one group.
template <WType WT>
void checkExpertsType() {
  constexpr int64_t G = r1ck::wGroup(WT);
  checkExperts<4, 2, 3 * G, G, WT>(2, false);
  checkExperts<4, 2, 3 * G, G, WT>(12, true);
}

TEST(CudaIntMoe, I8G32) { checkExpertsType<WType::I8G32>(); }
TEST(CudaIntMoe, I4G32) { checkExpertsType<WType::I4G32>(); }
TEST(CudaIntMoe, I4G128) { checkExpertsType<WType::I4G128>(); }
TEST(CudaIntMoe, I8G128) { checkExpertsType<WType::I8G128>(); }

TEST(CudaIntMoe, ElementwiseReadsAndWideRows) {
  // Codes off 16-byte alignment: the element-wise reads of both kernels.
  checkExperts<4, 2, 64, 96, WType::I4G32>(5, true, 1);
  checkExperts<4, 2, 64, 96, WType::I8G32>(2, false, 3);
  // Rows of 512 + G: several chunks per lane.
  checkExperts<4, 2, 544, 64, WType::I4G32>(5, true);
}

} // namespace
