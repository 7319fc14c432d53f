//===- BandwidthProbe.cpp - STREAM-like read of a large buffer ------------===//

#include "runtime/BandwidthProbe.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace r1::runtime {

namespace {

constexpr size_t kPage = 4096;

/// Sums `words` 64-bit words from `p` (a multiple of 32, 64-byte aligned).
/// Eight independent 256-bit accumulators keep enough loads in flight to
/// reach the memory's rate; AVX2 is what every host artifact needs anyway.
#if defined(__x86_64__)
__attribute__((target("avx2"))) uint64_t sumWords(const uint64_t *p, size_t words) {
  __m256i a[8];
  for (__m256i &v : a)
    v = _mm256_setzero_si256();
  for (size_t i = 0; i < words; i += 32) {
    const __m256i *q = reinterpret_cast<const __m256i *>(p + i);
    for (int j = 0; j < 8; ++j)
      a[j] = _mm256_add_epi64(a[j], _mm256_load_si256(q + j));
  }
  for (int j = 1; j < 8; ++j)
    a[0] = _mm256_add_epi64(a[0], a[j]);
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i *>(lanes), a[0]);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}
#else
uint64_t sumWords(const uint64_t *p, size_t words) {
  uint64_t s[8] = {};
  for (size_t i = 0; i < words; i += 8)
    for (int j = 0; j < 8; ++j)
      s[j] += p[i + j];
  return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}
#endif

struct ProbeJob {
  const uint64_t *data;
  size_t wordsPerTask;
  uint64_t *sinks;
};

} // namespace

BandwidthProbe::BandwidthProbe(size_t bytes) : bytes_(bytes / kPage * kPage) {
  if (bytes_ < kPage)
    bytes_ = kPage;
  data_ = static_cast<uint64_t *>(std::aligned_alloc(kPage, bytes_));
  if (!data_) {
    bytes_ = 0;
    return;
  }
  // Distinct values on every page: zero pages could be shared by the kernel.
  for (size_t i = 0; i < bytes_ / sizeof(uint64_t); ++i)
    data_[i] = i * 0x9e3779b97f4a7c15ull;
}

BandwidthProbe::~BandwidthProbe() { std::free(data_); }

double BandwidthProbe::measure(ThreadPool &pool, int passes) {
  if (!data_)
    return 0;
  int tasks = pool.size();
  // Each task reads one contiguous slice, a multiple of 32 words.
  size_t wordsPerTask = bytes_ / sizeof(uint64_t) / size_t(tasks) / 32 * 32;
  sinks_ = std::make_unique<uint64_t[]>(size_t(tasks));
  ProbeJob job{data_, wordsPerTask, sinks_.get()};
  double best = 0;
  for (int pass = 0; pass < std::max(passes, 1); ++pass) {
    auto start = std::chrono::steady_clock::now();
    pool.parallelFor(
        tasks,
        [](int64_t task, void *data) {
          auto *j = static_cast<ProbeJob *>(data);
          j->sinks[task] += sumWords(j->data + size_t(task) * j->wordsPerTask, j->wordsPerTask);
        },
        &job);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double rate = double(wordsPerTask * size_t(tasks) * sizeof(uint64_t)) / seconds;
    best = std::max(best, rate);
  }
  return best;
}

} // namespace r1::runtime
