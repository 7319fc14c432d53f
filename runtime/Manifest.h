//===- Manifest.h - The fields of an artifact's manifest r1run uses -------===//
//
// The compiler writes the manifest (docs/artifact.md lists every field); this
// is the runtime's validated view of it. Parsing checks every field the
// runtime reads for presence, type and range, so that code further on can
// trust e.g. that token ids fit int32 and weights lie inside their section.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_MANIFEST_H
#define R1C_RUNTIME_MANIFEST_H

#include "runtime/R1Abi.h"
#include "runtime/Status.h"
#include "runtime/TuningKnobs.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace r1::runtime {

/// One packed weight: `bytes` bytes at `offset` in the weights section.
struct ManifestWeight {
  std::string name;
  std::string dtype;
  std::vector<uint64_t> shape;
  uint64_t offset = 0;
  uint64_t bytes = 0;
  std::string layout;
};

struct ModelManifest {
  uint64_t abiVersion = 0;
  std::string producer;

  // "model"
  std::string architecture;
  uint64_t vocabSize = 0;
  uint64_t hiddenSize = 0; // 0 when absent (informational)
  uint64_t numLayers = 0;  // 0 when absent (informational)
  uint64_t maxPositions = 0;
  /// nullopt when the model has none (null or absent in the manifest).
  std::optional<int32_t> bosTokenId;
  std::vector<int32_t> eosTokenIds;

  // "target"
  std::string targetName;
  /// "host" (a shared object with r1_prefill/r1_decode) or "cuda" (a fatbin
  /// and the launch plan in "cuda", runtime/cuda/CudaPlan.h).
  std::string targetKind = "host";
  std::vector<std::string> isa;
  /// Features the code uses where the CPU allows (AMX), not required.
  std::vector<std::string> optionalIsa;
  std::string cxx;
  std::string cxxFlags;

  // "code"
  std::string codeSection;
  std::string codeIdentity;
  std::vector<std::string> entryPoints;
  size_t kernelCount = 0;

  // "memory"
  uint64_t maxStepTokens = 0;
  uint64_t arenaBytes = 0;
  uint64_t kvBytesPerToken = 0;
  uint64_t weightsBytes = 0;
  /// Weight bytes one decode step reads per token (0 when the artifact
  /// predates the field): what `r1run bench` divides bandwidth by.
  uint64_t decodeWeightBytesPerToken = 0;
  std::string kvLayout;

  std::vector<ManifestWeight> weights;
  /// "tokenizer": tokenizer file name -> the section holding it.
  std::map<std::string, std::string> tokenizerSections;

  // "generation" (defaults for sampling; absent fields stay empty)
  std::optional<double> temperature;
  std::optional<double> topP;
  std::optional<uint64_t> maxNewTokens;
  std::string thinkPrefix;

  // "tuning" (r1c tune; absent: the kernels' defaults, all fields 0)
  r1_tuning tuning{};
  /// Where and when the tuning was measured ("tuning.measured_on"); empty
  /// when the artifact is untuned.
  std::string tunedOn;

  /// Sum of the weights' bytes.
  uint64_t totalWeightBytes() const;
};

/// Validates and reads `manifest`; errors name `file` and the field.
Result<ModelManifest> parseModelManifest(const nlohmann::json &manifest, const std::string &file);

/// Checks that every weight lies inside a weights section of
/// `weightsSectionBytes` bytes and starts 64-byte aligned.
Status checkWeightsFit(const ModelManifest &manifest, uint64_t weightsSectionBytes,
                       const std::string &file);

} // namespace r1::runtime

#endif // R1C_RUNTIME_MANIFEST_H
