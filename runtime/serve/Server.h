//===- Server.h - The OpenAI-compatible HTTP server of `r1run serve` ------===//
//
// HTTP (cpp-httplib) around the Engine: routes, the API key, request
// checking (OpenAiProtocol), the chat prompt, streaming with server-sent
// events, and metrics. Each request is handled on one of httplib's threads,
// which submits its choices to the engine and waits on their events; a
// client that goes away mid-stream (a write fails) cancels its jobs, which
// frees their KV cache at the engine's next iteration.
//
// Bounded by construction: the body size (--max-body-bytes, else HTTP 413),
// the time to send a whole request (--read-timeout, RequestStream: a slow
// or stalled client is dropped), the HTTP threads (--http-threads), and the
// engine's queue (HTTP 503 with Retry-After).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_SERVE_SERVER_H
#define R1C_RUNTIME_SERVE_SERVER_H

#include "runtime/chat/ChatFormat.h"
#include "runtime/serve/Engine.h"
#include "runtime/serve/Metrics.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <memory>
#include <string>

namespace r1::runtime::serve {

class GuardedHttpServer;

struct ServerOptions {
  std::string host = "127.0.0.1";
  /// 0: any free port (port() says which).
  int port = 8000;
  /// Bearer token every /v1/ and /metrics request must carry; empty: none.
  std::string apiKey;
  /// The name clients use in "model" and GET /v1/models lists.
  std::string modelName;
  int httpThreads = 64;
  size_t maxBodyBytes = 8u << 20;
  /// Seconds a client may take to send a whole request (headers and
  /// body), and to take each write of a response.
  int readTimeoutSeconds = 10;
  /// Chat prompts open "<think>\n" (R1's rule).
  bool thinkPrefix = true;
  /// One line per request on stderr.
  bool logRequests = true;
};

class Server {
public:
  /// `engine`, `tokenizer` and `chatTokens` must outlive the server.
  Server(Engine &engine, const Tokenizer &tokenizer, const R1ChatTokens &chatTokens,
         ServerOptions options);
  ~Server();
  Server(const Server &) = delete;
  Server &operator=(const Server &) = delete;

  /// Binds host:port. Errors: the address cannot be bound (kRuntime).
  Status bind();
  /// The bound port (after bind()).
  int port() const { return port_; }
  /// Serves until stop(); from another thread.
  Status run();
  /// Stops run(): no new connections, and the engine shuts down, so that
  /// requests in flight end at once: a non-streamed one with HTTP 500 ("the
  /// server is shutting down"), a stream with that error as an event and
  /// [DONE], or cut where it is when httplib stops writing first. Safe from
  /// any thread.
  void stop();

private:
  struct Handlers;

  Engine &engine_;
  const Tokenizer &tokenizer_;
  R1ChatTokens chatTokens_;
  ServerOptions options_;
  Metrics metrics_;
  std::unique_ptr<GuardedHttpServer> http_;
  int port_ = 0;
  int64_t created_ = 0;
};

/// Whether `given` equals `expected`, in time that depends only on the
/// length of `given` (so that a key cannot be guessed byte by byte).
bool constantTimeEquals(std::string_view given, std::string_view expected);

} // namespace r1::runtime::serve

#endif // R1C_RUNTIME_SERVE_SERVER_H
