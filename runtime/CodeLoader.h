//===- CodeLoader.h - Loading an artifact's code section ------------------===//
//
// The `code` section is a shared object. It is loaded from memory, through
// memfd_create and dlopen("/proc/self/fd/N"), so that nothing is written to
// disk and nothing outside the checksummed artifact is ever executed; where
// memfd is unavailable it goes through a temporary file that is removed as
// soon as dlopen has mapped it. The entry points of R1Abi.h are resolved and
// the code's identity is checked against the manifest.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_CODELOADER_H
#define R1C_RUNTIME_CODELOADER_H

#include "runtime/R1Abi.h"
#include "runtime/Status.h"

#include <cstddef>
#include <memory>
#include <string>

namespace r1::runtime {

/// dlopens the shared object in `bytes` bytes at `data` without writing it to
/// disk (memfd; a temporary file, unlinked at once, where memfd fails).
/// Returns the handle, or nullptr with the loader's message in `error`.
void *openSharedObjectInMemory(const void *data, size_t bytes, std::string &error);

class LoadedCode {
public:
  /// Loads the shared object in `bytes` bytes at `data`; `artifact` names the
  /// file in errors, `expectedIdentity` is the manifest's code.identity.
  static Result<std::unique_ptr<LoadedCode>> load(const std::string &artifact, const void *data,
                                                  size_t bytes,
                                                  const std::string &expectedIdentity);
  /// dlcloses the object.
  ~LoadedCode();
  LoadedCode(const LoadedCode &) = delete;
  LoadedCode &operator=(const LoadedCode &) = delete;

  r1_step_fn prefill() const { return prefill_; }
  r1_step_fn decode() const { return decode_; }
  /// nullptr when the code does not export r1_decode_batch (it is optional).
  r1_step_fn decodeBatch() const { return decodeBatch_; }
  const std::string &identity() const { return identity_; }

private:
  LoadedCode() = default;

  void *handle_ = nullptr;
  r1_step_fn prefill_ = nullptr;
  r1_step_fn decode_ = nullptr;
  r1_step_fn decodeBatch_ = nullptr;
  std::string identity_;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_CODELOADER_H
