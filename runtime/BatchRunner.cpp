//===- BatchRunner.cpp - Many sequences sharing one model's steps ---------===//

#include "runtime/BatchRunner.h"

#include "runtime/AnonymousMemory.h"
#include "runtime/Session.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace r1::runtime {

BatchSequence::~BatchSequence() { unmapZeroed(kv_, kvMapped_); }

Result<std::unique_ptr<BatchRunner>> BatchRunner::create(const Model &model,
                                                         const BatchRunnerOptions &options) {
  const ModelManifest &m = model.manifest();
  if (model.cuda())
    return Status::badInput(model.path() +
                            ": batched serving runs host artifacts; this one is for CUDA "
                            "(compile the model with --target host)");
  if (options.threads < 0 || options.threads > 4096)
    return Status::badInput("--threads must be in [1, 4096], not " +
                            std::to_string(options.threads));
  std::unique_ptr<BatchRunner> runner(new BatchRunner(model));
  runner->tuning_ = options.tuning.value_or(m.tuning);
  runner->maxPerCall_ =
      std::min<int64_t>(R1_MAX_GEMV_TOKENS, static_cast<int64_t>(m.maxStepTokens));
  runner->arena_ = mapZeroed(m.arenaBytes, runner->arenaMapped_);
  if (!runner->arena_)
    return Status::runtimeError("cannot allocate the " + std::to_string(m.arenaBytes) +
                                "-byte arena " + model.path() + " needs: " +
                                std::strerror(errno));
  runner->pool_ =
      std::make_unique<ThreadPool>(options.threads == 0 ? defaultThreadCount() : options.threads);
  size_t rows = std::max<size_t>(m.maxStepTokens, static_cast<size_t>(runner->maxPerCall_));
  runner->positions_.resize(rows);
  runner->caches_.resize(rows);
  runner->capacities_.resize(rows);
  return runner;
}

BatchRunner::~BatchRunner() { unmapZeroed(arena_, arenaMapped_); }

Result<std::unique_ptr<BatchSequence>> BatchRunner::newSequence(int64_t capacity) {
  const ModelManifest &m = model_.manifest();
  if (capacity < 1 || capacity > static_cast<int64_t>(m.maxPositions))
    return Status::badInput("a sequence's KV cache must hold 1.." +
                            std::to_string(m.maxPositions) + " tokens, not " +
                            std::to_string(capacity));
  std::unique_ptr<BatchSequence> seq(new BatchSequence());
  uint64_t bytes = m.kvBytesPerToken * static_cast<uint64_t>(capacity);
  seq->kv_ = mapZeroed(bytes, seq->kvMapped_);
  if (!seq->kv_)
    return Status::runtimeError("cannot allocate a KV cache of " + std::to_string(bytes) +
                                " bytes for " + std::to_string(capacity) +
                                " tokens: " + std::strerror(errno));
  seq->capacity_ = capacity;
  return seq;
}

r1_step_args BatchRunner::baseArgs(r1_precision precision) const {
  r1_step_args args{};
  args.abi_version = R1_ABI_VERSION;
  args.precision = precision;
  args.weights = model_.weights();
  args.arena = arena_;
  args.parallel_for = &ThreadPool::parallelForEntry;
  args.pool = pool_.get();
  args.num_threads = pool_->size();
  args.tuning = tuning_;
  return args;
}

Status BatchRunner::prefill(BatchSequence &seq, std::span<const int32_t> tokens,
                            r1_precision precision, float *logits) {
  int64_t count = static_cast<int64_t>(tokens.size());
  if (count == 0)
    return Status::badInput("a prefill needs at least one token");
  if (Status s = checkTokenIds(tokens, model_.manifest().vocabSize); !s.ok())
    return s;
  if (count > seq.capacity_ - seq.position_)
    return Status::badInput("the sequence's KV cache holds " + std::to_string(seq.capacity_) +
                            " tokens: " + std::to_string(seq.position_) + " used, " +
                            std::to_string(count) + " more requested");
  r1_step_args args = baseArgs(precision);
  args.kv_cache = seq.kv_;
  args.kv_capacity = seq.capacity_;
  args.logits = logits;
  args.logits_rows = 1;
  const int64_t chunk = static_cast<int64_t>(model_.manifest().maxStepTokens);
  for (int64_t done = 0; done < count;) {
    int64_t n = std::min(chunk, count - done);
    for (int64_t i = 0; i < n; ++i)
      positions_[i] = static_cast<int32_t>(seq.position_ + i);
    args.n_tokens = n;
    args.tokens = tokens.data() + done;
    args.positions = positions_.data();
    bool single = n == 1;
    int rc = single ? model_.decode()(&args) : model_.prefill()(&args);
    if (rc != R1_STEP_OK)
      return Status::runtimeError(model_.path() + ": " + (single ? "r1_decode" : "r1_prefill") +
                                  " returned " + std::to_string(rc) + stepCodeName(rc) + " for " +
                                  std::to_string(n) + " tokens at position " +
                                  std::to_string(seq.position_));
    seq.position_ += n;
    done += n;
  }
  return Status::success();
}

Status BatchRunner::decode(std::span<BatchSequence *const> seqs, std::span<const int32_t> tokens,
                           r1_precision precision, float *logits) {
  if (seqs.size() != tokens.size())
    return Status::badInput("decode got " + std::to_string(seqs.size()) + " sequences and " +
                            std::to_string(tokens.size()) + " tokens");
  if (Status s = checkTokenIds(tokens, model_.manifest().vocabSize); !s.ok())
    return s;
  for (size_t i = 0; i < seqs.size(); ++i) {
    if (seqs[i]->position_ >= seqs[i]->capacity_)
      return Status::badInput("sequence " + std::to_string(i) + "'s KV cache is full (" +
                              std::to_string(seqs[i]->capacity_) + " tokens)");
    for (size_t j = 0; j < i; ++j)
      if (seqs[j] == seqs[i])
        return Status::badInput("a sequence is twice in one decode batch");
  }
  const int64_t vocab = static_cast<int64_t>(model_.manifest().vocabSize);
  r1_step_args args = baseArgs(precision);
  // Every group on the GEMV cores: a sequence's logits do not depend on the
  // batch (see the file comment).
  args.tuning.gemv_max_tokens = R1_MAX_GEMV_TOKENS;
  const int64_t total = static_cast<int64_t>(seqs.size());
  const bool batched = batchesSteps();
  for (int64_t first = 0; first < total;) {
    int64_t n = batched ? std::min(maxPerCall_, total - first) : 1;
    for (int64_t i = 0; i < n; ++i) {
      const BatchSequence &seq = *seqs[first + i];
      positions_[i] = static_cast<int32_t>(seq.position_);
      caches_[i] = seq.kv_;
      capacities_[i] = seq.capacity_;
    }
    args.n_tokens = n;
    args.tokens = tokens.data() + first;
    args.positions = positions_.data();
    args.logits = logits + first * vocab;
    args.logits_rows = n;
    if (batched) {
      args.kv_caches = caches_.data();
      args.kv_capacities = capacities_.data();
    } else {
      args.kv_cache = caches_[0];
      args.kv_capacity = capacities_[0];
    }
    int rc = batched ? model_.decodeBatch()(&args) : model_.decode()(&args);
    if (rc != R1_STEP_OK)
      return Status::runtimeError(model_.path() + ": " +
                                  (batched ? "r1_decode_batch" : "r1_decode") + " returned " +
                                  std::to_string(rc) + stepCodeName(rc) + " for " +
                                  std::to_string(n) + " sequences");
    first += n;
  }
  // Positions advance only once every group has run.
  for (BatchSequence *seq : seqs)
    ++seq->position_;
  return Status::success();
}

} // namespace r1::runtime
