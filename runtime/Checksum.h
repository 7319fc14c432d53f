//===- Checksum.h - XXH64 of artifact sections and manifests --------------===//
//
// The artifact format checksums every section and the manifest with XXH64
// (seed 0): 11 GB/s on one core of this project's machines (in memory), so
// verifying is bound by the disk; and it is the standard XXH64 that
// `xxh64sum` prints, so a section can be checked by hand.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_CHECKSUM_H
#define R1C_RUNTIME_CHECKSUM_H

#include <cstddef>
#include <cstdint>
#include <memory>

namespace r1::runtime {

/// XXH64 of `bytes` bytes at `data`, seed 0.
uint64_t xxh64(const void *data, size_t bytes);

/// XXH64 over data fed in pieces (for sections streamed by the writer).
class Xxh64Stream {
public:
  Xxh64Stream();
  ~Xxh64Stream();
  Xxh64Stream(const Xxh64Stream &) = delete;
  Xxh64Stream &operator=(const Xxh64Stream &) = delete;

  void reset();
  void update(const void *data, size_t bytes);
  uint64_t digest() const;

private:
  struct State;
  std::unique_ptr<State> state_;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_CHECKSUM_H
