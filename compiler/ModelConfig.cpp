//===- ModelConfig.cpp - A model's config.json, parsed and checked --------===//
//
// Reads config.json into ModelConfig in three stages: the fields every
// architecture has, those of the attention and MLP flavour the model_type
// implies (GQA for Qwen2/Llama, MLA and MoE for DeepSeek), and the optional
// rope_scaling and quantization_config objects. Each stage reads its fields
// first and checks how they relate afterwards; JsonFieldReader keeps the first
// error and hands out safe defaults after it, so a later check never divides
// by a size that failed to parse.
//
//===----------------------------------------------------------------------===//
#include "compiler/ModelConfig.h"

#include "compiler/JsonFieldReader.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <nlohmann/json.hpp>

namespace r1 {

using nlohmann::json;

namespace {

/// "architectures" names the Hugging Face class; a known class that does not
/// match model_type means the config was edited inconsistently, and either
/// reading could be the wrong one.
void checkArchitectures(JsonFieldReader &r, const ModelConfig &cfg) {
  static constexpr std::pair<llvm::StringLiteral, Architecture> kClasses[] = {
      {"Qwen2ForCausalLM", Architecture::Qwen2},
      {"LlamaForCausalLM", Architecture::Llama},
      {"DeepseekV2ForCausalLM", Architecture::DeepSeekV2},
      {"DeepseekV3ForCausalLM", Architecture::DeepSeekV3},
  };
  const json *classes = r.find("architectures");
  if (!classes)
    return;
  if (!classes->is_array()) {
    r.fail("architectures", "must be a list of class names");
    return;
  }
  for (const json &name : *classes) {
    if (!name.is_string()) {
      r.fail("architectures", "must be a list of class names", name);
      return;
    }
    for (const auto &[className, arch] : kClasses)
      if (name.get_ref<const std::string &>() == className && arch != cfg.arch)
        r.fail("architectures",
               "names " + className + ", which contradicts model_type '" + cfg.modelType + "'");
  }
}

/// bos_token_id and eos_token_id (an int, or a list of them in some configs).
void readTokenIds(JsonFieldReader &r, ModelConfig &cfg) {
  int64_t maxId = cfg.vocabSize - 1;
  if (const json *bos = r.find("bos_token_id"))
    cfg.bosTokenId = r.intIn("bos_token_id", *bos, 0, maxId);
  const json *eos = r.find("eos_token_id");
  if (!eos)
    return;
  if (!eos->is_array()) {
    if (std::optional<int64_t> id = r.intIn("eos_token_id", *eos, 0, maxId))
      cfg.eosTokenIds.push_back(*id);
    return;
  }
  for (const json &element : *eos)
    if (std::optional<int64_t> id = r.intIn("eos_token_id", element, 0, maxId))
      cfg.eosTokenIds.push_back(*id);
}

void readRopeScaling(JsonFieldReader &r, ModelConfig &cfg) {
  std::optional<JsonFieldReader> scaling = r.object("rope_scaling");
  if (!scaling)
    return;
  // Transformers renamed "type" to "rope_type" and still reads both, newer
  // first; DeepSeek's configs use the old name.
  llvm::StringRef typeKey =
      scaling->find("type") && !scaling->find("rope_type") ? "type" : "rope_type";
  enum class Kind { Default, Llama3, Yarn };
  Kind kind = scaling->choice<Kind>(
      typeKey, {{"default", Kind::Default}, {"llama3", Kind::Llama3}, {"yarn", Kind::Yarn}});

  if (kind == Kind::Llama3) {
    Llama3RopeScaling llama3;
    llama3.factor = scaling->positiveNumber("factor");
    llama3.lowFreqFactor = scaling->positiveNumber("low_freq_factor");
    llama3.highFreqFactor = scaling->positiveNumber("high_freq_factor");
    llama3.originalMaxPositions = scaling->positiveInt("original_max_position_embeddings");
    // The smooth band between the two wavelengths would be empty or inverted.
    if (llama3.highFreqFactor <= llama3.lowFreqFactor)
      scaling->fail("high_freq_factor", "must be greater than low_freq_factor = " +
                                            JsonFieldReader::quote(llama3.lowFreqFactor));
    cfg.ropeScaling = llama3;
  } else if (kind == Kind::Yarn) {
    YarnRopeScaling yarn;
    yarn.factor = scaling->positiveNumber("factor");
    // YaRN stretches the context; its correction range and mscale
    // (0.1 * ln(factor) + 1) are only defined for stretching.
    if (yarn.factor < 1)
      scaling->fail("factor", "must be at least 1 for yarn");
    yarn.originalMaxPositions = scaling->positiveInt("original_max_position_embeddings");
    yarn.betaFast = scaling->positiveNumber("beta_fast", yarn.betaFast);
    yarn.betaSlow = scaling->positiveNumber("beta_slow", yarn.betaSlow);
    yarn.mscale = scaling->nonNegativeNumber("mscale", yarn.mscale);
    yarn.mscaleAllDim = scaling->nonNegativeNumber("mscale_all_dim", yarn.mscaleAllDim);
    cfg.ropeScaling = yarn;
  }
}

/// Grouped-query attention with one head_dim for q, k and v.
void readGqaAttention(JsonFieldReader &r, ModelConfig &cfg) {
  cfg.numKvHeads = r.positiveInt("num_key_value_heads", cfg.numHeads);
  if (cfg.numHeads % cfg.numKvHeads != 0)
    r.fail("num_key_value_heads", "must divide num_attention_heads = " + llvm::Twine(cfg.numHeads));
  if (r.find("head_dim")) {
    cfg.headDim = r.positiveInt("head_dim");
  } else {
    if (cfg.hiddenSize % cfg.numHeads != 0)
      r.fail("num_attention_heads", "must divide hidden_size = " + llvm::Twine(cfg.hiddenSize) +
                                        " when head_dim is not given");
    cfg.headDim = cfg.hiddenSize / cfg.numHeads;
  }
  // Half-split RoPE rotates x[i] with x[i + head_dim / 2].
  if (cfg.headDim % 2 != 0)
    r.fail("head_dim", "must be even for RoPE, but is " + llvm::Twine(cfg.headDim) +
                           " (hidden_size / num_attention_heads when not given)");
}

void readQwen2(JsonFieldReader &r, ModelConfig &cfg) {
  readGqaAttention(r, cfg);
  cfg.qkvBias = true;
  if (r.boolean("use_sliding_window", false))
    r.fail("use_sliding_window", "sliding-window attention is not supported");
}

void readLlama(JsonFieldReader &r, ModelConfig &cfg) {
  readGqaAttention(r, cfg);
  cfg.qkvBias = cfg.outputBias = r.boolean("attention_bias", false);
  cfg.mlpBias = r.boolean("mlp_bias", false);
}

MlaConfig readMla(JsonFieldReader &r, ModelConfig &cfg) {
  MlaConfig mla;
  mla.qLoraRank = r.optionalPositiveInt("q_lora_rank");
  mla.kvLoraRank = r.positiveInt("kv_lora_rank");
  mla.qkNopeHeadDim = r.positiveInt("qk_nope_head_dim");
  mla.qkRopeHeadDim = r.positiveInt("qk_rope_head_dim");
  mla.vHeadDim = r.positiveInt("v_head_dim");
  if (mla.qkRopeHeadDim % 2 != 0)
    r.fail("qk_rope_head_dim", "must be even: RoPE rotates interleaved pairs");

  // Every query head reads the same latent; there are no KV-head groups.
  cfg.numKvHeads = r.positiveInt("num_key_value_heads", cfg.numHeads);
  if (cfg.numKvHeads != cfg.numHeads)
    r.fail("num_key_value_heads",
           "must equal num_attention_heads = " + llvm::Twine(cfg.numHeads) + " for MLA");
  // DeepSeek's q/kv_a projections and o_proj would take biases we do not load.
  if (r.boolean("attention_bias", false))
    r.fail("attention_bias", "is not supported for " + cfg.modelType);
  cfg.headDim = mla.qkHeadDim();
  return mla;
}

MoeConfig readMoe(JsonFieldReader &r, Architecture arch) {
  bool v3 = arch == Architecture::DeepSeekV3;
  MoeConfig moe;
  moe.numRoutedExperts = r.positiveInt("n_routed_experts");
  moe.numExpertsPerToken = r.positiveInt("num_experts_per_tok");
  moe.moeIntermediateSize = r.positiveInt("moe_intermediate_size");
  moe.numSharedExperts = r.nonNegativeInt("n_shared_experts", 0);
  moe.numGroups = r.positiveInt("n_group", 1);
  moe.topkGroups = r.positiveInt("topk_group", 1);
  moe.routedScalingFactor = r.positiveNumber("routed_scaling_factor", 1.0);
  moe.scoring = r.choice<ScoringFunc>(
      "scoring_func", {{"sigmoid", ScoringFunc::Sigmoid}, {"softmax", ScoringFunc::Softmax}},
      v3 ? ScoringFunc::Sigmoid : ScoringFunc::Softmax);
  moe.topkMethod = r.choice<TopkMethod>("topk_method",
                                        {{"noaux_tc", TopkMethod::NoauxTc},
                                         {"greedy", TopkMethod::Greedy},
                                         {"group_limited_greedy", TopkMethod::GroupLimitedGreedy}},
                                        v3 ? TopkMethod::NoauxTc : TopkMethod::Greedy);
  moe.normTopkProb = r.boolean("norm_topk_prob", false);
  moe.firstKDenseReplace = r.nonNegativeInt("first_k_dense_replace", 0);
  moe.moeLayerFreq = r.positiveInt("moe_layer_freq", 1);

  if (moe.numExpertsPerToken > moe.numRoutedExperts)
    r.fail("num_experts_per_tok",
           "must be at most n_routed_experts = " + llvm::Twine(moe.numRoutedExperts));
  if (moe.numRoutedExperts % moe.numGroups != 0)
    r.fail("n_group", "must divide n_routed_experts = " + llvm::Twine(moe.numRoutedExperts));
  if (moe.topkGroups > moe.numGroups)
    r.fail("topk_group", "must be at most n_group = " + llvm::Twine(moe.numGroups));
  int64_t groupSize = moe.numRoutedExperts / moe.numGroups;
  int64_t selectable = moe.topkGroups * groupSize;
  if (moe.numExpertsPerToken > selectable)
    r.fail("num_experts_per_tok", "must be at most topk_group * (n_routed_experts / n_group) = " +
                                      llvm::Twine(selectable) + ", the experts in the kept groups");
  if (moe.topkMethod == TopkMethod::NoauxTc && groupSize < 2)
    r.fail("n_group", "leaves " + llvm::Twine(groupSize) +
                          " expert(s) per group, but noaux_tc scores a group by its top 2");
  return moe;
}

void readQuantization(JsonFieldReader &r, ModelConfig &cfg) {
  std::optional<JsonFieldReader> quant = r.object("quantization_config");
  if (!quant)
    return;
  if (quant->require("quant_method"))
    quant->oneOf("quant_method", {"fp8"});
  quant->oneOf("fmt", {"e4m3"});
  Fp8Quantization fp8;
  if (const json *block = quant->find("weight_block_size")) {
    if (!block->is_array() || block->size() != 2) {
      quant->fail("weight_block_size", "must be a list of two positive integers [rows, cols]");
    } else {
      fp8.blockRows = quant->intIn("weight_block_size", (*block)[0], 1, JsonFieldReader::kMaxInt)
                          .value_or(fp8.blockRows);
      fp8.blockCols = quant->intIn("weight_block_size", (*block)[1], 1, JsonFieldReader::kMaxInt)
                          .value_or(fp8.blockCols);
    }
  }
  cfg.fp8 = fp8;
}

} // namespace

llvm::StringRef architectureName(Architecture arch) {
  switch (arch) {
  case Architecture::Qwen2:
    return "qwen2";
  case Architecture::Llama:
    return "llama";
  case Architecture::DeepSeekV2:
    return "deepseek_v2";
  case Architecture::DeepSeekV3:
    return "deepseek_v3";
  }
  llvm_unreachable("unknown Architecture");
}

llvm::Expected<ModelConfig> parseModelConfig(llvm::StringRef jsonText, llvm::StringRef fileName) {
  llvm::Expected<json> root = parseJson(jsonText, fileName);
  if (!root)
    return root.takeError();
  if (!root->is_object())
    return makeFileError(fileName,
                         "must hold a JSON object (got " + JsonFieldReader::quote(*root) + ")");

  JsonFieldReader r(*root, fileName);
  ModelConfig cfg;
  cfg.path = fileName.str();
  cfg.arch = r.choice<Architecture>("model_type", {
                                                      {"qwen2", Architecture::Qwen2},
                                                      {"llama", Architecture::Llama},
                                                      {"deepseek_v2", Architecture::DeepSeekV2},
                                                      {"deepseek_v3", Architecture::DeepSeekV3},
                                                  });
  if (llvm::Error err = r.takeError())
    return err;
  cfg.modelType = architectureName(cfg.arch).str();
  checkArchitectures(r, cfg);

  cfg.vocabSize = r.positiveInt("vocab_size");
  cfg.hiddenSize = r.positiveInt("hidden_size");
  cfg.intermediateSize = r.positiveInt("intermediate_size");
  cfg.numLayers = r.positiveInt("num_hidden_layers");
  cfg.numHeads = r.positiveInt("num_attention_heads");
  cfg.maxPositions = r.positiveInt("max_position_embeddings");
  cfg.rmsNormEps = r.positiveNumber("rms_norm_eps", cfg.rmsNormEps);
  cfg.ropeTheta = r.positiveNumber("rope_theta", cfg.ropeTheta);
  cfg.tieWordEmbeddings = r.boolean("tie_word_embeddings", false);
  // Only SiLU-gated MLPs are implemented.
  r.oneOf("hidden_act", {"silu"});
  // Transformers 4.56 writes "dtype" where older versions wrote "torch_dtype".
  llvm::StringRef dtypeKey = r.find("dtype") && !r.find("torch_dtype") ? "dtype" : "torch_dtype";
  if (std::optional<llvm::StringRef> dtype = r.oneOf(dtypeKey, {"bfloat16", "float16", "float32"}))
    cfg.torchDtype = dtype->str();
  if (llvm::Error err = r.takeError())
    return err;
  readTokenIds(r, cfg);

  switch (cfg.arch) {
  case Architecture::Qwen2:
    readQwen2(r, cfg);
    break;
  case Architecture::Llama:
    readLlama(r, cfg);
    break;
  case Architecture::DeepSeekV2:
  case Architecture::DeepSeekV3:
    cfg.mla = readMla(r, cfg);
    cfg.moe = readMoe(r, cfg.arch);
    // V2 has no multi-token-prediction layers, whatever the field says.
    if (cfg.arch == Architecture::DeepSeekV3)
      cfg.numMtpLayers = r.nonNegativeInt("num_nextn_predict_layers", 0);
    break;
  }
  readRopeScaling(r, cfg);
  readQuantization(r, cfg);
  if (llvm::Error err = r.takeError())
    return err;
  return cfg;
}

namespace {

/// Reads and parses `path`; `hint` follows a failure to open it.
llvm::Expected<ModelConfig> readConfigFile(llvm::StringRef path, const llvm::Twine &hint) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return makeFileError(path, "cannot open: " + llvm::Twine(buffer.getError().message()) + hint);
  return parseModelConfig((*buffer)->getBuffer(), path);
}

} // namespace

llvm::Expected<ModelConfig> loadModelConfig(llvm::StringRef modelDir) {
  llvm::SmallString<256> path(modelDir);
  llvm::sys::path::append(path, "config.json");
  return readConfigFile(path, "; is " + modelDir + " a Hugging Face model directory?");
}

llvm::Expected<ModelConfig> loadModelConfigFile(llvm::StringRef path) {
  return readConfigFile(path, "");
}

} // namespace r1
