//===- ByteLevel.cpp - GPT-2's byte <-> character table -------------------===//

#include "runtime/tokenizer/ByteLevel.h"

#include "runtime/tokenizer/Utf8.h"

#include <array>

namespace r1::runtime::bytelevel {

namespace {

bool printable(unsigned b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
}

struct Tables {
  std::array<char32_t, 256> charOf{};
  std::array<int16_t, 0x144> byteOf{}; // -1: not a byte-level character
  Tables() {
    byteOf.fill(-1);
    char32_t shifted = 0x100;
    for (unsigned b = 0; b < 256; ++b) {
      charOf[b] = printable(b) ? char32_t(b) : shifted++;
      byteOf[charOf[b]] = static_cast<int16_t>(b);
    }
  }
};

const Tables &tables() {
  static const Tables t;
  return t;
}

void appendUtf8(std::string &out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

} // namespace

char32_t charOf(unsigned char byte) { return tables().charOf[byte]; }

std::optional<std::string> toBytes(std::string_view token) {
  if (!utf8::isValid(token))
    return std::nullopt;
  const Tables &t = tables();
  std::string bytes;
  bytes.reserve(token.size());
  for (size_t i = 0; i < token.size();) {
    char32_t c = utf8::next(token, i);
    if (c >= t.byteOf.size() || t.byteOf[c] < 0)
      return std::nullopt;
    bytes += static_cast<char>(t.byteOf[c]);
  }
  return bytes;
}

std::string fromBytes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char b : bytes)
    appendUtf8(out, charOf(static_cast<unsigned char>(b)));
  return out;
}

} // namespace r1::runtime::bytelevel
