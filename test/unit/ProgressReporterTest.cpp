//===- ProgressReporterTest.cpp - The text of progress bars and lines -----===//

#include "compiler/ProgressReporter.h"

#include <gtest/gtest.h>

namespace r1 {
namespace {

TEST(ProgressReporter, BarWithRateAndEta) {
  // 4 of 16 GB after 20 s: 200 MB/s, 60 s to go.
  EXPECT_EQ(ProgressReporter::format(4'000'000'000, 16'000'000'000, 12, 345, 20.0, true,
                                     "r1c: package: weights", "tensors"),
            "r1c: package: weights [######..................]  25% 4.00 GB / 16.00 GB, 12 / 345 "
            "tensors, 200.0 MB/s, ETA 1:00");
}

TEST(ProgressReporter, PlainLineAndTheFinalLine) {
  EXPECT_EQ(ProgressReporter::format(50'000'000, 100'000'000, 1, 3, 0.5, false, "r1c synth:",
                                     "shards"),
            "r1c synth:  50% 50.0 MB / 100.0 MB, 1 / 3 shards, 100.0 MB/s, ETA 0:01");
  // Done: the elapsed time instead of an ETA; hours when it is long.
  EXPECT_EQ(ProgressReporter::format(700'000'000'000, 700'000'000'000, 1000, 1000, 3725.0, false,
                                     "w", "tensors"),
            "w 100% 700.00 GB / 700.00 GB, 1000 / 1000 tensors, 187.9 MB/s, 1:02:05");
}

TEST(ProgressReporter, UpdatesGoToTheStreamAndEndAtTheTotal) {
  std::string text;
  llvm::raw_string_ostream os(text);
  ProgressReporter bar(os, "w", "tensors", /*terminal=*/true);
  bar.update(1, 2, 0, 1);
  bar.update(2, 2, 1, 1);
  bar.update(2, 2, 1, 1); // after the end: nothing more
  os.flush();
  EXPECT_EQ(text.rfind("\r", 0), 0u);
  EXPECT_NE(text.find("\x1b[K"), std::string::npos);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  EXPECT_NE(text.find("100%"), std::string::npos);
}

} // namespace
} // namespace r1
