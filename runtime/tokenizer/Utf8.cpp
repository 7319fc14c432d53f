//===- Utf8.cpp - UTF-8 validation and lossy decoding for the tokenizer ---===//

#include "runtime/tokenizer/Utf8.h"

#include <cstring>

namespace r1::runtime::utf8 {

Scan scan(const unsigned char *bytes, size_t size) {
  unsigned char lead = bytes[0];
  if (lead < 0x80)
    return {1, true, false};
  // The valid range of the second byte depends on the lead (no overlong
  // forms, no surrogates, nothing above U+10FFFF); later bytes are 80..BF.
  uint32_t need = 0;
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 1;
  } else if (lead == 0xE0) {
    need = 2;
    low = 0xA0;
  } else if (lead == 0xED) {
    need = 2;
    high = 0x9F;
  } else if (lead >= 0xE1 && lead <= 0xEF) {
    need = 2;
  } else if (lead == 0xF0) {
    need = 3;
    low = 0x90;
  } else if (lead == 0xF4) {
    need = 3;
    high = 0x8F;
  } else if (lead >= 0xF1 && lead <= 0xF3) {
    need = 3;
  } else {
    return {1, false, false}; // 80..C1, F5..FF never start a character
  }
  for (uint32_t k = 1; k <= need; ++k) {
    if (k >= size)
      return {k, false, true};
    if (bytes[k] < low || bytes[k] > high)
      return {k, false, false};
    low = 0x80;
    high = 0xBF;
  }
  return {need + 1, true, false};
}

bool isValid(std::string_view text) {
  const auto *p = reinterpret_cast<const unsigned char *>(text.data());
  size_t size = text.size(), i = 0;
  while (i < size) {
    // ASCII runs, eight bytes at a time.
    while (i + 8 <= size) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if (word & 0x8080808080808080ULL)
        break;
      i += 8;
    }
    if (i >= size)
      break;
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    Scan s = scan(p + i, size - i);
    if (!s.valid)
      return false;
    i += s.length;
  }
  return true;
}

void appendLossy(std::string &out, std::string_view bytes) {
  const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
  size_t size = bytes.size(), i = 0, run = 0; // [run, i) is well-formed, not yet copied
  while (i < size) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    Scan s = scan(p + i, size - i);
    if (s.valid) {
      i += s.length;
      continue;
    }
    out.append(bytes.data() + run, i - run);
    out.append(kReplacement);
    i += s.length;
    run = i;
  }
  out.append(bytes.data() + run, size - run);
}

std::string lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  appendLossy(out, bytes);
  return out;
}

size_t incompleteSuffix(std::string_view bytes) {
  const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
  size_t size = bytes.size();
  for (size_t k = 1; k <= 3 && k <= size; ++k) {
    unsigned char b = p[size - k];
    if (b < 0x80)
      return 0;
    if (b >= 0xC0) // a lead byte: does what follows it only lack bytes?
      return scan(p + size - k, k).truncated ? k : 0;
  }
  return 0;
}

char32_t next(std::string_view text, size_t &i) {
  const auto *p = reinterpret_cast<const unsigned char *>(text.data());
  unsigned char b = p[i];
  if (b < 0x80) {
    ++i;
    return b;
  }
  uint32_t length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
  char32_t c = b & (0x7F >> length);
  for (uint32_t k = 1; k < length && i + k < text.size(); ++k)
    c = (c << 6) | (p[i + k] & 0x3F);
  i += length;
  return c;
}

char32_t previous(std::string_view text, size_t end, size_t &start) {
  const auto *p = reinterpret_cast<const unsigned char *>(text.data());
  start = end - 1;
  while (start > 0 && (p[start] & 0xC0) == 0x80 && end - start < 4)
    --start;
  size_t i = start;
  return next(text, i);
}

} // namespace r1::runtime::utf8
