//===- ModelConfigTest.cpp - Tests of config.json parsing -----------------===//
//
// The eight released configs and the four tiny test models parse to the
// values their files hold; every kind of bad input gets a case checking that
// the one-line error names the file and the field at fault.
//
//===----------------------------------------------------------------------===//
#include "compiler/ModelConfig.h"

#include "llvm/Support/MemoryBuffer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace r1 {
namespace {

using nlohmann::json;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The tiny models' configs, copied from ../shared/models/specs.json so that
// the tests do not read outside the repository.

/// "qwen2-tiny" from specs.json.
constexpr char kQwen2Tiny[] = R"json({
  "architectures": [
    "Qwen2ForCausalLM"
  ],
  "model_type": "qwen2",
  "hidden_size": 128,
  "intermediate_size": 352,
  "num_hidden_layers": 3,
  "num_attention_heads": 4,
  "num_key_value_heads": 2,
  "rms_norm_eps": 1e-06,
  "rope_theta": 10000.0,
  "max_position_embeddings": 131072,
  "vocab_size": 151936,
  "tie_word_embeddings": true,
  "hidden_act": "silu",
  "bos_token_id": 151643,
  "eos_token_id": 151643,
  "torch_dtype": "bfloat16",
  "use_sliding_window": false,
  "sliding_window": 4096,
  "max_window_layers": 21
})json";

/// "llama-tiny" from specs.json.
constexpr char kLlamaTiny[] = R"json({
  "architectures": [
    "LlamaForCausalLM"
  ],
  "model_type": "llama",
  "hidden_size": 128,
  "intermediate_size": 384,
  "num_hidden_layers": 3,
  "num_attention_heads": 4,
  "num_key_value_heads": 1,
  "rms_norm_eps": 1e-05,
  "rope_theta": 500000.0,
  "max_position_embeddings": 131072,
  "vocab_size": 128256,
  "tie_word_embeddings": false,
  "rope_scaling": {
    "factor": 8.0,
    "low_freq_factor": 1.0,
    "high_freq_factor": 4.0,
    "original_max_position_embeddings": 8192,
    "rope_type": "llama3"
  },
  "hidden_act": "silu",
  "bos_token_id": 128000,
  "eos_token_id": 128001,
  "torch_dtype": "bfloat16",
  "attention_bias": false,
  "mlp_bias": false
})json";

/// "dsv3-tiny" from specs.json.
constexpr char kDsv3Tiny[] = R"json({
  "architectures": [
    "DeepseekV3ForCausalLM"
  ],
  "model_type": "deepseek_v3",
  "hidden_size": 128,
  "intermediate_size": 256,
  "moe_intermediate_size": 64,
  "num_hidden_layers": 3,
  "first_k_dense_replace": 1,
  "moe_layer_freq": 1,
  "num_attention_heads": 4,
  "num_key_value_heads": 4,
  "q_lora_rank": 96,
  "kv_lora_rank": 64,
  "qk_nope_head_dim": 32,
  "qk_rope_head_dim": 16,
  "v_head_dim": 32,
  "n_routed_experts": 16,
  "n_shared_experts": 1,
  "num_experts_per_tok": 4,
  "n_group": 4,
  "topk_group": 2,
  "routed_scaling_factor": 2.5,
  "scoring_func": "sigmoid",
  "topk_method": "noaux_tc",
  "norm_topk_prob": true,
  "num_nextn_predict_layers": 1,
  "rms_norm_eps": 1e-06,
  "rope_theta": 10000.0,
  "rope_scaling": {
    "beta_fast": 32,
    "beta_slow": 1,
    "factor": 40,
    "mscale": 1.0,
    "mscale_all_dim": 1.0,
    "original_max_position_embeddings": 4096,
    "type": "yarn"
  },
  "max_position_embeddings": 163840,
  "vocab_size": 129280,
  "tie_word_embeddings": false,
  "hidden_act": "silu",
  "bos_token_id": 0,
  "eos_token_id": 1,
  "torch_dtype": "bfloat16",
  "attention_bias": false
})json";

constexpr char kFile[] = "model/config.json";

/// Parses text that must be a valid config; a failure fails the test.
ModelConfig parseValid(llvm::StringRef text) {
  llvm::Expected<ModelConfig> cfg = parseModelConfig(text, kFile);
  if (!cfg) {
    ADD_FAILURE() << llvm::toString(cfg.takeError());
    return ModelConfig();
  }
  return std::move(*cfg);
}

ModelConfig parseValidJson(const json &config) { return parseValid(config.dump()); }

/// Parses one of the released configs in models/configs/.
ModelConfig parseReleased(llvm::StringRef name) {
  std::string path = std::string(R1C_SOURCE_DIR) + "/models/configs/" + name.str() + ".json";
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    ADD_FAILURE() << path << ": " << buffer.getError().message();
    return ModelConfig();
  }
  llvm::Expected<ModelConfig> cfg = parseModelConfig((*buffer)->getBuffer(), path);
  if (!cfg) {
    ADD_FAILURE() << llvm::toString(cfg.takeError());
    return ModelConfig();
  }
  return std::move(*cfg);
}

/// The error of a parse expected to fail ("" and a test failure if it passed).
std::string parseError(llvm::StringRef text) {
  llvm::Expected<ModelConfig> cfg = parseModelConfig(text, kFile);
  if (cfg) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  return llvm::toString(cfg.takeError());
}

/// A one-line error about kFile.
::testing::Matcher<std::string> fileError() {
  return ::testing::AllOf(StartsWith(std::string(kFile) + ": "), Not(HasSubstr("\n")));
}

/// `base` with `patch` applied as an RFC 7396 merge patch: objects merge
/// recursively and null deletes a key.
json patched(const char *base, const char *patch) {
  json config = json::parse(base);
  config.merge_patch(json::parse(patch));
  return config;
}

/// "dsv3-tiny-fp8" from specs.json: dsv3-tiny plus its quantization_config.
const std::string kDsv3TinyFp8Text = patched(kDsv3Tiny, R"({"quantization_config": {
  "activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
  "weight_block_size": [128, 128]}})")
                                         .dump();
const char *const kDsv3TinyFp8 = kDsv3TinyFp8Text.c_str();

//===----------------------------------------------------------------------===//
// Released configs
//===----------------------------------------------------------------------===//

TEST(ModelConfigReleasedTest, DeepSeekR1) {
  ModelConfig cfg = parseReleased("DeepSeek-R1");
  EXPECT_EQ(cfg.arch, Architecture::DeepSeekV3);
  EXPECT_EQ(cfg.modelType, "deepseek_v3");
  EXPECT_EQ(cfg.vocabSize, 129280);
  EXPECT_EQ(cfg.hiddenSize, 7168);
  EXPECT_EQ(cfg.intermediateSize, 18432);
  EXPECT_EQ(cfg.numLayers, 61);
  EXPECT_EQ(cfg.numHeads, 128);
  EXPECT_EQ(cfg.numKvHeads, 128);
  EXPECT_EQ(cfg.headDim, 192);
  EXPECT_EQ(cfg.maxPositions, 163840);
  EXPECT_DOUBLE_EQ(cfg.rmsNormEps, 1e-6);
  EXPECT_DOUBLE_EQ(cfg.ropeTheta, 10000);
  EXPECT_FALSE(cfg.tieWordEmbeddings);
  EXPECT_FALSE(cfg.qkvBias);
  EXPECT_EQ(cfg.bosTokenId, 0);
  EXPECT_THAT(cfg.eosTokenIds, ElementsAre(1));
  EXPECT_EQ(cfg.torchDtype, "bfloat16");

  ASSERT_TRUE(cfg.mla);
  EXPECT_EQ(cfg.mla->qLoraRank, 1536);
  EXPECT_EQ(cfg.mla->kvLoraRank, 512);
  EXPECT_EQ(cfg.mla->qkNopeHeadDim, 128);
  EXPECT_EQ(cfg.mla->qkRopeHeadDim, 64);
  EXPECT_EQ(cfg.mla->vHeadDim, 128);

  ASSERT_TRUE(cfg.moe);
  EXPECT_EQ(cfg.moe->numRoutedExperts, 256);
  EXPECT_EQ(cfg.moe->numSharedExperts, 1);
  EXPECT_EQ(cfg.moe->numExpertsPerToken, 8);
  EXPECT_EQ(cfg.moe->moeIntermediateSize, 2048);
  EXPECT_EQ(cfg.moe->numGroups, 8);
  EXPECT_EQ(cfg.moe->topkGroups, 4);
  EXPECT_EQ(cfg.moe->topkMethod, TopkMethod::NoauxTc);
  EXPECT_EQ(cfg.moe->scoring, ScoringFunc::Sigmoid);
  EXPECT_TRUE(cfg.moe->normTopkProb);
  EXPECT_DOUBLE_EQ(cfg.moe->routedScalingFactor, 2.5);
  EXPECT_EQ(cfg.moe->firstKDenseReplace, 3);
  EXPECT_EQ(cfg.moe->moeLayerFreq, 1);
  EXPECT_FALSE(cfg.moe->isMoeLayer(2));
  EXPECT_TRUE(cfg.moe->isMoeLayer(3));
  EXPECT_TRUE(cfg.moe->isMoeLayer(60));
  EXPECT_EQ(cfg.numMtpLayers, 1);

  ASSERT_TRUE(cfg.fp8);
  EXPECT_EQ(cfg.fp8->blockRows, 128);
  EXPECT_EQ(cfg.fp8->blockCols, 128);

  ASSERT_TRUE(std::holds_alternative<YarnRopeScaling>(cfg.ropeScaling));
  const auto &yarn = std::get<YarnRopeScaling>(cfg.ropeScaling);
  EXPECT_DOUBLE_EQ(yarn.factor, 40);
  EXPECT_EQ(yarn.originalMaxPositions, 4096);
  EXPECT_DOUBLE_EQ(yarn.betaFast, 32);
  EXPECT_DOUBLE_EQ(yarn.betaSlow, 1);
  EXPECT_DOUBLE_EQ(yarn.mscale, 1);
  EXPECT_DOUBLE_EQ(yarn.mscaleAllDim, 1);
}

TEST(ModelConfigReleasedTest, DeepSeekR1Zero) {
  ModelConfig cfg = parseReleased("DeepSeek-R1-Zero");
  EXPECT_EQ(cfg.arch, Architecture::DeepSeekV3);
  EXPECT_EQ(cfg.numLayers, 61);
  ASSERT_TRUE(cfg.mla && cfg.moe && cfg.fp8);
  EXPECT_EQ(cfg.mla->kvLoraRank, 512);
  EXPECT_EQ(cfg.moe->numRoutedExperts, 256);
  EXPECT_EQ(cfg.numMtpLayers, 1);
  EXPECT_TRUE(std::holds_alternative<YarnRopeScaling>(cfg.ropeScaling));
}

TEST(ModelConfigReleasedTest, DistillQwen1_5B) {
  ModelConfig cfg = parseReleased("DeepSeek-R1-Distill-Qwen-1.5B");
  EXPECT_EQ(cfg.arch, Architecture::Qwen2);
  EXPECT_EQ(cfg.modelType, "qwen2");
  EXPECT_EQ(cfg.vocabSize, 151936);
  EXPECT_EQ(cfg.hiddenSize, 1536);
  EXPECT_EQ(cfg.intermediateSize, 8960);
  EXPECT_EQ(cfg.numLayers, 28);
  EXPECT_EQ(cfg.numHeads, 12);
  EXPECT_EQ(cfg.numKvHeads, 2);
  EXPECT_EQ(cfg.headDim, 128);
  EXPECT_EQ(cfg.maxPositions, 131072);
  EXPECT_DOUBLE_EQ(cfg.rmsNormEps, 1e-6);
  EXPECT_DOUBLE_EQ(cfg.ropeTheta, 10000);
  EXPECT_FALSE(cfg.tieWordEmbeddings);
  EXPECT_TRUE(cfg.qkvBias);
  EXPECT_FALSE(cfg.outputBias);
  EXPECT_FALSE(cfg.mlpBias);
  EXPECT_EQ(cfg.bosTokenId, 151643);
  EXPECT_THAT(cfg.eosTokenIds, ElementsAre(151643));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(cfg.ropeScaling));
  EXPECT_FALSE(cfg.mla || cfg.moe || cfg.fp8);
  EXPECT_EQ(cfg.numMtpLayers, 0);
}

TEST(ModelConfigReleasedTest, DistillQwen7B) {
  ModelConfig cfg = parseReleased("DeepSeek-R1-Distill-Qwen-7B");
  EXPECT_EQ(cfg.arch, Architecture::Qwen2);
  EXPECT_EQ(cfg.vocabSize, 152064);
  EXPECT_EQ(cfg.hiddenSize, 3584);
  EXPECT_EQ(cfg.intermediateSize, 18944);
  EXPECT_EQ(cfg.numLayers, 28);
  EXPECT_EQ(cfg.numHeads, 28);
  EXPECT_EQ(cfg.numKvHeads, 4);
  EXPECT_EQ(cfg.headDim, 128);
  EXPECT_TRUE(cfg.qkvBias);
}

TEST(ModelConfigReleasedTest, DistillQwen14B) {
  ModelConfig cfg = parseReleased("DeepSeek-R1-Distill-Qwen-14B");
  EXPECT_EQ(cfg.hiddenSize, 5120);
  EXPECT_EQ(cfg.intermediateSize, 13824);
  EXPECT_EQ(cfg.numLayers, 48);
  EXPECT_EQ(cfg.numHeads, 40);
  EXPECT_EQ(cfg.numKvHeads, 8);
  EXPECT_EQ(cfg.headDim, 128);
  EXPECT_DOUBLE_EQ(cfg.rmsNormEps, 1e-5);
  EXPECT_DOUBLE_EQ(cfg.ropeTheta, 1e6);
}

TEST(ModelConfigReleasedTest, DistillQwen32B) {
  ModelConfig cfg = parseReleased("DeepSeek-R1-Distill-Qwen-32B");
  EXPECT_EQ(cfg.hiddenSize, 5120);
  EXPECT_EQ(cfg.intermediateSize, 27648);
  EXPECT_EQ(cfg.numLayers, 64);
  EXPECT_EQ(cfg.numHeads, 40);
  EXPECT_EQ(cfg.numKvHeads, 8);
  EXPECT_EQ(cfg.vocabSize, 152064);
}

TEST(ModelConfigReleasedTest, DistillLlama8B) {
  ModelConfig cfg = parseReleased("DeepSeek-R1-Distill-Llama-8B");
  EXPECT_EQ(cfg.arch, Architecture::Llama);
  EXPECT_EQ(cfg.modelType, "llama");
  EXPECT_EQ(cfg.vocabSize, 128256);
  EXPECT_EQ(cfg.hiddenSize, 4096);
  EXPECT_EQ(cfg.intermediateSize, 14336);
  EXPECT_EQ(cfg.numLayers, 32);
  EXPECT_EQ(cfg.numHeads, 32);
  EXPECT_EQ(cfg.numKvHeads, 8);
  EXPECT_EQ(cfg.headDim, 128);
  EXPECT_DOUBLE_EQ(cfg.rmsNormEps, 1e-5);
  EXPECT_DOUBLE_EQ(cfg.ropeTheta, 500000);
  EXPECT_FALSE(cfg.qkvBias || cfg.outputBias || cfg.mlpBias);
  EXPECT_EQ(cfg.bosTokenId, 128000);
  EXPECT_THAT(cfg.eosTokenIds, ElementsAre(128001));
  ASSERT_TRUE(std::holds_alternative<Llama3RopeScaling>(cfg.ropeScaling));
  const auto &llama3 = std::get<Llama3RopeScaling>(cfg.ropeScaling);
  EXPECT_DOUBLE_EQ(llama3.factor, 8);
  EXPECT_DOUBLE_EQ(llama3.lowFreqFactor, 1);
  EXPECT_DOUBLE_EQ(llama3.highFreqFactor, 4);
  EXPECT_EQ(llama3.originalMaxPositions, 8192);
}

TEST(ModelConfigReleasedTest, DistillLlama70B) {
  ModelConfig cfg = parseReleased("DeepSeek-R1-Distill-Llama-70B");
  EXPECT_EQ(cfg.arch, Architecture::Llama);
  EXPECT_EQ(cfg.hiddenSize, 8192);
  EXPECT_EQ(cfg.intermediateSize, 28672);
  EXPECT_EQ(cfg.numLayers, 80);
  EXPECT_EQ(cfg.numHeads, 64);
  EXPECT_EQ(cfg.numKvHeads, 8);
  EXPECT_EQ(cfg.headDim, 128);
  EXPECT_TRUE(std::holds_alternative<Llama3RopeScaling>(cfg.ropeScaling));
}

//===----------------------------------------------------------------------===//
// Tiny test models
//===----------------------------------------------------------------------===//

TEST(ModelConfigTinyTest, Qwen2) {
  ModelConfig cfg = parseValid(kQwen2Tiny);
  EXPECT_EQ(cfg.arch, Architecture::Qwen2);
  EXPECT_EQ(cfg.hiddenSize, 128);
  EXPECT_EQ(cfg.numKvHeads, 2);
  EXPECT_EQ(cfg.headDim, 32);
  EXPECT_TRUE(cfg.tieWordEmbeddings);
  EXPECT_TRUE(cfg.qkvBias);
}

TEST(ModelConfigTinyTest, Llama) {
  ModelConfig cfg = parseValid(kLlamaTiny);
  EXPECT_EQ(cfg.arch, Architecture::Llama);
  EXPECT_EQ(cfg.numKvHeads, 1);
  EXPECT_EQ(cfg.intermediateSize, 384);
  EXPECT_TRUE(std::holds_alternative<Llama3RopeScaling>(cfg.ropeScaling));
}

TEST(ModelConfigTinyTest, DeepSeekV3) {
  ModelConfig cfg = parseValid(kDsv3Tiny);
  EXPECT_EQ(cfg.arch, Architecture::DeepSeekV3);
  ASSERT_TRUE(cfg.mla && cfg.moe);
  EXPECT_EQ(cfg.mla->qLoraRank, 96);
  EXPECT_EQ(cfg.mla->qkHeadDim(), 48);
  EXPECT_EQ(cfg.headDim, 48);
  EXPECT_EQ(cfg.moe->numRoutedExperts, 16);
  EXPECT_EQ(cfg.moe->numGroups, 4);
  EXPECT_EQ(cfg.moe->topkGroups, 2);
  EXPECT_EQ(cfg.moe->firstKDenseReplace, 1);
  EXPECT_FALSE(cfg.fp8);
}

TEST(ModelConfigTinyTest, DeepSeekV3Fp8) {
  ModelConfig cfg = parseValid(kDsv3TinyFp8);
  ASSERT_TRUE(cfg.fp8);
  EXPECT_EQ(cfg.fp8->blockRows, 128);
  EXPECT_EQ(cfg.fp8->blockCols, 128);
}

//===----------------------------------------------------------------------===//
// Defaults and accepted variations
//===----------------------------------------------------------------------===//

constexpr char kMinimalLlama[] = R"json({
  "model_type": "llama", "vocab_size": 1000, "hidden_size": 64,
  "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
  "max_position_embeddings": 2048
})json";

/// deepseek_v2 with only the required fields (V2-Lite's sizes).
constexpr char kMinimalDeepSeekV2[] = R"json({
  "model_type": "deepseek_v2", "vocab_size": 102400, "hidden_size": 2048,
  "intermediate_size": 10944, "num_hidden_layers": 27, "num_attention_heads": 16,
  "max_position_embeddings": 163840, "kv_lora_rank": 512, "qk_nope_head_dim": 128,
  "qk_rope_head_dim": 64, "v_head_dim": 128, "n_routed_experts": 64,
  "num_experts_per_tok": 6, "moe_intermediate_size": 1408
})json";

TEST(ModelConfigTest, DefaultsOfOptionalFields) {
  ModelConfig cfg = parseValid(kMinimalLlama);
  EXPECT_EQ(cfg.path, kFile);
  EXPECT_EQ(cfg.numKvHeads, 4);
  EXPECT_EQ(cfg.headDim, 16);
  EXPECT_DOUBLE_EQ(cfg.rmsNormEps, 1e-6);
  EXPECT_DOUBLE_EQ(cfg.ropeTheta, 10000);
  EXPECT_FALSE(cfg.tieWordEmbeddings);
  EXPECT_FALSE(cfg.qkvBias || cfg.outputBias || cfg.mlpBias);
  EXPECT_EQ(cfg.torchDtype, "bfloat16");
  EXPECT_FALSE(cfg.bosTokenId);
  EXPECT_TRUE(cfg.eosTokenIds.empty());
  EXPECT_TRUE(std::holds_alternative<std::monostate>(cfg.ropeScaling));
  EXPECT_FALSE(cfg.mla || cfg.moe || cfg.fp8);
}

TEST(ModelConfigTest, NullMeansAbsent) {
  json config = json::parse(kMinimalLlama);
  for (const char *field : {"num_key_value_heads", "head_dim", "rope_scaling", "bos_token_id",
                            "eos_token_id", "torch_dtype", "quantization_config"})
    config[field] = nullptr;
  ModelConfig cfg = parseValidJson(config);
  EXPECT_EQ(cfg.numKvHeads, 4);
  EXPECT_EQ(cfg.headDim, 16);
  EXPECT_FALSE(cfg.bosTokenId);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(cfg.ropeScaling));
  EXPECT_FALSE(cfg.fp8);
}

TEST(ModelConfigTest, DeepSeekV2Defaults) {
  json config = json::parse(kMinimalDeepSeekV2);
  config["q_lora_rank"] = nullptr;
  config["n_shared_experts"] = nullptr;
  // V2 has no MTP layers whatever the field says.
  config["num_nextn_predict_layers"] = 1;
  ModelConfig cfg = parseValidJson(config);
  EXPECT_EQ(cfg.arch, Architecture::DeepSeekV2);
  ASSERT_TRUE(cfg.mla && cfg.moe);
  EXPECT_FALSE(cfg.mla->qLoraRank);
  EXPECT_EQ(cfg.numKvHeads, 16);
  EXPECT_EQ(cfg.headDim, 192);
  EXPECT_EQ(cfg.moe->numSharedExperts, 0);
  EXPECT_EQ(cfg.moe->numGroups, 1);
  EXPECT_EQ(cfg.moe->topkGroups, 1);
  EXPECT_EQ(cfg.moe->scoring, ScoringFunc::Softmax);
  EXPECT_EQ(cfg.moe->topkMethod, TopkMethod::Greedy);
  EXPECT_FALSE(cfg.moe->normTopkProb);
  EXPECT_DOUBLE_EQ(cfg.moe->routedScalingFactor, 1.0);
  EXPECT_EQ(cfg.moe->firstKDenseReplace, 0);
  EXPECT_EQ(cfg.moe->moeLayerFreq, 1);
  EXPECT_EQ(cfg.numMtpLayers, 0);
}

TEST(ModelConfigTest, DeepSeekV3Defaults) {
  json config = json::parse(kMinimalDeepSeekV2);
  config["model_type"] = "deepseek_v3";
  config["n_routed_experts"] = 256;
  ModelConfig cfg = parseValidJson(config);
  ASSERT_TRUE(cfg.moe);
  EXPECT_EQ(cfg.moe->scoring, ScoringFunc::Sigmoid);
  EXPECT_EQ(cfg.moe->topkMethod, TopkMethod::NoauxTc);
  EXPECT_EQ(cfg.numMtpLayers, 0);
}

TEST(ModelConfigTest, DeepSeekV2GroupLimitedGreedy) {
  ModelConfig cfg = parseValidJson(patched(kMinimalDeepSeekV2, R"({
    "n_routed_experts": 160, "n_group": 8, "topk_group": 3,
    "topk_method": "group_limited_greedy", "scoring_func": "softmax",
    "rope_scaling": {"type": "yarn", "factor": 40, "original_max_position_embeddings": 4096,
                     "mscale": 0.707, "mscale_all_dim": 0.707}})"));
  ASSERT_TRUE(cfg.moe);
  EXPECT_EQ(cfg.moe->topkMethod, TopkMethod::GroupLimitedGreedy);
  ASSERT_TRUE(std::holds_alternative<YarnRopeScaling>(cfg.ropeScaling));
  const auto &yarn = std::get<YarnRopeScaling>(cfg.ropeScaling);
  EXPECT_DOUBLE_EQ(yarn.mscale, 0.707);
  EXPECT_DOUBLE_EQ(yarn.mscaleAllDim, 0.707);
  EXPECT_DOUBLE_EQ(yarn.betaFast, 32);
  EXPECT_DOUBLE_EQ(yarn.betaSlow, 1);
}

TEST(ModelConfigTest, YarnDefaults) {
  ModelConfig cfg = parseValidJson(patched(kDsv3Tiny, R"({"rope_scaling": {
    "beta_fast": null, "beta_slow": null, "mscale": null, "mscale_all_dim": null}})"));
  ASSERT_TRUE(std::holds_alternative<YarnRopeScaling>(cfg.ropeScaling));
  const auto &yarn = std::get<YarnRopeScaling>(cfg.ropeScaling);
  EXPECT_DOUBLE_EQ(yarn.factor, 40);
  EXPECT_DOUBLE_EQ(yarn.betaFast, 32);
  EXPECT_DOUBLE_EQ(yarn.betaSlow, 1);
  EXPECT_DOUBLE_EQ(yarn.mscale, 1);
  EXPECT_DOUBLE_EQ(yarn.mscaleAllDim, 0);
}

TEST(ModelConfigTest, LlamaBiases) {
  ModelConfig cfg = parseValidJson(patched(kLlamaTiny, R"({"attention_bias": true})"));
  EXPECT_TRUE(cfg.qkvBias);
  EXPECT_TRUE(cfg.outputBias);
  EXPECT_FALSE(cfg.mlpBias);
  cfg = parseValidJson(patched(kLlamaTiny, R"({"mlp_bias": true})"));
  EXPECT_FALSE(cfg.qkvBias || cfg.outputBias);
  EXPECT_TRUE(cfg.mlpBias);
}

TEST(ModelConfigTest, EosTokenList) {
  ModelConfig cfg =
      parseValidJson(patched(kLlamaTiny, R"({"eos_token_id": [128001, 128008, 128009]})"));
  EXPECT_THAT(cfg.eosTokenIds, ElementsAre(128001, 128008, 128009));
}

TEST(ModelConfigTest, ExplicitHeadDim) {
  // Qwen3-style: head_dim need not be hidden_size / num_attention_heads.
  ModelConfig cfg = parseValidJson(patched(kQwen2Tiny, R"({"head_dim": 64, "num_attention_heads": 3,
                                                      "num_key_value_heads": 1})"));
  EXPECT_EQ(cfg.headDim, 64);
}

TEST(ModelConfigTest, RopeScalingTypesAcrossArchitectures) {
  // Each scaling type has its own semantics, whatever the architecture.
  ModelConfig llama = parseValidJson(patched(kLlamaTiny, R"({"rope_scaling": {
    "rope_type": "yarn", "factor": 4, "original_max_position_embeddings": 32768,
    "low_freq_factor": null, "high_freq_factor": null}})"));
  EXPECT_TRUE(std::holds_alternative<YarnRopeScaling>(llama.ropeScaling));
  ModelConfig deepseek = parseValidJson(patched(kDsv3Tiny, R"({"rope_scaling": {
    "type": null, "rope_type": "llama3", "factor": 8, "low_freq_factor": 1,
    "high_freq_factor": 4}})"));
  EXPECT_TRUE(std::holds_alternative<Llama3RopeScaling>(deepseek.ropeScaling));
  ModelConfig none =
      parseValidJson(patched(kLlamaTiny, R"({"rope_scaling": {"rope_type": "default"}})"));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(none.ropeScaling));
}

TEST(ModelConfigTest, RopeTypeWinsOverType) {
  ModelConfig cfg = parseValidJson(patched(kLlamaTiny, R"({"rope_scaling": {"type": "linear"}})"));
  EXPECT_TRUE(std::holds_alternative<Llama3RopeScaling>(cfg.ropeScaling));
}

TEST(ModelConfigTest, UnknownAndForeignFieldsIgnored) {
  // MoE fields on a dense model and fields r1c has no use for.
  ModelConfig cfg = parseValidJson(patched(kLlamaTiny, R"({"n_routed_experts": 8,
    "num_experts_per_tok": 2, "q_lora_rank": "nonsense", "pretraining_tp": 1,
    "initializer_range": 0.02, "sliding_window": null, "vendor_extension": {"a": [1, 2]}})"));
  EXPECT_FALSE(cfg.moe || cfg.mla);
}

TEST(ModelConfigTest, NewerDtypeKey) {
  json config = json::parse(kLlamaTiny);
  config.erase("torch_dtype");
  config["dtype"] = "float32";
  EXPECT_EQ(parseValidJson(config).torchDtype, "float32");
}

TEST(ModelConfigTest, Fp8DefaultBlockSize) {
  ModelConfig cfg = parseValidJson(patched(kDsv3TinyFp8, R"({"quantization_config": {
    "weight_block_size": null, "fmt": null}})"));
  ASSERT_TRUE(cfg.fp8);
  EXPECT_EQ(cfg.fp8->blockRows, 128);
  EXPECT_EQ(cfg.fp8->blockCols, 128);
}

TEST(ModelConfigTest, ArchitecturesMayNameOtherClasses) {
  ModelConfig cfg = parseValidJson(patched(kLlamaTiny, R"({"architectures": ["MyLlamaVariant"]})"));
  EXPECT_EQ(cfg.arch, Architecture::Llama);
}

TEST(ModelConfigTest, BracketsInsideStringsDoNotCountAsNesting) {
  json config = json::parse(kLlamaTiny);
  config["note"] = std::string(1000, '[') + "\\\"" + std::string(1000, '{');
  EXPECT_EQ(parseValidJson(config).arch, Architecture::Llama);
}

TEST(ModelConfigTest, ArchitectureNames) {
  EXPECT_EQ(architectureName(Architecture::Qwen2), "qwen2");
  EXPECT_EQ(architectureName(Architecture::Llama), "llama");
  EXPECT_EQ(architectureName(Architecture::DeepSeekV2), "deepseek_v2");
  EXPECT_EQ(architectureName(Architecture::DeepSeekV3), "deepseek_v3");
}

//===----------------------------------------------------------------------===//
// loadModelConfig
//===----------------------------------------------------------------------===//

/// A fresh directory under the system temp directory, removed at the end.
class ModelConfigLoadTest : public ::testing::Test {
protected:
  void SetUp() override {
    const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = std::filesystem::temp_directory_path() /
          ("r1c-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  std::filesystem::path dir;
};

TEST_F(ModelConfigLoadTest, ReadsConfigJson) {
  std::ofstream(dir / "config.json") << kQwen2Tiny;
  llvm::Expected<ModelConfig> cfg = loadModelConfig(dir.string());
  ASSERT_TRUE(bool(cfg)) << llvm::toString(cfg.takeError());
  EXPECT_EQ(cfg->arch, Architecture::Qwen2);
  EXPECT_EQ(cfg->path, (dir / "config.json").string());
}

TEST_F(ModelConfigLoadTest, ErrorsNameTheFile) {
  std::ofstream(dir / "config.json") << R"({"model_type": "llama"})";
  llvm::Expected<ModelConfig> cfg = loadModelConfig(dir.string());
  ASSERT_FALSE(bool(cfg));
  EXPECT_THAT(llvm::toString(cfg.takeError()),
              StartsWith((dir / "config.json").string() + ": field 'vocab_size': is required"));
}

TEST_F(ModelConfigLoadTest, MissingConfigJson) {
  llvm::Expected<ModelConfig> cfg = loadModelConfig(dir.string());
  ASSERT_FALSE(bool(cfg));
  std::string error = llvm::toString(cfg.takeError());
  EXPECT_THAT(error, StartsWith((dir / "config.json").string() + ": cannot open: "));
  EXPECT_THAT(error, HasSubstr("is " + dir.string() + " a Hugging Face model directory?"));
  EXPECT_THAT(error, Not(HasSubstr("\n")));
}

//===----------------------------------------------------------------------===//
// Errors in the JSON itself
//===----------------------------------------------------------------------===//

TEST(ModelConfigErrorTest, InvalidJson) {
  EXPECT_THAT(parseError("{\n  \"model_type\": \"llama\",\n  \"vocab_size\": 12x\n}"),
              AllOf(fileError(), HasSubstr("is not valid JSON"), HasSubstr("line 3, column")));
}

TEST(ModelConfigErrorTest, EmptyInput) {
  EXPECT_THAT(parseError(""), AllOf(fileError(), HasSubstr("is not valid JSON")));
}

TEST(ModelConfigErrorTest, NumberOverflow) {
  EXPECT_THAT(parseError(R"({"rope_theta": 1e999})"),
              AllOf(fileError(), HasSubstr("is not valid JSON"), HasSubstr("1e999")));
}

TEST(ModelConfigErrorTest, RootNotObject) {
  EXPECT_EQ(parseError("[1, 2]"), "model/config.json: must hold a JSON object (got [1,2])");
}

TEST(ModelConfigErrorTest, DeeplyNested) {
  std::string text = R"({"model_type": )" + std::string(100000, '[');
  EXPECT_THAT(parseError(text), AllOf(fileError(), HasSubstr("nests arrays and objects deeper than 64 levels (at byte 78)")));
}

TEST(ModelConfigErrorTest, NestingAtTheLimit) {
  json config = json::parse(kLlamaTiny);
  // The root object is level 1.
  config["extra"] = json::parse(std::string(63, '[') + std::string(63, ']'));
  EXPECT_EQ(parseValidJson(config).arch, Architecture::Llama);
  config["extra"] = json::parse(std::string(64, '[') + std::string(64, ']'));
  EXPECT_THAT(parseError(config.dump()), HasSubstr("deeper than 64 levels"));
}

TEST(ModelConfigErrorTest, ExactMessage) {
  EXPECT_EQ(parseError(patched(kLlamaTiny, R"({"hidden_size": "128"})").dump()),
            R"(model/config.json: field 'hidden_size': must be a positive integer (got "128"))");
  EXPECT_EQ(parseError(patched(kDsv3Tiny, R"({"rope_scaling": {"factor": null}})").dump()),
            "model/config.json: field 'rope_scaling.factor': is required");
}

TEST(ModelConfigErrorTest, LongValuesAreShortened) {
  json config = json::parse(kLlamaTiny);
  config["hidden_act"] = std::string(500, 'g');
  std::string error = parseError(config.dump());
  EXPECT_THAT(error, AllOf(fileError(), HasSubstr("field 'hidden_act'"), HasSubstr("...)")));
  EXPECT_LT(error.size(), 200u);
}

TEST(ModelConfigErrorTest, LineBreaksInValuesAndFileNames) {
  json config = json::parse(kLlamaTiny);
  config["hidden_act"] = "ge\nlu";
  llvm::Expected<ModelConfig> cfg = parseModelConfig(config.dump(), "a\nb/config.json");
  ASSERT_FALSE(bool(cfg));
  EXPECT_THAT(llvm::toString(cfg.takeError()),
              AllOf(StartsWith("a b/config.json: field 'hidden_act'"), Not(HasSubstr("\n"))));
}

//===----------------------------------------------------------------------===//
// Errors in fields: each case patches a valid config and names the field the
// error must name, plus a phrase it must contain.
//===----------------------------------------------------------------------===//

struct BadField {
  const char *name;
  const char *base;
  /// RFC 7396 merge patch applied to `base`: null deletes a field.
  const char *patch;
  const char *field;
  const char *phrase;
};

void PrintTo(const BadField &bad, std::ostream *os) { *os << bad.name; }

class ModelConfigBadFieldTest : public ::testing::TestWithParam<BadField> {};

TEST_P(ModelConfigBadFieldTest, NamesFileAndField) {
  const BadField &bad = GetParam();
  EXPECT_THAT(parseError(patched(bad.base, bad.patch).dump()),
              AllOf(fileError(), HasSubstr(std::string("field '") + bad.field + "'"),
                    HasSubstr(bad.phrase)));
}

const BadField kBadFields[] = {
    // Identity.
    {"MissingModelType", kLlamaTiny, R"({"model_type": null})", "model_type", "is required"},
    {"UnknownModelType", kLlamaTiny, R"({"model_type": "mistral"})", "model_type",
     R"(expected one of qwen2, llama, deepseek_v2, deepseek_v3 (got "mistral"))"},
    {"ModelTypeNotString", kLlamaTiny, R"({"model_type": 3})", "model_type", "(got 3)"},
    {"ArchitecturesDisagree", kLlamaTiny, R"({"architectures": ["DeepseekV3ForCausalLM"]})",
     "architectures", "names DeepseekV3ForCausalLM, which contradicts model_type 'llama'"},
    {"ArchitecturesQwenAsDeepSeek", kDsv3Tiny, R"({"architectures": ["Qwen2ForCausalLM"]})",
     "architectures", "Qwen2ForCausalLM"},
    {"ArchitecturesNotList", kLlamaTiny, R"({"architectures": "LlamaForCausalLM"})",
     "architectures", "must be a list of class names"},
    {"ArchitecturesListOfNumbers", kLlamaTiny, R"({"architectures": [1]})", "architectures",
     "(got 1)"},

    // Sizes.
    {"MissingHiddenSize", kLlamaTiny, R"({"hidden_size": null})", "hidden_size", "is required"},
    {"HiddenSizeZero", kLlamaTiny, R"({"hidden_size": 0})", "hidden_size",
     "must be a positive integer (got 0)"},
    {"HiddenSizeNegative", kLlamaTiny, R"({"hidden_size": -128})", "hidden_size", "(got -128)"},
    {"HiddenSizeString", kLlamaTiny, R"({"hidden_size": "128"})", "hidden_size", R"((got "128"))"},
    {"HiddenSizeFloat", kLlamaTiny, R"({"hidden_size": 128.0})", "hidden_size", "(got 128.0)"},
    {"HiddenSizeFraction", kLlamaTiny, R"({"hidden_size": 1.5})", "hidden_size", "(got 1.5)"},
    {"HiddenSizeBool", kLlamaTiny, R"({"hidden_size": true})", "hidden_size", "(got true)"},
    {"HiddenSizeTooLarge", kLlamaTiny, R"({"hidden_size": 4294967296})", "hidden_size",
     "must be at most 2147483647"},
    {"HiddenSizeAboveInt64", kLlamaTiny, R"({"hidden_size": 18446744073709551615})", "hidden_size",
     "must be at most 2147483647"},
    {"MissingVocabSize", kQwen2Tiny, R"({"vocab_size": null})", "vocab_size", "is required"},
    {"MissingIntermediateSize", kDsv3Tiny, R"({"intermediate_size": null})", "intermediate_size",
     "is required"},
    {"LayersZero", kQwen2Tiny, R"({"num_hidden_layers": 0})", "num_hidden_layers", "(got 0)"},
    {"MissingMaxPositions", kLlamaTiny, R"({"max_position_embeddings": null})",
     "max_position_embeddings", "is required"},
    {"KvHeadsNotDividingHeads", kLlamaTiny, R"({"num_key_value_heads": 3})", "num_key_value_heads",
     "must divide num_attention_heads = 4 (got 3)"},
    {"HiddenNotDivisibleByHeads", kLlamaTiny,
     R"({"num_attention_heads": 3, "num_key_value_heads": 1})", "num_attention_heads",
     "must divide hidden_size = 128"},
    {"OddHeadDim", kQwen2Tiny, R"({"head_dim": 33})", "head_dim", "must be even"},
    {"HeadDimZero", kQwen2Tiny, R"({"head_dim": 0})", "head_dim", "(got 0)"},

    // Other common fields.
    {"RmsNormEpsZero", kLlamaTiny, R"({"rms_norm_eps": 0})", "rms_norm_eps",
     "must be a positive number"},
    {"RopeThetaString", kLlamaTiny, R"({"rope_theta": "1e4"})", "rope_theta",
     "must be a positive number"},
    {"TieNotBool", kQwen2Tiny, R"({"tie_word_embeddings": 1})", "tie_word_embeddings",
     "must be true or false (got 1)"},
    {"HiddenActGelu", kLlamaTiny, R"({"hidden_act": "gelu"})", "hidden_act",
     R"(expected one of silu (got "gelu"))"},
    {"UnknownTorchDtype", kLlamaTiny, R"({"torch_dtype": "int8"})", "torch_dtype",
     "expected one of bfloat16, float16, float32"},
    {"SlidingWindowOn", kQwen2Tiny, R"({"use_sliding_window": true})", "use_sliding_window",
     "sliding-window attention is not supported"},
    {"AttentionBiasNotBool", kLlamaTiny, R"({"attention_bias": "no"})", "attention_bias",
     "must be true or false"},

    // Token ids.
    {"EosOutOfVocab", kLlamaTiny, R"({"eos_token_id": 128256})", "eos_token_id",
     "must be an integer in [0, 128255] (got 128256)"},
    {"EosListWithString", kLlamaTiny, R"({"eos_token_id": [128001, "128009"]})", "eos_token_id",
     R"((got "128009"))"},
    {"EosListOutOfVocab", kLlamaTiny, R"({"eos_token_id": [128001, 999999]})", "eos_token_id",
     "(got 999999)"},
    {"BosNegative", kLlamaTiny, R"({"bos_token_id": -1})", "bos_token_id", "(got -1)"},

    // rope_scaling.
    {"RopeScalingNotObject", kLlamaTiny, R"({"rope_scaling": 8})", "rope_scaling",
     "must be an object"},
    {"UnknownRopeType", kLlamaTiny, R"({"rope_scaling": {"rope_type": "linear"}})",
     "rope_scaling.rope_type", R"(expected one of default, llama3, yarn (got "linear"))"},
    {"UnknownRopeTypeOldKey", kDsv3Tiny, R"({"rope_scaling": {"type": "dynamic"}})",
     "rope_scaling.type", R"((got "dynamic"))"},
    {"MissingRopeType", kLlamaTiny, R"({"rope_scaling": {"rope_type": null}})",
     "rope_scaling.rope_type", "is required"},
    {"YarnMissingFactor", kDsv3Tiny, R"({"rope_scaling": {"factor": null}})", "rope_scaling.factor",
     "is required"},
    {"YarnFactorBelowOne", kDsv3Tiny, R"({"rope_scaling": {"factor": 0.5}})", "rope_scaling.factor",
     "must be at least 1"},
    {"YarnMissingOriginalMax", kDsv3Tiny,
     R"({"rope_scaling": {"original_max_position_embeddings": null}})",
     "rope_scaling.original_max_position_embeddings", "is required"},
    {"YarnNegativeMscale", kDsv3Tiny, R"({"rope_scaling": {"mscale_all_dim": -1}})",
     "rope_scaling.mscale_all_dim", "must be a non-negative number"},
    {"Llama3MissingLowFreqFactor", kLlamaTiny, R"({"rope_scaling": {"low_freq_factor": null}})",
     "rope_scaling.low_freq_factor", "is required"},
    {"Llama3MissingOriginalMax", kLlamaTiny,
     R"({"rope_scaling": {"original_max_position_embeddings": null}})",
     "rope_scaling.original_max_position_embeddings", "is required"},
    {"Llama3FreqFactorsInverted", kLlamaTiny,
     R"({"rope_scaling": {"low_freq_factor": 4, "high_freq_factor": 1}})",
     "rope_scaling.high_freq_factor", "must be greater than low_freq_factor = 4"},

    // MLA.
    {"DeepSeekMissingKvLoraRank", kDsv3Tiny, R"({"kv_lora_rank": null})", "kv_lora_rank",
     "is required"},
    {"DeepSeekMissingVHeadDim", kDsv3Tiny, R"({"v_head_dim": null})", "v_head_dim", "is required"},
    {"QLoraRankZero", kDsv3Tiny, R"({"q_lora_rank": 0})", "q_lora_rank", "(got 0)"},
    {"OddQkRopeHeadDim", kDsv3Tiny, R"({"qk_rope_head_dim": 15})", "qk_rope_head_dim",
     "must be even"},
    {"DeepSeekKvHeadsDiffer", kDsv3Tiny, R"({"num_key_value_heads": 1})", "num_key_value_heads",
     "must equal num_attention_heads = 4"},
    {"DeepSeekAttentionBias", kDsv3Tiny, R"({"attention_bias": true})", "attention_bias",
     "not supported"},

    // MoE.
    {"MissingRoutedExperts", kDsv3Tiny, R"({"n_routed_experts": null})", "n_routed_experts",
     "is required"},
    {"MissingExpertsPerToken", kDsv3Tiny, R"({"num_experts_per_tok": null})", "num_experts_per_tok",
     "is required"},
    {"MissingMoeIntermediateSize", kDsv3Tiny, R"({"moe_intermediate_size": null})",
     "moe_intermediate_size", "is required"},
    {"TopkAboveExperts", kDsv3Tiny, R"({"num_experts_per_tok": 17})", "num_experts_per_tok",
     "must be at most n_routed_experts = 16"},
    {"NGroupNotDividingExperts", kDsv3Tiny, R"({"n_group": 3})", "n_group",
     "must divide n_routed_experts = 16"},
    {"TopkGroupAboveNGroup", kDsv3Tiny, R"({"topk_group": 5})", "topk_group",
     "must be at most n_group = 4"},
    {"TopkGroupZero", kDsv3Tiny, R"({"topk_group": 0})", "topk_group", "(got 0)"},
    {"TopkTooLargeForGroups", kDsv3Tiny, R"({"num_experts_per_tok": 9})", "num_experts_per_tok",
     "must be at most topk_group * (n_routed_experts / n_group) = 8"},
    {"NoauxTcSingleExpertGroups", kDsv3Tiny,
     R"({"n_group": 16, "topk_group": 4, "num_experts_per_tok": 4})", "n_group", "top 2"},
    {"UnknownTopkMethod", kDsv3Tiny, R"({"topk_method": "random"})", "topk_method",
     "expected one of noaux_tc, greedy, group_limited_greedy"},
    {"UnknownScoringFunc", kDsv3Tiny, R"({"scoring_func": "relu"})", "scoring_func",
     "expected one of sigmoid, softmax"},
    {"SharedExpertsNegative", kDsv3Tiny, R"({"n_shared_experts": -1})", "n_shared_experts",
     "must be a non-negative integer"},
    {"RoutedScalingZero", kDsv3Tiny, R"({"routed_scaling_factor": 0})", "routed_scaling_factor",
     "must be a positive number"},
    {"NormTopkProbNotBool", kDsv3Tiny, R"({"norm_topk_prob": "true"})", "norm_topk_prob",
     "must be true or false"},
    {"FirstKDenseNegative", kDsv3Tiny, R"({"first_k_dense_replace": -1})", "first_k_dense_replace",
     "(got -1)"},
    {"MoeLayerFreqZero", kDsv3Tiny, R"({"moe_layer_freq": 0})", "moe_layer_freq", "(got 0)"},
    {"MtpLayersNegative", kDsv3Tiny, R"({"num_nextn_predict_layers": -1})",
     "num_nextn_predict_layers", "(got -1)"},

    // quantization_config.
    {"QuantizationNotObject", kDsv3TinyFp8, R"({"quantization_config": "fp8"})",
     "quantization_config", "must be an object"},
    {"UnsupportedQuantMethod", kDsv3TinyFp8, R"({"quantization_config": {"quant_method": "gptq"}})",
     "quantization_config.quant_method", R"(expected one of fp8 (got "gptq"))"},
    {"MissingQuantMethod", kDsv3TinyFp8, R"({"quantization_config": {"quant_method": null}})",
     "quantization_config.quant_method", "is required"},
    {"UnsupportedFp8Format", kDsv3TinyFp8, R"({"quantization_config": {"fmt": "e5m2"}})",
     "quantization_config.fmt", R"((got "e5m2"))"},
    {"WeightBlockSizeOneNumber", kDsv3TinyFp8,
     R"({"quantization_config": {"weight_block_size": [128]}})",
     "quantization_config.weight_block_size", "must be a list of two positive integers"},
    {"WeightBlockSizeNotList", kDsv3TinyFp8,
     R"({"quantization_config": {"weight_block_size": 128}})",
     "quantization_config.weight_block_size", "(got 128)"},
    {"WeightBlockSizeZero", kDsv3TinyFp8,
     R"({"quantization_config": {"weight_block_size": [128, 0]}})",
     "quantization_config.weight_block_size", "(got 0)"},
};

INSTANTIATE_TEST_SUITE_P(ModelConfig, ModelConfigBadFieldTest, ::testing::ValuesIn(kBadFields),
                         [](const ::testing::TestParamInfo<BadField> &info) {
                           return std::string(info.param.name);
                         });

} // namespace
} // namespace r1
