//===- ProgressReporter.h - Progress of long work on stderr ---------------===//
//
// On a terminal: one line redrawn in place, a bar with percent, bytes,
// items, rate and ETA. Otherwise (a log, CI): a plain line every few
// seconds, so logs stay readable. Both end with a final line at 100%.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_PROGRESSREPORTER_H
#define R1C_COMPILER_PROGRESSREPORTER_H

#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace r1 {

class ProgressReporter {
public:
  /// `what` prefixes each line ("r1c: package: weights"); `items` names the
  /// counted things ("tensors"). `terminal`: draw a bar (redrawn with \r).
  ProgressReporter(llvm::raw_ostream &os, std::string what, std::string items, bool terminal);

  void update(uint64_t bytesDone, uint64_t bytesTotal, uint64_t itemsDone, uint64_t itemsTotal);

  /// The text of one report (exposed for tests): bar or plain line.
  static std::string format(uint64_t bytesDone, uint64_t bytesTotal, uint64_t itemsDone,
                            uint64_t itemsTotal, double seconds, bool bar,
                            const std::string &what, const std::string &items);

private:
  llvm::raw_ostream &os_;
  std::string what_, items_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_ = start_;
  bool finished_ = false;
};

} // namespace r1

#endif // R1C_COMPILER_PROGRESSREPORTER_H
