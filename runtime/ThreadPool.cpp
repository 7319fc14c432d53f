//===- ThreadPool.cpp - Persistent workers behind r1_parallel_for ---------===//

#include "runtime/ThreadPool.h"

#include <chrono>
#include <climits>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace r1::runtime {

namespace {

constexpr uint64_t kOpen = uint64_t(1) << 31;
constexpr uint64_t kJoinedMask = kOpen - 1;

// How long an idle worker spins before it sleeps: long enough to span the
// gap between two parallel_for calls of a decode step (the caller's serial
// work in between), short enough not to burn a core when generation stops.
constexpr auto kSpinBudget = std::chrono::microseconds(200);

void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// std::atomic<uint32_t> has the size and representation of uint32_t, which
// is what the futex system call waits on.
void futexWait(std::atomic<uint32_t> *word, uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<uint32_t *>(word), FUTEX_WAIT_PRIVATE, expected, nullptr,
          nullptr, 0);
}

void futexWakeAll(std::atomic<uint32_t> *word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t *>(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
          nullptr, 0);
}

// The pool whose task this thread is running, to run nested calls inline
// instead of deadlocking.
thread_local const ThreadPool *tInsideJobOf = nullptr;

} // namespace

int defaultThreadCount() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
    return CPU_COUNT(&set);
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i)
    workers_.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  wake_.fetch_add(1);
  futexWakeAll(&wake_);
  for (std::thread &worker : workers_)
    worker.join();
}

void ThreadPool::parallelForEntry(void *pool, int64_t numTasks, r1_task_fn fn, void *data) {
  static_cast<ThreadPool *>(pool)->parallelFor(numTasks, fn, data);
}

void ThreadPool::runTasks() {
  const ThreadPool *outer = tInsideJobOf;
  tInsideJobOf = this;
  for (;;) {
    int64_t task = nextTask_.fetch_add(1, std::memory_order_relaxed);
    if (task >= numTasks_)
      break;
    fn_(task, data_);
  }
  tInsideJobOf = outer;
}

void ThreadPool::parallelFor(int64_t numTasks, r1_task_fn fn, void *data) {
  if (numTasks <= 0)
    return;
  if (workers_.empty() || numTasks == 1 || tInsideJobOf == this) {
    for (int64_t task = 0; task < numTasks; ++task)
      fn(task, data);
    return;
  }

  // 1. Publish the job, then open it under a new generation.
  fn_ = fn;
  data_ = data;
  numTasks_ = numTasks;
  nextTask_.store(0, std::memory_order_relaxed);
  left_.store(0, std::memory_order_relaxed);
  uint64_t generation = (state_.load(std::memory_order_relaxed) >> 32) + 1;
  state_.store(generation << 32 | kOpen, std::memory_order_release);

  // 2. Wake sleepers. seq_cst on wake_ and sleepers_ on both sides: either a
  // worker about to sleep sees the new generation, or we see it counted.
  wake_.store(static_cast<uint32_t>(generation));
  if (sleepers_.load() > 0)
    futexWakeAll(&wake_);

  // 3. Work alongside the workers until every task is claimed.
  runTasks();

  // 4. Close the job so no late worker joins, then wait for those that did.
  uint64_t closed = state_.fetch_and(~kOpen, std::memory_order_acq_rel);
  uint32_t joined = static_cast<uint32_t>(closed & kJoinedMask);
  for (int spins = 0; left_.load(std::memory_order_acquire) != joined; ++spins) {
    if (spins < 4096)
      cpuRelax();
    else
      std::this_thread::yield();
  }
}

void ThreadPool::workerLoop() {
  // 0, the generation before the first job, not wake_'s current value: a
  // worker may start running only after jobs (or the destructor's stop)
  // have already bumped it, and must not wait for a bump that has happened.
  uint32_t seen = 0;
  for (;;) {
    // 1. Wait for a new generation: spin, then sleep on the futex.
    auto spinStart = std::chrono::steady_clock::now();
    for (int spins = 0; wake_.load(std::memory_order_acquire) == seen; ++spins) {
      if ((spins & 255) == 255 && std::chrono::steady_clock::now() - spinStart > kSpinBudget) {
        sleepers_.fetch_add(1);
        while (wake_.load() == seen)
          futexWait(&wake_, seen);
        sleepers_.fetch_sub(1);
        break;
      }
      cpuRelax();
    }
    if (stop_.load())
      return;

    // 2. Join the open job, if any is still open (the caller may already
    // have run every task and closed it).
    uint64_t state = state_.load(std::memory_order_acquire);
    bool joined = false;
    while (state & kOpen) {
      if (state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
        joined = true;
        break;
      }
    }
    seen = static_cast<uint32_t>(state >> 32);
    if (!joined)
      continue;

    // 3. Take tasks until none are left, then report.
    runTasks();
    left_.fetch_add(1, std::memory_order_release);
  }
}

} // namespace r1::runtime
