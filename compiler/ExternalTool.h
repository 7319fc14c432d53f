//===- ExternalTool.h - Running the toolchains r1c drives -----------------===//
//
// The backends end by running external compilers: the C++ compiler for host
// code (HostToolchain), nvcc, ptxas and fatbinary for CUDA code
// (CudaToolchain). Both write their inputs to a fresh work directory, run the
// tools with stdout and stderr going to a log file there, and on failure quote
// the log's first error and keep the directory for inspection.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_EXTERNALTOOL_H
#define R1C_COMPILER_EXTERNALTOOL_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace r1 {

/// A one-line error (what every toolchain failure is).
llvm::Error toolError(const llvm::Twine &message);

/// A new directory under the system's temporary directory, named
/// `<prefix>-XXXXXX`.
llvm::Expected<std::string> createWorkDirectory(llvm::StringRef prefix);

/// `dir`/`name`.
std::string pathIn(llvm::StringRef dir, llvm::StringRef name);

/// Writes `contents` to `path`; the error names the path.
llvm::Error writeTextFile(llvm::StringRef path, llvm::StringRef contents);

/// One run of a tool: `args[0]` is the program's path; stdout and stderr both
/// go to `log`.
struct ToolInvocation {
  std::vector<std::string> args;
  std::string log;
};

struct ToolResult {
  /// The exit status; -1 when the tool could not be started or crashed.
  int exitCode = -1;
  /// Why it could not run or how it died, from the OS (may be empty).
  std::string message;
  /// Wall-clock seconds from the start of the batch until it was seen done
  /// (exact for runTool), and CPU seconds (user + system) of the tool.
  double seconds = 0;
  double cpuSeconds = 0;
};

/// Runs `invocation` and waits for it.
ToolResult runTool(const ToolInvocation &invocation);

/// Starts every invocation at once, then waits for all of them; results are
/// in the order given.
std::vector<ToolResult> runToolsConcurrently(llvm::ArrayRef<ToolInvocation> invocations);

/// The first line of the log file `path` that mentions "error", else its
/// first line; empty when the file cannot be read.
std::string firstErrorLine(llvm::StringRef path);

} // namespace r1

#endif // R1C_COMPILER_EXTERNALTOOL_H
