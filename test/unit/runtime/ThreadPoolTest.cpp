//===- ThreadPoolTest.cpp - Every task exactly once, under contention -----===//

#include "runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace r1::runtime {
namespace {

struct Counters {
  std::vector<std::atomic<int>> hits;
  std::atomic<int64_t> spin{0};
  explicit Counters(size_t n) : hits(n) {}
};

void countTask(int64_t task, void *data) {
  auto *counters = static_cast<Counters *>(data);
  counters->hits[static_cast<size_t>(task)].fetch_add(1);
  // A little uneven work, so tasks finish out of order.
  for (int64_t i = 0; i < (task % 7) * 50; ++i)
    counters->spin.fetch_add(1, std::memory_order_relaxed);
}

/// Runs `calls` jobs of 0..maxTasks tasks and checks each task ran once.
void checkExactlyOnce(ThreadPool &pool, int calls, int64_t maxTasks, bool pauseBetween) {
  for (int call = 0; call < calls; ++call) {
    int64_t n = (call * 37) % (maxTasks + 1);
    Counters counters(static_cast<size_t>(n));
    pool.parallelFor(n, countTask, &counters);
    for (int64_t t = 0; t < n; ++t)
      ASSERT_EQ(counters.hits[static_cast<size_t>(t)].load(), 1)
          << "call " << call << ", task " << t << " of " << n;
    // Long enough for the workers to stop spinning and sleep on the futex.
    if (pauseBetween && call % 10 == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST(ThreadPool, SingleThreadRunsInline) {
  ThreadPool pool(1);
  EXPECT_EQ(pool.size(), 1);
  checkExactlyOnce(pool, 50, 100, false);
}

TEST(ThreadPool, EveryTaskExactlyOnce) {
  ThreadPool pool(4);
  EXPECT_EQ(pool.size(), 4);
  checkExactlyOnce(pool, 3000, 200, false);
}

TEST(ThreadPool, EveryTaskExactlyOnceWithSleepingWorkers) {
  ThreadPool pool(3);
  checkExactlyOnce(pool, 300, 64, true);
}

// More threads than cores (this machine has 2), and several pools each
// driven by its own thread at once.
TEST(ThreadPool, EveryTaskExactlyOnceUnderContention) {
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int c = 0; c < 3; ++c)
    callers.emplace_back([&failures, c] {
      ThreadPool pool(3 + c);
      for (int call = 0; call < 500; ++call) {
        int64_t n = (call * 13 + c) % 97;
        Counters counters(static_cast<size_t>(n));
        pool.parallelFor(n, countTask, &counters);
        for (int64_t t = 0; t < n; ++t)
          if (counters.hits[static_cast<size_t>(t)].load() != 1)
            failures.fetch_add(1);
      }
    });
  for (std::thread &caller : callers)
    caller.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(ThreadPool, UsesMoreThanOneThread) {
  ThreadPool pool(2);
  std::mutex mutex;
  std::set<std::thread::id> ids;
  struct Data {
    std::mutex *mutex;
    std::set<std::thread::id> *ids;
  } data{&mutex, &ids};
  // Slow tasks: the worker wakes up and joins before the caller runs out.
  for (int attempt = 0; attempt < 50 && ids.size() < 2; ++attempt)
    pool.parallelFor(
        16,
        [](int64_t, void *p) {
          auto *d = static_cast<Data *>(p);
          std::this_thread::sleep_for(std::chrono::microseconds(200));
          std::lock_guard<std::mutex> lock(*d->mutex);
          d->ids->insert(std::this_thread::get_id());
        },
        &data);
  EXPECT_EQ(ids.size(), 2u);
}

TEST(ThreadPool, NestedCallsRunInline) {
  ThreadPool pool(3);
  struct Nested {
    ThreadPool *pool;
    std::atomic<int> inner{0};
  } nested{&pool};
  pool.parallelFor(
      8,
      [](int64_t, void *p) {
        auto *n = static_cast<Nested *>(p);
        n->pool->parallelFor(
            5, [](int64_t, void *q) { static_cast<Nested *>(q)->inner.fetch_add(1); }, n);
      },
      &nested);
  EXPECT_EQ(nested.inner.load(), 40);
}

TEST(ThreadPool, AbiEntryPoint) {
  ThreadPool pool(2);
  Counters counters(10);
  r1_parallel_for_fn entry = &ThreadPool::parallelForEntry;
  entry(&pool, 10, countTask, &counters);
  for (auto &hit : counters.hits)
    EXPECT_EQ(hit.load(), 1);
  EXPECT_GE(defaultThreadCount(), 1);
}

} // namespace
} // namespace r1::runtime
