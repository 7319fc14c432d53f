//===- ToyTokenizer.cpp - A small byte-level BPE tokenizer for unit tests -===//

#include "test/unit/tokenizer/ToyTokenizer.h"

#include "runtime/tokenizer/ByteLevel.h"

namespace r1::toytok {

using nlohmann::json;

json tokenizerJson() {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b)
    vocab[r1::runtime::bytelevel::fromBytes(std::string(1, static_cast<char>(b)))] = b;
  vocab["th"] = kTh;
  vocab["the"] = kThe;
  vocab["Ġthe"] = kSpaceThe;
  json added = json::array();
  auto add = [&](int id, const char *content, bool special) {
    added.push_back({{"id", id},
                     {"content", content},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", special}});
  };
  add(kEnd, "<|end|>", true);
  add(kThink, "<think>", false);
  add(kBos, "<|bos|>", true);
  return {{"version", "1.0"},
          {"added_tokens", added},
          {"normalizer", {{"type", "NFC"}}},
          {"pre_tokenizer",
           {{"type", "Sequence"},
            {"pretokenizers",
             json::array(
                 {{{"type", "Split"},
                   {"pattern",
                    {{"Regex", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
                               "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}}},
                   {"behavior", "Isolated"},
                   {"invert", false}},
                  {{"type", "ByteLevel"},
                   {"add_prefix_space", false},
                   {"trim_offsets", false},
                   {"use_regex", false}}})}}},
          {"post_processor", nullptr},
          {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", false}}},
          {"model",
           {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", nullptr},
            {"vocab", vocab},
            // Both spellings of a merge, as files have them.
            {"merges", json::array({"t h", json::array({"th", "e"}), "Ġ the"})}}}};
}

json tokenizerConfigJson() {
  return {{"bos_token", {{"__type", "AddedToken"}, {"content", "<|bos|>"}}},
          {"eos_token", "<|end|>"},
          {"add_bos_token", true},
          {"clean_up_tokenization_spaces", false}};
}

} // namespace r1::toytok
