//===- ToyTokenizerTest.cpp - The pipeline on a tokenizer built in the test ===//
//
// Encoding, decoding and streaming on ToyTokenizer.h's tokenizer, whose ids
// can be worked out by hand: bytes are ids 0-255, "th" 256, "the" 257,
// " the" 258.
//
//===----------------------------------------------------------------------===//

#include "test/unit/tokenizer/ToyTokenizer.h"
#include "runtime/tokenizer/StreamDecoder.h"
#include "runtime/tokenizer/Tokenizer.h"
#include "runtime/tokenizer/Utf8.h"

#include <gtest/gtest.h>

namespace r1::runtime {
namespace {

using nlohmann::json;
using Ids = std::vector<int32_t>;

Tokenizer load(const json &tokenizer = toytok::tokenizerJson(),
               const json &config = toytok::tokenizerConfigJson()) {
  Result<Tokenizer> t = Tokenizer::fromJson(tokenizer.dump(), config.dump(), "toy");
  if (!t.ok()) {
    ADD_FAILURE() << t.status().message();
    std::abort();
  }
  return std::move(*t);
}

Ids bytesOf(std::string_view text) {
  Ids ids;
  for (char c : text)
    ids.push_back(static_cast<unsigned char>(c));
  return ids;
}

TEST(ToyTokenizer, MergesByRank) {
  Tokenizer t = load();
  EXPECT_EQ(t.encode("the"), Ids{toytok::kThe});
  // " the" is one piece ("Ġ" + "the" merges last); "then" is "the" + "n".
  EXPECT_EQ(t.encode("the the"), (Ids{toytok::kThe, toytok::kSpaceThe}));
  EXPECT_EQ(t.encode("then"), (Ids{toytok::kThe, 'n'}));
  EXPECT_EQ(t.encode("oth"), (Ids{'o', toytok::kTh}));
  EXPECT_EQ(t.encode(""), Ids{});
  // Twice: the second comes from the word cache.
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(t.encode("the the"), (Ids{toytok::kThe, toytok::kSpaceThe}));
  t.clearCache();
  EXPECT_EQ(t.encode("the the"), (Ids{toytok::kThe, toytok::kSpaceThe}));
}

TEST(ToyTokenizer, AddedTokens) {
  Tokenizer t = load();
  EXPECT_EQ(t.encode("the<|end|><think>the"),
            (Ids{toytok::kThe, toytok::kEnd, toytok::kThink, toytok::kThe}));
  // Not special enough: "<think>" is found even when special tokens are text.
  Ids plain = t.encode("<|end|><think>", /*parseSpecial=*/false);
  EXPECT_EQ(plain.back(), toytok::kThink);
  EXPECT_EQ(t.decode(plain), "<|end|><think>");
  // A partial token is text.
  EXPECT_EQ(t.encode("<|end"), bytesOf("<|end"));
  EXPECT_EQ(t.decode(Ids{toytok::kThe, toytok::kEnd, toytok::kThink}), "the<|end|><think>");
  EXPECT_EQ(t.decode(Ids{toytok::kThe, toytok::kEnd, toytok::kThink}, /*skipSpecial=*/true),
            "the<think>");
  EXPECT_TRUE(t.isSpecialToken(toytok::kEnd));
  EXPECT_FALSE(t.isSpecialToken(toytok::kThink));
  EXPECT_TRUE(t.isAddedToken(toytok::kThink));
}

// The AddedToken flags, as Hugging Face applies them.
TEST(ToyTokenizer, AddedTokenFlags) {
  json tokenizer = toytok::tokenizerJson();
  tokenizer["added_tokens"].push_back({{"id", 303},
                                       {"content", "<m>"},
                                       {"lstrip", true},
                                       {"rstrip", true},
                                       {"normalized", false},
                                       {"special", true}});
  tokenizer["added_tokens"].push_back(
      {{"id", 304}, {"content", "ab"}, {"single_word", true}, {"normalized", false}});
  Tokenizer t = load(tokenizer);
  EXPECT_EQ(t.encode("a  <m>  b"), (Ids{'a', 303, 'b'}));
  EXPECT_EQ(t.encode("x ab y"), (Ids{'x', ' ', 304, ' ', 'y'}));
  EXPECT_EQ(t.encode("xab"), bytesOf("xab")); // inside a word: not a match
}

TEST(ToyTokenizer, NormalizesToNfc) {
  Tokenizer t = load();
  // e + U+0301 COMBINING ACUTE ACCENT is U+00E9 after NFC: bytes C3 A9.
  EXPECT_EQ(t.encode("e\xCC\x81"), (Ids{0xC3, 0xA9}));
  EXPECT_EQ(t.decode(t.encode("e\xCC\x81")), "\xC3\xA9");
}

TEST(ToyTokenizer, IllFormedInputIsReplacementCharacters) {
  Tokenizer t = load();
  // 0xFF and a truncated 3-byte character: one U+FFFD each.
  EXPECT_EQ(t.encode("a\xFF"), t.encode("a\xEF\xBF\xBD"));
  EXPECT_EQ(t.decode(t.encode("\xE4\xBD")), "\xEF\xBF\xBD");
}

TEST(ToyTokenizer, DecodeIsLossyAndSkipsUnknownIds) {
  Tokenizer t = load();
  EXPECT_EQ(t.decode(Ids{0xE4, 0xBD, 0xA0}), "你");
  EXPECT_EQ(t.decode(Ids{0xE4, 0xBD, 'x'}), "\xEF\xBF\xBDx"); // one U+FFFD for E4 BD
  EXPECT_EQ(t.decode(Ids{0xED, 0xA0, 0x80}), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // a surrogate
  EXPECT_EQ(t.decode(Ids{'a', 999999, -1, 'b'}), "ab");
}

TEST(ToyTokenizer, CleanUpSpaces) {
  json config = toytok::tokenizerConfigJson();
  config["clean_up_tokenization_spaces"] = true;
  Tokenizer t = load(toytok::tokenizerJson(), config);
  Ids ids = t.encode("Hello , world . Is n't it ?");
  EXPECT_EQ(t.decode(ids), "Hello, world. Isn't it?");
  DecodeOptions raw;
  raw.cleanUpSpaces = false;
  EXPECT_EQ(t.decode(ids, raw), "Hello , world . Is n't it ?");
}

TEST(ToyTokenizer, ConfigBosEos) {
  Tokenizer t = load();
  EXPECT_EQ(t.bosId(), std::optional<int32_t>(toytok::kBos));
  EXPECT_EQ(t.eosId(), std::optional<int32_t>(toytok::kEnd));
  EXPECT_TRUE(t.addBosToken());
  EXPECT_EQ(t.vocabSize(), toytok::kBos + 1);
  EXPECT_EQ(t.tokenId("Ġthe"), std::optional<int32_t>(toytok::kSpaceThe));
  EXPECT_EQ(t.tokenId("<think>"), std::optional<int32_t>(toytok::kThink));
  EXPECT_EQ(t.tokenId("nope"), std::nullopt);
  EXPECT_EQ(t.tokenText(toytok::kSpaceThe), std::optional<std::string>("Ġthe"));
  EXPECT_EQ(t.tokenText(toytok::kEnd), std::optional<std::string>("<|end|>"));
  EXPECT_EQ(t.tokenText(280), std::nullopt);

  // Without tokenizer_config.json: no BOS/EOS.
  Result<Tokenizer> bare = Tokenizer::fromJson(toytok::tokenizerJson().dump(), "", "toy");
  ASSERT_TRUE(bare.ok()) << bare.status().message();
  EXPECT_EQ(bare->bosId(), std::nullopt);
  EXPECT_FALSE(bare->addBosToken());
}

TEST(StreamDecoder, HoldsBackSplitCharacters) {
  Tokenizer t = load();
  StreamDecoder stream(t);
  // 你 (E4 BD A0) as three byte tokens, then 😀 (F0 9F 98 80) as four.
  EXPECT_EQ(stream.push(0xE4), "");
  EXPECT_EQ(stream.heldBytes(), 1u);
  EXPECT_EQ(stream.push(0xBD), "");
  EXPECT_EQ(stream.push(0xA0), "你");
  EXPECT_EQ(stream.heldBytes(), 0u);
  EXPECT_EQ(stream.push('a'), "a");
  EXPECT_EQ(stream.push(0xF0), "");
  EXPECT_EQ(stream.push(0x9F), "");
  EXPECT_EQ(stream.push(0x98), "");
  EXPECT_EQ(stream.push(0x80), "😀");
  EXPECT_EQ(stream.finish(), "");
}

TEST(StreamDecoder, IllFormedBytesComeOutAtOnce) {
  Tokenizer t = load();
  StreamDecoder stream(t);
  EXPECT_EQ(stream.push(0xFF), "\xEF\xBF\xBD"); // never part of a character
  EXPECT_EQ(stream.push(0xE4), "");             // could be
  EXPECT_EQ(stream.push('x'), "\xEF\xBF\xBDx"); // was not
  EXPECT_EQ(stream.push(0xED), "");             // ED A0 would be a surrogate:
  EXPECT_EQ(stream.push(0xA0), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(stream.push(0xE4), "");
  EXPECT_EQ(stream.push(toytok::kEnd), "\xEF\xBF\xBD<|end|>"); // an added token ends it
  EXPECT_EQ(stream.push(0xF0), "");
  EXPECT_EQ(stream.finish(), "\xEF\xBF\xBD"); // the stream ended inside a character
  EXPECT_EQ(stream.heldBytes(), 0u);
}

TEST(StreamDecoder, EqualsDecodeForEverySplit) {
  Tokenizer t = load();
  // Every way of cutting these bytes into byte tokens streams to decode().
  std::string text = "a你😀\xE4\xBD"
                     "b\xF0\x9F"
                     "c\xFF"
                     "é";
  Ids ids = bytesOf(text);
  ids.insert(ids.begin() + 3, toytok::kEnd);
  for (bool skip : {false, true}) {
    StreamDecoder stream(t, skip);
    std::string streamed;
    for (int32_t id : ids) {
      std::string piece = stream.push(id);
      EXPECT_TRUE(utf8::isValid(piece));
      streamed += piece;
    }
    streamed += stream.finish();
    EXPECT_EQ(streamed, t.decode(ids, skip));
  }
}

TEST(Utf8, IncompleteSuffix) {
  EXPECT_EQ(utf8::incompleteSuffix(""), 0u);
  EXPECT_EQ(utf8::incompleteSuffix("a"), 0u);
  EXPECT_EQ(utf8::incompleteSuffix("a\xE4"), 1u);
  EXPECT_EQ(utf8::incompleteSuffix("a\xE4\xBD"), 2u);
  EXPECT_EQ(utf8::incompleteSuffix("a\xE4\xBD\xA0"), 0u);
  EXPECT_EQ(utf8::incompleteSuffix("\xF0\x9F\x98"), 3u);
  EXPECT_EQ(utf8::incompleteSuffix("\xED\xA0"), 0u); // can never complete
  EXPECT_EQ(utf8::incompleteSuffix("\xC0"), 0u);
  EXPECT_EQ(utf8::incompleteSuffix("\xBD"), 0u);
}

} // namespace
} // namespace r1::runtime
