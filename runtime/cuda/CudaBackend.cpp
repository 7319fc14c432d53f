//===- CudaBackend.cpp - Running a CUDA artifact's launch plan ------------===//

#include "runtime/cuda/CudaBackend.h"

#include <nlohmann/json.hpp>

#include <cstring>

#include <vector>

namespace r1::runtime {

namespace {
/// Bytes of r1ck::SampleParams: invTemperature, topK, topP, minP (4 each), u (8).
constexpr uint64_t kSampleParamsBytes = 24;
} // namespace

Result<std::unique_ptr<CudaModel>> CudaModel::load(const ArtifactReader &artifact,
                                                   const ModelManifest &manifest,
                                                   CudaDeviceChoice choice) {
  const std::string &path = artifact.path();
  std::unique_ptr<CudaModel> model(new CudaModel());
  model->manifest_ = &manifest;
  Result<CudaPlan> plan = parseCudaPlan(artifact.manifest(), manifest, path);
  if (!plan.ok())
    return plan.status();
  model->plan_ = std::move(*plan);

  // 1. The device.
  Result<std::unique_ptr<GpuDevice>> device = Status::runtimeError("unreachable");
  if (choice == CudaDeviceChoice::Emulated) {
    const std::string &section = model->plan_.emulationSection;
    const ArtifactSection *code = section.empty() ? nullptr : artifact.findSection(section);
    if (!code)
      return Status::badInput(path + " has no code for the CUDA emulation; compile it with "
                                     "`r1c compile --target " +
                              manifest.targetName + " --emulation`");
    if (Status s = artifact.verifySection(*code); !s.ok())
      return s;
    device = openEmulatedDevice(path, code->data, code->bytes, manifest.codeIdentity);
  } else {
    const ArtifactSection *fatbin = artifact.findSection(manifest.codeSection);
    if (!fatbin)
      return Status::badInput(path + ": manifest field \"code.section\" names section \"" +
                              manifest.codeSection + "\", which the artifact does not have");
    if (Status s = artifact.verifySection(*fatbin); !s.ok())
      return s;
    device = openDriverDevice(path, fatbin->data, fatbin->bytes);
  }
  if (!device.ok())
    return device.status();
  model->device_ = std::move(*device);

  // 2. The kernels.
  for (const PlanKernel &k : model->plan_.kernels) {
    Result<int> handle = model->device_->kernel(k.name);
    if (!handle.ok())
      return Status::badInput(path + ": " + handle.status().message());
    if (Status s = model->device_->reserveSharedMemory(*handle, unsigned(k.dynamicSharedBytes));
        !s.ok())
      return s;
    model->handles_.push_back(*handle);
  }

  // 3. The weights: the whole section in one allocation, at the offsets the
  //    manifest gives (each 64-byte aligned).
  const ArtifactSection *weights = artifact.findSection(kWeightsSection);
  if (!weights)
    return Status::badInput(path + ": the artifact has no \"weights\" section; it is incomplete");
  Result<DeviceAddress> address = model->device_->allocate(weights->bytes);
  if (!address.ok())
    return Status::runtimeError(path + ": its weights (" +
                                std::to_string(weights->bytes / 1000000) + " MB) do not fit on " +
                                model->device_->description() + ": " +
                                address.status().message() +
                                "; r1c runs a model on one GPU (a model larger than one GPU's "
                                "memory needs multi-GPU support, which r1c does not have yet)");
  model->weights_ = *address;
  if (Status s = model->device_->upload(model->weights_, weights->data, weights->bytes); !s.ok())
    return s;
  return model;
}

CudaModel::~CudaModel() {
  if (device_ && weights_)
    device_->release(weights_);
}

DeviceAddress CudaModel::weight(size_t index) const {
  return weights_ + manifest_->weights[index].offset;
}

Result<std::unique_ptr<CudaSequence>> CudaSequence::create(const CudaModel &model,
                                                           int64_t capacity) {
  std::unique_ptr<CudaSequence> seq(new CudaSequence(model));
  const ModelManifest &m = model.manifest();
  GpuDevice &device = model.device();
  seq->rows_ = (capacity + kKvBlockRows - 1) / kKvBlockRows * kKvBlockRows;
  seq->kvBytes_ = m.kvBytesPerToken * uint64_t(seq->rows_);
  uint64_t blockCount = uint64_t(seq->rows_ / kKvBlockRows);
  uint64_t rows = m.maxStepTokens;
  struct Buffer {
    DeviceAddress *at;
    uint64_t bytes;
  } buffers[] = {{&seq->arena_, m.arenaBytes},
                 {&seq->kv_, seq->kvBytes_},
                 {&seq->tokens_, rows * 4},
                 {&seq->positions_, rows * 4},
                 {&seq->logits_, rows * m.vocabSize * 4},
                 {&seq->blocks_, blockCount * 4},
                 {&seq->sampleParams_, kSampleParamsBytes},
                 {&seq->sampledToken_, 4}};
  for (Buffer &b : buffers) {
    Result<DeviceAddress> a = device.allocate(b.bytes);
    if (!a.ok())
      return a.status();
    *b.at = *a;
  }
  // A sequence of its own owns every block, in order. (A server sharing one
  // pool between sequences would hand out blocks as they fill.)
  std::vector<int32_t> table(blockCount);
  for (uint64_t b = 0; b < blockCount; ++b)
    table[b] = int32_t(b);
  if (Status s = device.upload(seq->blocks_, table.data(), blockCount * 4); !s.ok())
    return s;
  if (Status s = seq->resetCache(); !s.ok())
    return s;
  return seq;
}

CudaSequence::~CudaSequence() {
  for (DeviceAddress a :
       {arena_, kv_, tokens_, positions_, logits_, blocks_, sampleParams_, sampledToken_})
    if (a)
      model_.device().release(a);
}

Status CudaSequence::resetCache() {
  if (Status s = model_.device().zero(kv_, kvBytes_); !s.ok())
    return s;
  return model_.device().synchronize();
}

Status CudaSequence::run(const std::vector<PlanLaunch> &launches, int64_t n, int64_t logitsRows) {
  GpuDevice &device = model_.device();
  const CudaPlan &plan = model_.plan();
  std::vector<uint64_t> values;
  std::vector<void *> pointers;
  for (const PlanLaunch &launch : launches) {
    const PlanKernel &k = plan.kernels[launch.kernel];
    int64_t rows = launch.logitsRows ? logitsRows : n;
    values.assign(launch.args.size(), 0);
    pointers.assign(launch.args.size(), nullptr);
    for (size_t i = 0; i < launch.args.size(); ++i) {
      const PlanArg &a = launch.args[i];
      uint64_t &v = values[i];
      switch (a.kind) {
      case PlanArg::Kind::Arena:
        v = arena_ + a.value + uint64_t(n - logitsRows) * a.lastRowsOf * 4;
        break;
      case PlanArg::Kind::Weight:
        v = model_.weight(a.value);
        break;
      case PlanArg::Kind::Kv:
        v = kv_ + a.value * uint64_t(rows_) * 4;
        break;
      case PlanArg::Kind::Tokens:
        v = tokens_;
        break;
      case PlanArg::Kind::Positions:
        v = positions_;
        break;
      case PlanArg::Kind::Blocks:
        v = blocks_;
        break;
      case PlanArg::Kind::Logits:
        v = logits_;
        break;
      case PlanArg::Kind::Rows:
        v = uint64_t(rows);
        break;
      case PlanArg::Kind::Null:
        v = 0;
        break;
      }
      pointers[i] = &v;
    }
    LaunchDims dims;
    for (int d = 0; d < 3; ++d)
      dims.grid[d] = unsigned(k.grid[size_t(d)]);
    if (k.rowsDim >= 0) {
      uint64_t blocks = (uint64_t(rows) * k.rowsScale + k.rowsPerBlock - 1) / k.rowsPerBlock;
      if (k.rowsCap && blocks > k.rowsCap)
        blocks = k.rowsCap;
      dims.grid[k.rowsDim] *= unsigned(blocks);
    }
    dims.block[0] = k.threads;
    dims.sharedBytes = unsigned(k.dynamicSharedBytes);
    if (Status s = device.launch(model_.kernelHandle(launch.kernel), dims, pointers.data());
        !s.ok())
      return s;
  }
  return Status::success();
}

Status CudaSequence::step(const int32_t *tokens, const int32_t *positions, int64_t n,
                          float *logits, int64_t logitsRows) {
  GpuDevice &device = model_.device();
  const ModelManifest &m = model_.manifest();
  if (Status s = device.upload(tokens_, tokens, uint64_t(n) * 4); !s.ok())
    return s;
  if (Status s = device.upload(positions_, positions, uint64_t(n) * 4); !s.ok())
    return s;
  Status ran = Status::success();
  if (n == 1 && logitsRows == 1 && device.supportsGraphs()) {
    // Every decode step launches the same kernels with the same arguments
    // (the tokens and positions live at fixed addresses): capture once.
    if (!decodeGraph_) {
      if (Status s = device.beginCapture(); !s.ok())
        return s;
      Status captured = run(model_.plan().decode, 1, 1);
      Result<int> graph = device.endCapture();
      if (!captured.ok())
        return captured;
      if (!graph.ok())
        return graph.status();
      decodeGraph_ = *graph;
    }
    ran = device.replay(*decodeGraph_);
  } else {
    ran = run(n == 1 ? model_.plan().decode : model_.plan().prefill, n, logitsRows);
  }
  if (!ran.ok())
    return ran;
  if (!logits)
    return Status::success();
  return device.download(logits, logits_, uint64_t(logitsRows) * m.vocabSize * 4);
}

Result<int32_t> CudaSequence::sample(const DeviceDraw &draw) {
  if (!canSample())
    return Status::runtimeError("this artifact has no sampler kernel; recompile it with this r1c");
  GpuDevice &device = model_.device();
  // r1ck::SampleParams (codegen/cuda/kernels/Sample.cuh), field by field.
  unsigned char params[kSampleParamsBytes] = {};
  std::memcpy(params + 0, &draw.invTemperature, 4);
  std::memcpy(params + 4, &draw.topK, 4);
  std::memcpy(params + 8, &draw.topP, 4);
  std::memcpy(params + 12, &draw.minP, 4);
  std::memcpy(params + 16, &draw.u, 8);
  if (Status s = device.upload(sampleParams_, params, sizeof params); !s.ok())
    return s;
  const PlanKernel &k = model_.plan().kernels[*model_.plan().sampler];
  DeviceAddress logits = logits_, at = sampleParams_, token = sampledToken_;
  void *args[] = {&logits, &at, &token};
  LaunchDims dims;
  dims.block[0] = k.threads;
  dims.sharedBytes = unsigned(k.dynamicSharedBytes);
  if (Status s = device.launch(model_.kernelHandle(*model_.plan().sampler), dims, args); !s.ok())
    return s;
  int32_t id = 0;
  if (Status s = device.download(&id, sampledToken_, 4); !s.ok())
    return s;
  if (id < 0 || uint64_t(id) >= model_.manifest().vocabSize)
    return Status::runtimeError("the device sampler returned token " + std::to_string(id) +
                                ", outside the vocabulary");
  return id;
}

} // namespace r1::runtime
