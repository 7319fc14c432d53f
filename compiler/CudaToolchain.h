//===- CudaToolchain.h - Compiling CUDA source into a fatbin --------------===//
//
// The CUDA backend's last step, like HostToolchain's for the CPU: run NVIDIA's
// tools on generated CUDA C++ and package the result. Per target (sm_80,
// sm_89, sm_90a, sm_100a) nvcc compiles the source to PTX and ptxas assembles the PTX
// into a cubin, reporting each kernel's registers, spills and shared memory
// (`ptxas -v`); fatbinary then packs every cubin and its PTX into one fatbin,
// which the runtime loads with cuModuleLoadData. docs/cuda.md describes the
// commands, the fatbin layout and what the figures mean.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_CUDATOOLCHAIN_H
#define R1C_COMPILER_CUDATOOLCHAIN_H

#include "compiler/CudaResources.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <string>
#include <vector>

namespace r1 {

/// Where nvcc, ptxas and fatbinary are.
struct CudaToolkit {
  /// The toolkit directory (holding bin/), or empty when the tools were found
  /// one by one on PATH.
  std::string root;
  std::string nvcc, ptxas, fatbinary;
  /// "13.0", from `nvcc --version`.
  std::string version;
  /// How it was found: "--cuda-path", "R1C_CUDA_PATH", "CUDA_HOME",
  /// "/usr/local/cuda" or "PATH".
  std::string foundBy;
};

/// Finds the toolkit: `requested` (--cuda-path; may be empty), else
/// $R1C_CUDA_PATH (both must hold bin/nvcc, bin/ptxas and bin/fatbinary),
/// else the first complete one of $CUDA_HOME, /usr/local/cuda, PATH. It must
/// be CUDA 12.0 or later (sm_90a). The error is one line naming what is
/// missing where and how to install it.
llvm::Expected<CudaToolkit> findCudaToolkit(llvm::StringRef requested = "");

/// The targets compileCudaFatbin accepts, oldest first: sm_80, sm_89, sm_90a,
/// sm_100a.
llvm::ArrayRef<const char *> cudaTargetNames();

/// An error when `toolkit` predates `target` (sm_100a needs CUDA 12.8); none
/// when its version is unknown, since nvcc then says so itself.
llvm::Error checkCudaTargetSupported(const CudaToolkit &toolkit, llvm::StringRef target);

struct CudaCompileOptions {
  /// Passed to nvcc after r1c's own flags (-D..., -lineinfo, -std=c++20).
  std::vector<std::string> nvccFlags;
  /// Passed to ptxas after r1c's own flags (--maxrregcount=N).
  std::vector<std::string> ptxasFlags;
  /// Keep the work directory (source, PTX, cubins, logs) on success too.
  bool keepWorkDirectory = false;
  /// Write the embedded CUDA kernel headers (codegen/cuda/kernels/) next to
  /// the source, on nvcc's include path: what generated code includes.
  bool withKernelHeaders = false;
  /// Store PTX uncompressed in the fatbin (fatbinary --compress=false), so
  /// that tools such as `r1c inspect --ptx` read it back as text.
  bool uncompressedPtx = false;
  /// Called with each target's PTX before ptxas assembles it; returns the PTX
  /// to assemble (r1c compile --kernel-override replaces kernels here).
  std::function<llvm::Expected<std::string>(llvm::StringRef target, std::string ptx)> editPtx;
};

/// What one target produced.
struct CudaTargetOutput {
  /// "sm_80", "sm_89", "sm_90a", "sm_100a".
  std::string target;
  /// The PTX nvcc wrote (also in the fatbin, compressed).
  std::string ptx;
  uint64_t cubinBytes = 0;
  /// ptxas's -v log, and each function's resources read from it.
  std::string ptxasLog;
  std::vector<KernelResources> kernels;
  /// Wall-clock seconds of nvcc and ptxas for this target (the targets'
  /// tools run concurrently).
  double nvccSeconds = 0;
  double ptxasSeconds = 0;
};

struct CudaFatbin {
  /// The fatbin: per target, its cubin and its PTX (readFatbinImages).
  std::vector<char> fatbin;
  std::vector<CudaTargetOutput> targets;
  double fatbinarySeconds = 0;
  /// The work directory, when kept (CudaCompileOptions::keepWorkDirectory).
  std::string workDirectory;
};

/// Compiles the CUDA C++ `source` for `targets` (names of cudaTargetNames())
/// into one fatbin. Runs, in a fresh temporary directory, per target
///   nvcc -ptx -gencode arch=compute_XX,code=sm_XX [nvccFlags] -o kernel.sm_XX.ptx kernel.cu
///   ptxas -v -arch=sm_XX [ptxasFlags] -o kernel.sm_XX.cubin kernel.sm_XX.ptx
/// (the targets concurrently), then
///   fatbinary --create=kernel.fatbin -64 --image3=kind=elf,sm=XX,file=... --image3=kind=ptx,...
/// On failure the error quotes the tool's first error line and names the
/// directory, which is kept; on success it is removed.
llvm::Expected<CudaFatbin> compileCudaFatbin(const CudaToolkit &toolkit, llvm::StringRef source,
                                             llvm::ArrayRef<std::string> targets,
                                             const CudaCompileOptions &options = {});

} // namespace r1

#endif // R1C_COMPILER_CUDATOOLCHAIN_H
