//===- SafetensorsReaderTest.cpp - Tests of the safetensors reader --------===//
//
// Valid files round-trip shapes, offsets, bytes and metadata; each kind of
// malformed header gets its own test checking that the one-line error names
// the file, the tensor and the numbers at fault.
//
//===----------------------------------------------------------------------===//
#include "compiler/SafetensorsReader.h"
#include "test/unit/TestFiles.h"

#include "llvm/Support/Endian.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

namespace r1 {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kFile[] = "model/model.safetensors";

using test::errorOf;

std::string parseError(llvm::StringRef fileBytes) {
  return errorOf(parseSafetensorsHeader(fileBytes, kFile));
}

/// Header text `json` plus `dataSize` zero bytes of data.
std::string rawFile(llvm::StringRef json, size_t dataSize = 0) {
  return test::encodeRawSafetensors(json, std::string(dataSize, '\0'));
}

/// A one-line error about `kFile`, containing every string of `parts`.
::testing::Matcher<std::string> fileError(std::vector<std::string> parts) {
  std::vector<::testing::Matcher<std::string>> all = {StartsWith(std::string(kFile) + ": "),
                                                      Not(HasSubstr("\n"))};
  for (std::string &part : parts)
    all.push_back(HasSubstr(part));
  return ::testing::AllOfArray(all);
}

std::string bytesOf(std::initializer_list<uint8_t> values) {
  return std::string(values.begin(), values.end());
}

std::string f32Bytes(float value) {
  std::string bytes(4, '\0');
  std::memcpy(bytes.data(), &value, 4);
  return bytes;
}

TEST(SafetensorsDType, NamesRoundTrip) {
  for (const char *name : {"BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64", "U64", "F16",
                           "BF16", "F32", "F64", "F8_E4M3", "F8_E5M2"}) {
    std::optional<DType> dtype = parseDType(name);
    ASSERT_TRUE(dtype) << name;
    EXPECT_EQ(dtypeName(*dtype), name);
  }
  EXPECT_EQ(parseDType("bf16"), std::nullopt);
  EXPECT_EQ(parseDType("F8_E4M3FN"), std::nullopt);
  EXPECT_EQ(dtypeSize(DType::F8E4M3), 1);
  EXPECT_EQ(dtypeSize(DType::BF16), 2);
  EXPECT_EQ(dtypeSize(DType::F32), 4);
  EXPECT_EQ(dtypeSize(DType::U64), 8);
}

TEST(SafetensorsReader, ValidFileRoundTrips) {
  test::TempDir dir;
  std::string path = dir.file("model.safetensors");
  std::vector<test::TestTensor> tensors = {
      {"w", "F8_E4M3", {2, 4}, bytesOf({0x38, 0xb8, 0x40, 0x00, 0x7e, 0xfe, 0x01, 0x81})},
      {"w_scale_inv", "F32", {1, 1}, f32Bytes(0.5f)},
      {"norm", "BF16", {3}, bytesOf({0x80, 0x3f, 0x00, 0x40, 0x40, 0x40})},
      {"ids", "I64", {2}, std::string(16, '\x07')},
      {"mask", "BOOL", {2, 1}, bytesOf({1, 0})},
  };
  test::writeSafetensors(path, tensors, {{"format", "pt"}});

  llvm::Expected<std::unique_ptr<SafetensorsFile>> file = SafetensorsFile::open(path);
  ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
  const SafetensorsFile &st = **file;
  EXPECT_EQ(st.path(), path);
  EXPECT_EQ(st.header().dataOffset, 8 + st.header().headerSize);
  EXPECT_EQ(st.header().headerSize % 8, 0u);
  EXPECT_THAT(st.header().metadata,
              ElementsAre(std::pair<const std::string, std::string>("format", "pt")));

  // Written back to back in list order, so sorted by begin they keep it.
  ASSERT_EQ(st.tensors().size(), tensors.size());
  uint64_t offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorInfo &info = st.tensors()[i];
    EXPECT_EQ(info.name, tensors[i].name);
    EXPECT_EQ(dtypeName(info.dtype), tensors[i].dtype);
    EXPECT_EQ(info.shape, tensors[i].shape);
    EXPECT_EQ(info.begin, offset);
    EXPECT_EQ(info.numBytes(), tensors[i].bytes.size());
    llvm::ArrayRef<uint8_t> data = st.data(info);
    EXPECT_EQ(std::string(data.begin(), data.end()), tensors[i].bytes) << info.name;
    offset = info.end;
  }

  const TensorInfo *w = st.find("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dtype, DType::F8E4M3);
  EXPECT_EQ(w->numElements(), 8);
  const TensorInfo *scale = st.find("w_scale_inv");
  ASSERT_NE(scale, nullptr);
  EXPECT_EQ(scale->dtype, DType::F32);
  float value;
  std::memcpy(&value, st.data(*scale).data(), 4);
  EXPECT_EQ(value, 0.5f);
  EXPECT_EQ(st.find("missing"), nullptr);
}

TEST(SafetensorsReader, ScalarHasOneElement) {
  llvm::Expected<SafetensorsHeader> header = parseSafetensorsHeader(
      test::encodeSafetensors({{"scale", "F32", {}, f32Bytes(2.0f)}}), kFile);
  ASSERT_TRUE(static_cast<bool>(header)) << llvm::toString(header.takeError());
  ASSERT_EQ(header->tensors.size(), 1u);
  EXPECT_TRUE(header->tensors[0].shape.empty());
  EXPECT_EQ(header->tensors[0].numElements(), 1);
  EXPECT_EQ(header->tensors[0].numBytes(), 4u);
}

TEST(SafetensorsReader, ZeroSizeTensorsOverlapNothing) {
  // Empty tensors may point anywhere in range, even inside another tensor; a
  // 0 dimension also makes an otherwise overflowing shape empty.
  std::string json =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("e":{"dtype":"BF16","shape":[0],"data_offsets":[4,4]},)"
      R"("z":{"dtype":"U8","shape":[9223372036854775807,4,0],"data_offsets":[8,8]}})";
  llvm::Expected<SafetensorsHeader> header = parseSafetensorsHeader(rawFile(json, 8), kFile);
  ASSERT_TRUE(static_cast<bool>(header)) << llvm::toString(header.takeError());
  ASSERT_EQ(header->tensors.size(), 3u);
  EXPECT_EQ(header->tensors[0].name, "a");
  EXPECT_EQ(header->tensors[1].name, "e");
  EXPECT_EQ(header->tensors[1].numElements(), 0);
  EXPECT_EQ(header->tensors[1].numBytes(), 0u);
  EXPECT_EQ(header->tensors[2].name, "z");
  EXPECT_EQ(header->tensors[2].numElements(), 0);
}

TEST(SafetensorsReader, TensorsSortedByBegin) {
  std::string json = R"({"late":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},)"
                     R"("early":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})";
  llvm::Expected<SafetensorsHeader> header = parseSafetensorsHeader(rawFile(json, 4), kFile);
  ASSERT_TRUE(static_cast<bool>(header)) << llvm::toString(header.takeError());
  ASSERT_EQ(header->tensors.size(), 2u);
  EXPECT_EQ(header->tensors[0].name, "early");
  EXPECT_EQ(header->tensors[1].name, "late");
}

TEST(SafetensorsReader, BracketsInNamesDoNotCountAsNesting) {
  std::string name(200, '[');
  std::string json = R"({")" + name + R"(":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
  llvm::Expected<SafetensorsHeader> header = parseSafetensorsHeader(rawFile(json, 1), kFile);
  ASSERT_TRUE(static_cast<bool>(header)) << llvm::toString(header.takeError());
  EXPECT_EQ(header->tensors[0].name, name);
}

TEST(SafetensorsReader, FileShorterThanEightBytes) {
  EXPECT_THAT(parseError("abc"), fileError({"file is 3 bytes", "8-byte header length"}));
}

TEST(SafetensorsReader, HeaderLengthPastEndOfFile) {
  std::string bytes(8, '\0');
  llvm::support::endian::write64le(bytes.data(), 99999);
  bytes += "{}";
  EXPECT_THAT(parseError(bytes),
              fileError({"header length 99999 runs past the end of the file (10 bytes)"}));
}

TEST(SafetensorsReader, HeaderLengthOverLimit) {
  std::string bytes(8, '\0');
  llvm::support::endian::write64le(bytes.data(), kMaxSafetensorsHeaderSize + 1);
  EXPECT_THAT(parseError(bytes),
              fileError({"header length 100000001 exceeds", "limit of 100000000 bytes"}));
}

TEST(SafetensorsReader, HeaderLengthBeyondInt64) {
  std::string bytes(16, '\xff');
  EXPECT_THAT(parseError(bytes), fileError({"header length 18446744073709551615"}));
}

TEST(SafetensorsReader, EmptyHeader) {
  EXPECT_THAT(parseError(rawFile("")), fileError({"header is not valid JSON"}));
}

TEST(SafetensorsReader, HeaderNotJson) {
  EXPECT_THAT(parseError(rawFile("{\"a\":\n{nope")),
              fileError({"header is not valid JSON: ", "syntax error"}));
}

TEST(SafetensorsReader, HeaderIsArray) {
  EXPECT_THAT(parseError(rawFile("[1, 2]")), fileError({"header is an array, not a JSON object"}));
}

TEST(SafetensorsReader, DeeplyNestedHeader) {
  std::string json = R"({"x":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_THAT(parseError(rawFile(json)), fileError({"header nests arrays and objects deeper than 64 levels"}));
}

TEST(SafetensorsReader, EntryNotObject) {
  EXPECT_THAT(parseError(rawFile(R"({"x":[1]})")),
              fileError({"tensor 'x': entry is an array, not an object"}));
}

TEST(SafetensorsReader, MissingDtype) {
  EXPECT_THAT(parseError(rawFile(R"({"x":{"shape":[1],"data_offsets":[0,1]}})", 1)),
              fileError({"tensor 'x': missing \"dtype\""}));
}

TEST(SafetensorsReader, DtypeNotString) {
  EXPECT_THAT(parseError(rawFile(R"({"x":{"dtype":7,"shape":[1],"data_offsets":[0,1]}})", 1)),
              fileError({"tensor 'x': dtype is 7, not a string"}));
}

TEST(SafetensorsReader, MissingShape) {
  EXPECT_THAT(parseError(rawFile(R"({"x":{"dtype":"U8","data_offsets":[0,1]}})", 1)),
              fileError({"tensor 'x': missing \"shape\""}));
}

TEST(SafetensorsReader, MissingDataOffsets) {
  EXPECT_THAT(parseError(rawFile(R"({"x":{"dtype":"U8","shape":[1]}})", 1)),
              fileError({"tensor 'x': missing \"data_offsets\""}));
}

TEST(SafetensorsReader, UnknownDtype) {
  EXPECT_THAT(parseError(rawFile(R"({"x":{"dtype":"Q4_K","shape":[1],"data_offsets":[0,1]}})", 1)),
              fileError({"tensor 'x': unknown dtype 'Q4_K'"}));
}

TEST(SafetensorsReader, NegativeShapeDim) {
  EXPECT_THAT(parseError(rawFile(R"({"x":{"dtype":"U8","shape":[2,-3],"data_offsets":[0,6]}})", 6)),
              fileError({"tensor 'x': shape[1] is -3, not a non-negative integer"}));
}

TEST(SafetensorsReader, FloatInShape) {
  EXPECT_THAT(parseError(rawFile(R"({"x":{"dtype":"U8","shape":[2.5],"data_offsets":[0,2]}})", 2)),
              fileError({"tensor 'x': shape[0] is 2.5, not a non-negative integer"}));
}

TEST(SafetensorsReader, StringInShape) {
  EXPECT_THAT(parseError(rawFile(R"({"x":{"dtype":"U8","shape":["2"],"data_offsets":[0,2]}})", 2)),
              fileError({"tensor 'x': shape[0] is a string, not a non-negative integer"}));
}

TEST(SafetensorsReader, ShapeDimBeyondInt64) {
  EXPECT_THAT(
      parseError(rawFile(
          R"({"x":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,1]}})", 1)),
      fileError({"tensor 'x': shape[0] is 18446744073709551615, which does not fit"}));
}

TEST(SafetensorsReader, OverflowingShape) {
  EXPECT_THAT(
      parseError(rawFile(
          R"({"x":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,1]}})", 1)),
      fileError({"tensor 'x': element count of shape [4294967296, 4294967296] "
                 "overflows int64"}));
}

TEST(SafetensorsReader, OverflowingByteSize) {
  EXPECT_THAT(
      parseError(rawFile(
          R"({"x":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,1]}})", 1)),
      fileError({"tensor 'x': byte size of F32 x [4611686018427387904] overflows"}));
}

TEST(SafetensorsReader, OffsetsWrongCount) {
  EXPECT_THAT(parseError(rawFile(R"({"x":{"dtype":"U8","shape":[1],"data_offsets":[0]}})", 1)),
              fileError({"tensor 'x': data_offsets has 1 elements, expected 2"}));
}

TEST(SafetensorsReader, OffsetsNegative) {
  EXPECT_THAT(parseError(rawFile(R"({"x":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}})", 1)),
              fileError({"tensor 'x': data_offsets[0] is -1, not a non-negative integer"}));
}

TEST(SafetensorsReader, OffsetsOutOfRange) {
  EXPECT_THAT(
      parseError(rawFile(R"({"x":{"dtype":"U8","shape":[300],"data_offsets":[0,300]}})", 256)),
      fileError({"tensor 'x': data_offsets [0, 300] run past the end of the data section "
                 "(256 bytes)"}));
}

TEST(SafetensorsReader, OffsetsReversed) {
  EXPECT_THAT(parseError(rawFile(R"({"x":{"dtype":"U8","shape":[4],"data_offsets":[8,4]}})", 8)),
              fileError({"tensor 'x': data_offsets [8, 4] are reversed"}));
}

TEST(SafetensorsReader, OffsetsLengthMismatch) {
  std::string json =
      R"({"model.norm.weight":{"dtype":"BF16","shape":[128],"data_offsets":[0,10]}})";
  EXPECT_THAT(parseError(rawFile(json, 256)),
              fileError({"tensor 'model.norm.weight': data_offsets [0, 10] hold 10 bytes but "
                         "BF16 x [128] needs 256"}));
}

TEST(SafetensorsReader, OverlappingTensors) {
  std::string json = R"({"b":{"dtype":"U8","shape":[256],"data_offsets":[128,384]},)"
                     R"("a":{"dtype":"U8","shape":[256],"data_offsets":[0,256]}})";
  EXPECT_THAT(parseError(rawFile(json, 384)),
              fileError({"tensor 'a': bytes [0, 256) overlap tensor 'b' at [128, 384)"}));
}

TEST(SafetensorsReader, TensorContainedInAnother) {
  // The containing tensor, not the latest one, is what the next one overlaps.
  std::string json = R"({"big":{"dtype":"U8","shape":[100],"data_offsets":[0,100]},)"
                     R"("mid":{"dtype":"U8","shape":[10],"data_offsets":[10,20]},)"
                     R"("tail":{"dtype":"U8","shape":[10],"data_offsets":[50,60]}})";
  EXPECT_THAT(parseError(rawFile(json, 100)),
              fileError({"tensor 'big': bytes [0, 100) overlap tensor 'mid' at [10, 20)"}));
}

TEST(SafetensorsReader, MetadataNotObject) {
  EXPECT_THAT(parseError(rawFile(R"({"__metadata__":["pt"]})")),
              fileError({"__metadata__ is an array, not an object"}));
}

TEST(SafetensorsReader, MetadataValueNotString) {
  EXPECT_THAT(parseError(rawFile(R"({"__metadata__":{"format":1}})")),
              fileError({"__metadata__ entry 'format' is 1, not a string"}));
}

TEST(SafetensorsReader, NameWithNewlineStaysOnOneLine) {
  EXPECT_THAT(
      parseError(rawFile(R"({"bad\nname":{"dtype":"X","shape":[1],"data_offsets":[0,1]}})", 1)),
      fileError({"tensor 'bad\\0Aname': unknown dtype 'X'"}));
}

TEST(SafetensorsReader, MissingFile) {
  test::TempDir dir;
  std::string path = dir.file("absent.safetensors");
  std::string message = errorOf(SafetensorsFile::open(path));
  EXPECT_THAT(message, AllOf(StartsWith(path + ": cannot open: "), Not(HasSubstr("\n"))));
}

TEST(SafetensorsReader, OpenReportsHeaderErrorsWithPath) {
  test::TempDir dir;
  std::string path = dir.file("bad.safetensors");
  test::writeRawSafetensors(path, R"({"x":{"dtype":"U8","shape":[2],"data_offsets":[0,1]}})",
                            "\x01");
  EXPECT_THAT(errorOf(SafetensorsFile::open(path)),
              AllOf(StartsWith(path + ": tensor 'x': data_offsets [0, 1] hold 1 bytes"),
                    Not(HasSubstr("\n"))));
}

} // namespace
} // namespace r1
