//===- Server.cpp - The OpenAI-compatible HTTP server of `r1run serve` ----===//

#include "runtime/serve/Server.h"

#include "runtime/ChatPrompt.h"
#include "runtime/chat/ReasoningSplitter.h"
#include "runtime/serve/OpenAiProtocol.h"
#include "runtime/serve/RequestStream.h"

#include <httplib.h>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>

namespace r1::runtime::serve {

namespace {

using httplib::DataSink;
using httplib::Request;
using httplib::Response;

constexpr std::chrono::milliseconds kPoll(100);

/// The label of a path in r1_requests_total: a route, or "other".
std::string endpointLabel(const std::string &path) {
  for (const char *route : {"/v1/chat/completions", "/v1/completions", "/v1/models", "/health",
                            "/metrics"})
    if (path == route)
      return route;
  return "other";
}

void sendError(Response &res, const ApiError &error) {
  res.status = error.status;
  res.set_content(errorBody(error).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void sendJson(Response &res, const nlohmann::json &body) {
  res.status = 200;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

std::string finishName(FinishReason reason) {
  return reason == FinishReason::kEos || reason == FinishReason::kStop ? "stop" : "length";
}

/// "chatcmpl-" and 24 random hex digits.
std::string newId(const char *prefix) {
  thread_local std::mt19937_64 random(std::random_device{}());
  char digits[32];
  std::snprintf(digits, sizeof digits, "%016llx%08llx", (unsigned long long)random(),
                (unsigned long long)(random() & 0xffffffffu));
  return std::string(prefix) + digits;
}

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double secondsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/// One completion request while it runs: its job's events turned into each
/// choice's reasoning and answer, counts and timings.
struct Generation {
  /// What one choice has received so far.
  struct Choice {
    explicit Choice(bool thinkPrefix) : splitter(thinkPrefix) {}
    ReasoningSplitter splitter;
    ChoiceDelta all;                 // everything so far
    int64_t tokens = 0;              // generated tokens received
    int64_t answerAt = -1;           // `tokens` when the answer began; -1: not yet
    bool sawReasoning = false;       // any reasoning text
    int64_t completionTokens = 0;    // from kDone (the end-of-sentence id included)
    bool done = false;
    Clock::time_point lastToken;     // when `tokens` last grew
  };

  Generation(Endpoint endpoint, int count, bool thinkPrefix, Metrics &metrics)
      : endpoint(endpoint), metrics(metrics) {
    for (int i = 0; i < count; ++i)
      choices.emplace_back(thinkPrefix);
  }

  /// Adds `event` to its choice; returns the delta to stream (empty text
  /// and no finish reason: nothing to send).
  ChoiceDelta consume(const JobEvent &event) {
    Choice &c = choices[event.choice];
    ChoiceDelta delta;
    delta.index = event.choice;
    auto add = [&](const SplitText &text) {
      c.sawReasoning = c.sawReasoning || !text.reasoning.empty();
      delta.reasoning += text.reasoning;
      delta.content += text.answer;
    };
    switch (event.kind) {
    case JobEvent::Kind::kToken:
      if (event.token >= 0) {
        if (!firstToken) {
          firstToken = true;
          metrics.timeToFirstToken(secondsBetween(start, event.at));
        } else if (c.tokens > 0) {
          metrics.interTokenLatency(secondsBetween(c.lastToken, event.at));
        }
        c.lastToken = event.at;
        ++c.tokens;
      }
      if (endpoint == Endpoint::kChat) {
        const bool wasInAnswer = c.splitter.inAnswer();
        add(c.splitter.feed(event.text));
        // The reasoning tokens: those up to the one that closed the block.
        if (!wasInAnswer && c.splitter.inAnswer())
          c.answerAt = c.tokens;
      } else {
        add(SplitText{"", event.text});
      }
      break;
    case JobEvent::Kind::kDone:
      if (endpoint == Endpoint::kChat)
        add(c.splitter.finish());
      delta.finishReason = finishName(event.finish);
      c.completionTokens = event.completionTokens;
      c.done = true;
      break;
    case JobEvent::Kind::kError:
      error = event.error;
      c.done = true;
      break;
    }
    c.all.reasoning += delta.reasoning;
    c.all.content += delta.content;
    if (!delta.finishReason.empty())
      c.all.finishReason = delta.finishReason;
    return delta;
  }

  bool allDone() const {
    for (const Choice &c : choices)
      if (!c.done)
        return false;
    return true;
  }

  Usage usage() const {
    Usage u;
    u.promptTokens = promptTokens;
    for (const Choice &c : choices) {
      u.completionTokens += c.completionTokens;
      // No reasoning text: none (the model answered at once, or without
      // the think prefix never opened a block); else the tokens before the
      // answer, or all of them when it never came.
      int64_t reasoning = !c.sawReasoning ? 0 : c.answerAt >= 0 ? c.answerAt : c.completionTokens;
      u.reasoningTokens += std::min(reasoning, c.completionTokens);
    }
    return u;
  }

  Endpoint endpoint;
  std::vector<Choice> choices;
  ResponseHeader header;
  std::shared_ptr<Job> job;
  int64_t promptTokens = 0;
  Clock::time_point start = Clock::now();
  bool firstToken = false;
  std::string error;
  Metrics &metrics;
  // Streaming state.
  bool started = false;
  bool includeUsage = false;
  bool finished = false;
};

} // namespace

/// httplib's server reading each connection through a RequestStream: a
/// request must arrive whole within --read-timeout. This replaces httplib's
/// own connection loop (process_and_close_socket, a private virtual) with the
/// same keep-alive rules: up to keep_alive_max_count requests, each waited
/// for up to keep_alive_timeout, the last one answered with "close".
class GuardedHttpServer : public httplib::Server {
public:
  explicit GuardedHttpServer(std::chrono::milliseconds requestLimit)
      : requestLimit_(requestLimit) {}
  /// Connections dropped for passing their request's deadline.
  std::atomic<uint64_t> timedOut{0};

  /// httplib 0.11 listens with a backlog of 5: a burst of clients (a load
  /// balancer's reconnects, many streams starting at once) can overflow it
  /// while the accepting thread waits for a core. listen() again on the
  /// bound socket raises it (the kernel caps it at net.core.somaxconn).
  void widenBacklog() { ::listen(svr_sock_, 1024); }

private:
  bool process_and_close_socket(socket_t sock) override {
    using std::chrono::milliseconds;
    RequestStream stream(sock, requestLimit_,
                         milliseconds(read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000),
                         milliseconds(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000));
    auto stopping = [this] { return svr_sock_ == INVALID_SOCKET; };
    bool ok = false;
    for (size_t left = keep_alive_max_count_;
         left > 0 && stream.waitForRequest(milliseconds(keep_alive_timeout_sec_ * 1000), stopping);
         --left) {
      bool connectionClosed = false;
      ok = process_request(stream, /*close_connection=*/left == 1, connectionClosed, nullptr);
      if (!ok || connectionClosed)
        break;
    }
    if (stream.timedOut())
      ++timedOut;
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
  }

  std::chrono::milliseconds requestLimit_;
};

bool constantTimeEquals(std::string_view given, std::string_view expected) {
  // Every byte of `given` is compared (against the key, repeated), so the
  // time depends on its length only; the lengths' difference is folded in.
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  if (expected.empty())
    return given.empty();
  for (size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  return diff == 0;
}

/// The route handlers, with the server's state.
struct Server::Handlers {
  Server &s;

  void completion(const Request &req, Response &res, Endpoint endpoint) {
    auto parsed = parseCompletionRequest(req.body, endpoint);
    if (auto *error = std::get_if<ApiError>(&parsed))
      return sendError(res, *error);
    CompletionRequest &request = std::get<CompletionRequest>(parsed);
    if (!request.model.empty() && request.model != s.options_.modelName)
      return sendError(res, {404,
                             "The model '" + request.model + "' does not exist; this server has '" +
                                 s.options_.modelName + "' (GET /v1/models)",
                             "invalid_request_error", "model", "model_not_found"});

    // 1. The prompt's ids.
    std::vector<int32_t> prompt;
    if (endpoint == Endpoint::kChat) {
      Result<std::vector<int32_t>> ids = promptIds(s.tokenizer_, s.chatTokens_, request.messages,
                                                   s.options_.thinkPrefix, nullptr);
      if (!ids.ok())
        return sendError(res, {400, ids.status().message(), "invalid_request_error", "messages",
                               ""});
      prompt = std::move(*ids);
    } else {
      if (s.tokenizer_.addBosToken())
        if (std::optional<int32_t> bos = s.tokenizer_.bosId())
          prompt.push_back(*bos);
      s.tokenizer_.encode(request.prompt, prompt, /*parseSpecial=*/true);
      if (prompt.size() >= 2 && prompt[0] == prompt[1] && s.tokenizer_.bosId() == prompt[0])
        prompt.erase(prompt.begin()); // the prompt already started with BOS
    }

    // 2. One job with a choice per `n`; without a seed each gets its own.
    std::vector<JobRequest> choices;
    thread_local std::mt19937_64 seeds(std::random_device{}());
    for (int i = 0; i < request.n; ++i) {
      JobRequest job;
      job.prompt = prompt;
      job.maxTokens = request.maxTokens.value_or(0);
      job.sampling = request.sampling;
      job.sampling.seed = request.seedGiven ? request.sampling.seed + uint64_t(i) : seeds();
      job.stop = request.stop;
      choices.push_back(std::move(job));
    }
    auto gen = std::make_shared<Generation>(endpoint, request.n,
                                            endpoint == Endpoint::kChat && s.options_.thinkPrefix,
                                            s.metrics_);
    gen->promptTokens = static_cast<int64_t>(prompt.size());
    gen->header = {newId(endpoint == Endpoint::kChat ? "chatcmpl-" : "cmpl-"), unixNow(),
                   s.options_.modelName};
    gen->includeUsage = request.includeUsage;
    auto submitted = s.engine_.submit(std::move(choices));
    if (auto *error = std::get_if<SubmitError>(&submitted)) {
      switch (error->kind) {
      case SubmitError::Kind::kTooLong:
        return sendError(res, {400, error->message, "invalid_request_error",
                               endpoint == Endpoint::kChat ? "messages" : "prompt",
                               "context_length_exceeded"});
      case SubmitError::Kind::kQueueFull:
      case SubmitError::Kind::kStopping:
        res.set_header("Retry-After", "1");
        return sendError(res, {503, error->message, "server_error", "", "server_busy"});
      case SubmitError::Kind::kBadRequest:
        return sendError(res, {400, error->message, "invalid_request_error", "", ""});
      }
    }
    gen->job = std::get<std::shared_ptr<Job>>(submitted);

    if (request.stream)
      return stream(res, gen);
    // 3. Not streamed: wait for every choice, then one response.
    while (!gen->allDone())
      for (const JobEvent &event : gen->job->wait(kPoll))
        gen->consume(event);
    finishMetrics(*gen);
    if (!gen->error.empty())
      return sendError(res, {500, gen->error, "server_error", "", ""});
    std::vector<Choice> out;
    for (const Generation::Choice &c : gen->choices)
      out.push_back({c.all.reasoning, c.all.content, c.all.finishReason});
    sendJson(res, completionResponse(endpoint, gen->header, out, gen->usage()));
  }

  void finishMetrics(Generation &gen) {
    if (gen.finished)
      return;
    gen.finished = true;
    Usage u = gen.usage();
    s.metrics_.tokens(u.promptTokens, u.completionTokens);
  }

  void stream(Response &res, const std::shared_ptr<Generation> &gen) {
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    auto provider = [this, gen](size_t, DataSink &sink) -> bool {
      auto send = [&](const std::string &text) {
        if (sink.write(text.data(), text.size()))
          return true;
        gen->job->cancel(); // the client went away
        return false;
      };
      if (!gen->started) {
        gen->started = true;
        if (gen->endpoint == Endpoint::kChat)
          for (int i = 0; i < static_cast<int>(gen->choices.size()); ++i) {
            ChoiceDelta role;
            role.index = i;
            role.role = true;
            if (!send(sseEvent(streamChunk(gen->endpoint, gen->header, role))))
              return false;
          }
      }
      for (const JobEvent &event : gen->job->wait(kPoll)) {
        ChoiceDelta delta = gen->consume(event);
        if (delta.reasoning.empty() && delta.content.empty() && delta.finishReason.empty())
          continue;
        if (!send(sseEvent(streamChunk(gen->endpoint, gen->header, delta))))
          return false;
      }
      if (!gen->allDone())
        return true;
      finishMetrics(*gen);
      if (!gen->error.empty() &&
          !send(sseEvent(errorBody({500, gen->error, "server_error", "", ""}))))
        return false;
      if (gen->includeUsage && !send(sseEvent(usageChunk(gen->endpoint, gen->header, gen->usage()))))
        return false;
      if (!send(std::string(kSseDone)))
        return false;
      sink.done();
      return true;
    };
    auto release = [this, gen](bool success) {
      if (!success)
        gen->job->cancel();
      finishMetrics(*gen);
    };
    res.set_chunked_content_provider("text/event-stream", provider, release);
  }
};

Server::Server(Engine &engine, const Tokenizer &tokenizer, const R1ChatTokens &chatTokens,
               ServerOptions options)
    : engine_(engine), tokenizer_(tokenizer), chatTokens_(chatTokens),
      options_(std::move(options)),
      http_(std::make_unique<GuardedHttpServer>(std::chrono::seconds(options_.readTimeoutSeconds))),
      created_(unixNow()) {
  GuardedHttpServer &http = *http_;
  const int threads = options_.httpThreads;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };
  http.set_payload_max_length(options_.maxBodyBytes);
  http.set_read_timeout(options_.readTimeoutSeconds, 0);
  http.set_write_timeout(options_.readTimeoutSeconds, 0);
  http.set_keep_alive_timeout(options_.readTimeoutSeconds);
  http.set_tcp_nodelay(true);

  auto handlers = std::make_shared<Handlers>(Handlers{*this});
  // The API key: every /v1/ route and the metrics.
  http.set_pre_routing_handler([this](const Request &req, Response &res) {
    if (options_.apiKey.empty() || (req.path.rfind("/v1/", 0) != 0 && req.path != "/metrics"))
      return httplib::Server::HandlerResponse::Unhandled;
    const std::string header = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    if (header.rfind(prefix, 0) == 0 &&
        constantTimeEquals(std::string_view(header).substr(prefix.size()), options_.apiKey))
      return httplib::Server::HandlerResponse::Unhandled;
    sendError(res, {401,
                    header.empty() ? "Missing API key: send the header 'Authorization: Bearer KEY'"
                                   : "Incorrect API key provided",
                    "invalid_request_error", "", "invalid_api_key"});
    return httplib::Server::HandlerResponse::Handled;
  });
  http.Post("/v1/chat/completions", [handlers](const Request &req, Response &res) {
    handlers->completion(req, res, Endpoint::kChat);
  });
  http.Post("/v1/completions", [handlers](const Request &req, Response &res) {
    handlers->completion(req, res, Endpoint::kCompletions);
  });
  http.Get("/v1/models", [this](const Request &, Response &res) {
    sendJson(res, modelsResponse(options_.modelName, created_));
  });
  http.Get("/health", [](const Request &, Response &res) {
    sendJson(res, nlohmann::json{{"status", "ok"}});
  });
  http.Get("/metrics", [this](const Request &, Response &res) {
    res.set_content(metrics_.render(engine_.stats(), http_->timedOut.load()),
                    "text/plain; version=0.0.4");
  });
  // httplib's own errors (no route, a body over the limit, a malformed
  // request) as OpenAI error objects; a handler's own error body stays.
  http.set_error_handler(httplib::Server::HandlerWithResponse([](const Request &req,
                                                               Response &res) {
    if (!res.body.empty())
      return httplib::Server::HandlerResponse::Unhandled;
    std::string message =
        res.status == 404   ? "No route for " + req.method + " " + req.path
        : res.status == 413 ? "The request body is over this server's limit (--max-body-bytes)"
        : res.status == 405 ? "Method " + req.method + " is not allowed on " + req.path
                            : "Bad request";
    sendError(res, {res.status, message, "invalid_request_error", "",
                    res.status == 404 ? "not_found" : ""});
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([](const Request &, Response &res, std::exception_ptr) {
    sendError(res, {500, "internal error", "server_error", "", ""});
  });
  http.set_logger([this](const Request &req, const Response &res) {
    metrics_.request(endpointLabel(req.path), res.status);
    if (options_.logRequests)
      std::fprintf(stderr, "r1run: %s \"%s %s\" %d\n", req.remote_addr.c_str(),
                   req.method.c_str(), req.path.c_str(), res.status);
  });
}

Server::~Server() = default;

Status Server::bind() {
  if (options_.port == 0) {
    int port = http_->bind_to_any_port(options_.host);
    if (port <= 0)
      return Status::runtimeError("cannot bind " + options_.host + " to any port");
    port_ = port;
    http_->widenBacklog();
    return Status::success();
  }
  if (!http_->bind_to_port(options_.host, options_.port))
    return Status::runtimeError("cannot bind " + options_.host + ":" +
                                std::to_string(options_.port) +
                                " (in use, or not an address of this machine); pick another "
                                "--port or --host");
  port_ = options_.port;
  http_->widenBacklog();
  return Status::success();
}

Status Server::run() {
  if (!http_->listen_after_bind())
    return Status::runtimeError("the server on " + options_.host + ":" + std::to_string(port_) +
                                " stopped with an error");
  return Status::success();
}

void Server::stop() {
  // New connections first, then the requests in flight: they end at once
  // (an error, or a stream cut short), so that the HTTP threads finish and
  // run() returns without waiting for long generations.
  http_->stop();
  engine_.shutdown();
}

} // namespace r1::runtime::serve
