//===- BatchRunner.h - Many sequences sharing one model's steps -----------===//
//
// What continuous batching needs from the runtime (`r1run serve`): sequences
// that come and go, each with a KV cache of its own, whose decode steps run
// together. decode() feeds the next token of every sequence given through
// r1_decode_batch, so a projection reads its weights once for all of them
// (R1Abi.h); prefill() runs one sequence's prompt like Session::step. The
// sequences share the runner's thread pool and scratch arena, so the runner
// is used by one thread at a time.
//
// A sequence's tokens never depend on what else is batched with it: a batch
// passes gemv_max_tokens = R1_MAX_GEMV_TOKENS and runs in groups of at most
// that many sequences, on the GEMV cores whose every row's arithmetic is
// r1_decode's, so its logits are bit-identical to decoding it alone.
//
// Host artifacts only: a CUDA artifact's sequences own device memory that
// this runner does not manage (create() says so).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_BATCHRUNNER_H
#define R1C_RUNTIME_BATCHRUNNER_H

#include "runtime/Model.h"
#include "runtime/R1Abi.h"
#include "runtime/Status.h"
#include "runtime/ThreadPool.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace r1::runtime {

/// One sequence's KV cache and position. Made by BatchRunner::newSequence;
/// its memory is returned when it is destroyed.
class BatchSequence {
public:
  ~BatchSequence();
  BatchSequence(const BatchSequence &) = delete;
  BatchSequence &operator=(const BatchSequence &) = delete;

  int64_t position() const { return position_; }
  int64_t capacity() const { return capacity_; }

private:
  friend class BatchRunner;
  BatchSequence() = default;

  void *kv_ = nullptr;
  uint64_t kvMapped_ = 0;
  int64_t capacity_ = 0;
  int64_t position_ = 0;
};

struct BatchRunnerOptions {
  /// Threads in all, the caller included; 0: the CPUs this process may use.
  int threads = 0;
  /// The tiling knobs; nullopt: the manifest's "tuning".
  std::optional<r1_tuning> tuning;
};

class BatchRunner {
public:
  /// Errors: a CUDA artifact or a bad option (kBadInput), memory that cannot
  /// be mapped (kRuntime).
  static Result<std::unique_ptr<BatchRunner>> create(const Model &model,
                                                     const BatchRunnerOptions &options = {});
  ~BatchRunner();
  BatchRunner(const BatchRunner &) = delete;
  BatchRunner &operator=(const BatchRunner &) = delete;

  /// A sequence whose KV cache holds `capacity` tokens (1..max_positions),
  /// at position 0. Errors: a bad capacity (kBadInput), no memory (kRuntime).
  Result<std::unique_ptr<BatchSequence>> newSequence(int64_t capacity);

  /// Runs `tokens` on `seq` from its position, in chunks of max_step_tokens,
  /// and writes the last token's logits ([vocab]) to `logits`. Errors as
  /// Session::step: a bad id or a full cache (kBadInput, before anything
  /// runs), an entry point failing (kRuntime).
  Status prefill(BatchSequence &seq, std::span<const int32_t> tokens, r1_precision precision,
                 float *logits);

  /// Runs tokens[i] as the next token of seqs[i], for every i, and writes
  /// its logits to row i of `logits` ([size x vocab]). The sequences must be
  /// distinct. Errors as prefill(); on an error no position advances.
  Status decode(std::span<BatchSequence *const> seqs, std::span<const int32_t> tokens,
                r1_precision precision, float *logits);

  /// Sequences that one r1_decode_batch call takes (R1_MAX_GEMV_TOKENS,
  /// capped by max_step_tokens); decode() splits larger batches.
  int64_t maxBatchPerCall() const { return maxPerCall_; }
  /// Whether the code has r1_decode_batch (else decode() runs r1_decode per
  /// sequence).
  bool batchesSteps() const { return model_.decodeBatch() != nullptr; }
  const Model &model() const { return model_; }
  int threads() const { return pool_->size(); }

private:
  explicit BatchRunner(const Model &model) : model_(model) {}
  r1_step_args baseArgs(r1_precision precision) const;

  const Model &model_;
  r1_tuning tuning_{};
  int64_t maxPerCall_ = 1;
  void *arena_ = nullptr;
  uint64_t arenaMapped_ = 0;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<int32_t> positions_;
  std::vector<void *> caches_;
  std::vector<int64_t> capacities_;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_BATCHRUNNER_H
