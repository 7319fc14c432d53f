//===- ArtifactReader.h - Mapping and validating an r1c artifact ----------===//
//
// open() maps the file read-only and validates its structure up front, so
// nothing downstream can read out of bounds: magic, format version, the file
// size the header records, the manifest's bounds, checksum and JSON, and every
// section's bounds (inside the file, between header and manifest, aligned,
// non-overlapping). Section contents are not hashed on open (weights may be
// hundreds of GB): verify() does that, and callers hash the small sections
// they execute (the code) with verifySection().
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_ARTIFACTREADER_H
#define R1C_RUNTIME_ARTIFACTREADER_H

#include "runtime/ArtifactFormat.h"
#include "runtime/Status.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace r1::runtime {

/// A section of an open artifact: where the manifest says it is, and its
/// bytes inside the mapping.
struct ArtifactSection {
  std::string name;
  uint64_t offset = 0; // absolute, in the file
  uint64_t bytes = 0;
  uint64_t xxh64 = 0; // as recorded in the manifest
  uint64_t alignment = 0;
  const unsigned char *data = nullptr;
};

class ArtifactReader {
public:
  /// Maps and validates `path`. Errors are one line starting with `path` and
  /// are ErrorKind::kBadInput.
  static Result<std::unique_ptr<ArtifactReader>> open(const std::string &path);
  ~ArtifactReader();
  ArtifactReader(const ArtifactReader &) = delete;
  ArtifactReader &operator=(const ArtifactReader &) = delete;

  const std::string &path() const { return path_; }
  const ArtifactHeader &header() const { return header_; }
  uint64_t fileBytes() const { return size_; }
  /// The manifest, a JSON object (with "format", "format_version", "sections").
  const nlohmann::json &manifest() const { return manifest_; }
  /// Sections in manifest order.
  const std::vector<ArtifactSection> &sections() const { return sections_; }
  /// The section called `name`, or nullptr.
  const ArtifactSection *findSection(std::string_view name) const;

  /// Recomputes `section`'s checksum; an error names the section.
  Status verifySection(const ArtifactSection &section) const;
  /// Recomputes every section's checksum, in file order, calling `onSection`
  /// after each (with the computed hash); returns the first mismatch.
  Status verify(
      const std::function<void(const ArtifactSection &, uint64_t computed)> &onSection = {}) const;

private:
  ArtifactReader() = default;
  Status validate();
  Status parseSections();

  std::string path_;
  const unsigned char *base_ = nullptr;
  uint64_t size_ = 0;
  ArtifactHeader header_;
  nlohmann::json manifest_;
  std::vector<ArtifactSection> sections_;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_ARTIFACTREADER_H
