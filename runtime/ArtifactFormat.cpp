//===- ArtifactFormat.cpp - Header codec and checksum text ----------------===//

#include "runtime/ArtifactFormat.h"

#include <cstring>

namespace r1::runtime {

namespace {

// Byte by byte rather than memcpy of the struct: the format is little-endian
// whatever the host, and the struct's layout is not the file's.
void putLE(unsigned char *out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out[i] = static_cast<unsigned char>(value >> (8 * i));
}

uint64_t getLE(const unsigned char *in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i)
    value |= static_cast<uint64_t>(in[i]) << (8 * i);
  return value;
}

} // namespace

void encodeArtifactHeader(const ArtifactHeader &header, unsigned char out[kArtifactHeaderBytes]) {
  std::memset(out, 0, kArtifactHeaderBytes);
  std::memcpy(out, kArtifactMagic, sizeof(kArtifactMagic));
  putLE(out + 8, header.formatVersion, 4);
  putLE(out + 12, header.headerBytes, 4);
  putLE(out + 16, header.manifestOffset, 8);
  putLE(out + 24, header.manifestBytes, 8);
  putLE(out + 32, header.manifestXxh64, 8);
  putLE(out + 40, header.fileBytes, 8);
}

ArtifactHeader decodeArtifactHeader(const unsigned char *bytes) {
  ArtifactHeader header;
  header.formatVersion = static_cast<uint32_t>(getLE(bytes + 8, 4));
  header.headerBytes = static_cast<uint32_t>(getLE(bytes + 12, 4));
  header.manifestOffset = getLE(bytes + 16, 8);
  header.manifestBytes = getLE(bytes + 24, 8);
  header.manifestXxh64 = getLE(bytes + 32, 8);
  header.fileBytes = getLE(bytes + 40, 8);
  return header;
}

bool hasArtifactMagic(const unsigned char *bytes) {
  return std::memcmp(bytes, kArtifactMagic, sizeof(kArtifactMagic)) == 0;
}

std::string formatXxh64(uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4)
    text[i] = kDigits[value & 0xf];
  return text;
}

std::optional<uint64_t> parseXxh64(std::string_view text) {
  if (text.size() != 16)
    return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    else
      return std::nullopt;
    value = value << 4 | static_cast<uint64_t>(digit);
  }
  return value;
}

} // namespace r1::runtime
