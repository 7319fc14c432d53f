//===- WeightPlacement.h - Host weights: the file mapping or huge pages ---===//
//
// A host artifact's weights can be used in place in the file mapping, or
// read once at load into anonymous memory advised for 2 MiB pages
// (transparent huge pages). Decode reads every weight byte once per token
// and is bound by memory bandwidth; with 4 KiB pages each page of a weight
// stream costs a TLB miss and a page walk, and an MoE step jumps between
// experts that sit gigabytes apart. Measured gains and load costs are in
// docs/r1run.md#loading.
//
// The read costs load time (from the page cache, or the disk read the
// mapping would pay on first touch anyway) and memory: the weights must fit
// in what the kernel says is available. `auto` reads them into memory when
// they fit and the kernel's transparent huge pages are not off, and maps
// otherwise.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_WEIGHTPLACEMENT_H
#define R1C_RUNTIME_WEIGHTPLACEMENT_H

#include "runtime/Status.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace r1::runtime {

/// Where a host artifact's weights live while it runs (r1run --weights).
enum class WeightPlacement {
  Auto,   ///< Memory when the weights fit and huge pages are not off; else Mapped.
  Mapped, ///< In place in the artifact's file mapping (4 KiB page-cache pages).
  Memory, ///< Copied into anonymous memory advised for 2 MiB pages.
};

/// "auto", "mapped" or "memory"; nullopt for anything else.
std::optional<WeightPlacement> parseWeightPlacement(const std::string &text);
const char *weightPlacementName(WeightPlacement placement);

/// What Auto decides from: bytes the kernel reports available
/// (/proc/meminfo MemAvailable, which counts reclaimable page cache) and
/// whether transparent huge pages are enabled at all. Tests inject these.
struct MemoryFacts {
  std::optional<uint64_t> availableBytes; ///< nullopt: unknown (not Linux)
  std::optional<uint64_t> totalBytes;
  bool hugePagesOff = false; ///< /sys/kernel/mm/transparent_hugepage/enabled is [never]
};
MemoryFacts readMemoryFacts();

/// Mapped or Memory for `bytes` of weights. Auto: Memory when huge pages are
/// not off and bytes + a reserve (1 GiB or 10% of memory, the larger) fit
/// in the available bytes. Memory asked for explicitly but not fitting in
/// the available bytes is an error naming both sizes, for `path`.
Result<WeightPlacement> decideWeightPlacement(WeightPlacement asked, uint64_t bytes,
                                              const MemoryFacts &facts, const std::string &path);

/// A copy of weights in anonymous memory (huge pages advised); unmapped on
/// destruction.
class ResidentWeights {
public:
  /// Called on the loading thread as chunks complete: bytes read, of all.
  using Progress = std::function<void(uint64_t done, uint64_t total)>;
  /// Reads `bytes` of `path` from file offset `offset` (the weights
  /// section) on up to `threads` threads. Fails, naming `path`, when the
  /// memory cannot be mapped or the file cannot be read.
  static Result<std::unique_ptr<ResidentWeights>> read(const std::string &path, uint64_t offset,
                                                       uint64_t bytes, int threads,
                                                       const Progress &progress = {});
  ~ResidentWeights();
  ResidentWeights(const ResidentWeights &) = delete;
  ResidentWeights &operator=(const ResidentWeights &) = delete;

  const unsigned char *data() const { return data_; }

private:
  ResidentWeights(unsigned char *data, uint64_t mapped) : data_(data), mapped_(mapped) {}
  unsigned char *data_;
  uint64_t mapped_;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_WEIGHTPLACEMENT_H
