//===- ArtifactWriter.h - Writing an r1c artifact, streamed and atomic ----===//
//
// The compiler's packaging step: sections are streamed in (weights run to
// hundreds of GB and are never held in memory), each checksummed as it is
// written; finish() appends the manifest, writes the header, syncs and renames
// the temporary file `PATH.tmp.<pid>` over PATH. Until then PATH is untouched,
// and a writer destroyed unfinished removes its temporary file.
//
// Every call returns a Status instead of throwing (the compiler wraps it in
// llvm::Error). After the first error the writer stays failed: later calls
// return that error, so callers may check only at the end.
//
//   ArtifactWriter w;
//   Status s = w.create("model.r1");
//   s = w.beginSection("weights");
//   for (each weight) { offset = w.currentSectionOffset(); w.write(p, n); w.pad(64); }
//   s = w.endSection();
//   s = w.addSection("code", so.data(), so.size());
//   s = w.finish(manifest);   // adds "format", "format_version", "sections"
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_ARTIFACTWRITER_H
#define R1C_RUNTIME_ARTIFACTWRITER_H

#include "runtime/ArtifactFormat.h"
#include "runtime/Checksum.h"
#include "runtime/Status.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace r1::runtime {

class ArtifactWriter {
public:
  ArtifactWriter();
  /// Removes the temporary file unless finish() succeeded.
  ~ArtifactWriter();
  ArtifactWriter(const ArtifactWriter &) = delete;
  ArtifactWriter &operator=(const ArtifactWriter &) = delete;

  /// Opens `path`.tmp.<pid> for writing; `path` itself is replaced by finish().
  Status create(const std::string &path);

  /// Starts a section at the next multiple of `alignment` (a power of two;
  /// the format requires sections at multiples of 4096). Names are unique.
  Status beginSection(const std::string &name, uint64_t alignment = kSectionAlignment);
  /// Appends to the current section.
  Status write(const void *data, uint64_t bytes);
  /// Appends zero bytes until currentSectionOffset() is a multiple of
  /// `alignment` (a power of two); e.g. pad(kWeightAlignment) between weights.
  Status pad(uint64_t alignment);
  /// Bytes written so far in the current section: where the next write lands,
  /// relative to the section's start (0 when no section is open).
  uint64_t currentSectionOffset() const;
  Status endSection();
  /// beginSection + write + endSection.
  Status addSection(const std::string &name, const void *data, uint64_t bytes,
                    uint64_t alignment = kSectionAlignment);

  /// Writes `manifest` (a JSON object) with "format", "format_version" and
  /// "sections" set by the writer, then the header; syncs and renames the
  /// file into place.
  Status finish(const nlohmann::json &manifest);
  /// finish() with the manifest given as JSON text (a separate name: a
  /// string converts to both nlohmann::json and std::string_view).
  Status finishWithJsonText(std::string_view manifestJson);

  /// Stops and removes the temporary file (what the destructor does).
  void abandon();

  const std::string &path() const { return path_; }
  const std::string &tempPath() const { return tempPath_; }

  /// A section as recorded in the manifest.
  struct SectionRecord {
    std::string name;
    uint64_t offset = 0; // absolute, in the file
    uint64_t bytes = 0;
    uint64_t xxh64 = 0;
    uint64_t alignment = 0;
  };
  /// The sections ended so far.
  const std::vector<SectionRecord> &sections() const { return sections_; }

private:
  Status fail(Status error);
  Status check() const;
  Status writeRaw(const void *data, uint64_t bytes);
  Status writeZeros(uint64_t bytes, bool hashed);
  Status flush();
  Status pwriteAll(const void *data, uint64_t bytes, uint64_t offset);

  std::string path_;
  std::string tempPath_;
  int fd_ = -1;
  bool finished_ = false;
  Status error_;

  /// Bytes handed to the writer so far (the file offset of the next byte).
  uint64_t position_ = 0;
  std::vector<unsigned char> buffer_;

  bool inSection_ = false;
  SectionRecord current_;
  Xxh64Stream hash_;
  std::vector<SectionRecord> sections_;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_ARTIFACTWRITER_H
