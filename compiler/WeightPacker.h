//===- WeightPacker.h - Streaming packed weights into an artifact ---------===//
//
// Writes every r1k.packed_weight of a plan, in module order, into the
// artifact's `weights` section: each source tensor is read from its
// safetensors file in bounded chunks, converted to the packed element type
// and appended, so a model of any size is packed in constant memory: tensors
// are read with pread (not through the mapping) and dropped from the page cache.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_WEIGHTPACKER_H
#define R1C_COMPILER_WEIGHTPACKER_H

#include "compiler/Checkpoint.h"
#include "runtime/ArtifactWriter.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/Error.h"

#include <nlohmann/json.hpp>

#include <functional>

namespace r1 {

/// Where packing is: bytes and packed weights written so far, and the totals.
struct PackStatus {
  uint64_t bytesDone = 0, bytesTotal = 0;
  uint64_t weightsDone = 0, weightsTotal = 0;
};

/// Called now and then (every chunk and after every weight).
using PackProgress = std::function<void(const PackStatus &)>;

/// Writes the weights section; returns the manifest's "weights" list (name,
/// dtype, shape, offset, bytes, layout, sources), in the order the generated
/// code indexes them.
llvm::Expected<nlohmann::json> packWeights(mlir::ModuleOp plan, const Checkpoint &checkpoint,
                                           runtime::ArtifactWriter &writer,
                                           const PackProgress &progress);

/// Total bytes packWeights will write (for progress and the manifest).
uint64_t packedWeightBytes(mlir::ModuleOp plan);

/// Bytes of packed weights one decode step reads per token (the manifest's
/// memory.decode_weight_bytes_per_token, r1run bench's roofline): every
/// launch's weights, counted per launch, except one row of an embedding
/// table and top_k / experts of stacked expert weights. An upper bound where
/// a kernel skips part of a weight (MLA's absorbed decode reads W_UK^T and
/// kv_b's value rows, not its key rows).
uint64_t decodeWeightBytesPerToken(mlir::ModuleOp plan);

} // namespace r1

#endif // R1C_COMPILER_WEIGHTPACKER_H
