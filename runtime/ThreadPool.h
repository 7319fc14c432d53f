//===- ThreadPool.h - Persistent workers behind r1_parallel_for -----------===//
//
// The generated code calls parallel_for about ten times per layer in a decode
// step, each with a few microseconds of work, so the cost that matters is
// dispatch latency: workers are created once, spin briefly on an atomic
// generation counter after each job (the next one usually follows at once),
// and only then sleep on a futex. The calling thread takes part, so a pool of
// N threads has N - 1 workers.
//
// A job is published by bumping a 64-bit state word that holds the generation,
// an "open" bit and the count of workers that joined. A worker joins with a
// compare-and-swap on that word, so once the caller has closed the job (its
// tasks all claimed) a late worker cannot join it: the caller waits only for
// workers that joined, never for sleepers to wake up.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_THREADPOOL_H
#define R1C_RUNTIME_THREADPOOL_H

#include "runtime/R1Abi.h"

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace r1::runtime {

class ThreadPool {
public:
  /// `threads` >= 1 threads in all, counting the caller of parallelFor.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  /// Runs fn(task, data) for every task in [0, numTasks) exactly once, on
  /// the pool's threads and the caller; returns when all have finished. One
  /// caller at a time; a task must not call parallelFor on the same pool.
  void parallelFor(int64_t numTasks, r1_task_fn fn, void *data);

  /// An r1_parallel_for_fn for r1_step_args; `pool` is a ThreadPool*.
  static void parallelForEntry(void *pool, int64_t numTasks, r1_task_fn fn, void *data);

private:
  void workerLoop();
  void runTasks();

  std::vector<std::thread> workers_;

  // The job being run; written by the caller before the state word opens it.
  r1_task_fn fn_ = nullptr;
  void *data_ = nullptr;
  int64_t numTasks_ = 0;
  alignas(64) std::atomic<int64_t> nextTask_{0};

  // bits 63..32 generation, bit 31 open, bits 30..0 workers joined.
  alignas(64) std::atomic<uint64_t> state_{0};
  // Workers that joined the current job and are done with it.
  alignas(64) std::atomic<uint32_t> left_{0};
  // The futex word sleepers wait on: the low 32 bits of the generation, or
  // kStop's bit when the pool shuts down.
  alignas(64) std::atomic<uint32_t> wake_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
};

/// Threads to use by default: the CPUs this process may run on.
int defaultThreadCount();

} // namespace r1::runtime

#endif // R1C_RUNTIME_THREADPOOL_H
