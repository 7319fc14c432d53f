//===- StopStrings.h - Stopping at stop strings in streamed text ----------===//
//
// Generated text arrives a token's piece at a time, and a stop string can
// span pieces. StopStrings says what may be shown now: everything before the
// first stop string, but not text that could still turn out to be the start
// of one ("</" while waiting for "</answer>"); that is held back until the
// next pieces decide it. Once a stop string is complete, the text before it is
// released and the text from it on is dropped.
//
// "First" means the stop string that is completed first while the text
// streams, so the result does not depend on how the text is cut into pieces;
// of several completed by the same character, the longest. Matching is on
// bytes; for UTF-8 stop strings, held text always starts at a character
// boundary of valid UTF-8 text.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_STOPSTRINGS_H
#define R1C_RUNTIME_STOPSTRINGS_H

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace r1::runtime {

class StopStrings {
public:
  /// What feed() released.
  struct Output {
    /// Safe to show: it can no longer be part of a stop string.
    std::string text;
    /// A stop string was completed; `text` ends just before it.
    bool stopped = false;
    /// Which one, as an index into the strings given to the constructor.
    size_t stopIndex = 0;
  };

  /// Empty strings are ignored (they would stop before anything is shown).
  explicit StopStrings(std::vector<std::string> stops);

  /// Adds the next piece of generated text. After a stop, returns nothing
  /// more (and stopped again).
  Output feed(std::string_view piece);

  /// Generation ended without a stop string: the text still held back.
  /// Empty after a stop.
  std::string finish();

  bool stopped() const { return stopped_; }
  /// The text held back now.
  const std::string &held() const { return held_; }

private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
  size_t stopIndex_ = 0;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_STOPSTRINGS_H
