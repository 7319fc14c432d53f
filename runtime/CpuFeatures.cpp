//===- CpuFeatures.cpp - Which x86 ISA extensions this CPU has ------------===//

#include "runtime/CpuFeatures.h"

#include "runtime/AmxPermission.h"

#include <algorithm>
#include <fstream>

namespace r1::runtime {

const std::vector<std::string> &knownCpuFeatures() {
  static const std::vector<std::string> kFeatures = {
      "avx2",     "fma",      "f16c",     "bmi2",       "avx512f",
      "avx512bw", "avx512vl", "avx512dq", "avx512bf16", "avx512vnni"};
  return kFeatures;
}

std::vector<std::string> hostCpuFeatures() {
  std::vector<std::string> features;
#if defined(__x86_64__) || defined(__i386__)
  // __builtin_cpu_supports checks CPUID and, for AVX and AVX-512, that the OS
  // enabled the register state (XCR0), which raw CPUID bits do not.
  __builtin_cpu_init();
  struct Probe {
    const char *name;
    bool present;
  };
  const Probe probes[] = {
      {"avx2", __builtin_cpu_supports("avx2") != 0},
      {"fma", __builtin_cpu_supports("fma") != 0},
      {"f16c", __builtin_cpu_supports("f16c") != 0},
      {"bmi2", __builtin_cpu_supports("bmi2") != 0},
      {"avx512f", __builtin_cpu_supports("avx512f") != 0},
      {"avx512bw", __builtin_cpu_supports("avx512bw") != 0},
      {"avx512vl", __builtin_cpu_supports("avx512vl") != 0},
      {"avx512dq", __builtin_cpu_supports("avx512dq") != 0},
      {"avx512bf16", __builtin_cpu_supports("avx512bf16") != 0},
      {"avx512vnni", __builtin_cpu_supports("avx512vnni") != 0},
  };
  for (const Probe &probe : probes)
    if (probe.present)
      features.push_back(probe.name);
#endif
  return features;
}

bool amxUsable() { return amxPermitted(); }

bool prefillUsesAmx(const ModelManifest &m, r1_precision precision) {
  bool intWeights = std::any_of(m.weights.begin(), m.weights.end(), [](const ManifestWeight &w) {
    return w.dtype == "i8" || w.dtype == "i4";
  });
  bool rounded =
      precision == R1_PRECISION_BF16 || (precision == R1_PRECISION_DEFAULT && intWeights);
  return m.targetKind == "host" && rounded &&
         std::find(m.optionalIsa.begin(), m.optionalIsa.end(), "amx-bf16") != m.optionalIsa.end() &&
         amxUsable();
}

std::string cpuModelName() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0)
      continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos)
      break;
    size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "unknown CPU" : line.substr(start);
  }
  return "unknown CPU";
}

Status checkCpuFeatures(const std::string &artifact, const std::vector<std::string> &required,
                        const std::vector<std::string> &available) {
  const std::vector<std::string> &known = knownCpuFeatures();
  for (const std::string &feature : required) {
    if (std::find(known.begin(), known.end(), feature) == known.end()) {
      std::string list;
      for (const std::string &name : known)
        list += (list.empty() ? "" : ", ") + name;
      return Status::badInput(artifact + ": manifest field \"target.isa\" names CPU feature \"" +
                              feature + "\", which this r1run does not know (it knows " + list +
                              "); use the r1run of the r1c that compiled it");
    }
    if (std::find(available.begin(), available.end(), feature) == available.end())
      return Status::badInput(artifact + " was compiled for a CPU with " + feature +
                              ", which this CPU lacks; recompile with --target host on this "
                              "machine or --target host-x86-64-v3");
  }
  return Status::success();
}

} // namespace r1::runtime
