//===- TokenizerFuzzer.cpp - libFuzzer target for the tokenizer -----------===//
//
// Two kinds of input, by the first byte:
//   even: "tokenizer.json\0tokenizer_config.json" — the loader must accept
//         or refuse it with a one-line error naming the source, never crash;
//         an accepted tokenizer then encodes and decodes a few strings;
//   odd:  text encoded with the real DeepSeek-V3/R1 tokenizer (loaded once
//         from R1C_FUZZ_TOKENIZER_DIR, when present): encoding never
//         crashes, every id is in range, and decoding gives the text back
//         exactly when it is valid UTF-8 (byte-level BPE is lossless and this
//         tokenizer normalizes nothing).
//
//===----------------------------------------------------------------------===//
#include "runtime/tokenizer/Tokenizer.h"
#include "runtime/tokenizer/Utf8.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

using r1::runtime::Result;
using r1::runtime::Tokenizer;

namespace {

void check(bool condition) {
  if (!condition)
    __builtin_trap();
}

std::unique_ptr<Tokenizer> gReal;

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  Result<Tokenizer> real = Tokenizer::fromDirectory(R1C_FUZZ_TOKENIZER_DIR);
  if (real.ok())
    gReal = std::make_unique<Tokenizer>(std::move(*real));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  std::string_view input(reinterpret_cast<const char *>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    size_t split = input.find('\0');
    std::string_view json = input.substr(0, split);
    std::string_view config = split == std::string_view::npos ? "" : input.substr(split + 1);
    Result<Tokenizer> tok = Tokenizer::fromJson(json, config, "fuzz");
    if (!tok.ok()) {
      const std::string &message = tok.status().message();
      check(!message.empty() && message.find('\n') == std::string::npos);
      check(message.rfind("fuzz", 0) == 0);
      return 0;
    }
    for (std::string_view text : {std::string_view("Hello, world! 123"),
                                  std::string_view("\xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x98\x80"),
                                  std::string_view("\xff\xfe broken")}) {
      std::vector<int32_t> ids = tok->encode(text);
      for (int32_t id : ids)
        check(id >= 0);
      (void)tok->decode(ids);
    }
    return 0;
  }
  if (!gReal)
    return 0;
  std::vector<int32_t> ids = gReal->encode(input, /*parseSpecial=*/true);
  for (int32_t id : ids)
    check(id >= 0 && id < gReal->vocabSize());
  std::string back = gReal->decode(ids);
  if (r1::runtime::utf8::isValid(input))
    check(back == input);
  return 0;
}
