//===- StopStringsTest.cpp - Stop strings over streamed text --------------===//

#include "runtime/StopStrings.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace r1::runtime {
namespace {

/// Feeds `pieces` in order; returns everything released (finish() included
/// when no stop string was hit) and whether one was.
std::pair<std::string, bool> run(StopStrings &matcher, const std::vector<std::string> &pieces) {
  std::string shown;
  for (const std::string &piece : pieces) {
    StopStrings::Output out = matcher.feed(piece);
    shown += out.text;
    if (out.stopped)
      return {shown, true};
  }
  return {shown + matcher.finish(), false};
}

TEST(StopStrings, StopInsideOnePiece) {
  StopStrings matcher({"</s>"});
  StopStrings::Output out = matcher.feed("hello</s>world");
  EXPECT_EQ(out.text, "hello");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(out.stopIndex, 0u);
  EXPECT_TRUE(matcher.stopped());
  // Nothing more after a stop.
  out = matcher.feed("more");
  EXPECT_EQ(out.text, "");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(matcher.finish(), "");
}

TEST(StopStrings, StopSplitAcrossPieces) {
  StopStrings matcher({"</s>"});
  StopStrings::Output out = matcher.feed("hel");
  EXPECT_EQ(out.text, "hel");
  EXPECT_FALSE(out.stopped);
  out = matcher.feed("lo<");
  EXPECT_EQ(out.text, "lo");
  EXPECT_EQ(matcher.held(), "<");
  out = matcher.feed("/");
  EXPECT_EQ(out.text, "");
  EXPECT_EQ(matcher.held(), "</");
  out = matcher.feed("s>bye");
  EXPECT_EQ(out.text, "");
  EXPECT_TRUE(out.stopped);
}

TEST(StopStrings, FalsePrefixIsReleasedWhenItDiverges) {
  StopStrings matcher({"</answer>"});
  StopStrings::Output out = matcher.feed("x </ans");
  EXPECT_EQ(out.text, "x ");
  EXPECT_EQ(matcher.held(), "</ans");
  out = matcher.feed("wes");
  EXPECT_EQ(out.text, "</answes");
  EXPECT_FALSE(out.stopped);
  EXPECT_EQ(matcher.held(), "");
  // A divergence that starts another candidate: "<" is held again.
  matcher.feed("</a");
  out = matcher.feed("x<");
  EXPECT_EQ(out.text, "</ax");
  EXPECT_EQ(matcher.held(), "<");
}

TEST(StopStrings, FinishReleasesHeldText) {
  StopStrings matcher({"<end>"});
  EXPECT_EQ(matcher.feed("abc<en").text, "abc");
  EXPECT_EQ(matcher.finish(), "<en");
  EXPECT_FALSE(matcher.stopped());
}

TEST(StopStrings, TextThatCannotStartAStopIsReleasedAtOnce) {
  StopStrings matcher({"xyz"});
  StopStrings::Output out = matcher.feed("abc");
  EXPECT_EQ(out.text, "abc");
  EXPECT_EQ(matcher.held(), "");
  StopStrings none({});
  EXPECT_EQ(none.feed("xyz").text, "xyz");
}

TEST(StopStrings, EmptyStopStringsAreIgnored) {
  StopStrings matcher({"", "!"});
  StopStrings::Output out = matcher.feed("hi!");
  EXPECT_EQ(out.text, "hi");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(out.stopIndex, 1u);
}

TEST(StopStrings, MultipleStopStrings) {
  StopStrings matcher({"STOP", "END"});
  EXPECT_EQ(run(matcher, {"xxE", "NDyySTOP"}), std::make_pair(std::string("xx"), true));
  EXPECT_EQ(matcher.feed("").stopIndex, 1u);

  StopStrings other({"STOP", "END"});
  EXPECT_EQ(run(other, {"xxEN", "yyST", "OP"}), std::make_pair(std::string("xxENyy"), true));
  EXPECT_EQ(other.feed("").stopIndex, 0u);
}

TEST(StopStrings, TheFirstStopCompletedWinsWhateverThePieces) {
  // "bc" is complete before "abcd" is, in one piece or one byte at a time.
  StopStrings whole({"abcd", "bc"});
  StopStrings::Output out = whole.feed("xabcd");
  EXPECT_EQ(out.text, "xa");
  EXPECT_EQ(out.stopIndex, 1u);
  StopStrings bytes({"abcd", "bc"});
  EXPECT_EQ(run(bytes, {"x", "a", "b", "c", "d"}), std::make_pair(std::string("xa"), true));

  // Two completed by the same byte: the longer one.
  StopStrings same({"b", "ab"});
  out = same.feed("xab");
  EXPECT_EQ(out.text, "x");
  EXPECT_EQ(out.stopIndex, 1u);
}

TEST(StopStrings, OverlappingPrefixes) {
  // "aab" in "aaab": the held "aa" becomes "aaa", whose tail "aa" still counts.
  StopStrings whole({"aab"});
  EXPECT_EQ(run(whole, {"aaab"}), std::make_pair(std::string("a"), true));
  StopStrings bytes({"aab"});
  EXPECT_EQ(bytes.feed("a").text, "");
  EXPECT_EQ(bytes.feed("a").text, "");
  EXPECT_EQ(bytes.feed("a").text, "a");
  EXPECT_EQ(bytes.held(), "aa");
  StopStrings::Output out = bytes.feed("b");
  EXPECT_EQ(out.text, "");
  EXPECT_TRUE(out.stopped);

  StopStrings periodic({"abab"});
  EXPECT_EQ(run(periodic, {"ab", "aab", "ab"}), std::make_pair(std::string("aba"), true));
  StopStrings nested({"abc", "bcd", "cde"});
  EXPECT_EQ(run(nested, {"ab", "xbc", "d"}), std::make_pair(std::string("abx"), true));
}

TEST(StopStrings, HeldTextStartsAtACharacterBoundary) {
  // "。" is 3 bytes (E3 80 82); a piece may end inside one.
  StopStrings matcher({"。"});
  StopStrings::Output out = matcher.feed("好\xE3");
  EXPECT_EQ(out.text, "好");
  EXPECT_EQ(matcher.held(), "\xE3");
  out = matcher.feed("\x80\x81"); // "、", not "。"
  EXPECT_EQ(out.text, "\xE3\x80\x81");
  out = matcher.feed("\xE3\x80\x82x");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(out.text, "");
}

/// What streaming must release, found by brute force: the text before the
/// first stop string to be completed (the longest of those completed by the
/// same byte), or all of it.
std::pair<std::string, bool> reference(const std::string &text,
                                       const std::vector<std::string> &stops) {
  for (size_t end = 1; end <= text.size(); ++end) {
    size_t longest = 0;
    for (const std::string &stop : stops)
      if (!stop.empty() && stop.size() <= end &&
          text.substr(end - stop.size(), stop.size()) == stop)
        longest = std::max(longest, stop.size());
    if (longest)
      return {text.substr(0, end - longest), true};
  }
  return {text, false};
}

TEST(StopStrings, AnySplitMatchesTheReference) {
  const std::vector<std::vector<std::string>> stopSets = {
      {"aab"}, {"abab"}, {"ba", "aaa"}, {"abba", "bab", "bbb"}, {"a"}};
  uint64_t state = 1;
  auto next = [&](uint64_t n) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % n;
  };
  for (const std::vector<std::string> &stops : stopSets) {
    for (int trial = 0; trial < 400; ++trial) {
      std::string text;
      for (uint64_t i = 0, n = next(12); i < n; ++i)
        text += "ab"[next(2)];
      // Cut into pieces of 0 to 4 bytes.
      std::vector<std::string> pieces;
      for (size_t at = 0; at < text.size();) {
        size_t size = std::min<size_t>(next(5), text.size() - at);
        pieces.push_back(text.substr(at, size));
        at += size;
      }
      StopStrings matcher(stops);
      EXPECT_EQ(run(matcher, pieces), reference(text, stops))
          << "text \"" << text << "\", first stop \"" << stops[0] << "\"";
    }
  }
}

} // namespace
} // namespace r1::runtime
