//===- Passes.td - Lowering r1 to a kernel plan, and planning memory -*- tablegen -*-===//
//
// The codegen component's passes: they take the fused r1 model to the r1k
// launch plan that a backend (codegen/host) emits code from.
//
//===----------------------------------------------------------------------===//

#ifndef R1_CODEGEN_PASSES_TD
#define R1_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def R1LowerToKernels : Pass<"r1-lower-to-kernels", "mlir::ModuleOp"> {
  let summary = "Lowers the r1 model to a launch plan of specialized r1k kernels";
  let description = [{
    Rewrites `func.func @forward` (tensors, r1 ops) into `func.func @step`
    (buffers, `r1k.launch`es), in four steps:

    1. every r1 op becomes one launch of a kernel specialized to its constant
       shape (`r1k.kernel`, shared by all launches of that shape: a 28-layer
       model has one QKV kernel, not 28);
    2. every weight operand becomes an `r1k.packed_weight`: the operands of a
       fused projection are stacked into one matrix, norm weights and biases
       become f32, tied embeddings stay one weight;
    3. tensors become `r1k.buffer`s (placed later by `r1-plan-memory`),
       reshapes become `r1k.view`s, and attention launches get their KV-cache
       slice (`kv_offset`, floats per token before the layer);
    4. the final projection reads `r1k.logits_rows` of its input and writes
       the `%logits` argument, so a generation step projects only the last
       position onto the vocabulary.

    ```mlir
    // before
    %q, %k, %v = r1.fused_linear %h weights(%wq, %wk, %wv) biases(%bq, %bk, %bv) : ...
    // after
    r1k.packed_weight @"l0.qkv" : !r1.weight<256x128xbf16> = [@wq, @wk, @wv]
    r1k.kernel @linear_1 "linear" {bias = true, k = 128 : i64, n = array<i64: 128, 64, 64>, norm = false, wtype = "bf16"}
    r1k.launch @linear_1(%h) -> (%q, %k, %v) weights [@"l0.qkv", @"l0.qkv_bias"] : ...
    ```

    Ops this backend has no kernel for are errors that name the op and the
    layer.

    DeepSeek-V3's multi-token-prediction layer (`@mtp`) has no entry point
    yet; with `keep-mtp` its weights are packed anyway (marked `mtp`), after
    every weight the step reads, so the artifact keeps them for speculative
    decoding; without it they are left out. `@forward`'s hidden-state result,
    which only feeds `@mtp`, is ignored either way.
  }];
  let options = [
    Option<"keepMtp", "keep-mtp", "bool", /*default=*/"false",
           "Pack the MTP layer's weights into the plan (unused by the step)">
  ];
  let dependentDialects = ["::r1k::R1KDialect", "::mlir::memref::MemRefDialect"];
}

def R1PlanMemory : Pass<"r1-plan-memory", "mlir::ModuleOp"> {
  let summary = "Places every buffer of the plan in one arena and sizes the KV cache";
  let description = [{
    Gives each `r1k.buffer` of `@step` a byte `offset` in one arena sized for
    `max-rows` tokens per step, reusing memory of buffers whose last reader
    has run (liveness over the straight-line plan, views counted as uses of
    their source; first fit, 64-byte aligned). Records on `@step`:

    * `r1k.max_rows`: the most tokens one step may process (longer prompts
      are fed in chunks by the runtime);
    * `r1k.arena_bytes`: the arena the runtime allocates;
    * `r1k.kv_bytes_per_token`: the KV cache the runtime allocates per token
      of context (f32 keys and values of every layer).

    ```mlir
    %0 = r1k.buffer : memref<?x128xf32>            // before
    %0 = r1k.buffer offset 65536 : memref<?x128xf32> // after
    ```
  }];
  let options = [
    Option<"maxRows", "max-rows", "int64_t", /*default=*/"256",
           "Most tokens one step processes (the arena is sized for this)">
  ];
}

#endif // R1_CODEGEN_PASSES_TD
