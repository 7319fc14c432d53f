//===- Planner.h - r1c plan: memory and speed estimates for a config ------===//
//
// An ESTIMATE of what a model needs on a target: weight bytes (from the
// config-only import's r1.weight symbols, so they are the bytes `r1c compile`
// would store), KV-cache bytes (the ideal BF16 cache and what the host backend
// allocates today), the activations of one step, and decode/prefill
// rooflines from the target's datasheet figures (compiler/TargetSpecs.h).
// Every figure is arithmetic on the config; nothing is measured here. The
// method is described in docs/plan.md.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_PLANNER_H
#define R1C_COMPILER_PLANNER_H

#include "compiler/ModelConfig.h"
#include "compiler/TargetSpecs.h"

#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace r1 {

struct PlanOptions {
  /// config.json, or a model directory holding one.
  std::string configPath;
  std::string target = "host";
  int64_t gpus = 1;
  /// Context length the KV cache is sized for; default
  /// min(max_position_embeddings, 32768).
  std::optional<int64_t> ctx;
  /// Rows of one step (as `r1c compile --max-step-tokens`).
  int64_t maxStepTokens = 256;
};

/// Weights of one storage format: element type and layout.
struct WeightGroup {
  /// "f8E4M3FN block_scaled[128,128]", "bf16", "f32".
  std::string format;
  uint64_t tensors = 0;  // r1.weight symbols (a stacked-expert symbol is one)
  uint64_t elements = 0; // weight elements, experts included
  uint64_t bytes = 0;    // elements plus scales
  uint64_t scaleBytes = 0;
};

/// A named buffer of the activation estimate.
struct ActivationPart {
  std::string name;
  uint64_t bytes = 0;
};

struct Plan {
  std::string configPath;
  std::string modelType;
  TargetSpec target;
  int64_t gpus = 1;
  int64_t ctx = 0;
  int64_t maxStepTokens = 0;
  int64_t numLayers = 0;
  bool mla = false;
  bool moe = false;

  // Weights.
  std::vector<WeightGroup> weightGroups;
  uint64_t weightBytes = 0;       // everything the import declares
  uint64_t weightBytesNoMtp = 0;  // what @forward uses
  uint64_t totalParams = 0;       // elements, MTP included
  uint64_t paramsNoMtp = 0;
  /// Elements one token multiplies by (MoE: top_k of n_routed experts);
  /// embedding lookups and the MTP layer excluded.
  uint64_t activatedParams = 0;
  /// Weight bytes one decode token reads (the same selection, plus one
  /// embedding row).
  uint64_t decodeWeightBytes = 0;
  /// Routed-expert bytes of @forward (all experts).
  uint64_t routedExpertBytes = 0;

  // KV cache, one sequence, @forward's layers (not the MTP layer).
  uint64_t kvBytesPerToken = 0; // ideal: MLA latent / GQA K,V in BF16
  uint64_t kvBytesAtCtx = 0;
  uint64_t hostKvBytesPerToken = 0; // f32 materialized K/V (host backend)
  uint64_t hostKvBytesAtCtx = 0;
  std::string kvFormula;
  std::string hostKvFormula;

  // Activations of one step of maxStepTokens rows.
  int64_t activationElementBytes = 4;
  std::string activationStage; // the stage at the peak
  std::vector<ActivationPart> activationParts;
  /// Every stage's total (residual included), in program order.
  std::vector<ActivationPart> activationStages;
  uint64_t activationBytes = 0;

  // Rooflines (upper bounds; N devices scale linearly).
  uint64_t decodeKvBytesPerToken = 0; // ideal KV cache at ctx / 2
  uint64_t decodeBytesPerToken = 0;   // decodeWeightBytes + decodeKvBytesPerToken
  double decodeTokensPerSecond = 0;   // N x bandwidth / decodeBytesPerToken
  std::string computeType;            // "fp8", "bf16", "f32"
  double peakFlops = 0;               // one device, computeType
  double prefillFlopsPerToken = 0;    // 2 x activatedParams
  double prefillTokensPerSecond = 0;  // N x peakFlops / prefillFlopsPerToken
  /// One step of maxStepTokens rows bounded by compute and by reading the
  /// weights it touches (MoE: experts hit by at least one of rows x top_k).
  uint64_t stepWeightBytes = 0;
  double stepTokensPerSecond = 0;

  // Capacity.
  uint64_t bytesPerDevice = 0; // weights / N + KV (+ split) + activations
  uint64_t deviceMemoryBytes = 0;
  bool kvReplicated = false; // MLA latent under tensor parallelism
  bool fits = false;
};

/// Imports `options.configPath` config-only and plans it for the target.
/// Errors are one line; a bad --target, --gpus, --ctx or
/// --max-step-tokens names the flag.
llvm::Expected<Plan> planModel(mlir::MLIRContext &context, const PlanOptions &options);

/// The plan as one JSON object (bytes as integers, rates as numbers).
nlohmann::json planToJson(const Plan &plan);

/// The plan as text for people, labelled as an estimate.
void printPlan(const Plan &plan, llvm::raw_ostream &os);

} // namespace r1

#endif // R1C_COMPILER_PLANNER_H
