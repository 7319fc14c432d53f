//===- ErrorTest.cpp - Malformed tokenizer files give one-line errors -----===//
//
// Every malformed input is an ErrorKind::kBadInput whose single line names
// the source, the file and the field; none crashes.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/Tokenizer.h"
#include "test/unit/tokenizer/ToyTokenizer.h"

#include <gtest/gtest.h>

#include <functional>

namespace r1::runtime {
namespace {

using nlohmann::json;

std::string errorOf(const std::string &tokenizer, const std::string &config) {
  Result<Tokenizer> t = Tokenizer::fromJson(tokenizer, config, "toy");
  if (t.ok()) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  EXPECT_EQ(t.status().kind(), ErrorKind::kBadInput);
  EXPECT_EQ(t.status().message().find('\n'), std::string::npos) << t.status().message();
  return t.status().message();
}

/// The error after `edit` changes tokenizer.json.
std::string errorOf(const std::function<void(json &)> &edit) {
  json tokenizer = toytok::tokenizerJson();
  edit(tokenizer);
  return errorOf(tokenizer.dump(), toytok::tokenizerConfigJson().dump());
}

/// The error after `edit` changes tokenizer_config.json.
std::string configErrorOf(const std::function<void(json &)> &edit) {
  json config = toytok::tokenizerConfigJson();
  edit(config);
  return errorOf(toytok::tokenizerJson().dump(), config.dump());
}

const char *const kRegexField = "pre_tokenizer.pretokenizers[0].pattern.Regex";

TEST(TokenizerErrors, BadJson) {
  EXPECT_EQ(errorOf("{\"model\": ", "{}"),
            "toy: tokenizer.json: not valid JSON: parse error at line 1, column 11: syntax error "
            "while parsing value - unexpected end of input; expected '[', '{', or a literal");
  EXPECT_EQ(errorOf("[1, 2]", "{}"), "toy: tokenizer.json: not a JSON object");
  EXPECT_EQ(errorOf("", ""),
            "toy: tokenizer.json: not valid JSON: parse error at line 1, column 1: syntax error "
            "while parsing value - unexpected end of input; expected '[', '{', or a literal");
  EXPECT_EQ(errorOf(toytok::tokenizerJson().dump(), "{bos_token}"),
            "toy: tokenizer_config.json: not valid JSON: parse error at line 1, column 2: syntax "
            "error while parsing object key - invalid literal; last read: '{b'; expected string "
            "literal");
  // A number too large for a double is nlohmann's out_of_range, not a parse
  // error; it once escaped as an exception (found by fuzz.tokenizer).
  EXPECT_EQ(errorOf("{\"version\": 8e888888}", "{}"),
            "toy: tokenizer.json: not valid JSON: number overflow parsing '8e888888'");
}

TEST(TokenizerErrors, Model) {
  EXPECT_EQ(errorOf([](json &t) { t.erase("model"); }),
            "toy: tokenizer.json: field \"model\" is missing");
  EXPECT_EQ(errorOf([](json &t) { t["model"].erase("vocab"); }),
            "toy: tokenizer.json: field \"model.vocab\" is missing");
  EXPECT_EQ(errorOf([](json &t) { t["model"]["vocab"] = json::array(); }),
            "toy: tokenizer.json: field \"model.vocab\" must be an object");
  EXPECT_EQ(
      errorOf([](json &t) { t["model"]["vocab"]["x"] = -1; }),
      "toy: tokenizer.json: field \"model.vocab[\"x\"]\" must be a token id (an integer from 0 "
      "to 2147483647)");
  EXPECT_EQ(errorOf([](json &t) { t["model"]["type"] = "WordPiece"; }),
            "toy: tokenizer.json: field \"model.type\" is \"WordPiece\", a model type r1c's "
            "tokenizer does not support (supported: BPE)");
  EXPECT_EQ(errorOf([](json &t) { t["model"]["byte_fallback"] = true; }),
            "toy: tokenizer.json: field \"model.byte_fallback\" is true; only byte-level BPE "
            "(byte_fallback false) is supported");
  EXPECT_EQ(errorOf([](json &t) { t["model"]["dropout"] = 0.1; }),
            "toy: tokenizer.json: field \"model.dropout\" is not supported (r1c's tokenizer is "
            "deterministic); set it to null");
  EXPECT_EQ(errorOf([](json &t) { t["model"]["unk_token"] = "<unk>"; }),
            "toy: tokenizer.json: field \"model.unk_token\" is \"<unk>\", which is not in "
            "model.vocab");
}

TEST(TokenizerErrors, Merges) {
  EXPECT_EQ(errorOf([](json &t) { t["model"]["merges"].push_back("t q"); }),
            "toy: tokenizer.json: field \"model.merges[3]\" (\"t\", \"q\") names \"tq\", which is "
            "not in model.vocab");
  EXPECT_EQ(errorOf([](json &t) {
              t["model"]["merges"].push_back(json::array({"Ġ", "zz"}));
            }),
            "toy: tokenizer.json: field \"model.merges[3]\" (\"Ġ\", \"zz\") names \"zz\", which "
            "is not in model.vocab");
  EXPECT_EQ(errorOf([](json &t) { t["model"]["merges"].push_back("the"); }),
            "toy: tokenizer.json: field \"model.merges[3]\" is \"the\"; a merge is two tokens "
            "separated by one space");
  EXPECT_EQ(errorOf([](json &t) { t["model"]["merges"].push_back(json::array({"t"})); }),
            "toy: tokenizer.json: field \"model.merges[3]\" must be a string \"left right\" or an "
            "array [\"left\", \"right\"]");
  EXPECT_EQ(errorOf([](json &t) { t["model"]["merges"] = 5; }),
            "toy: tokenizer.json: field \"model.merges\" must be an array");
}

TEST(TokenizerErrors, PreTokenizer) {
  EXPECT_EQ(errorOf([](json &t) {
              t["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(\\p{L}+";
            }),
            std::string("toy: tokenizer.json: field \"") + kRegexField +
                "\" is not a valid regex: missing closing parenthesis at offset 7");
  EXPECT_EQ(errorOf([](json &t) {
              t["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\p{Nope}";
            }),
            std::string("toy: tokenizer.json: field \"") + kRegexField +
                "\" is not a valid regex: unknown property after \\P or \\p at offset 8");
  EXPECT_EQ(errorOf([](json &t) { t.erase("pre_tokenizer"); }),
            "toy: tokenizer.json: field \"pre_tokenizer\" is missing");
  EXPECT_EQ(errorOf([](json &t) { t["pre_tokenizer"]["pretokenizers"].erase(1); }),
            "toy: tokenizer.json: field \"pre_tokenizer\" has no ByteLevel step; only byte-level "
            "BPE tokenizers are supported");
  EXPECT_EQ(errorOf([](json &t) {
              json &steps = t["pre_tokenizer"]["pretokenizers"];
              steps.push_back(steps[0]);
            }),
            "toy: tokenizer.json: field \"pre_tokenizer.pretokenizers[2]\" follows the ByteLevel "
            "step; ByteLevel must be the last pre-tokenizer");
  EXPECT_EQ(errorOf([](json &t) { t["pre_tokenizer"]["pretokenizers"][0]["type"] = "Digits"; }),
            "toy: tokenizer.json: field \"pre_tokenizer.pretokenizers[0].type\" is \"Digits\", a "
            "pre-tokenizer r1c's tokenizer does not support (supported: Sequence,Split,ByteLevel)");
  EXPECT_EQ(errorOf([](json &t) {
              t["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "MergedWithNext";
            }),
            "toy: tokenizer.json: field \"pre_tokenizer.pretokenizers[0].behavior\" is "
            "\"MergedWithNext\"; supported: Isolated, Removed");
}

TEST(TokenizerErrors, NormalizerAndDecoder) {
  EXPECT_EQ(errorOf([](json &t) { t["normalizer"]["type"] = "Lowercase"; }),
            "toy: tokenizer.json: field \"normalizer.type\" is \"Lowercase\", a normalizer r1c's "
            "tokenizer does not support (supported: NFC,NFD,NFKC,NFKD,Sequence)");
  EXPECT_EQ(errorOf([](json &t) {
              t["normalizer"] = {{"type", "Sequence"}, {"normalizers", {{{"type", "Strip"}}}}};
            }),
            "toy: tokenizer.json: field \"normalizer.normalizers[0].type\" is \"Strip\", a "
            "normalizer r1c's tokenizer does not support (supported: NFC,NFD,NFKC,NFKD,Sequence)");
  EXPECT_EQ(errorOf([](json &t) { t["decoder"]["type"] = "Metaspace"; }),
            "toy: tokenizer.json: field \"decoder.type\" is \"Metaspace\", a decoder r1c's "
            "tokenizer does not support (supported: ByteLevel)");
}

TEST(TokenizerErrors, AddedTokens) {
  EXPECT_EQ(errorOf([](json &t) { t["added_tokens"][0].erase("id"); }),
            "toy: tokenizer.json: field \"added_tokens[0].id\" is missing");
  EXPECT_EQ(errorOf([](json &t) { t["added_tokens"][1]["content"] = ""; }),
            "toy: tokenizer.json: field \"added_tokens[1].content\" is empty");
  EXPECT_EQ(errorOf([](json &t) { t["added_tokens"][1]["special"] = "yes"; }),
            "toy: tokenizer.json: field \"added_tokens[1].special\" must be true or false");
}

TEST(TokenizerErrors, Config) {
  EXPECT_EQ(configErrorOf([](json &c) { c["bos_token"] = "<nope>"; }),
            "toy: tokenizer_config.json: field \"bos_token\" is \"<nope>\", which is neither an "
            "added token nor in the vocabulary");
  EXPECT_EQ(configErrorOf([](json &c) { c["eos_token"] = 7; }),
            "toy: tokenizer_config.json: field \"eos_token\" must be a string, an object with a "
            "string \"content\", or null");
  EXPECT_EQ(configErrorOf([](json &c) { c["add_bos_token"] = "true"; }),
            "toy: tokenizer_config.json: field \"add_bos_token\" must be true or false");
  EXPECT_EQ(configErrorOf([](json &c) {
              c["added_tokens_decoder"] = {{"x1", json::object()}};
            }),
            "toy: tokenizer_config.json: field \"added_tokens_decoder[\"x1\"]\" has a key that is "
            "not a token id");
}

TEST(TokenizerErrors, MissingDirectory) {
  Result<Tokenizer> t = Tokenizer::fromDirectory("/nonexistent/dir");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "/nonexistent/dir/tokenizer.json: cannot read: No such file or directory");
}

} // namespace
} // namespace r1::runtime
