//===- Tuner.h - r1c tune: measuring tiling choices on this machine -------===//
//
// The host kernels take a few tiling choices at run time (R1Abi.h's
// r1_tuning): from how many tokens a prefill GEMM, and an MoE expert's tile,
// run on AMX tiles instead of the tile without AMX (fp32 products, or
// vpdpbusd for integer weights: GemmVnni.h), and how many tasks per thread a
// decode GEMV splits into. Their best values depend on the machine (AMX's
// packing cost against the other tile's multiplies, core count, bandwidth), so
// the tuner measures them with the artifact's own code, on whole prefill and
// decode steps, candidates interleaved within each repeat and medians taken:
//
//   amx_min_tokens          prefill at 2..64 tokens, all GEMMs on AMX against
//                           none; the threshold is the shortest prompt from
//                           which AMX wins at every measured length.
//   amx_min_expert_tokens   prefill of 32, 128 and max_step_tokens tokens per
//                           candidate threshold (MoE models only); the
//                           candidate with the least total time relative to
//                           the fastest at each length.
//   decode_tasks_per_thread decode steps per candidate (more than one thread).
//
// Knobs this machine cannot exercise (no AMX, a dense model, one thread) are
// not measured and keep the kernels' defaults; the record says why.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_TUNER_H
#define R1C_COMPILER_TUNER_H

#include "runtime/Model.h"
#include "runtime/R1Abi.h"

#include "llvm/Support/Error.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

namespace r1 {

struct TuneOptions {
  /// Threads to tune for (the caller included); 0: the CPUs this process may use.
  int threads = 0;
  /// Measurements per candidate; the median counts.
  int repeat = 5;
  /// The precision whose paths are tuned (AMX serves rounded activations only).
  r1_precision precision = R1_PRECISION_DEFAULT;
  /// Decode steps per decode measurement.
  int64_t decodeTokens = 16;
};

struct TuneOutcome {
  /// The winners; 0 for a knob that was not measured (the kernels' default).
  r1_tuning tuning{};
  /// The manifest's "tuning" object: the winners, where and how they were
  /// measured, and every candidate's median time.
  nlohmann::json record;
};

/// Called with one line per finished measurement group.
using TuneProgress = std::function<void(const std::string &line)>;

/// Measures the knobs on `model` (a host artifact) on this machine.
llvm::Expected<TuneOutcome> tuneModel(const runtime::Model &model, const TuneOptions &options,
                                      const TuneProgress &progress);

/// Writes `model`'s artifact to `out` (temporary file, then rename; `out` may
/// be the artifact itself) with `record` as its manifest's "tuning". Every
/// section is copied and its checksum checked against the manifest's; a
/// mismatch sets `*corrupt` (the input's fault, not the output's).
llvm::Error writeTunedArtifact(const runtime::Model &model, const nlohmann::json &record,
                               const std::string &out, bool *corrupt = nullptr);

} // namespace r1

#endif // R1C_COMPILER_TUNER_H
