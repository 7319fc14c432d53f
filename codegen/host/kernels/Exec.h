//===- Exec.h - Host kernels: weight types and the task runner ------------===//
//
// Every host kernel takes an Exec: the runtime's parallel_for (r1_step_args)
// plus the precision mode. Kernels split their work into independent tasks
// and hand them to Exec::run; they never start threads of their own.
//
// The generated code writes R1Abi.h next to this header (a flat directory),
// while the source tree keeps it in runtime/; both layouts are accepted.
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_EXEC_H
#define R1HK_EXEC_H

#if __has_include("R1Abi.h")
#include "R1Abi.h"
#else
#include "runtime/R1Abi.h"
#endif

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace r1hk {

/// Element type of a weight array; BF16 and F16 are stored as uint16_t bits,
/// F8E4M3 (e4m3fn: bias 7, no infinities, 0x7f/0xff NaN) as uint8_t bits with
/// block scales beside it (see linear's `scales`).
enum class WType { F32, BF16, F16, F8E4M3 };

/// The C++ type one weight element is stored as.
template <WType WT>
using WElem = std::conditional_t<WT == WType::F32, float,
                                 std::conditional_t<WT == WType::F8E4M3, uint8_t, uint16_t>>;

/// FP8 weights carry one f32 scale per 128 consecutive elements of a row.
constexpr int64_t kF8Block = 128;

struct Exec {
  r1_parallel_for_fn parallelFor = nullptr;
  void *pool = nullptr;
  int32_t threads = 1;
  bool fp32 = false; // R1_PRECISION_FP32: exact weights, fp32 activations

  /// Calls f(task) for every task in [0, tasks). Inline when there is a
  /// single task or thread: parallel_for costs microseconds per call, which
  /// is the whole budget of a small decode kernel.
  template <class F>
  void run(int64_t tasks, F &&f) const {
    if (tasks <= 0)
      return;
    if (tasks == 1 || threads <= 1 || !parallelFor) {
      for (int64_t t = 0; t < tasks; ++t)
        f(t);
      return;
    }
    using Fn = std::remove_reference_t<F>;
    r1_task_fn trampoline = [](int64_t task, void *data) { (*static_cast<Fn *>(data))(task); };
    parallelFor(pool, tasks, trampoline, const_cast<void *>(static_cast<const void *>(&f)));
  }

  /// Tasks for `units` independent pieces of work: about four per thread
  /// (so that uneven tasks balance), one when there is a single thread.
  int64_t taskCount(int64_t units) const {
    int64_t most = threads > 1 ? 4 * int64_t(threads) : 1;
    return units < most ? units : most;
  }
};

namespace detail {

constexpr int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
constexpr int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }
constexpr int64_t minI(int64_t a, int64_t b) { return a < b ? a : b; }
constexpr int64_t maxI(int64_t a, int64_t b) { return a > b ? a : b; }

/// Runs f(begin, end) over `rows` rows split into Exec::taskCount ranges;
/// one inline call when the whole job is below `inlineElems` elements.
template <class F>
void forRowRanges(const Exec &ex, int64_t rows, int64_t rowElems, int64_t inlineElems, F &&f) {
  if (rows <= 0)
    return;
  int64_t tasks = rows * rowElems <= inlineElems ? 1 : ex.taskCount(rows);
  int64_t per = ceilDiv(rows, tasks);
  ex.run(ceilDiv(rows, per), [&](int64_t task) {
    int64_t begin = task * per;
    f(begin, minI(rows, begin + per));
  });
}

/// A per-thread scratch array that only grows: for rows too long for the
/// stack. Slot tells apart buffers that are live at the same time.
template <class T, int kSlot>
T *threadScratch(size_t count) {
  static thread_local std::vector<T> buffer;
  if (buffer.size() < count)
    buffer.resize(count);
  return buffer.data();
}

} // namespace detail
} // namespace r1hk

#endif // R1HK_EXEC_H
