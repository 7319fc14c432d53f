//===- Tuner.cpp - r1c tune: measuring tiling choices on this machine -----===//

#include "compiler/Tuner.h"

#include "compiler/Version.h"
#include "runtime/ArtifactWriter.h"
#include "runtime/CpuFeatures.h"
#include "runtime/Session.h"
#include "runtime/TuningKnobs.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <memory>
#include <vector>

namespace r1 {

namespace {

using nlohmann::json;
using runtime::LogitsMode;
using runtime::Session;
using runtime::Status;

llvm::Error fail(const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/// Times whole steps of one session under a given tuning. The prompt is a
/// fixed pseudo-random token sequence: speed does not depend on the ids, and
/// the same tokens for every candidate keep MoE routing identical.
class StepTimer {
public:
  StepTimer(Session &session, r1_precision precision, uint64_t vocab, int64_t tokens)
      : session_(session), precision_(precision) {
    uint64_t state = 0x9e3779b97f4a7c15ull;
    for (int64_t i = 0; i < tokens; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      tokens_.push_back(static_cast<int32_t>((state >> 33) % vocab));
    }
  }

  /// Seconds of one prefill step of `count` tokens from position 0.
  llvm::Expected<double> prefill(const r1_tuning &tuning, int64_t count) {
    session_.setTuning(tuning);
    if (Status s = session_.rewind(0); !s.ok())
      return fail(s.message());
    auto start = std::chrono::steady_clock::now();
    if (Status s = session_.step({tokens_.data(), static_cast<size_t>(count)}, LogitsMode::kLast,
                                 precision_, nullptr);
        !s.ok())
      return fail(s.message());
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  /// Seconds per decode step, over `count` steps after an 8-token prompt.
  llvm::Expected<double> decode(const r1_tuning &tuning, int64_t count) {
    session_.setTuning(tuning);
    if (Status s = session_.rewind(0); !s.ok())
      return fail(s.message());
    if (Status s = session_.step({tokens_.data(), 8}, LogitsMode::kLast, precision_, nullptr);
        !s.ok())
      return fail(s.message());
    auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < count; ++i)
      if (Status s = session_.step({&tokens_[8 + i], 1}, LogitsMode::kLast, precision_, nullptr);
          !s.ok())
        return fail(s.message());
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return seconds / static_cast<double>(count);
  }

private:
  Session &session_;
  r1_precision precision_;
  std::vector<int32_t> tokens_;
};

/// The median of measure(candidate)'s seconds per candidate, candidates
/// interleaved within each of `repeat` rounds (the machine's drift then
/// falls on all of them alike), in milliseconds rounded to 0.1 us: the
/// figures the record holds, so that every choice can be redone from it.
template <class Measure>
llvm::Expected<std::vector<double>> interleaved(size_t candidates, int repeat, Measure measure) {
  std::vector<std::vector<double>> times(candidates);
  for (int r = 0; r < repeat; ++r)
    for (size_t c = 0; c < candidates; ++c) {
      llvm::Expected<double> t = measure(c);
      if (!t)
        return t.takeError();
      times[c].push_back(*t);
    }
  std::vector<double> medians;
  for (const std::vector<double> &t : times)
    medians.push_back(std::round(median(t) * 1e7) / 1e4);
  return medians;
}

/// The index of the least cost, unless the default's is within 2% of it:
/// a choice inside the noise stays the kernels' default.
size_t chooseBeyondNoise(const std::vector<double> &cost, size_t defaultIndex) {
  size_t best = std::min_element(cost.begin(), cost.end()) - cost.begin();
  return cost[defaultIndex] <= cost[best] * 1.02 ? defaultIndex : best;
}

std::string utcNow() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

const char *precisionName(r1_precision precision) {
  switch (precision) {
  case R1_PRECISION_FP32: return "fp32";
  case R1_PRECISION_BF16: return "bf16";
  default: return "default";
  }
}

/// True when the artifact has stacked expert weights ([experts, rows, K]).
bool hasExperts(const runtime::ModelManifest &m) {
  return std::any_of(m.weights.begin(), m.weights.end(),
                     [](const runtime::ManifestWeight &w) { return w.shape.size() == 3; });
}

class Tuner {
public:
  Tuner(const runtime::Model &model, Session &session, const TuneOptions &options,
        const TuneProgress &progress)
      : m_(model.manifest()), options_(options), progress_(progress),
        timer_(session, options.precision, m_.vocabSize,
               std::max<int64_t>(static_cast<int64_t>(m_.maxStepTokens), 8 + options.decodeTokens)),
        maxStep_(std::min(static_cast<int64_t>(m_.maxStepTokens), session.capacity())),
        never_(static_cast<int32_t>(m_.maxStepTokens + 1)) {}

  llvm::Expected<TuneOutcome> run(int threads) {
    TuneOutcome out;
    json measurements = json::object(), skipped = json::object();
    bool amx = runtime::prefillUsesAmx(m_, options_.precision);

    // Warm up: first touches of the weights, the scratch and each thread's
    // AMX configuration are not what a candidate costs.
    r1_tuning warm{};
    if (llvm::Error e = timer_.prefill(warm, std::min<int64_t>(maxStep_, 64)).takeError())
      return std::move(e);
    if (llvm::Error e = timer_.decode(warm, options_.decodeTokens).takeError())
      return std::move(e);

    if (!amx) {
      std::string why = m_.targetKind != "host" ? "not a host artifact"
                        : !runtime::amxUsable() ? "this CPU or OS cannot use AMX tiles"
                                                : std::string("the code has no AMX path at ") +
                                                      precisionName(options_.precision) +
                                                      " precision for these weights";
      skipped["amx_min_tokens"] = why;
      skipped["amx_min_expert_tokens"] = why;
    } else if (maxStep_ < 2) {
      skipped["amx_min_tokens"] = skipped["amx_min_expert_tokens"] = "max_step_tokens is 1";
    } else {
      if (llvm::Error e = tuneAmxMinTokens(out.tuning, measurements))
        return std::move(e);
    }
    if (maxStep_ < 2) {
      skipped["gemv_max_tokens"] = "max_step_tokens is 1";
    } else if (llvm::Error e = tuneGemvMaxTokens(out.tuning, measurements)) {
      return std::move(e);
    }
    if (amx && maxStep_ >= 2) {
      if (hasExperts(m_)) {
        if (llvm::Error e = tuneAmxMinExpertTokens(out.tuning, measurements))
          return std::move(e);
      } else {
        skipped["amx_min_expert_tokens"] = "the model has no routed experts";
      }
    }
    if (threads > 1) {
      if (llvm::Error e = tuneDecodeTasks(out.tuning, measurements))
        return std::move(e);
    } else {
      skipped["decode_tasks_per_thread"] = "one thread";
    }

    json &record = out.record;
    for (const runtime::TuningKnob &knob : runtime::kTuningKnobs)
      if (out.tuning.*knob.field)
        record[knob.name] = out.tuning.*knob.field;
    record["measured_on"] = runtime::cpuModelName() + ", " + std::to_string(threads) + " threads";
    record["date"] = utcNow();
    record["producer"] = std::string("r1c ") + kR1cVersion;
    record["threads"] = threads;
    record["precision"] = precisionName(options_.precision);
    record["repeat"] = options_.repeat;
    record["measurements"] = std::move(measurements);
    if (!skipped.empty())
      record["not_measured"] = std::move(skipped);
    return std::move(out);
  }

private:
  /// Prefill with every GEMM on AMX against none, per prompt length (the
  /// experts off AMX and every step on the GEMM tiles in both, so only the
  /// dense GEMMs' tiles differ).
  llvm::Error tuneAmxMinTokens(r1_tuning &best, json &measurements) {
    r1_tuning on{}, off{};
    on.amx_min_tokens = 1, off.amx_min_tokens = never_;
    on.amx_min_expert_tokens = off.amx_min_expert_tokens = never_;
    on.gemv_max_tokens = off.gemv_max_tokens = 1;
    json rows = json::array();
    std::vector<int64_t> lengths;
    for (int64_t n : {2, 4, 6, 8, 12, 16, 24, 32, 48, 64})
      if (n <= maxStep_)
        lengths.push_back(n);
    std::vector<bool> wins;
    for (int64_t n : lengths) {
      llvm::Expected<std::vector<double>> t = interleaved(2, options_.repeat, [&](size_t c) {
        return timer_.prefill(c == 0 ? on : off, n);
      });
      if (!t)
        return t.takeError();
      wins.push_back((*t)[0] < (*t)[1]);
      rows.push_back({{"tokens", n}, {"amx_ms", (*t)[0]}, {"no_amx_ms", (*t)[1]}});
      progress_(llvm::formatv(
          "amx_min_tokens: {0,3} tokens: AMX {1,8:F2} ms, without {2,8:F2} ms", n, (*t)[0],
          (*t)[1]));
    }
    // The shortest length from which AMX won at every measured length.
    size_t from = lengths.size();
    while (from > 0 && wins[from - 1])
      --from;
    best.amx_min_tokens = from < lengths.size() ? static_cast<int32_t>(lengths[from]) : never_;
    measurements["amx_min_tokens"] = std::move(rows);
    return llvm::Error::success();
  }

  /// Short prefills on the GEMV cores against the GEMM tiles (AMX as tuned
  /// so far), per length from 2 to R1_MAX_GEMV_TOKENS; the threshold is the
  /// longest length up to which the GEMV cores won at every measured length
  /// (1: never).
  llvm::Error tuneGemvMaxTokens(r1_tuning &best, json &measurements) {
    r1_tuning gemv = best, tiles = best;
    gemv.gemv_max_tokens = R1_MAX_GEMV_TOKENS, tiles.gemv_max_tokens = 1;
    json rows = json::array();
    int32_t threshold = 1;
    bool winning = true;
    for (int64_t n : {2, 3, 4, 6, 8, 10, 12, 14, 16}) {
      if (n > std::min<int64_t>(maxStep_, R1_MAX_GEMV_TOKENS))
        break;
      llvm::Expected<std::vector<double>> t = interleaved(2, options_.repeat, [&](size_t c) {
        return timer_.prefill(c == 0 ? gemv : tiles, n);
      });
      if (!t)
        return t.takeError();
      winning = winning && (*t)[0] < (*t)[1];
      if (winning)
        threshold = static_cast<int32_t>(n);
      rows.push_back({{"tokens", n}, {"gemv_ms", (*t)[0]}, {"tiles_ms", (*t)[1]}});
      progress_(llvm::formatv("gemv_max_tokens: {0} tokens: GEMV {1,8:F2} ms, tiles {2,8:F2} ms",
                              n, (*t)[0], (*t)[1]));
    }
    best.gemv_max_tokens = threshold;
    measurements["gemv_max_tokens"] = std::move(rows);
    return llvm::Error::success();
  }

  /// Whole prefills per candidate threshold for the experts' tiles.
  llvm::Error tuneAmxMinExpertTokens(r1_tuning &best, json &measurements) {
    std::vector<int32_t> candidates = {2, 4, 8, 16, 32, never_};
    std::vector<int64_t> lengths;
    for (int64_t n : {int64_t(32), int64_t(128), maxStep_})
      if (n <= maxStep_ && (lengths.empty() || lengths.back() != n))
        lengths.push_back(n);
    std::vector<std::vector<double>> times; // [length][candidate]
    for (int64_t n : lengths) {
      llvm::Expected<std::vector<double>> t =
          interleaved(candidates.size(), options_.repeat, [&](size_t c) {
            r1_tuning tuning = best;
            tuning.amx_min_expert_tokens = candidates[c];
            return timer_.prefill(tuning, n);
          });
      if (!t)
        return t.takeError();
      times.push_back(std::move(*t));
    }
    // Score: the mean over lengths of time / the fastest candidate's time.
    json rows = json::array();
    std::vector<double> scores;
    for (size_t c = 0; c < candidates.size(); ++c) {
      double score = 0;
      json perLength = json::object();
      for (size_t l = 0; l < lengths.size(); ++l) {
        double fastest = *std::min_element(times[l].begin(), times[l].end());
        score += times[l][c] / fastest;
        perLength[std::to_string(lengths[l])] = times[l][c];
      }
      scores.push_back(score);
      rows.push_back({{"value", candidates[c]}, {"relative_time", score / double(lengths.size())},
                      {"prefill_ms_by_tokens", perLength}});
      progress_(llvm::formatv("amx_min_expert_tokens: {0,5}: {1:F3} of the fastest on average",
                              candidates[c], score / double(lengths.size())));
    }
    size_t defaultIndex = std::find(candidates.begin(), candidates.end(),
                                    R1_DEFAULT_AMX_MIN_EXPERT_TOKENS) - candidates.begin();
    best.amx_min_expert_tokens = candidates[chooseBeyondNoise(scores, defaultIndex)];
    measurements["amx_min_expert_tokens"] = std::move(rows);
    return llvm::Error::success();
  }

  llvm::Error tuneDecodeTasks(r1_tuning &best, json &measurements) {
    std::vector<int32_t> candidates = {1, 2, 4, 8};
    llvm::Expected<std::vector<double>> t =
        interleaved(candidates.size(), options_.repeat, [&](size_t c) {
          r1_tuning tuning = best;
          tuning.decode_tasks_per_thread = candidates[c];
          return timer_.decode(tuning, options_.decodeTokens);
        });
    if (!t)
      return t.takeError();
    json rows = json::array();
    for (size_t c = 0; c < candidates.size(); ++c) {
      rows.push_back({{"value", candidates[c]}, {"ms_per_token", (*t)[c]}});
      progress_(llvm::formatv("decode_tasks_per_thread: {0}: {1:F2} ms per token", candidates[c],
                              (*t)[c]));
    }
    size_t defaultIndex = std::find(candidates.begin(), candidates.end(),
                                    R1_DEFAULT_DECODE_TASKS_PER_THREAD) - candidates.begin();
    best.decode_tasks_per_thread = candidates[chooseBeyondNoise(*t, defaultIndex)];
    measurements["decode_tasks_per_thread"] = std::move(rows);
    return llvm::Error::success();
  }

  const runtime::ModelManifest &m_;
  const TuneOptions &options_;
  const TuneProgress &progress_;
  StepTimer timer_;
  int64_t maxStep_;
  int32_t never_; // a threshold no step reaches: max_step_tokens + 1
};

} // namespace

llvm::Expected<TuneOutcome> tuneModel(const runtime::Model &model, const TuneOptions &options,
                                      const TuneProgress &progress) {
  const runtime::ModelManifest &m = model.manifest();
  if (m.targetKind != "host")
    return fail(model.path() + ": r1c tune measures host code; this is a " + m.targetKind +
                " artifact (compile with --target host)");
  if (options.repeat < 1)
    return fail("--repeat must be at least 1, not " + std::to_string(options.repeat));
  if (options.decodeTokens < 1)
    return fail("--decode-tokens must be at least 1");
  int64_t maxStep = static_cast<int64_t>(m.maxStepTokens);
  runtime::SessionOptions sessionOptions;
  sessionOptions.threads = options.threads;
  sessionOptions.ctx = std::min<int64_t>(static_cast<int64_t>(m.maxPositions),
                                         std::max<int64_t>(maxStep, 8 + options.decodeTokens));
  if (sessionOptions.ctx < 8 + options.decodeTokens)
    return fail(model.path() + ": the model's max_positions (" + std::to_string(m.maxPositions) +
                ") is too short to measure decode; lower --decode-tokens");
  sessionOptions.tuning = r1_tuning{};
  runtime::Result<std::unique_ptr<Session>> session = Session::create(model, sessionOptions);
  if (!session.ok())
    return fail(session.status().message());
  Tuner tuner(model, **session, options, progress);
  return tuner.run((*session)->threads());
}

llvm::Error writeTunedArtifact(const runtime::Model &model, const json &record,
                               const std::string &out, bool *corrupt) {
  const runtime::ArtifactReader &artifact = model.artifact();
  json manifest = artifact.manifest();
  for (const char *key : {"format", "format_version", "sections"})
    manifest.erase(key);
  manifest["tuning"] = record;

  std::vector<const runtime::ArtifactSection *> sections;
  for (const runtime::ArtifactSection &section : artifact.sections())
    sections.push_back(&section);
  std::sort(sections.begin(), sections.end(),
            [](auto *a, auto *b) { return a->offset < b->offset; });

  runtime::ArtifactWriter writer;
  Status s = writer.create(out);
  for (const runtime::ArtifactSection *section : sections) {
    if (!s.ok())
      break;
    s = writer.addSection(section->name, section->data, section->bytes,
                          std::max<uint64_t>(section->alignment, runtime::kSectionAlignment));
    if (s.ok() && writer.sections().back().xxh64 != section->xxh64) {
      if (corrupt)
        *corrupt = true;
      s = Status::badInput(artifact.path() + ": section \"" + section->name +
                           "\" does not match its checksum (the file is corrupt; recompile it)");
    }
  }
  if (s.ok())
    s = writer.finish(manifest);
  if (!s.ok()) {
    writer.abandon();
    return fail(s.message());
  }
  return llvm::Error::success();
}

} // namespace r1
