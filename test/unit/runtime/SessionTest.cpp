//===- SessionTest.cpp - Loading and running the toy model end to end -----===//
//
// The toy model (ToyModelSpec.h) packaged by ArtifactWriter, loaded by Model
// (memfd + dlopen), run by Session: logits against values computed here,
// chunking and threads not changing results, decode used for single tokens,
// and every error a caller can hit.
//
//===----------------------------------------------------------------------===//

#include "runtime/Session.h"
#include "runtime/Greedy.h"
#include "runtime/Model.h"
#include "test/unit/runtime/ToyArtifact.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>

namespace r1::runtime {
namespace {

using nlohmann::json;
using toy::kVocab;

class SessionTest : public ::testing::Test {
protected:
  void SetUp() override { load(); }

  void load(const toy::ToyArtifactOptions &options = {}) {
    model.reset();
    path = dir.file("toy.r1");
    Status s = toy::writeToyArtifact(path, options);
    ASSERT_TRUE(s.ok()) << s.message();
    Result<std::unique_ptr<Model>> loaded = Model::load(path);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    model = std::move(*loaded);
  }

  std::unique_ptr<Session> session(SessionOptions options = {}) {
    Result<std::unique_ptr<Session>> created = Session::create(*model, options);
    EXPECT_TRUE(created.ok()) << created.status().message();
    return created.ok() ? std::move(*created) : nullptr;
  }

  /// All logits of `tokens` from position 0, in chunks of `chunk`.
  std::vector<float> run(const std::vector<int32_t> &tokens, int64_t chunk, int threads = 2,
                         r1_precision precision = R1_PRECISION_FP32) {
    SessionOptions options;
    options.chunkTokens = chunk;
    options.threads = threads;
    std::unique_ptr<Session> s = session(options);
    std::vector<float> logits(tokens.size() * kVocab);
    Status status = s->step(tokens, LogitsMode::kAll, precision, logits.data());
    EXPECT_TRUE(status.ok()) << status.message();
    EXPECT_EQ(s->position(), static_cast<int64_t>(tokens.size()));
    return logits;
  }

  static std::vector<int32_t> prompt(int n) {
    std::vector<int32_t> tokens;
    for (int i = 0; i < n; ++i)
      tokens.push_back((i * 7 + 3) % static_cast<int32_t>(kVocab));
    return tokens;
  }

  static void expectNear(const std::vector<float> &actual, const std::vector<float> &expected) {
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i)
      ASSERT_NEAR(actual[i], expected[i], 1e-5f * (1 + std::fabs(expected[i]))) << "logit " << i;
  }

  static bool sameBits(const std::vector<float> &a, const std::vector<float> &b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
  }

  /// The "written by" marker of each KV entry (1: decode, 2: prefill).
  static std::vector<float> kvMarkers(const Session &s, int64_t n) {
    std::vector<float> markers;
    const auto *kv = static_cast<const toy::KvEntry *>(s.kvCache());
    for (int64_t i = 0; i < n; ++i)
      markers.push_back(kv[i].writtenBy);
    return markers;
  }

  toy::TempDir dir;
  std::string path;
  std::unique_ptr<Model> model;
};

TEST_F(SessionTest, ModelExposesWeightsAndManifest) {
  EXPECT_EQ(model->manifest().weights.size(), 3u);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(reinterpret_cast<uintptr_t>(model->weights()[i]) % 64, 0u);
  EXPECT_EQ(static_cast<const float *>(model->weights()[1])[5], toy::emb(5));
}

TEST_F(SessionTest, LogitsMatchTheReference) {
  std::vector<int32_t> tokens = prompt(11); // chunks of 8 + 3
  expectNear(run(tokens, 0), toy::referenceLogits(tokens, R1_PRECISION_FP32));
}

TEST_F(SessionTest, PrecisionReachesTheCode) {
  std::vector<int32_t> tokens = prompt(9);
  std::vector<float> fp32 = run(tokens, 0, 2, R1_PRECISION_FP32);
  std::vector<float> bf16 = run(tokens, 0, 2, R1_PRECISION_DEFAULT);
  expectNear(bf16, toy::referenceLogits(tokens, R1_PRECISION_DEFAULT));
  EXPECT_FALSE(sameBits(fp32, bf16));
  EXPECT_TRUE(sameBits(run(tokens, 0, 2, R1_PRECISION_BF16), bf16)) << "the toy rounds both alike";

  std::unique_ptr<Session> s = session();
  Status status = s->step(tokens, LogitsMode::kLast, static_cast<r1_precision>(7), nullptr);
  EXPECT_EQ(status.message(),
            "unknown precision 7; R1Abi.h defines 0 (default), 1 (fp32) and 2 (bf16)");
}

TEST_F(SessionTest, ChunkingAndThreadsDoNotChangeLogits) {
  std::vector<int32_t> tokens = prompt(21);
  std::vector<float> oneShot = run(tokens, 0, 1);
  for (int64_t chunk : {1, 2, 3, 7, 8, 100})
    for (int threads : {1, 3})
      EXPECT_TRUE(sameBits(run(tokens, chunk, threads), oneShot))
          << "chunk " << chunk << ", threads " << threads;
}

TEST_F(SessionTest, LastModeGivesTheLastRow) {
  std::vector<int32_t> tokens = prompt(13);
  std::vector<float> all = run(tokens, 0);
  std::unique_ptr<Session> s = session();
  std::vector<float> last(kVocab);
  ASSERT_TRUE(s->step(tokens, LogitsMode::kLast, R1_PRECISION_FP32, last.data()).ok());
  EXPECT_TRUE(sameBits(last, std::vector<float>(all.end() - kVocab, all.end())));
}

TEST_F(SessionTest, PositionsContinueAcrossSteps) {
  std::vector<int32_t> tokens = prompt(12);
  std::vector<float> oneShot = run(tokens, 0);
  std::unique_ptr<Session> s = session();
  std::vector<float> logits(tokens.size() * kVocab);
  ASSERT_TRUE(s->step({tokens.data(), 5}, LogitsMode::kAll, R1_PRECISION_FP32, logits.data()).ok());
  ASSERT_TRUE(s->step({tokens.data() + 5, 1}, LogitsMode::kAll, R1_PRECISION_FP32,
                      logits.data() + 5 * kVocab)
                  .ok());
  ASSERT_TRUE(s->step({tokens.data() + 6, 6}, LogitsMode::kAll, R1_PRECISION_FP32,
                      logits.data() + 6 * kVocab)
                  .ok());
  EXPECT_EQ(s->position(), 12);
  EXPECT_TRUE(sameBits(logits, oneShot));
  EXPECT_TRUE(s->step({}, LogitsMode::kAll, R1_PRECISION_FP32, nullptr).ok());
  EXPECT_TRUE(s->step({tokens.data(), 2}, LogitsMode::kAll, R1_PRECISION_FP32, nullptr).ok())
      << "nullptr: no logits wanted";
  EXPECT_EQ(s->position(), 14);
}

TEST_F(SessionTest, SingleTokenChunksUseDecode) {
  SessionOptions options;
  std::unique_ptr<Session> s = session(options);
  ASSERT_TRUE(s->step(prompt(9), LogitsMode::kLast, R1_PRECISION_FP32, nullptr).ok());
  // 8 tokens through r1_prefill, the ninth alone through r1_decode.
  EXPECT_EQ(kvMarkers(*s, 9), (std::vector<float>{2, 2, 2, 2, 2, 2, 2, 2, 1}));
  options.chunkTokens = 1;
  s = session(options);
  ASSERT_TRUE(s->step(prompt(3), LogitsMode::kLast, R1_PRECISION_FP32, nullptr).ok());
  EXPECT_EQ(kvMarkers(*s, 3), (std::vector<float>{1, 1, 1}));
}

TEST_F(SessionTest, ResetStartsOver) {
  std::vector<int32_t> tokens = prompt(10);
  std::unique_ptr<Session> s = session();
  std::vector<float> first(kVocab), second(kVocab);
  ASSERT_TRUE(s->step(tokens, LogitsMode::kLast, R1_PRECISION_FP32, first.data()).ok());
  s->reset();
  EXPECT_EQ(s->position(), 0);
  EXPECT_EQ(kvMarkers(*s, 10), std::vector<float>(10, 0.0f)) << "the KV cache reads as zero";
  ASSERT_TRUE(s->step(tokens, LogitsMode::kLast, R1_PRECISION_FP32, second.data()).ok());
  EXPECT_TRUE(sameBits(first, second));
}

TEST_F(SessionTest, RewindReusesTheCommonPrefix) {
  // Run A then B, rewind to after A, run C: the same logits as A then C.
  std::vector<int32_t> a = prompt(6), b = {1, 2, 3, 4}, c = {5, 6, 7};
  std::vector<int32_t> ac = a;
  ac.insert(ac.end(), c.begin(), c.end());
  std::vector<float> want = run(ac, 0);
  std::unique_ptr<Session> s = session();
  ASSERT_TRUE(s->step(a, LogitsMode::kLast, R1_PRECISION_FP32, nullptr).ok());
  ASSERT_TRUE(s->step(b, LogitsMode::kLast, R1_PRECISION_FP32, nullptr).ok());
  ASSERT_TRUE(s->rewind(6).ok());
  EXPECT_EQ(s->position(), 6);
  std::vector<float> got(c.size() * kVocab);
  ASSERT_TRUE(s->step(c, LogitsMode::kAll, R1_PRECISION_FP32, got.data()).ok());
  EXPECT_TRUE(sameBits(got, std::vector<float>(want.end() - std::ptrdiff_t(got.size()), want.end())));
  Status bad = s->rewind(10);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.message(), "cannot rewind to position 10: the session is at 9");
  EXPECT_FALSE(s->rewind(-1).ok());
}

TEST_F(SessionTest, ContextDefaultsAndLimits) {
  std::unique_ptr<Session> s = session();
  EXPECT_EQ(s->capacity(), toy::kMaxPositions) << "min(max_positions, 4096)";
  EXPECT_EQ(s->kvBytes(), uint64_t(toy::kMaxPositions * toy::kKvBytesPerToken));
  EXPECT_EQ(s->chunkTokens(), toy::kMaxStepTokens);
  SessionOptions options;
  options.chunkTokens = 100;
  EXPECT_EQ(session(options)->chunkTokens(), toy::kMaxStepTokens) << "capped at max_step_tokens";

  options = {};
  options.ctx = 65;
  Result<std::unique_ptr<Session>> tooBig = Session::create(*model, options);
  ASSERT_FALSE(tooBig.ok());
  EXPECT_EQ(tooBig.status().message(), "--ctx 65 exceeds " + path + "'s max_positions 64");
  EXPECT_EQ(tooBig.status().kind(), ErrorKind::kBadInput);
  options.ctx = 0;
  options.threads = -1;
  EXPECT_FALSE(Session::create(*model, options).ok());
}

TEST_F(SessionTest, ContextOverflow) {
  SessionOptions options;
  options.ctx = 16;
  std::unique_ptr<Session> s = session(options);
  ASSERT_TRUE(s->step(prompt(10), LogitsMode::kLast, R1_PRECISION_FP32, nullptr).ok());
  Status status = s->step(prompt(7), LogitsMode::kLast, R1_PRECISION_FP32, nullptr);
  EXPECT_EQ(status.message(),
            "context full: 16 tokens; raise --ctx (max 64) (10 used, 7 more requested)");
  EXPECT_EQ(status.kind(), ErrorKind::kBadInput);
  EXPECT_EQ(s->position(), 10) << "nothing ran";
  EXPECT_TRUE(s->step(prompt(6), LogitsMode::kLast, R1_PRECISION_FP32, nullptr).ok());

  s = session();
  status = s->step(prompt(65), LogitsMode::kLast, R1_PRECISION_FP32, nullptr);
  EXPECT_EQ(status.message(),
            "context full: 64 tokens, the model's max_positions (0 used, 65 more requested)");
}

TEST_F(SessionTest, TokenOutOfRange) {
  std::unique_ptr<Session> s = session();
  std::vector<int32_t> tokens = {1, 2, 40};
  Status status = s->step(tokens, LogitsMode::kLast, R1_PRECISION_FP32, nullptr);
  EXPECT_EQ(status.message(),
            "token id 40 (input token 2) is out of range: the vocabulary has 40 tokens");
  EXPECT_EQ(s->position(), 0);
  tokens = {-1};
  EXPECT_FALSE(s->step(tokens, LogitsMode::kLast, R1_PRECISION_FP32, nullptr).ok());
}

TEST_F(SessionTest, EntryPointFailureIsReported) {
  // A manifest promising more tokens per step than the code accepts.
  toy::ToyArtifactOptions options;
  options.editManifest = [](json &m) { m["memory"]["max_step_tokens"] = 16; };
  load(options);
  std::unique_ptr<Session> s = session();
  ASSERT_TRUE(s->step(prompt(3), LogitsMode::kLast, R1_PRECISION_FP32, nullptr).ok());
  Status status = s->step(prompt(12), LogitsMode::kLast, R1_PRECISION_FP32, nullptr);
  EXPECT_EQ(status.message(),
            path + ": r1_prefill returned 2 (R1_STEP_BAD_ARGS) for 12 tokens at position 3");
  EXPECT_EQ(status.kind(), ErrorKind::kRuntime);
  EXPECT_EQ(s->position(), 3);
}

TEST_F(SessionTest, IdentityMismatch) {
  toy::ToyArtifactOptions options;
  options.identity = "r1c 0.3.0 qwen2 host";
  ASSERT_TRUE(toy::writeToyArtifact(path, options).ok());
  Result<std::unique_ptr<Model>> loaded = Model::load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(),
            path + ": code does not match the manifest: artifact corrupt (code identity \"" +
                toy::kIdentity + "\", manifest code.identity \"r1c 0.3.0 qwen2 host\")");
  EXPECT_EQ(loaded.status().kind(), ErrorKind::kBadInput);
}

TEST_F(SessionTest, CorruptCodeIsNotLoaded) {
  const ArtifactSection *code = model->artifact().findSection("code");
  uint64_t offset = code->offset + 100;
  model.reset();
  toy::flipByte(path, offset);
  Result<std::unique_ptr<Model>> loaded = Model::load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(
      loaded.status().message().find(path + ": section \"code\" is corrupt: its checksum is "),
      std::string::npos)
      << loaded.status().message();
}

TEST_F(SessionTest, MissingWeightsSection) {
  // A hand-made artifact with only a code section.
  json manifest = toy::toyManifest();
  manifest["format"] = "r1c-artifact";
  manifest["format_version"] = 1;
  manifest["sections"] = json::array();
  toy::writeRawArtifact(dir.file("noweights.r1"), "", manifest.dump());
  Result<std::unique_ptr<Model>> loaded = Model::load(dir.file("noweights.r1"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(),
            dir.file("noweights.r1") +
                ": the artifact has no \"weights\" section; it is incomplete");
}

TEST_F(SessionTest, GreedyGenerationFollowsTheReference) {
  std::vector<int32_t> tokens = prompt(5);
  std::unique_ptr<Session> s = session();
  GreedyOptions options;
  options.maxNewTokens = 6;
  options.stopAtEos = false;
  options.precision = R1_PRECISION_FP32;
  std::vector<float> promptLogits(tokens.size() * kVocab);
  options.promptLogits = promptLogits.data();
  GenerationStats stats;
  Result<std::vector<int32_t>> generated = generateGreedy(*s, tokens, options, &stats);
  ASSERT_TRUE(generated.ok()) << generated.status().message();
  expectNear(promptLogits, toy::referenceLogits(tokens, R1_PRECISION_FP32));

  // The same tokens by argmax over the reference, one token at a time.
  std::vector<int32_t> sequence = tokens, expected;
  for (int i = 0; i < 6; ++i) {
    std::vector<float> logits = toy::referenceLogits(sequence, R1_PRECISION_FP32);
    int32_t next = argmax(logits.data() + (sequence.size() - 1) * kVocab, kVocab);
    expected.push_back(next);
    sequence.push_back(next);
  }
  EXPECT_EQ(*generated, expected);
  EXPECT_EQ(stats.prefillTokens, 5);
  EXPECT_EQ(stats.decodeSteps, 5) << "the last new token is not fed back";
  EXPECT_EQ(s->position(), 10);
}

TEST_F(SessionTest, GreedyGenerationStopsAtEos) {
  // Make the first generated token an end-of-sequence token.
  std::vector<int32_t> tokens = prompt(4);
  std::vector<float> logits = toy::referenceLogits(tokens, R1_PRECISION_FP32);
  int32_t first = argmax(logits.data() + 3 * kVocab, kVocab);
  toy::ToyArtifactOptions artifact;
  artifact.editManifest = [first](json &m) { m["model"]["eos_token_ids"] = json::array({first}); };
  load(artifact);
  std::unique_ptr<Session> s = session();
  GreedyOptions options;
  options.maxNewTokens = 10;
  options.precision = R1_PRECISION_FP32;
  Result<std::vector<int32_t>> generated = generateGreedy(*s, tokens, options);
  ASSERT_TRUE(generated.ok()) << generated.status().message();
  EXPECT_EQ(*generated, std::vector<int32_t>{first});
}

TEST_F(SessionTest, GreedyGenerationChecksTheContextFirst) {
  SessionOptions sessionOptions;
  sessionOptions.ctx = 8;
  std::unique_ptr<Session> s = session(sessionOptions);
  GreedyOptions options;
  options.maxNewTokens = 6;
  Result<std::vector<int32_t>> generated = generateGreedy(*s, prompt(4), options);
  ASSERT_FALSE(generated.ok());
  EXPECT_EQ(
      generated.status().message(),
      "context full: 8 tokens; raise --ctx (max 64) (0 used, 9 more needed for 4 prompt and 6 "
      "new tokens)");
  EXPECT_EQ(s->position(), 0);
  options.maxNewTokens = 5; // 4 + 4 fed back = 8
  options.stopAtEos = false;
  EXPECT_TRUE(generateGreedy(*s, prompt(4), options).ok());
}

TEST(Argmax, FirstMaximumAndNaN) {
  std::vector<float> v = {1, 3, 3, 2};
  EXPECT_EQ(argmax(v.data(), 4), 1);
  v = {NAN, 1, NAN, 2};
  EXPECT_EQ(argmax(v.data(), 4), 3);
  v = {NAN, NAN};
  EXPECT_EQ(argmax(v.data(), 2), 0);
}

} // namespace
} // namespace r1::runtime
