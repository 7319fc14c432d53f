//===- LinearTest.cpp - linear and gatedLinear against a double reference -===//
//
// Every case runs both precisions, prefill (kRows 0) and decode (kRows 1,
// n = 1) entry points, and 1 and 3 threads; results must match the double
// reference within RefDot's tolerance and be bit-identical across thread
// counts and entry points. On the AVX-512 BF16 build the default precision
// must actually take the bf16 dot path (its results differ from fp32).
//
//===----------------------------------------------------------------------===//
#include "KernelTestUtil.h"

#include <cstdlib>
#include <limits>
#include <string_view>

namespace r1hk::test {
namespace {

constexpr float kEps = 1e-6f;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

/// ref[t][j] = xn[t] . W[j] over rows j in [0, rows).
template <WType WT>
std::vector<RefDot> referenceDots(const std::vector<float> &x, int64_t n, int64_t K,
                                  const Weights<WT> &w, int64_t rows, const float *gamma) {
  std::vector<RefDot> ref(size_t(n * rows));
  for (int64_t t = 0; t < n; ++t) {
    std::vector<double> xn = refNorm(x.data() + t * K, K, gamma, kEps);
    if (!gamma)
      for (int64_t k = 0; k < K; ++k)
        xn[size_t(k)] = x[size_t(t * K + k)];
    for (int64_t j = 0; j < rows; ++j)
      for (int64_t k = 0; k < K; ++k)
        ref[size_t(t * rows + j)].add(xn[size_t(k)], w.value[size_t(j * K + k)]);
  }
  return ref;
}

std::string label(const char *kernel, int64_t K, WType wt, int64_t n, bool fp32, int kRows,
                  int threads) {
  return std::string(kernel) + " K=" + std::to_string(K) + " " + name(wt) +
         " n=" + std::to_string(n) + (fp32 ? " fp32" : " default") +
         " kRows=" + std::to_string(kRows) + " threads=" + std::to_string(threads);
}

template <int64_t K, WType WT, bool kBias, bool kNorm, int64_t... N>
void checkLinear(std::vector<int64_t> ns) {
  constexpr int64_t S = sizeof...(N), total = (N + ...);
  constexpr int64_t size[S] = {N...};
  Rng rng(uint64_t(K * 1000003 + total * 31 + int(WT) * 7 + kBias * 2 + kNorm));
  Weights<WT> w(size_t(total * K), rng);
  std::vector<float> bias = rng.floats(total, -1, 1), gamma = rng.floats(K, 0.5f, 1.5f);
  for (int64_t n : ns) {
    std::vector<float> x = activations(n, K, rng);
    std::vector<RefDot> ref = referenceDots(x, n, K, w, total, kNorm ? gamma.data() : nullptr);
    std::vector<float> first[2]; // per precision: the first run's results
    for (bool fp32 : {true, false}) {
      std::vector<double> want(ref.size()), tol(ref.size());
      for (size_t i = 0; i < ref.size(); ++i) {
        want[i] = ref[i].value + (kBias ? bias[i % total] : 0.0);
        tol[i] = ref[i].tolerance(!fp32 && detail::kHasBf16Dot<WT>) + 1e-6 * std::fabs(want[i]);
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
            linear<1, K, WT, kBias, kNorm, N...>(pool.exec(fp32), x.data(), n, w.raw.data(), b, g,
                                                 kEps, ptrs);
          else
            linear<0, K, WT, kBias, kNorm, N...>(pool.exec(fp32), x.data(), n, w.raw.data(), b, g,
                                                 kEps, ptrs);
          std::vector<float> flat(size_t(n * total));
          for (int64_t t = 0, off = 0; t < n; ++t, off = 0)
            for (int64_t s = 0; s < S; off += size[s], ++s)
              for (int64_t c = 0; c < size[s]; ++c)
                flat[size_t(t * total + off + c)] = outs[size_t(s)][size_t(t * size[s] + c)];
          std::string what = label("linear", K, WT, n, fp32, kRows, threads);
          expectClose(flat.data(), want, tol, what);
          if (first[fp32].empty())
            first[fp32] = flat;
          else
            EXPECT_TRUE(sameBits(first[fp32], flat)) << what << ": differs from the first run";
        }
      }
    }
    if (detail::kHasBf16Dot<WT>)
      EXPECT_FALSE(sameBits(first[0], first[1])) << "default precision did not use bf16 dots";
    else
      EXPECT_TRUE(sameBits(first[0], first[1])) << "default precision differs from fp32";
  }
}

template <int64_t K, int64_t I, WType WT, bool kNorm>
void checkGated(std::vector<int64_t> ns) {
  Rng rng(uint64_t(K * 7919 + I * 13 + int(WT) * 3 + kNorm));
  Weights<WT> w(size_t(2 * I * K), rng);
  std::vector<float> gamma = rng.floats(K, 0.5f, 1.5f);
  for (int64_t n : ns) {
    std::vector<float> x = activations(n, K, rng);
    std::vector<RefDot> ref = referenceDots(x, n, K, w, 2 * I, kNorm ? gamma.data() : nullptr);
    std::vector<float> first[2];
    for (bool fp32 : {true, false}) {
      bool bf16 = !fp32 && detail::kHasBf16Dot<WT>;
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
            gatedLinear<1, K, I, WT, kNorm>(pool.exec(fp32), x.data(), n, w.raw.data(), g, kEps,
                                            out.data());
          else
            gatedLinear<0, K, I, WT, kNorm>(pool.exec(fp32), x.data(), n, w.raw.data(), g, kEps,
                                            out.data());
          std::string what = label("gatedLinear", K, WT, n, fp32, kRows, threads);
          expectClose(out.data(), want, tol, what);
          if (first[fp32].empty())
            first[fp32] = out;
          else
            EXPECT_TRUE(sameBits(first[fp32], out)) << what << ": differs from the first run";
        }
      }
    }
    if (detail::kHasBf16Dot<WT>)
      EXPECT_FALSE(sameBits(first[0], first[1])) << "default precision did not use bf16 dots";
    else
      EXPECT_TRUE(sameBits(first[0], first[1])) << "default precision differs from fp32";
  }
}

const std::vector<int64_t> kRowCounts = {1, 3, 17, 64};

// Where the CPU has AMX and R1_NO_AMX is unset, prefill must take the tiles:
// otherwise unit.kernels.avx512-amx would quietly test the fallback again.
TEST(Linear, AmxPrefillWhereTheCpuAllows) {
#if defined(R1HK_HAS_AMX)
  const char *off = std::getenv("R1_NO_AMX");
  if (off && *off && std::string_view(off) != "0")
    GTEST_SKIP() << "R1_NO_AMX is set";
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("amx-tile") || !__builtin_cpu_supports("amx-bf16"))
    GTEST_SKIP() << "this CPU has no AMX bf16 tiles";
  EXPECT_TRUE(detail::amxUsable())
      << "this CPU has AMX but the kernels cannot use it (did Linux refuse ARCH_REQ_XCOMP_PERM?)";
  EXPECT_TRUE(amxPrefill<WType::BF16>(false, 2));
#else
  GTEST_SKIP() << "built without the AMX intrinsics";
#endif
}

// Exec::amxMinTokens decides per step: from that many tokens on the AMX
// tiles run (their results differ from the vdpbf16ps tile's where the CPU
// allows AMX), below it exactly the path without AMX.
TEST(Linear, AmxMinTokensPicksThePath) {
  constexpr int64_t K = 256, N = 48, n = 20;
  Rng rng(77);
  Weights<WType::BF16> w(size_t(N * K), rng);
  std::vector<float> x = activations(n, K, rng);
  auto run = [&](int32_t minTokens) {
    TestPool pool(2);
    Exec ex = pool.exec(false);
    ex.amxMinTokens = minTokens;
    std::vector<float> out(size_t(n * N), kNaN);
    float *outs[] = {out.data()};
    linear<0, K, WType::BF16, false, false, N>(ex, x.data(), n, w.raw.data(), nullptr, nullptr,
                                               kEps, outs);
    return out;
  };
  std::vector<float> at = run(n), above = run(n + 1), never = run(1 << 20);
  EXPECT_TRUE(sameBits(above, never)) << "a threshold above the step's tokens still used AMX";
  if (amxPrefill<WType::BF16>(false, n))
    EXPECT_FALSE(sameBits(at, above)) << "a threshold of the step's tokens did not use AMX";
  else
    EXPECT_TRUE(sameBits(at, above)) << "without AMX the threshold changed the results";
}

TEST(Linear, Bf16ThreeSegments) {
  checkLinear<128, WType::BF16, false, false, 128, 64, 64>(kRowCounts);
}
TEST(Linear, F32BiasOddSegments) {
  checkLinear<96, WType::F32, true, false, 33, 17>({1, 3, 17, 64, 130});
}
TEST(Linear, F16BiasNormOddK) { checkLinear<200, WType::F16, true, true, 33, 17>(kRowCounts); }
TEST(Linear, Bf16BiasNormQkvShape) {
  checkLinear<1536, WType::BF16, true, true, 256, 64, 64>(kRowCounts);
}
TEST(Linear, Bf16NormOddK) { checkLinear<200, WType::BF16, false, true, 50>({1, 3, 17, 64, 130}); }
TEST(Linear, F16Wide) { checkLinear<1536, WType::F16, false, false, 48>(kRowCounts); }
TEST(Linear, F32NormTinySegments) {
  checkLinear<96, WType::F32, false, true, 7, 5, 20>(kRowCounts);
}
// K over one 1024/2048-element chunk, not a multiple of 16 or 32.
TEST(Linear, Bf16ChunkedK) { checkLinear<2500, WType::BF16, false, true, 40>({1, 3, 17}); }
TEST(Linear, F32ChunkedK) { checkLinear<2100, WType::F32, true, true, 24>({1, 5}); }
// K beyond the stack row limit: the decode row lives in a per-thread buffer.
TEST(Linear, Bf16LongRow) { checkLinear<17000, WType::BF16, false, true, 20>({1, 3}); }
TEST(Linear, F32LongRow) { checkLinear<17000, WType::F32, false, true, 12>({1}); }

TEST(GatedLinear, Bf16Norm) { checkGated<96, 64, WType::BF16, true>({1, 3, 17, 64, 130}); }
TEST(GatedLinear, F16OddShapes) { checkGated<200, 33, WType::F16, false>(kRowCounts); }
TEST(GatedLinear, Bf16Wide) { checkGated<1536, 40, WType::BF16, true>(kRowCounts); }
TEST(GatedLinear, F32Norm) { checkGated<128, 17, WType::F32, true>(kRowCounts); }
TEST(GatedLinear, Bf16ChunkedK) { checkGated<2500, 24, WType::BF16, false>({1, 3, 17}); }

} // namespace
} // namespace r1hk::test
