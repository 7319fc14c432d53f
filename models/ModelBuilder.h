//===- ModelBuilder.h - Building r1 IR for a model from its config --------===//
//
// ModelBuilder is what the per-architecture files (Qwen2.cpp, Llama.cpp,
// DeepSeekV3.cpp, ...) write against. It does two jobs:
//
//  1. Weights. `weight()` declares an `r1.weight` symbol for a checkpoint
//     tensor and returns its value in the current function. With a
//     checkpoint, it checks the tensor against what the config implies:
//     present, of that shape, of a dtype allowed for its role, with FP8 block
//     scales of the right shape; it records every tensor it consumed so the
//     importer can warn about the rest. Config-only, it takes the dtype the
//     config implies. The first mismatch becomes the import's error; building
//     continues with the expected type so the IR stays well formed.
//  2. Ops. Thin typed helpers (`linear`, `rmsNorm`, `attention`, ...) that
//     compute result types, so the architecture files read like the
//     reference implementations they mirror.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_MODELS_MODELBUILDER_H
#define R1C_MODELS_MODELBUILDER_H

#include "compiler/Checkpoint.h"
#include "compiler/ModelConfig.h"
#include "dialects/R1Ops.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace r1 {

/// What a weight is for. Decides which checkpoint dtypes are allowed for it
/// and, config-only, which one it is assumed to have.
enum class WeightRole {
  /// Attention, MLP and expert projections: BF16/F16/F32, or F8_E4M3 with
  /// block scales in FP8 checkpoints.
  Projection,
  /// Embeddings, norms, router gates, lm_head, biases: never FP8.
  Unquantized,
  /// DeepSeek-V3's e_score_correction_bias: F32 in the checkpoints.
  CorrectionBias,
};

class ModelBuilder {
public:
  /// Builds into `module`. `checkpoint` is null for a config-only import.
  ModelBuilder(mlir::ModuleOp module, const ModelConfig &config, const Checkpoint *checkpoint);

  const ModelConfig &config() const { return config_; }
  mlir::OpBuilder &builder() { return builder_; }

  //===--------------------------------------------------------------------===//
  // Functions and locations
  //===--------------------------------------------------------------------===//

  /// Creates `func.func @name(args) -> results` at the end of the module and
  /// moves the insertion point into its body; returns the arguments.
  mlir::ValueRange beginFunction(llvm::StringRef name, mlir::TypeRange args,
                                 mlir::TypeRange results);
  /// Returns `results` from the function begun last.
  void endFunction(mlir::ValueRange results);

  /// While alive, ops are located at `name` (the Hugging Face module path,
  /// e.g. "model.layers.3.self_attn"), so diagnostics point at the layer.
  class Scope {
  public:
    Scope(ModelBuilder &b, const llvm::Twine &name);
    ~Scope();
    Scope(const Scope &) = delete;
    Scope &operator=(const Scope &) = delete;

  private:
    ModelBuilder &b_;
    mlir::Location saved_;
  };

  //===--------------------------------------------------------------------===//
  // Weights
  //===--------------------------------------------------------------------===//

  /// The checkpoint tensor `name`, declared (once) as a weight of `shape`.
  mlir::Value weight(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                     WeightRole role = WeightRole::Unquantized);

  /// A weight stacking one checkpoint tensor per expert: `sourceTemplate`
  /// holds "{expert}", replaced by 0 .. experts-1; each tensor has
  /// `expertShape`; the weight is [experts, expertShape...] and named
  /// `symbol`.
  mlir::Value expertWeight(llvm::StringRef symbol, llvm::StringRef sourceTemplate,
                           int64_t experts, llvm::ArrayRef<int64_t> expertShape,
                           WeightRole role = WeightRole::Projection);

  /// Whether the checkpoint has tensor `name` (false config-only).
  bool hasTensor(llvm::StringRef name) const;

  //===--------------------------------------------------------------------===//
  // Types
  //===--------------------------------------------------------------------===//

  /// tensor<?x dims... x f32>: an activation with a dynamic token dimension.
  mlir::RankedTensorType activation(llvm::ArrayRef<int64_t> dims);
  /// tensor<?xi32>: token ids or positions.
  mlir::RankedTensorType tokenIds();

  //===--------------------------------------------------------------------===//
  // Ops (result types derived from the operands)
  //===--------------------------------------------------------------------===//

  mlir::Value embed(mlir::Value tokens, mlir::Value table);
  mlir::Value rmsNorm(mlir::Value x, mlir::Value weight);
  mlir::Value linear(mlir::Value x, mlir::Value weight, mlir::Value bias = {});
  mlir::Value add(mlir::Value a, mlir::Value b);
  mlir::Value mul(mlir::Value a, mlir::Value b);
  mlir::Value silu(mlir::Value x);
  mlir::Value sigmoid(mlir::Value x);
  mlir::Value softmax(mlir::Value x);
  /// x[..., offset : offset + size].
  mlir::Value slice(mlir::Value x, int64_t offset, int64_t size);
  /// [T, a*b] -> [T, a, b] and back: `dims` are the non-token dimensions.
  mlir::Value reshape(mlir::Value x, llvm::ArrayRef<int64_t> dims);
  mlir::Value broadcast(mlir::Value x, llvm::ArrayRef<int64_t> dims);
  mlir::Value concat(mlir::ValueRange inputs);
  /// Rope with the config's theta and scaling.
  mlir::Value rope(mlir::Value x, mlir::Value positions, RopeStyle style);
  mlir::Value attention(mlir::Value q, mlir::Value k, mlir::Value v, mlir::Value positions,
                        int64_t layer, double scale);
  /// Expert ids and weights ([T, topK] each) from router scores.
  std::pair<mlir::Value, mlir::Value> moeTopk(mlir::Value scores, mlir::Value bias, int64_t topK,
                                              int64_t groups, int64_t keptGroups,
                                              GroupScore groupScore, bool normalize,
                                              double scalingFactor);
  mlir::Value moeExperts(mlir::Value x, mlir::Value ids, mlir::Value weights, mlir::Value gate,
                         mlir::Value up, mlir::Value down);
  /// down(silu(gate(x)) * up(x)) with the weights under `prefix`
  /// ("....mlp." -> gate_proj.weight, up_proj.weight, down_proj.weight).
  mlir::Value gatedMlp(mlir::Value x, llvm::StringRef prefix, int64_t intermediate,
                       bool bias = false);

  //===--------------------------------------------------------------------===//
  // Results
  //===--------------------------------------------------------------------===//

  /// Records an error (the first one wins) and lets building continue.
  void fail(const llvm::Twine &message);
  /// The first error, or success.
  llvm::Error takeError();
  /// Checkpoint tensors no weight() consumed, sorted.
  std::vector<std::string> unusedTensors() const;

private:
  struct ResolvedWeight {
    mlir::Type elementType;
    WeightLayoutAttrInterface layout;
    std::optional<std::string> scaleSource;
  };

  /// What the config implies for a weight of `role` when there is no
  /// checkpoint to ask.
  ResolvedWeight assumedWeight(WeightRole role);
  /// Checks checkpoint tensor `name` against `shape` and `role`.
  std::optional<ResolvedWeight> resolveTensor(llvm::StringRef name,
                                              llvm::ArrayRef<int64_t> shape, WeightRole role);
  /// Declares the symbol (first use) and returns its value in the current
  /// function.
  mlir::Value declare(llvm::StringRef symbol, WeightType type, llvm::StringRef source,
                      const std::optional<std::string> &scaleSource);

  mlir::ModuleOp module_;
  const ModelConfig &config_;
  const Checkpoint *checkpoint_;
  mlir::OpBuilder builder_;
  mlir::Location loc_;
  /// Weight declarations go before the first function.
  mlir::Operation *firstFunction_ = nullptr;
  /// Symbol -> its r1.weight.get in the current function.
  llvm::StringMap<mlir::Value> weightValues_;
  llvm::StringSet<> consumed_;
  std::optional<std::string> error_;
};

} // namespace r1

#endif // R1C_MODELS_MODELBUILDER_H
