//===- ByteLevel.h - GPT-2's byte <-> character table ---------------------===//
//
// Byte-level BPE (GPT-2, and every tokenizer r1c supports) runs on bytes
// spelled as printable characters: tokenizer.json writes the token for
// " the" as "Ġthe", since byte 0x20 is spelled U+0120. The tokenizer converts
// each vocabulary entry back to its bytes once, at load, so encoding never
// maps characters and decoding is a copy of bytes.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_TOKENIZER_BYTELEVEL_H
#define R1C_RUNTIME_TOKENIZER_BYTELEVEL_H

#include <optional>
#include <string>
#include <string_view>

namespace r1::runtime::bytelevel {

/// The character that spells `byte`: the byte itself for the printable
/// Latin-1 bytes 0x21..0x7E, 0xA1..0xAC and 0xAE..0xFF; U+0100 + n for the
/// n-th of the other 68 bytes.
char32_t charOf(unsigned char byte);

/// The bytes a byte-level token spells ("Ġthe" -> " the"), or nullopt when
/// some character of `token` is not one of the 256 (an added token's text
/// such as "<｜begin▁of▁sentence｜>" is not byte-level).
std::optional<std::string> toBytes(std::string_view token);

/// The byte-level spelling of `bytes` (" the" -> "Ġthe").
std::string fromBytes(std::string_view bytes);

} // namespace r1::runtime::bytelevel

#endif // R1C_RUNTIME_TOKENIZER_BYTELEVEL_H
