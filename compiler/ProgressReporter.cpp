//===- ProgressReporter.cpp - Progress of long work on stderr -------------===//

#include "compiler/ProgressReporter.h"

#include "llvm/Support/FormatVariadic.h"

namespace r1 {

namespace {

std::string bytesText(double bytes) {
  if (bytes >= 1e9)
    return llvm::formatv("{0:f2} GB", bytes / 1e9);
  return llvm::formatv("{0:f1} MB", bytes / 1e6);
}

std::string durationText(double seconds) {
  auto s = uint64_t(seconds + 0.5);
  if (s >= 3600)
    return llvm::formatv("{0}:{1,0+2}:{2,0+2}", s / 3600, s / 60 % 60, s % 60);
  return llvm::formatv("{0}:{1,0+2}", s / 60, s % 60);
}

} // namespace

ProgressReporter::ProgressReporter(llvm::raw_ostream &os, std::string what, std::string items,
                                   bool terminal)
    : os_(os), what_(std::move(what)), items_(std::move(items)), terminal_(terminal) {}

std::string ProgressReporter::format(uint64_t bytesDone, uint64_t bytesTotal, uint64_t itemsDone,
                                     uint64_t itemsTotal, double seconds, bool bar,
                                     const std::string &what, const std::string &items) {
  double fraction = bytesTotal ? double(bytesDone) / double(bytesTotal) : 1.0;
  double rate = seconds > 0 ? double(bytesDone) / seconds : 0;
  std::string text = what + " ";
  if (bar) {
    constexpr int kWidth = 24;
    int filled = int(fraction * kWidth + 0.5);
    text += "[" + std::string(size_t(filled), '#') + std::string(size_t(kWidth - filled), '.') +
            "] ";
  }
  text += llvm::formatv("{0,3:f0}% {1} / {2}, {3} / {4} {5}", 100.0 * fraction,
                        bytesText(double(bytesDone)), bytesText(double(bytesTotal)), itemsDone,
                        itemsTotal, items);
  if (rate > 0) {
    text += ", " + bytesText(rate) + "/s";
    if (bytesDone < bytesTotal)
      text += ", ETA " + durationText(double(bytesTotal - bytesDone) / rate);
    else
      text += ", " + durationText(seconds);
  }
  return text;
}

void ProgressReporter::update(uint64_t bytesDone, uint64_t bytesTotal, uint64_t itemsDone,
                              uint64_t itemsTotal) {
  if (finished_)
    return;
  auto now = std::chrono::steady_clock::now();
  bool done = bytesDone >= bytesTotal && itemsDone >= itemsTotal;
  // A bar redraws ten times a second; plain lines every 2 s.
  auto every = terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(2000);
  if (!done && now - last_ < every)
    return;
  last_ = now;
  double seconds = std::chrono::duration<double>(now - start_).count();
  std::string text =
      format(bytesDone, bytesTotal, itemsDone, itemsTotal, seconds, terminal_, what_, items_);
  if (terminal_)
    os_ << "\r" << text << "\x1b[K" << (done ? "\n" : "");
  else
    os_ << text << "\n";
  os_.flush();
  finished_ = done;
}

} // namespace r1
