//===- BenchCommand.cpp - r1run bench: prefill and decode throughput ------===//
//
// Each repeat starts from a fresh session state (position 0, zeroed KV
// cache), times the prefill of a fixed pseudo-random prompt (one step, logits
// of the last row only) and then the greedy decode of --gen-tokens tokens.
// Medians resist the first repeat's page faults (weights are mapped lazily);
// min and max show the spread. The last line is JSON for scripts.
//
// Before each repeat a STREAM-like probe (runtime/BandwidthProbe.h) measures
// memory read bandwidth with the same number of threads, so every decode
// figure comes with the roofline of the same run: bandwidth divided by the
// bytes one decode token reads (the manifest's decode weight bytes plus the
// KV cache rows attention reads, averaged over the generated positions).
// The probe does not run for a GPU artifact, whose memory it cannot see.
//
//===----------------------------------------------------------------------===//

#include "tools/r1run/Commands.h"

#include "runtime/BandwidthProbe.h"
#include "runtime/CpuFeatures.h"
#include "runtime/Greedy.h"
#include "runtime/Model.h"
#include "runtime/Session.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>

namespace r1run_tool {

using namespace r1::runtime;

namespace {

struct BenchArgs {
  std::string artifact;
  int64_t promptTokens = 128;
  int64_t genTokens = 64;
  int repeat = 5;
  int threads = 0;
  std::string device = "gpu";
  std::string weights = "auto";
  std::string precision = "default";
  int64_t ctx = 0;
  bool probe = true;
  bool tuning = true;
  std::string tuningOverrides;
  bool json = false;
};

struct Spread {
  double median = 0, min = 0, max = 0;
};

Spread spreadOf(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return {median, values.front(), values.back()};
}

/// Tokens/s to 0.1: more digits than the run-to-run noise would be noise.
double rounded(double value) { return std::round(value * 10) / 10; }

nlohmann::json toJson(const Spread &s) {
  return {{"median", rounded(s.median)}, {"min", rounded(s.min)}, {"max", rounded(s.max)}};
}

/// The same ids on every run and machine (splitmix64), so figures compare.
std::vector<int32_t> benchPrompt(int64_t count, uint64_t vocab) {
  std::vector<int32_t> tokens;
  uint64_t state = 0x5231'6265'6e63'6821ull;
  for (int64_t i = 0; i < count; ++i) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    tokens.push_back(static_cast<int32_t>(z % vocab));
  }
  return tokens;
}

/// printf, unless `quiet`.
__attribute__((format(printf, 2, 3))) void say(bool quiet, const char *format, ...) {
  if (quiet)
    return;
  va_list values;
  va_start(values, format);
  std::vfprintf(stdout, format, values);
  va_end(values);
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int runBench(const BenchArgs &args) {
  // --json: the summary object alone, for scripts (bench/cpu.sh).
  bool quiet = args.json;
  Result<std::unique_ptr<Model>> model = Model::load(args.artifact, modelLoadOptions(args.device, args.weights));
  if (!model.ok())
    return report(model.status());
  const ModelManifest &m = (*model)->manifest();
  SessionOptions options;
  options.ctx = args.ctx;
  options.threads = args.threads;
  if (!args.tuning)
    options.tuning = r1_tuning{}; // the kernels' defaults, for A/B against r1c tune's choice
  if (!args.tuningOverrides.empty()) {
    r1_tuning tuning = options.tuning.value_or(m.tuning);
    std::string error;
    if (!parseTuningOverrides(args.tuningOverrides, tuning, error))
      return usageError(error);
    options.tuning = tuning;
  }
  Result<std::unique_ptr<Session>> created = Session::create(**model, options);
  if (!created.ok())
    return report(created.status());
  Session &session = **created;
  if (args.promptTokens + args.genTokens > session.capacity()) {
    std::string message = "--prompt-tokens " + std::to_string(args.promptTokens) +
                          " + --gen-tokens " + std::to_string(args.genTokens) +
                          " exceed the context of " + std::to_string(session.capacity()) +
                          " tokens";
    if (session.capacity() < static_cast<int64_t>(m.maxPositions))
      message += "; raise --ctx (max " + std::to_string(m.maxPositions) + ")";
    else
      message += ", the model's max_positions";
    return report(Status::badInput(message));
  }

  r1_precision precision = parsePrecision(args.precision);
  std::vector<int32_t> prompt = benchPrompt(args.promptTokens, m.vocabSize);
  std::vector<float> logits(m.vocabSize);
  std::vector<double> prefillRates, decodeRates, bandwidths;
  // The KV rows a decode step at position p reads are p + 1; averaged over
  // the generated positions prompt .. prompt + gen - 1.
  double meanKvRows = static_cast<double>(args.promptTokens) +
                      static_cast<double>(args.genTokens + 1) / 2;
  double bytesPerDecodeToken = static_cast<double>(m.decodeWeightBytesPerToken) +
                               static_cast<double>(m.kvBytesPerToken) * meanKvRows;
  bool probing = args.probe && m.targetKind == "host" && m.decodeWeightBytesPerToken > 0;
  std::unique_ptr<BandwidthProbe> probe;
  std::unique_ptr<ThreadPool> probePool;
  if (probing) {
    probe = std::make_unique<BandwidthProbe>();
    probePool = std::make_unique<ThreadPool>(session.threads());
  }
  // The prompt's (first) step runs on AMX if the code may use it here and
  // the step is past both thresholds: the GEMV cores' and AMX's own.
  const r1_tuning tuning = withDefaults(session.tuning());
  int64_t firstStep = std::min(args.promptTokens, session.chunkTokens());
  bool amx = prefillUsesAmx(m, precision) && firstStep >= tuning.amx_min_tokens &&
             firstStep > tuning.gemv_max_tokens;
  say(quiet, "r1run bench: %s, %d threads, precision %s%s, weights %s, prompt %lld tokens, "
              "%lld generated, %d repeats\n",
              args.artifact.c_str(), session.threads(), args.precision.c_str(),
              amx ? " (prefill on AMX tiles)" : "", weightsWhere(**model),
              static_cast<long long>(args.promptTokens),
              static_cast<long long>(args.genTokens), args.repeat);
  if (m.targetKind == "host")
    say(quiet, "tuning: %s%s%s\n",
        args.tuning ? describeTuning(m).c_str() : "off (--no-tuning): the kernels' defaults",
        args.tuningOverrides.empty() ? "" : "; overridden: ", args.tuningOverrides.c_str());
  for (int r = 0; r < args.repeat; ++r) {
    if (probing)
      bandwidths.push_back(probe->measure(*probePool));
    session.reset();
    auto start = std::chrono::steady_clock::now();
    if (Status s = session.step(prompt, LogitsMode::kLast, precision, logits.data()); !s.ok())
      return report(s);
    double prefillSeconds = secondsSince(start);
    start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < args.genTokens; ++i) {
      int32_t next = argmax(logits.data(), static_cast<int64_t>(logits.size()));
      if (Status s = session.step({&next, 1}, LogitsMode::kLast, precision, logits.data()); !s.ok())
        return report(s);
    }
    double decodeSeconds = secondsSince(start);
    prefillRates.push_back(static_cast<double>(args.promptTokens) / prefillSeconds);
    double decodeRate =
        args.genTokens > 0 ? static_cast<double>(args.genTokens) / decodeSeconds : 0;
    decodeRates.push_back(decodeRate);
    say(quiet, "repeat %d: prefill %.1f tokens/s (%.2f ms), decode %.1f tokens/s (%.2f ms)", r + 1,
                prefillRates.back(), prefillSeconds * 1e3, decodeRate, decodeSeconds * 1e3);
    if (probing)
      say(quiet, ", read bandwidth %.1f GB/s", bandwidths.back() / 1e9);
    say(quiet, "\n");
  }

  Spread prefill = spreadOf(prefillRates), decode = spreadOf(decodeRates);
  say(quiet, "prefill: median %.1f tokens/s (min %.1f, max %.1f)\n", prefill.median, prefill.min,
              prefill.max);
  say(quiet, "decode:  median %.1f tokens/s (min %.1f, max %.1f)\n", decode.median, decode.min,
              decode.max);
  nlohmann::json bandwidthJson, rooflineJson;
  if (probing) {
    Spread bandwidth = spreadOf(bandwidths);
    double roofline = bandwidth.median / bytesPerDecodeToken;
    double fraction = args.genTokens > 0 ? decode.median / roofline : 0;
    say(quiet, "roofline: %.1f MB read per decode token; memory read bandwidth median %.1f GB/s "
                "(min %.1f, max %.1f) -> %.1f tokens/s; decode at %.0f%% of it\n",
                bytesPerDecodeToken / 1e6, bandwidth.median / 1e9, bandwidth.min / 1e9,
                bandwidth.max / 1e9, roofline, fraction * 100);
    bandwidthJson = std::round(bandwidth.median / 1e8) / 10;
    rooflineJson = std::round(fraction * 1000) / 1000;
  }
  nlohmann::json summary = {{"artifact", args.artifact},
                            {"artifact_bytes", (*model)->artifact().fileBytes()},
                            {"threads", session.threads()},
                            {"precision", args.precision},
                            {"amx", amx},
                            {"weights", weightsWhere(**model)},
                            {"tuned", args.tuning && !m.tunedOn.empty()},
                            {"tuning_overrides", args.tuningOverrides.empty()
                                                     ? nlohmann::json()
                                                     : nlohmann::json(args.tuningOverrides)},
                            {"ctx", session.capacity()},
                            {"prompt_tokens", args.promptTokens},
                            {"gen_tokens", args.genTokens},
                            {"repeat", args.repeat},
                            {"prefill_tokens_per_s", toJson(prefill)},
                            {"decode_tokens_per_s", toJson(decode)},
                            {"bytes_per_decode_token",
                             m.decodeWeightBytesPerToken > 0
                                 ? nlohmann::json(std::llround(bytesPerDecodeToken))
                                 : nlohmann::json()},
                            {"bandwidth_gb_per_s", bandwidthJson},
                            {"roofline_fraction", rooflineJson}};
  std::printf("%s\n", summary.dump(args.json ? 2 : -1, ' ', false,
                                    nlohmann::json::error_handler_t::replace)
                         .c_str());
  return kSuccess;
}

} // namespace

CommandRunner addBenchCommand(CLI::App &app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App *bench = app.add_subcommand(
      "bench", "Measure prefill and decode throughput (tokens/s) on a synthetic prompt");
  bench->add_option("ARTIFACT", args->artifact, "The artifact")->required();
  bench->add_option("--prompt-tokens", args->promptTokens, "Prompt length (default 128)")
      ->option_text("N")
      ->check(CLI::Range(int64_t(1), kMaxCount));
  bench->add_option("--gen-tokens", args->genTokens, "Decode steps per repeat (default 64)")
      ->option_text("N")
      ->check(CLI::Range(int64_t(0), kMaxCount));
  bench->add_option("--repeat", args->repeat, "Repeats; medians are reported (default 5)")
      ->option_text("N")
      ->check(CLI::Range(1, 1000000));
  addDeviceOption(*bench, args->device);
  addWeightsOption(*bench, args->weights);
  bench->add_option("--threads", args->threads, "Threads (default: every CPU this process may use)")
      ->option_text("N")
      ->check(CLI::Range(1, 4096));
  bench->add_option("--precision", args->precision, "default, fp32 or bf16 (as for r1run ARTIFACT)")
      ->option_text("default|fp32|bf16")
      ->check(CLI::IsMember({"default", "fp32", "bf16"}));
  bench->add_option("--ctx", args->ctx, "Context in tokens (default: min(max_positions, 4096))")
      ->option_text("N")
      ->check(CLI::Range(int64_t(1), kMaxCount));
  bench->add_flag("--json", args->json,
                  "Print only the summary as one JSON object (the text lines are left out)");
  bench->add_flag("!--no-probe", args->probe,
                  "Skip the memory bandwidth probe (and so the roofline) between repeats");
  bench->add_flag("!--no-tuning", args->tuning,
                  "Ignore the artifact's \"tuning\" (r1c tune) and run the kernels' defaults");
  bench->add_option("--tuning", args->tuningOverrides,
                    "Set tiling knobs by hand on top of the artifact's tuning (or the defaults\n"
                    "with --no-tuning): amx_min_tokens, amx_min_expert_tokens,\n"
                    "decode_tasks_per_thread, gemv_max_tokens")
      ->option_text("KNOB=N,...");
  bench->footer(
      "Example:\n  r1run bench qwen.r1 --prompt-tokens 512 --gen-tokens 128 --threads 16");
  return [bench, args]() -> int { return bench->parsed() ? runBench(*args) : -1; };
}

} // namespace r1run_tool
