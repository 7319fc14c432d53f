//===- DeepSeek.cpp - DeepSeek-V2 and V3/R1: MLA, MoE, MTP ----------------===//
//
// DeepSeek's decoder in the naive ("materialized") form of the reference
// implementations; fusing MLA (weight absorption, latent KV cache) and MoE
// routing is the job of passes, not of the importer. Per layer i:
//
//   h = rms_norm(x);  x += mla(h)
//   h = rms_norm(x);  x += moe(h) if i >= first_k_dense_replace and
//                                    i % moe_layer_freq == 0, else mlp(h)
//
// MLA (../shared/models/SEMANTICS.md):
//   q    = q_b_proj(rms_norm(q_a_proj(h)))   or q_proj(h) without q_lora_rank
//        -> [T, H, nope | rope]; rope (interleaved pairs, YaRN) on the rope part
//   kv_a = kv_a_proj_with_mqa(h) = [latent (kv_lora_rank) | k_pe (rope)]
//   k_pe -> rope, one head shared by all H query heads
//   kv   = kv_b_proj(rms_norm(latent)) -> [T, H, k_nope | v]
//   out  = o_proj(attention([q_nope|q_pe], [k_nope|k_pe], v)),
//          scale = qk_head_dim^-1/2 * yarn_mscale(factor, mscale_all_dim)^2
//
// MoE: router logits = gate(h) (f32); s = sigmoid or softmax; r1.moe.topk
// selects (with e_score_correction_bias for noaux_tc); r1.moe.experts sums
// the routed experts; shared experts are one SwiGLU MLP of
// n_shared_experts * moe_intermediate_size added on top.
//
// MTP (V3/R1, layer num_hidden_layers), in `@mtp(hidden, tokens, positions)`:
//   x = eh_proj([enorm(embed(tokens)) | hnorm(hidden)]); x = decoder_layer(x)
//   logits = shared_head.head(shared_head.norm(x))
// where hidden[t] is @forward's final hidden state (before model.norm) at
// position t and tokens[t] the token at t + 1.
//
//===----------------------------------------------------------------------===//

#include "models/Architectures.h"

#include <cmath>

namespace r1 {

using mlir::Value;

namespace {

/// DeepSeek's yarn_get_mscale: the YaRN magnitude correction for `factor`.
double yarnMscale(double factor, double mscale) {
  return factor <= 1.0 ? 1.0 : 0.1 * mscale * std::log(factor) + 1.0;
}

class DeepSeekBuilder {
public:
  explicit DeepSeekBuilder(ModelBuilder &b)
      : b(b), cfg(b.config()), mla(*cfg.mla), moe(*cfg.moe) {
    softmaxScale = 1.0 / std::sqrt(double(mla.qkHeadDim()));
    if (const auto *yarn = std::get_if<YarnRopeScaling>(&cfg.ropeScaling)) {
      double m = yarnMscale(yarn->factor, yarn->mscaleAllDim);
      softmaxScale *= m * m;
    }
  }

  void build() {
    if (cfg.numMtpLayers > 1)
      b.fail(cfg.path + ": field 'num_nextn_predict_layers': r1c supports at most 1 MTP layer, "
                        "got " +
             std::to_string(cfg.numMtpLayers));
    bool withMtp = cfg.numMtpLayers == 1;
    int64_t hidden = cfg.hiddenSize;

    llvm::SmallVector<mlir::Type> results{b.activation({cfg.vocabSize})};
    if (withMtp)
      results.push_back(b.activation({hidden}));
    mlir::ValueRange args = b.beginFunction("forward", {b.tokenIds(), b.tokenIds()}, results);
    positions = args[1];
    Value x;
    {
      ModelBuilder::Scope scope(b, "model.embed_tokens");
      x = b.embed(args[0], b.weight("model.embed_tokens.weight", {cfg.vocabSize, hidden}));
    }
    for (int64_t i = 0; i < cfg.numLayers; ++i)
      x = decoderLayer(x, i);
    Value logits = head(x, "model.norm.weight", "lm_head.weight", "lm_head");
    if (withMtp)
      b.endFunction({logits, x});
    else
      b.endFunction(logits);

    if (withMtp)
      buildMtp(cfg.numLayers);
  }

private:
  std::string layerPrefix(int64_t layer) { return "model.layers." + std::to_string(layer) + "."; }

  Value head(Value x, llvm::StringRef normName, llvm::StringRef headName,
             llvm::StringRef scopeName) {
    ModelBuilder::Scope scope(b, scopeName);
    x = b.rmsNorm(x, b.weight(normName, {cfg.hiddenSize}));
    Value table = cfg.tieWordEmbeddings
                      ? b.weight("model.embed_tokens.weight", {cfg.vocabSize, cfg.hiddenSize})
                      : b.weight(headName, {cfg.vocabSize, cfg.hiddenSize});
    return b.linear(x, table);
  }

  Value decoderLayer(Value x, int64_t layer) {
    std::string p = layerPrefix(layer);
    ModelBuilder::Scope scope(b, "model.layers." + std::to_string(layer));
    Value h = b.rmsNorm(x, b.weight(p + "input_layernorm.weight", {cfg.hiddenSize}));
    x = b.add(x, attention(h, layer));
    h = b.rmsNorm(x, b.weight(p + "post_attention_layernorm.weight", {cfg.hiddenSize}));
    return b.add(x, moe.isMoeLayer(layer) ? experts(h, layer) : denseMlp(h, layer));
  }

  Value attention(Value h, int64_t layer) {
    std::string p = layerPrefix(layer) + "self_attn.";
    ModelBuilder::Scope scope(b, layerPrefix(layer) + "self_attn");
    int64_t hidden = cfg.hiddenSize, heads = cfg.numHeads;
    int64_t nope = mla.qkNopeHeadDim, rope = mla.qkRopeHeadDim, vDim = mla.vHeadDim;
    int64_t qkDim = mla.qkHeadDim(), kvRank = mla.kvLoraRank;
    auto proj = [&](llvm::StringRef name, int64_t out, int64_t in, Value x) {
      return b.linear(x, b.weight(p + name.str() + ".weight", {out, in}, WeightRole::Projection));
    };

    // Queries: [T, H, nope | rope], rope applied to the rope part.
    Value q;
    if (mla.qLoraRank) {
      int64_t qRank = *mla.qLoraRank;
      Value qa = proj("q_a_proj", qRank, hidden, h);
      qa = b.rmsNorm(qa, b.weight(p + "q_a_layernorm.weight", {qRank}));
      q = proj("q_b_proj", heads * qkDim, qRank, qa);
    } else {
      q = proj("q_proj", heads * qkDim, hidden, h);
    }
    q = b.reshape(q, {heads, qkDim});
    Value qPe = b.rope(b.slice(q, nope, rope), positions, RopeStyle::Interleaved);
    q = b.concat({b.slice(q, 0, nope), qPe});

    // Keys and values from the normalized latent; k_pe is one shared head.
    Value kvA = proj("kv_a_proj_with_mqa", kvRank + rope, hidden, h);
    Value latent =
        b.rmsNorm(b.slice(kvA, 0, kvRank), b.weight(p + "kv_a_layernorm.weight", {kvRank}));
    Value kPe = b.rope(b.reshape(b.slice(kvA, kvRank, rope), {1, rope}), positions,
                       RopeStyle::Interleaved);
    Value kv = b.reshape(proj("kv_b_proj", heads * (nope + vDim), kvRank, latent),
                         {heads, nope + vDim});
    Value k = b.concat({b.slice(kv, 0, nope), b.broadcast(kPe, {heads, rope})});
    Value v = b.slice(kv, nope, vDim);

    Value o = b.attention(q, k, v, positions, layer, softmaxScale);
    return proj("o_proj", hidden, heads * vDim, b.reshape(o, {heads * vDim}));
  }

  Value denseMlp(Value h, int64_t layer) {
    ModelBuilder::Scope scope(b, layerPrefix(layer) + "mlp");
    return b.gatedMlp(h, layerPrefix(layer) + "mlp.", cfg.intermediateSize);
  }

  Value experts(Value h, int64_t layer) {
    std::string p = layerPrefix(layer) + "mlp.";
    ModelBuilder::Scope scope(b, layerPrefix(layer) + "mlp");
    int64_t hidden = cfg.hiddenSize, count = moe.numRoutedExperts;
    int64_t inter = moe.moeIntermediateSize;

    // Routing: scores in f32, then group-limited top-k.
    Value logits = b.linear(h, b.weight(p + "gate.weight", {count, hidden}));
    Value scores = moe.scoring == ScoringFunc::Sigmoid ? b.sigmoid(logits) : b.softmax(logits);
    Value bias;
    GroupScore groupScore = GroupScore::None;
    int64_t groups = 1, keptGroups = 1;
    switch (moe.topkMethod) {
    case TopkMethod::NoauxTc:
      bias = b.weight(p + "gate.e_score_correction_bias", {count}, WeightRole::CorrectionBias);
      groupScore = GroupScore::Top2Sum;
      groups = moe.numGroups;
      keptGroups = moe.topkGroups;
      break;
    case TopkMethod::GroupLimitedGreedy:
      groupScore = GroupScore::Max;
      groups = moe.numGroups;
      keptGroups = moe.topkGroups;
      break;
    case TopkMethod::Greedy:
      break;
    }
    int64_t topK = moe.numExpertsPerToken;
    // The reference implementations renormalize only when more than one
    // expert is chosen.
    bool normalize = moe.normTopkProb && topK > 1;
    auto [ids, weights] = b.moeTopk(scores, bias, topK, groups, keptGroups, groupScore, normalize,
                                    moe.routedScalingFactor);

    auto stacked = [&](llvm::StringRef name, int64_t out, int64_t in) {
      return b.expertWeight(p + "experts." + name.str() + ".weight",
                            p + "experts.{expert}." + name.str() + ".weight", count, {out, in});
    };
    Value gate = stacked("gate_proj", inter, hidden);
    Value up = stacked("up_proj", inter, hidden);
    Value down = stacked("down_proj", hidden, inter);
    Value routed = b.moeExperts(h, ids, weights, gate, up, down);
    if (moe.numSharedExperts == 0)
      return routed;
    Value shared = b.gatedMlp(h, p + "shared_experts.", inter * moe.numSharedExperts);
    return b.add(routed, shared);
  }

  void buildMtp(int64_t layer) {
    int64_t hidden = cfg.hiddenSize;
    std::string p = layerPrefix(layer);
    mlir::ValueRange args =
        b.beginFunction("mtp", {b.activation({hidden}), b.tokenIds(), b.tokenIds()},
                        {b.activation({cfg.vocabSize})});
    positions = args[2];
    ModelBuilder::Scope scope(b, "model.layers." + std::to_string(layer));
    // Checkpoints may give the MTP layer its own copy of the embedding and
    // head (R1's do); otherwise it shares the main model's.
    std::string embedName = b.hasTensor(p + "embed_tokens.weight")
                                ? p + "embed_tokens.weight"
                                : "model.embed_tokens.weight";
    Value e = b.embed(args[1], b.weight(embedName, {cfg.vocabSize, hidden}));
    e = b.rmsNorm(e, b.weight(p + "enorm.weight", {hidden}));
    Value h = b.rmsNorm(args[0], b.weight(p + "hnorm.weight", {hidden}));
    Value x = b.linear(b.concat({e, h}),
                       b.weight(p + "eh_proj.weight", {hidden, 2 * hidden}, WeightRole::Projection));
    x = decoderLayer(x, layer);
    std::string headName = p + "shared_head.head.weight";
    b.endFunction(head(x, p + "shared_head.norm.weight", headName, p + "shared_head"));
  }

  ModelBuilder &b;
  const ModelConfig &cfg;
  const MlaConfig &mla;
  const MoeConfig &moe;
  Value positions;
  double softmaxScale;
};

} // namespace

void buildDeepSeek(ModelBuilder &b) { DeepSeekBuilder(b).build(); }

} // namespace r1
