//===- CudaPlan.h - The launch plan of a CUDA artifact --------------------===//
//
// What r1c's CUDA code generator (codegen/cuda/CudaEmitter.cpp) records in the
// manifest's "cuda" object: the kernels of the fatbin with their launch
// geometry, and per phase (prefill: any row count; decode: one row) the
// launches in order with their arguments. Parsing validates every field the
// executor uses, so that a corrupt manifest is a one-line error, never an
// out-of-bounds device address. docs/cuda.md, "The launch plan", is the
// format's reference.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_CUDA_CUDAPLAN_H
#define R1C_RUNTIME_CUDA_CUDAPLAN_H

#include "runtime/Manifest.h"
#include "runtime/Status.h"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace r1::runtime {

struct PlanKernel {
  std::string name;
  unsigned threads = 0;
  /// The grid for one block of rows; grid[rowsDim] is multiplied by
  /// ceil(rows * rowsScale / rowsPerBlock), at most rowsCap (rowsDim -1: the
  /// grid does not grow).
  std::array<uint64_t, 3> grid = {1, 1, 1};
  int rowsDim = -1;
  uint64_t rowsPerBlock = 1;
  /// The multiplier is min(rowsCap, ceil(rows * rowsScale / rowsPerBlock));
  /// rowsCap 0: no cap.
  uint64_t rowsScale = 1, rowsCap = 0;
  uint64_t dynamicSharedBytes = 0;
};

/// One kernel argument, 8 bytes: a device address or an integer.
struct PlanArg {
  enum class Kind {
    Arena,     // arena + value bytes (+ (rows - logits rows) * lastRowsOf floats)
    Weight,    // the address of weight `value`
    Kv,        // KV cache + value * capacity floats: one layer's slice
    Tokens,    // the step's token ids (int32)
    Positions, // their positions (int32)
    Blocks,    // the sequence's KV block table (int32; 64 cache rows a block)
    Logits,    // the logits output [logits rows, vocab]
    Rows,      // the launch's row count, int64
    Null,      // a null pointer (an absent optional input)
  };
  Kind kind = Kind::Null;
  uint64_t value = 0;
  uint64_t lastRowsOf = 0;
};

struct PlanLaunch {
  size_t kernel = 0;
  /// Rows: the step's logits rows (1 or all) rather than its tokens.
  bool logitsRows = false;
  std::vector<PlanArg> args;
};

struct CudaPlan {
  std::vector<PlanKernel> kernels;
  std::vector<PlanLaunch> prefill, decode;
  /// The kernel that samples a token from the last logits row ("sampler":
  /// (logits, const SampleParams *, int32_t *token), one block); absent in
  /// artifacts made before it existed: then the host samples.
  std::optional<size_t> sampler;
  /// Section of the host-emulation code; empty when the artifact has none.
  std::string emulationSection;
};

/// Reads manifest["cuda"] of `file`, checking every launch against `m`
/// (arena, KV cache and weight bounds, kernel names).
Result<CudaPlan> parseCudaPlan(const nlohmann::json &manifest, const ModelManifest &m,
                               const std::string &file);

} // namespace r1::runtime

#endif // R1C_RUNTIME_CUDA_CUDAPLAN_H
