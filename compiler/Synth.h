//===- Synth.h - Random-weight models in the Hugging Face layout ----------===//
//
// `r1c synth` writes a model directory (config.json, safetensors, the shard
// index) with random weights for any config r1c supports, so real shapes can
// be compiled, benchmarked and tuned without downloading weights.
//
// The importer is the single source of truth for which tensors a config
// needs: the config is imported config-only, and every `r1.weight` symbol
// (experts expanded, FP8 scales added) becomes one tensor to write. Values
// are a pure function of (seed, tensor name, element index), so they do not
// depend on sharding, chunking or write order; they are generated and
// written in chunks of a few MB, never a whole tensor at a time.
//
// Two phases, so that callers can tell bad input from a failed output:
// planSynth() reads and checks the inputs, writeSynth() writes.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_SYNTH_H
#define R1C_COMPILER_SYNTH_H

#include "compiler/DType.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace r1 {

/// --dtype: follow the config, or store what would be FP8 as BF16.
enum class SynthDType { Auto, BF16 };

struct SynthOptions {
  /// A config.json, or a directory holding one.
  std::string configPath;
  /// The model directory to create; it must not exist or be empty.
  std::string outputDir;
  uint64_t seed = 0;
  SynthDType dtype = SynthDType::Auto;
  /// A directory with tokenizer.json and tokenizer_config.json to copy, or
  /// empty.
  std::string tokenizerDir;
  /// Largest data size of one safetensors file; a bigger model is sharded
  /// (Hugging Face's default max_shard_size, "5GB").
  uint64_t shardBytes = 5'000'000'000ULL;
  /// Progress lines (for models over 100 MB) and the summary; null: silent.
  llvm::raw_ostream *log = nullptr;
  /// Draw progress as a bar redrawn in place (the log is a terminal).
  bool progressBar = false;
};

/// How a tensor's values are drawn (docs/synth.md gives the distributions).
enum class SynthValues {
  Weight,         // projections, embeddings, heads, routers: N(0, 0.02)
  Norm,           // RMSNorm weights: 1 + N(0, 0.02)
  Bias,           // projection biases: N(0, 0.01)
  CorrectionBias, // DeepSeek-V3's e_score_correction_bias (F32): N(0, 0.01)
  Fp8Codes,       // F8_E4M3 codes: N(0, 100), i.e. dequantized N(0, 0.02)
  Fp8Scales,      // weight_scale_inv (F32): 2e-4 x U(0.9, 1.1) per block
};

/// One checkpoint tensor to write.
struct SynthTensor {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  SynthValues values;

  uint64_t numElements() const;
  uint64_t numBytes() const { return numElements() * dtypeSize(dtype); }
};

/// Everything planSynth() decided; writeSynth() only carries it out.
struct SynthPlan {
  /// The config file read, and the text DIR/config.json will hold (the
  /// file's bytes, or the BF16 rewrite of an FP8 config).
  std::string configPath;
  std::string configText;
  /// In write order; a weight's scales follow it.
  std::vector<SynthTensor> tensors;
  /// shardOf[i]: the safetensors file of tensors[i], 0-based; shardCount
  /// files (1: "model.safetensors" without an index).
  std::vector<unsigned> shardOf;
  unsigned shardCount = 1;
  uint64_t totalBytes = 0;
  /// Absolute or relative paths of the tokenizer files to copy.
  std::vector<std::string> tokenizerFiles;
};

/// The checkpoint tensors an import of `module`'s model checks: one per
/// `r1.weight` (one per expert for stacked weights), plus block scales.
/// Errors only on layouts or element types no importer produces.
llvm::Expected<std::vector<SynthTensor>> synthTensors(mlir::ModuleOp module);

/// Reads the config (through the importer, so its errors are the import's),
/// lists the tensors and assigns them to shards; checks the tokenizer files.
/// Errors are bad input.
llvm::Expected<SynthPlan> planSynth(mlir::MLIRContext &context, const SynthOptions &options);

/// Writes `plan` into options.outputDir. On error, everything written is
/// removed (and the directory, if this call created it). Errors name the
/// file; they are failures of the output.
llvm::Error writeSynth(const SynthPlan &plan, const SynthOptions &options);

/// Elements [first, first + count) of `tensor` for `seed`, encoded in its
/// dtype into `out` (count * dtypeSize bytes).
void synthElements(const SynthTensor &tensor, uint64_t seed, uint64_t first, uint64_t count,
                   uint8_t *out);

} // namespace r1

#endif // R1C_COMPILER_SYNTH_H
