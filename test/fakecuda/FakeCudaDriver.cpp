//===- FakeCudaDriver.cpp - A libcuda.so.1 for testing r1run without a GPU -===//
//
// r1run's CUDA backend (runtime/cuda/DriverDevice.cpp) opens libcuda.so.1 and
// calls the driver API; no GPU is ever lent to CI, so without this it would
// never run before it meets real hardware. This library is loaded in its
// place (LD_LIBRARY_PATH) and implements the entry points r1run uses with the
// driver's contracts, strictly:
//  - every call but cuInit and cuGetErrorString fails with
//    CUDA_ERROR_NOT_INITIALIZED before cuInit, and memory, module and launch
//    calls fail without a current context;
//  - cuModuleLoadData must be given a fatbin (its magic is checked); the
//    kernels then come from the artifact's host-emulation code, named by
//    $R1C_FAKE_CUDA_EMULATION (extracted from the artifact by the test);
//  - launches check the block size (<= 1024 threads) and dynamic shared
//    memory (above 48 KB only after cuFuncSetAttribute raised the limit),
//    and that the stream is the caller's or the null stream;
//  - stream capture records launches with copies of their arguments (as the
//    driver does), rejects synchronous work during capture, and
//    cuGraphLaunch replays them;
//  - memory is host memory, bounds-checked: a copy or memset outside an
//    allocation fails with CUDA_ERROR_INVALID_VALUE.
// $R1C_FAKE_CUDA_DEVICES sets the device count (default 1); at exit, counts
// of launches, graph launches and live allocations are appended to
// $R1C_FAKE_CUDA_LOG when set, so tests can check that decode replays a
// graph and that nothing leaks.
//
//===----------------------------------------------------------------------===//
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <map>
#include <mutex>
#include <vector>

namespace {

using CUresult = int;
constexpr CUresult kSuccess = 0, kInvalidValue = 1, kOutOfMemory = 2, kNotInitialized = 3,
                   kNoDevice = 100, kInvalidDevice = 101, kInvalidImage = 200,
                   kInvalidContext = 201, kInvalidHandle = 400, kNotFound = 500,
                   kStreamCaptureUnsupported = 900, kStreamCaptureInvalidated = 901;

using KernelIndexFn = int (*)(const char *);
using KernelArityFn = int (*)(int);
using LaunchFn = int (*)(int, const unsigned *, const unsigned *, unsigned, void **, char *,
                         unsigned long);

struct RecordedLaunch {
  int kernel;
  unsigned grid[3], block[3], shared;
  std::vector<uint64_t> args;
};

struct Driver {
  std::mutex m;
  bool initialized = false;
  bool contextCurrent = false;
  void *emulation = nullptr;
  KernelIndexFn kernelIndex = nullptr;
  KernelArityFn kernelArity = nullptr;
  LaunchFn launch = nullptr;
  std::map<uint64_t, size_t> allocations; // address -> bytes
  std::map<int, int> sharedLimit;         // kernel -> opted-in dynamic bytes
  void *stream = nullptr;
  bool capturing = false;
  std::vector<RecordedLaunch> capture;
  std::vector<std::vector<RecordedLaunch>> graphs;
  long launches = 0, graphLaunches = 0;

  ~Driver() {
    if (const char *log = std::getenv("R1C_FAKE_CUDA_LOG")) {
      if (FILE *f = std::fopen(log, "a")) {
        std::fprintf(f, "fake libcuda: %ld kernel launches, %ld graph launches, %zu live allocations\n",
                     launches, graphLaunches, allocations.size());
        std::fclose(f);
      }
    }
  }

  /// Whether [p, p + bytes) lies in one allocation.
  bool inside(uint64_t p, size_t bytes) const {
    auto it = allocations.upper_bound(p);
    if (it == allocations.begin())
      return false;
    --it;
    return p >= it->first && p + bytes <= it->first + it->second;
  }

  CUresult run(const RecordedLaunch &l) {
    std::vector<void *> pointers;
    std::vector<uint64_t> values = l.args;
    for (uint64_t &v : values)
      pointers.push_back(&v);
    char error[512] = {};
    int rc = launch(l.kernel, l.grid, l.block, l.shared, pointers.data(), error, sizeof error);
    if (rc != 0) {
      std::fprintf(stderr, "fake libcuda: launch failed: %s\n", error);
      return 719; // CUDA_ERROR_LAUNCH_FAILED
    }
    ++launches;
    return kSuccess;
  }
};

Driver &driver() {
  static Driver d;
  return d;
}

#define REQUIRE_INIT()                                                                             \
  if (!driver().initialized)                                                                       \
  return kNotInitialized
#define REQUIRE_CONTEXT()                                                                          \
  REQUIRE_INIT();                                                                                  \
  if (!driver().contextCurrent)                                                                    \
  return kInvalidContext

int deviceCount() {
  const char *env = std::getenv("R1C_FAKE_CUDA_DEVICES");
  return env ? std::atoi(env) : 1;
}

} // namespace

extern "C" {

CUresult cuInit(unsigned flags) {
  if (flags != 0)
    return kInvalidValue;
  driver().initialized = true;
  return kSuccess;
}

CUresult cuGetErrorString(CUresult rc, const char **text) {
  static const std::map<int, const char *> names = {
      {kInvalidValue, "invalid argument"},   {kOutOfMemory, "out of memory"},
      {kNotInitialized, "initialization error"}, {kNoDevice, "no CUDA-capable device is detected"},
      {kInvalidImage, "device kernel image is invalid"}, {kInvalidContext, "invalid device context"},
      {kNotFound, "named symbol not found"}, {kStreamCaptureUnsupported, "operation not permitted when stream is capturing"},
      {719, "unspecified launch failure"}};
  auto it = names.find(rc);
  *text = it == names.end() ? "unknown error" : it->second;
  return it == names.end() ? kInvalidValue : kSuccess;
}

CUresult cuDeviceGetCount(int *count) {
  REQUIRE_INIT();
  *count = deviceCount();
  return kSuccess;
}

CUresult cuDeviceGet(int *device, int ordinal) {
  REQUIRE_INIT();
  if (ordinal < 0 || ordinal >= deviceCount())
    return kInvalidDevice;
  *device = ordinal;
  return kSuccess;
}

CUresult cuDeviceGetName(char *name, int length, int) {
  REQUIRE_INIT();
  std::snprintf(name, size_t(length), "Fake CUDA device (r1c tests)");
  return kSuccess;
}

CUresult cuDeviceGetAttribute(int *value, int attribute, int) {
  REQUIRE_INIT();
  if (attribute == 75) // compute capability major
    *value = 9;
  else if (attribute == 76)
    *value = 0;
  else
    return kInvalidValue;
  return kSuccess;
}

CUresult cuDevicePrimaryCtxRetain(void **context, int device) {
  REQUIRE_INIT();
  if (device < 0 || device >= deviceCount())
    return kInvalidDevice;
  *context = reinterpret_cast<void *>(0xc0);
  return kSuccess;
}

CUresult cuDevicePrimaryCtxRelease_v2(int) {
  REQUIRE_INIT();
  return kSuccess;
}

CUresult cuCtxSetCurrent(void *context) {
  REQUIRE_INIT();
  driver().contextCurrent = context != nullptr;
  return kSuccess;
}

CUresult cuModuleLoadData(void **module, const void *image) {
  REQUIRE_CONTEXT();
  Driver &d = driver();
  uint32_t magic = 0;
  std::memcpy(&magic, image, 4);
  if (magic != 0xBA55ED50u)
    return kInvalidImage;
  const char *path = std::getenv("R1C_FAKE_CUDA_EMULATION");
  if (!path || !(d.emulation = ::dlopen(path, RTLD_NOW | RTLD_LOCAL))) {
    std::fprintf(stderr, "fake libcuda: set R1C_FAKE_CUDA_EMULATION to the artifact's emulation "
                         "code (%s)\n", path ? ::dlerror() : "unset");
    return kInvalidImage;
  }
  d.kernelIndex = reinterpret_cast<KernelIndexFn>(::dlsym(d.emulation, "r1emu_kernel_index"));
  d.kernelArity = reinterpret_cast<KernelArityFn>(::dlsym(d.emulation, "r1emu_kernel_arity"));
  d.launch = reinterpret_cast<LaunchFn>(::dlsym(d.emulation, "r1emu_launch"));
  if (!d.kernelIndex || !d.kernelArity || !d.launch)
    return kInvalidImage;
  *module = d.emulation;
  return kSuccess;
}

CUresult cuModuleUnload(void *module) {
  REQUIRE_CONTEXT();
  return module == driver().emulation ? kSuccess : kInvalidHandle;
}

CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
  REQUIRE_CONTEXT();
  Driver &d = driver();
  if (module != d.emulation || !d.kernelIndex)
    return kInvalidHandle;
  int index = d.kernelIndex(name);
  if (index < 0)
    return kNotFound;
  *function = reinterpret_cast<void *>(intptr_t(index) + 1);
  return kSuccess;
}

CUresult cuFuncSetAttribute(void *function, int attribute, int value) {
  REQUIRE_CONTEXT();
  if (attribute != 8 || value < 0 || value > 227 * 1024) // MAX_DYNAMIC_SHARED_SIZE_BYTES
    return kInvalidValue;
  driver().sharedLimit[int(reinterpret_cast<intptr_t>(function)) - 1] = value;
  return kSuccess;
}

CUresult cuMemAlloc_v2(uint64_t *address, size_t bytes) {
  REQUIRE_CONTEXT();
  if (bytes == 0)
    return kInvalidValue;
  void *p = std::malloc(bytes);
  if (!p)
    return kOutOfMemory;
  *address = reinterpret_cast<uint64_t>(p);
  driver().allocations[*address] = bytes;
  return kSuccess;
}

CUresult cuMemFree_v2(uint64_t address) {
  REQUIRE_CONTEXT();
  auto &a = driver().allocations;
  auto it = a.find(address);
  if (it == a.end())
    return kInvalidValue;
  std::free(reinterpret_cast<void *>(address));
  a.erase(it);
  return kSuccess;
}

CUresult cuStreamCreate(void **stream, unsigned flags) {
  REQUIRE_CONTEXT();
  if (flags > 1)
    return kInvalidValue;
  driver().stream = reinterpret_cast<void *>(0x5e);
  *stream = driver().stream;
  return kSuccess;
}

CUresult cuStreamDestroy_v2(void *stream) {
  REQUIRE_CONTEXT();
  return stream == driver().stream ? kSuccess : kInvalidHandle;
}

static CUresult checkStream(void *stream) {
  if (stream != nullptr && stream != driver().stream)
    return kInvalidHandle;
  return kSuccess;
}

CUresult cuMemcpyHtoDAsync_v2(uint64_t to, const void *from, size_t bytes, void *stream) {
  REQUIRE_CONTEXT();
  if (checkStream(stream) || !driver().inside(to, bytes))
    return kInvalidValue;
  if (driver().capturing)
    return kStreamCaptureUnsupported; // r1run uploads outside the captured graph
  std::memcpy(reinterpret_cast<void *>(to), from, bytes);
  return kSuccess;
}

CUresult cuMemcpyDtoHAsync_v2(void *to, uint64_t from, size_t bytes, void *stream) {
  REQUIRE_CONTEXT();
  if (checkStream(stream) || !driver().inside(from, bytes))
    return kInvalidValue;
  if (driver().capturing)
    return kStreamCaptureUnsupported;
  std::memcpy(to, reinterpret_cast<const void *>(from), bytes);
  return kSuccess;
}

CUresult cuMemsetD8Async(uint64_t at, unsigned char value, size_t bytes, void *stream) {
  REQUIRE_CONTEXT();
  if (checkStream(stream) || !driver().inside(at, bytes))
    return kInvalidValue;
  std::memset(reinterpret_cast<void *>(at), value, bytes);
  return kSuccess;
}

CUresult cuStreamSynchronize(void *stream) {
  REQUIRE_CONTEXT();
  if (driver().capturing)
    return kStreamCaptureUnsupported;
  return checkStream(stream);
}

CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned shared, void *stream, void **params,
                        void **extra) {
  REQUIRE_CONTEXT();
  Driver &d = driver();
  int kernel = int(reinterpret_cast<intptr_t>(function)) - 1;
  if (checkStream(stream) || extra || !params || kernel < 0)
    return kInvalidValue;
  if (uint64_t(bx) * by * bz > 1024 || !gx || !gy || !gz || gy > 65535 || gz > 65535)
    return kInvalidValue;
  auto limit = d.sharedLimit.find(kernel);
  if (shared > (limit == d.sharedLimit.end() ? 48u * 1024 : unsigned(limit->second)))
    return kInvalidValue;
  int arity = d.kernelArity(kernel);
  if (arity < 0)
    return kInvalidHandle;
  RecordedLaunch l{kernel, {gx, gy, gz}, {bx, by, bz}, shared, {}};
  // The driver copies the arguments at the call: the caller may reuse them.
  for (int i = 0; i < arity; ++i) {
    uint64_t v;
    std::memcpy(&v, params[i], 8);
    l.args.push_back(v);
  }
  if (d.capturing) {
    d.capture.push_back(std::move(l));
    return kSuccess;
  }
  return d.run(l);
}

CUresult cuStreamBeginCapture_v2(void *stream, int mode) {
  REQUIRE_CONTEXT();
  if (!stream || stream != driver().stream) // the legacy null stream cannot be captured
    return kStreamCaptureUnsupported;
  if (mode < 0 || mode > 2 || driver().capturing)
    return kInvalidValue;
  driver().capturing = true;
  driver().capture.clear();
  return kSuccess;
}

CUresult cuStreamEndCapture(void *stream, void **graph) {
  REQUIRE_CONTEXT();
  Driver &d = driver();
  if (stream != d.stream || !d.capturing)
    return kStreamCaptureInvalidated;
  d.capturing = false;
  d.graphs.push_back(std::move(d.capture));
  *graph = reinterpret_cast<void *>(intptr_t(d.graphs.size()));
  return kSuccess;
}

CUresult cuGraphInstantiateWithFlags(void **exec, void *graph, unsigned long long flags) {
  REQUIRE_CONTEXT();
  if (flags != 0 || !graph)
    return kInvalidValue;
  *exec = graph; // the recorded list itself
  return kSuccess;
}

CUresult cuGraphLaunch(void *exec, void *stream) {
  REQUIRE_CONTEXT();
  Driver &d = driver();
  size_t index = size_t(reinterpret_cast<intptr_t>(exec));
  if (checkStream(stream) || index == 0 || index > d.graphs.size())
    return kInvalidHandle;
  ++d.graphLaunches;
  for (const RecordedLaunch &l : d.graphs[index - 1])
    if (CUresult rc = d.run(l))
      return rc;
  return kSuccess;
}

CUresult cuGraphExecDestroy(void *) {
  REQUIRE_CONTEXT();
  return kSuccess;
}

CUresult cuGraphDestroy(void *) {
  REQUIRE_CONTEXT();
  return kSuccess;
}

} // extern "C"
