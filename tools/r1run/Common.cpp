//===- Common.cpp - Error reporting and argument parsing for r1run --------===//

#include "tools/r1run/Commands.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>

#include <charconv>
#include <cstdio>
#include <unistd.h>

namespace r1run_tool {

using r1::runtime::ErrorKind;

int report(const r1::runtime::Status &status) {
  std::fprintf(stderr, "r1run: error: %s\n", status.message().c_str());
  switch (status.kind()) {
  case ErrorKind::kNone:
    return kSuccess;
  case ErrorKind::kBadInput:
    return kBadInput;
  case ErrorKind::kOutput:
    return kOutputFailed;
  case ErrorKind::kRuntime:
    return kRuntimeFailed;
  }
  return kRuntimeFailed;
}

int usageError(const std::string &message) {
  std::fprintf(stderr, "r1run: error: %s; see 'r1run --help'\n", message.c_str());
  return kUsage;
}

std::optional<std::vector<int32_t>> parseTokenList(const std::string &text, std::string &error) {
  std::vector<int32_t> tokens;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string_view item(text.data() + start,
                          (comma == std::string::npos ? text.size() : comma) - start);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    int32_t value = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() || value < 0) {
      error = "--tokens: \"" + std::string(item) + "\" (item " + std::to_string(tokens.size() + 1) +
              ") is not a token id; expected comma-separated non-negative integers like 1,2,3";
      return std::nullopt;
    }
    tokens.push_back(value);
    if (comma == std::string::npos)
      return tokens;
    start = comma + 1;
  }
}

r1_precision parsePrecision(const std::string &name) {
  if (name == "fp32")
    return R1_PRECISION_FP32;
  if (name == "bf16")
    return R1_PRECISION_BF16;
  return R1_PRECISION_DEFAULT;
}

bool parseTuningOverrides(const std::string &text, r1_tuning &tuning, std::string &error) {
  using r1::runtime::kTuningKnobs;
  std::string names;
  for (const r1::runtime::TuningKnob &knob : kTuningKnobs)
    names += std::string(names.empty() ? "" : ", ") + knob.name;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos
                                                                     : comma - start);
    size_t eq = item.find('=');
    std::string key = item.substr(0, eq);
    const r1::runtime::TuningKnob *knob = nullptr;
    for (const r1::runtime::TuningKnob &k : kTuningKnobs)
      if (key == k.name)
        knob = &k;
    if (!knob || eq == std::string::npos) {
      error = "--tuning: \"" + item + "\" is not KNOB=VALUE with KNOB one of " + names;
      return false;
    }
    std::string value = item.substr(eq + 1);
    char *end = nullptr;
    errno = 0;
    unsigned long long number = std::strtoull(value.c_str(), &end, 10);
    if (value.empty() || *end || errno || value[0] == '-' || number < 1 || number > knob->max) {
      error = "--tuning: " + key + " must be an integer in [1, " + std::to_string(knob->max) +
              "], not \"" + value + "\"";
      return false;
    }
    tuning.*(knob->field) = static_cast<int32_t>(number);
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return true;
}

std::string describeTuning(const r1::runtime::ModelManifest &m) {
  std::string knobs;
  for (const r1::runtime::TuningKnob &knob : r1::runtime::kTuningKnobs) {
    int32_t value = m.tuning.*knob.field;
    knobs += std::string(knobs.empty() ? "" : ", ") + knob.name + " " +
             std::to_string(value ? value : knob.fallback);
    if (!m.tunedOn.empty() && value == 0)
      knobs += " (default)";
  }
  if (m.tunedOn.empty())
    return "untuned: the kernels' defaults " + knobs +
           " (r1c tune measures them on the deployment machine)";
  return knobs + " (r1c tune on " + m.tunedOn + ")";
}

std::string formatBytes(uint64_t bytes) {
  static const char *kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[64];
  if (unit == 0)
    std::snprintf(text, sizeof(text), "%llu bytes", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(text, sizeof(text), "%.1f %s", value, kUnits[unit]);
  return text;
}

void addDeviceOption(CLI::App &command, std::string &device) {
  command
      .add_option("--device", device,
                  "Where a CUDA artifact runs: gpu (the first NVIDIA GPU) or emulated (r1c's\n"
                  "host emulation of CUDA, from an artifact compiled with --emulation: slow,\n"
                  "for tests without a GPU). Host artifacts run on the CPU")
      ->check(CLI::IsMember({"gpu", "emulated"}))
      ->option_text("DEVICE")
      ->default_str("gpu");
}

void addWeightsOption(CLI::App &command, std::string &weights) {
  command
      .add_option("--weights", weights,
                  "Where a host artifact's weights live: memory (copied at load into 2 MiB\n"
                  "huge pages: faster decode, the weights' size in RAM), mapped (used in place\n"
                  "in the file mapping: no copy, pages read on first touch) or auto (memory\n"
                  "when they fit in available RAM with a reserve, else mapped)")
      ->check(CLI::IsMember({"auto", "mapped", "memory"}))
      ->option_text("auto|mapped|memory")
      ->default_str("auto");
}

const char *weightsWhere(const r1::runtime::Model &model) {
  if (model.cuda())
    return "device";
  return r1::runtime::weightPlacementName(model.weightPlacement());
}

r1::runtime::ModelLoadOptions modelLoadOptions(const std::string &device,
                                               const std::string &weights) {
  r1::runtime::ModelLoadOptions options;
  if (device == "emulated")
    options.cudaDevice = r1::runtime::CudaDeviceChoice::Emulated;
  options.weights = r1::runtime::parseWeightPlacement(weights).value_or(
      r1::runtime::WeightPlacement::Auto);
  // Reading many gigabytes into memory says where it is, on a terminal.
  if (::isatty(STDERR_FILENO))
    options.weightsProgress = [last = std::chrono::steady_clock::time_point()](
                                  uint64_t done, uint64_t total) mutable {
      if (total < (uint64_t(1) << 30))
        return;
      auto now = std::chrono::steady_clock::now();
      if (done < total && now - last < std::chrono::milliseconds(500))
        return;
      last = now;
      std::fprintf(stderr, "\rr1run: reading the weights into memory: %.1f of %.1f GB%s",
                   double(done) / 1e9, double(total) / 1e9, done == total ? "\n" : "");
      std::fflush(stderr);
    };
  return options;
}

} // namespace r1run_tool
