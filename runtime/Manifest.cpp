//===- Manifest.cpp - The fields of an artifact's manifest r1run uses -----===//

#include "runtime/Manifest.h"

#include "runtime/ArtifactFormat.h"
#include "runtime/ManifestFields.h"
#include "runtime/R1Abi.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace r1::runtime {

using nlohmann::json;

namespace {

// Token ids and positions are int32 in the ABI.
constexpr uint64_t kMaxInt32 = 0x7fffffff;

void parseModel(ManifestFields &f, const json &root, ModelManifest &m) {
  const json *model = f.object(root, "", "model");
  if (!model)
    return;
  m.architecture = f.string(*model, "model", "architecture").value_or("");
  m.vocabSize = f.unsignedInt(*model, "model", "vocab_size", true, kMaxInt32).value_or(0);
  m.hiddenSize = f.unsignedInt(*model, "model", "hidden_size", false).value_or(0);
  m.numLayers = f.unsignedInt(*model, "model", "num_layers", false).value_or(0);
  m.maxPositions = f.unsignedInt(*model, "model", "max_positions", true, kMaxInt32).value_or(0);
  // Some configs have no bos token: the compiler then writes null.
  std::optional<uint64_t> bos;
  if (const json *value = f.member(*model, "model", "bos_token_id", false);
      value && !value->is_null())
    bos = f.unsignedInt(*model, "model", "bos_token_id", true, kMaxInt32);
  std::vector<uint64_t> eos = f.unsignedList(*model, "model", "eos_token_ids", true, kMaxInt32)
                                  .value_or(std::vector<uint64_t>{});
  if (!f.ok())
    return;
  if (m.vocabSize == 0)
    f.error("model.vocab_size", "must be at least 1");
  else if (m.maxPositions == 0)
    f.error("model.max_positions", "must be at least 1");
  else if (bos && *bos >= m.vocabSize)
    f.error("model.bos_token_id", "(" + std::to_string(*bos) + ") must be less than vocab_size " +
                                      std::to_string(m.vocabSize));
  if (bos)
    m.bosTokenId = static_cast<int32_t>(*bos);
  for (size_t i = 0; i < eos.size() && f.ok(); ++i) {
    if (eos[i] >= m.vocabSize)
      f.error(ManifestFields::index("model.eos_token_ids", i),
              "(" + std::to_string(eos[i]) + ") must be less than vocab_size " +
                  std::to_string(m.vocabSize));
    m.eosTokenIds.push_back(static_cast<int32_t>(eos[i]));
  }
}

void parseTarget(ManifestFields &f, const json &root, ModelManifest &m) {
  const json *target = f.object(root, "", "target");
  if (!target)
    return;
  m.targetName = f.string(*target, "target", "name", false).value_or("");
  m.isa = f.stringList(*target, "target", "isa").value_or(std::vector<std::string>{});
  if (target->contains("optional_isa"))
    m.optionalIsa =
        f.stringList(*target, "target", "optional_isa").value_or(std::vector<std::string>{});
  m.cxx = f.string(*target, "target", "cxx", false).value_or("");
  m.cxxFlags = f.string(*target, "target", "cxx_flags", false).value_or("");
  m.targetKind = f.string(*target, "target", "kind", false).value_or("host");
  if (f.ok() && m.targetKind != "host" && m.targetKind != "cuda")
    f.error("target.kind", "must be \"host\" or \"cuda\", not \"" + m.targetKind + "\"");
}

void parseCode(ManifestFields &f, const json &root, ModelManifest &m) {
  const json *code = f.object(root, "", "code");
  if (!code)
    return;
  m.codeSection = f.string(*code, "code", "section").value_or("");
  m.codeIdentity = f.string(*code, "code", "identity").value_or("");
  m.entryPoints = f.stringList(*code, "code", "entry_points").value_or(std::vector<std::string>{});
  if (const json *kernels = f.array(*code, "code", "kernels", false))
    m.kernelCount = kernels->size();
  if (!f.ok() || m.targetKind == "cuda")
    return;
  for (const char *required : {"r1_prefill", "r1_decode"})
    if (std::find(m.entryPoints.begin(), m.entryPoints.end(), required) == m.entryPoints.end()) {
      f.error("code.entry_points", std::string("must list ") + required);
      return;
    }
}

void parseMemory(ManifestFields &f, const json &root, ModelManifest &m) {
  const json *memory = f.object(root, "", "memory");
  if (!memory)
    return;
  m.maxStepTokens =
      f.unsignedInt(*memory, "memory", "max_step_tokens", true, kMaxInt32).value_or(0);
  m.arenaBytes = f.unsignedInt(*memory, "memory", "arena_bytes").value_or(0);
  m.kvBytesPerToken = f.unsignedInt(*memory, "memory", "kv_bytes_per_token").value_or(0);
  m.weightsBytes = f.unsignedInt(*memory, "memory", "weights_bytes", false).value_or(0);
  m.decodeWeightBytesPerToken =
      f.unsignedInt(*memory, "memory", "decode_weight_bytes_per_token", false).value_or(0);
  m.kvLayout = f.string(*memory, "memory", "kv_layout", false).value_or("");
  if (f.ok() && m.maxStepTokens == 0)
    f.error("memory.max_step_tokens", "must be at least 1");
}

void parseWeights(ManifestFields &f, const json &root, ModelManifest &m) {
  const json *weights = f.array(root, "", "weights");
  if (!weights)
    return;
  m.weights.reserve(weights->size());
  for (size_t i = 0; i < weights->size() && f.ok(); ++i) {
    const json &entry = (*weights)[i];
    std::string at = ManifestFields::index("weights", i);
    if (!entry.is_object()) {
      f.error(at, "must be an object");
      return;
    }
    ManifestWeight w;
    w.name = f.string(entry, at, "name").value_or("");
    w.dtype = f.string(entry, at, "dtype", false).value_or("");
    w.shape = f.unsignedList(entry, at, "shape", false).value_or(std::vector<uint64_t>{});
    w.offset = f.unsignedInt(entry, at, "offset").value_or(0);
    w.bytes = f.unsignedInt(entry, at, "bytes").value_or(0);
    w.layout = f.string(entry, at, "layout", false).value_or("");
    m.weights.push_back(std::move(w));
  }
}

void parseTokenizer(ManifestFields &f, const json &root, ModelManifest &m) {
  const json *tokenizer = f.object(root, "", "tokenizer", false);
  if (!tokenizer)
    return;
  for (auto it = tokenizer->begin(); it != tokenizer->end() && f.ok(); ++it) {
    if (std::optional<std::string> section = f.string(*tokenizer, "tokenizer", it.key()))
      m.tokenizerSections[it.key()] = *section;
  }
}

void parseGeneration(ManifestFields &f, const json &root, ModelManifest &m) {
  const json *generation = f.object(root, "", "generation", false);
  if (!generation)
    return;
  m.temperature = f.number(*generation, "generation", "temperature", false);
  m.topP = f.number(*generation, "generation", "top_p", false);
  m.maxNewTokens = f.unsignedInt(*generation, "generation", "max_new_tokens", false);
  m.thinkPrefix = f.string(*generation, "generation", "think_prefix", false).value_or("");
}

/// The tiling `r1c tune` recorded: each knob, where measured, 1 .. its max.
void parseTuning(ManifestFields &f, const json &root, ModelManifest &m) {
  const json *tuning = f.object(root, "", "tuning", false);
  if (!tuning)
    return;
  for (const TuningKnob &knob : kTuningKnobs) {
    std::optional<uint64_t> value = f.unsignedInt(*tuning, "tuning", knob.name, false, knob.max);
    if (value && *value == 0)
      f.error(ManifestFields::join("tuning", knob.name), "must be at least 1");
    m.tuning.*knob.field = static_cast<int32_t>(value.value_or(0));
  }
  m.tunedOn = f.string(*tuning, "tuning", "measured_on").value_or("");
}

} // namespace

uint64_t ModelManifest::totalWeightBytes() const {
  uint64_t total = 0;
  for (const ManifestWeight &w : weights)
    total += w.bytes;
  return total;
}

Result<ModelManifest> parseModelManifest(const json &root, const std::string &file) {
  ManifestFields f(file);
  ModelManifest m;
  if (!root.is_object())
    return Status::badInput(file + ": the manifest is not a JSON object");

  m.abiVersion = f.unsignedInt(root, "", "abi_version").value_or(0);
  if (f.ok() && m.abiVersion != R1_ABI_VERSION)
    return Status::badInput(file + ": the code was built for ABI version " +
                            std::to_string(m.abiVersion) + "; this r1run supports ABI version " +
                            std::to_string(R1_ABI_VERSION) + " (recompile with a matching r1c)");
  m.producer = f.string(root, "", "producer", false).value_or("");
  parseModel(f, root, m);
  parseTarget(f, root, m);
  parseCode(f, root, m);
  parseMemory(f, root, m);
  parseWeights(f, root, m);
  parseTokenizer(f, root, m);
  parseGeneration(f, root, m);
  parseTuning(f, root, m);
  if (!f.ok())
    return f.status();
  return m;
}

Status checkWeightsFit(const ModelManifest &manifest, uint64_t sectionBytes,
                       const std::string &file) {
  for (size_t i = 0; i < manifest.weights.size(); ++i) {
    const ManifestWeight &w = manifest.weights[i];
    std::string at = "manifest field \"weights[" + std::to_string(i) + "]\" (" + w.name + ")";
    if (w.offset > sectionBytes || w.bytes > sectionBytes - w.offset)
      return Status::badInput(file + ": " + at + " [" + std::to_string(w.offset) + ", +" +
                              std::to_string(w.bytes) + ") lies outside the weights section (" +
                              std::to_string(sectionBytes) + " bytes)");
    if (w.offset % kWeightAlignment != 0)
      return Status::badInput(file + ": " + at + " offset " + std::to_string(w.offset) +
                              " is not a multiple of 64");
  }
  return Status::success();
}

} // namespace r1::runtime
