//===- Model.h - A loaded artifact: manifest, weights, entry points -------===//
//
// Loading is the order of trust: map and validate the file (ArtifactReader),
// read the manifest's fields (Manifest), refuse code for a CPU this one is not
// (CpuFeatures), check every weight lies in the weights section, place the
// weights (WeightPlacement: in place, or read into huge pages), hash the code
// section (small, and about to be executed), dlopen it and compare its
// identity with the manifest (CodeLoader). A Model is immutable and shared by
// the Sessions that run it.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_MODEL_H
#define R1C_RUNTIME_MODEL_H

#include "runtime/ArtifactReader.h"
#include "runtime/CodeLoader.h"
#include "runtime/Manifest.h"
#include "runtime/Status.h"
#include "runtime/WeightPlacement.h"
#include "runtime/cuda/CudaBackend.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace r1::runtime {

struct ModelLoadOptions {
  /// The CPU features to check target.isa against; nullopt: this CPU's
  /// (hostCpuFeatures). Tests inject lists here.
  std::optional<std::vector<std::string>> cpuFeatures;
  /// Where a CUDA artifact runs: the GPU, or the host emulation (r1run
  /// --device emulated). Host artifacts ignore it... unless Emulated, which
  /// is an error for them.
  CudaDeviceChoice cudaDevice = CudaDeviceChoice::Gpu;
  /// Where a host artifact's weights live (WeightPlacement.h; r1run
  /// --weights). CUDA artifacts upload theirs and ignore it.
  WeightPlacement weights = WeightPlacement::Auto;
  /// Threads that copy the weights into memory; 0: every CPU.
  int copyThreads = 0;
  /// Told how far the read into memory is (a 700 GB model takes minutes).
  ResidentWeights::Progress weightsProgress;
  /// What Auto decides from; nullopt: this machine's (readMemoryFacts).
  std::optional<MemoryFacts> memoryFacts;
};

class Model {
public:
  static Result<std::unique_ptr<Model>> load(const std::string &path,
                                             const ModelLoadOptions &options = {});

  const ArtifactReader &artifact() const { return *artifact_; }
  const ModelManifest &manifest() const { return manifest_; }
  /// weights()[i] is the manifest's weights[i], 64-byte aligned in the
  /// mapping or its copy in memory.
  const void *const *weights() const { return weights_.data(); }
  /// Host artifacts: Mapped or Memory, what the load decided.
  WeightPlacement weightPlacement() const { return placement_; }
  /// Host artifacts: the entry points of the compiled code.
  r1_step_fn prefill() const { return code_->prefill(); }
  r1_step_fn decode() const { return code_->decode(); }
  /// One token of each of several sequences (R1Abi.h); nullptr when the
  /// code has no r1_decode_batch.
  r1_step_fn decodeBatch() const { return code_->decodeBatch(); }
  /// CUDA artifacts: the device, kernels and weights; nullptr for host ones.
  const CudaModel *cuda() const { return cuda_.get(); }
  /// Where the code runs, in words ("host CPU", "NVIDIA H100 ... (sm_90)",
  /// "host emulation of CUDA").
  std::string deviceDescription() const;
  const std::string &path() const { return artifact_->path(); }

private:
  Model() = default;

  std::unique_ptr<ArtifactReader> artifact_;
  ModelManifest manifest_;
  std::vector<const void *> weights_;
  WeightPlacement placement_ = WeightPlacement::Mapped;
  std::unique_ptr<ResidentWeights> resident_; // the copy, with Memory
  std::unique_ptr<LoadedCode> code_;
  std::unique_ptr<CudaModel> cuda_;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_MODEL_H
