//===- ArtifactReaderTest.cpp - Every structural check of the reader ------===//
//
// Each case breaks one thing and checks the whole one-line message: that it
// names the file and says what is wrong.
//
//===----------------------------------------------------------------------===//

#include "runtime/ArtifactReader.h"
#include "runtime/Checksum.h"
#include "test/unit/runtime/ToyArtifact.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace r1::runtime {
namespace {

using nlohmann::json;
using toy::TempDir;

std::string openError(const std::string &path) {
  Result<std::unique_ptr<ArtifactReader>> reader = ArtifactReader::open(path);
  if (reader.ok()) {
    ADD_FAILURE() << path << " opened, expected an error";
    return "";
  }
  EXPECT_EQ(reader.status().kind(), ErrorKind::kBadInput);
  EXPECT_EQ(reader.status().message().find('\n'), std::string::npos) << "one line";
  return reader.status().message();
}

class ArtifactReaderTest : public ::testing::Test {
protected:
  void SetUp() override {
    path = dir.file("toy.r1");
    Status s = toy::writeToyArtifact(path);
    ASSERT_TRUE(s.ok()) << s.message();
    bytes = toy::readFile(path);
  }
  /// The good artifact's header and sections.
  std::unique_ptr<ArtifactReader> good() {
    Result<std::unique_ptr<ArtifactReader>> reader = ArtifactReader::open(path);
    EXPECT_TRUE(reader.ok()) << reader.status().message();
    return std::move(*reader);
  }

  TempDir dir;
  std::string path;
  std::string bytes;
};

TEST_F(ArtifactReaderTest, OpensTheToyArtifact) {
  std::unique_ptr<ArtifactReader> reader = good();
  std::vector<std::string> names;
  for (const ArtifactSection &section : reader->sections())
    names.push_back(section.name);
  EXPECT_EQ(names, (std::vector<std::string>{"weights", "code", "code.cpp", "tokenizer.json",
                                             "config.json"}));
  EXPECT_TRUE(reader->verify().ok());
  EXPECT_EQ(reader->fileBytes(), bytes.size());
}

TEST_F(ArtifactReaderTest, MissingFile) {
  EXPECT_EQ(openError(dir.file("nope.r1")),
            dir.file("nope.r1") + ": cannot open: No such file or directory");
}

TEST_F(ArtifactReaderTest, Directory) {
  EXPECT_EQ(openError(dir.path()),
            dir.path() + ": not a regular file; expected an r1c artifact (r1c compile -o)");
}

TEST_F(ArtifactReaderTest, EmptyFile) {
  toy::writeFile(path, "");
  EXPECT_EQ(openError(path), path + ": not an r1c artifact (the file is empty)");
}

TEST_F(ArtifactReaderTest, BadMagic) {
  toy::writeFile(path, "{\"model_type\": \"qwen2\"}" + std::string(100, ' '));
  EXPECT_EQ(openError(path), path +
                                 ": not an r1c artifact (no R1CARTF magic at the start); produce "
                                 "one with 'r1c compile'");
  toy::writeFile(path, "R1C");
  EXPECT_EQ(openError(path), path +
                                 ": not an r1c artifact (no R1CARTF magic at the start); produce "
                                 "one with 'r1c compile'");
}

TEST_F(ArtifactReaderTest, ShorterThanTheHeader) {
  toy::writeFile(path, bytes.substr(0, 40));
  EXPECT_EQ(openError(path), path + ": truncated: 40 bytes, shorter than the 64-byte header");
}

TEST_F(ArtifactReaderTest, Truncated) {
  toy::writeFile(path, bytes.substr(0, bytes.size() - 1));
  EXPECT_EQ(openError(path), path + ": truncated or extended: header says " +
                                 std::to_string(bytes.size()) + " bytes, file has " +
                                 std::to_string(bytes.size() - 1));
  toy::writeFile(path, bytes.substr(0, 5000));
  EXPECT_EQ(openError(path), path + ": truncated or extended: header says " +
                                 std::to_string(bytes.size()) + " bytes, file has 5000");
}

TEST_F(ArtifactReaderTest, Extended) {
  toy::writeFile(path, bytes + "x");
  EXPECT_EQ(openError(path), path + ": truncated or extended: header says " +
                                 std::to_string(bytes.size()) + " bytes, file has " +
                                 std::to_string(bytes.size() + 1));
}

TEST_F(ArtifactReaderTest, NewerFormatVersion) {
  bytes[8] = 2; // the low byte of format_version
  toy::writeFile(path, bytes);
  EXPECT_EQ(openError(path), path + ": built by a newer r1c (format 2); this r1run reads format 1");
}

TEST_F(ArtifactReaderTest, FlippedManifestByte) {
  ArtifactHeader header = good()->header();
  uint64_t offset = header.manifestOffset + 10;
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0xff);
  toy::writeFile(path, bytes);
  uint64_t hash = xxh64(bytes.data() + header.manifestOffset, header.manifestBytes);
  EXPECT_EQ(openError(path), path + ": manifest checksum mismatch: header says " +
                                 formatXxh64(header.manifestXxh64) + ", manifest hashes to " +
                                 formatXxh64(hash) + "; the file is corrupt");
}

TEST_F(ArtifactReaderTest, ManifestOutsideTheFile) {
  ArtifactHeader header = good()->header();
  header.manifestBytes += 1;
  unsigned char encoded[kArtifactHeaderBytes];
  encodeArtifactHeader(header, encoded);
  bytes.replace(0, kArtifactHeaderBytes, reinterpret_cast<const char *>(encoded),
                kArtifactHeaderBytes);
  toy::writeFile(path, bytes);
  EXPECT_EQ(openError(path), path + ": the manifest [" + std::to_string(header.manifestOffset) +
                                 ", " + std::to_string(header.manifestOffset) + " + " +
                                 std::to_string(header.manifestBytes) +
                                 ") lies outside the file body (" + std::to_string(bytes.size()) +
                                 " bytes); the file is corrupt");
}

// Each section flipped in turn: the file still opens (contents are not
// hashed on open) and verify() names the section.
TEST_F(ArtifactReaderTest, FlippedSectionByteIsFoundByVerify) {
  std::vector<ArtifactSection> sections = good()->sections();
  for (const ArtifactSection &section : sections) {
    SCOPED_TRACE(section.name);
    std::string corrupt = bytes;
    uint64_t offset = section.offset + section.bytes / 2;
    corrupt[offset] = static_cast<char>(corrupt[offset] ^ 0x01);
    toy::writeFile(path, corrupt);
    Result<std::unique_ptr<ArtifactReader>> reader = ArtifactReader::open(path);
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    std::vector<std::string> seen;
    Status status = (*reader)->verify([&](const ArtifactSection &s, uint64_t computed) {
      seen.push_back(s.name + (computed == s.xxh64 ? " ok" : " bad"));
    });
    uint64_t hash = xxh64(corrupt.data() + section.offset, section.bytes);
    EXPECT_EQ(status.message(), path + ": section \"" + section.name +
                                    "\" is corrupt: its checksum is " + formatXxh64(hash) +
                                    ", the manifest says " + formatXxh64(section.xxh64));
    EXPECT_EQ(seen.size(), sections.size()) << "every section is checked and reported";
    EXPECT_EQ(std::count(seen.begin(), seen.end(), section.name + " bad"), 1);
    EXPECT_FALSE((*reader)->verifySection(*(*reader)->findSection(section.name)).ok());
  }
}

/// Artifacts with a hand-written manifest: the header is consistent, so the
/// reader gets as far as the manifest's contents.
class RawManifestTest : public ::testing::Test {
protected:
  std::string errorFor(const json &manifest, const std::string &body = std::string(8192, 'x')) {
    toy::writeRawArtifact(path, body, manifest.dump());
    return openError(path);
  }
  json withSections(json sections) {
    return {{"format", "r1c-artifact"}, {"format_version", 1}, {"sections", std::move(sections)}};
  }
  static json section(const std::string &name, uint64_t offset, uint64_t bytes,
                      const std::string &hash = "0123456789abcdef", uint64_t alignment = 64) {
    return {{"name", name},
            {"offset", offset},
            {"bytes", bytes},
            {"xxh64", hash},
            {"alignment", alignment}};
  }

  TempDir dir;
  std::string path = dir.file("raw.r1");
};

TEST_F(RawManifestTest, AcceptsAWellFormedManifest) {
  toy::writeRawArtifact(path, std::string(8192, 'x'),
                        withSections({section("a", 64, 100), section("b", 4096, 4160)}).dump());
  Result<std::unique_ptr<ArtifactReader>> reader = ArtifactReader::open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ((*reader)->sections().size(), 2u);
}

TEST_F(RawManifestTest, NotJson) {
  toy::writeRawArtifact(path, "", "{\"format\": ");
  EXPECT_EQ(openError(path), path + ": the manifest is not valid JSON; the file is corrupt");
}

TEST_F(RawManifestTest, NotAnObject) {
  toy::writeRawArtifact(path, "", "[1, 2]");
  EXPECT_EQ(openError(path), path + ": the manifest is not a JSON object; the file is corrupt");
}

TEST_F(RawManifestTest, TooDeep) {
  toy::writeRawArtifact(path, "", std::string(100, '[') + std::string(100, ']'));
  EXPECT_EQ(openError(path), path + ": the manifest nests deeper than 64 levels");
}

TEST_F(RawManifestTest, WrongFormatName) {
  EXPECT_EQ(errorFor({{"format", "gguf"}, {"format_version", 1}, {"sections", json::array()}}),
            path + ": manifest field \"format\" is \"gguf\", expected \"r1c-artifact\"");
}

TEST_F(RawManifestTest, FormatVersionDisagreesWithHeader) {
  EXPECT_EQ(
      errorFor({{"format", "r1c-artifact"}, {"format_version", 2}, {"sections", json::array()}}),
      path + ": manifest field \"format_version\" is 2 but the header says 1");
}

TEST_F(RawManifestTest, MissingSections) {
  EXPECT_EQ(errorFor({{"format", "r1c-artifact"}, {"format_version", 1}}),
            path + ": manifest field \"sections\" is missing");
}

TEST_F(RawManifestTest, SectionFieldTypes) {
  json bad = section("a", 64, 10);
  bad["offset"] = -64;
  EXPECT_EQ(errorFor(withSections({bad})),
            path + ": manifest field \"sections[0].offset\" must be a non-negative integer");
  bad = section("a", 64, 10);
  bad["bytes"] = "10";
  EXPECT_EQ(errorFor(withSections({bad})),
            path + ": manifest field \"sections[0].bytes\" must be a non-negative integer");
  bad = section("a", 64, 10, "12345");
  EXPECT_EQ(errorFor(withSections({bad})),
            path + ": manifest field \"sections[0].xxh64\" must be 16 hex digits");
  bad = section("a", 64, 10);
  bad.erase("name");
  EXPECT_EQ(errorFor(withSections({bad})),
            path + ": manifest field \"sections[0].name\" is missing");
  EXPECT_EQ(errorFor(withSections({section("a", 64, 10), section("a", 128, 10)})),
            path + ": manifest field \"sections[1].name\" repeats section \"a\"");
  EXPECT_EQ(
      errorFor(withSections({section("a", 96, 10, "0123456789abcdef", 64)})),
      path + ": manifest field \"sections[0].offset\" (96) is not a multiple of its alignment 64");
  EXPECT_EQ(errorFor(withSections({section("a", 64, 10, "0123456789abcdef", 48)})),
            path + ": manifest field \"sections[0].alignment\" must be a power of two");
}

TEST_F(RawManifestTest, SectionOutOfBounds) {
  // The body is bytes [64, 8256); the manifest starts at 8256.
  EXPECT_EQ(errorFor(withSections({section("weights", 4096, 8192)})),
            path +
                ": section \"weights\" [4096, 4096 + 8192) lies outside the file body [64, 8256); "
                "the file is corrupt");
  EXPECT_EQ(errorFor(withSections({section("weights", 0, 8)})),
            path +
                ": section \"weights\" [0, 0 + 8) lies outside the file body [64, 8256); the file "
                "is corrupt");
  EXPECT_EQ(errorFor(withSections({section("huge", 64, UINT64_MAX)})),
            path + ": section \"huge\" [64, 64 + 18446744073709551615) lies outside the file body "
                   "[64, 8256); the file is corrupt");
}

TEST_F(RawManifestTest, OverlappingSections) {
  EXPECT_EQ(errorFor(withSections({section("b", 128, 64), section("a", 64, 65)})),
            path + ": sections \"a\" and \"b\" overlap; the file is corrupt");
}

} // namespace
} // namespace r1::runtime
