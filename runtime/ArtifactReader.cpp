//===- ArtifactReader.cpp - Mapping and validating an r1c artifact --------===//

#include "runtime/ArtifactReader.h"

#include "runtime/Checksum.h"
#include "runtime/ManifestFields.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace r1::runtime {

using nlohmann::json;

namespace {

// Deeper nesting than any manifest needs; checked before parsing so that a
// hostile manifest cannot make the recursive parts of the JSON library
// (destruction, dump) exhaust the stack.
constexpr int kMaxManifestDepth = 64;

bool nestsTooDeep(std::string_view text) {
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if ((c == '[' || c == '{') && ++depth > kMaxManifestDepth) {
      return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

std::string range(uint64_t offset, uint64_t bytes) {
  return "[" + std::to_string(offset) + ", " + std::to_string(offset) + " + " +
         std::to_string(bytes) + ")";
}

} // namespace

ArtifactReader::~ArtifactReader() {
  if (base_)
    ::munmap(const_cast<unsigned char *>(base_), size_);
}

Result<std::unique_ptr<ArtifactReader>> ArtifactReader::open(const std::string &path) {
  std::unique_ptr<ArtifactReader> reader(new ArtifactReader());
  reader->path_ = path;

  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Status::badInput(path + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::badInput(path +
                            ": not a regular file; expected an r1c artifact (r1c compile -o)");
  }
  reader->size_ = static_cast<uint64_t>(st.st_size);
  if (reader->size_ == 0) {
    ::close(fd);
    return Status::badInput(path + ": not an r1c artifact (the file is empty)");
  }
  // Private and read-only: the weights are used in place, and pages are read
  // on first touch, so opening a 700 GB artifact costs nothing up front.
  void *base = ::mmap(nullptr, reader->size_, PROT_READ, MAP_PRIVATE, fd, 0);
  int mapErrno = errno;
  ::close(fd);
  if (base == MAP_FAILED)
    return Status::runtimeError(path + ": cannot map the file: " + std::strerror(mapErrno));
  reader->base_ = static_cast<const unsigned char *>(base);

  if (Status s = reader->validate(); !s.ok())
    return s;
  return reader;
}

Status ArtifactReader::validate() {
  const std::string &p = path_;
  uint64_t magicBytes = std::min<uint64_t>(size_, sizeof(kArtifactMagic));
  if (std::memcmp(base_, kArtifactMagic, magicBytes) != 0 || magicBytes < sizeof(kArtifactMagic))
    return Status::badInput(p +
                            ": not an r1c artifact (no R1CARTF magic at the start); produce one "
                            "with 'r1c compile'");
  if (size_ < kArtifactHeaderBytes)
    return Status::badInput(p + ": truncated: " + std::to_string(size_) +
                            " bytes, shorter than the 64-byte header");
  header_ = decodeArtifactHeader(base_);
  if (header_.formatVersion > kArtifactFormatVersion)
    return Status::badInput(p + ": built by a newer r1c (format " +
                            std::to_string(header_.formatVersion) + "); this r1run reads format " +
                            std::to_string(kArtifactFormatVersion));
  if (header_.formatVersion < 1)
    return Status::badInput(p + ": format version 0 in the header; the file is corrupt");
  if (header_.fileBytes != size_)
    return Status::badInput(p + ": truncated or extended: header says " +
                            std::to_string(header_.fileBytes) + " bytes, file has " +
                            std::to_string(size_));
  if (header_.headerBytes < kArtifactHeaderBytes)
    return Status::badInput(p + ": header_bytes is " + std::to_string(header_.headerBytes) +
                            ", less than 64; the file is corrupt");
  if (header_.manifestOffset < header_.headerBytes || header_.manifestOffset > size_ ||
      header_.manifestBytes > size_ - header_.manifestOffset)
    return Status::badInput(
        p + ": the manifest " + range(header_.manifestOffset, header_.manifestBytes) +
        " lies outside the file body (" + std::to_string(size_) + " bytes); the file is corrupt");

  std::string_view text(reinterpret_cast<const char *>(base_ + header_.manifestOffset),
                        header_.manifestBytes);
  uint64_t hash = xxh64(text.data(), text.size());
  if (hash != header_.manifestXxh64)
    return Status::badInput(p + ": manifest checksum mismatch: header says " +
                            formatXxh64(header_.manifestXxh64) + ", manifest hashes to " +
                            formatXxh64(hash) + "; the file is corrupt");
  if (nestsTooDeep(text))
    return Status::badInput(p + ": the manifest nests deeper than " +
                            std::to_string(kMaxManifestDepth) + " levels");
  manifest_ = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (manifest_.is_discarded())
    return Status::badInput(p + ": the manifest is not valid JSON; the file is corrupt");
  if (!manifest_.is_object())
    return Status::badInput(p + ": the manifest is not a JSON object; the file is corrupt");

  ManifestFields fields(p);
  std::optional<std::string> format = fields.string(manifest_, "", "format");
  std::optional<uint64_t> version = fields.unsignedInt(manifest_, "", "format_version");
  if (!fields.ok())
    return fields.status();
  if (*format != kArtifactFormatName)
    fields.error("format", "is \"" + *format + "\", expected \"r1c-artifact\"");
  else if (*version != header_.formatVersion)
    fields.error("format_version", "is " + std::to_string(*version) + " but the header says " +
                                       std::to_string(header_.formatVersion));
  if (!fields.ok())
    return fields.status();
  return parseSections();
}

Status ArtifactReader::parseSections() {
  ManifestFields fields(path_);
  const json *list = fields.array(manifest_, "", "sections");
  if (!list)
    return fields.status();
  for (size_t i = 0; i < list->size(); ++i) {
    const json &entry = (*list)[i];
    std::string at = ManifestFields::index("sections", i);
    ArtifactSection section;
    std::optional<std::string> name = fields.string(entry, at, "name");
    std::optional<uint64_t> offset = fields.unsignedInt(entry, at, "offset");
    std::optional<uint64_t> bytes = fields.unsignedInt(entry, at, "bytes");
    std::optional<std::string> hash = fields.string(entry, at, "xxh64");
    std::optional<uint64_t> alignment = fields.unsignedInt(entry, at, "alignment");
    if (!fields.ok())
      return fields.status();
    std::optional<uint64_t> parsedHash = parseXxh64(*hash);
    if (name->empty())
      fields.error(ManifestFields::join(at, "name"), "must not be empty");
    else if (findSection(*name))
      fields.error(ManifestFields::join(at, "name"), "repeats section \"" + *name + "\"");
    else if (!parsedHash)
      fields.error(ManifestFields::join(at, "xxh64"), "must be 16 hex digits");
    else if (!isPowerOfTwo(*alignment))
      fields.error(ManifestFields::join(at, "alignment"), "must be a power of two");
    else if (*offset % *alignment != 0)
      fields.error(ManifestFields::join(at, "offset"), "(" + std::to_string(*offset) +
                                                           ") is not a multiple of its alignment " +
                                                           std::to_string(*alignment));
    // Sections live between the header and the manifest.
    else if (*offset < header_.headerBytes || *offset > header_.manifestOffset ||
             *bytes > header_.manifestOffset - *offset)
      return Status::badInput(path_ + ": section \"" + *name + "\" " + range(*offset, *bytes) +
                              " lies outside the file body [" +
                              std::to_string(header_.headerBytes) + ", " +
                              std::to_string(header_.manifestOffset) + "); the file is corrupt");
    if (!fields.ok())
      return fields.status();
    section.name = *name;
    section.offset = *offset;
    section.bytes = *bytes;
    section.xxh64 = *parsedHash;
    section.alignment = *alignment;
    section.data = base_ + *offset;
    sections_.push_back(std::move(section));
  }

  std::vector<const ArtifactSection *> byOffset;
  for (const ArtifactSection &section : sections_)
    byOffset.push_back(&section);
  std::sort(
      byOffset.begin(), byOffset.end(),
      [](const ArtifactSection *a, const ArtifactSection *b) { return a->offset < b->offset; });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    const ArtifactSection &prev = *byOffset[i - 1], &next = *byOffset[i];
    if (prev.offset + prev.bytes > next.offset)
      return Status::badInput(path_ + ": sections \"" + prev.name + "\" and \"" + next.name +
                              "\" overlap; the file is corrupt");
  }
  return Status::success();
}

const ArtifactSection *ArtifactReader::findSection(std::string_view name) const {
  for (const ArtifactSection &section : sections_)
    if (section.name == name)
      return &section;
  return nullptr;
}

namespace {

Status mismatch(const std::string &path, const ArtifactSection &section, uint64_t hash) {
  return Status::badInput(path + ": section \"" + section.name + "\" is corrupt: its checksum is " +
                          formatXxh64(hash) + ", the manifest says " + formatXxh64(section.xxh64));
}

} // namespace

Status ArtifactReader::verifySection(const ArtifactSection &section) const {
  uint64_t hash = xxh64(section.data, section.bytes);
  if (hash == section.xxh64)
    return Status::success();
  return mismatch(path_, section, hash);
}

Status ArtifactReader::verify(
    const std::function<void(const ArtifactSection &, uint64_t computed)> &onSection) const {
  std::vector<const ArtifactSection *> byOffset;
  for (const ArtifactSection &section : sections_)
    byOffset.push_back(&section);
  std::sort(
      byOffset.begin(), byOffset.end(),
      [](const ArtifactSection *a, const ArtifactSection *b) { return a->offset < b->offset; });
  Status first;
  for (const ArtifactSection *section : byOffset) {
    uint64_t hash = xxh64(section->data, section->bytes);
    if (onSection)
      onSection(*section, hash);
    if (hash != section->xxh64 && first.ok())
      first = mismatch(path_, *section, hash);
  }
  return first;
}

} // namespace r1::runtime
