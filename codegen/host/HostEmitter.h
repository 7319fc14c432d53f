//===- HostEmitter.h - r1k plan -> C++ for the host CPU -------------------===//
//
// The host backend's code generator: one C++ translation unit per model in
// which every dimension is a constant. It instantiates the kernel templates
// of codegen/host/kernels/ once per r1k.kernel and calls them in plan order
// from the two entry points of runtime/R1Abi.h (r1_prefill for any number
// of rows, r1_decode specialized to one row).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_HOST_HOSTEMITTER_H
#define R1C_CODEGEN_HOST_HOSTEMITTER_H

#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/Error.h"

#include <string>

namespace r1 {

struct HostEmitOptions {
  /// What r1_code_identity() returns; recorded in the manifest too.
  std::string identity;
  /// Said in the generated file's header comment.
  std::string generatedBy;
};

/// C++ source for a module after r1-plan-memory.
llvm::Expected<std::string> emitHostCpp(mlir::ModuleOp plan, const HostEmitOptions &options);

} // namespace r1

#endif // R1C_CODEGEN_HOST_HOSTEMITTER_H
