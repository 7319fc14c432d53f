//===- CodeLoader.cpp - Loading an artifact's code section ----------------===//

#include "runtime/CodeLoader.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace r1::runtime {

namespace {

bool writeAll(int fd, const void *data, size_t bytes) {
  const auto *p = static_cast<const unsigned char *>(data);
  while (bytes > 0) {
    ssize_t n = ::write(fd, p, bytes);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    p += n;
    bytes -= static_cast<size_t>(n);
  }
  return true;
}

std::string dlerrorText() {
  const char *text = ::dlerror();
  return text ? text : "unknown dlopen error";
}

/// dlopen of the bytes through an anonymous memory file.
void *openViaMemfd(const void *data, size_t bytes, std::string &error) {
  int fd = ::memfd_create("r1c-code", MFD_CLOEXEC);
  if (fd < 0) {
    error = std::string("memfd_create: ") + std::strerror(errno);
    return nullptr;
  }
  void *handle = nullptr;
  if (!writeAll(fd, data, bytes)) {
    error = std::string("writing the code to memory: ") + std::strerror(errno);
  } else {
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      error = dlerrorText();
  }
  // The mapping dlopen made keeps the memory file alive.
  ::close(fd);
  return handle;
}

/// dlopen of the bytes through a temporary file, unlinked right after.
void *openViaTempFile(const void *data, size_t bytes, std::string &error) {
  const char *dir = std::getenv("TMPDIR");
  std::string path = std::string(dir && *dir ? dir : "/tmp") + "/r1c-code-XXXXXX.so";
  int fd = ::mkstemps(path.data(), 3);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return nullptr;
  }
  void *handle = nullptr;
  if (!writeAll(fd, data, bytes))
    error = path + ": " + std::strerror(errno);
  ::close(fd);
  if (error.empty()) {
    handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      error = dlerrorText();
  }
  ::unlink(path.c_str());
  return handle;
}

} // namespace

void *openSharedObjectInMemory(const void *data, size_t bytes, std::string &error) {
  std::string memfdError, fileError;
  void *handle = openViaMemfd(data, bytes, memfdError);
  if (!handle)
    handle = openViaTempFile(data, bytes, fileError);
  if (!handle)
    error = memfdError + (fileError.empty() ? "" : "; via a temporary file: " + fileError);
  return handle;
}

Result<std::unique_ptr<LoadedCode>> LoadedCode::load(const std::string &artifact, const void *data,
                                                     size_t bytes,
                                                     const std::string &expectedIdentity) {
  std::string memfdError, fileError;
  void *handle = openViaMemfd(data, bytes, memfdError);
  if (!handle)
    handle = openViaTempFile(data, bytes, fileError);
  if (!handle) {
    // A loader error on memory contents we checksummed means the code does
    // not suit this system (e.g. a missing libstdc++ version).
    return Status::runtimeError(artifact + ": cannot load the compiled code: " + memfdError +
                                (fileError.empty() ? "" : "; via a temporary file: " + fileError));
  }

  std::unique_ptr<LoadedCode> code(new LoadedCode());
  code->handle_ = handle;
  auto identity = reinterpret_cast<const char *(*)()>(::dlsym(handle, "r1_code_identity"));
  code->prefill_ = reinterpret_cast<r1_step_fn>(::dlsym(handle, "r1_prefill"));
  code->decode_ = reinterpret_cast<r1_step_fn>(::dlsym(handle, "r1_decode"));
  // Optional: without it a batch runs r1_decode per sequence.
  code->decodeBatch_ = reinterpret_cast<r1_step_fn>(::dlsym(handle, "r1_decode_batch"));
  const char *missing = !identity         ? "r1_code_identity"
                        : !code->prefill_ ? "r1_prefill"
                        : !code->decode_  ? "r1_decode"
                                          : nullptr;
  if (missing)
    return Status::badInput(artifact + ": the compiled code does not export " + missing +
                            "; the artifact is corrupt or from an incompatible r1c");
  const char *text = identity();
  code->identity_ = text ? text : "";
  if (code->identity_ != expectedIdentity)
    return Status::badInput(artifact +
                            ": code does not match the manifest: artifact corrupt (code "
                            "identity \"" +
                            code->identity_ + "\", manifest code.identity \"" + expectedIdentity +
                            "\")");
  return code;
}

LoadedCode::~LoadedCode() {
  if (handle_)
    ::dlclose(handle_);
}

} // namespace r1::runtime
