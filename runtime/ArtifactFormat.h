//===- ArtifactFormat.h - The r1c artifact file format, version 1 ---------===//
//
// An artifact is one file: a 64-byte header, sections (weights, the code's
// shared object, tokenizer files, ...) each aligned to 4096 bytes so that
// weights can be mapped in place, and last a JSON manifest describing the
// sections and the model. Everything is little-endian. docs/artifact.md is
// the reference; this header holds the constants and the header codec that
// the writer and the reader share.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_ARTIFACTFORMAT_H
#define R1C_RUNTIME_ARTIFACTFORMAT_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace r1::runtime {

/// "R1CARTF" and a NUL: the first 8 bytes of every artifact.
inline constexpr char kArtifactMagic[8] = {'R', '1', 'C', 'A', 'R', 'T', 'F', '\0'};
/// Bumped on any change a reader of the previous version would misread;
/// readers refuse newer versions (docs/artifact.md, "Versioning").
inline constexpr uint32_t kArtifactFormatVersion = 1;
inline constexpr uint32_t kArtifactHeaderBytes = 64;
/// Sections start at multiples of this (a page: weights are mapped in place).
inline constexpr uint64_t kSectionAlignment = 4096;
/// Every weight starts at a multiple of this inside the weights section (a
/// cache line, and the widest vector load of the host targets).
inline constexpr uint64_t kWeightAlignment = 64;
/// The manifest's "format" value.
inline constexpr std::string_view kArtifactFormatName = "r1c-artifact";

/// Section names the compiler writes; the runtime needs the first two.
inline constexpr std::string_view kWeightsSection = "weights";
inline constexpr std::string_view kCodeSection = "code";

/// The fixed header at offset 0.
struct ArtifactHeader {
  uint32_t formatVersion = kArtifactFormatVersion;
  uint32_t headerBytes = kArtifactHeaderBytes;
  uint64_t manifestOffset = 0;
  uint64_t manifestBytes = 0;
  uint64_t manifestXxh64 = 0;
  uint64_t fileBytes = 0;
};

/// The 64 header bytes for `header` (magic first, zero padding last).
void encodeArtifactHeader(const ArtifactHeader &header, unsigned char out[kArtifactHeaderBytes]);
/// The header fields of `bytes` (at least kArtifactHeaderBytes long). Does
/// not check the magic or any field: see hasArtifactMagic and the reader.
ArtifactHeader decodeArtifactHeader(const unsigned char *bytes);
bool hasArtifactMagic(const unsigned char *bytes);

/// A 64-bit checksum as the manifest writes it: 16 lowercase hex digits.
std::string formatXxh64(uint64_t value);
/// The inverse of formatXxh64; nullopt unless exactly 16 hex digits.
std::optional<uint64_t> parseXxh64(std::string_view text);

/// True for 1, 2, 4, ...
constexpr bool isPowerOfTwo(uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }
/// `value` rounded up to a multiple of `alignment` (a power of two).
constexpr uint64_t alignUp(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) & ~(alignment - 1);
}

} // namespace r1::runtime

#endif // R1C_RUNTIME_ARTIFACTFORMAT_H
