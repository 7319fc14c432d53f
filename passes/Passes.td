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

#endif // R1_PASSES_TD
