//===- CompileDriver.h - r1c compile: model directory -> artifact ---------===//
//
// The phases of a compile, in order; each can be the last (--compile-to) and
// each can be dumped (--dump-phases-to):
//
//   import   config.json + safetensors -> r1 module            (1-import.mlir)
//   fuse     CPU fusions: SwiGLU, QKV, residual+norm, norm+proj (2-fuse.mlir)
//   lower    r1 -> r1k launch plan, packed weights, kernels     (3-lower.mlir)
//   plan     arena and KV-cache planning                        (4-plan.mlir)
//   codegen  r1k -> C++ with every dimension constant           (5-codegen.cpp)
//   package  compile the C++, stream the weights, write .r1     (6-manifest.json)
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_COMPILEDRIVER_H
#define R1C_COMPILER_COMPILEDRIVER_H

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace r1 {

/// The phase names, in order.
const std::vector<std::string> &compilePhases();

struct CompileOptions {
  std::string modelDir;
  /// The artifact (or, with compileTo before package, that phase's text).
  std::string output;
  std::string target = "host";
  std::string compileTo = "package";
  /// Writes every phase's output here when not empty.
  std::string dumpPhasesTo;
  /// --cxx: the C++ compiler (empty: $R1C_CXX, clang++-22, clang++, g++, c++).
  std::string cxx;
  /// Most tokens one step processes (prompts are fed in chunks of this).
  int64_t maxStepTokens = 256;
  /// Keep the MTP layer's weights in the artifact (for speculative decoding
  /// later); --no-mtp drops them.
  bool keepMtp = true;
  /// DeepSeek MLA's form per phase (r1-fuse-mla): "auto" (the cost model,
  /// from the target's figures), "materialized" or "absorbed".
  std::string mlaPrefill = "auto";
  std::string mlaDecode = "auto";
  /// DeepSeek's W8A8 recipe: activations quantized per 1x128 block before
  /// FP8 projections (r1-select-weight-layout's w8a8).
  bool w8a8 = false;
  /// --quant: convert projection weights to bf16, fp8, int8 or int4 at
  /// compile time (empty: keep the checkpoint's types).
  std::string quant;
  /// --quant-group: columns per int8/int4 scale; 0 is the target's default
  /// (32 on host, 128 on CUDA targets).
  int64_t quantGroup = 0;
  /// CUDA targets: the toolkit (--cuda-path; empty: $R1C_CUDA_PATH,
  /// $CUDA_HOME, /usr/local/cuda, PATH).
  std::string cudaPath;
  /// CUDA targets: also build the kernels for the host emulation into the
  /// artifact (section code.emulation), so that r1run --device emulated can
  /// run them on a CPU. For tests; slow.
  bool emulation = false;
  /// CUDA targets: NAME=FILE.ptx, a kernel replaced by an engineer's PTX
  /// entry of the same name and parameters (checked, then assembled by ptxas).
  std::vector<std::string> kernelOverrides;
  /// Draw the weights' progress as a bar redrawn in place (stderr is a
  /// terminal); else plain lines every 2 s.
  bool progressBar = false;
  /// The command line, recorded in the artifact and the generated code.
  std::string commandLine;
};

/// What went wrong, for the exit code.
enum class CompileFailure { BadInput, Output, Tool };

/// Runs the phases; progress lines go to `log`. Errors are one line; their
/// kind is stored in `*failure`.
llvm::Error compileModel(const CompileOptions &options, llvm::raw_ostream &log,
                         CompileFailure *failure);

} // namespace r1

#endif // R1C_COMPILER_COMPILEDRIVER_H
