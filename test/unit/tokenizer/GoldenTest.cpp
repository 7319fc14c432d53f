//===- GoldenTest.cpp - Encoding and decoding against Hugging Face goldens ===//
//
// ../shared/goldens/tokenizer/NAME.json holds texts with the ids Hugging Face
// gives them (encode without BOS) and the decoded text, plus chat-template
// renderings with their ids, for the files in ../shared/tokenizers/NAME.
// Every case must match exactly. Skipped when ../shared is absent.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/StreamDecoder.h"
#include "runtime/tokenizer/Tokenizer.h"
#include "runtime/tokenizer/Utf8.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

namespace r1::runtime {
namespace {

using nlohmann::json;

/// ../shared: $R1C_SHARED_DIR, else the build's R1C_SHARED_DIR.
std::string sharedDir() {
  if (const char *env = std::getenv("R1C_SHARED_DIR"); env && *env)
    return env;
  return R1C_SHARED_DIR;
}

/// The tokenizer NAME, loaded once for all tests; nullptr when ../shared
/// lacks it (the caller skips).
const Tokenizer *sharedTokenizer(const std::string &name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> loaded;
  auto it = loaded.find(name);
  if (it != loaded.end())
    return it->second.get();
  std::string dir = sharedDir() + "/tokenizers/" + name;
  std::unique_ptr<Tokenizer> &slot = loaded[name];
  if (!std::filesystem::exists(dir + "/tokenizer.json"))
    return nullptr;
  Result<Tokenizer> tokenizer = Tokenizer::fromDirectory(dir);
  if (!tokenizer.ok()) {
    ADD_FAILURE() << tokenizer.status().message();
    return nullptr;
  }
  slot = std::make_unique<Tokenizer>(std::move(*tokenizer));
  return slot.get();
}

std::optional<json> golden(const std::string &name) {
  std::ifstream in(sharedDir() + "/goldens/tokenizer/" + name + ".json");
  if (!in)
    return std::nullopt;
  return json::parse(in);
}

std::string ids(const std::vector<int32_t> &list) {
  std::ostringstream out;
  for (size_t i = 0; i < list.size(); ++i)
    out << (i ? "," : "") << list[i];
  return out.str();
}

class Golden : public testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    goldenJson_ = golden(GetParam());
    tokenizer_ = sharedTokenizer(GetParam());
    if (!goldenJson_ || !tokenizer_)
      GTEST_SKIP() << "no " << sharedDir() << "/goldens/tokenizer/" << GetParam()
                   << ".json or tokenizers/" << GetParam()
                   << " (../shared is absent; set R1C_SHARED_DIR)";
  }
  std::optional<json> goldenJson_;
  const Tokenizer *tokenizer_ = nullptr;
};

TEST_P(Golden, EncodesEveryCase) {
  int passed = 0, total = 0;
  for (const json &c : (*goldenJson_)["cases"]) {
    std::string text = c["text"];
    std::vector<int32_t> expected = c["ids"];
    ++total;
    std::vector<int32_t> got = tokenizer_->encode(text);
    EXPECT_EQ(ids(got), ids(expected))
        << "text: " << json(text).dump() << " (" << c["source"] << ")";
    passed += got == expected;
  }
  EXPECT_GT(total, 0);
  std::printf("[ %s ] %d of %d cases encode exactly\n", GetParam().c_str(), passed, total);
}

TEST_P(Golden, DecodesEveryCase) {
  int passed = 0, total = 0;
  for (const json &c : (*goldenJson_)["cases"]) {
    std::vector<int32_t> list = c["ids"];
    std::string expected = c["decoded"];
    ++total;
    std::string got = tokenizer_->decode(list);
    EXPECT_EQ(got, expected) << "ids: " << ids(list) << " (" << c["source"] << ")";
    passed += got == expected;
    // Without clean-up: "decoded_no_cleanup" where it differs, else the same.
    std::string raw = c.value("decoded_no_cleanup", expected);
    DecodeOptions options;
    options.cleanUpSpaces = false;
    EXPECT_EQ(tokenizer_->decode(list, options), raw) << "ids: " << ids(list);
  }
  std::printf("[ %s ] %d of %d cases decode exactly\n", GetParam().c_str(), passed, total);
}

TEST_P(Golden, EncodesEveryChatRendering) {
  int passed = 0, total = 0;
  for (const json &c : (*goldenJson_)["chat_cases"]) {
    std::string rendered = c["rendered"];
    std::vector<int32_t> expected = c["ids"];
    ++total;
    std::vector<int32_t> got = tokenizer_->encode(rendered);
    EXPECT_EQ(ids(got), ids(expected)) << "rendered: " << json(rendered).dump();
    passed += got == expected;
  }
  std::printf("[ %s ] %d of %d chat renderings encode exactly\n", GetParam().c_str(), passed,
              total);
}

TEST_P(Golden, StreamingGivesTheDecodedText) {
  for (const json &c : (*goldenJson_)["cases"]) {
    std::vector<int32_t> list = c["ids"];
    StreamDecoder stream(*tokenizer_);
    std::string text;
    for (int32_t id : list) {
      std::string piece = stream.push(id);
      // Only complete characters come out; at most 3 bytes wait.
      EXPECT_TRUE(utf8::isValid(piece)) << "ids: " << ids(list);
      EXPECT_LE(stream.heldBytes(), 3u);
      text += piece;
    }
    text += stream.finish();
    DecodeOptions options;
    options.cleanUpSpaces = false;
    EXPECT_EQ(text, tokenizer_->decode(list, options)) << "ids: " << ids(list);
  }
}

// encode() is const and thread-safe (the word cache is shared): threads
// encoding at once get the goldens' ids.
TEST_P(Golden, EncodesOnManyThreadsAtOnce) {
  tokenizer_->clearCache();
  std::vector<std::thread> threads;
  std::atomic<int> mismatches = 0;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round)
        for (size_t i = t; i < (*goldenJson_)["cases"].size(); i += 2) {
          const json &c = (*goldenJson_)["cases"][i];
          if (tokenizer_->encode(c["text"].get<std::string>()) !=
              c["ids"].get<std::vector<int32_t>>())
            ++mismatches;
        }
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, Golden, testing::Values("deepseek-v3", "qwen", "llama3"),
                         [](const testing::TestParamInfo<std::string> &info) {
                           std::string name = info.param;
                           for (char &c : name)
                             if (c == '-')
                               c = '_';
                           return name;
                         });

// What tokenizer_config.json says about BOS and EOS, and what the goldens'
// chat renderings start with.
TEST(SharedTokenizers, BosAndEos) {
  const Tokenizer *ds = sharedTokenizer("deepseek-v3");
  const Tokenizer *qwen = sharedTokenizer("qwen");
  const Tokenizer *llama = sharedTokenizer("llama3");
  if (!ds || !qwen || !llama)
    GTEST_SKIP() << "no " << sharedDir() << "/tokenizers (../shared is absent)";
  EXPECT_EQ(ds->bosId(), std::optional<int32_t>(0));
  EXPECT_EQ(ds->eosId(), std::optional<int32_t>(1));
  EXPECT_TRUE(ds->addBosToken());
  EXPECT_EQ(ds->vocabSize(), 128815);
  EXPECT_EQ(ds->tokenId("<｜begin▁of▁sentence｜>"), std::optional<int32_t>(0));
  EXPECT_EQ(ds->tokenId("<｜Assistant｜>"), std::optional<int32_t>(128804));
  EXPECT_EQ(qwen->bosId(), std::nullopt);
  EXPECT_EQ(qwen->eosId(), qwen->tokenId("<|im_end|>"));
  EXPECT_FALSE(qwen->addBosToken());
  EXPECT_EQ(llama->bosId(), std::optional<int32_t>(128000));
  EXPECT_EQ(llama->eosId(), llama->tokenId("<|eot_id|>"));
  EXPECT_TRUE(llama->addBosToken()); // from the TemplateProcessing post-processor
  EXPECT_TRUE(llama->cleanUpTokenizationSpaces());
  // tokenId/tokenText use tokenizer.json's spelling.
  std::optional<int32_t> spaceThe = llama->tokenId("Ġthe");
  ASSERT_TRUE(spaceThe.has_value());
  EXPECT_EQ(llama->tokenText(*spaceThe), std::optional<std::string>("Ġthe"));
  EXPECT_EQ(llama->tokenBytes(*spaceThe), " the");
  EXPECT_EQ(llama->encode(" the"), std::vector<int32_t>{*spaceThe});
}

// With parseSpecial false, special tokens are text; ordinary added tokens
// ("<think>" in Qwen) are still found.
TEST(SharedTokenizers, SpecialTokensAsText) {
  const Tokenizer *qwen = sharedTokenizer("qwen");
  if (!qwen)
    GTEST_SKIP() << "no " << sharedDir() << "/tokenizers/qwen (../shared is absent)";
  int32_t imStart = *qwen->tokenId("<|im_start|>"), think = *qwen->tokenId("<think>");
  std::vector<int32_t> parsed = qwen->encode("<|im_start|><think>");
  EXPECT_EQ(parsed, (std::vector<int32_t>{imStart, think}));
  std::vector<int32_t> plain = qwen->encode("<|im_start|><think>", /*parseSpecial=*/false);
  ASSERT_GT(plain.size(), 2u);
  EXPECT_EQ(plain.back(), think);
  EXPECT_EQ(qwen->decode(plain), "<|im_start|><think>");
  EXPECT_EQ(qwen->decode(parsed, /*skipSpecial=*/true), "<think>");
}

} // namespace
} // namespace r1::runtime
