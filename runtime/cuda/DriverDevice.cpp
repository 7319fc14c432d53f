//===- DriverDevice.cpp - The CUDA launch plan on a GPU (driver API) ------===//
//
// libcuda.so.1 is opened with dlopen, never linked: r1run starts on machines
// without an NVIDIA driver and says so when a CUDA artifact is run there. Only
// the driver API entry points below are used, resolved by the names cuda.h
// maps them to (the _v2 variants where it does); their prototypes follow
// CUDA 12/13's cuda.h. The fatbin is loaded with cuModuleLoadData: the driver
// picks the cubin for the GPU's SM, or JIT-compiles the PTX.
//
// Not yet run on a GPU: no GPU was available to this project's sessions
// (docs/cuda.md, "What has run where").
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/GpuDevice.h"

#include <dlfcn.h>
#include <vector>

namespace r1::runtime {

namespace {

// The driver API's types, as cuda.h declares them.
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUgraph = struct CUgraph_st *;
using CUgraphExec = struct CUgraphExec_st *;

constexpr int kAttrComputeCapabilityMajor = 75; // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
constexpr int kAttrComputeCapabilityMinor = 76;
constexpr int kFuncAttrMaxDynamicShared = 8; // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
constexpr unsigned kStreamNonBlocking = 1;   // CU_STREAM_NON_BLOCKING
constexpr int kCaptureThreadLocal = 1;       // CU_STREAM_CAPTURE_MODE_THREAD_LOCAL

struct DriverApi {
  void *library = nullptr;
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuFuncSetAttribute)(CUfunction, int, int);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
  CUresult (*cuMemcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
  CUresult (*cuMemsetD8Async)(CUdeviceptr, unsigned char, size_t, CUstream);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamDestroy)(CUstream);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                             unsigned, CUstream, void **, void **);
  CUresult (*cuStreamBeginCapture)(CUstream, int);
  CUresult (*cuStreamEndCapture)(CUstream, CUgraph *);
  CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec *, CUgraph, unsigned long long);
  CUresult (*cuGraphLaunch)(CUgraphExec, CUstream);
  CUresult (*cuGraphExecDestroy)(CUgraphExec);
  CUresult (*cuGraphDestroy)(CUgraph);
  CUresult (*cuGetErrorString)(CUresult, const char **);

  /// Resolves every entry point; the error names the first one missing.
  Status load() {
    library = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library)
      return Status::runtimeError(
          "no NVIDIA driver: libcuda.so.1 cannot be loaded (" + std::string(::dlerror()) +
          "); this artifact is for an NVIDIA GPU: run it on a machine with one and its driver, "
          "or compile for --target host");
    std::string missing;
    auto bind = [&](auto &fn, const char *name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(library, name));
      if (!fn && missing.empty())
        missing = name;
    };
    bind(cuInit, "cuInit");
    bind(cuDeviceGetCount, "cuDeviceGetCount");
    bind(cuDeviceGet, "cuDeviceGet");
    bind(cuDeviceGetName, "cuDeviceGetName");
    bind(cuDeviceGetAttribute, "cuDeviceGetAttribute");
    bind(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
    bind(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
    bind(cuCtxSetCurrent, "cuCtxSetCurrent");
    bind(cuModuleLoadData, "cuModuleLoadData");
    bind(cuModuleUnload, "cuModuleUnload");
    bind(cuModuleGetFunction, "cuModuleGetFunction");
    bind(cuFuncSetAttribute, "cuFuncSetAttribute");
    bind(cuMemAlloc, "cuMemAlloc_v2");
    bind(cuMemFree, "cuMemFree_v2");
    bind(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
    bind(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
    bind(cuMemsetD8Async, "cuMemsetD8Async");
    bind(cuStreamCreate, "cuStreamCreate");
    bind(cuStreamDestroy, "cuStreamDestroy_v2");
    bind(cuStreamSynchronize, "cuStreamSynchronize");
    bind(cuLaunchKernel, "cuLaunchKernel");
    bind(cuStreamBeginCapture, "cuStreamBeginCapture_v2");
    bind(cuStreamEndCapture, "cuStreamEndCapture");
    bind(cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags");
    bind(cuGraphLaunch, "cuGraphLaunch");
    bind(cuGraphExecDestroy, "cuGraphExecDestroy");
    bind(cuGraphDestroy, "cuGraphDestroy");
    bind(cuGetErrorString, "cuGetErrorString");
    if (!missing.empty())
      return Status::runtimeError("the NVIDIA driver's libcuda.so.1 lacks " + missing +
                                  "; r1run needs a driver for CUDA 12 or later");
    return Status::success();
  }
};

class DriverDevice final : public GpuDevice {
public:
  ~DriverDevice() override {
    if (!api_.library)
      return;
    for (CUgraphExec g : graphs_)
      api_.cuGraphExecDestroy(g);
    if (stream_)
      api_.cuStreamDestroy(stream_);
    if (module_)
      api_.cuModuleUnload(module_);
    if (context_)
      api_.cuDevicePrimaryCtxRelease(device_);
    // libcuda stays loaded: unloading a driver library mid-process is not safe.
  }

  Status open(const std::string &artifact, const void *fatbin) {
    if (Status s = api_.load(); !s.ok())
      return s;
    if (Status s = check(api_.cuInit(0), "cuInit"); !s.ok())
      return Status::runtimeError(s.message() + "; is the NVIDIA driver working (nvidia-smi)?");
    int count = 0;
    if (Status s = check(api_.cuDeviceGetCount(&count), "cuDeviceGetCount"); !s.ok())
      return s;
    if (count == 0)
      return Status::runtimeError("no NVIDIA GPU: the driver sees none; " + artifact +
                                  " needs one (or compile for --target host)");
    if (Status s = check(api_.cuDeviceGet(&device_, 0), "cuDeviceGet"); !s.ok())
      return s;
    char name[256] = {};
    api_.cuDeviceGetName(name, sizeof name, device_);
    int major = 0, minor = 0;
    api_.cuDeviceGetAttribute(&major, kAttrComputeCapabilityMajor, device_);
    api_.cuDeviceGetAttribute(&minor, kAttrComputeCapabilityMinor, device_);
    description_ = std::string(name) + " (sm_" + std::to_string(major) + std::to_string(minor) + ")";
    if (Status s = check(api_.cuDevicePrimaryCtxRetain(&context_, device_), "cuDevicePrimaryCtxRetain");
        !s.ok())
      return s;
    if (Status s = check(api_.cuCtxSetCurrent(context_), "cuCtxSetCurrent"); !s.ok())
      return s;
    if (Status s = check(api_.cuModuleLoadData(&module_, fatbin), "cuModuleLoadData"); !s.ok())
      return Status::runtimeError(artifact + ": the GPU " + description_ +
                                  " cannot load its kernels (" + s.message() +
                                  "); compile for this GPU's target (r1c targets)");
    return check(api_.cuStreamCreate(&stream_, kStreamNonBlocking), "cuStreamCreate");
  }

  std::string description() const override { return description_; }

  Result<int> kernel(const std::string &name) override {
    CUfunction f = nullptr;
    if (Status s = check(api_.cuModuleGetFunction(&f, module_, name.c_str()),
                         "cuModuleGetFunction(" + name + ")");
        !s.ok())
      return s;
    functions_.push_back(f);
    names_.push_back(name);
    return int(functions_.size() - 1);
  }
  Status reserveSharedMemory(int kernel, unsigned bytes) override {
    if (bytes <= 48 * 1024)
      return Status::success();
    return check(api_.cuFuncSetAttribute(functions_[size_t(kernel)], kFuncAttrMaxDynamicShared,
                                         int(bytes)),
                 "cuFuncSetAttribute(" + names_[size_t(kernel)] + ")");
  }
  Result<DeviceAddress> allocate(uint64_t bytes) override {
    CUdeviceptr p = 0;
    if (Status s = check(api_.cuMemAlloc(&p, std::max<uint64_t>(bytes, 1)), "cuMemAlloc"); !s.ok())
      return Status::runtimeError("cannot allocate " + std::to_string(bytes) + " bytes on " +
                                  description_ + ": " + s.message() + "; lower --ctx");
    return DeviceAddress(p);
  }
  void release(DeviceAddress address) override { api_.cuMemFree(CUdeviceptr(address)); }
  Status upload(DeviceAddress to, const void *from, uint64_t bytes) override {
    if (Status s = check(api_.cuMemcpyHtoDAsync(to, from, bytes, stream_), "cuMemcpyHtoD"); !s.ok())
      return s;
    return synchronize(); // `from` may be reused as soon as this returns
  }
  Status download(void *to, DeviceAddress from, uint64_t bytes) override {
    if (Status s = check(api_.cuMemcpyDtoHAsync(to, from, bytes, stream_), "cuMemcpyDtoH"); !s.ok())
      return s;
    return synchronize();
  }
  Status zero(DeviceAddress at, uint64_t bytes) override {
    return check(api_.cuMemsetD8Async(at, 0, bytes, stream_), "cuMemsetD8");
  }
  Status launch(int kernel, const LaunchDims &d, void **args) override {
    return check(api_.cuLaunchKernel(functions_[size_t(kernel)], d.grid[0], d.grid[1], d.grid[2],
                                     d.block[0], d.block[1], d.block[2], d.sharedBytes, stream_,
                                     args, nullptr),
                 "cuLaunchKernel(" + names_[size_t(kernel)] + ")");
  }
  Status synchronize() override {
    return check(api_.cuStreamSynchronize(stream_), "cuStreamSynchronize");
  }

  bool supportsGraphs() const override { return true; }
  Status beginCapture() override {
    return check(api_.cuStreamBeginCapture(stream_, kCaptureThreadLocal), "cuStreamBeginCapture");
  }
  Result<int> endCapture() override {
    CUgraph graph = nullptr;
    if (Status s = check(api_.cuStreamEndCapture(stream_, &graph), "cuStreamEndCapture"); !s.ok())
      return s;
    CUgraphExec exec = nullptr;
    Status s = check(api_.cuGraphInstantiateWithFlags(&exec, graph, 0), "cuGraphInstantiate");
    api_.cuGraphDestroy(graph);
    if (!s.ok())
      return s;
    graphs_.push_back(exec);
    return int(graphs_.size() - 1);
  }
  Status replay(int graph) override {
    return check(api_.cuGraphLaunch(graphs_[size_t(graph)], stream_), "cuGraphLaunch");
  }

private:
  Status check(CUresult rc, const std::string &what) const {
    if (rc == 0)
      return Status::success();
    const char *text = nullptr;
    if (api_.cuGetErrorString)
      api_.cuGetErrorString(rc, &text);
    return Status::runtimeError(what + " failed: CUDA error " + std::to_string(rc) +
                                (text ? std::string(" (") + text + ")" : ""));
  }

  DriverApi api_{};
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  CUmodule module_ = nullptr;
  CUstream stream_ = nullptr;
  std::string description_;
  std::vector<CUfunction> functions_;
  std::vector<std::string> names_;
  std::vector<CUgraphExec> graphs_;
};

} // namespace

Result<std::unique_ptr<GpuDevice>> openDriverDevice(const std::string &artifact,
                                                    const void *fatbin, size_t) {
  auto device = std::make_unique<DriverDevice>();
  if (Status s = device->open(artifact, fatbin); !s.ok())
    return s;
  return std::unique_ptr<GpuDevice>(std::move(device));
}

} // namespace r1::runtime
