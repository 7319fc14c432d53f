//===- Engine.cpp - Continuous batching of generation requests ------------===//

#include "runtime/serve/Engine.h"

#include "runtime/Session.h"

#include <algorithm>

namespace r1::runtime::serve {

std::vector<JobEvent> Job::wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return !events_.empty(); });
  std::vector<JobEvent> out(std::make_move_iterator(events_.begin()),
                            std::make_move_iterator(events_.end()));
  events_.clear();
  return out;
}

void Job::fail(int choice, std::string message) {
  JobEvent event;
  event.kind = JobEvent::Kind::kError;
  event.choice = choice;
  event.error = std::move(message);
  push(std::move(event));
}

void Job::push(JobEvent event) {
  event.at = Clock::now();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(std::move(event));
  }
  ready_.notify_all();
}

/// A job the engine has admitted: its KV cache and everything its tokens
/// pass through on the way to text.
struct Engine::Running {
  Running(std::shared_ptr<Job> job, int choice, JobRequest request, int64_t reserve,
          int32_t vocab, const Tokenizer &tokenizer, const std::vector<int32_t> &eos)
      : job(std::move(job)), choice(choice), prompt(std::move(request.prompt)),
        limit(request.maxTokens), reserve(reserve), sampler(request.sampling, vocab),
        text(tokenizer, eos, std::move(request.stop)) {}

  std::shared_ptr<Job> job;
  int choice;
  std::unique_ptr<BatchSequence> seq;
  std::vector<int32_t> prompt;
  int64_t prefilled = 0;
  int64_t limit;   // tokens to generate at most
  int64_t reserve; // KV tokens reserved
  Sampler sampler;
  CompletionText text;
  std::vector<int32_t> generated;
  int32_t next = -1; // the token the next decode step feeds
  bool done = false;
};

Engine::Engine(const Model &model, const Tokenizer &tokenizer)
    : model_(model), tokenizer_(tokenizer) {}

Result<std::unique_ptr<Engine>> Engine::create(const Model &model, const Tokenizer &tokenizer,
                                               const EngineOptions &options) {
  const ModelManifest &m = model.manifest();
  const int64_t maxPositions = static_cast<int64_t>(m.maxPositions);
  if (options.ctx < 0 || options.ctx > maxPositions)
    return Status::badInput("--ctx must be in [1, " + std::to_string(maxPositions) +
                            "] (the model's max_positions), not " + std::to_string(options.ctx));
  if (options.maxBatch < 1 || options.maxBatch > 4096)
    return Status::badInput("--max-batch must be in [1, 4096], not " +
                            std::to_string(options.maxBatch));
  if (options.maxQueue < 0)
    return Status::badInput("--max-queue must be >= 0, not " + std::to_string(options.maxQueue));
  std::unique_ptr<Engine> engine(new Engine(model, tokenizer));
  engine->options_ = options;
  engine->ctx_ = options.ctx ? options.ctx : std::min(maxPositions, kDefaultContext);
  if (options.kvTokens != 0 && options.kvTokens < engine->ctx_)
    return Status::badInput("--kv-tokens " + std::to_string(options.kvTokens) +
                            " is less than one request's context (--ctx " +
                            std::to_string(engine->ctx_) + ")");
  if (options.kvTokens < 0)
    return Status::badInput("--kv-tokens must be positive");
  engine->options_.kvTokens = options.kvTokens ? options.kvTokens : options.maxBatch * engine->ctx_;
  BatchRunnerOptions runnerOptions;
  runnerOptions.threads = options.threads;
  Result<std::unique_ptr<BatchRunner>> runner = BatchRunner::create(model, runnerOptions);
  if (!runner.ok())
    return runner.status();
  engine->runner_ = std::move(*runner);
  engine->eos_ = endOfSentenceIds(m, tokenizer);
  engine->counters_.kvTokensCapacity = engine->options_.kvTokens;
  engine->thread_ = std::thread([e = engine.get()] { e->loop(); });
  return engine;
}

Engine::~Engine() { shutdown(); }

void Engine::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutDown_)
      return;
    shutDown_ = true;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  for (Pending &p : queue_)
    p.job->fail(p.choice, "the server is shutting down");
  for (auto &r : running_) {
    r->job->fail(r->choice, "the server is shutting down");
    release(*r);
  }
  queue_.clear();
  running_.clear();
}

std::variant<std::shared_ptr<Job>, SubmitError> Engine::submit(std::vector<JobRequest> requests) {
  auto job = std::make_shared<Job>();
  std::vector<Pending> pending;
  for (JobRequest &request : requests) {
    const int64_t promptTokens = static_cast<int64_t>(request.prompt.size());
    if (promptTokens == 0)
      return SubmitError{SubmitError::Kind::kBadRequest, "the prompt is empty"};
    if (Status s = request.sampling.validate(); !s.ok())
      return SubmitError{SubmitError::Kind::kBadRequest, s.message()};
    if (request.maxTokens < 0)
      return SubmitError{SubmitError::Kind::kBadRequest, "max_tokens must be at least 1"};
    if (promptTokens >= ctx_)
      return SubmitError{SubmitError::Kind::kTooLong,
                         "the prompt has " + std::to_string(promptTokens) +
                             " tokens, and this server's context is " + std::to_string(ctx_) +
                             " tokens for prompt and completion together; shorten the prompt"};
    // A completion that would pass the context stops there ("length").
    const int64_t room = ctx_ - promptTokens;
    request.maxTokens = request.maxTokens == 0 ? room : std::min(request.maxTokens, room);
    Pending p;
    p.job = job;
    p.choice = static_cast<int>(pending.size());
    p.reserve = promptTokens + request.maxTokens;
    p.request = std::move(request);
    pending.push_back(std::move(p));
  }
  if (pending.empty())
    return SubmitError{SubmitError::Kind::kBadRequest, "no choices to generate"};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_)
      return SubmitError{SubmitError::Kind::kStopping, "the server is shutting down"};
    // Jobs that will run at the next iteration do not wait; an empty queue
    // takes any request, so that n > max_queue can still run.
    const size_t count = pending.size();
    const bool runsAtOnce = queue_.empty() &&
                            static_cast<int64_t>(running_.size() + count) <= options_.maxBatch;
    const bool fitsQueue = static_cast<int64_t>(queue_.size() + count) <= options_.maxQueue ||
                           (queue_.empty() && options_.maxQueue > 0);
    if (!runsAtOnce && !fitsQueue)
      return SubmitError{SubmitError::Kind::kQueueFull,
                         "the server is busy: " + std::to_string(running_.size()) +
                             " requests running and " + std::to_string(queue_.size()) +
                             " waiting (--max-queue " + std::to_string(options_.maxQueue) +
                             "); retry later"};
    for (Pending &p : pending)
      queue_.push_back(std::move(p));
  }
  wake_.notify_all();
  return job;
}

EngineStats Engine::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  EngineStats s = counters_;
  s.queued = static_cast<int64_t>(queue_.size());
  s.running = static_cast<int64_t>(running_.size());
  s.kvTokensReserved = reserved_;
  return s;
}

void Engine::admit() {
  const int32_t vocab = static_cast<int32_t>(model_.manifest().vocabSize);
  while (!queue_.empty() && static_cast<int64_t>(running_.size()) < options_.maxBatch &&
         reserved_ + queue_.front().reserve <= options_.kvTokens) {
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    if (p.job->cancelled())
      continue;
    auto r = std::make_unique<Running>(p.job, p.choice, std::move(p.request), p.reserve, vocab,
                                       tokenizer_, eos_);
    Result<std::unique_ptr<BatchSequence>> seq = runner_->newSequence(p.reserve);
    if (!seq.ok()) {
      r->job->fail(r->choice, seq.status().message());
      continue;
    }
    r->seq = std::move(*seq);
    reserved_ += p.reserve;
    running_.push_back(std::move(r));
  }
}

void Engine::dropCancelled() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::erase_if(queue_, [](const Pending &p) { return p.job->cancelled(); });
  for (auto &r : running_)
    if (r->job->cancelled())
      r->done = true;
}

void Engine::release(Running &r) {
  r.seq.reset();
  reserved_ -= r.reserve;
}

void Engine::finish(Running &r, FinishReason reason) {
  // What is still held: a character's first bytes, a possible stop string.
  if (std::string rest = r.text.finish(); !rest.empty()) {
    JobEvent event;
    event.text = std::move(rest);
    event.choice = r.choice;
    r.job->push(std::move(event));
  }
  JobEvent event;
  event.kind = JobEvent::Kind::kDone;
  event.finish = reason;
  event.completionTokens = static_cast<int64_t>(r.generated.size());
  event.choice = r.choice;
  r.job->push(std::move(event));
  r.done = true;
}

void Engine::accept(Running &r, const float *logits) {
  // The penalties look at the completion only, as OpenAI's API defines them.
  const int32_t id = r.sampler.sample(logits, r.generated);
  r.generated.push_back(id);
  CompletionText::Piece piece = r.text.push(id);
  if (piece.end != FinishReason::kEos) {
    JobEvent event;
    event.text = std::move(piece.text);
    event.token = id;
    event.choice = r.choice;
    r.job->push(std::move(event));
  }
  if (piece.end)
    finish(r, *piece.end);
  else if (static_cast<int64_t>(r.generated.size()) >= r.limit)
    finish(r, FinishReason::kLength);
  else
    r.next = id;
}

void Engine::loop() {
  const int64_t vocab = static_cast<int64_t>(model_.manifest().vocabSize);
  const int64_t chunk = static_cast<int64_t>(model_.manifest().maxStepTokens);
  std::vector<float> logits;
  std::vector<BatchSequence *> seqs;
  std::vector<int32_t> tokens;
  std::vector<Running *> batch;
  auto fail = [](Running &r, const Status &status) {
    r.job->fail(r.choice, status.message());
    r.done = true;
  };
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] {
        return stopping_ || !running_.empty() ||
               (!queue_.empty() && reserved_ + queue_.front().reserve <= options_.kvTokens);
      });
      if (stopping_)
        return;
      admit();
    }
    dropCancelled();

    // 1. One chunk of the oldest prompt still being read.
    for (auto &r : running_) {
      if (r->done || r->prefilled == static_cast<int64_t>(r->prompt.size()))
        continue;
      int64_t n = std::min(chunk, static_cast<int64_t>(r->prompt.size()) - r->prefilled);
      logits.resize(static_cast<size_t>(vocab));
      Status s = runner_->prefill(
          *r->seq, std::span<const int32_t>(r->prompt.data() + r->prefilled, n),
          options_.precision, logits.data());
      if (!s.ok()) {
        fail(*r, s);
        break;
      }
      r->prefilled += n;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        counters_.prefillTokens += n;
      }
      if (r->prefilled == static_cast<int64_t>(r->prompt.size()))
        accept(*r, logits.data());
      break;
    }

    // 2. One token of every job whose prompt is in, in one batched step.
    seqs.clear(), tokens.clear(), batch.clear();
    for (auto &r : running_)
      if (!r->done && r->next >= 0 && r->prefilled == static_cast<int64_t>(r->prompt.size())) {
        seqs.push_back(r->seq.get());
        tokens.push_back(r->next);
        batch.push_back(r.get());
      }
    if (!batch.empty()) {
      logits.resize(batch.size() * static_cast<size_t>(vocab));
      Status s = runner_->decode(seqs, tokens, options_.precision, logits.data());
      for (size_t i = 0; i < batch.size(); ++i) {
        if (!s.ok())
          fail(*batch[i], s);
        else if (!batch[i]->job->cancelled())
          accept(*batch[i], logits.data() + i * vocab);
      }
      std::lock_guard<std::mutex> lock(mutex_);
      counters_.decodeSteps += 1;
      counters_.decodedTokens += static_cast<int64_t>(batch.size());
    }

    // 3. Finished and cancelled jobs give their KV cache back.
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto &r : running_)
      if (r->done)
        release(*r);
    std::erase_if(running_, [](const std::unique_ptr<Running> &r) { return r->done; });
  }
}

} // namespace r1::runtime::serve
