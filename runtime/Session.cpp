//===- Session.cpp - One sequence being run: KV cache, arena, position ----===//

#include "runtime/Session.h"

#include "runtime/AnonymousMemory.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace r1::runtime {

const char *stepCodeName(int rc) {
  switch (rc) {
  case R1_STEP_BAD_ABI:
    return " (R1_STEP_BAD_ABI)";
  case R1_STEP_BAD_ARGS:
    return " (R1_STEP_BAD_ARGS)";
  default:
    return "";
  }
}

Status checkTokenIds(std::span<const int32_t> tokens, uint64_t vocab) {
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || static_cast<uint64_t>(tokens[i]) >= vocab)
      return Status::badInput("token id " + std::to_string(tokens[i]) + " (input token " +
                              std::to_string(i) + ") is out of range: the vocabulary has " +
                              std::to_string(vocab) + " tokens");
  return Status::success();
}

Result<std::unique_ptr<Session>> Session::create(const Model &model,
                                                 const SessionOptions &options) {
  const ModelManifest &m = model.manifest();
  const std::string &path = model.path();
  std::unique_ptr<Session> session(new Session(model));

  int64_t maxPositions = static_cast<int64_t>(m.maxPositions);
  if (options.ctx < 0)
    return Status::badInput("--ctx must be positive, not " + std::to_string(options.ctx));
  if (options.ctx > maxPositions)
    return Status::badInput("--ctx " + std::to_string(options.ctx) + " exceeds " + path +
                            "'s max_positions " + std::to_string(maxPositions));
  session->capacity_ = options.ctx == 0 ? std::min(maxPositions, kDefaultContext) : options.ctx;
  if (options.threads < 0 || options.threads > 4096)
    return Status::badInput("--threads must be in [1, 4096], not " +
                            std::to_string(options.threads));
  if (options.chunkTokens < 0)
    return Status::badInput("--chunk must be positive, not " + std::to_string(options.chunkTokens));
  int64_t maxStep = static_cast<int64_t>(m.maxStepTokens);
  session->chunkTokens_ =
      options.chunkTokens == 0 ? maxStep : std::min(options.chunkTokens, maxStep);
  session->tuning_ = options.tuning.value_or(model.manifest().tuning);

  uint64_t capacity = static_cast<uint64_t>(session->capacity_);
  if (m.kvBytesPerToken != 0 && capacity > UINT64_MAX / m.kvBytesPerToken)
    return Status::badInput(path + ": the KV cache for " + std::to_string(capacity) +
                            " tokens overflows 64 bits; lower --ctx");
  session->kvBytes_ = m.kvBytesPerToken * capacity;
  if (const CudaModel *cuda = model.cuda()) {
    Result<std::unique_ptr<CudaSequence>> seq = CudaSequence::create(*cuda, session->capacity_);
    if (!seq.ok())
      return seq.status();
    session->cuda_ = std::move(*seq);
    session->pool_ = std::make_unique<ThreadPool>(1);
    session->positions_.resize(static_cast<size_t>(session->chunkTokens_));
    return session;
  }
  session->kv_ = mapZeroed(session->kvBytes_, session->kvMapped_);
  if (!session->kv_)
    return Status::runtimeError(
        "cannot allocate the KV cache (" + std::to_string(session->kvBytes_) + " bytes for " +
        std::to_string(capacity) + " tokens): " + std::strerror(errno) + "; lower --ctx");
  session->arena_ = mapZeroed(m.arenaBytes, session->arenaMapped_);
  if (!session->arena_)
    return Status::runtimeError("cannot allocate the " + std::to_string(m.arenaBytes) +
                                "-byte arena " + path + " needs: " + std::strerror(errno));

  session->pool_ =
      std::make_unique<ThreadPool>(options.threads == 0 ? defaultThreadCount() : options.threads);
  session->positions_.resize(static_cast<size_t>(session->chunkTokens_));
  return session;
}

Session::~Session() {
  unmapZeroed(kv_, kvMapped_);
  unmapZeroed(arena_, arenaMapped_);
}

void Session::reset() {
  position_ = 0;
  if (cuda_) {
    (void)cuda_->resetCache(); // a failure shows at the next step
    return;
  }
  zeroMapping(kv_, kvMapped_);
}

Status Session::rewind(int64_t position) {
  if (position < 0 || position > position_)
    return Status::badInput("cannot rewind to position " + std::to_string(position) +
                            ": the session is at " + std::to_string(position_));
  position_ = position;
  return Status::success();
}

Status Session::step(std::span<const int32_t> tokens, LogitsMode mode, r1_precision precision,
                     float *logits) {
  const ModelManifest &m = model_.manifest();
  int64_t count = static_cast<int64_t>(tokens.size());
  if (count == 0)
    return Status::success();
  if (precision != R1_PRECISION_DEFAULT && precision != R1_PRECISION_FP32 &&
      precision != R1_PRECISION_BF16)
    return Status::badInput("unknown precision " + std::to_string(static_cast<int>(precision)) +
                            "; R1Abi.h defines 0 (default), 1 (fp32) and 2 (bf16)");
  if (Status s = checkTokenIds(tokens, m.vocabSize); !s.ok())
    return s;
  if (count > capacity_ - position_) {
    std::string message = "context full: " + std::to_string(capacity_) + " tokens";
    if (capacity_ < static_cast<int64_t>(m.maxPositions))
      message += "; raise --ctx (max " + std::to_string(m.maxPositions) + ")";
    else
      message += ", the model's max_positions";
    return Status::badInput(message + " (" + std::to_string(position_) + " used, " +
                            std::to_string(count) + " more requested)");
  }
  int64_t vocab = static_cast<int64_t>(m.vocabSize);
  if (!logits) {
    mode = LogitsMode::kLast;
    scratchLogits_.resize(m.vocabSize);
    logits = scratchLogits_.data();
  }

  r1_step_args args{};
  args.abi_version = R1_ABI_VERSION;
  args.precision = precision;
  args.weights = model_.weights();
  args.kv_cache = kv_;
  args.kv_capacity = capacity_;
  args.arena = arena_;
  args.parallel_for = &ThreadPool::parallelForEntry;
  args.pool = pool_.get();
  args.num_threads = pool_->size();
  args.tuning = tuning_;

  for (int64_t done = 0; done < count;) {
    int64_t n = std::min(chunkTokens_, count - done);
    for (int64_t i = 0; i < n; ++i)
      positions_[i] = static_cast<int32_t>(position_ + i);
    args.n_tokens = n;
    args.tokens = tokens.data() + done;
    args.positions = positions_.data();
    args.logits = mode == LogitsMode::kAll ? logits + done * vocab : logits;
    args.logits_rows = mode == LogitsMode::kAll ? n : 1;
    bool single = n == 1;
    if (cuda_) {
      float *out = logitsStayOnDevice_ ? nullptr : args.logits;
      if (Status s = cuda_->step(args.tokens, args.positions, n, out, args.logits_rows); !s.ok())
        return Status::runtimeError(model_.path() + ": " + s.message() + " (" +
                                    std::to_string(n) + " tokens at position " +
                                    std::to_string(position_) + ")");
      position_ += n;
      done += n;
      continue;
    }
    int rc = single ? model_.decode()(&args) : model_.prefill()(&args);
    if (rc != R1_STEP_OK)
      return Status::runtimeError(model_.path() + ": " + (single ? "r1_decode" : "r1_prefill") +
                                  " returned " + std::to_string(rc) + stepCodeName(rc) + " for " +
                                  std::to_string(n) + " tokens at position " +
                                  std::to_string(position_));
    position_ += n;
    done += n;
  }
  return Status::success();
}

bool Session::canSampleOnDevice() const { return cuda_ && cuda_->canSample(); }

Result<int32_t> Session::stepAndSample(std::span<const int32_t> tokens, const DeviceDraw &draw) {
  if (!canSampleOnDevice())
    return Status::runtimeError(model_.path() + ": this artifact cannot sample on a device");
  if (tokens.empty())
    return Status::badInput("stepAndSample needs at least one token");
  logitsStayOnDevice_ = true;
  Status stepped = step(tokens, LogitsMode::kLast, R1_PRECISION_DEFAULT, nullptr);
  logitsStayOnDevice_ = false;
  if (!stepped.ok())
    return stepped;
  Result<int32_t> id = cuda_->sample(draw);
  if (!id.ok())
    return Status::runtimeError(model_.path() + ": " + id.status().message());
  return id;
}

} // namespace r1::runtime
