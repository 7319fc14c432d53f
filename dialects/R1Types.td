//===- R1Types.td - r1 types ----------------------------*- tablegen -*-===//

#ifndef R1_TYPES_TD
#define R1_TYPES_TD

include "dialects/R1Attrs.td"

def R1_WeightType : R1_Type<"Weight", "weight"> {
  let summary = "a model weight: shape, element type and storage layout";
  let description = [{
    The type of a weight symbol and of the value `r1.weight.get` returns.
    The layout (an attribute implementing `WeightLayoutAttrInterface`) says
    how the elements are stored and which scales go with them; it is omitted
    from the text when it is `#r1.plain`:

    ```mlir
    !r1.weight<128xbf16>                                      // a norm weight
    !r1.weight<1536x7168xf8E4M3FN, #r1.block_scaled<[128, 128]>>   // R1's q_a_proj
    !r1.weight<256x2048x7168xf8E4M3FN, #r1.block_scaled<[128, 128]>> // 256 stacked experts
    ```

    All dimensions are static and positive.
  }];
  let parameters = (ins
    ArrayRefParameter<"int64_t", "dimensions">:$shape,
    "::mlir::Type":$elementType,
    "::r1::WeightLayoutAttrInterface":$layout
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    // A weight in the plain layout.
    TypeBuilderWithInferredContext<(ins "::llvm::ArrayRef<int64_t>":$shape,
                                        "::mlir::Type":$elementType), [{
      return $_get(elementType.getContext(), shape, elementType,
                   ::r1::PlainLayoutAttr::get(elementType.getContext()));
    }]>,
  ];
  let extraClassDeclaration = [{
    int64_t getRank() const { return getShape().size(); }
    int64_t getNumElements() const;
    /// The shape of the accompanying scale tensor (empty when none).
    ::llvm::SmallVector<int64_t> getScaleShape() const {
      return getLayout().getScaleShape(getShape());
    }
  }];
}

#endif // R1_TYPES_TD
