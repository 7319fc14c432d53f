//===- Engine.h - Continuous batching of generation requests --------------===//
//
// The scheduler behind `r1run serve`. Requests (one Job per choice) are
// queued; one engine thread runs the model for all of them, iteration by
// iteration, as vLLM and Orca do:
//
//   1. admit queued jobs, first come first served, while fewer than
//      maxBatch run and their KV reservations fit in kvTokens;
//   2. drop cancelled jobs (the client went away), returning their KV cache;
//   3. prefill one chunk (max_step_tokens) of the oldest admitted prompt,
//      so a long prompt delays the others' next tokens by one chunk at most;
//   4. decode one token of every running job in one batched step
//      (BatchRunner::decode), sample, detokenize, check stop strings, and
//      hand each job its new text; a finished job frees its KV cache at once.
//
// A job reserves prompt + max tokens of KV cache when admitted, so a running
// job never runs out of cache; a job that cannot fit waits. The queue is
// bounded: submit() refuses a job beyond maxQueue (HTTP 503) rather than
// let memory grow. Each job's tokens are those it would get alone: the
// batched step is bit-identical per sequence, and every job has its own
// sampler and seed.
//
// HTTP threads only submit jobs and wait on their events; the engine thread
// is the only one that touches the model.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_SERVE_ENGINE_H
#define R1C_RUNTIME_SERVE_ENGINE_H

#include "runtime/BatchRunner.h"
#include "runtime/Generator.h"
#include "runtime/Sampler.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace r1::runtime::serve {

struct EngineOptions {
  /// Threads of the model's steps, the engine thread included; 0: all CPUs.
  int threads = 0;
  /// The most tokens (prompt + completion) one job may use; 0:
  /// min(max_positions, kDefaultContext).
  int64_t ctx = 0;
  /// Jobs decoded together.
  int64_t maxBatch = 16;
  /// Jobs waiting beyond those running.
  int64_t maxQueue = 64;
  /// KV cache tokens reserved over all running jobs; 0: maxBatch x ctx.
  int64_t kvTokens = 0;
  r1_precision precision = R1_PRECISION_DEFAULT;
};

/// One choice of a request to generate.
struct JobRequest {
  std::vector<int32_t> prompt;
  /// 0: up to the end of the context (ctx - prompt).
  int64_t maxTokens = 0;
  SamplingParams sampling;
  std::vector<std::string> stop;
};

using Clock = std::chrono::steady_clock;

/// What a choice produces, in order: kToken events, then one kDone or kError.
struct JobEvent {
  enum class Kind { kToken, kDone, kError };
  Kind kind = Kind::kToken;
  /// Which of the job's requests (choices) it belongs to.
  int choice = 0;
  /// kToken: the text that became final with this token (often empty); the
  /// last kToken before kDone may carry text held until the end (token -1).
  std::string text;
  int32_t token = -1;
  /// kDone.
  FinishReason finish = FinishReason::kLength;
  int64_t completionTokens = 0;
  /// kError: one line.
  std::string error;
  Clock::time_point at;
};

/// A submitted HTTP request's choices, shared by the engine and the HTTP
/// thread that waits on their events.
class Job {
public:
  /// The events of all choices produced since the last call, in order per
  /// choice, waiting up to `timeout` for one when there is none.
  std::vector<JobEvent> wait(std::chrono::milliseconds timeout);
  /// Asks the engine to stop all choices; their KV cache is returned at the
  /// next iteration and no more events come.
  void cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

private:
  friend class Engine;
  void push(JobEvent event);
  /// Pushes a kError event for `choice`.
  void fail(int choice, std::string message);

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<JobEvent> events_;
  std::atomic<bool> cancelled_{false};
};

/// Why submit() refused.
struct SubmitError {
  enum class Kind { kQueueFull, kTooLong, kBadRequest, kStopping };
  Kind kind;
  std::string message;
};

/// A snapshot for /metrics and the tests.
struct EngineStats {
  int64_t queued = 0;
  int64_t running = 0;
  int64_t kvTokensReserved = 0;
  int64_t kvTokensCapacity = 0;
  int64_t decodeSteps = 0;     // batched decode calls
  int64_t decodedTokens = 0;   // tokens those steps ran
  int64_t prefillTokens = 0;
};

class Engine {
public:
  /// Errors: a bad option, a CUDA artifact (kBadInput); no memory (kRuntime).
  static Result<std::unique_ptr<Engine>> create(const Model &model, const Tokenizer &tokenizer,
                                                const EngineOptions &options);
  /// shutdown().
  ~Engine();
  /// Stops the engine thread after its current step; jobs still running or
  /// queued get kError ("the server is shutting down") and their KV cache
  /// back, and submit() refuses new ones. Idempotent.
  void shutdown();
  Engine(const Engine &) = delete;
  Engine &operator=(const Engine &) = delete;

  /// Queues all of `requests` (the choices of one HTTP request) as one Job,
  /// or none:
  /// kTooLong when a prompt leaves no room in ctx (the message states the
  /// limit), kQueueFull when they would pass maxQueue, kBadRequest for an
  /// empty prompt or bad sampling parameters.
  std::variant<std::shared_ptr<Job>, SubmitError> submit(std::vector<JobRequest> requests);

  EngineStats stats() const;
  int64_t ctx() const { return ctx_; }
  const BatchRunner &runner() const { return *runner_; }

private:
  struct Running;
  struct Pending {
    std::shared_ptr<Job> job;
    int choice = 0;
    JobRequest request;
    int64_t reserve = 0; // KV tokens
  };

  Engine(const Model &model, const Tokenizer &tokenizer);
  void loop();
  /// Moves queued jobs in while they fit; under mutex_.
  void admit();
  /// Drops cancelled jobs; returns their reservations.
  void dropCancelled();
  /// Draws the next token of `r` from `logits` and emits it; a finished
  /// job is marked done (the loop then releases it).
  void accept(Running &r, const float *logits);
  void finish(Running &r, FinishReason reason);
  void release(Running &r);

  const Model &model_;
  const Tokenizer &tokenizer_;
  EngineOptions options_;
  int64_t ctx_ = 0;
  std::vector<int32_t> eos_;
  std::unique_ptr<BatchRunner> runner_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  std::vector<std::unique_ptr<Running>> running_; // engine thread only, but sized under mutex_
  int64_t reserved_ = 0;
  bool stopping_ = false;
  bool shutDown_ = false; // shutdown() has run
  EngineStats counters_;
  std::thread thread_;
};

} // namespace r1::runtime::serve

#endif // R1C_RUNTIME_SERVE_ENGINE_H
