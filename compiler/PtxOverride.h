//===- PtxOverride.h - Replacing a generated kernel with an engineer's PTX --===//
//
// `r1c compile --kernel-override NAME=FILE.ptx` lets an engineer swap one of
// the model's kernels for PTX of their own (hand-written, or from Triton or
// another compiler) without touching r1c. The file must define a `.entry`
// named NAME whose parameters have the same PTX types, in the same order, as
// the generated kernel's (the launch plan passes the same arguments); its
// entry replaces the generated one in the module nvcc produced, before ptxas
// assembles it, so ptxas checks it and reports its resources like any
// kernel's. Module-level declarations of the file (.global, .shared, .const,
// .func) that the generated module lacks are inserted before the entry.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_PTXOVERRIDE_H
#define R1C_COMPILER_PTXOVERRIDE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace r1 {

struct PtxOverride {
  std::string kernel;
  std::string file;
  /// The whole `.entry NAME(...) ... { ... }` text, and the module-level
  /// declarations before it.
  std::string entry;
  std::vector<std::string> declarations;
  /// The parameters' PTX types without names (".param .u64").
  std::vector<std::string> paramTypes;
};

/// Reads NAME=FILE.ptx. Errors (one line, naming the file): no '=', an
/// unreadable file, no `.entry NAME` in it, unbalanced braces.
llvm::Expected<PtxOverride> readPtxOverride(llvm::StringRef spec);

/// The entry named `name` in `ptx`: its text, and its parameters' types.
/// Errors when there is none.
llvm::Expected<std::pair<std::string, std::vector<std::string>>>
findPtxEntry(llvm::StringRef ptx, llvm::StringRef name);

/// `ptx` with the override's entry in place of the generated one. Errors:
/// no such entry in `ptx`, parameter types that differ (both lists named).
llvm::Expected<std::string> applyPtxOverride(llvm::StringRef ptx, const PtxOverride &override);

} // namespace r1

#endif // R1C_COMPILER_PTXOVERRIDE_H
