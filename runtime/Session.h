//===- Session.h - One sequence being run: KV cache, arena, position ------===//
//
// A Session owns what one sequence needs beyond the model: the KV cache
// (kv_bytes_per_token x ctx), the scratch arena (arena_bytes), the thread pool
// and its position. step() feeds tokens through the artifact's entry points in
// chunks of at most max_step_tokens: r1_decode for a one-token chunk (code
// specialized for a single row), r1_prefill otherwise. Chunking does not
// change results: the KV cache carries everything between chunks.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_SESSION_H
#define R1C_RUNTIME_SESSION_H

#include "runtime/Model.h"
#include "runtime/R1Abi.h"
#include "runtime/Sampler.h"
#include "runtime/Status.h"
#include "runtime/ThreadPool.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace r1::runtime {

/// Which logits step() writes.
enum class LogitsMode {
  kAll,  // one row per token: [tokens x vocab_size]
  kLast, // the last token's row only: [vocab_size]
};

struct SessionOptions {
  /// Tokens the KV cache holds; 0: min(max_positions, 4096). At most max_positions.
  int64_t ctx = 0;
  /// Threads in all, the caller included; 0: the CPUs this process may use.
  int threads = 0;
  /// The most tokens one entry-point call gets; 0 or more than the
  /// manifest's max_step_tokens: max_step_tokens.
  int64_t chunkTokens = 0;
  /// The tiling knobs passed to the code (R1Abi.h's r1_tuning); nullopt:
  /// the manifest's "tuning" (zeros when untuned: the kernels' defaults).
  /// `r1c tune` sets candidates here; `r1run bench --no-tuning` sets zeros.
  std::optional<r1_tuning> tuning;
};

/// " (R1_STEP_BAD_ARGS)" for an entry point's non-zero return code; "" for
/// codes R1Abi.h does not name.
const char *stepCodeName(int rc);

/// kBadInput naming the first id outside [0, vocab) ("token id 9 (input token
/// 2) is out of range: ..."); success when all are in range.
Status checkTokenIds(std::span<const int32_t> tokens, uint64_t vocab);

/// The default context: min(max_positions, kDefaultContext).
inline constexpr int64_t kDefaultContext = 4096;

class Session {
public:
  /// Errors: a bad option (kBadInput), memory that cannot be mapped (kRuntime).
  static Result<std::unique_ptr<Session>> create(const Model &model,
                                                 const SessionOptions &options = {});
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  /// Runs `tokens` at positions position() .. position() + size - 1 and
  /// advances the position. `logits` receives [size x vocab] floats for
  /// kAll, [vocab] for kLast; nullptr when no logits are wanted. Errors, all
  /// before any token runs: an id >= vocab_size, a full context (kBadInput);
  /// an entry point returning non-zero (kRuntime; the position then stays
  /// after the last chunk that succeeded). An empty `tokens` does nothing.
  Status step(std::span<const int32_t> tokens, LogitsMode mode, r1_precision precision,
              float *logits);

  /// True for a CUDA artifact whose plan has a sampler kernel: then
  /// stepAndSample() draws tokens on the device.
  bool canSampleOnDevice() const;

  /// step(tokens, kLast) whose logits stay on the device, then the next
  /// token drawn there with `draw` (Sampler::drawForDevice()): one token id
  /// crosses the bus instead of a row of logits. Errors as step(); kRuntime
  /// when !canSampleOnDevice().
  Result<int32_t> stepAndSample(std::span<const int32_t> tokens, const DeviceDraw &draw);

  /// Back to position 0 with a zeroed KV cache (pages are returned and
  /// refaulted as zero), as a fresh Session.
  void reset();

  /// Back to `position` (<= position()), keeping the cache of the tokens
  /// before it: the next step overwrites the rows from there on, and a step
  /// never reads a row past its own positions, so what was cached beyond is
  /// never seen. Chat uses it to reuse a conversation's common prefix.
  /// Errors: a position outside [0, position()] (kBadInput).
  Status rewind(int64_t position);

  const Model &model() const { return model_; }
  int64_t position() const { return position_; }
  int64_t capacity() const { return capacity_; }
  int threads() const { return pool_->size(); }
  int64_t chunkTokens() const { return chunkTokens_; }
  /// The tiling knobs every step passes to the code; r1c tune sets each
  /// candidate in turn.
  const r1_tuning &tuning() const { return tuning_; }
  void setTuning(const r1_tuning &tuning) { tuning_ = tuning; }
  /// The KV cache (kvBytes() bytes), for tests and inspection.
  const void *kvCache() const { return kv_; }
  uint64_t kvBytes() const { return kvBytes_; }

private:
  explicit Session(const Model &model) : model_(model) {}

  const Model &model_;
  int64_t capacity_ = 0;
  int64_t chunkTokens_ = 0;
  r1_tuning tuning_{};
  int64_t position_ = 0;
  void *kv_ = nullptr;
  uint64_t kvBytes_ = 0;  // what the manifest asks for
  uint64_t kvMapped_ = 0; // what was mapped (at least a page)
  void *arena_ = nullptr;
  uint64_t arenaMapped_ = 0;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<int32_t> positions_;
  std::vector<float> scratchLogits_;
  /// CUDA artifacts: the sequence's device memory (kv_ and arena_ unused).
  std::unique_ptr<CudaSequence> cuda_;
  /// Set by stepAndSample(): the step leaves the logits on the device.
  bool logitsStayOnDevice_ = false;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_SESSION_H
