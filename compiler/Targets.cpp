//===- Targets.cpp - Host target descriptions -----------------------------===//

#include "compiler/Targets.h"

#include "runtime/CpuFeatures.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

namespace r1 {

namespace {

/// x86-64-v3: what every host artifact needs at least.
const std::vector<std::string> kBaseIsa = {"avx2", "fma", "f16c", "bmi2"};
/// AVX-512 extensions the kernels use when present, with their flags.
const std::pair<const char *, const char *> kAvx512[] = {
    {"avx512f", "-mavx512f"},   {"avx512bw", "-mavx512bw"},     {"avx512vl", "-mavx512vl"},
    {"avx512dq", "-mavx512dq"}, {"avx512bf16", "-mavx512bf16"}, {"avx512vnni", "-mavx512vnni"}};

} // namespace

std::vector<std::pair<std::string, std::string>> listTargets() {
  return {{"host", "this machine's CPU, with every AVX-512 extension it has"},
          {"host-x86-64-v3", "any x86-64 CPU with AVX2 and FMA (portable)"},
          {"sm_80", "NVIDIA Ampere (A100): CUDA kernels, FP8 weights dequantized in the kernel"},
          {"sm_89", "NVIDIA Ada (L40S, RTX 4090): CUDA kernels"},
          {"sm_90a", "NVIDIA Hopper (H100, H200): CUDA kernels"},
          {"sm_100a", "NVIDIA Blackwell (B200, GB200): CUDA kernels; needs CUDA 12.8"}};
}

llvm::Expected<TargetDescription> resolveTarget(llvm::StringRef name) {
  TargetDescription target;
  target.name = name.str();
  target.isa = kBaseIsa;
  target.cxxFlags = {"-march=x86-64-v3"};
  if (name == "host-x86-64-v3") {
    target.description = "x86-64-v3 (AVX2, FMA)";
    return target;
  }
  if (name == "sm_80" || name == "sm_89" || name == "sm_90a" || name == "sm_100a") {
    for (auto &[known, what] : listTargets())
      if (known == name)
        target.description = what;
    target.isa.clear();
    target.cxxFlags.clear();
    target.cuda = true;
    return target;
  }
  if (name != "host") {
    std::string names;
    for (auto &[known, what] : listTargets())
      names += (names.empty() ? "" : ", ") + known;
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "unknown target '" + name.str() + "'; r1c compiles for " +
                                       names);
  }
  std::vector<std::string> have = runtime::hostCpuFeatures();
  for (const std::string &feature : kBaseIsa)
    if (!llvm::is_contained(have, feature))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "this CPU lacks " + feature +
                                         ", which host code needs (x86-64-v3 at least)");
  target.description = "this machine: x86-64-v3";
  for (auto [feature, flag] : kAvx512) {
    if (!llvm::is_contained(have, feature))
      continue;
    target.isa.push_back(feature);
    target.cxxFlags.push_back(flag);
    target.description += std::string(" +") + feature;
  }
  // AMX tiles for prefill (codegen/host/kernels/GemmAmx.h): enabled for the
  // compiler wherever the kernels have AVX-512 BF16, used only where the
  // running CPU and OS allow, so the artifact still runs on CPUs without.
  if (llvm::is_contained(target.isa, "avx512bf16")) {
    target.optionalIsa = {"amx-tile", "amx-bf16"};
    target.cxxFlags.insert(target.cxxFlags.end(), {"-mamx-tile", "-mamx-bf16"});
    target.description += ", AMX bf16 tiles where the CPU allows";
  }
  return target;
}

} // namespace r1
