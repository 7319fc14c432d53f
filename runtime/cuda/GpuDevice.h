//===- GpuDevice.h - What the CUDA backend needs from a device ------------===//
//
// The CUDA launch plan runs against this interface, so that the same plan
// executor drives a real GPU (DriverDevice.cpp: the CUDA driver API, libcuda
// loaded with dlopen so that r1run starts where there is none) and the host
// emulation (EmulatedDevice.cpp: the artifact's kernels compiled for the CPU
// against codegen/cuda/kernels/R1CudaEmu.h), which is how CI checks the CUDA
// path end to end without a GPU.
//
// Device memory is addressed by 64-bit device addresses (CUdeviceptr); the
// emulation's are host pointers. Kernel arguments follow cuLaunchKernel:
// args[i] points at the value of parameter i.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_CUDA_GPUDEVICE_H
#define R1C_RUNTIME_CUDA_GPUDEVICE_H

#include "runtime/Status.h"

#include <cstdint>
#include <memory>
#include <string>

namespace r1::runtime {

using DeviceAddress = uint64_t;

struct LaunchDims {
  unsigned grid[3] = {1, 1, 1};
  unsigned block[3] = {1, 1, 1};
  unsigned sharedBytes = 0;
};

class GpuDevice {
public:
  virtual ~GpuDevice() = default;

  /// "NVIDIA H100 80GB HBM3 (sm_90)" or "host emulation".
  virtual std::string description() const = 0;
  /// The kernel named `name` of the loaded module, as a handle for launch().
  virtual Result<int> kernel(const std::string &name) = 0;
  /// Allows `kernel` up to `bytes` of dynamic shared memory (above 48 KB a
  /// kernel must opt in).
  virtual Status reserveSharedMemory(int kernel, unsigned bytes) = 0;

  virtual Result<DeviceAddress> allocate(uint64_t bytes) = 0;
  virtual void release(DeviceAddress address) = 0;
  virtual Status upload(DeviceAddress to, const void *from, uint64_t bytes) = 0;
  virtual Status download(void *to, DeviceAddress from, uint64_t bytes) = 0;
  virtual Status zero(DeviceAddress at, uint64_t bytes) = 0;
  /// Queues a launch (the emulation runs it now). Errors name the kernel.
  virtual Status launch(int kernel, const LaunchDims &dims, void **args) = 0;
  /// Waits for everything queued.
  virtual Status synchronize() = 0;

  /// CUDA Graphs: the launches between beginCapture and endCapture are
  /// recorded, not run, and replay(graph) runs them again as one submission,
  /// with the same arguments. Returns false where graphs do not exist (the
  /// emulation), and the caller launches one by one.
  virtual bool supportsGraphs() const { return false; }
  virtual Status beginCapture() { return Status::runtimeError("no CUDA graphs on this device"); }
  virtual Result<int> endCapture() { return Status::runtimeError("no CUDA graphs on this device"); }
  virtual Status replay(int graph) { return Status::runtimeError("no CUDA graphs on this device"); }
};

/// The first CUDA GPU, with the fatbin's module loaded. Errors (one line,
/// saying what to do): no libcuda.so.1 ("no NVIDIA driver"), no GPU, a GPU
/// the fatbin has no code for.
Result<std::unique_ptr<GpuDevice>> openDriverDevice(const std::string &artifact,
                                                    const void *fatbin, size_t bytes);

/// The host emulation, from the artifact's code.emulation shared object,
/// whose identity must be `identity`.
Result<std::unique_ptr<GpuDevice>> openEmulatedDevice(const std::string &artifact,
                                                      const void *code, size_t bytes,
                                                      const std::string &identity);

} // namespace r1::runtime

#endif // R1C_RUNTIME_CUDA_GPUDEVICE_H
