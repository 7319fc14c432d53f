//===- Checkpoint.h - The safetensors files of a Hugging Face model -------===//
//
// A model directory holds either one `model.safetensors` or shards listed by
// `model.safetensors.index.json` (its "weight_map" maps tensor name -> shard
// file). Checkpoint opens whichever is present and answers "where is tensor X"
// across all shards. Only headers are parsed; data stays mapped.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_CHECKPOINT_H
#define R1C_COMPILER_CHECKPOINT_H

#include "compiler/SafetensorsReader.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace r1 {

/// A tensor of the checkpoint and the file that holds it.
struct CheckpointTensor {
  const TensorInfo *info = nullptr;
  const SafetensorsFile *file = nullptr;
};

class Checkpoint {
public:
  /// Opens the safetensors of `modelDir`:
  ///  - with `model.safetensors.index.json`: every shard its weight_map names
  ///    (an index naming a missing shard, a tensor absent from the shard the
  ///    index assigns it to, or invalid index JSON is an error naming the
  ///    index file, the shard and the tensor); a tensor found in a shard but
  ///    not listed in the index is reported by unindexedTensors();
  ///  - else `model.safetensors`;
  ///  - else an error saying neither exists and that `--config-only` imports
  ///    without weights.
  /// The same tensor name in two shards is an error.
  static llvm::Expected<std::unique_ptr<Checkpoint>> open(llvm::StringRef modelDir);

  /// The file that stands for the whole checkpoint in messages: the index,
  /// or the single safetensors file.
  const std::string &path() const { return path_; }

  /// The tensor named `name`, or {nullptr, nullptr}.
  CheckpointTensor find(llvm::StringRef name) const;

  /// All tensor names, sorted.
  std::vector<std::string> tensorNames() const;

  /// Shard files in the order they were opened.
  const std::vector<std::unique_ptr<SafetensorsFile>> &files() const { return files_; }

  /// Tensors present in a shard but absent from the index's weight_map
  /// (callers warn about them); empty for a single-file checkpoint.
  const std::vector<std::string> &unindexedTensors() const { return unindexed_; }

  /// Total size of all tensor data in bytes.
  uint64_t totalBytes() const;

private:
  Checkpoint() = default;

  std::string path_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  llvm::StringMap<CheckpointTensor> tensors_;
  std::vector<std::string> unindexed_;
};

} // namespace r1

#endif // R1C_COMPILER_CHECKPOINT_H
