//===- HostToolchain.h - Compiling generated C++ into a shared object -----===//
//
// The host backend's last step runs the system C++ compiler on the generated
// translation unit and the embedded kernel headers. The compiler is
// --cxx, else $R1C_CXX, else the first of clang++-22, clang++, g++, c++ on PATH.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_HOSTTOOLCHAIN_H
#define R1C_COMPILER_HOSTTOOLCHAIN_H

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace r1 {

struct CxxCompiler {
  std::string path;
};

/// Finds the C++ compiler (see above); `requested` is --cxx (may be empty).
llvm::Expected<CxxCompiler> findCxxCompiler(llvm::StringRef requested);

/// The flags every host artifact is compiled with, before the target's.
std::vector<std::string> baseCxxFlags();

/// Which embedded headers a compile writes next to the source.
enum class EmbeddedHeaders {
  Host, // codegen/host/kernels/ and R1Abi.h: a host artifact's code
  Cuda, // codegen/cuda/kernels/: CUDA kernels built for the host emulation
};

/// Compiles `source` with the embedded headers and `flags` into a shared
/// object and returns its bytes. On failure the error quotes the first
/// compiler message and keeps the work directory for inspection.
llvm::Expected<std::vector<char>> compileSharedObject(const CxxCompiler &cxx,
                                                      llvm::StringRef source,
                                                      const std::vector<std::string> &flags,
                                                      EmbeddedHeaders headers = EmbeddedHeaders::Host);

} // namespace r1

#endif // R1C_COMPILER_HOSTTOOLCHAIN_H
