//===- Architectures.h - Config -> r1 ops, per architecture family --------===//
//
// Each architecture family has one file that maps its config to r1 ops
// through ModelBuilder:
//
//   DenseDecoder.cpp  qwen2, llama   GQA attention with half-split rope, SwiGLU
//                                    MLP. Qwen2 always has q/k/v biases and may
//                                    tie embeddings; Llama 3 scales rope with
//                                    "llama3". Both are config flags here.
//   DeepSeek.cpp      deepseek_v2,   MLA attention with interleaved rope and
//                     deepseek_v3    YaRN; MoE with shared experts; V3's
//                                    sigmoid noaux_tc routing and MTP layer,
//                                    V2's softmax greedy routing and q_proj.
//
// Every function builds `func.func @forward(%tokens, %positions) -> logits`
// (see dialects/R1Base.td) into the builder's module.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_MODELS_ARCHITECTURES_H
#define R1C_MODELS_ARCHITECTURES_H

#include "models/ModelBuilder.h"

namespace r1 {

/// Qwen2 and Llama: embeddings, decoder layers, final norm, lm_head.
void buildDenseDecoder(ModelBuilder &b);

/// DeepSeek-V2 and V3/R1; with an MTP layer, also `@mtp` (and `@forward`
/// returns the final hidden state as a second result to feed it).
void buildDeepSeek(ModelBuilder &b);

/// Dispatches on the config's architecture.
void buildModel(ModelBuilder &b);

} // namespace r1

#endif // R1C_MODELS_ARCHITECTURES_H
