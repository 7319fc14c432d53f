//===- CheckpointTest.cpp - Tests of the checkpoint (shard set) reader ----===//
//
// Single-file and sharded model directories, every way an index can disagree
// with its shards, and (when Python and numpy are at hand) a tiny DeepSeek-V3
// FP8 model written by ../shared/models/make_tiny_model.py.
//
//===----------------------------------------------------------------------===//
#include "compiler/Checkpoint.h"
#include "test/unit/TestFiles.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace r1 {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kShard1[] = "model-00001-of-00002.safetensors";
constexpr char kShard2[] = "model-00002-of-00002.safetensors";

using test::errorOf;

/// A one-line error starting with `prefix` and containing every one of `parts`.
::testing::Matcher<std::string> oneLineError(const std::string &prefix,
                                             std::vector<std::string> parts) {
  std::vector<::testing::Matcher<std::string>> all = {StartsWith(prefix), Not(HasSubstr("\n"))};
  for (std::string &part : parts)
    all.push_back(HasSubstr(part));
  return ::testing::AllOfArray(all);
}

test::TestTensor u8Tensor(const std::string &name, size_t size) {
  return {name, "U8", {static_cast<int64_t>(size)}, std::string(size, '\x01')};
}

/// A model directory with two shards and an index; tests edit it before opening.
class CheckpointSharded : public ::testing::Test {
protected:
  void SetUp() override {
    test::writeSafetensors(dir_.file(kShard1), {u8Tensor("a", 4), u8Tensor("b", 8)});
    test::writeSafetensors(dir_.file(kShard2), {u8Tensor("c", 16)});
  }

  void writeIndex(const std::string &weightMapJson) {
    test::writeFile(indexPath(),
                    R"({"metadata":{"total_size":28},"weight_map":)" + weightMapJson + "}");
  }

  std::string indexPath() const { return dir_.file("model.safetensors.index.json"); }

  test::TempDir dir_;
};

TEST(CheckpointSingleFile, OpensModelSafetensors) {
  test::TempDir dir;
  test::writeSafetensors(dir.file("model.safetensors"), {u8Tensor("z", 3), u8Tensor("y", 5)});

  llvm::Expected<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::open(dir.path());
  ASSERT_TRUE(static_cast<bool>(checkpoint)) << llvm::toString(checkpoint.takeError());
  ASSERT_EQ((*checkpoint)->files().size(), 1u);
  EXPECT_EQ((*checkpoint)->files()[0]->path(), dir.file("model.safetensors"));
  EXPECT_THAT((*checkpoint)->tensorNames(), ElementsAre("y", "z"));
  EXPECT_THAT((*checkpoint)->unindexedTensors(), IsEmpty());
  EXPECT_EQ((*checkpoint)->totalBytes(), 8u);

  CheckpointTensor y = (*checkpoint)->find("y");
  ASSERT_NE(y.info, nullptr);
  EXPECT_EQ(y.file, (*checkpoint)->files()[0].get());
  EXPECT_EQ(y.info->shape, std::vector<int64_t>{5});
  CheckpointTensor none = (*checkpoint)->find("x");
  EXPECT_EQ(none.info, nullptr);
  EXPECT_EQ(none.file, nullptr);
}

TEST(CheckpointSingleFile, NeitherFilePresent) {
  test::TempDir dir;
  EXPECT_THAT(
      errorOf(Checkpoint::open(dir.path())),
      oneLineError(dir.path() + ": ",
                   {"no model.safetensors or model.safetensors.index.json", "--config-only"}));
}

TEST(CheckpointSingleFile, InvalidFileNamesIt) {
  test::TempDir dir;
  test::writeFile(dir.file("model.safetensors"), "short");
  EXPECT_THAT(errorOf(Checkpoint::open(dir.path())),
              oneLineError(dir.file("model.safetensors") + ": ", {"file is 5 bytes"}));
}

TEST_F(CheckpointSharded, OpensEveryShardOnce) {
  writeIndex(R"({"a":")" + std::string(kShard1) + R"(","b":")" + kShard1 + R"(","c":")" + kShard2 +
             R"("})");
  llvm::Expected<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::open(dir_.path());
  ASSERT_TRUE(static_cast<bool>(checkpoint)) << llvm::toString(checkpoint.takeError());
  const Checkpoint &ckpt = **checkpoint;
  ASSERT_EQ(ckpt.files().size(), 2u);
  EXPECT_EQ(ckpt.files()[0]->path(), dir_.file(kShard1));
  EXPECT_EQ(ckpt.files()[1]->path(), dir_.file(kShard2));
  EXPECT_THAT(ckpt.tensorNames(), ElementsAre("a", "b", "c"));
  EXPECT_EQ(ckpt.find("b").file, ckpt.files()[0].get());
  EXPECT_EQ(ckpt.find("c").file, ckpt.files()[1].get());
  EXPECT_EQ(ckpt.find("c").info->numBytes(), 16u);
  EXPECT_EQ(ckpt.totalBytes(), 28u);
  EXPECT_THAT(ckpt.unindexedTensors(), IsEmpty());
}

TEST_F(CheckpointSharded, IndexNamesMissingShard) {
  llvm::sys::fs::remove(dir_.file(kShard2));
  writeIndex(R"({"a":")" + std::string(kShard1) + R"(","b":")" + kShard1 + R"(","x":")" + kShard2 +
             R"("})");
  EXPECT_THAT(errorOf(Checkpoint::open(dir_.path())),
              oneLineError(indexPath() + ": ", {"shard '" + std::string(kShard2) +
                                                "' (for tensor 'x') does not exist"}));
}

TEST_F(CheckpointSharded, TensorMissingFromItsShard) {
  // "c" lives in shard 2, but the index says shard 1.
  writeIndex(R"({"a":")" + std::string(kShard1) + R"(","b":")" + kShard1 + R"(","c":")" + kShard1 +
             R"("})");
  EXPECT_THAT(errorOf(Checkpoint::open(dir_.path())),
              oneLineError(indexPath() + ": ", {"tensor 'c' is mapped to '" + std::string(kShard1) +
                                                "' but that file does not contain it"}));
}

TEST_F(CheckpointSharded, IndexedTensorInNoShard) {
  writeIndex(R"({"a":")" + std::string(kShard1) + R"(","ghost":")" + kShard1 + R"(","c":")" +
             kShard2 + R"("})");
  EXPECT_THAT(errorOf(Checkpoint::open(dir_.path())),
              oneLineError(indexPath() + ": ",
                           {"tensor 'ghost' is mapped to '" + std::string(kShard1) + "'"}));
}

TEST_F(CheckpointSharded, UnindexedTensorsAreReported) {
  writeIndex(R"({"a":")" + std::string(kShard1) + R"(","c":")" + kShard2 + R"("})");
  llvm::Expected<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::open(dir_.path());
  ASSERT_TRUE(static_cast<bool>(checkpoint)) << llvm::toString(checkpoint.takeError());
  EXPECT_THAT((*checkpoint)->unindexedTensors(), ElementsAre("b"));
  EXPECT_NE((*checkpoint)->find("b").info, nullptr);
}

TEST_F(CheckpointSharded, SameTensorInTwoShards) {
  test::writeSafetensors(dir_.file(kShard2), {u8Tensor("c", 16), u8Tensor("a", 4)});
  writeIndex(R"({"a":")" + std::string(kShard1) + R"(","b":")" + kShard1 + R"(","c":")" + kShard2 +
             R"("})");
  EXPECT_THAT(errorOf(Checkpoint::open(dir_.path())),
              oneLineError("tensor 'a' appears in both ",
                           {dir_.file(kShard1) + " and " + dir_.file(kShard2)}));
}

TEST_F(CheckpointSharded, IndexNotJson) {
  test::writeFile(indexPath(), "{\"weight_map\": {\n");
  EXPECT_THAT(errorOf(Checkpoint::open(dir_.path())),
              oneLineError(indexPath() + ": ", {"not valid JSON"}));
}

TEST_F(CheckpointSharded, IndexNotObject) {
  test::writeFile(indexPath(), "[]");
  EXPECT_THAT(errorOf(Checkpoint::open(dir_.path())),
              oneLineError(indexPath() + ": ", {"top level is JSON array, expected an object"}));
}

TEST_F(CheckpointSharded, IndexWithoutWeightMap) {
  test::writeFile(indexPath(), R"({"metadata":{}})");
  EXPECT_THAT(errorOf(Checkpoint::open(dir_.path())),
              oneLineError(indexPath() + ": ", {"missing \"weight_map\""}));
}

TEST_F(CheckpointSharded, WeightMapNotObject) {
  writeIndex("[]");
  EXPECT_THAT(errorOf(Checkpoint::open(dir_.path())),
              oneLineError(indexPath() + ": ", {"\"weight_map\" is JSON array"}));
}

TEST_F(CheckpointSharded, WeightMapValueNotString) {
  writeIndex(R"({"a":1})");
  EXPECT_THAT(errorOf(Checkpoint::open(dir_.path())),
              oneLineError(indexPath() + ": ", {"weight_map entry for tensor 'a' is JSON number"}));
}

TEST_F(CheckpointSharded, ShardNameEscapingTheDirectory) {
  writeIndex(R"({"a":"../model-00001-of-00002.safetensors"})");
  EXPECT_THAT(errorOf(Checkpoint::open(dir_.path())),
              oneLineError(indexPath() + ": ",
                           {"shard '../model-00001-of-00002.safetensors' (for tensor 'a') is "
                            "not a plain file name"}));
}

TEST_F(CheckpointSharded, ShardNameDotDot) {
  writeIndex(R"({"a":".."})");
  EXPECT_THAT(errorOf(Checkpoint::open(dir_.path())),
              oneLineError(indexPath() + ": ", {"shard '..' (for tensor 'a')"}));
}

TEST_F(CheckpointSharded, InvalidShardNamesIt) {
  test::writeFile(dir_.file(kShard2), std::string(8, '\0'));
  writeIndex(R"({"a":")" + std::string(kShard1) + R"(","c":")" + kShard2 + R"("})");
  EXPECT_THAT(errorOf(Checkpoint::open(dir_.path())),
              oneLineError(dir_.file(kShard2) + ": ", {"header is not valid JSON"}));
}

/// The FP8 DeepSeek-V3 test model of ../shared/models, generated on the fly.
TEST(CheckpointTinyModel, OpensDsv3TinyFp8) {
  const std::string python = "/usr/bin/python3";
  const std::string script = std::string(R1C_SOURCE_DIR) + "/../shared/models/make_tiny_model.py";
  if (!llvm::sys::fs::can_execute(python))
    GTEST_SKIP() << python << " is missing; it generates the tiny model";
  if (!llvm::sys::fs::exists(script))
    GTEST_SKIP() << script << " is missing (no ../shared checkout next to the repository)";
  std::optional<llvm::StringRef> quiet[] = {std::nullopt, llvm::StringRef(""), llvm::StringRef("")};
  if (llvm::sys::ExecuteAndWait(python, {python, "-c", "import numpy"}, std::nullopt, quiet) != 0)
    GTEST_SKIP() << "numpy is not installed for " << python << "; make_tiny_model.py needs it";

  test::TempDir dir;
  std::string errorMessage;
  int rc = llvm::sys::ExecuteAndWait(python, {python, script, "dsv3-tiny-fp8", dir.path()},
                                     std::nullopt, quiet, 0, 0, &errorMessage);
  ASSERT_EQ(rc, 0) << "make_tiny_model.py dsv3-tiny-fp8 failed " << errorMessage;

  llvm::Expected<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::open(dir.path());
  ASSERT_TRUE(static_cast<bool>(checkpoint)) << llvm::toString(checkpoint.takeError());
  EXPECT_EQ((*checkpoint)->files().size(), 2u);
  EXPECT_THAT((*checkpoint)->unindexedTensors(), IsEmpty());

  CheckpointTensor weight = (*checkpoint)->find("model.layers.0.self_attn.q_a_proj.weight");
  ASSERT_NE(weight.info, nullptr);
  EXPECT_EQ(weight.info->dtype, DType::F8E4M3);
  EXPECT_EQ(weight.info->shape, (std::vector<int64_t>{96, 128}));
  EXPECT_EQ(weight.file->data(*weight.info).size(), 96u * 128u);

  CheckpointTensor scale =
      (*checkpoint)->find("model.layers.0.self_attn.q_a_proj.weight_scale_inv");
  ASSERT_NE(scale.info, nullptr);
  EXPECT_EQ(scale.info->dtype, DType::F32);
  EXPECT_EQ(scale.info->shape, (std::vector<int64_t>{1, 1}));
}

} // namespace
} // namespace r1
