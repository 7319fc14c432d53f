//===- R1Ops.td - r1 operations -------------------------*- tablegen -*-===//
//
// Weight symbols and the layer primitives of decoder-only LLMs. Activations
// are ranked float tensors whose first dimension is the token count (usually
// dynamic); weights are `!r1.weight` values.
//
//===----------------------------------------------------------------------===//

#ifndef R1_OPS_TD
#define R1_OPS_TD

include "dialects/R1Types.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def R1_Activation : RankedTensorOf<[F32, F16, BF16]>;
def R1_TokenIds : 1DTensorOf<[I32]>;
def R1_KVCache : Resource<"::r1::KVCacheResource">;

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def R1_WeightOp : R1_Op<"weight", [Symbol]> {
  let summary = "declares a weight stored outside the IR";
  let description = [{
    A module-level symbol for one weight of the model. `source` names the
    checkpoint tensor the weight comes from; a weight whose leading dimension
    stacks experts names them with the placeholder `{expert}`, which stands
    for 0, 1, ..., shape[0] - 1. `scale_source` names the checkpoint's scale
    tensor when the layout has scales that come from the checkpoint (FP8
    `*_scale_inv`).

    `from` is the checkpoint tensor's own type when r1c converts the weight
    at compile time (`r1c compile --quant`, r1-select-weight-layout): `type`
    is then what the kernels read (BF16, FP8 in [1, 128] blocks, or int8 /
    int4 in groups), computed from the checkpoint's values while the
    artifact is written, and `scale_source` belongs to `from`.

    ```mlir
    r1.weight @model.layers.0.self_attn.q_a_proj.weight
        : !r1.weight<1536x7168xf8E4M3FN, #r1.block_scaled<[128, 128]>>
        = "model.layers.0.self_attn.q_a_proj.weight"
          scales "model.layers.0.self_attn.q_a_proj.weight_scale_inv"
    r1.weight @model.layers.3.mlp.experts.gate_proj.weight
        : !r1.weight<256x2048x7168xf8E4M3FN, #r1.block_scaled<[128, 128]>>
        = "model.layers.3.mlp.experts.{expert}.gate_proj.weight"
          scales "model.layers.3.mlp.experts.{expert}.gate_proj.weight_scale_inv"
    r1.weight @model.layers.0.mlp.down_proj.weight
        : !r1.weight<1536x8960xi4, #r1.group_scaled<32, f16>>
        = "model.layers.0.mlp.down_proj.weight" from !r1.weight<1536x8960xbf16>
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    TypeAttrOf<R1_WeightType>:$type,
    StrAttr:$source,
    OptionalAttr<StrAttr>:$scale_source,
    OptionalAttr<TypeAttrOf<R1_WeightType>>:$from
  );
  let assemblyFormat = [{
    $sym_name `:` $type `=` $source (`scales` $scale_source^)? (`from` $from^)? attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::r1::WeightType getWeightType() {
      return ::llvm::cast<::r1::WeightType>(getType());
    }
    /// The checkpoint tensor's type: `from` when converted, else `type`.
    ::r1::WeightType getSourceType() {
      return getFrom() ? ::llvm::cast<::r1::WeightType>(*getFrom()) : getWeightType();
    }
    /// True when `source` names one checkpoint tensor per expert.
    bool isStackedFromExperts();
    /// The checkpoint tensor name for expert `index` (or the plain source).
    std::string getSourceFor(int64_t index);
  }];
}

def R1_WeightGetOp : R1_Op<"weight.get",
    [Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "the value of a weight symbol";
  let description = [{
    ```mlir
    %w = r1.weight.get @model.norm.weight : !r1.weight<7168xbf16>
    ```
    The result type must equal the declared type of the symbol.
  }];
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs R1_WeightType:$result);
  let assemblyFormat = "$name attr-dict `:` qualified(type($result))";
}

//===----------------------------------------------------------------------===//
// Embedding, normalization, projection
//===----------------------------------------------------------------------===//

def R1_EmbedOp : R1_Op<"embed", [Pure]> {
  let summary = "looks up token embeddings";
  let description = [{
    `table` is [vocab, hidden]; the result is [tokens, hidden].
  }];
  let arguments = (ins R1_TokenIds:$tokens, R1_WeightType:$table);
  let results = (outs R1_Activation:$result);
  let assemblyFormat = "$tokens `,` $table attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def R1_RmsNormOp : R1_Op<"rms_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "RMS normalization over the last dimension";
  let description = [{
    y = x / sqrt(mean(x^2) + epsilon) * weight, computed in f32. `weight`
    has the size of the last dimension.
  }];
  let arguments = (ins R1_Activation:$input, R1_WeightType:$weight, F64Attr:$epsilon);
  let results = (outs R1_Activation:$result);
  let assemblyFormat = [{
    $input `,` $weight `eps` $epsilon attr-dict `:` type($input) `,` qualified(type($weight))
  }];
  let hasVerifier = 1;
}

def R1_LinearOp : R1_Op<"linear", [Pure]> {
  let summary = "y = x W^T (+ b) over the last dimension";
  let description = [{
    `weight` is [out, in] in PyTorch's convention; `input` is [..., in] and
    the result [..., out]. The optional `bias` is [out]. The weight may be in
    any layout: kernels dequantize as they go.
  }];
  let arguments = (ins R1_Activation:$input, R1_WeightType:$weight,
                       Optional<R1_WeightType>:$bias);
  let results = (outs R1_Activation:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? attr-dict `:` type($input) `,` qualified(type($weight))
    (`,` qualified(type($bias))^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class R1_BinaryOp<string mnemonic, list<Trait> traits = []>
    : R1_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultType], traits)> {
  let arguments = (ins R1_Activation:$lhs, R1_Activation:$rhs);
  let results = (outs R1_Activation:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

class R1_UnaryOp<string mnemonic, list<Trait> traits = []>
    : R1_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultType], traits)> {
  let arguments = (ins R1_Activation:$input);
  let results = (outs R1_Activation:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def R1_AddOp : R1_BinaryOp<"add", [Commutative]> {
  let summary = "elementwise sum (residual connections, routed + shared experts)";
}

def R1_MulOp : R1_BinaryOp<"mul", [Commutative]> {
  let summary = "elementwise product (the gating of SwiGLU)";
}

def R1_SiluOp : R1_UnaryOp<"silu"> {
  let summary = "x * sigmoid(x)";
}

def R1_SigmoidOp : R1_UnaryOp<"sigmoid"> {
  let summary = "1 / (1 + exp(-x)) (DeepSeek-V3 router scores)";
}

def R1_SoftmaxOp : R1_UnaryOp<"softmax"> {
  let summary = "softmax over the last dimension (DeepSeek-V2 router scores)";
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

def R1_SliceOp : R1_Op<"slice", [Pure]> {
  let summary = "a contiguous range of the last dimension";
  let description = [{
    Splits MLA's projections: q into [nope | rope] per head,
    kv_a_proj_with_mqa's output into [latent | k_pe].

    ```mlir
    %q_pe = r1.slice %q offset 128 size 64 : tensor<?x128x192xf32> -> tensor<?x128x64xf32>
    ```
  }];
  let arguments = (ins R1_Activation:$input, I64Attr:$offset, I64Attr:$size);
  let results = (outs R1_Activation:$result);
  let assemblyFormat = [{
    $input `offset` $offset `size` $size attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def R1_ConcatOp : R1_Op<"concat", [Pure]> {
  let summary = "joins tensors along the last dimension";
  let description = [{
    All inputs have the same leading dimensions and element type; the
    result's last dimension is the sum of theirs.
  }];
  let arguments = (ins Variadic<R1_Activation>:$inputs);
  let results = (outs R1_Activation:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, $result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def R1_ReshapeOp : R1_Op<"reshape", [Pure]> {
  let summary = "regroups the dimensions after the token dimension";
  let description = [{
    The token dimension stays; the product of the other (static) dimensions
    is preserved: [T, heads * dim] <-> [T, heads, dim].
  }];
  let arguments = (ins R1_Activation:$input);
  let results = (outs R1_Activation:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def R1_BroadcastOp : R1_Op<"broadcast", [Pure]> {
  let summary = "repeats dimensions of size 1";
  let description = [{
    MLA's rope key is one head shared by all query heads:
    [T, 1, rope] -> [T, heads, rope]. Every result dimension equals the
    input's or expands an input dimension of size 1.
  }];
  let arguments = (ins R1_Activation:$input);
  let results = (outs R1_Activation:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def R1_RopeOp : R1_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "rotary position embedding";
  let description = [{
    Rotates each pair of the last dimension of `input` ([tokens, heads, dim])
    by position x inverse frequency, with inv_freq[i] = theta^(-2i/dim)
    adjusted by `scaling`. `style` says which elements pair up:
    `interleaved` (x[2i], x[2i+1]) for DeepSeek, `half` (x[i], x[i+dim/2])
    for Llama and Qwen.

    ```mlir
    %q_pe = r1.rope %q_pe, %positions interleaved theta 1.000000e+04
        scaling(#r1.yarn<factor = 4.000000e+01, original_max_positions = 4096, ...>)
        : tensor<?x128x64xf32>, tensor<?xi32>
    ```
  }];
  let arguments = (ins R1_Activation:$input, R1_TokenIds:$positions,
                       R1_RopeStyleAttr:$style, F64Attr:$theta,
                       OptionalAttr<R1_RopeScalingAttr>:$scaling);
  let results = (outs R1_Activation:$result);
  let assemblyFormat = [{
    $input `,` $positions custom<RopeStyle>($style) `theta` $theta
    (`scaling` `(` $scaling^ `)`)? attr-dict
    `:` type($input) `,` type($positions)
  }];
  let hasVerifier = 1;
}

def R1_AttentionOp : R1_Op<"attention",
    [MemoryEffects<[MemRead<R1_KVCache>, MemWrite<R1_KVCache>]>]> {
  let summary = "causal scaled dot-product attention over the KV cache";
  let description = [{
    Appends the keys and values of the new tokens (at `positions`) to the KV
    cache slot of `layer`, then lets each query attend causally to every
    cached position up to its own: softmax(q k^T * scale) v, in f32.

    q is [T, Hq, Dk], k is [T, Hkv, Dk], v is [T, Hkv, Dv] and the result
    [T, Hq, Dv]. Hq must be a multiple of Hkv: each group of Hq/Hkv query
    heads shares one key/value head (GQA; Hkv == Hq is plain multi-head).
    `scale` is the whole softmax scale, including YaRN's mscale^2 correction
    for DeepSeek.
  }];
  let arguments = (ins R1_Activation:$query, R1_Activation:$key, R1_Activation:$value,
                       R1_TokenIds:$positions,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$layer,
                       F64Attr:$scale);
  let results = (outs R1_Activation:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $positions `layer` $layer `scale` $scale attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def R1_MlaOp : R1_Op<"mla",
    [MemoryEffects<[MemRead<R1_KVCache>, MemWrite<R1_KVCache>]>]> {
  let summary = "multi-head latent attention over a latent KV cache";
  let description = [{
    DeepSeek's MLA after its projections, with the KV cache holding the
    compressed form. `query` is [T, H, nope + rope] (rope already applied to
    its last `rope` elements), `latent` the normalized KV latent [T, R]
    (kv_lora_rank), `key_rope` the shared rope key [T, 1, rope] (roped), and
    `kv_b` kv_b_proj's weight [H * (nope + v), R]: per head, `nope` rows of
    W_UK then `v` rows of W_UV. The op appends [latent | key_rope] of each
    token to the cache slot of `layer` (R + rope values per token) and
    returns, per token t and head h, over cached positions j <= positions[t]:

      k_j = [W_UK[h] latent_j | key_rope_j],  v_j = W_UV[h] latent_j
      result[t, h] = softmax_j(scale * query[t, h] . k_j) . v_j    ([T, H, v])

    `prefill_form` and `decode_form` say how each phase computes it
    (`materialized`: k and v expanded from the cached latents; `absorbed`:
    W_UK folded into the query, W_UV applied after attention, so the scores
    are query_latent . latent_j + query_rope . key_rope_j). Both compute the
    same function; `r1-fuse-mla` chooses them with its cost model. Created
    by `r1-fuse-mla` from the importer's materialized `r1.attention`.

    ```mlir
    %o = r1.mla %q, %latent, %k_pe, %positions, %kv_b layer 0 scale 0.1147
        prefill materialized decode absorbed
        : (tensor<?x16x192xf32>, tensor<?x512xf32>, tensor<?x1x64xf32>, tensor<?xi32>,
           !r1.weight<4096x512xf8E4M3FN, #r1.block_scaled<[128, 128], "...scale_inv">>)
        -> tensor<?x16x128xf32>
    ```
  }];
  let arguments = (ins R1_Activation:$query, R1_Activation:$latent, R1_Activation:$key_rope,
                       R1_TokenIds:$positions, R1_WeightType:$kv_b,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$layer,
                       F64Attr:$scale,
                       R1_MlaFormAttr:$prefill_form,
                       R1_MlaFormAttr:$decode_form);
  let results = (outs R1_Activation:$result);
  let assemblyFormat = [{
    $query `,` $latent `,` $key_rope `,` $positions `,` $kv_b `layer` $layer `scale` $scale
    `prefill` custom<MlaForm>($prefill_form) `decode` custom<MlaForm>($decode_form) attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Query/key dims without rope, rope dims, value dims, latent rank, heads.
    int64_t getNopeDim();
    int64_t getRopeDim();
    int64_t getValueDim();
    int64_t getRank();
    int64_t getHeads();
  }];
}

//===----------------------------------------------------------------------===//
// Mixture of experts
//===----------------------------------------------------------------------===//

def R1_MoeTopkOp : R1_Op<"moe.topk", [Pure]> {
  let summary = "chooses experts per token, group-limited, and their weights";
  let description = [{
    Given router scores s ([T, E], already through sigmoid or softmax):

    1. b = s + bias when `bias` ([E], DeepSeek-V3's e_score_correction_bias)
       is given, else b = s;
    2. the E experts form `num_groups` equal groups; each group is scored by
       `group_score` over b (`top2_sum`: the sum of its two best; `max`: its
       best); the best `topk_groups` groups stay eligible (`none`: one group,
       every expert eligible);
    3. the `top_k` eligible experts with the highest b are chosen;
    4. their weights are the *unbiased* s; with `normalize` they are divided
       by their sum; then multiplied by `scaling_factor`.

    Results: expert ids [T, top_k] (i32) and weights [T, top_k] (f32).
  }];
  let arguments = (ins
    R1_Activation:$scores,
    Optional<R1_WeightType>:$bias,
    ConfinedAttr<I64Attr, [IntPositive]>:$top_k,
    ConfinedAttr<I64Attr, [IntPositive]>:$num_groups,
    ConfinedAttr<I64Attr, [IntPositive]>:$topk_groups,
    R1_GroupScoreAttr:$group_score,
    BoolAttr:$normalize,
    F64Attr:$scaling_factor
  );
  let results = (outs 2DTensorOf<[I32]>:$ids, 2DTensorOf<[F32]>:$weights);
  let assemblyFormat = [{
    $scores (`bias` $bias^)? attr-dict `:` type($scores) (`,` qualified(type($bias))^)?
    `->` type($ids) `,` type($weights)
  }];
  let hasVerifier = 1;
}

def R1_MoeRouteOp : R1_Op<"moe.route", [Pure]> {
  let summary = "the whole MoE router: projection, scores and top-k in one op";
  let description = [{
    Exactly `r1.moe.topk(scoring(r1.linear(input, gate)), bias)` with the
    logits and the scores computed in f32 whatever the activation type:
    `input` is [T, H], `gate` the router projection [E, H] (any layout),
    `scoring` `sigmoid` (DeepSeek-V3/R1) or `softmax` (DeepSeek-V2) over the
    E logits of a token, and `bias` ([E] f32, e_score_correction_bias), the
    attributes and the results as in `r1.moe.topk`: expert ids [T, top_k]
    (i32) and weights [T, top_k] (f32). Created by `r1-fuse-moe-routing`.

    ```mlir
    %ids, %w = r1.moe.route %x, %gate bias %b sigmoid {group_score = #r1.group_score<top2_sum>,
        normalize = true, num_groups = 4 : i64, scaling_factor = 2.500000e+00 : f64,
        top_k = 4 : i64, topk_groups = 2 : i64}
        : tensor<?x128xf32>, !r1.weight<16x128xbf16>, !r1.weight<16xf32>
        -> tensor<?x4xi32>, tensor<?x4xf32>
    ```
  }];
  let arguments = (ins
    R1_Activation:$input,
    R1_WeightType:$gate,
    Optional<R1_WeightType>:$bias,
    R1_RouterScoringAttr:$scoring,
    ConfinedAttr<I64Attr, [IntPositive]>:$top_k,
    ConfinedAttr<I64Attr, [IntPositive]>:$num_groups,
    ConfinedAttr<I64Attr, [IntPositive]>:$topk_groups,
    R1_GroupScoreAttr:$group_score,
    BoolAttr:$normalize,
    F64Attr:$scaling_factor
  );
  let results = (outs 2DTensorOf<[I32]>:$ids, 2DTensorOf<[F32]>:$weights);
  let assemblyFormat = [{
    $input `,` $gate (`bias` $bias^)? custom<RouterScoring>($scoring) attr-dict
    `:` type($input) `,` qualified(type($gate)) (`,` qualified(type($bias))^)?
    `->` type($ids) `,` type($weights)
  }];
  let hasVerifier = 1;
}

def R1_MoeExpertsOp : R1_Op<"moe.experts", [Pure]> {
  let summary = "runs each token through its routed experts and sums them";
  let description = [{
    out[t] = sum_j weights[t, j] * down[e] (silu(gate[e] x[t]) * up[e] x[t]),
    e = ids[t, j]. The expert weights are stacked: gate and up are
    [E, I, H], down is [E, H, I]. Shared experts are ordinary `r1.linear`s.
    With `quantize_activations` (W8A8, set by `r1-select-weight-layout`)
    both the expert input and the hidden silu(...) * (...) are read as
    `r1.quantize_f8` (blocks of 128) would make them.
  }];
  let arguments = (ins R1_Activation:$input, 2DTensorOf<[I32]>:$ids,
                       2DTensorOf<[F32]>:$weights, R1_WeightType:$gate,
                       R1_WeightType:$up, R1_WeightType:$down,
                       UnitAttr:$quantize_activations);
  let results = (outs R1_Activation:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def R1_QuantizeF8Op : R1_Op<"quantize_f8", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "FP8 activation quantization per 1 x block (DeepSeek's W8A8)";
  let description = [{
    Splits each row of `input` (the last dimension) into blocks of `block`
    values (the last one may be shorter), and per block computes
    s = amax(|x|) / 448 and replaces x by e4m3fn(x / s) * s (round to
    nearest even): the values an FP8 GEMM with per-block activation scales
    multiplies by, which is how DeepSeek's `act_quant` + `fp8_gemm` compute
    on hardware with FP8 arithmetic. A block of zeros stays zero. Inserted by
    `r1-select-weight-layout` in W8A8 mode before projections with FP8
    weights.

    ```mlir
    %xq = r1.quantize_f8 %x block 128 : tensor<?x7168xf32>
    ```
  }];
  let arguments = (ins R1_Activation:$input, ConfinedAttr<I64Attr, [IntPositive]>:$block);
  let results = (outs R1_Activation:$result);
  let assemblyFormat = "$input `block` $block attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Fused forms (created by the r1-fuse-* passes, never by the importer)
//===----------------------------------------------------------------------===//

def R1_AddRmsNormOp : R1_Op<"add_rms_norm",
    [Pure, AllTypesMatch<["input", "residual", "sum", "result"]>]> {
  let summary = "residual add followed by RMS normalization";
  let description = [{
    sum = input + residual; result = rms_norm(sum) * weight, with the
    normalization of `r1.rms_norm` (over the last dimension, in f32) applied
    to `sum` as stored in the activation type. Both results have the input's
    type: `sum` is the residual stream that continues to the next layer,
    `result` what the next projections read. Created by
    `r1-fuse-residual-norm` from `r1.rms_norm(r1.add(input, residual))`.

    ```mlir
    %sum, %normed = r1.add_rms_norm %x, %attn, %w eps 9.9999999999999995E-7
        : tensor<?x128xf32>, !r1.weight<128xbf16>
    ```
  }];
  let arguments = (ins R1_Activation:$input, R1_Activation:$residual,
                       R1_WeightType:$weight, F64Attr:$epsilon);
  let results = (outs R1_Activation:$sum, R1_Activation:$result);
  let assemblyFormat = [{
    $input `,` $residual `,` $weight `eps` $epsilon attr-dict
    `:` type($input) `,` qualified(type($weight))
  }];
  let hasVerifier = 1;
}

def R1_FusedLinearOp : R1_Op<"fused_linear", [Pure, AttrSizedOperandSegments]> {
  let summary = "several projections of one input, optionally RMS-normalized first";
  let description = [{
    For each weight W_i ([N_i, K], PyTorch's [out, in]):

      result_i = xn W_i^T (+ b_i),   xn = rms_norm(input, norm_weight, epsilon)
                                          when `norm_weight` is given, else input

    `input` is [..., K] and result_i [..., N_i]. The normalization is that of
    `r1.rms_norm` and its output is rounded to the activation type before the
    products, so the op computes exactly what the unfused sequence does. All
    weights share one element type and one layout (one kernel reads them
    all); `biases` is empty or has one [N_i] bias per weight. `epsilon` is
    present exactly when `norm_weight` is.

    Created by `r1-fuse-projections` (Q/K/V of one attention input; MLA's
    q_a_proj and kv_a_proj_with_mqa) and by `r1-fuse-norm-projection` (a
    standalone norm moved into its projection).

    ```mlir
    %q, %k, %v = r1.fused_linear %x norm(%g eps 9.9999999999999995E-7)
        weights(%wq, %wk, %wv) biases(%bq, %bk, %bv)
        : (tensor<?x128xf32>, !r1.weight<128xbf16>, !r1.weight<128x128xbf16>,
           !r1.weight<64x128xbf16>, !r1.weight<64x128xbf16>, !r1.weight<128xbf16>,
           !r1.weight<64xbf16>, !r1.weight<64xbf16>)
        -> (tensor<?x128xf32>, tensor<?x64xf32>, tensor<?x64xf32>)
    ```
  }];
  let arguments = (ins R1_Activation:$input, Optional<R1_WeightType>:$norm_weight,
                       Variadic<R1_WeightType>:$weights, Variadic<R1_WeightType>:$biases,
                       OptionalAttr<F64Attr>:$epsilon);
  let results = (outs Variadic<R1_Activation>:$results);
  let assemblyFormat = [{
    $input (`norm` `(` $norm_weight^ `eps` $epsilon `)`)? `weights` `(` $weights `)`
    (`biases` `(` $biases^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def R1_GatedLinearOp : R1_Op<"gated_linear", [Pure]> {
  let summary = "the SwiGLU half of an MLP: silu(x Wg^T) * (x Wu^T)";
  let description = [{
    result = silu(xn gate^T) * (xn up^T), xn = rms_norm(input, norm_weight,
    epsilon) when `norm_weight` is given, else input. `gate` and `up` are
    both [I, K] with one element type and layout; `input` is [..., K] and the
    result [..., I]. Intermediate values are rounded to the activation type
    as in the unfused `r1.linear`/`r1.silu`/`r1.mul` sequence. `epsilon` is
    present exactly when `norm_weight` is. Created by `r1-fuse-swiglu`; the
    down projection stays an `r1.linear`.

    ```mlir
    %h = r1.gated_linear %x gate %wg up %wu
        : (tensor<?x128xf32>, !r1.weight<352x128xbf16>, !r1.weight<352x128xbf16>)
        -> tensor<?x352xf32>
    ```
  }];
  let arguments = (ins R1_Activation:$input, Optional<R1_WeightType>:$norm_weight,
                       R1_WeightType:$gate, R1_WeightType:$up,
                       OptionalAttr<F64Attr>:$epsilon);
  let results = (outs R1_Activation:$result);
  let assemblyFormat = [{
    $input (`norm` `(` $norm_weight^ `eps` $epsilon `)`)? `gate` $gate `up` $up attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // R1_OPS_TD
