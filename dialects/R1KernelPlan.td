//===- R1KernelPlan.td - The r1k dialect: a launch plan of kernels -*- tablegen -*-===//
//
// r1k is the kernel-level IR between the model-level r1 dialect and a code
// generator. A plan is a straight line of kernel launches over planned
// buffers; every kernel is a specialization (all dimensions constant) that a
// backend turns into code.
//
//===----------------------------------------------------------------------===//

#ifndef R1_KERNEL_PLAN_TD
#define R1_KERNEL_PLAN_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "dialects/R1Types.td"

def R1K_Dialect : Dialect {
  let name = "r1k";
  let cppNamespace = "::r1k";
  let summary = "A launch plan of model-specialized kernels over planned memory";
  let description = [{
    `r1-lower-to-kernels` turns the fused `r1` model into this form and
    `r1-plan-memory` places its buffers; the host (C++) backend then emits one
    function per `r1k.kernel` and one entry point per step variant. The
    module holds:

    * `r1k.packed_weight` symbols: the weights as the artifact stores them,
      each the row concatenation of one or more `r1.weight`s converted to the
      packed element type (Q/K/V become one matrix; norm weights and biases
      become f32). The artifact writer streams them from the checkpoint in
      this order;
    * `r1k.kernel` symbols: one per distinct specialization (kind plus
      constant parameters), shared by every launch with the same shape: the
      kernel list of the artifact;
    * `func.func @step(%tokens, %positions, %logits)`: `r1k.buffer`s (arena
      slices, `offset` set by memory planning), views of them, and
      `r1k.launch`es in program order.

    Buffers are memrefs whose first dimension is the step's token count; the
    arena holds `r1k.max_rows` rows of each. Attention launches address the KV
    cache through `kv_offset` (floats per token before their layer's slice).
  }];
}

class R1K_Op<string mnemonic, list<Trait> traits = []>
    : Op<R1K_Dialect, mnemonic, traits>;

def R1K_Buffer : MemRefRankOf<[F32, I32], [1, 2, 3]>;

def R1K_PackedWeightOp : R1K_Op<"packed_weight", [Symbol,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "A weight as the artifact stores it";
  let description = [{
    The concatenation of `sources` (`r1.weight` symbols) along `axis`
    (default 0: rows), converted to the element type of `type`. Sources must
    agree in every other dimension; the element type is the sources' own or
    f32. FP8 block-scaled sources are packed as their raw FP8 codes (the
    layout of the packed type is plain), and a second packed weight with
    `row_scales` holds their block scales expanded to one row of scales per
    weight row ([rows, ceil(cols / block)] f32), so that the rows of
    concatenated sources need not fall on block boundaries. Integer sources
    (`#r1.group_scaled<G, f16>`, made by `r1c compile --quant int8|int4`) are
    packed as their codes with the same layout (int4: two per byte, the even
    element in the low nibble, each nibble q + 8), and their `row_scales`
    companion holds the group scales, [rows, cols / G] of the scale type.
    Stacked expert
    weights ([E, rows, cols]) concatenate along axis 1: expert e's gate rows,
    then its up rows. `mtp` marks weights of the multi-token-prediction
    layer, kept for speculative decoding but read by no step.

    `head_rows = array<i64: P, O, N>` (one 2-D source [G * P, C]) keeps rows
    O .. O + N of each group of P rows: [G * N, C]; with `transpose` each
    group's [N, C] block is stored transposed: [G * C, N]. This is MLA's
    weight absorption at compile time: W_UK^T per head from kv_b_proj. An
    FP8 source stays FP8 when every 128-column block of the result falls in
    one block of source scales (P a multiple of 128 and of the scale block's
    rows; its `row_scales` companion then holds the transposed scales); else
    it is packed as f32, dequantized with its block scales (exact).

    ```mlir
    r1k.packed_weight @qkv0 : !r1.weight<256x128xbf16> = [@q0, @k0, @v0]
    r1k.packed_weight @gate_up : !r1.weight<16x128x128xf8E4M3FN> = [@gate, @up] {axis = 1 : i64}
    r1k.packed_weight @gate_up_scales : !r1.weight<16x128x1xf32> = [@gate, @up] {axis = 1 : i64, row_scales}
    r1k.packed_weight @down : !r1.weight<128x256xi4, #r1.group_scaled<32, f16>> = [@down_proj]
    r1k.packed_weight @down_scales : !r1.weight<128x8xf16> = [@down_proj] {row_scales}
    r1k.packed_weight @w_uk_t : !r1.weight<256x32xf32> = [@kv_b] {head_rows = array<i64: 64, 0, 32>, transpose}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, TypeAttrOf<R1_WeightType>:$type,
                       FlatSymbolRefArrayAttr:$sources,
                       DefaultValuedAttr<I64Attr, "0">:$axis,
                       UnitAttr:$row_scales,
                       UnitAttr:$mtp,
                       OptionalAttr<DenseI64ArrayAttr>:$head_rows,
                       UnitAttr:$transpose);
  let assemblyFormat = "$sym_name `:` $type `=` $sources attr-dict";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::r1::WeightType getWeightType() { return ::llvm::cast<::r1::WeightType>(getType()); }
  }];
}

def R1K_KernelOp : R1K_Op<"kernel", [Symbol]> {
  let summary = "A kernel specialized to constant parameters";
  let description = [{
    `kind` names the computation, `params` its constants. Required params:

    | kind | params |
    |---|---|
    | embed | vocab, hidden, wtype |
    | rms_norm, add_rms_norm | hidden, eps |
    | linear | k, n (array: one per output segment), wtype, bias, norm, eps (when norm) |
    | gated_linear | k, i, wtype, norm, eps (when norm) |
    | rope | heads, dim, interleaved, inv_freq (dim/2 f32) |
    | attention | q_heads, kv_heads, head_dim, v_head_dim, scale |
    | mla | heads, nope, rope, v, rank, scale, wtype (kv_b), wtype_uk (W_UK^T), prefill_absorbed, decode_absorbed |
    | add, mul, silu, sigmoid, softmax | hidden |
    | quantize_f8 | hidden, block (128) |
    | slice | heads, in_row, offset, size |
    | concat | heads, a, b |
    | broadcast | heads, dim |
    | moe_topk | experts, top_k, groups, topk_groups, group_score (0 none, 1 max, 2 top2_sum), bias, normalize, scaling |
    | moe_experts | experts, top_k, hidden, inter, wtype (optional: quantize_activations) |
    | moe_route | hidden, experts, wtype, scoring (0 sigmoid, 1 softmax), and moe_topk's |

    A `moe_route` launch writes ids, weights and its [T, E] scores scratch;
    it computes the router projection in fp32 whatever the precision.

    Projections (`linear`, `gated_linear`, `moe_experts`) with `wtype = "f8"`
    or an integer wtype take one more weight per matrix: its row-expanded
    block scales, or its group scales.

    `wtype` is the weight element type (`f32`, `bf16`, `f16`, `f8` for
    e4m3fn codes with 128-column block scales), or for the projections
    `i8g32`, `i8g64`, `i8g128`, `i4g32`, `i4g64`, `i4g128`: int8 / int4
    codes with one f16 scale per group of 32, 64 or 128 columns
    (`r1c compile --quant`).

    ```mlir
    r1k.kernel @linear_k128_n128_64_64 "linear" {k = 128 : i64, n = array<i64: 128, 64, 64>, wtype = "bf16", bias = true, norm = false}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrAttr:$kind, DictionaryAttr:$params);
  let assemblyFormat = "$sym_name $kind $params attr-dict";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getInt(::llvm::StringRef name);
    bool getBool(::llvm::StringRef name);
    double getF64(::llvm::StringRef name);
    ::llvm::ArrayRef<int64_t> getInts(::llvm::StringRef name);
    ::llvm::StringRef getStr(::llvm::StringRef name);
  }];
}

def R1K_BufferOp : R1K_Op<"buffer", [Pure]> {
  let summary = "An activation buffer in the step's arena";
  let description = [{
    A slice of the arena sized for the plan's maximum rows; `offset` (bytes)
    is set by `r1-plan-memory` and absent before it.

    ```mlir
    %0 = r1k.buffer offset 4096 : memref<?x128xf32>
    ```
  }];
  let arguments = (ins OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$offset);
  let results = (outs R1K_Buffer:$result);
  let assemblyFormat = "(`offset` $offset^)? attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def R1K_ViewOp : R1K_Op<"view", [Pure]> {
  let summary = "The same bytes seen with another row shape (a reshape)";
  let arguments = (ins R1K_Buffer:$source);
  let results = (outs R1K_Buffer:$result);
  let assemblyFormat = "$source attr-dict `:` type($source) `->` type($result)";
  let hasVerifier = 1;
}

def R1K_LogitsRowsOp : R1K_Op<"logits_rows", [Pure, AllTypesMatch<["source", "result"]>]> {
  let summary = "The rows whose logits the caller asked for";
  let description = [{
    All rows of `source`, or only its last one when the caller wants the
    logits of the last position only (generation). Placed before the final
    norm and projection so prefill does not project every position onto the
    vocabulary.
  }];
  let arguments = (ins R1K_Buffer:$source);
  let results = (outs R1K_Buffer:$result);
  let assemblyFormat = "$source attr-dict `:` type($source)";
}

def R1K_LaunchOp : R1K_Op<"launch", [AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Runs a kernel on buffers and packed weights";
  let description = [{
    Reads `ins`, writes `outs`. The number of each and of `weights` is fixed
    by the kernel's kind (see `r1k.kernel`); weights of a `linear` are the
    matrix, then the bias (when `bias`), then the norm weight (when `norm`).
    Attention and mla launches carry `kv_offset`: the floats per token of
    the KV cache that precede this layer's keys and values (mla: its
    [latent | k_pe] rows). An mla launch reads q, latent, k_pe, positions;
    its weights are kv_b (+ FP8 scales), then W_UK^T (+ scales) when a
    phase is absorbed.

    ```mlir
    r1k.launch @rms_norm_128(%0) -> (%1) weights [@norm0] : (memref<?x128xf32>) -> (memref<?x128xf32>)
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$kernel,
                       Arg<Variadic<R1K_Buffer>, "", [MemRead]>:$ins,
                       Arg<Variadic<R1K_Buffer>, "", [MemWrite]>:$outs,
                       FlatSymbolRefArrayAttr:$weights,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$kv_offset);
  let assemblyFormat = [{
    $kernel `(` $ins `)` `->` `(` $outs `)` `weights` $weights attr-dict
    `:` `(` type($ins) `)` `->` `(` type($outs) `)`
  }];
}

#endif // R1_KERNEL_PLAN_TD
