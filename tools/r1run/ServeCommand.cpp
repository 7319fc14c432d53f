//===- ServeCommand.cpp - r1run serve: the OpenAI-compatible server -------===//
//
// Loads the artifact and its tokenizer, starts the engine (continuous
// batching) and the HTTP server, and serves until SIGINT or SIGTERM. The
// signals are taken by a thread of their own (sigwait), which stops the
// server cleanly; everything else runs with them blocked. Docs:
// docs/serving.md.
//
//===----------------------------------------------------------------------===//

#include "runtime/ChatPrompt.h"
#include "runtime/TokenizerSource.h"
#include "runtime/serve/Server.h"
#include "tools/r1run/Commands.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <pthread.h>
#include <thread>
#include <unistd.h>

namespace r1run_tool {

using namespace r1::runtime;

namespace {

struct ServeArgs {
  std::string artifact;
  std::string host = "127.0.0.1";
  bool hostGiven = false;
  int port = 8000;
  std::string portFile;
  std::string apiKey;
  std::string modelName;
  int64_t ctx = 0;
  int threads = 0;
  int64_t maxBatch = 16;
  int64_t maxQueue = 64;
  int64_t kvTokens = 0;
  int httpThreads = 64;
  int64_t maxBodyBytes = 8 << 20;
  int readTimeout = 10;
  std::string precision = "default";
  std::string weights = "auto";
  bool noThinkPrefix = false;
  bool quiet = false;
};

bool isLoopback(const std::string &host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" ||
         host.rfind("127.", 0) == 0;
}

/// Writes `port` to `path` through a temporary file and a rename, so a
/// reader never sees half a number.
Status writePortFile(const std::string &path, int port) {
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary);
    out << port << "\n";
    if (!out.flush())
      return Status::outputError(temporary + ": cannot write the port file");
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    return Status::outputError(path + ": cannot write the port file");
  }
  return Status::success();
}

int runServe(ServeArgs &args) {
  if (args.port < 0 || args.port > 65535)
    return usageError("--port must be in [0, 65535], not " + std::to_string(args.port));
  if (args.httpThreads < 4 || args.httpThreads > 4096)
    return usageError("--http-threads must be in [4, 4096], not " +
                      std::to_string(args.httpThreads));
  if (args.maxBodyBytes < 1024)
    return usageError("--max-body-bytes must be at least 1024");
  if (args.readTimeout < 1 || args.readTimeout > 3600)
    return usageError("--read-timeout must be in [1, 3600] seconds");
  if (args.apiKey.empty())
    if (const char *key = std::getenv("R1RUN_API_KEY"))
      args.apiKey = key;
  if (args.hostGiven && !isLoopback(args.host) && args.apiKey.empty())
    std::fprintf(stderr, "r1run: warning: serving on %s without --api-key: anyone who can reach "
                         "this address can use the model\n",
                 args.host.c_str());

  // Signals go to the waiting thread below only: block them before any
  // thread (engine, pool, HTTP) is started, so that all inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN); // a client gone mid-write is a failed write, not a signal

  Result<std::unique_ptr<Model>> model = Model::load(args.artifact, modelLoadOptions("gpu", args.weights));
  if (!model.ok())
    return report(model.status());
  Result<Tokenizer> tokenizer = loadTokenizer(args.artifact);
  if (!tokenizer.ok())
    return report(tokenizer.status());
  Result<R1ChatTokens> chatTokens = chatTokensFor(*tokenizer, args.artifact);
  if (!chatTokens.ok())
    return report(chatTokens.status());

  serve::EngineOptions engineOptions;
  engineOptions.threads = args.threads;
  engineOptions.ctx = args.ctx;
  engineOptions.maxBatch = args.maxBatch;
  engineOptions.maxQueue = args.maxQueue;
  engineOptions.kvTokens = args.kvTokens;
  engineOptions.precision = parsePrecision(args.precision);
  Result<std::unique_ptr<serve::Engine>> engine =
      serve::Engine::create(**model, *tokenizer, engineOptions);
  if (!engine.ok())
    return report(engine.status());

  serve::ServerOptions options;
  options.host = args.host;
  options.port = args.port;
  options.apiKey = args.apiKey;
  if (args.modelName.empty()) {
    std::string name = args.artifact.substr(args.artifact.find_last_of('/') + 1);
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".r1") == 0)
      name.resize(name.size() - 3);
    args.modelName = name;
  }
  options.modelName = args.modelName;
  options.httpThreads = args.httpThreads;
  options.maxBodyBytes = static_cast<size_t>(args.maxBodyBytes);
  options.readTimeoutSeconds = args.readTimeout;
  options.thinkPrefix = !args.noThinkPrefix;
  options.logRequests = !args.quiet;
  serve::Server server(**engine, *tokenizer, *chatTokens, options);
  if (Status s = server.bind(); !s.ok())
    return report(s);
  if (!args.portFile.empty())
    if (Status s = writePortFile(args.portFile, server.port()); !s.ok())
      return report(s);
  const serve::EngineStats stats = (*engine)->stats();
  std::fprintf(stderr,
               "r1run: serving %s on http://%s:%d (context %lld tokens per request, up to %lld "
               "decoded together, %lld KV tokens, %d threads%s)\n",
               args.modelName.c_str(), args.host.c_str(), server.port(),
               static_cast<long long>((*engine)->ctx()), static_cast<long long>(args.maxBatch),
               static_cast<long long>(stats.kvTokensCapacity), (*engine)->runner().threads(),
               (*engine)->runner().batchesSteps() ? "" : "; no r1_decode_batch: one step per "
                                                         "sequence");

  std::thread waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    std::fprintf(stderr, "r1run: %s: stopping the server\n",
                 signal == SIGINT ? "interrupted" : "terminated");
    server.stop();
  });
  Status served = server.run();
  // The waiter may still be in sigwait (the server failed by itself): wake it.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  if (!args.portFile.empty())
    std::remove(args.portFile.c_str());
  return served.ok() ? kSuccess : report(served);
}

} // namespace

CommandRunner addServeCommand(CLI::App &app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App *command = app.add_subcommand(
      "serve", "An OpenAI-compatible HTTP server with continuous batching (docs/serving.md)");
  command->add_option("ARTIFACT", args->artifact, "The compiled model (.r1) for the host")
      ->required();
  command
      ->add_option("--host", args->host,
                   "The address to listen on (default 127.0.0.1: this machine only)")
      ->each([args](const std::string &) { args->hostGiven = true; })
      ->option_text("ADDRESS");
  command->add_option("--port", args->port, "The port (default 8000; 0: any free one)")
      ->option_text("N");
  command->add_option("--port-file", args->portFile,
                      "Write the port here once listening (removed at exit)")
      ->option_text("PATH");
  command->add_option("--api-key", args->apiKey,
                      "Require 'Authorization: Bearer KEY' on /v1/ and /metrics (or set "
                      "R1RUN_API_KEY)")
      ->option_text("KEY");
  command->add_option("--model-name", args->modelName,
                      "The model's name in the API (default: the artifact's file name without "
                      ".r1)")
      ->option_text("NAME");
  command->add_option("--ctx", args->ctx,
                      "The most tokens one request may use, prompt and completion (default: "
                      "min(max_positions, 4096))")
      ->option_text("N");
  command->add_option("--threads", args->threads, "Threads of the model's steps (default: all CPUs)")
      ->option_text("N");
  addWeightsOption(*command, args->weights);
  command->add_option("--max-batch", args->maxBatch,
                      "Sequences generated together (default 16)")
      ->option_text("N");
  command->add_option("--max-queue", args->maxQueue,
                      "Sequences waiting for a slot; beyond, HTTP 503 (default 64)")
      ->option_text("N");
  command->add_option("--kv-tokens", args->kvTokens,
                      "KV cache tokens reserved over all running sequences (default: max-batch x "
                      "ctx)")
      ->option_text("N");
  command->add_option("--http-threads", args->httpThreads,
                      "Connections handled at once (default 64)")
      ->option_text("N");
  command->add_option("--max-body-bytes", args->maxBodyBytes,
                      "The largest request body; beyond, HTTP 413 (default 8 MiB)")
      ->option_text("N");
  command->add_option("--read-timeout", args->readTimeout,
                      "Seconds a client may take to send a request, or to take a response's "
                      "bytes (default 10)")
      ->option_text("S");
  command->add_option("--precision", args->precision, "default, fp32 or bf16 (R1Abi.h)")
      ->check(CLI::IsMember({"default", "fp32", "bf16"}));
  command->add_flag("--no-think-prefix", args->noThinkPrefix,
                    "Do not open the think block in chat prompts (R1 recommends it)");
  command->add_flag("-q,--quiet", args->quiet, "No line per request on stderr");
  return [command, args] { return command->parsed() ? runServe(*args) : -1; };
}

} // namespace r1run_tool
