//===- BatchRunnerTest.cpp - Many sequences through the toy model ---------===//
//
// The toy model has no r1_decode_batch, so these tests cover BatchRunner's
// own logic and its fallback (r1_decode per sequence): sequences of
// different lengths decoded together equal each run alone by a Session, and
// the contract's errors leave every position where it was. Generated code's
// r1_decode_batch is held bit-identical in test/e2e/batch-decode.test.
//
//===----------------------------------------------------------------------===//

#include "runtime/BatchRunner.h"
#include "runtime/Model.h"
#include "runtime/Session.h"
#include "test/unit/runtime/ToyArtifact.h"

#include <gtest/gtest.h>

namespace r1::runtime {
namespace {

using toy::kVocab;

class BatchRunnerTest : public ::testing::Test {
protected:
  void SetUp() override {
    path = dir.file("toy.r1");
    ASSERT_TRUE(toy::writeToyArtifact(path).ok());
    Result<std::unique_ptr<Model>> loaded = Model::load(path);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    model = std::move(*loaded);
    BatchRunnerOptions options;
    options.threads = 2;
    Result<std::unique_ptr<BatchRunner>> created = BatchRunner::create(*model, options);
    ASSERT_TRUE(created.ok()) << created.status().message();
    runner = std::move(*created);
  }

  std::unique_ptr<BatchSequence> sequence(int64_t capacity) {
    Result<std::unique_ptr<BatchSequence>> seq = runner->newSequence(capacity);
    EXPECT_TRUE(seq.ok()) << seq.status().message();
    return seq.ok() ? std::move(*seq) : nullptr;
  }

  toy::TempDir dir;
  std::string path;
  std::unique_ptr<Model> model;
  std::unique_ptr<BatchRunner> runner;
};

TEST_F(BatchRunnerTest, DecodeTogetherEqualsEachAlone) {
  EXPECT_FALSE(runner->batchesSteps()); // the toy exports no r1_decode_batch
  const std::vector<std::vector<int32_t>> prompts = {{1}, {2, 3, 4}, {5, 6}, {7, 8, 9, 10, 11}};
  std::vector<std::unique_ptr<BatchSequence>> seqs;
  std::vector<float> last(kVocab);
  for (const auto &prompt : prompts) {
    seqs.push_back(sequence(32));
    ASSERT_TRUE(runner->prefill(*seqs.back(), prompt, R1_PRECISION_FP32, last.data()).ok());
  }
  std::vector<BatchSequence *> all;
  for (auto &s : seqs)
    all.push_back(s.get());
  const std::vector<int32_t> next = {12, 13, 14, 15};
  std::vector<float> batched(next.size() * kVocab);
  ASSERT_TRUE(runner->decode(all, next, R1_PRECISION_FP32, batched.data()).ok());

  for (size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(seqs[i]->position(), static_cast<int64_t>(prompts[i].size()) + 1);
    SessionOptions options;
    options.ctx = 32;
    Result<std::unique_ptr<Session>> session = Session::create(*model, options);
    ASSERT_TRUE(session.ok());
    std::vector<int32_t> tokens = prompts[i];
    tokens.push_back(next[i]);
    std::vector<float> alone(kVocab);
    ASSERT_TRUE((*session)->step(tokens, LogitsMode::kLast, R1_PRECISION_FP32, alone.data()).ok());
    for (int64_t v = 0; v < kVocab; ++v)
      ASSERT_EQ(batched[i * kVocab + v], alone[v]) << "sequence " << i << ", logit " << v;
  }
}

TEST_F(BatchRunnerTest, ErrorsLeavePositions) {
  auto a = sequence(2), b = sequence(8);
  std::vector<float> logits(2 * kVocab);
  int32_t one = 1;
  ASSERT_TRUE(runner->prefill(*a, {&one, 1}, R1_PRECISION_FP32, logits.data()).ok());
  ASSERT_TRUE(runner->prefill(*b, {&one, 1}, R1_PRECISION_FP32, logits.data()).ok());

  BatchSequence *pair[] = {a.get(), b.get()};
  int32_t badToken[] = {1, int32_t(kVocab)};
  Status s = runner->decode(pair, badToken, R1_PRECISION_FP32, logits.data());
  EXPECT_EQ(s.kind(), ErrorKind::kBadInput);
  EXPECT_NE(s.message().find("out of range"), std::string::npos) << s.message();

  BatchSequence *twice[] = {a.get(), a.get()};
  int32_t tokens[] = {1, 2};
  s = runner->decode(twice, tokens, R1_PRECISION_FP32, logits.data());
  EXPECT_NE(s.message().find("twice"), std::string::npos) << s.message();

  std::vector<int32_t> three = {1, 2, 3};
  s = runner->prefill(*a, three, R1_PRECISION_FP32, logits.data());
  EXPECT_NE(s.message().find("holds 2 tokens"), std::string::npos) << s.message();
  EXPECT_EQ(a->position(), 1);
  EXPECT_EQ(b->position(), 1);

  // a fills its cache; then it cannot decode, and b does not advance either.
  ASSERT_TRUE(runner->decode({pair, 1}, {tokens, 1}, R1_PRECISION_FP32, logits.data()).ok());
  s = runner->decode(pair, tokens, R1_PRECISION_FP32, logits.data());
  EXPECT_NE(s.message().find("KV cache is full"), std::string::npos) << s.message();
  EXPECT_EQ(a->position(), 2);
  EXPECT_EQ(b->position(), 1);
}

TEST_F(BatchRunnerTest, BadCapacities) {
  EXPECT_FALSE(runner->newSequence(0).ok());
  EXPECT_FALSE(runner->newSequence(int64_t(model->manifest().maxPositions) + 1).ok());
}

} // namespace
} // namespace r1::runtime
