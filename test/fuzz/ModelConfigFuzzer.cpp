//===- ModelConfigFuzzer.cpp - libFuzzer target for config.json parsing ---===//
//
// Feeds arbitrary bytes to parseModelConfig. Besides crashes, leaks and UB,
// it traps when a result breaks the parser's promises: an error is one line
// starting with the file name, and an accepted config satisfies the
// invariants the model builders rely on.
//
//===----------------------------------------------------------------------===//
#include "compiler/ModelConfig.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

constexpr char kFileName[] = "fuzz/config.json";

void check(bool condition) {
  if (!condition)
    __builtin_trap();
}

void checkInvariants(const r1::ModelConfig &cfg) {
  check(cfg.vocabSize > 0 && cfg.hiddenSize > 0 && cfg.intermediateSize > 0);
  check(cfg.numLayers > 0 && cfg.numHeads > 0 && cfg.maxPositions > 0);
  check(cfg.numKvHeads > 0 && cfg.numHeads % cfg.numKvHeads == 0);
  check(cfg.headDim > 0 && cfg.rmsNormEps > 0 && cfg.ropeTheta > 0);
  for (int64_t id : cfg.eosTokenIds)
    check(id >= 0 && id < cfg.vocabSize);
  if (cfg.bosTokenId)
    check(*cfg.bosTokenId >= 0 && *cfg.bosTokenId < cfg.vocabSize);
  check(cfg.mla.has_value() == cfg.moe.has_value());
  if (cfg.mla) {
    check(cfg.numKvHeads == cfg.numHeads && cfg.mla->qkRopeHeadDim % 2 == 0);
    check(cfg.headDim == cfg.mla->qkHeadDim());
  }
  if (cfg.moe) {
    const r1::MoeConfig &moe = *cfg.moe;
    check(moe.numGroups > 0 && moe.numRoutedExperts % moe.numGroups == 0);
    check(moe.topkGroups >= 1 && moe.topkGroups <= moe.numGroups);
    check(moe.numExpertsPerToken <= moe.topkGroups * (moe.numRoutedExperts / moe.numGroups));
    check(moe.moeLayerFreq >= 1 && moe.firstKDenseReplace >= 0);
  }
  if (cfg.fp8)
    check(cfg.fp8->blockRows > 0 && cfg.fp8->blockCols > 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<r1::ModelConfig> cfg = r1::parseModelConfig(text, kFileName);
  if (cfg) {
    checkInvariants(*cfg);
    return 0;
  }
  std::string message = llvm::toString(cfg.takeError());
  check(llvm::StringRef(message).starts_with(std::string(kFileName) + ": "));
  check(message.find('\n') == std::string::npos);
  return 0;
}
