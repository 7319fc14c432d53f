//===- TokenizerBench.cpp - Encode throughput of the tokenizer ------------===//
//
// r1c-bench-tokenizer: encodes mixed multilingual text (every golden text
// and chat rendering of ../shared/goldens/tokenizer/NAME.json, joined, then
// repeated to --mb megabytes) on one thread and prints MB/s per run and the
// median, for each tokenizer:
//   warm      the word cache filled by the runs before (steady state);
//   cold      the cache emptied before each run (it refills within the run:
//             the text repeats);
//   uncached  the goldens' texts once per pass, the cache emptied before each
//             pass, passes repeated to --mb megabytes: every distinct word
//             goes through BPE once per pass, a worst case for real text.
// The last line is JSON for scripts. Figures: docs/tokenizer.md.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/Tokenizer.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
using r1::runtime::Result;
using r1::runtime::Tokenizer;
using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/// The goldens' texts and chat renderings, joined by newlines.
std::string goldenText(const std::string &path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "r1c-bench-tokenizer: error: cannot read %s\n", path.c_str());
    std::exit(1);
  }
  json golden = json::parse(in);
  std::string text;
  for (const json &c : golden["cases"])
    text += c["text"].get<std::string>() + "\n";
  for (const json &c : golden["chat_cases"])
    text += c["rendered"].get<std::string>() + "\n";
  return text;
}

json measure(const std::string &shared, const std::string &name, double megabytes, int repeat) {
  auto loadStart = Clock::now();
  Result<Tokenizer> loaded = Tokenizer::fromDirectory(shared + "/tokenizers/" + name);
  if (!loaded.ok()) {
    std::fprintf(stderr, "r1c-bench-tokenizer: error: %s\n", loaded.status().message().c_str());
    std::exit(1);
  }
  double loadSeconds = seconds(loadStart);
  const Tokenizer &tokenizer = *loaded;
  std::string unit = goldenText(shared + "/goldens/tokenizer/" + name + ".json");
  size_t target = static_cast<size_t>(megabytes * 1e6);
  std::string text;
  text.reserve(target + unit.size());
  while (text.size() < target)
    text += unit;
  double mb = text.size() / 1e6;
  std::printf("%s: loaded in %.2f s; text %.1f MB (%zu bytes of goldens repeated), %d runs\n",
              name.c_str(), loadSeconds, mb, unit.size(), repeat);

  std::vector<int32_t> ids;
  auto run = [&](const char *label, bool clear) {
    std::vector<double> rates;
    for (int r = 0; r < repeat; ++r) {
      if (clear)
        tokenizer.clearCache();
      ids.clear();
      auto start = Clock::now();
      tokenizer.encode(text, ids);
      rates.push_back(mb / seconds(start));
      std::printf("  %-8s run %d: %7.1f MB/s (%zu tokens, %.2f bytes/token)\n", label, r + 1,
                  rates.back(), ids.size(), double(text.size()) / double(ids.size()));
    }
    return rates;
  };
  std::vector<double> cold = run("cold", true);
  std::vector<double> warm = run("warm", false);

  std::vector<double> uncached;
  for (int r = 0; r < repeat; ++r) {
    size_t done = 0;
    auto start = Clock::now();
    while (done < target) {
      tokenizer.clearCache();
      ids.clear();
      tokenizer.encode(unit, ids);
      done += unit.size();
    }
    uncached.push_back(done / 1e6 / seconds(start));
    std::printf("  %-8s run %d: %7.1f MB/s\n", "uncached", r + 1, uncached.back());
  }
  auto summary = [](const std::vector<double> &v) {
    return json{{"median", median(v)},
                {"min", *std::min_element(v.begin(), v.end())},
                {"max", *std::max_element(v.begin(), v.end())}};
  };
  json result = {{"tokenizer", name},
                 {"megabytes", mb},
                 {"load_seconds", loadSeconds},
                 {"warm_mb_per_s", summary(warm)},
                 {"cold_mb_per_s", summary(cold)},
                 {"uncached_mb_per_s", summary(uncached)}};
  std::printf("%s: median warm %.1f MB/s, cold %.1f MB/s, uncached %.1f MB/s\n", name.c_str(),
              median(warm), median(cold), median(uncached));
  return result;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"r1c-bench-tokenizer: encode throughput (MB/s, one thread) of the tokenizers in "
               "../shared on their goldens' multilingual text",
               "r1c-bench-tokenizer"};
  std::string shared = R1C_SHARED_DIR;
  std::vector<std::string> names = {"deepseek-v3", "qwen", "llama3"};
  double megabytes = 20;
  int repeat = 5;
  app.add_option("--shared", shared, "The shared directory (tokenizers/, goldens/tokenizer/)");
  app.add_option("--tokenizer", names, "Tokenizers to measure (default: all three)");
  app.add_option("--mb", megabytes, "Megabytes of text per run (default 20)")
      ->check(CLI::PositiveNumber);
  app.add_option("--repeat", repeat, "Runs per measurement (default 5)")
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  json results = json::array();
  for (const std::string &name : names)
    results.push_back(measure(shared, name, megabytes, repeat));
  std::printf("%s\n", results.dump().c_str());
  return 0;
}
