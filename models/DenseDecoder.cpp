//===- DenseDecoder.cpp - Qwen2 and Llama 3 (the R1-Distill models) -------===//
//
// The Hugging Face Qwen2/Llama decoder, op for op:
//
//   x = embed(tokens)
//   per layer:  h = rms_norm(x);  x += o_proj(attention(rope(q(h)), rope(k(h)), v(h)))
//               h = rms_norm(x);  x += down(silu(gate(h)) * up(h))
//   logits = lm_head(rms_norm(x))        (lm_head = embed_tokens when tied)
//
// Rope rotates (x[i], x[i + d/2]) ("half"); attention is GQA with
// num_key_value_heads shared key/value heads and scale head_dim^-1/2.
//
//===----------------------------------------------------------------------===//

#include "models/Architectures.h"

#include <cmath>

namespace r1 {

using mlir::Value;

namespace {

Value attentionBlock(ModelBuilder &b, Value h, Value positions, int64_t layer) {
  const ModelConfig &cfg = b.config();
  std::string p = "model.layers." + std::to_string(layer) + ".self_attn.";
  ModelBuilder::Scope scope(b, "model.layers." + std::to_string(layer) + ".self_attn");
  int64_t hidden = cfg.hiddenSize, dim = cfg.headDim;
  int64_t heads = cfg.numHeads, kvHeads = cfg.numKvHeads;

  auto projection = [&](llvm::StringRef name, int64_t out, int64_t in, bool bias, Value x) {
    Value w = b.weight(p + name.str() + ".weight", {out, in}, WeightRole::Projection);
    Value bv = bias ? b.weight(p + name.str() + ".bias", {out}) : Value();
    return b.linear(x, w, bv);
  };
  Value q = b.reshape(projection("q_proj", heads * dim, hidden, cfg.qkvBias, h), {heads, dim});
  Value k = b.reshape(projection("k_proj", kvHeads * dim, hidden, cfg.qkvBias, h), {kvHeads, dim});
  Value v = b.reshape(projection("v_proj", kvHeads * dim, hidden, cfg.qkvBias, h), {kvHeads, dim});
  q = b.rope(q, positions, RopeStyle::Half);
  k = b.rope(k, positions, RopeStyle::Half);
  Value o = b.attention(q, k, v, positions, layer, 1.0 / std::sqrt(double(dim)));
  return projection("o_proj", hidden, heads * dim, cfg.outputBias, b.reshape(o, {heads * dim}));
}

} // namespace

void buildDenseDecoder(ModelBuilder &b) {
  const ModelConfig &cfg = b.config();
  int64_t hidden = cfg.hiddenSize;
  mlir::ValueRange args =
      b.beginFunction("forward", {b.tokenIds(), b.tokenIds()}, {b.activation({cfg.vocabSize})});
  Value tokens = args[0], positions = args[1];

  Value embedTable = b.weight("model.embed_tokens.weight", {cfg.vocabSize, hidden});
  Value x;
  {
    ModelBuilder::Scope scope(b, "model.embed_tokens");
    x = b.embed(tokens, embedTable);
  }
  for (int64_t i = 0; i < cfg.numLayers; ++i) {
    std::string p = "model.layers." + std::to_string(i) + ".";
    ModelBuilder::Scope layerScope(b, "model.layers." + std::to_string(i));
    Value h = b.rmsNorm(x, b.weight(p + "input_layernorm.weight", {hidden}));
    x = b.add(x, attentionBlock(b, h, positions, i));
    h = b.rmsNorm(x, b.weight(p + "post_attention_layernorm.weight", {hidden}));
    ModelBuilder::Scope mlpScope(b, p + "mlp");
    x = b.add(x, b.gatedMlp(h, p + "mlp.", cfg.intermediateSize, cfg.mlpBias));
  }

  ModelBuilder::Scope scope(b, "lm_head");
  x = b.rmsNorm(x, b.weight("model.norm.weight", {hidden}));
  Value head = cfg.tieWordEmbeddings ? embedTable
                                     : b.weight("lm_head.weight", {cfg.vocabSize, hidden});
  b.endFunction(b.linear(x, head));
}

} // namespace r1
