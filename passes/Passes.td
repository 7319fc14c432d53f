//===- Passes.td - r1 passes ----------------------------*- tablegen -*-===//
//
// Every pass on the r1 dialect: summary, a description showing the IR before
// and after, options and statistics. Mnemonics read r1-<verb>-<object>.
//
//===----------------------------------------------------------------------===//

#ifndef R1_PASSES_TD
#define R1_PASSES_TD

include "mlir/Pass/PassBase.td"

def R1DropMtp : Pass<"r1-drop-mtp", "::mlir::ModuleOp"> {
  let summary = "removes the multi-token-prediction layer and the weights only it uses";
  let description = [{
    DeepSeek-V3/R1 checkpoints carry an MTP layer (index num_hidden_layers)
    that predicts a second token ahead. It is not part of next-token logits;
    it is kept for speculative decoding or dropped to save its weights (13.5
    GB of R1's 686.6 GB, summed over the weight types of a config-only
    import). This pass erases `func.func @mtp`, the extra
    `@forward` result that fed it (the final hidden state), and every
    `r1.weight` no longer referenced.

    Before:
    ```mlir
    r1.weight @model.layers.3.eh_proj.weight : !r1.weight<128x256xbf16> = "..."
    func.func @forward(%tokens: tensor<?xi32>, %positions: tensor<?xi32>)
        -> (tensor<?x129280xf32>, tensor<?x128xf32>) {
      ...
      return %logits, %hidden : tensor<?x129280xf32>, tensor<?x128xf32>
    }
    func.func @mtp(%hidden: tensor<?x128xf32>, ...) -> tensor<?x129280xf32> { ... }
    ```
    After:
    ```mlir
    func.func @forward(%tokens: tensor<?xi32>, %positions: tensor<?xi32>)
        -> tensor<?x129280xf32> {
      ...
      return %logits : tensor<?x129280xf32>
    }
    ```
    A module without `@mtp` is left unchanged.
  }];
  let dependentDialects = ["::r1::R1Dialect", "::mlir::func::FuncDialect"];
  let statistics = [
    Statistic<"numWeightsDropped", "weights-dropped", "Number of r1.weight symbols erased">,
  ];
}

//===----------------------------------------------------------------------===//
// CPU fusion (the r1-fuse-cpu pipeline, in this order)
//
// The imported IR has one op per reference-code primitive. A CPU decode step
// is bound by memory traffic, so each fusion removes a round trip of an
// activation through memory or a second pass over the same input. The order
// matters:
//   0. r1-fuse-mla before anything else touches MLA's kv_b_proj: it must
//      still be a plain r1.linear of the normalized latent (step 5 would
//      move the latent's norm into it); then r1-select-weight-layout, whose
//      W8A8 quantizations the fusions below keep (they are Pure and shared);
//   1. r1-fuse-swiglu first, so that the MLP's gate and up projections
//      become one gated_linear and are not taken as a projection group;
//   2. r1-fuse-moe-routing, for the same reason: the router projection
//      becomes part of r1.moe.route, never a member of a projection group;
//   3. r1-fuse-projections groups the remaining linears that share an input
//      (Q/K/V; MLA's q_a_proj and kv_a_proj_with_mqa);
//   4. r1-fuse-residual-norm puts every residual add into the norm after it:
//      the add's result is the residual stream, needed again by the next
//      residual add, so the fused op returns it next to the normed value;
//   5. r1-fuse-norm-projection moves each norm that remains (one that follows
//      no residual add: layer 0's input norm, the norms after MLA's down
//      projections, MTP's input norm) into the projections that read it.
//      A norm that follows an add is better fused with the add (step 4): the
//      projection would otherwise need the add's two inputs.
//===----------------------------------------------------------------------===//

def R1FuseMla : Pass<"r1-fuse-mla", "::mlir::func::FuncOp"> {
  let summary = "fuses DeepSeek's multi-head latent attention into r1.mla over a latent KV cache";
  let description = [{
    The importer writes MLA as the reference code's naive form: kv_b_proj
    expands the normalized latent into per-head keys and values, which an
    `r1.attention` caches (R1: 128 heads x (192 + 128) values per token and
    layer). This pass recognizes

      kv = r1.reshape(r1.linear(latent, kv_b)) ([T, H, nope + v])
      k  = r1.concat(r1.slice(kv, 0, nope), r1.broadcast(k_pe))
      v  = r1.slice(kv, nope, v)
      o  = r1.attention(q, k, v)

    and replaces it with one `r1.mla q, latent, k_pe, positions, kv_b`, whose
    cache holds only [latent | k_pe]: kv_lora_rank + qk_rope_head_dim values
    per token and layer (R1: 512 + 64 = 576, 70,272 bytes per token over 61
    layers in BF16; 71x less than the expanded form). It applies when every
    intermediate above has no other user and kv_b has no bias.

    Per phase, the op computes attention in one of two forms:
    * `absorbed`: W_UK (kv_b's key rows) is applied to the query
      (q_lat = W_UK[h]^T q_nope, in the latent space) and W_UV (its value
      rows) after attention, so no key or value is ever expanded:
      2 H (nope R + (R + rope + R) L + R v) FLOPs per token over L keys;
    * `materialized`: keys and values are expanded from the cached latents
      (a GEMM over the L positions, 2 L R H (nope + v) FLOPs per step) and
      attention runs per head: cheaper when many queries share them.
    The cost model estimates each form's time per phase as
    max(FLOPs / peak-gflops, bytes / bandwidth-gbps) (weights, cache and
    expanded keys and values counted as bytes moved) with decode = one
    token over `context` keys and prefill = `prefill-tokens` causal tokens,
    and records the cheaper one in `prefill_form` / `decode_form` (options
    force either). Decode comes out absorbed for every DeepSeek shape:
    expanding L keys for one query costs L times the query's own work.

    The weight absorption itself happens at compile time in the lowering:
    the absorbed form needs W_UK transposed per head ([H * R, nope]), which
    `r1-lower-to-kernels` packs from kv_b (see `r1k.packed_weight`'s
    `head_rows`): FP8 stays FP8 when the per-head row blocks fall on the
    128-row scale blocks, else it is dequantized to f32.

    Before:
    ```mlir
    %kv = r1.linear %latent, %kv_b : tensor<?x64xf32>, !r1.weight<256x64xbf16> -> tensor<?x256xf32>
    %kvh = r1.reshape %kv : tensor<?x256xf32> -> tensor<?x4x64xf32>
    %k_nope = r1.slice %kvh[0, 32] : tensor<?x4x64xf32> -> tensor<?x4x32xf32>
    %k_pe4 = r1.broadcast %k_pe : tensor<?x1x16xf32> -> tensor<?x4x16xf32>
    %k = r1.concat %k_nope, %k_pe4 : tensor<?x4x32xf32>, tensor<?x4x16xf32> -> tensor<?x4x48xf32>
    %v = r1.slice %kvh[32, 32] : tensor<?x4x64xf32> -> tensor<?x4x32xf32>
    %o = r1.attention %q, %k, %v, %positions layer 0 scale 0.14433756729740643 : ...
    ```
    After:
    ```mlir
    %o = r1.mla %q, %latent, %k_pe, %positions, %kv_b layer 0 scale 0.14433756729740643
        prefill materialized decode absorbed
        : (tensor<?x4x48xf32>, tensor<?x64xf32>, tensor<?x1x16xf32>, tensor<?xi32>,
           !r1.weight<256x64xbf16>) -> tensor<?x4x32xf32>
    ```
  }];
  let dependentDialects = ["::r1::R1Dialect"];
  let options = [
    Option<"prefillForm", "prefill-form", "std::string", /*default=*/"\"auto\"",
           "Form of the prefill phase: auto (cost model), materialized or absorbed">,
    Option<"decodeForm", "decode-form", "std::string", /*default=*/"\"auto\"",
           "Form of the decode phase: auto (cost model), materialized or absorbed">,
    Option<"peakGflops", "peak-gflops", "double", /*default=*/"192.0",
           "Target's peak fp32 GFLOP/s (default: the 2-core AVX-512 host)">,
    Option<"bandwidthGbps", "bandwidth-gbps", "double", /*default=*/"33.7",
           "Target's memory bandwidth in GB/s (default: the host's measured median)">,
    Option<"prefillTokens", "prefill-tokens", "int64_t", /*default=*/"256",
           "Tokens of the prefill step the cost model assumes">,
    Option<"context", "context", "int64_t", /*default=*/"4096",
           "Cached positions a decode step attends to in the cost model">,
  ];
  let statistics = [
    Statistic<"numFused", "mla-fused", "Number of attentions fused into r1.mla">,
    Statistic<"numPrefillAbsorbed", "prefill-absorbed", "Fused ops whose prefill is absorbed">,
    Statistic<"numDecodeAbsorbed", "decode-absorbed", "Fused ops whose decode is absorbed">,
  ];
}

def R1SelectWeightLayout : Pass<"r1-select-weight-layout", "::mlir::ModuleOp"> {
  let summary = "keeps FP8 block-scaled weights FP8 for the host kernels; optionally W8A8";
  let description = [{
    Decides, per weight, what the kernels read.

    With `quant`, every projection weight (what `r1.linear` and
    `r1.moe.experts` multiply by; not embeddings, norms, routers or MLA's
    kv_b) is converted at compile time: its `r1.weight` gets the new type
    and keeps the checkpoint's as `from`; the artifact writer computes the
    new values from the checkpoint's while it packs. `bf16` rounds to
    nearest even (FP8 is dequantized with its block scales first); `fp8`
    quantizes to e4m3 with one f32 scale per 1x128 block (s = amax / 448;
    FP8 checkpoints stay as they are); `int8` and `int4` quantize
    symmetrically with one f16 scale per `quant-group` elements of a row
    (s = amax / 127 or amax / 7). A weight that other ops read too (tied
    embeddings) gets a converted copy, `@name:int4`, for its projections.
    Weights already of the requested type are left alone.

    ```mlir
    // quant=int4 quant-group=32, before:
    r1.weight @w : !r1.weight<96x128xbf16> = "w"
    // after:
    r1.weight @w : !r1.weight<96x128xi4, #r1.group_scaled<32, f16>> = "w" from !r1.weight<96x128xbf16>
    ```

    On the host target an FP8
    e4m3fn weight with 128-column block scales (DeepSeek-V3/R1's 128x128
    blocks) is stored as its FP8 codes plus its block scales, and the
    projection kernels dequantize it on the fly (weight-only FP8): R1 stays
    ~700 GB instead of the 1.3 TB of a BF16 copy. Such weights are accepted
    only where a kernel reads FP8 (r1.linear, r1.moe.experts, r1.mla's
    kv_b); an FP8 weight anywhere else (an embedding, a norm, a router), or
    one with another block shape, is an error naming the weight, before any
    work is done.

    With `w8a8`, DeepSeek's W8A8 recipe: the input of every projection with
    FP8 weights is quantized per 1x128 block with s = amax / 448
    (`r1.quantize_f8`; one per distinct input, shared by the projections
    that read it), and routed experts quantize their input and hidden
    activations inside their kernel (`quantize_activations`). MLA's kv_b is
    left alone, as in DeepSeek's absorbed attention, which multiplies by
    the dequantized kv_b in BF16. Runs after `r1-fuse-mla` and before the
    other fusions.

    Before (`w8a8`):
    ```mlir
    %y = r1.linear %x, %w : tensor<?x128xf32>, !r1.weight<96x128xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x96xf32>
    ```
    After:
    ```mlir
    %xq = r1.quantize_f8 %x block 128 : tensor<?x128xf32>
    %y = r1.linear %xq, %w : tensor<?x128xf32>, !r1.weight<96x128xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x96xf32>
    ```
  }];
  let dependentDialects = ["::r1::R1Dialect"];
  let options = [
    Option<"w8a8", "w8a8", "bool", /*default=*/"false",
           "Quantize activations per 1x128 block before FP8 projections (DeepSeek's W8A8)">,
    Option<"quant", "quant", "std::string", /*default=*/"\"\"",
           "Convert projection weights at compile time: bf16, fp8, int8 or int4 (empty: "
           "keep the checkpoint's types)">,
    Option<"quantGroup", "quant-group", "int64_t", /*default=*/"32",
           "Elements along the input dimension sharing one f16 scale (int8, int4)">,
  ];
  let statistics = [
    Statistic<"numConverted", "weights-converted", "weights converted by quant">,
    Statistic<"numFp8Weights", "fp8-weights", "FP8 block-scaled weight reads kept as FP8">,
    Statistic<"numQuantized", "activations-quantized", "r1.quantize_f8 ops inserted">,
  ];
}

def R1FuseSwiglu : Pass<"r1-fuse-swiglu", "::mlir::func::FuncOp"> {
  let summary = "fuses the gate and up projections of a SwiGLU MLP into r1.gated_linear";
  let description = [{
    Rewrites `r1.mul(r1.silu(r1.linear(x, Wg)), r1.linear(x, Wu))` (the mul's
    operands in either order) into one `r1.gated_linear`, which reads x once
    and never stores the two [T, I] intermediates. It applies when both
    linears read the same x, have no bias, their weights have the same type
    (shape, element type, layout), and the gate linear, the silu and the up
    linear have no other users. The down projection is left alone. Dense
    MLPs and DeepSeek's shared experts match; routed experts are
    `r1.moe.experts` already.

    Before:
    ```mlir
    %g = r1.linear %x, %wg : tensor<?x128xf32>, !r1.weight<352x128xbf16> -> tensor<?x352xf32>
    %s = r1.silu %g : tensor<?x352xf32>
    %u = r1.linear %x, %wu : tensor<?x128xf32>, !r1.weight<352x128xbf16> -> tensor<?x352xf32>
    %h = r1.mul %s, %u : tensor<?x352xf32>
    ```
    After:
    ```mlir
    %h = r1.gated_linear %x gate %wg up %wu
        : (tensor<?x128xf32>, !r1.weight<352x128xbf16>, !r1.weight<352x128xbf16>)
        -> tensor<?x352xf32>
    ```
  }];
  let dependentDialects = ["::r1::R1Dialect"];
  let statistics = [
    Statistic<"numFused", "mlps-fused", "Number of gate/up pairs fused into r1.gated_linear">,
  ];
}

def R1FuseMoeRouting : Pass<"r1-fuse-moe-routing", "::mlir::func::FuncOp"> {
  let summary = "fuses the MoE router projection, scoring and top-k into r1.moe.route";
  let description = [{
    Rewrites `r1.moe.topk(r1.sigmoid|r1.softmax(r1.linear(x, Wg)))`, with or
    without the top-k's `bias`, into one `r1.moe.route x, Wg` carrying the
    scoring function and every attribute of the top-k. It applies when the
    linear has no bias and the linear and the scoring op each have a single
    use (the top-k). Other scoring ops are left alone.

    Why: the router is one small projection ([E, H], E = 256 experts in R1)
    whose output only feeds the expert selection. Fused, one kernel computes
    the E logits of a token, its scores and its top-k while they are in
    registers, and the [T, E] logits and scores are never written back and
    re-read (twice, unfused: scoring and top-k). The fused op computes the
    logits and scores in f32 whatever the activation type: the reference
    routes in f32, and routing margins in the goldens are >= 2.5e-5, so only
    an f32 router chooses the same experts; a bf16 one may not.

    Before (DeepSeek-V3/R1, `noaux_tc`):
    ```mlir
    %logits = r1.linear %x, %wg : tensor<?x128xf32>, !r1.weight<16x128xbf16> -> tensor<?x16xf32>
    %s = r1.sigmoid %logits : tensor<?x16xf32>
    %ids, %w = r1.moe.topk %s bias %b {group_score = #r1.group_score<top2_sum>,
        normalize = true, num_groups = 4 : i64, scaling_factor = 2.500000e+00 : f64,
        top_k = 4 : i64, topk_groups = 2 : i64}
        : tensor<?x16xf32>, !r1.weight<16xf32> -> tensor<?x4xi32>, tensor<?x4xf32>
    ```
    After:
    ```mlir
    %ids, %w = r1.moe.route %x, %wg bias %b sigmoid {group_score = #r1.group_score<top2_sum>,
        normalize = true, num_groups = 4 : i64, scaling_factor = 2.500000e+00 : f64,
        top_k = 4 : i64, topk_groups = 2 : i64}
        : tensor<?x128xf32>, !r1.weight<16x128xbf16>, !r1.weight<16xf32>
        -> tensor<?x4xi32>, tensor<?x4xf32>
    ```
    DeepSeek-V2's `greedy` routing (`r1.softmax`, no bias, group score
    `none`) becomes `r1.moe.route %x, %wg softmax {...}` the same way.
  }];
  let dependentDialects = ["::r1::R1Dialect"];
  let statistics = [
    Statistic<"numFused", "routers-fused", "Number of routers fused into r1.moe.route">,
  ];
}

def R1FuseProjections : Pass<"r1-fuse-projections", "::mlir::func::FuncOp"> {
  let summary = "fuses r1.linear ops that read the same input into one r1.fused_linear";
  let description = [{
    Two or more `r1.linear` ops in one block that read the same value, whose
    weights have the same element type and layout and which all have a bias
    or all have none, become one `r1.fused_linear` with one result per
    linear, in block order: the input is read once and one kernel runs over
    the concatenated output rows. This is Q/K/V (with Qwen2's biases) and
    MLA's q_a_proj + kv_a_proj_with_mqa. Linears whose weights differ in
    element type or layout (DeepSeek's bf16 router next to FP8 projections)
    are grouped separately, and a lone linear is left as it is.

    The fused op goes where the first of the linears was. The weights of
    the later ones are usually read (`r1.weight.get`) after that point, so
    each weight or bias that is not yet available there is re-read by a new
    `r1.weight.get` placed right before the fused op; the old reads die.

    Before:
    ```mlir
    %wq = r1.weight.get @q.weight : !r1.weight<128x128xbf16>
    %q = r1.linear %x, %wq : tensor<?x128xf32>, !r1.weight<128x128xbf16> -> tensor<?x128xf32>
    %wk = r1.weight.get @k.weight : !r1.weight<64x128xbf16>
    %k = r1.linear %x, %wk : tensor<?x128xf32>, !r1.weight<64x128xbf16> -> tensor<?x64xf32>
    ```
    After:
    ```mlir
    %wq = r1.weight.get @q.weight : !r1.weight<128x128xbf16>
    %wk = r1.weight.get @k.weight : !r1.weight<64x128xbf16>
    %qk:2 = r1.fused_linear %x weights(%wq, %wk)
        : (tensor<?x128xf32>, !r1.weight<128x128xbf16>, !r1.weight<64x128xbf16>)
        -> (tensor<?x128xf32>, tensor<?x64xf32>)
    ```
  }];
  let dependentDialects = ["::r1::R1Dialect"];
  let statistics = [
    Statistic<"numGroups", "groups-fused", "Number of r1.fused_linear ops created">,
    Statistic<"numLinears", "linears-fused", "Number of r1.linear ops fused into them">,
  ];
}

def R1FuseResidualNorm : Pass<"r1-fuse-residual-norm", "::mlir::func::FuncOp"> {
  let summary = "fuses a residual add and the RMS norm after it into r1.add_rms_norm";
  let description = [{
    Rewrites `r1.rms_norm(r1.add(a, b))` into `r1.add_rms_norm a, b`. Its
    `sum` result replaces every other use of the add (the residual stream
    goes on to the next residual add, and to `@forward`'s hidden-state result
    for MTP) and `result` replaces the norm. Every layer has two such pairs
    (before attention, except in layer 0, and before the MLP) and the final
    `model.norm` is one more; all of them fuse.

    The fused op takes the add's place, so that the add's other users still
    see `sum` defined before them; the norm weight is re-read there with a
    new `r1.weight.get` when its read came after the add.

    Before:
    ```mlir
    %h = r1.add %x, %attn : tensor<?x128xf32>
    %w = r1.weight.get @post_attention_layernorm.weight : !r1.weight<128xbf16>
    %n = r1.rms_norm %h, %w eps 1.0E-6 : tensor<?x128xf32>, !r1.weight<128xbf16>
    ... uses of %h (the next residual add) and %n ...
    ```
    After:
    ```mlir
    %w = r1.weight.get @post_attention_layernorm.weight : !r1.weight<128xbf16>
    %h, %n = r1.add_rms_norm %x, %attn, %w eps 1.0E-6 : tensor<?x128xf32>, !r1.weight<128xbf16>
    ```
  }];
  let dependentDialects = ["::r1::R1Dialect"];
  let statistics = [
    Statistic<"numFused", "norms-fused", "Number of r1.add + r1.rms_norm pairs fused">,
  ];
}

def R1FuseNormProjection : Pass<"r1-fuse-norm-projection", "::mlir::func::FuncOp"> {
  let summary = "moves a standalone RMS norm into the projections that read it";
  let description = [{
    An `r1.rms_norm` whose every user is an `r1.linear`, `r1.fused_linear`
    or `r1.gated_linear` without a norm of its own, reading the normed value
    as its input, is erased: each user reads the raw input instead and
    normalizes it itself (`norm(weight eps E)`); an `r1.linear` user becomes
    a one-weight `r1.fused_linear`, keeping its bias. The normalized
    activation is then never written to memory.

    Run after `r1-fuse-residual-norm`: a norm that follows a residual add is
    fused with the add, which must produce the residual stream anyway. The
    norms left are those after no add: layer 0's input_layernorm (after the
    embedding), DeepSeek's q_a_layernorm and kv_a_layernorm (after the MLA
    down projections) and MTP's input norm. A norm with any other user (a
    concat, `r1.moe.experts`) stays.

    Before:
    ```mlir
    %n = r1.rms_norm %x, %g eps 1.0E-6 : tensor<?x96xf32>, !r1.weight<96xbf16>
    %q = r1.linear %n, %w : tensor<?x96xf32>, !r1.weight<192x96xbf16> -> tensor<?x192xf32>
    ```
    After:
    ```mlir
    %q = r1.fused_linear %x norm(%g eps 1.0E-6) weights(%w)
        : (tensor<?x96xf32>, !r1.weight<96xbf16>, !r1.weight<192x96xbf16>) -> tensor<?x192xf32>
    ```
  }];
  let dependentDialects = ["::r1::R1Dialect"];
  let statistics = [
    Statistic<"numFused", "norms-fused", "Number of r1.rms_norm ops moved into projections">,
  ];
}

#endif // R1_PASSES_TD
