//===- InfoCommand.cpp - r1run info: what an artifact holds ---------------===//
//
// Reads the manifest only: no code is loaded and the CPU is not checked, so
// an artifact built for another machine can be inspected anywhere.
//
//===----------------------------------------------------------------------===//

#include "tools/r1run/Commands.h"

#include "runtime/ArtifactReader.h"
#include "runtime/CpuFeatures.h"
#include "runtime/Manifest.h"
#include "runtime/Session.h"

#include <algorithm>
#include <cstdio>

namespace r1run_tool {

using namespace r1::runtime;

namespace {

std::string joined(const std::vector<std::string> &items) {
  std::string text;
  for (const std::string &item : items)
    text += (text.empty() ? "" : " ") + item;
  return text.empty() ? "(none)" : text;
}

int runInfo(const std::string &path) {
  Result<std::unique_ptr<ArtifactReader>> reader = ArtifactReader::open(path);
  if (!reader.ok())
    return report(reader.status());
  const ArtifactReader &artifact = **reader;
  Result<ModelManifest> parsed = parseModelManifest(artifact.manifest(), path);
  if (!parsed.ok())
    return report(parsed.status());
  const ModelManifest &m = *parsed;

  std::printf("artifact: %s (%s, format %u, ABI %llu%s%s)\n", path.c_str(),
              formatBytes(artifact.fileBytes()).c_str(), artifact.header().formatVersion,
              static_cast<unsigned long long>(m.abiVersion), m.producer.empty() ? "" : ", by ",
              m.producer.c_str());
  std::string eos;
  for (int32_t id : m.eosTokenIds)
    eos += (eos.empty() ? "" : " ") + std::to_string(id);
  std::string bos = m.bosTokenId ? std::to_string(*m.bosTokenId) : "none";
  std::printf(
      "model: %s, vocab %llu, hidden %llu, layers %llu, max positions %llu, bos %s, eos [%s]\n",
      m.architecture.c_str(), static_cast<unsigned long long>(m.vocabSize),
      static_cast<unsigned long long>(m.hiddenSize), static_cast<unsigned long long>(m.numLayers),
      static_cast<unsigned long long>(m.maxPositions), bos.c_str(), eos.c_str());
  std::printf("target: %s, isa: %s%s%s\n",
              m.targetName.empty() ? "(unnamed)" : m.targetName.c_str(), joined(m.isa).c_str(),
              m.cxx.empty() ? "" : ", compiled by ", m.cxx.c_str());
  if (!m.optionalIsa.empty())
    std::printf("optional isa: %s (used where the CPU allows; here: %s)\n",
                joined(m.optionalIsa).c_str(),
                amxUsable() ? "yes" : "no, or R1_NO_AMX is set");
  if (m.targetKind == "host")
    std::printf("tuning: %s\n", describeTuning(m).c_str());
  std::printf("code: section \"%s\", identity \"%s\", entry points: %s, %zu kernels\n",
              m.codeSection.c_str(), m.codeIdentity.c_str(), joined(m.entryPoints).c_str(),
              m.kernelCount);
  int64_t ctx = std::min<int64_t>(static_cast<int64_t>(m.maxPositions), kDefaultContext);
  std::printf("memory: max step tokens %llu, arena %s, KV %llu bytes/token (%s at %lld tokens), "
              "weights %s%s%s\n",
              static_cast<unsigned long long>(m.maxStepTokens), formatBytes(m.arenaBytes).c_str(),
              static_cast<unsigned long long>(m.kvBytesPerToken),
              formatBytes(m.kvBytesPerToken * static_cast<uint64_t>(ctx)).c_str(),
              static_cast<long long>(ctx), formatBytes(m.weightsBytes).c_str(),
              m.kvLayout.empty() ? "" : ", KV layout ", m.kvLayout.c_str());
  std::printf("weights: %zu tensors, %llu bytes (%s)\n", m.weights.size(),
              static_cast<unsigned long long>(m.totalWeightBytes()),
              formatBytes(m.totalWeightBytes()).c_str());
  std::printf("sections:\n");
  for (const ArtifactSection &section : artifact.sections())
    std::printf("  %-22s offset %12llu  %12llu bytes  xxh64 %s\n", section.name.c_str(),
                static_cast<unsigned long long>(section.offset),
                static_cast<unsigned long long>(section.bytes), formatXxh64(section.xxh64).c_str());
  return kSuccess;
}

} // namespace

CommandRunner addInfoCommand(CLI::App &app) {
  auto path = std::make_shared<std::string>();
  CLI::App *info = app.add_subcommand(
      "info", "Print what an artifact holds: model, target, memory, weights, sections");
  info->add_option("ARTIFACT", *path, "The artifact")->required();
  info->footer("Reads only the manifest: works for artifacts built for another CPU.");
  return [info, path]() -> int { return info->parsed() ? runInfo(*path) : -1; };
}

} // namespace r1run_tool
