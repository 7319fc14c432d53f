//===- Metrics.h - The server's counters in Prometheus text format --------===//
//
// GET /metrics: requests by endpoint and status, prompt and completion
// tokens, time to first token and inter-token latency as histograms, and
// the engine's gauges (queue depth, running sequences, KV cache tokens
// reserved out of the capacity). Thread-safe: every HTTP thread records.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_SERVE_METRICS_H
#define R1C_RUNTIME_SERVE_METRICS_H

#include "runtime/serve/Engine.h"

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace r1::runtime::serve {

/// A Prometheus histogram with fixed upper bounds in seconds.
class Histogram {
public:
  static constexpr std::array<double, 14> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,  0.1,    0.25,  0.5,  1,
                                                     2.5,   5,      10,    30};
  void observe(double seconds);
  /// "<name>_bucket{le=...} n" lines (cumulative, +Inf last), _sum, _count.
  std::string text(const std::string &name) const;

private:
  std::array<uint64_t, kBounds.size() + 1> counts_{}; // the last: above every bound
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
public:
  void request(const std::string &endpoint, int status);
  void tokens(int64_t prompt, int64_t completion);
  void timeToFirstToken(double seconds);
  void interTokenLatency(double seconds);
  /// The exposition (text format 0.0.4), with `engine`'s gauges and the
  /// connections dropped for sending a request too slowly.
  std::string render(const EngineStats &engine, uint64_t timedOutConnections) const;

private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  uint64_t promptTokens_ = 0;
  uint64_t completionTokens_ = 0;
  Histogram ttft_, itl_;
};

} // namespace r1::runtime::serve

#endif // R1C_RUNTIME_SERVE_METRICS_H
