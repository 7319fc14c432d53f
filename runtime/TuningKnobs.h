//===- TuningKnobs.h - The tiling knobs of r1_tuning, by name -------------===//
//
// R1Abi.h's r1_tuning as the manifest, r1run and r1c tune name its fields:
// one table, so that reading the manifest's "tuning", r1run bench --tuning,
// the printed summaries and the tuner's record agree on names, defaults and
// bounds. (The kernels apply the same defaults in Exec::applyTuning.)
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_TUNINGKNOBS_H
#define R1C_RUNTIME_TUNINGKNOBS_H

#include "runtime/R1Abi.h"

#include <cstdint>

namespace r1::runtime {

/// The largest value a knob may take (thresholds in tokens, tasks per thread).
inline constexpr uint64_t kMaxTuningValue = 1 << 20;

struct TuningKnob {
  const char *name;           // as in the manifest's "tuning"
  int32_t r1_tuning::*field;  // 0 there: the kernels' default
  int32_t fallback;           // the kernels' default (R1_DEFAULT_*)
  uint64_t max;               // values are 1 .. max
};

inline constexpr TuningKnob kTuningKnobs[] = {
    {"amx_min_tokens", &r1_tuning::amx_min_tokens, R1_DEFAULT_AMX_MIN_TOKENS, kMaxTuningValue},
    {"amx_min_expert_tokens", &r1_tuning::amx_min_expert_tokens, R1_DEFAULT_AMX_MIN_EXPERT_TOKENS,
     kMaxTuningValue},
    {"decode_tasks_per_thread", &r1_tuning::decode_tasks_per_thread,
     R1_DEFAULT_DECODE_TASKS_PER_THREAD, kMaxTuningValue},
    {"gemv_max_tokens", &r1_tuning::gemv_max_tokens, R1_DEFAULT_GEMV_MAX_TOKENS,
     R1_MAX_GEMV_TOKENS},
};

/// `tuning` with every zero field replaced by the kernels' default: the
/// values a step actually runs with.
inline r1_tuning withDefaults(r1_tuning tuning) {
  for (const TuningKnob &knob : kTuningKnobs)
    if (tuning.*knob.field == 0)
      tuning.*knob.field = knob.fallback;
  return tuning;
}

} // namespace r1::runtime

#endif // R1C_RUNTIME_TUNINGKNOBS_H
