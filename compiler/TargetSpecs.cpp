//===- TargetSpecs.cpp - The table of target figures ----------------------===//

#include "compiler/TargetSpecs.h"

#include "llvm/ADT/StringExtras.h"

namespace r1 {

namespace {

constexpr double kGB = 1e9;
constexpr double kTB = 1e12;
constexpr double kGFlop = 1e9;
constexpr double kTFlop = 1e12;
constexpr uint64_t kGiB = 1ULL << 30;
constexpr uint64_t kDecimalGB = 1000ULL * 1000 * 1000;

// The host: AMD EPYC Zen 4, 2 cores, 24 GiB (the machine this project builds
// and benchmarks on). Bandwidth is the project's measured median (see
// docs/building.md, "33.7 GB/s"). Peak FLOP/s is arithmetic, not measured:
// Zen 4 has two 256-bit FMA pipes per core and runs AVX-512 as two halves, so
// one core retires 2 pipes x 8 f32 lanes x 2 FLOP = 32 f32 FLOP per cycle;
// at an assumed 3.0 GHz on 2 cores that is 192 GFLOP/s f32. VDPBF16PS does
// twice the multiply-adds per lane, so 384 GFLOP/s with AVX512-BF16. (The
// often-quoted 2 x 16-lane figure would double both; the project's measured
// 104 t/s BF16 prefill of Qwen-1.5B, ~320 GFLOP/s, sits under 384 and above
// what 192 would allow for f32, which is why the table uses these.)
// host-x86-64-v3 is the same machine without AVX-512: AVX2 FMA on the same
// two pipes keeps the f32 peak, and BF16 falls back to f32 arithmetic.
const std::vector<TargetSpec> kSpecs = {
    {"host", "AMD EPYC Zen 4, 2 cores (this machine kind), AVX-512 + AVX512-BF16", false,
     33.7 * kGB, 192 * kGFlop, 384 * kGFlop, 0, 24 * kGiB, 0, 0,
     "bandwidth measured (docs/building.md); FLOP/s = 2 cores x 3.0 GHz x 32 f32 FLOP/cycle, "
     "x2 for AVX512-BF16"},
    {"host-x86-64-v3", "the same host limited to AVX2 + FMA (any x86-64-v3 CPU)", false,
     33.7 * kGB, 192 * kGFlop, 192 * kGFlop, 0, 24 * kGiB, 0, 0,
     "as host; BF16 computed with f32 FMAs"},
    {"sm_80", "NVIDIA A100 SXM 80GB", true, 2.039 * kTB, 19.5 * kTFlop, 312 * kTFlop, 0,
     80 * kDecimalGB, 108, 164 * 1024, "NVIDIA A100 datasheet (dense); no FP8 tensor cores"},
    {"sm_89", "NVIDIA L40S 48GB", true, 864 * kGB, 91.6 * kTFlop, 362 * kTFlop, 733 * kTFlop,
     48 * kDecimalGB, 142, 100 * 1024, "NVIDIA L40S datasheet (dense)"},
    {"sm_90a", "NVIDIA H100 SXM 80GB", true, 3.35 * kTB, 67 * kTFlop, 989 * kTFlop, 1979 * kTFlop,
     80 * kDecimalGB, 132, 228 * 1024, "NVIDIA H100 SXM datasheet (dense)"},
};

} // namespace

const std::vector<TargetSpec> &targetSpecs() { return kSpecs; }

llvm::Expected<const TargetSpec &> lookupTargetSpec(llvm::StringRef name) {
  for (const TargetSpec &spec : kSpecs)
    if (spec.name == name)
      return spec;
  std::vector<std::string> names;
  for (const TargetSpec &spec : kSpecs)
    names.push_back(spec.name);
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "--target: unknown target '" + name.str() + "'; expected one of " +
                                     llvm::join(names, ", "));
}

} // namespace r1
