//===- SamplerBench.cpp - Cost of choosing one token ----------------------===//
//
// r1c-bench-sampler: the time runtime/Sampler takes per token on one thread,
// for a vocabulary of --vocab logits (default 129,280, DeepSeek-V3/R1's), in
// the settings r1run offers. The logits are synthetic but shaped like a
// model's: N(0, 2.5^2) noise with five tokens 4 to 12 above the rest (a
// peaked distribution, as R1 mostly produces at temperature 0.6), 16 rows
// used in turn so that they do not all sit in the cache; "flat" is the worst
// case for top-p (all logits equal: every token is gathered and sorted; it
// runs 50 times fewer tokens).
// Prints microseconds per token per run and the median; the last line is
// JSON for scripts.
//
//===----------------------------------------------------------------------===//

#include "runtime/Sampler.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
using r1::runtime::Sampler;
using r1::runtime::SamplingParams;
using Clock = std::chrono::steady_clock;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/// A fixed 64-bit generator (the benchmark's inputs are the same every run).
struct Lcg {
  uint64_t state = 1;
  uint64_t next() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Roughly N(0, 1): the sum of 12 uniforms, less 6.
  double normal() {
    double sum = 0;
    for (int i = 0; i < 12; ++i)
      sum += uniform();
    return sum - 6;
  }
};

std::vector<std::vector<float>> peakedRows(int32_t vocab, int rows) {
  Lcg lcg;
  std::vector<std::vector<float>> out(rows, std::vector<float>(vocab));
  for (std::vector<float> &row : out) {
    for (float &logit : row)
      logit = static_cast<float>(2.5 * lcg.normal());
    for (int j = 0; j < 5; ++j)
      row[lcg.next() % static_cast<uint64_t>(vocab)] += 12.0f - 2.0f * j;
  }
  return out;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"r1c-bench-sampler: microseconds per token of runtime/Sampler (one thread)",
               "r1c-bench-sampler"};
  int32_t vocab = 129280;
  int tokens = 2000;
  int repeat = 5;
  app.add_option("--vocab", vocab, "Logits per token (default 129280)")->check(CLI::PositiveNumber);
  app.add_option("--tokens", tokens, "Tokens sampled per run (default 2000)")
      ->check(CLI::PositiveNumber);
  app.add_option("--repeat", repeat, "Runs per setting (default 5)")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  std::vector<std::vector<float>> peaked = peakedRows(vocab, 16);
  std::vector<std::vector<float>> flat(1, std::vector<float>(vocab, 0.0f));
  // A history for the penalties: 4096 earlier tokens.
  Lcg lcg;
  std::vector<int32_t> history(4096);
  for (int32_t &id : history)
    id = static_cast<int32_t>(lcg.next() % static_cast<uint64_t>(vocab));

  struct Setting {
    const char *name;
    SamplingParams params;
    const std::vector<std::vector<float>> *rows;
    int slowdown = 1; // runs this many times fewer tokens
  };
  std::vector<Setting> settings;
  SamplingParams defaults;
  settings.push_back({"defaults (T 0.6, top-p 0.95)", defaults, &peaked});
  SamplingParams greedy;
  greedy.temperature = 0;
  settings.push_back({"greedy (T 0)", greedy, &peaked});
  SamplingParams pure;
  pure.temperature = 1;
  pure.topP = 1;
  settings.push_back({"T 1, no truncation", pure, &peaked});
  SamplingParams topK = defaults;
  topK.topK = 40;
  settings.push_back({"defaults + top-k 40", topK, &peaked});
  SamplingParams minP = defaults;
  minP.topP = 1;
  minP.minP = 0.05f;
  settings.push_back({"T 0.6, min-p 0.05", minP, &peaked});
  SamplingParams penalties = defaults;
  penalties.repeatPenalty = 1.1f;
  penalties.presencePenalty = 0.5f;
  penalties.frequencyPenalty = 0.1f;
  settings.push_back({"defaults + penalties (last 64)", penalties, &peaked});
  settings.push_back({"defaults, flat logits (worst)", defaults, &flat, 50});

  std::printf("vocab %d, %d tokens per run, %d runs\n", vocab, tokens, repeat);
  json results = json::array();
  for (const Setting &setting : settings) {
    Sampler sampler(setting.params, vocab);
    const std::vector<std::vector<float>> &rows = *setting.rows;
    int64_t checksum = 0;
    // Warm up: scratch buffers allocated, code and rows touched.
    for (size_t i = 0; i < 2 * rows.size(); ++i)
      checksum += sampler.sample(rows[i % rows.size()].data(), history);
    const int count = std::max(1, tokens / setting.slowdown);
    std::vector<double> micros;
    for (int r = 0; r < repeat; ++r) {
      auto start = Clock::now();
      for (int i = 0; i < count; ++i)
        checksum += sampler.sample(rows[static_cast<size_t>(i) % rows.size()].data(), history);
      micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count() /
                       count);
    }
    std::printf("  %-32s median %8.1f us/token (runs:", setting.name, median(micros));
    for (double m : micros)
      std::printf(" %.1f", m);
    std::printf("; checksum %lld)\n", static_cast<long long>(checksum));
    results.push_back({{"setting", setting.name},
                       {"median_us_per_token", median(micros)},
                       {"min_us_per_token", *std::min_element(micros.begin(), micros.end())}});
  }
  std::printf("%s\n", json{{"vocab", vocab}, {"results", results}}.dump().c_str());
  return 0;
}
