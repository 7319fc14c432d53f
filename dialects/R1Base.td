//===- R1Base.td - The r1 dialect and its base classes ----*- tablegen -*-===//
//
// The r1 dialect describes a decoder-only language model of the DeepSeek-R1
// family at the level of layer primitives. This file holds the dialect
// definition with its design notes and the base classes every r1 op,
// attribute and type derives from.
//
//===----------------------------------------------------------------------===//

#ifndef R1_BASE_TD
#define R1_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def R1_Dialect : Dialect {
  let name = "r1";
  let cppNamespace = "::r1";
  let summary = "Layer primitives of decoder-only LLMs (DeepSeek-V3/R1, V2, Qwen2, Llama 3)";
  let description = [{
    The `r1` dialect is r1c's model-level IR. The importer turns a Hugging
    Face model directory into one `builtin.module` holding:

    * one `r1.weight` symbol per weight tensor of the artifact: name, shape,
      element type and *layout* (plain, FP8 block-scaled, integer
      group-scaled) plus the checkpoint tensor(s) it comes from. Weights are
      never inlined as constants: R1 is 685 GB, and the bytes stay in the
      safetensors files until the artifact writer streams them;
    * `func.func @forward(%tokens, %positions) -> logits`: the model applied to
      a chunk of new tokens at the given positions, attending over everything
      cached before them. Prefill and decode are the same function with
      different chunk lengths (the token dimension is dynamic, `?`);
    * for DeepSeek-V3/R1, `func.func @mtp`: the multi-token-prediction layer,
      kept out of `@forward` because it is not part of next-token logits.

    Ops work on activations (`tensor<?x...xf32>`, first dimension = tokens) and
    on weights (`!r1.weight<...>`, obtained with `r1.weight.get`). Ops are the
    primitives the Hugging Face implementations are written in (`r1.linear`,
    `r1.rms_norm`, `r1.rope`, `r1.attention`, `r1.moe.topk`, ...), so that the
    imported IR can be checked line by line against the reference semantics;
    fusions (MLA absorption, MoE routing, QKV, gate/up) are passes that
    rewrite these primitives.

    Layouts are attributes on the weight type, in the manner of Triton's
    encodings: a pass changes the storage format of a weight by changing its
    type, and every consumer's verifier sees the change.

    The KV cache is implicit state: `r1.attention` reads and writes the cache
    slot of its `layer`, which its memory effects declare, so no pass can
    reorder or drop it.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::func::FuncDialect"];
  let extraClassDeclaration = [{
    void registerAttributes();
    void registerTypes();
  }];
}

/// Base of every r1 op.
class R1_Op<string mnemonic, list<Trait> traits = []>
    : Op<R1_Dialect, mnemonic, traits>;

class R1_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<R1_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

class R1_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<R1_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

/// A double-precision attribute parameter, printed and parsed as an MLIR
/// float literal (APFloat, because attribute storage must be hashable).
def R1_F64Parameter : APFloatParameter<"a 64-bit float"> {
  let parser = [{ [&]() -> ::mlir::FailureOr<::llvm::APFloat> {
    double value;
    if ($_parser.parseFloat(value))
      return ::mlir::failure();
    return ::llvm::APFloat(value);
  }() }];
  let printer = [{ $_printer.printFloat($_self) }];
}

/// A list of integers printed and parsed in brackets: `[1, 2]`. (The plain
/// ArrayRefParameter prints no brackets, which is ambiguous inside struct().)
def R1_I64ListParameter : ArrayRefParameter<"int64_t", "a list of integers"> {
  let parser = [{ [&]() -> ::mlir::FailureOr<::llvm::SmallVector<int64_t>> {
    ::llvm::SmallVector<int64_t> values;
    if ($_parser.parseCommaSeparatedList(::mlir::AsmParser::Delimiter::Square,
            [&]() { return $_parser.parseInteger(values.emplace_back()); }))
      return ::mlir::failure();
    return values;
  }() }];
  let printer = [{ [&]() {
    $_printer << '[';
    ::llvm::interleaveComma($_self, $_printer);
    $_printer << ']';
  }() }];
}

#endif // R1_BASE_TD
