//===- Model.cpp - A loaded artifact: manifest, weights, entry points -----===//

#include "runtime/Model.h"

#include "runtime/CpuFeatures.h"

#include <algorithm>
#include <thread>

namespace r1::runtime {

Result<std::unique_ptr<Model>> Model::load(const std::string &path,
                                           const ModelLoadOptions &options) {
  std::unique_ptr<Model> model(new Model());

  Result<std::unique_ptr<ArtifactReader>> artifact = ArtifactReader::open(path);
  if (!artifact.ok())
    return artifact.status();
  model->artifact_ = std::move(*artifact);
  const ArtifactReader &reader = *model->artifact_;

  Result<ModelManifest> manifest = parseModelManifest(reader.manifest(), path);
  if (!manifest.ok())
    return manifest.status();
  model->manifest_ = std::move(*manifest);
  const ModelManifest &m = model->manifest_;

  if (m.targetKind == "cuda") {
    Result<std::unique_ptr<CudaModel>> cuda =
        CudaModel::load(reader, model->manifest_, options.cudaDevice);
    if (!cuda.ok())
      return cuda.status();
    model->cuda_ = std::move(*cuda);
    return model;
  }
  if (options.cudaDevice == CudaDeviceChoice::Emulated)
    return Status::badInput(path + " is compiled for " + m.targetName +
                            ", not a CUDA target: --device emulated runs CUDA artifacts only");

  std::vector<std::string> host = options.cpuFeatures ? *options.cpuFeatures : hostCpuFeatures();
  if (Status s = checkCpuFeatures(path, m.isa, host); !s.ok())
    return s;

  const ArtifactSection *weights = reader.findSection(kWeightsSection);
  if (!weights)
    return Status::badInput(path + ": the artifact has no \"weights\" section; it is incomplete");
  const ArtifactSection *code = reader.findSection(m.codeSection);
  if (!code)
    return Status::badInput(path + ": manifest field \"code.section\" names section \"" +
                            m.codeSection + "\", which the artifact does not have");
  if (Status s = checkWeightsFit(m, weights->bytes, path); !s.ok())
    return s;
  // The weights in place, or copied into huge pages (WeightPlacement.h).
  Result<WeightPlacement> placement = decideWeightPlacement(
      options.weights, weights->bytes,
      options.memoryFacts ? *options.memoryFacts : readMemoryFacts(), path);
  if (!placement.ok())
    return placement.status();
  const unsigned char *base = weights->data;
  if (*placement == WeightPlacement::Memory) {
    int threads = options.copyThreads > 0 ? options.copyThreads
                                          : int(std::max(1u, std::thread::hardware_concurrency()));
    Result<std::unique_ptr<ResidentWeights>> copy =
        ResidentWeights::read(path, weights->offset, weights->bytes, threads,
                              options.weightsProgress);
    if (!copy.ok())
      return copy.status();
    model->resident_ = std::move(*copy);
    base = model->resident_->data();
  }
  model->placement_ = *placement;
  model->weights_.reserve(m.weights.size());
  for (const ManifestWeight &w : m.weights)
    model->weights_.push_back(base + w.offset);

  // Always hashed: a flipped bit in code is worse than one in a weight.
  if (Status s = reader.verifySection(*code); !s.ok())
    return s;
  Result<std::unique_ptr<LoadedCode>> loaded =
      LoadedCode::load(path, code->data, code->bytes, m.codeIdentity);
  if (!loaded.ok())
    return loaded.status();
  model->code_ = std::move(*loaded);
  return model;
}

std::string Model::deviceDescription() const {
  return cuda_ ? cuda_->device().description() : "host CPU";
}

} // namespace r1::runtime
