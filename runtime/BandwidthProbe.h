//===- BandwidthProbe.h - Memory read bandwidth, measured in the same run -===//
//
// Decode reads every weight byte once per token, so its ceiling is memory
// read bandwidth divided by the bytes read per token. That bandwidth varies
// between machines and, on shared ones, from minute to minute (this
// project's build machines: 28-60 GB/s), so `r1run bench` measures it itself,
// between its own repeats, and reports throughput as a fraction of the
// roofline it implies. The probe is STREAM-like: the pool's threads each sum
// one contiguous slice of a buffer far larger than the last-level cache.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_BANDWIDTHPROBE_H
#define R1C_RUNTIME_BANDWIDTHPROBE_H

#include "runtime/ThreadPool.h"

#include <cstddef>
#include <cstdint>
#include <memory>

namespace r1::runtime {

class BandwidthProbe {
public:
  /// A buffer of `bytes` (rounded down to 4 KiB), written once so that its
  /// pages are resident before the first measurement.
  explicit BandwidthProbe(size_t bytes = size_t(512) << 20);
  ~BandwidthProbe();
  BandwidthProbe(const BandwidthProbe &) = delete;
  BandwidthProbe &operator=(const BandwidthProbe &) = delete;

  /// Bytes per second of the best of `passes` full reads of the buffer, the
  /// threads of `pool` each reading one slice. The best, as STREAM reports:
  /// a slower pass measures interference, not the memory.
  double measure(ThreadPool &pool, int passes = 3);

  size_t bytes() const { return bytes_; }

private:
  uint64_t *data_ = nullptr;
  size_t bytes_ = 0;
  /// Sums of the slices, kept so the reads cannot be optimized away.
  std::unique_ptr<uint64_t[]> sinks_;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_BANDWIDTHPROBE_H
