//===- CudaBackend.h - Running a CUDA artifact's launch plan --------------===//
//
// CudaModel is the device side of a loaded CUDA artifact, shared by its
// sessions: the device (a GPU, or the host emulation), the kernel handles,
// and the weights section uploaded once. CudaSequence is one sequence's
// device memory — the arena, the KV cache, the step's tokens, positions and
// logits, sized at compile time (manifest "memory") — and runs a step: upload
// the tokens, launch the phase's kernels in plan order, download the logits.
// Decode steps have one fixed shape, so on a GPU the first is captured into a
// CUDA graph and later ones replay it.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_CUDA_CUDABACKEND_H
#define R1C_RUNTIME_CUDA_CUDABACKEND_H

#include "runtime/ArtifactReader.h"
#include "runtime/Manifest.h"
#include "runtime/Sampler.h"
#include "runtime/cuda/CudaPlan.h"
#include "runtime/cuda/GpuDevice.h"

#include <memory>
#include <optional>

namespace r1::runtime {

/// Rows of one KV-cache block: the cache is paged (CUDA kernels find a
/// position's row through the sequence's block table), as serving engines
/// page it; Attention.cuh's kKvBlockRows.
inline constexpr int64_t kKvBlockRows = 64;

/// Where a CUDA artifact runs.
enum class CudaDeviceChoice {
  Gpu,      // the first GPU, through the CUDA driver
  Emulated, // the host emulation (the artifact's code.emulation section)
};

class CudaModel {
public:
  /// Opens the device, resolves every kernel of the plan and uploads the
  /// weights section. Errors: no driver or GPU (with what to do), an artifact
  /// without emulation code for Emulated, a corrupt plan.
  static Result<std::unique_ptr<CudaModel>> load(const ArtifactReader &artifact,
                                                 const ModelManifest &manifest,
                                                 CudaDeviceChoice choice);
  ~CudaModel();

  GpuDevice &device() const { return *device_; }
  const CudaPlan &plan() const { return plan_; }
  const ModelManifest &manifest() const { return *manifest_; }
  int kernelHandle(size_t kernel) const { return handles_[kernel]; }
  DeviceAddress weight(size_t index) const;

private:
  CudaModel() = default;
  const ModelManifest *manifest_ = nullptr;
  CudaPlan plan_;
  std::unique_ptr<GpuDevice> device_;
  std::vector<int> handles_;
  DeviceAddress weights_ = 0;
};

class CudaSequence {
public:
  /// Device memory for `capacity` tokens of KV cache (rounded up to whole
  /// blocks), zeroed, with this sequence owning every block in order.
  static Result<std::unique_ptr<CudaSequence>> create(const CudaModel &model, int64_t capacity);
  ~CudaSequence();

  /// One step over n tokens (1..max_step_tokens) at `positions`; writes
  /// `logitsRows` (1 or n) rows of logits to `logits` (null: they stay on
  /// the device, for sample()).
  Status step(const int32_t *tokens, const int32_t *positions, int64_t n, float *logits,
              int64_t logitsRows);
  /// True when the artifact's plan has a sampler kernel.
  bool canSample() const { return model_.plan().sampler.has_value(); }
  /// The next token drawn on the device from the last logits row of the
  /// last step, as Sampler::sample() draws it; downloads 4 bytes.
  Result<int32_t> sample(const DeviceDraw &draw);
  /// Zeroes the KV cache.
  Status resetCache();

private:
  explicit CudaSequence(const CudaModel &model) : model_(model) {}
  /// Launches `launches` for n rows and logitsRows logits rows.
  Status run(const std::vector<PlanLaunch> &launches, int64_t n, int64_t logitsRows);

  const CudaModel &model_;
  /// Cache rows per layer: the capacity rounded up to whole blocks.
  int64_t rows_ = 0;
  DeviceAddress arena_ = 0, kv_ = 0, tokens_ = 0, positions_ = 0, logits_ = 0, blocks_ = 0;
  /// The sampler's parameters (r1ck::SampleParams) and its token.
  DeviceAddress sampleParams_ = 0, sampledToken_ = 0;
  uint64_t kvBytes_ = 0;
  std::optional<int> decodeGraph_;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_CUDA_CUDABACKEND_H
