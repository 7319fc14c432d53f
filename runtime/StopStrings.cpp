//===- StopStrings.cpp - Stopping at stop strings in streamed text --------===//

#include "runtime/StopStrings.h"

#include <algorithm>
#include <utility>

namespace r1::runtime {

StopStrings::StopStrings(std::vector<std::string> stops) : stops_(std::move(stops)) {}

StopStrings::Output StopStrings::feed(std::string_view piece) {
  if (stopped_)
    return {"", true, stopIndex_};
  size_t before = held_.size();
  held_ += piece;

  // 1. Did a new character complete a stop string? The held text contains
  //    none that ends earlier (feed would have stopped there), and none can
  //    start in text already released (see 2).
  for (size_t end = before + 1; end <= held_.size(); ++end) {
    size_t found = stops_.size();
    for (size_t i = 0; i < stops_.size(); ++i) {
      const std::string &stop = stops_[i];
      if (stop.empty() || stop.size() > end || held_.compare(end - stop.size(), stop.size(), stop))
        continue;
      if (found == stops_.size() || stop.size() > stops_[found].size())
        found = i;
    }
    if (found < stops_.size()) {
      Output out{held_.substr(0, end - stops_[found].size()), true, found};
      stopped_ = true;
      stopIndex_ = found;
      held_.clear();
      return out;
    }
  }

  // 2. Release everything before the first position from which the held
  //    text is a proper prefix of a stop string: text before it can no
  //    longer be part of one.
  size_t longest = 0;
  for (const std::string &stop : stops_)
    longest = std::max(longest, stop.size());
  size_t release = held_.size();
  size_t first = held_.size() >= longest ? held_.size() - longest + 1 : 0;
  std::string_view held = held_;
  for (size_t start = first; start < held.size() && release == held.size(); ++start) {
    std::string_view tail = held.substr(start);
    for (const std::string &stop : stops_)
      if (tail.size() < stop.size() && std::string_view(stop).starts_with(tail)) {
        release = start;
        break;
      }
  }
  Output out{held_.substr(0, release)};
  held_.erase(0, release);
  return out;
}

std::string StopStrings::finish() {
  std::string rest = std::move(held_);
  held_.clear();
  return stopped_ ? std::string() : rest;
}

} // namespace r1::runtime
