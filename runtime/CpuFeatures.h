//===- CpuFeatures.h - Which x86 ISA extensions this CPU has --------------===//
//
// The host backend compiles for a feature list (the manifest's target.isa);
// code using an instruction the CPU lacks dies with SIGILL mid-step, so the
// runtime compares the list against the CPU before loading any code. The
// compiler uses hostCpuFeatures() to describe `--target host`.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_CPUFEATURES_H
#define R1C_RUNTIME_CPUFEATURES_H

#include "runtime/Manifest.h"
#include "runtime/R1Abi.h"
#include "runtime/Status.h"

#include <string>
#include <vector>

namespace r1::runtime {

/// Every feature name an artifact may list, in canonical order: avx2, fma,
/// f16c, bmi2, avx512f, avx512bw, avx512vl, avx512dq, avx512bf16, avx512vnni.
const std::vector<std::string> &knownCpuFeatures();

/// The known features this CPU (and the OS: AVX-512 state is saved on context
/// switch) supports, in canonical order.
std::vector<std::string> hostCpuFeatures();

/// Whether this process may use AMX bf16 tiles: runtime/AmxPermission.h's
/// rule, the one the host kernels (codegen/host/kernels/GemmAmx.h) follow.
bool amxUsable();

/// Whether `manifest`'s prefill multiplies on AMX tiles at `precision` here:
/// a host artifact with amx-bf16 among its optional ISA, amxUsable(), and a
/// precision that rounds activations (bf16 mode, or the default with integer
/// weights). The host kernels decide by the same rule (GemmAmx.h's amxFor);
/// r1run bench reports it, r1c tune tunes the AMX thresholds only then.
bool prefillUsesAmx(const ModelManifest &manifest, r1_precision precision);

/// The CPU's model name as /proc/cpuinfo gives it ("unknown CPU" if absent).
std::string cpuModelName();

/// Refuses `required` (the artifact's target.isa) when it names a feature not
/// in `available`, or one this runtime does not know. `artifact` names the
/// file in the message.
Status checkCpuFeatures(const std::string &artifact, const std::vector<std::string> &required,
                        const std::vector<std::string> &available);

} // namespace r1::runtime

#endif // R1C_RUNTIME_CPUFEATURES_H
