//===- ArtifactWriterTest.cpp - Writing artifacts: round trip, atomicity --===//

#include "runtime/ArtifactWriter.h"
#include "runtime/ArtifactReader.h"
#include "test/unit/runtime/ToyArtifact.h"

#include <gtest/gtest.h>

#include <csignal>
#include <sys/resource.h>

namespace r1::runtime {
namespace {

using toy::TempDir;

std::string pattern(size_t bytes, int seed) {
  std::string data(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i)
    data[i] = static_cast<char>((i * 31 + static_cast<size_t>(seed)) & 0xff);
  return data;
}

TEST(ArtifactWriter, RoundTripsSectionsAndManifest) {
  TempDir dir;
  std::string path = dir.file("a.r1");
  std::string w0 = pattern(100, 1), w1 = pattern(5000, 2), code = pattern(12345, 3);
  std::vector<uint64_t> offsets;
  {
    ArtifactWriter writer;
    ASSERT_TRUE(writer.create(path).ok());
    ASSERT_TRUE(writer.beginSection("weights").ok());
    EXPECT_EQ(writer.currentSectionOffset(), 0u);
    for (const std::string *w : {&w0, &w1}) {
      ASSERT_TRUE(writer.pad(kWeightAlignment).ok());
      offsets.push_back(writer.currentSectionOffset());
      // Streamed in pieces, as the compiler streams multi-GB weights.
      ASSERT_TRUE(writer.write(w->data(), 7).ok());
      ASSERT_TRUE(writer.write(w->data() + 7, w->size() - 7).ok());
    }
    ASSERT_TRUE(writer.endSection().ok());
    ASSERT_TRUE(writer.addSection("code", code.data(), code.size()).ok());
    ASSERT_TRUE(writer.addSection("empty", nullptr, 0).ok());
    Status s =
        writer.finishWithJsonText(R"({"hello": [1, 2], "sections": "overwritten", "format": "x"})");
    ASSERT_TRUE(s.ok()) << s.message();
  }
  EXPECT_EQ(offsets, (std::vector<uint64_t>{0, 128}));
  EXPECT_EQ(dir.list(), std::vector<std::string>{"a.r1"}) << "no temporary file is left";

  Result<std::unique_ptr<ArtifactReader>> reader = ArtifactReader::open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  const ArtifactReader &r = **reader;
  EXPECT_EQ(r.manifest()["hello"], nlohmann::json({1, 2}));
  EXPECT_EQ(r.manifest()["format"], "r1c-artifact");
  EXPECT_EQ(r.manifest()["format_version"], 1);
  ASSERT_EQ(r.sections().size(), 3u);
  for (const ArtifactSection &section : r.sections()) {
    EXPECT_EQ(section.offset % kSectionAlignment, 0u) << section.name;
    EXPECT_EQ(section.alignment, kSectionAlignment);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(section.data) % 64, 0u);
  }
  const ArtifactSection *weights = r.findSection("weights");
  ASSERT_TRUE(weights);
  EXPECT_EQ(weights->bytes, 128 + w1.size());
  const char *data = reinterpret_cast<const char *>(weights->data);
  EXPECT_EQ(std::string(data, w0.size()), w0);
  EXPECT_EQ(std::string(data + w0.size(), 128 - w0.size()), std::string(28, '\0'))
      << "zero padding";
  EXPECT_EQ(std::string(data + 128, w1.size()), w1);
  const ArtifactSection *codeSection = r.findSection("code");
  ASSERT_TRUE(codeSection);
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(codeSection->data), codeSection->bytes),
            code);
  EXPECT_EQ(r.findSection("empty")->bytes, 0u);
  EXPECT_EQ(r.findSection("nope"), nullptr);
  EXPECT_TRUE(r.verify().ok());
  EXPECT_EQ(r.header().manifestOffset + r.header().manifestBytes, r.fileBytes());
}

TEST(ArtifactWriter, LargeWritesBypassTheBuffer) {
  TempDir dir;
  std::string big = pattern(9u << 20, 5); // larger than the writer's buffer
  ArtifactWriter writer;
  ASSERT_TRUE(writer.create(dir.file("big.r1")).ok());
  ASSERT_TRUE(writer.addSection("small", "abc", 3).ok());
  ASSERT_TRUE(writer.addSection("weights", big.data(), big.size()).ok());
  ASSERT_TRUE(writer.finish(nlohmann::json::object()).ok());
  Result<std::unique_ptr<ArtifactReader>> reader = ArtifactReader::open(dir.file("big.r1"));
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  const ArtifactSection *weights = (*reader)->findSection("weights");
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(weights->data), weights->bytes), big);
  EXPECT_TRUE((*reader)->verify().ok());
}

TEST(ArtifactWriter, UnfinishedWriterLeavesNoFile) {
  TempDir dir;
  {
    ArtifactWriter writer;
    ASSERT_TRUE(writer.create(dir.file("a.r1")).ok());
    ASSERT_TRUE(writer.addSection("weights", "abcd", 4).ok());
    EXPECT_EQ(dir.list().size(), 1u) << "the temporary file exists while writing";
  }
  EXPECT_TRUE(dir.list().empty());
}

TEST(ArtifactWriter, FailedFinishKeepsTheOldFile) {
  TempDir dir;
  toy::writeFile(dir.file("a.r1"), "previous");
  {
    ArtifactWriter writer;
    ASSERT_TRUE(writer.create(dir.file("a.r1")).ok());
    Status s = writer.finishWithJsonText("[1, 2]");
    EXPECT_EQ(s.message(), dir.file("a.r1") + ": the manifest must be a JSON object");
    EXPECT_EQ(s.kind(), ErrorKind::kOutput);
    EXPECT_EQ(writer.finishWithJsonText("{").message(), s.message()) << "errors are sticky";
  }
  EXPECT_EQ(toy::readFile(dir.file("a.r1")), "previous");
  EXPECT_EQ(dir.list(), std::vector<std::string>{"a.r1"});
}

TEST(ArtifactWriter, ReportsAnUncreatablePath) {
  TempDir dir;
  ArtifactWriter writer;
  Status s = writer.create(dir.file("missing/a.r1"));
  EXPECT_EQ(s.message(), dir.file("missing/a.r1") +
                             ": cannot create a temporary file: No such file or directory");
  EXPECT_EQ(s.kind(), ErrorKind::kOutput);
  EXPECT_FALSE(writer.beginSection("weights").ok());
}

TEST(ArtifactWriter, ReportsWriteErrorsWithThePath) {
  // A file size limit makes writes fail (EFBIG) as a full disk would (ENOSPC).
  TempDir dir;
  struct rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  void (*savedHandler)(int) = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limited = saved;
  limited.rlim_cur = 1u << 20;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  Status s;
  {
    ArtifactWriter writer;
    s = writer.create(dir.file("a.r1"));
    std::string big = pattern(3u << 20, 1);
    if (s.ok())
      s = writer.addSection("weights", big.data(), big.size());
    if (s.ok())
      s = writer.finish(nlohmann::json::object());
  }
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, savedHandler);
  EXPECT_EQ(s.message(), dir.file("a.r1") + ": write failed: File too large");
  EXPECT_EQ(s.kind(), ErrorKind::kOutput);
  EXPECT_TRUE(dir.list().empty());
}

TEST(ArtifactWriter, RefusesMisuse) {
  TempDir dir;
  {
    ArtifactWriter writer;
    ASSERT_TRUE(writer.create(dir.file("a.r1")).ok());
    EXPECT_EQ(writer.write("x", 1).message(),
              dir.file("a.r1") + ": write() outside a section; call beginSection() first");
  }
  {
    ArtifactWriter writer;
    ASSERT_TRUE(writer.create(dir.file("a.r1")).ok());
    ASSERT_TRUE(writer.addSection("code", "x", 1).ok());
    EXPECT_EQ(writer.addSection("code", "y", 1).message(),
              dir.file("a.r1") + ": section \"code\" is written twice");
  }
  {
    ArtifactWriter writer;
    ASSERT_TRUE(writer.create(dir.file("a.r1")).ok());
    EXPECT_EQ(writer.beginSection("w", 48).message(),
              dir.file("a.r1") + ": section \"w\": alignment 48 is not a power of two");
  }
  {
    ArtifactWriter writer;
    ASSERT_TRUE(writer.create(dir.file("a.r1")).ok());
    ASSERT_TRUE(writer.beginSection("w").ok());
    EXPECT_EQ(writer.finish(nlohmann::json::object()).message(),
              dir.file("a.r1") +
                  ": section \"w\" is still open at finish(); call endSection() first");
  }
  {
    ArtifactWriter writer;
    EXPECT_EQ(writer.beginSection("w").message(), "artifact writer: create() was not called");
  }
  EXPECT_TRUE(dir.list().empty());
}

TEST(ArtifactWriter, SmallAlignmentsAreRecorded) {
  TempDir dir;
  ArtifactWriter writer;
  ASSERT_TRUE(writer.create(dir.file("a.r1")).ok());
  ASSERT_TRUE(writer.addSection("a", "12345", 5, 8).ok());
  ASSERT_TRUE(writer.addSection("b", "678", 3, 8).ok());
  ASSERT_TRUE(writer.finish(nlohmann::json::object()).ok());
  ASSERT_EQ(writer.sections().size(), 2u);
  EXPECT_EQ(writer.sections()[0].offset, 64u);
  EXPECT_EQ(writer.sections()[1].offset, 72u);
  Result<std::unique_ptr<ArtifactReader>> reader = ArtifactReader::open(dir.file("a.r1"));
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ((*reader)->findSection("b")->alignment, 8u);
}

} // namespace
} // namespace r1::runtime
