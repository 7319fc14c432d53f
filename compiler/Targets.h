//===- Targets.h - What r1c can compile for -------------------------------===//
//
// A target names the machine the artifact's code runs on: the ISA features
// the generated code may use (recorded in the manifest; r1run refuses a CPU
// without them) and the compiler flags that enable them.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_TARGETS_H
#define R1C_COMPILER_TARGETS_H

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace r1 {

struct TargetDescription {
  /// As given to --target ("host", "host-x86-64-v3").
  std::string name;
  /// One line for `r1c compile --help` and the manifest.
  std::string description;
  /// CPU features the code requires (names of runtime/CpuFeatures.h).
  std::vector<std::string> isa;
  /// CPU features the code uses only where the running CPU and OS allow
  /// them (checked at run time, with a fallback): not required to load.
  std::vector<std::string> optionalIsa;
  /// Flags for the C++ compiler that enable exactly those features.
  std::vector<std::string> cxxFlags;
  /// A CUDA target (sm_80, sm_89, sm_90a, sm_100a): the code is a fatbin of kernels
  /// and a launch plan, not a host shared object.
  bool cuda = false;
};

/// The names --target accepts, with what each means.
std::vector<std::pair<std::string, std::string>> listTargets();

/// Resolves --target: `host` is this machine (its AVX-512 extensions
/// included when present), `host-x86-64-v3` any x86-64 CPU with AVX2 and FMA,
/// `sm_80`, `sm_89`, `sm_90a`, `sm_100a` NVIDIA GPUs (docs/cuda.md).
llvm::Expected<TargetDescription> resolveTarget(llvm::StringRef name);

} // namespace r1

#endif // R1C_COMPILER_TARGETS_H
