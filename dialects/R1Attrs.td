//===- R1Attrs.td - r1 attributes: layouts, rope scaling, model -*- tablegen -*-===//
//
// Weight layouts (with the interface every layout implements), the enums used
// by r1 ops, rope-scaling parameters and the model summary attribute.
//
//===----------------------------------------------------------------------===//

#ifndef R1_ATTRS_TD
#define R1_ATTRS_TD

include "dialects/R1Base.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def R1_RopeStyle : I32EnumAttr<"RopeStyle", "how rotary position embedding pairs elements", [
  // DeepSeek: rotate (x[2i], x[2i+1]).
  I32EnumAttrCase<"Interleaved", 0, "interleaved">,
  // Llama/Qwen: rotate (x[i], x[i + d/2]).
  I32EnumAttrCase<"Half", 1, "half">,
]> {
  let cppNamespace = "::r1";
  let genSpecializedAttr = 0;
}
def R1_RopeStyleAttr : EnumAttr<R1_Dialect, R1_RopeStyle, "rope_style">;

def R1_GroupScore : I32EnumAttr<"GroupScore", "how an expert group is scored for group-limited routing", [
  // One group holding every expert: plain top-k (DeepSeek-V2 `greedy`).
  I32EnumAttrCase<"None", 0, "none">,
  // Maximum score in the group (DeepSeek-V2 `group_limited_greedy`).
  I32EnumAttrCase<"Max", 1, "max">,
  // Sum of the two highest bias-corrected scores (DeepSeek-V3 `noaux_tc`).
  I32EnumAttrCase<"Top2Sum", 2, "top2_sum">,
]> {
  let cppNamespace = "::r1";
  let genSpecializedAttr = 0;
}
def R1_GroupScoreAttr : EnumAttr<R1_Dialect, R1_GroupScore, "group_score"> {
  let assemblyFormat = "`<` $value `>`";
}

def R1_RouterScoring : I32EnumAttr<"RouterScoring", "how router logits become expert scores", [
  // DeepSeek-V3/R1 (`scoring_func: sigmoid`): each expert scored on its own.
  I32EnumAttrCase<"Sigmoid", 0, "sigmoid">,
  // DeepSeek-V2 (`scoring_func: softmax`): over all experts of the token.
  I32EnumAttrCase<"Softmax", 1, "softmax">,
]> {
  let cppNamespace = "::r1";
  let genSpecializedAttr = 0;
}
def R1_RouterScoringAttr : EnumAttr<R1_Dialect, R1_RouterScoring, "router_scoring"> {
  let assemblyFormat = "`<` $value `>`";
}

def R1_MlaForm : I32EnumAttr<"MlaForm", "how r1.mla computes attention in one phase", [
  // Keys and values expanded per head from the latent (kv_b_proj applied to
  // every cached latent row): a GEMM, cheaper when many queries share them.
  I32EnumAttrCase<"Materialized", 0, "materialized">,
  // kv_b_proj absorbed into the query and the output: attention runs in the
  // latent space, no per-head keys or values exist.
  I32EnumAttrCase<"Absorbed", 1, "absorbed">,
]> {
  let cppNamespace = "::r1";
  let genSpecializedAttr = 0;
}
def R1_MlaFormAttr : EnumAttr<R1_Dialect, R1_MlaForm, "mla_form"> {
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// Weight layouts
//===----------------------------------------------------------------------===//

def R1_WeightLayoutAttrInterface : AttrInterface<"WeightLayoutAttrInterface"> {
  let cppNamespace = "::r1";
  let description = [{
    The storage format of a weight: how its elements are encoded and which
    scale tensor, if any, goes with them. Every layout attribute implements
    this interface, so the weight type, the importer and (later) the
    artifact writer and kernels ask the layout instead of switching on it.
  }];
  let methods = [
    InterfaceMethod<[{
        Checks that a weight of `shape` with elements of `elementType` can be
        stored in this layout; reports through `emitError` otherwise.
      }],
      "::llvm::LogicalResult", "verifyWeight",
      (ins "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError,
           "::llvm::ArrayRef<int64_t>":$shape, "::mlir::Type":$elementType)>,
    InterfaceMethod<[{
        The shape of the scale tensor that accompanies a weight of `shape`,
        or an empty vector when the layout has no scales.
      }],
      "::llvm::SmallVector<int64_t>", "getScaleShape",
      (ins "::llvm::ArrayRef<int64_t>":$shape)>,
    InterfaceMethod<[{
        The element type of the scale tensor, or null when there is none.
      }],
      "::mlir::Type", "getScaleElementType", (ins "::mlir::MLIRContext *":$context)>,
  ];
}

def R1_PlainLayoutAttr : R1_Attr<"PlainLayout", "plain",
    [DeclareAttrInterfaceMethods<R1_WeightLayoutAttrInterface>]> {
  let summary = "dense row-major elements without scales";
  let description = [{
    The element type of the weight (bf16, f16 or f32) is the stored type;
    f8E4M3FN only in `r1k.packed_weight`s, raw FP8 codes whose block scales
    are packed beside them (an `r1.weight` with FP8 needs `#r1.block_scaled`). The
    default layout: `!r1.weight<128xbf16>` means
    `!r1.weight<128xbf16, #r1.plain>`.
  }];
}

def R1_BlockScaledLayoutAttr : R1_Attr<"BlockScaledLayout", "block_scaled",
    [DeclareAttrInterfaceMethods<R1_WeightLayoutAttrInterface>]> {
  let summary = "FP8 elements with one f32 scale per block of the last two dims";
  let description = [{
    DeepSeek-V3/R1's checkpoint format: weight = fp8 x scale of its block.
    For a weight of shape [..., N, K] and block [bn, bk] the scale tensor has
    shape [..., ceil(N/bn), ceil(K/bk)] (the checkpoint's `*_scale_inv`,
    which despite its name multiplies). Leading dimensions (stacked experts)
    are not blocked.

    Example: `!r1.weight<1536x7168xf8E4M3FN, #r1.block_scaled<[128, 128]>>`.
  }];
  let parameters = (ins R1_I64ListParameter:$block);
  let assemblyFormat = "`<` $block `>`";
  let genVerifyDecl = 1;
}

def R1_GroupScaledLayoutAttr : R1_Attr<"GroupScaledLayout", "group_scaled",
    [DeclareAttrInterfaceMethods<R1_WeightLayoutAttrInterface>]> {
  let summary = "integer elements with one scale per group of the last dim";
  let description = [{
    Symmetric integer quantization (int4 or int8 elements): each run of
    `group_size` consecutive elements along the last (input) dimension shares
    one scale of `scale_type`. For [..., N, K] the scales are
    [..., N, K / group_size]; K must be a multiple of the group size.

    Example: `!r1.weight<1536x8960xi4, #r1.group_scaled<32, f16>>`.
  }];
  let parameters = (ins "int64_t":$groupSize, "::mlir::Type":$scaleType);
  let assemblyFormat = "`<` $groupSize `,` $scaleType `>`";
  let genVerifyDecl = 1;
}

//===----------------------------------------------------------------------===//
// Rope scaling
//===----------------------------------------------------------------------===//

def R1_YarnScalingAttr : R1_Attr<"YarnScaling", "yarn"> {
  let summary = "YaRN rope scaling (DeepSeek-V2/V3 `rope_scaling.type = yarn`)";
  let description = [{
    Inverse frequencies are blended between interpolated (divided by
    `factor`) and extrapolated ones over the band set by `beta_fast` and
    `beta_slow` relative to `original_max_positions`; cos and sin are
    multiplied by yarn_mscale(factor, mscale) / yarn_mscale(factor,
    mscale_all_dim). The matching attention-scale correction is folded into
    the `scale` of `r1.attention` by the importer.
  }];
  let parameters = (ins
    R1_F64Parameter:$factor,
    "int64_t":$original_max_positions,
    R1_F64Parameter:$beta_fast,
    R1_F64Parameter:$beta_slow,
    R1_F64Parameter:$mscale,
    R1_F64Parameter:$mscale_all_dim
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def R1_Llama3ScalingAttr : R1_Attr<"Llama3Scaling", "llama3"> {
  let summary = "Llama 3 rope scaling (`rope_scaling.rope_type = llama3`)";
  let description = [{
    Inverse frequencies with wavelength above
    original_max_positions / low_freq_factor are divided by `factor`, those
    below original_max_positions / high_freq_factor are kept, and those in
    between are interpolated smoothly.
  }];
  let parameters = (ins
    R1_F64Parameter:$factor,
    R1_F64Parameter:$low_freq_factor,
    R1_F64Parameter:$high_freq_factor,
    "int64_t":$original_max_positions
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def R1_RopeScalingAttr : AnyAttrOf<[R1_YarnScalingAttr, R1_Llama3ScalingAttr]>;

//===----------------------------------------------------------------------===//
// Model summary
//===----------------------------------------------------------------------===//

def R1_ModelAttr : R1_Attr<"Model", "model"> {
  let summary = "what the runtime needs to know about the model as a whole";
  let description = [{
    Attached to the module as `r1.model`. `architecture` is the config's
    `model_type`; `eos` lists every end-of-sequence id (some configs give
    several); `bos` is -1 when the config has none.
  }];
  let parameters = (ins
    StringRefParameter<"config model_type">:$architecture,
    "int64_t":$vocab_size,
    "int64_t":$hidden_size,
    "int64_t":$num_layers,
    "int64_t":$num_mtp_layers,
    "int64_t":$max_positions,
    "int64_t":$bos,
    R1_I64ListParameter:$eos
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // R1_ATTRS_TD
