//===- ModelConfig.h - A model's config.json, parsed and checked ----------===//
//
// ModelConfig is everything r1c takes from a Hugging Face config.json, for all
// supported architectures, validated once so that the model builders can rely
// on it: every size positive, heads divisible by KV heads, expert groups that
// divide the expert count, rope-scaling fields complete, and so on. The
// semantics of each field follow ../shared/models/SEMANTICS.md.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_MODELCONFIG_H
#define R1C_COMPILER_MODELCONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace r1 {

/// The decoder architectures r1c compiles, keyed by config "model_type".
enum class Architecture {
  Qwen2,      // "qwen2": R1-Distill-Qwen (Qwen2.5)
  Llama,      // "llama": R1-Distill-Llama (Llama 3)
  DeepSeekV2, // "deepseek_v2": MLA + softmax-scored MoE
  DeepSeekV3, // "deepseek_v3": DeepSeek-V3, R1, R1-Zero
};

llvm::StringRef architectureName(Architecture arch);

/// rope_scaling with rope_type "llama3": inverse frequencies rescaled by
/// wavelength.
struct Llama3RopeScaling {
  double factor = 0;
  double lowFreqFactor = 0;
  double highFreqFactor = 0;
  int64_t originalMaxPositions = 0;
};

/// rope_scaling with type "yarn" (DeepSeek): frequency blending between
/// beta_fast and beta_slow, plus the mscale corrections.
struct YarnRopeScaling {
  double factor = 0;
  int64_t originalMaxPositions = 0;
  double betaFast = 32;
  double betaSlow = 1;
  double mscale = 1;
  double mscaleAllDim = 0;
};

/// No rope scaling, llama3, or yarn.
using RopeScaling = std::variant<std::monostate, Llama3RopeScaling, YarnRopeScaling>;

/// Multi-head latent attention (DeepSeek-V2/V3).
struct MlaConfig {
  /// Absent (config null) means q is one projection (V2-Lite); present means
  /// q_a_proj -> rms_norm -> q_b_proj.
  std::optional<int64_t> qLoraRank;
  int64_t kvLoraRank = 0;
  int64_t qkNopeHeadDim = 0;
  int64_t qkRopeHeadDim = 0;
  int64_t vHeadDim = 0;

  int64_t qkHeadDim() const { return qkNopeHeadDim + qkRopeHeadDim; }
};

enum class ScoringFunc { Sigmoid, Softmax };
enum class TopkMethod { NoauxTc, Greedy, GroupLimitedGreedy };

/// Mixture of experts (DeepSeek-V2/V3).
struct MoeConfig {
  int64_t numRoutedExperts = 0;
  int64_t numSharedExperts = 0; // 0: no shared expert
  int64_t numExpertsPerToken = 0;
  int64_t moeIntermediateSize = 0;
  int64_t numGroups = 1;  // n_group
  int64_t topkGroups = 1; // topk_group
  double routedScalingFactor = 1.0;
  ScoringFunc scoring = ScoringFunc::Softmax;
  TopkMethod topkMethod = TopkMethod::Greedy;
  bool normTopkProb = false;
  int64_t firstKDenseReplace = 0;
  int64_t moeLayerFreq = 1;

  /// Layer i is MoE iff i >= first_k_dense_replace and i % moe_layer_freq == 0.
  bool isMoeLayer(int64_t layer) const {
    return layer >= firstKDenseReplace && layer % moeLayerFreq == 0;
  }
};

/// quantization_config with quant_method "fp8": block-scaled e4m3 weights.
struct Fp8Quantization {
  int64_t blockRows = 128;
  int64_t blockCols = 128;
};

struct ModelConfig {
  /// The file the config was read from (for error messages).
  std::string path;
  Architecture arch = Architecture::Llama;
  std::string modelType;

  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t intermediateSize = 0;
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  int64_t numKvHeads = 0;
  /// "head_dim" when given, else hidden_size / num_attention_heads. Unused by
  /// MLA models, whose head dims are in `mla`.
  int64_t headDim = 0;
  int64_t maxPositions = 0;
  double rmsNormEps = 1e-6;
  double ropeTheta = 10000.0;
  RopeScaling ropeScaling;
  bool tieWordEmbeddings = false;
  /// q/k/v projections have biases (always for Qwen2; attention_bias for Llama).
  bool qkvBias = false;
  /// o_proj has a bias (attention_bias for Llama).
  bool outputBias = false;
  /// gate/up/down projections have biases (mlp_bias for Llama).
  bool mlpBias = false;

  std::optional<int64_t> bosTokenId;
  /// eos_token_id may be an int or a list in config.json.
  std::vector<int64_t> eosTokenIds;
  /// "torch_dtype", e.g. "bfloat16": the dtype of non-quantized weights.
  std::string torchDtype = "bfloat16";

  std::optional<MlaConfig> mla;
  std::optional<MoeConfig> moe;
  /// num_nextn_predict_layers: MTP layers stored after the decoder layers.
  int64_t numMtpLayers = 0;
  std::optional<Fp8Quantization> fp8;
};

/// Parses and validates config.json text. `fileName` names the file in
/// errors, which are one line: "FILE: field 'NAME': what is wrong".
llvm::Expected<ModelConfig> parseModelConfig(llvm::StringRef jsonText, llvm::StringRef fileName);

/// Reads `modelDir`/config.json and parses it.
llvm::Expected<ModelConfig> loadModelConfig(llvm::StringRef modelDir);

/// Reads and parses a config.json named directly (`r1c import --config-only
/// models/configs/DeepSeek-R1.json`).
llvm::Expected<ModelConfig> loadModelConfigFile(llvm::StringRef path);

} // namespace r1

#endif // R1C_COMPILER_MODELCONFIG_H
