//===- EmulatedDevice.cpp - The CUDA launch plan on the host emulation ----===//
//
// An artifact compiled with `r1c compile --target sm_XX --emulation` carries
// its generated CUDA source also compiled as C++ against R1CudaEmu.h (section
// code.emulation). It exports r1emu_kernel_index and r1emu_launch, the
// emulation's cuModuleGetFunction and cuLaunchKernel; "device memory" is host
// memory. Launches run synchronously, one OS thread per CUDA thread: slow, and
// exactly the kernels, grids and arguments a GPU would get.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/GpuDevice.h"

#include "runtime/CodeLoader.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <unordered_set>
#include <vector>

namespace r1::runtime {

namespace {

using KernelIndexFn = int (*)(const char *);
using LaunchFn = int (*)(int, const unsigned *, const unsigned *, unsigned, void **, char *,
                         unsigned long);

class EmulatedDevice final : public GpuDevice {
public:
  EmulatedDevice(void *handle, KernelIndexFn index, LaunchFn launch)
      : handle_(handle), index_(index), launch_(launch) {}
  ~EmulatedDevice() override {
    for (DeviceAddress a : live_)
      std::free(reinterpret_cast<void *>(a));
    ::dlclose(handle_);
  }

  std::string description() const override { return "host emulation of CUDA"; }

  Result<int> kernel(const std::string &name) override {
    int i = index_(name.c_str());
    if (i < 0)
      return Status::badInput("the emulation code has no kernel " + name);
    names_.resize(std::max<size_t>(names_.size(), size_t(i) + 1));
    names_[size_t(i)] = name;
    return i;
  }
  Status reserveSharedMemory(int, unsigned) override { return Status::success(); }

  Result<DeviceAddress> allocate(uint64_t bytes) override {
    void *p = std::aligned_alloc(256, (std::max<uint64_t>(bytes, 1) + 255) / 256 * 256);
    if (!p)
      return Status::runtimeError("out of host memory for " + std::to_string(bytes) +
                                  " bytes of emulated device memory");
    // Device memory starts as garbage; NaN bytes make reads before writes show.
    std::memset(p, 0xff, bytes);
    live_.insert(reinterpret_cast<DeviceAddress>(p));
    return reinterpret_cast<DeviceAddress>(p);
  }
  void release(DeviceAddress address) override {
    if (live_.erase(address))
      std::free(reinterpret_cast<void *>(address));
  }
  Status upload(DeviceAddress to, const void *from, uint64_t bytes) override {
    std::memcpy(reinterpret_cast<void *>(to), from, bytes);
    return Status::success();
  }
  Status download(void *to, DeviceAddress from, uint64_t bytes) override {
    std::memcpy(to, reinterpret_cast<const void *>(from), bytes);
    return Status::success();
  }
  Status zero(DeviceAddress at, uint64_t bytes) override {
    std::memset(reinterpret_cast<void *>(at), 0, bytes);
    return Status::success();
  }
  Status launch(int kernel, const LaunchDims &dims, void **args) override {
    char error[512] = {};
    int rc = launch_(kernel, dims.grid, dims.block, dims.sharedBytes, args, error, sizeof error);
    if (rc != 0)
      return Status::runtimeError(
          "emulated kernel " +
          (size_t(kernel) < names_.size() ? names_[size_t(kernel)] : std::to_string(kernel)) +
          " failed: " + error);
    return Status::success();
  }
  Status synchronize() override { return Status::success(); }

private:
  void *handle_;
  KernelIndexFn index_;
  LaunchFn launch_;
  std::vector<std::string> names_;
  std::unordered_set<DeviceAddress> live_;
};

} // namespace

Result<std::unique_ptr<GpuDevice>> openEmulatedDevice(const std::string &artifact,
                                                      const void *code, size_t bytes,
                                                      const std::string &identity) {
  std::string error;
  void *handle = openSharedObjectInMemory(code, bytes, error);
  if (!handle)
    return Status::runtimeError(artifact + ": cannot load the CUDA emulation code: " + error);
  auto id = reinterpret_cast<const char *(*)()>(::dlsym(handle, "r1_code_identity"));
  auto index = reinterpret_cast<KernelIndexFn>(::dlsym(handle, "r1emu_kernel_index"));
  auto launch = reinterpret_cast<LaunchFn>(::dlsym(handle, "r1emu_launch"));
  if (!id || !index || !launch) {
    ::dlclose(handle);
    return Status::badInput(artifact + ": the CUDA emulation code does not export "
                                       "r1_code_identity, r1emu_kernel_index and r1emu_launch; "
                                       "the artifact is corrupt or from an incompatible r1c");
  }
  if (identity != id()) {
    std::string got = id();
    ::dlclose(handle);
    return Status::badInput(artifact + ": the CUDA emulation code does not match the manifest "
                                       "(code identity \"" +
                            got + "\", manifest code.identity \"" + identity + "\")");
  }
  return std::unique_ptr<GpuDevice>(new EmulatedDevice(handle, index, launch));
}

} // namespace r1::runtime
