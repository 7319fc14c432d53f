//===- OutputFile.h - Writing outputs atomically ---------------------------===//
//
// Every file r1c writes appears whole or not at all: the content goes to a
// temporary file in the same directory, which is renamed over the target
// only when complete. "-" writes to stdout.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_OUTPUTFILE_H
#define R1C_COMPILER_OUTPUTFILE_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace r1 {

/// Writes `path` (or stdout for "-") with `write`; on any error, including one
/// `write` returns, the target is left as it was. Errors name the path.
llvm::Error writeFileAtomically(llvm::StringRef path,
                                llvm::function_ref<llvm::Error(llvm::raw_ostream &)> write);

} // namespace r1

#endif // R1C_COMPILER_OUTPUTFILE_H
