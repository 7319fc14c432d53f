//===- RopeFrequencies.h - Rotary inverse frequencies, computed at compile time -===//
//
// Backends bake these into the generated code: a kernel never recomputes
// theta^(-2i/d) or the scaling rules at run time.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_ROPEFREQUENCIES_H
#define R1C_CODEGEN_ROPEFREQUENCIES_H

#include "mlir/IR/Attributes.h"
#include "mlir/Support/LLVM.h"

#include "llvm/ADT/SmallVector.h"

namespace r1 {

/// inv_freq[i] for i < dim/2, computed as PyTorch computes it in the Hugging
/// Face models (float32 arithmetic): theta^-(2i/dim), then adjusted by
/// `scaling` (null, #r1.llama3 as transformers does, or #r1.yarn as
/// DeepSeek-V3's reference does). Fails for other scalings.
mlir::FailureOr<llvm::SmallVector<float>> ropeInverseFrequencies(int64_t dim, double theta,
                                                                 mlir::Attribute scaling);

} // namespace r1

#endif // R1C_CODEGEN_ROPEFREQUENCIES_H
