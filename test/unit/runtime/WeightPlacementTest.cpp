//===- WeightPlacementTest.cpp - Weights in the file mapping or in memory -===//
//
// --weights' decision from the memory facts (injected), reading a weights
// section into memory (content, chunking across threads, a short or missing
// file), and the toy model loaded both ways: the same bytes, the same logits.
//
//===----------------------------------------------------------------------===//

#include "runtime/WeightPlacement.h"
#include "runtime/Model.h"
#include "runtime/Session.h"
#include "test/unit/runtime/ToyArtifact.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <vector>

namespace r1::runtime {
namespace {

constexpr uint64_t kGiB = uint64_t(1) << 30;

MemoryFacts facts(uint64_t available, uint64_t total, bool hugePagesOff = false) {
  MemoryFacts f;
  f.availableBytes = available;
  f.totalBytes = total;
  f.hugePagesOff = hugePagesOff;
  return f;
}

WeightPlacement decide(WeightPlacement asked, uint64_t bytes, const MemoryFacts &f) {
  Result<WeightPlacement> placed = decideWeightPlacement(asked, bytes, f, "m.r1");
  EXPECT_TRUE(placed.ok()) << placed.status().message();
  return placed.ok() ? *placed : WeightPlacement::Auto;
}

TEST(WeightPlacement, ParsesItsThreeNames) {
  for (WeightPlacement p : {WeightPlacement::Auto, WeightPlacement::Mapped, WeightPlacement::Memory})
    EXPECT_EQ(parseWeightPlacement(weightPlacementName(p)), p);
  EXPECT_FALSE(parseWeightPlacement("ram").has_value());
  EXPECT_FALSE(parseWeightPlacement("").has_value());
}

TEST(WeightPlacement, AutoCopiesWhatFitsWithTheReserve) {
  // 16 GiB of memory, 10 available: the reserve is 1.6 GiB (10% > 1 GiB).
  MemoryFacts f = facts(10 * kGiB, 16 * kGiB);
  EXPECT_EQ(decide(WeightPlacement::Auto, 8 * kGiB, f), WeightPlacement::Memory);
  EXPECT_EQ(decide(WeightPlacement::Auto, 8 * kGiB + kGiB / 2, f), WeightPlacement::Mapped);
  // A small machine: the reserve is the 1 GiB floor.
  MemoryFacts small = facts(3 * kGiB, 4 * kGiB);
  EXPECT_EQ(decide(WeightPlacement::Auto, 2 * kGiB, small), WeightPlacement::Memory);
  EXPECT_EQ(decide(WeightPlacement::Auto, 2 * kGiB + 1, small), WeightPlacement::Mapped);
}

TEST(WeightPlacement, AutoMapsWithoutHugePagesOrFacts) {
  EXPECT_EQ(decide(WeightPlacement::Auto, kGiB, facts(64 * kGiB, 64 * kGiB, true)),
            WeightPlacement::Mapped);
  EXPECT_EQ(decide(WeightPlacement::Auto, kGiB, MemoryFacts{}), WeightPlacement::Mapped);
}

TEST(WeightPlacement, AskedForPlacementsAreKept) {
  MemoryFacts f = facts(10 * kGiB, 16 * kGiB, true);
  EXPECT_EQ(decide(WeightPlacement::Mapped, kGiB, f), WeightPlacement::Mapped);
  // Memory needs no reserve and no huge pages, only the bytes.
  EXPECT_EQ(decide(WeightPlacement::Memory, 10 * kGiB, f), WeightPlacement::Memory);
  EXPECT_EQ(decide(WeightPlacement::Memory, 10 * kGiB, MemoryFacts{}), WeightPlacement::Memory);
}

TEST(WeightPlacement, MemoryThatDoesNotFitIsAnErrorSayingWhatToDo) {
  Result<WeightPlacement> placed =
      decideWeightPlacement(WeightPlacement::Memory, 12 * kGiB, facts(10 * kGiB, 16 * kGiB), "m.r1");
  ASSERT_FALSE(placed.ok());
  const std::string &message = placed.status().message();
  EXPECT_NE(message.find("m.r1"), std::string::npos) << message;
  EXPECT_NE(message.find("12.0 GiB"), std::string::npos) << message;
  EXPECT_NE(message.find("10.0 GiB"), std::string::npos) << message;
  EXPECT_NE(message.find("--weights mapped"), std::string::npos) << message;
}

TEST(WeightPlacement, ReadsTheSectionAcrossChunksAndThreads) {
  toy::TempDir dir;
  std::string path = dir.file("w.bin");
  // 4 KiB before the section, then 130 MiB + 3 bytes: three 64 MiB chunks,
  // the last one short.
  const uint64_t offset = 4096, bytes = (uint64_t(130) << 20) + 3;
  std::vector<unsigned char> file(offset + bytes);
  for (uint64_t i = 0; i < file.size(); ++i)
    file[i] = static_cast<unsigned char>((i * 2654435761u) >> 13);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char *>(file.data()),
                                              std::streamsize(file.size()));
  for (int threads : {1, 3}) {
    // Progress comes in order, on this thread, and ends with all of it.
    std::vector<uint64_t> reported;
    auto progress = [&](uint64_t done, uint64_t total) {
      EXPECT_EQ(total, bytes);
      reported.push_back(done);
    };
    Result<std::unique_ptr<ResidentWeights>> read =
        ResidentWeights::read(path, offset, bytes, threads, progress);
    ASSERT_TRUE(read.ok()) << read.status().message();
    EXPECT_EQ(std::memcmp((*read)->data(), file.data() + offset, bytes), 0) << threads << " threads";
    ASSERT_FALSE(reported.empty());
    EXPECT_EQ(reported.back(), bytes);
    EXPECT_TRUE(std::is_sorted(reported.begin(), reported.end()));
    if (threads == 1)
      EXPECT_EQ(reported.size(), 3u) << "two chunks, then the whole";
  }
  Result<std::unique_ptr<ResidentWeights>> past = ResidentWeights::read(path, offset, bytes + 1, 2);
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.status().message().find("ended early"), std::string::npos)
      << past.status().message();
  Result<std::unique_ptr<ResidentWeights>> missing =
      ResidentWeights::read(dir.file("none.bin"), 0, 16, 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("none.bin"), std::string::npos);
}

TEST(WeightPlacement, TheToyModelRunsTheSameFromEitherPlace) {
  toy::TempDir dir;
  std::string path = dir.file("toy.r1");
  Status written = toy::writeToyArtifact(path, {});
  ASSERT_TRUE(written.ok()) << written.message();
  std::vector<std::unique_ptr<Model>> models;
  for (WeightPlacement p : {WeightPlacement::Mapped, WeightPlacement::Memory}) {
    ModelLoadOptions options;
    options.weights = p;
    options.copyThreads = 2;
    Result<std::unique_ptr<Model>> loaded = Model::load(path, options);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    EXPECT_EQ((*loaded)->weightPlacement(), p);
    models.push_back(std::move(*loaded));
  }
  const ModelManifest &m = models[0]->manifest();
  ASSERT_FALSE(m.weights.empty());
  const unsigned char *section = models[0]->artifact().findSection(kWeightsSection)->data;
  for (size_t i = 0; i < m.weights.size(); ++i) {
    EXPECT_EQ(models[0]->weights()[i], section + m.weights[i].offset) << "mapped: in place";
    EXPECT_NE(models[1]->weights()[i], models[0]->weights()[i]) << "memory: a copy";
    EXPECT_EQ(std::memcmp(models[0]->weights()[i], models[1]->weights()[i], m.weights[i].bytes), 0)
        << m.weights[i].name;
  }
  std::vector<int32_t> tokens = {1, 2, 3, 4};
  std::vector<std::vector<float>> logits;
  for (const std::unique_ptr<Model> &model : models) {
    Result<std::unique_ptr<Session>> session = Session::create(*model, {});
    ASSERT_TRUE(session.ok()) << session.status().message();
    logits.emplace_back(tokens.size() * m.vocabSize);
    Status s = (*session)->step(tokens, LogitsMode::kAll, R1_PRECISION_FP32, logits.back().data());
    ASSERT_TRUE(s.ok()) << s.message();
  }
  EXPECT_EQ(logits[0], logits[1]);
}

} // namespace
} // namespace r1::runtime
