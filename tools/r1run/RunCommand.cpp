//===- RunCommand.cpp - r1run ARTIFACT: run a prompt, greedy generation ---===//

#include "tools/r1run/Commands.h"

#include "runtime/ArtifactReader.h"
#include "runtime/Greedy.h"
#include "runtime/Model.h"
#include "runtime/Session.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace r1run_tool {

using namespace r1::runtime;

namespace {

struct RunArgs {
  std::string artifact;
  std::string tokens;
  int64_t generate = 16;
  std::string dumpLogits;
  int64_t chunk = 0;
  std::string precision = "default";
  int64_t ctx = 0;
  int threads = 0;
  std::string device = "gpu";
  std::string weights = "auto";
  bool verify = false;
  bool ignoreEos = false;
  CLI::Option *tokensOption = nullptr;
  CLI::Option *generateOption = nullptr;
  CLI::Option *dumpOption = nullptr;
};

/// `r1run --verify`: every section's checksum, one line each.
int runVerify(const std::string &path) {
  Result<std::unique_ptr<ArtifactReader>> reader = ArtifactReader::open(path);
  if (!reader.ok())
    return report(reader.status());
  Status status = (*reader)->verify([](const ArtifactSection &section, uint64_t computed) {
    std::printf("%-22s %12llu bytes  xxh64 %s  %s\n", section.name.c_str(),
                static_cast<unsigned long long>(section.bytes), formatXxh64(computed).c_str(),
                computed == section.xxh64 ? "ok" : "MISMATCH");
  });
  std::fflush(stdout);
  if (!status.ok())
    return report(status);
  std::printf("%s: all %zu sections match their checksums\n", path.c_str(),
              (*reader)->sections().size());
  return kSuccess;
}

/// A file written whole or not at all: created as PATH.tmp.<pid> before any
/// work (so an unwritable path fails fast), renamed over PATH when complete.
class AtomicOutput {
public:
  ~AtomicOutput() {
    if (fd_ >= 0)
      ::close(fd_);
    if (!temp_.empty())
      ::unlink(temp_.c_str());
  }
  Status open(const std::string &path) {
    path_ = path;
    std::string temp = path + ".tmp." + std::to_string(::getpid());
    fd_ = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0)
      return Status::outputError(path +
                                 ": cannot create a temporary file: " + std::strerror(errno));
    temp_ = temp;
    return Status::success();
  }
  Status commit(const void *data, size_t bytes) {
    const auto *p = static_cast<const unsigned char *>(data);
    while (bytes > 0) {
      ssize_t n = ::write(fd_, p, bytes);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return Status::outputError(path_ + ": write failed: " + std::strerror(errno));
      p += n;
      bytes -= static_cast<size_t>(n);
    }
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0)
      return Status::outputError(path_ + ": write failed: " + std::strerror(errno));
    if (::rename(temp_.c_str(), path_.c_str()) != 0)
      return Status::outputError(
          path_ + ": cannot rename the finished file into place: " + std::strerror(errno));
    temp_.clear();
    return Status::success();
  }

private:
  std::string path_;
  std::string temp_;
  int fd_ = -1;
};

void printRate(const char *what, int64_t tokens, double seconds) {
  double ms = seconds * 1e3;
  double rate = seconds > 0 ? static_cast<double>(tokens) / seconds : 0;
  std::fprintf(stderr, "r1run: %s: %lld tokens in %.2f ms (%.1f tokens/s)\n", what,
               static_cast<long long>(tokens), ms, rate);
}

int runPrompt(RunArgs &args) {
  if (args.artifact.empty())
    return usageError("no ARTIFACT given; usage: r1run ARTIFACT [--tokens 1,2,3] [OPTIONS], "
                      "r1run info ARTIFACT, r1run bench ARTIFACT");
  bool wantsRun =
      args.tokensOption->count() || args.generateOption->count() || args.dumpOption->count();
  if (args.verify) {
    if (int code = runVerify(args.artifact); code != kSuccess || !wantsRun)
      return code;
  }

  std::vector<int32_t> prompt;
  if (args.tokensOption->count()) {
    std::string error;
    std::optional<std::vector<int32_t>> parsed = parseTokenList(args.tokens, error);
    if (!parsed)
      return usageError(error);
    prompt = std::move(*parsed);
  }
  // Logits are mostly dumped to compare with a reference, not to generate.
  int64_t generate = args.generateOption->count() ? args.generate
                     : args.dumpOption->count()   ? 0
                                                  : 16;

  AtomicOutput logitsFile;
  if (!args.dumpLogits.empty())
    if (Status s = logitsFile.open(args.dumpLogits); !s.ok())
      return report(s);

  Result<std::unique_ptr<Model>> model = Model::load(args.artifact, modelLoadOptions(args.device, args.weights));
  if (!model.ok())
    return report(model.status());
  const ModelManifest &m = (*model)->manifest();
  if ((*model)->cuda())
    std::fprintf(stderr, "r1run: device: %s\n", (*model)->deviceDescription().c_str());
  if (prompt.empty()) {
    if (!m.bosTokenId)
      return report(Status::badInput(args.artifact + ": the model has no bos_token_id to start "
                                                     "from; give the prompt with --tokens"));
    prompt.push_back(*m.bosTokenId);
  }

  SessionOptions options;
  options.ctx = args.ctx;
  options.threads = args.threads;
  options.chunkTokens = args.chunk;
  Result<std::unique_ptr<Session>> session = Session::create(**model, options);
  if (!session.ok())
    return report(session.status());

  std::vector<float> logits;
  GreedyOptions greedy;
  greedy.maxNewTokens = generate;
  greedy.stopAtEos = !args.ignoreEos;
  greedy.precision = parsePrecision(args.precision);
  if (!args.dumpLogits.empty()) {
    logits.resize(prompt.size() * m.vocabSize);
    greedy.promptLogits = logits.data();
  }
  GenerationStats stats;
  Result<std::vector<int32_t>> generated = generateGreedy(**session, prompt, greedy, &stats);
  if (!generated.ok())
    return report(generated.status());

  if (!args.dumpLogits.empty())
    if (Status s = logitsFile.commit(logits.data(), logits.size() * sizeof(float)); !s.ok())
      return report(s);
  if (generate > 0) {
    std::printf("generated:");
    for (int32_t token : *generated)
      std::printf(" %d", token);
    std::printf("\n");
  }
  std::fflush(stdout);
  printRate("prefill", stats.prefillTokens, stats.prefillSeconds);
  if (stats.decodeSteps > 0)
    printRate("decode", stats.decodeSteps, stats.decodeSeconds);
  return kSuccess;
}

} // namespace

CommandRunner addRunCommand(CLI::App &app) {
  auto args = std::make_shared<RunArgs>();
  app.add_option("ARTIFACT", args->artifact, "The artifact to run (r1c compile -o ARTIFACT)");
  args->tokensOption =
      app.add_option("--tokens", args->tokens,
                     "Prompt token ids, comma-separated (default: the model's bos_token_id)")
          ->option_text("1,2,3");
  args->generateOption =
      app.add_option("--generate", args->generate,
                     "Tokens to generate greedily after the prompt (default 16, or 0 with\n"
                     "--dump-logits); stops early at an end-of-sequence token")
          ->option_text("N")
          ->check(CLI::Range(int64_t(0), kMaxCount));
  args->dumpOption =
      app.add_option("--dump-logits", args->dumpLogits,
                     "Write the prompt's logits here: float32 little-endian, row-major\n"
                     "[prompt tokens x vocab_size] (written atomically)")
          ->option_text("FILE");
  app.add_option("--chunk", args->chunk,
                 "Feed the prompt N tokens per step (1: one decode step per token;\n"
                 "default and maximum: the artifact's max_step_tokens)")
      ->option_text("N")
      ->check(CLI::Range(int64_t(1), kMaxCount));
  app.add_option("--precision", args->precision,
                 "default (what the artifact recommends), fp32 (the reference) or bf16\n"
                 "(bf16 dot products where the CPU has AVX512-BF16)")
      ->option_text("default|fp32|bf16")
      ->check(CLI::IsMember({"default", "fp32", "bf16"}));
  app.add_option("--ctx", args->ctx,
                 "Context (KV cache) in tokens (default: min(max_positions, 4096))")
      ->option_text("N")
      ->check(CLI::Range(int64_t(1), kMaxCount));
  addDeviceOption(app, args->device);
  addWeightsOption(app, args->weights);
  app.add_option("--threads", args->threads, "Threads (default: every CPU this process may use)")
      ->option_text("N")
      ->check(CLI::Range(1, 4096));
  app.add_flag("--verify", args->verify,
               "Check every section's checksum first; alone, only that (exit 0 or 1)");
  app.add_flag("--ignore-eos", args->ignoreEos, "Keep generating after an end-of-sequence token");
  return [&app, args]() -> int { return app.get_subcommands().empty() ? runPrompt(*args) : -1; };
}

} // namespace r1run_tool
