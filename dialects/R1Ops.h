//===- R1Ops.h - r1 operations (and the whole dialect) --------------------===//
#ifndef R1C_DIALECTS_R1OPS_H
#define R1C_DIALECTS_R1OPS_H

#include "dialects/R1Types.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace r1 {

/// The KV cache: `r1.attention` reads and writes it. A resource of its own,
/// so that attention ops are ordered among themselves but nothing else is
/// ordered against them.
struct KVCacheResource : public mlir::SideEffects::Resource::Base<KVCacheResource> {
  llvm::StringRef getName() override { return "KVCache"; }
};

/// The placeholder in a stacked weight's `source` that stands for the expert
/// index.
inline constexpr llvm::StringLiteral kExpertPlaceholder = "{expert}";

/// `sourceTemplate` with its expert placeholder replaced by `expert` (the
/// template itself when it has none).
std::string expertSourceName(llvm::StringRef sourceTemplate, int64_t expert);

} // namespace r1

#define GET_OP_CLASSES
#include "dialects/R1Ops.h.inc"

#endif // R1C_DIALECTS_R1OPS_H
