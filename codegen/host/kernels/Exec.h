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
/// block scales beside it (see linear's `scales`). I8G* and I4G* are
/// group-scaled integers (/work/notes/quant-contract.md): int8 codes, or two
/// int4 codes per byte (element 2j in the low nibble of byte j, 2j+1 in the
/// high one, each stored as q + 8), with one f16 scale per G consecutive
/// elements of a row, G = 32, 64 or 128 as the name says.
enum class WType { F32, BF16, F16, F8E4M3, I8G32, I8G64, I8G128, I4G32, I4G64, I4G128 };

/// FP8 weights carry one f32 scale per 128 consecutive elements of a row.
constexpr int64_t kF8Block = 128;

/// The group-scaled integer types.
constexpr bool isIntW(WType wt) {
  switch (wt) {
  case WType::I8G32: case WType::I8G64: case WType::I8G128:
  case WType::I4G32: case WType::I4G64: case WType::I4G128:
    return true;
  default:
    return false;
  }
}

/// Elements per scale: the integer group, FP8's block, 0 without scales.
constexpr int64_t wGroup(WType wt) {
  switch (wt) {
  case WType::I8G32: case WType::I4G32: return 32;
  case WType::I8G64: case WType::I4G64: return 64;
  case WType::I8G128: case WType::I4G128: return 128;
  case WType::F8E4M3: return kF8Block;
  default: return 0;
  }
}

/// Bits per stored element.
constexpr int wBits(WType wt) {
  switch (wt) {
  case WType::F32: return 32;
  case WType::BF16: case WType::F16: return 16;
  case WType::I4G32: case WType::I4G64: case WType::I4G128: return 4;
  default: return 8; // F8E4M3, I8G*
  }
}

constexpr bool hasScales(WType wt) { return wt == WType::F8E4M3 || isIntW(wt); }

/// Bytes of one stored row of K elements (K even for int4).
constexpr int64_t rowBytes(WType wt, int64_t K) { return K * wBits(wt) / 8; }

/// The C++ type one weight element is stored as (integer types: bytes of
/// codes, so int4 rows are K/2 of them; see detail::rowStride).
template <WType WT>
using WElem = std::conditional_t<
    WT == WType::F32, float,
    std::conditional_t<WT == WType::F8E4M3 || isIntW(WT), uint8_t, uint16_t>>;

/// The C++ type one scale is stored as: f32 for FP8's row-expanded block
/// scales, f16 bits for the integer groups (float, unused, for the others).
template <WType WT>
using ScaleElem = std::conditional_t<isIntW(WT), uint16_t, float>;

/// The kernels' own tiling choices where an artifact records none (R1Abi.h).
constexpr int32_t kDefaultAmxMinTokens = R1_DEFAULT_AMX_MIN_TOKENS;
constexpr int32_t kDefaultAmxMinExpertTokens = R1_DEFAULT_AMX_MIN_EXPERT_TOKENS;
constexpr int32_t kDefaultDecodeTasksPerThread = R1_DEFAULT_DECODE_TASKS_PER_THREAD;
constexpr int32_t kDefaultGemvMaxTokens = R1_DEFAULT_GEMV_MAX_TOKENS;
/// The most tokens the GEMV cores take in one pass (Linear.h).
constexpr int64_t kGemvMaxTokens = R1_MAX_GEMV_TOKENS;

struct Exec {
  r1_parallel_for_fn parallelFor = nullptr;
  void *pool = nullptr;
  int32_t threads = 1;
  bool fp32 = false; // R1_PRECISION_FP32: exact weights, fp32 activations
  /// Integer weights (--quant int8/int4) multiply int8-quantized activations
  /// in the GEMV cores (GemvVnni.h: decode and short steps) and bf16
  /// activations on AMX tiles in prefill (GemmAmx.h); the default
  /// precision's choice for them, off under R1_PRECISION_FP32.
  bool intActivations = false;
  /// Tiling choices (R1Abi.h's r1_tuning; `r1c tune` measures them): a
  /// prefill GEMM runs on AMX tiles from amxMinTokens tokens, an MoE
  /// expert's tile from amxMinExpertTokens tokens routed to it (below, the
  /// per-task packing of the weights into tiles costs more than the fp32
  /// tile's multiplies); decode GEMVs split into decodeTasksPerThread tasks
  /// per thread; linear and gatedLinear steps of at most gemvMaxTokens
  /// tokens take the GEMV cores, each weight block read once for them all.
  int32_t amxMinTokens = kDefaultAmxMinTokens;
  int32_t amxMinExpertTokens = kDefaultAmxMinExpertTokens;
  int32_t decodeTasksPerThread = kDefaultDecodeTasksPerThread;
  int32_t gemvMaxTokens = kDefaultGemvMaxTokens;

  /// Takes the non-zero fields of `tuning` (zero: keep the default).
  void applyTuning(const r1_tuning &tuning) {
    if (tuning.amx_min_tokens > 0)
      amxMinTokens = tuning.amx_min_tokens;
    if (tuning.amx_min_expert_tokens > 0)
      amxMinExpertTokens = tuning.amx_min_expert_tokens;
    if (tuning.decode_tasks_per_thread > 0)
      decodeTasksPerThread = tuning.decode_tasks_per_thread;
    if (tuning.gemv_max_tokens > 0)
      gemvMaxTokens = tuning.gemv_max_tokens < R1_MAX_GEMV_TOKENS ? tuning.gemv_max_tokens
                                                                   : R1_MAX_GEMV_TOKENS;
  }

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

  /// Tasks for `units` independent pieces of work: `perThread` per thread
  /// (about four, so that uneven tasks balance), one when there is a single
  /// thread.
  int64_t taskCount(int64_t units, int64_t perThread = 4) const {
    int64_t most = threads > 1 ? perThread * int64_t(threads) : 1;
    return units < most ? units : most;
  }
};

namespace detail {

constexpr int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
constexpr int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }
constexpr int64_t minI(int64_t a, int64_t b) { return a < b ? a : b; }
constexpr int64_t maxI(int64_t a, int64_t b) { return a > b ? a : b; }

/// WElem<WT>s from one row of K elements to the next.
template <WType WT>
constexpr int64_t rowStride(int64_t K) {
  return rowBytes(WT, K) / int64_t(sizeof(WElem<WT>));
}

/// Row `row` of a [rows, K] weight array of WT.
template <WType WT, int64_t K>
inline const WElem<WT> *weightRow(const WElem<WT> *w, int64_t row) {
  return w + row * rowStride<WT>(K);
}

/// The scales of row `row` of a [rows, K] weight array of WT: FP8 block or
/// integer group scales ([rows, ceil(K / wGroup)]); null for other types.
template <WType WT, int64_t K>
inline const ScaleElem<WT> *scalesOfRow(const void *scales, int64_t row) {
  if constexpr (hasScales(WT))
    return static_cast<const ScaleElem<WT> *>(scales) + row * ceilDiv(K, wGroup(WT));
  (void)scales, (void)row;
  return nullptr;
}

/// Integer weights need whole groups (and so whole bytes of int4 codes).
template <WType WT, int64_t K>
constexpr bool kWholeGroups = !isIntW(WT) || (K % wGroup(WT) == 0);

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

/// threadScratch's byte buffer `kSlot`, at least `bytes` from a 64-byte
/// boundary: for staged rows and packed tiles read with aligned loads.
template <int kSlot>
inline uint8_t *alignedScratch(int64_t bytes) {
  uint8_t *p = threadScratch<uint8_t, kSlot>(size_t(bytes) + 64);
  return p + (64 - reinterpret_cast<uintptr_t>(p) % 64) % 64;
}

} // namespace detail
} // namespace r1hk

#endif // R1HK_EXEC_H
