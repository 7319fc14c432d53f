//===- R1CudaEmu.h - CUDA's execution model emulated on the host ----------===//
//
// Lets a CUDA kernel written against R1Cuda.h compile as plain C++ and run on
// the CPU, so that CI without a GPU can check it numerically. Host only;
// kernels include R1Cuda.h, never this file.
//
// How a launch runs:
//  - The grid's blocks run one after another, in the order of their linear
//    index (x fastest). Launches are synchronous and serialized (one at a time
//    in the process); streams are accepted and ignored.
//  - Every thread of a block is an OS thread: a pool of workers, one per thread
//    index, created on demand and reused across blocks and launches. Worker i
//    plays thread i (linear index x + y*Dx + z*Dx*Dy) of every block; warp w is
//    threads 32w..32w+31, as on the GPU.
//  - __syncthreads() is a real barrier over the block's threads; a warp
//    operation (__shfl*_sync, votes, __syncwarp) is a real barrier over the
//    lanes of its mask, which also exchanges the lanes' values. Arrivals take
//    one mutex per launch; waiters sleep on an atomic (C++20 wait/notify)
//    that the last arrival releases, so a barrier orders memory as
//    __syncthreads and __syncwarp do.
//  - Between blocks every thread waits at an end-of-block barrier, so a block
//    starts only after all threads of the previous one have returned: that is
//    what makes R1_SHARED (a function-local `static`) one array per block.
//
// Errors (thrown as r1cuda::LaunchError from the launch; without exceptions
// printed and std::abort()):
//  - Deadlock, detected exactly: when every thread of the block waits (at
//    __syncthreads, at a warp operation, or at the end of the block after
//    returning) and no barrier can complete, e.g. a thread that returns or
//    branches around a __syncthreads the others wait at. The message names the
//    block and where its threads wait.
//  - A kernel still running after the launch timeout (60 s, environment
//    R1CUDA_EMU_TIMEOUT_S, or setLaunchTimeout()): a thread spinning on memory.
//    Waiting threads and threads that call an atomic, __threadfence or
//    __nanosleep are stopped and the launch throws; a thread spinning on plain
//    loads cannot be interrupted, so after 2 s more the process aborts with
//    the message rather than hang CI.
//  - An invalid configuration (more than 1024 threads per block, more dynamic
//    shared memory than sm_90's 227 KiB), a warp mask without the caller's
//    lane, lanes of one mask in different warp operations, an exception
//    thrown by the kernel.
//
// Not emulated: the memory model beyond barriers, atomics and fences (a kernel
// that shares data between threads without them is racy here as on the GPU,
// but fails differently; ThreadSanitizer finds such races); blocks running
// concurrently (a block that waits for another block's flag never sees it:
// the timeout reports it); lanes of a warp running in lockstep (code that
// relies on implicit warp synchronicity without __syncwarp is wrong on
// sm_70+ too); tensor cores (mma, wgmma), TMA, async copies, clusters;
// the limits (registers, static shared memory) and the speed of hardware.
// Where CUDA leaves a result undefined, the emulator picks one: a shuffle
// from a lane outside the mask returns the caller's value; R1_SHARED memory
// keeps the previous block's values.
//
//===----------------------------------------------------------------------===//
#ifndef R1CUDA_EMU_H
#define R1CUDA_EMU_H

#if defined(__CUDACC__)
#error "R1CudaEmu.h is the host emulation of CUDA; kernels include R1Cuda.h"
#endif

#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <semaphore>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#define R1CUDA_EMU_EXCEPTIONS 1
#else
#define R1CUDA_EMU_EXCEPTIONS 0
#endif

//===----------------------------------------------------------------------===//
// CUDA's built-in types and variables (global namespace, as under nvcc)
//===----------------------------------------------------------------------===//

struct uint3 {
  unsigned x = 0, y = 0, z = 0;
};

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
};

/// Accepted by launches and ignored: every launch is synchronous.
using cudaStream_t = struct CUstream_st *;

// Set by the launcher in each worker before it runs the kernel.
inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;
inline constexpr int warpSize = 32;

/// bf16 on the host: its bits, in a struct so that, as with CUDA's
/// __nv_bfloat16, arithmetic and implicit float conversions do not compile
/// (an integer alias would silently accept `bf16 x = 1.5f`). Same size and
/// bits as the uint16_t weights of the host kernels.
struct __nv_bfloat16 {
  uint16_t bits;
};

namespace r1cuda {

/// A launch that could not run or did not complete: the message names the
/// kernel, the block and what went wrong.
#if R1CUDA_EMU_EXCEPTIONS
class LaunchError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};
#endif

namespace detail {

inline std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
inline std::string format(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

[[noreturn]] inline void fatal(const std::string &msg) {
  std::fprintf(stderr, "r1cuda emulator: %s\n", msg.c_str());
  std::fflush(stderr);
  std::abort();
}

/// Thrown inside an emulated thread to leave a failed launch.
struct Abort {};

/// Where an emulated thread is, for deadlock detection and its message.
enum class Where : uint8_t { Running, SyncThreads, Warp, Returned };

/// Warp operations that may meet at one barrier; two different ones with the
/// same mask at the same time are a divergence error.
enum class WarpOp : uint8_t { Sync, Shuffle, Vote };

/// One warp operation: the lanes of `mask` meet here and publish a value
/// each. Pending until all have arrived, then readable until all have read
/// (`readers` back to 0), then free for the next operation of the warp.
struct WarpGroup {
  uint32_t mask = 0, arrived = 0; // guarded by Launch::m, as is `pending`
  bool pending = false;
  WarpOp op = WarpOp::Sync;
  const char *name = "";
  std::atomic<uint32_t> word{0};    // as Launch::barrierWord
  std::atomic<unsigned> readers{0}; // lanes yet to read `values`
  uint64_t values[32] = {};
};

struct WarpState {
  // A lane is in at most one group at a time, so 32 always suffice.
  WarpGroup groups[32];
};

/// The state of one launch, shared by its worker threads. All barrier state is
/// guarded by `m`; one mutex for the block keeps the deadlock test exact.
struct Launch {
  const char *kernel = "kernel";
  void (*thunk)(const void *) = nullptr; // runs the kernel with its arguments
  const void *closure = nullptr;
  dim3 grid, block;
  unsigned threads = 0, warps = 0;
  uint64_t blocks = 0;
  unsigned char *shared = nullptr; // dynamic shared memory of the running block
  size_t sharedBytes = 0;

  std::mutex m;
  std::condition_variable doneCv;
  uint64_t blockLinear = 0; // linear index of the running block
  bool moreBlocks = false;
  // The block-wide barriers' generations: +2 per completion, bit 0 set when the
  // launch fails. Waiters sleep on them with atomic wait (outside `m`), which
  // costs less than a condition variable whose waiters all retake the mutex.
  std::atomic<uint32_t> barrierWord{0}, endWord{0};
  unsigned barrierArrived = 0, barrierCount = 0, barrierResult[2] = {};
  unsigned endArrived = 0;
  unsigned waiting = 0;  // threads blocked at any barrier
  unsigned finished = 0; // workers done with the launch
  std::vector<Where> where;
  std::unique_ptr<WarpState[]> warpState;
  std::atomic<bool> failed{false};
  std::string error;

  uint3 blockIndex(uint64_t b) const {
    return {unsigned(b % grid.x), unsigned(b / grid.x % grid.y), unsigned(b / grid.x / grid.y)};
  }
  uint3 threadIndex(unsigned t) const {
    return {t % block.x, t / block.x % block.y, t / block.x / block.y};
  }
  uint32_t lanesOf(unsigned warp) const {
    unsigned n = threads - warp * 32;
    return n >= 32 ? 0xffffffffu : (1u << n) - 1;
  }

  /// Records the first error and wakes every waiting thread; they leave with
  /// Abort. `m` must be held.
  void failLocked(std::string msg) {
    if (!failed.load(std::memory_order_relaxed)) {
      uint3 b = blockIndex(blockLinear);
      error = format("%s, block (%u,%u,%u): ", kernel, b.x, b.y, b.z) + msg;
#if !R1CUDA_EMU_EXCEPTIONS
      fatal(error); // before waking anyone, so that it is said once
#endif
      failed.store(true, std::memory_order_relaxed);
      barrierWord.fetch_or(1);
      barrierWord.notify_all();
      endWord.fetch_or(1);
      endWord.notify_all();
      for (unsigned w = 0; w < warps; ++w)
        for (WarpGroup &g : warpState[w].groups) {
          g.word.fetch_or(1);
          g.word.notify_all();
        }
    }
#if !R1CUDA_EMU_EXCEPTIONS
    fatal(error);
#endif
  }

  [[noreturn]] void leave() {
#if R1CUDA_EMU_EXCEPTIONS
    throw Abort{};
#else
    fatal(error);
#endif
  }

  void checkFailed() {
    if (failed.load(std::memory_order_relaxed))
      leave();
  }

  /// Sleeps until `word` moves on from `gen`; leaves if the launch failed.
  void awaitGeneration(std::atomic<uint32_t> &word, uint32_t gen) {
    uint32_t now;
    while ((now = word.load(std::memory_order_acquire)) == gen)
      word.wait(gen, std::memory_order_acquire);
    if (now & 1)
      leave();
  }

  /// Called by a thread about to wait: if every thread now waits, none can
  /// ever release the others.
  void enterWait(unsigned t, Where w) {
    where[t] = w;
    if (++waiting == threads) {
      failLocked("deadlock: " + describeWaits());
      leave();
    }
  }

  std::string describeWaits() const {
    std::string out;
    auto add = [&](Where w, const char *what) {
      unsigned n = 0, first = 0;
      for (unsigned t = 0; t < threads; ++t)
        if (where[t] == w && n++ == 0)
          first = t;
      if (n == 0)
        return;
      uint3 i = threadIndex(first);
      out += format("%s%u thread%s %s (first: thread (%u,%u,%u))", out.empty() ? "" : "; ", n,
                    n == 1 ? "" : "s", what, i.x, i.y, i.z);
    };
    add(Where::SyncThreads, "wait in __syncthreads");
    add(Where::Returned, "returned from the kernel");
    for (unsigned w = 0; w < warps; ++w)
      for (const WarpGroup &g : warpState[w].groups)
        if (g.pending)
          out += format("; warp %u: lanes 0x%08x of mask 0x%08x wait in %s", w, g.arrived, g.mask,
                        g.name);
    unsigned running = 0;
    for (Where w : where)
      running += w == Where::Running;
    if (running)
      out += format("; %u thread%s running", running, running == 1 ? "" : "s");
    return out;
  }

  /// __syncthreads and its _count/_and/_or forms: returns how many threads
  /// passed a non-zero predicate.
  unsigned syncThreads(unsigned t, int pred) {
    std::unique_lock<std::mutex> lk(m);
    checkFailed();
    const uint32_t gen = barrierWord.load(std::memory_order_relaxed);
    // Results alternate between two slots: the next-but-one generation, which
    // reuses this slot, cannot complete before this thread has read it.
    const unsigned slot = gen >> 1 & 1;
    barrierCount += pred != 0;
    if (++barrierArrived == threads) {
      barrierResult[slot] = barrierCount;
      barrierArrived = barrierCount = 0;
      waiting -= threads - 1;
      for (Where &w : where)
        w = Where::Running;
      // Release: the waiters see every write made before any thread arrived.
      barrierWord.store(gen + 2, std::memory_order_release);
      lk.unlock();
      barrierWord.notify_all();
      return barrierResult[slot];
    }
    enterWait(t, Where::SyncThreads);
    lk.unlock();
    awaitGeneration(barrierWord, gen);
    return barrierResult[slot];
  }

  /// The end-of-block barrier: returns whether another block follows.
  bool endBlock(unsigned t) {
    std::unique_lock<std::mutex> lk(m);
    checkFailed();
    const uint32_t gen = endWord.load(std::memory_order_relaxed);
    if (++endArrived == threads) {
      endArrived = 0;
      waiting -= threads - 1;
      for (Where &w : where)
        w = Where::Running;
      moreBlocks = ++blockLinear < blocks;
      if (moreBlocks && sharedBytes)
        std::memset(shared, 0xff, sharedBytes); // see execute(): poison for the next block
      endWord.store(gen + 2, std::memory_order_release);
      lk.unlock();
      endWord.notify_all();
      return moreBlocks;
    }
    enterWait(t, Where::Returned);
    lk.unlock();
    awaitGeneration(endWord, gen);
    // Not written again before this thread arrives at the next block's end.
    return moreBlocks;
  }

  /// A warp operation: the lanes of `mask` (restricted to the lanes that exist)
  /// meet, each publishing `value`; `read(group, lane)` runs once all have
  /// arrived and its result is returned.
  template <typename Read>
  auto warpExchange(unsigned t, WarpOp op, const char *name, uint32_t mask, uint64_t value,
                    Read &&read) {
    const unsigned warp = t / 32, lane = t % 32;
    std::unique_lock<std::mutex> lk(m);
    checkFailed();
    mask &= lanesOf(warp);
    if (!(mask >> lane & 1)) {
      failLocked(format("thread %u (warp %u, lane %u) calls %s with mask 0x%08x, which does not "
                        "name its lane",
                        t, warp, lane, name, mask));
      leave();
    }
    WarpState &ws = warpState[warp];
    WarpGroup *g = nullptr, *free = nullptr;
    for (WarpGroup &c : ws.groups) {
      if (c.pending && c.mask == mask)
        g = &c;
      // Acquire: the last reader of the previous operation here is done.
      else if (!c.pending && !free && c.readers.load(std::memory_order_acquire) == 0)
        free = &c;
    }
    if (!g) {
      g = free;
      g->pending = true, g->mask = mask, g->arrived = 0, g->op = op, g->name = name;
    } else if (g->op != op) {
      failLocked(format("warp %u: lane %u calls %s while lanes 0x%08x of the same mask 0x%08x "
                        "wait in %s",
                        warp, lane, name, g->arrived, mask, g->name));
      leave();
    }
    g->values[lane] = value;
    g->arrived |= 1u << lane;
    const uint32_t gen = g->word.load(std::memory_order_relaxed);
    if (g->arrived == mask) {
      const unsigned lanes = unsigned(std::popcount(mask));
      g->pending = false;
      waiting -= lanes - 1;
      for (uint32_t bits = mask; bits; bits &= bits - 1)
        where[warp * 32 + unsigned(std::countr_zero(bits))] = Where::Running;
      auto result = read(*g, lane);
      g->readers.store(lanes - 1, std::memory_order_relaxed);
      g->word.store(gen + 2, std::memory_order_release);
      lk.unlock();
      g->word.notify_all();
      return result;
    }
    enterWait(t, Where::Warp);
    lk.unlock();
    // The group cannot be reused before this lane has read it.
    awaitGeneration(g->word, gen);
    auto result = read(*g, lane);
    g->readers.fetch_sub(1, std::memory_order_release);
    return result;
  }
};

// The emulated thread's view of its launch (null outside a kernel).
inline thread_local Launch *tlsLaunch = nullptr;
inline thread_local unsigned tlsThread = 0; // linear thread index in the block

inline Launch &current(const char *what) {
  if (!tlsLaunch)
    fatal(std::string(what) + " called outside a kernel launch");
  return *tlsLaunch;
}

/// Stops a thread of a failed or timed-out launch at an atomic, a fence or a
/// sleep: the points where a kernel spinning on memory can be interrupted.
inline void checkpoint() {
  if (Launch *l = tlsLaunch; l && l->failed.load(std::memory_order_relaxed))
    l->leave();
}

/// Runs one worker's part of a launch: thread `t` of every block.
inline void runThread(Launch &l, unsigned t) {
  tlsLaunch = &l;
  tlsThread = t;
  threadIdx = l.threadIndex(t);
  blockDim = l.block;
  gridDim = l.grid;
#if R1CUDA_EMU_EXCEPTIONS
  try {
#endif
    for (uint64_t b = 0;; ++b) {
      blockIdx = l.blockIndex(b);
      l.thunk(l.closure);
      if (!l.endBlock(t))
        break;
    }
#if R1CUDA_EMU_EXCEPTIONS
  } catch (const Abort &) {
  } catch (const std::exception &e) {
    std::lock_guard<std::mutex> lk(l.m);
    l.failLocked(
        format("thread (%u,%u,%u) threw: %s", threadIdx.x, threadIdx.y, threadIdx.z, e.what()));
  } catch (...) {
    std::lock_guard<std::mutex> lk(l.m);
    l.failLocked(
        format("thread (%u,%u,%u) threw an exception", threadIdx.x, threadIdx.y, threadIdx.z));
  }
#endif
  tlsLaunch = nullptr;
  std::lock_guard<std::mutex> lk(l.m);
  // Notified under the lock: the launcher destroys `l` once it can take it.
  if (++l.finished == l.threads)
    l.doneCv.notify_one();
}

/// The worker threads, one per thread index, started on demand and kept for
/// the process's lifetime.
class Pool {
public:
  static Pool &get() {
    static Pool pool;
    return pool;
  }

  std::mutex launchMutex; // one launch at a time

  void run(Launch *l) {
    while (workers.size() < l->threads) {
      auto sem = std::make_unique<std::binary_semaphore>(0);
      std::binary_semaphore *s = sem.get();
      unsigned id = unsigned(workers.size());
      sems.push_back(std::move(sem));
      workers.emplace_back([this, s, id] {
        for (;;) {
          s->acquire();
          if (stop)
            return;
          runThread(*launch, id);
        }
      });
    }
    launch = l;
    for (unsigned i = 0; i < l->threads; ++i)
      sems[i]->release();
  }

  ~Pool() {
    stop = true;
    for (auto &s : sems)
      s->release();
    for (std::thread &w : workers)
      w.join();
  }

private:
  Pool() = default;
  std::vector<std::thread> workers;
  std::vector<std::unique_ptr<std::binary_semaphore>> sems;
  Launch *launch = nullptr; // published to workers by their semaphore
  bool stop = false;
};

inline std::atomic<int64_t> &timeoutMs() {
  static std::atomic<int64_t> ms = [] {
    const char *env = std::getenv("R1CUDA_EMU_TIMEOUT_S");
    double s = env ? std::atof(env) : 0;
    return int64_t(s > 0 ? s * 1000 : 60000);
  }();
  return ms;
}

[[noreturn]] inline void launchError(const std::string &msg) {
#if R1CUDA_EMU_EXCEPTIONS
  throw LaunchError(msg);
#else
  fatal(msg);
#endif
}

/// Runs a launch to completion on the pool (blocking).
inline void execute(Launch &l) {
  const char *k = l.kernel;
  if (tlsLaunch)
    launchError(
        format("%s: launched from inside a kernel (dynamic parallelism is not emulated)", k));
  dim3 b = l.block, g = l.grid;
  uint64_t threads = uint64_t(b.x) * b.y * b.z;
  if (!b.x || !b.y || !b.z || b.x > 1024 || b.y > 1024 || b.z > 64 || threads > 1024)
    launchError(format("%s: block (%u,%u,%u) is not a valid CUDA block (at most 1024 threads, "
                       "z at most 64)",
                       k, b.x, b.y, b.z));
  if (!g.x || !g.y || !g.z || g.x > 0x7fffffffu || g.y > 65535 || g.z > 65535)
    launchError(format("%s: grid (%u,%u,%u) is not a valid CUDA grid", k, g.x, g.y, g.z));
  // sm_90's limit; sm_80 allows 163 KiB and sm_89 99 KiB (a kernel also needs an opt-in
  // cudaFuncSetAttribute above 48 KiB there).
  constexpr size_t kMaxShared = 227 * 1024;
  if (l.sharedBytes > kMaxShared)
    launchError(format("%s: %zu bytes of dynamic shared memory; the most any target allows is %zu",
                       k, l.sharedBytes, kMaxShared));

  l.threads = unsigned(threads);
  l.warps = (l.threads + 31) / 32;
  l.blocks = uint64_t(g.x) * g.y * g.z;
  l.where.assign(l.threads, Where::Running);
  l.warpState = std::make_unique<WarpState[]>(l.warps);
  // Dynamic shared memory starts every block as 0xff bytes (NaN as float, -1 as
  // int): a kernel reading what it did not write sees garbage, as on a GPU.
  struct Free {
    void operator()(unsigned char *p) const { ::operator delete(p, std::align_val_t(128)); }
  };
  std::unique_ptr<unsigned char, Free> shared(
      static_cast<unsigned char *>(::operator new(l.sharedBytes + 16, std::align_val_t(128))));
  l.shared = shared.get();
  std::memset(l.shared, 0xff, l.sharedBytes);

  Pool &pool = Pool::get();
  std::lock_guard<std::mutex> launchLock(pool.launchMutex);
  pool.run(&l);

  std::unique_lock<std::mutex> lk(l.m);
  auto done = [&] { return l.finished == l.threads; };
  const auto timeout = std::chrono::milliseconds(timeoutMs().load());
  if (!l.doneCv.wait_for(lk, timeout, done)) {
    l.failLocked(format("did not finish within %.1f s (R1CUDA_EMU_TIMEOUT_S): ",
                        double(timeout.count()) / 1000) +
                 l.describeWaits());
    // Waiting threads and those at an atomic or fence leave now; one spinning
    // on plain loads never will.
    if (!l.doneCv.wait_for(lk, std::chrono::seconds(2), done))
      fatal(l.error + " (a thread spins without an atomic or fence and cannot be stopped)");
  }
  if (l.failed.load())
    launchError(l.error);
}

template <typename Kernel, typename Params> struct Closure {
  Kernel *kernel;
  Params params;
  // Each thread gets its own copy of the arguments, as kernel parameters are.
  static void run(const void *self) {
    auto *c = static_cast<const Closure *>(self);
    std::apply(c->kernel, c->params);
  }
};

} // namespace detail

/// Launches `kernel` on grid x block threads with `sharedBytes` of dynamic
/// shared memory and returns when it has finished (R1_LAUNCH expands to this).
/// The arguments are converted to the kernel's parameter types once, then
/// copied into every thread.
template <typename... Params, typename... Args>
void launch(const char *name, void (*kernel)(Params...), dim3 grid, dim3 block, size_t sharedBytes,
            cudaStream_t /*stream*/, Args &&...args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "wrong number of kernel arguments");
  using Tuple = std::tuple<std::decay_t<Params>...>;
  detail::Closure<void(Params...), Tuple> closure{kernel, Tuple(std::forward<Args>(args)...)};
  detail::Launch l;
  l.kernel = name;
  l.thunk = &decltype(closure)::run;
  l.closure = &closure;
  l.grid = grid;
  l.block = block;
  l.sharedBytes = sharedBytes;
  detail::execute(l);
}

/// Upper bound on the time a launch may take before it is stopped as hung.
inline void setLaunchTimeout(std::chrono::milliseconds t) { detail::timeoutMs() = t.count(); }
inline std::chrono::milliseconds launchTimeout() {
  return std::chrono::milliseconds(detail::timeoutMs().load());
}

/// The block's dynamic shared memory (`extern __shared__` in CUDA): the
/// launch's `sharedBytes`, 128-byte aligned.
template <typename T> T *dynamicShared() {
  return reinterpret_cast<T *>(detail::current("r1cuda::dynamicShared").shared);
}

} // namespace r1cuda

//===----------------------------------------------------------------------===//
// Synchronization and warp intrinsics
//===----------------------------------------------------------------------===//

inline void __syncthreads() {
  r1cuda::detail::current("__syncthreads").syncThreads(r1cuda::detail::tlsThread, 0);
}
inline int __syncthreads_count(int pred) {
  return int(
      r1cuda::detail::current("__syncthreads_count").syncThreads(r1cuda::detail::tlsThread, pred));
}
inline int __syncthreads_and(int pred) {
  auto &l = r1cuda::detail::current("__syncthreads_and");
  return l.syncThreads(r1cuda::detail::tlsThread, pred) == l.threads;
}
inline int __syncthreads_or(int pred) {
  return r1cuda::detail::current("__syncthreads_or").syncThreads(r1cuda::detail::tlsThread, pred) !=
         0;
}

/// The lanes of the caller's warp that exist (a partial last warp has fewer);
/// the emulator has no divergence, so these are all active.
inline unsigned __activemask() {
  auto &l = r1cuda::detail::current("__activemask");
  return l.lanesOf(r1cuda::detail::tlsThread / 32);
}

inline void __syncwarp(unsigned mask = 0xffffffffu) {
  r1cuda::detail::current("__syncwarp")
      .warpExchange(r1cuda::detail::tlsThread, r1cuda::detail::WarpOp::Sync, "__syncwarp", mask, 0,
                    [](const r1cuda::detail::WarpGroup &, unsigned) { return 0; });
}

namespace r1cuda::detail {

template <typename T>
concept Shuffleable = std::is_trivially_copyable_v<T> && sizeof(T) <= 8;

/// The shuffles: `source(lane)` gives the lane to read, or the caller's own
/// lane when CUDA returns the caller's value. Reading a lane outside the mask
/// is undefined in CUDA; here it returns the caller's value.
template <Shuffleable T, typename Source>
T shuffle(const char *name, unsigned mask, T var, int width, Source source) {
  Launch &l = current(name);
  if (width <= 0 || width > 32 || (width & (width - 1))) {
    std::lock_guard<std::mutex> lk(l.m);
    l.failLocked(format("%s: width %d is not a power of two in [1, 32]", name, width));
    l.leave();
  }
  uint64_t bits = 0;
  std::memcpy(&bits, &var, sizeof(T));
  uint64_t got = l.warpExchange(
      tlsThread, WarpOp::Shuffle, name, mask, bits, [&](const WarpGroup &g, unsigned lane) {
        unsigned src = source(lane, unsigned(width));
        return src < 32 && (g.mask >> src & 1) ? g.values[src] : g.values[lane];
      });
  T out;
  std::memcpy(&out, &got, sizeof(T));
  return out;
}

inline uint32_t vote(const char *name, unsigned mask, int pred) {
  return current(name).warpExchange(tlsThread, WarpOp::Vote, name, mask, pred != 0,
                                    [](const WarpGroup &g, unsigned) {
                                      uint32_t b = 0;
                                      for (unsigned i = 0; i < 32; ++i)
                                        b |= uint32_t(g.mask >> i & 1 && g.values[i]) << i;
                                      return b;
                                    });
}

} // namespace r1cuda::detail

/// var of lane srcLane (modulo width) of the caller's width-lane segment.
template <r1cuda::detail::Shuffleable T>
T __shfl_sync(unsigned mask, T var, int srcLane, int width = warpSize) {
  return r1cuda::detail::shuffle("__shfl_sync", mask, var, width, [=](unsigned lane, unsigned w) {
    return (lane & ~(w - 1)) + (unsigned(srcLane) & (w - 1));
  });
}

/// var of lane - delta, or the caller's own var when that leaves its segment.
template <r1cuda::detail::Shuffleable T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  return r1cuda::detail::shuffle(
      "__shfl_up_sync", mask, var, width,
      [=](unsigned lane, unsigned w) { return (lane & (w - 1)) >= delta ? lane - delta : lane; });
}

/// var of lane + delta, or the caller's own var when that leaves its segment.
template <r1cuda::detail::Shuffleable T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  return r1cuda::detail::shuffle("__shfl_down_sync", mask, var, width,
                                 [=](unsigned lane, unsigned w) {
                                   return (lane & (w - 1)) + delta < w ? lane + delta : lane;
                                 });
}

/// var of lane ^ laneMask; a lane of a later segment gives the caller's own var
/// (an earlier one is read, as CUDA specifies).
template <r1cuda::detail::Shuffleable T>
T __shfl_xor_sync(unsigned mask, T var, int laneMask, int width = warpSize) {
  return r1cuda::detail::shuffle("__shfl_xor_sync", mask, var, width,
                                 [=](unsigned lane, unsigned w) {
                                   unsigned src = lane ^ unsigned(laneMask);
                                   return src < (lane & ~(w - 1)) + w ? src : lane;
                                 });
}

inline unsigned __ballot_sync(unsigned mask, int pred) {
  return r1cuda::detail::vote("__ballot_sync", mask, pred);
}
inline int __any_sync(unsigned mask, int pred) {
  return r1cuda::detail::vote("__any_sync", mask, pred) != 0;
}
inline int __all_sync(unsigned mask, int pred) {
  // Over the lanes that take part (the mask restricted to existing lanes).
  auto &l = r1cuda::detail::current("__all_sync");
  unsigned m = mask & l.lanesOf(r1cuda::detail::tlsThread / 32);
  return r1cuda::detail::vote("__all_sync", mask, pred) == m;
}

//===----------------------------------------------------------------------===//
// Atomics and fences (relaxed, device scope, as CUDA's atomics; shared and
// global memory alike). Each returns the old value.
//===----------------------------------------------------------------------===//

inline int atomicAdd(int *p, int v) {
  r1cuda::detail::checkpoint();
  return std::atomic_ref<int>(*p).fetch_add(v, std::memory_order_relaxed);
}
inline unsigned atomicAdd(unsigned *p, unsigned v) {
  r1cuda::detail::checkpoint();
  return std::atomic_ref<unsigned>(*p).fetch_add(v, std::memory_order_relaxed);
}
inline float atomicAdd(float *p, float v) {
  r1cuda::detail::checkpoint();
  return std::atomic_ref<float>(*p).fetch_add(v, std::memory_order_relaxed);
}
inline unsigned long long atomicAdd(unsigned long long *p, unsigned long long v) {
  r1cuda::detail::checkpoint();
  return std::atomic_ref<unsigned long long>(*p).fetch_add(v, std::memory_order_relaxed);
}
inline int atomicMax(int *p, int v) {
  r1cuda::detail::checkpoint();
  std::atomic_ref<int> a(*p);
  int old = a.load(std::memory_order_relaxed);
  while (old < v && !a.compare_exchange_weak(old, v, std::memory_order_relaxed))
    ;
  return old;
}
inline int atomicMin(int *p, int v) {
  r1cuda::detail::checkpoint();
  std::atomic_ref<int> a(*p);
  int old = a.load(std::memory_order_relaxed);
  while (old > v && !a.compare_exchange_weak(old, v, std::memory_order_relaxed))
    ;
  return old;
}
inline int atomicCAS(int *p, int compare, int v) {
  r1cuda::detail::checkpoint();
  std::atomic_ref<int>(*p).compare_exchange_strong(compare, v, std::memory_order_relaxed);
  return compare;
}
inline unsigned atomicCAS(unsigned *p, unsigned compare, unsigned v) {
  r1cuda::detail::checkpoint();
  std::atomic_ref<unsigned>(*p).compare_exchange_strong(compare, v, std::memory_order_relaxed);
  return compare;
}
inline int atomicExch(int *p, int v) {
  r1cuda::detail::checkpoint();
  return std::atomic_ref<int>(*p).exchange(v, std::memory_order_relaxed);
}
inline float atomicExch(float *p, float v) {
  r1cuda::detail::checkpoint();
  return std::atomic_ref<float>(*p).exchange(v, std::memory_order_relaxed);
}

inline void __threadfence() {
  r1cuda::detail::checkpoint();
  std::atomic_thread_fence(std::memory_order_seq_cst);
}
inline void __threadfence_block() { __threadfence(); }

/// Sleeps about `ns` nanoseconds (sm_70+); a kernel polling memory should call
/// it (or an atomic) in its loop so that a timeout can stop it.
inline void __nanosleep(unsigned ns) {
  r1cuda::detail::checkpoint();
  std::this_thread::sleep_for(std::chrono::nanoseconds(ns));
}

//===----------------------------------------------------------------------===//
// Math and conversion intrinsics. The device's fast forms (__expf, __fdividef,
// rsqrtf) are approximate to a few ulp; the host computes them more exactly,
// so tests compare with a tolerance, not bit for bit.
//===----------------------------------------------------------------------===//

/// ex2.approx(x * log2(e)) on the device; the product is rounded the same here.
inline float __expf(float x) { return std::exp2(x * 1.44269504088896341f); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
// The correctly rounded forms, which nvcc never fuses into an FMA: one IEEE
// operation each here too (a call boundary, so -ffp-contract=on cannot fuse
// them either).
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }

template <typename T> T __ldg(const T *p) { return *p; }

inline float __uint_as_float(unsigned u) { return std::bit_cast<float>(u); }
inline unsigned __float_as_uint(float f) { return std::bit_cast<unsigned>(f); }
inline float __int_as_float(int i) { return std::bit_cast<float>(i); }
inline int __float_as_int(float f) { return std::bit_cast<int>(f); }
inline int __popc(unsigned x) { return std::popcount(x); }
inline int __clz(int x) { return std::countl_zero(unsigned(x)); }
inline int __ffs(int x) { return x ? std::countr_zero(unsigned(x)) + 1 : 0; }

/// Round to nearest even; every NaN becomes 0x7fff, as cvt.rn.bf16.f32 gives.
inline __nv_bfloat16 __float2bfloat16(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return {0x7fff};
  return {uint16_t((u + 0x7fffu + ((u >> 16) & 1)) >> 16)};
}
inline __nv_bfloat16 __float2bfloat16_rn(float f) { return __float2bfloat16(f); }
inline float __bfloat162float(__nv_bfloat16 h) {
  return std::bit_cast<float>(uint32_t(h.bits) << 16);
}
inline unsigned short __bfloat16_as_ushort(__nv_bfloat16 h) { return h.bits; }
inline __nv_bfloat16 __ushort_as_bfloat16(unsigned short u) { return {u}; }

#endif // R1CUDA_EMU_H
