//===- ArtifactWriter.cpp - Writing an r1c artifact, streamed and atomic --===//

#include "runtime/ArtifactWriter.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace r1::runtime {

namespace {

// Large enough that a multi-GB weight stream costs few system calls, small
// enough not to matter next to the compiler's own memory.
constexpr size_t kBufferBytes = 4u << 20;

std::string errnoText() { return std::strerror(errno); }

std::string directoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

ArtifactWriter::ArtifactWriter() = default;

ArtifactWriter::~ArtifactWriter() {
  if (!finished_)
    abandon();
}

void ArtifactWriter::abandon() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!tempPath_.empty() && !finished_)
    ::unlink(tempPath_.c_str());
  if (error_.ok() && !finished_ && !path_.empty())
    error_ = Status::outputError(path_ + ": the artifact writer was abandoned");
}

Status ArtifactWriter::fail(Status error) {
  if (error_.ok())
    error_ = std::move(error);
  return error_;
}

Status ArtifactWriter::check() const {
  if (!error_.ok())
    return error_;
  if (fd_ < 0)
    return Status::outputError(path_.empty() ? "artifact writer: create() was not called"
                                             : path_ + ": the artifact is already finished");
  return Status::success();
}

Status ArtifactWriter::create(const std::string &path) {
  if (fd_ >= 0 || finished_)
    return fail(Status::outputError(path + ": this artifact writer was already used for " + path_));
  path_ = path;
  tempPath_ = path + ".tmp." + std::to_string(::getpid());
  fd_ = ::open(tempPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    std::string why = errnoText();
    tempPath_.clear(); // nothing to remove
    return fail(Status::outputError(path + ": cannot create a temporary file: " + why));
  }
  buffer_.reserve(kBufferBytes);
  // The header is written last, when the manifest's place is known; until
  // then its bytes are zero, so a crashed write is never mistaken for an
  // artifact (no magic).
  return writeZeros(kArtifactHeaderBytes, /*hashed=*/false);
}

Status ArtifactWriter::flush() {
  const unsigned char *p = buffer_.data();
  size_t left = buffer_.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return fail(Status::outputError(path_ + ": write failed: " + errnoText()));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  buffer_.clear();
  return Status::success();
}

Status ArtifactWriter::writeRaw(const void *data, uint64_t bytes) {
  const auto *p = static_cast<const unsigned char *>(data);
  position_ += bytes;
  if (buffer_.size() + bytes <= kBufferBytes) {
    buffer_.insert(buffer_.end(), p, p + bytes);
    return Status::success();
  }
  if (Status s = flush(); !s.ok())
    return s;
  if (bytes < kBufferBytes) {
    buffer_.insert(buffer_.end(), p, p + bytes);
    return Status::success();
  }
  // Large pieces (a weight of a few GB) go straight to the file.
  while (bytes > 0) {
    ssize_t n = ::write(fd_, p, std::min<uint64_t>(bytes, 1u << 30));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return fail(Status::outputError(path_ + ": write failed: " + errnoText()));
    }
    p += n;
    bytes -= static_cast<uint64_t>(n);
  }
  return Status::success();
}

Status ArtifactWriter::writeZeros(uint64_t bytes, bool hashed) {
  static const unsigned char kZeros[4096] = {};
  while (bytes > 0) {
    uint64_t n = std::min<uint64_t>(bytes, sizeof(kZeros));
    if (hashed)
      hash_.update(kZeros, n);
    if (Status s = writeRaw(kZeros, n); !s.ok())
      return s;
    bytes -= n;
  }
  return Status::success();
}

Status ArtifactWriter::beginSection(const std::string &name, uint64_t alignment) {
  if (Status s = check(); !s.ok())
    return s;
  if (inSection_)
    return fail(Status::outputError(path_ + ": section \"" + name + "\" begun while section \"" +
                                    current_.name + "\" is open; call endSection() first"));
  if (name.empty())
    return fail(Status::outputError(path_ + ": a section needs a name"));
  for (const SectionRecord &section : sections_)
    if (section.name == name)
      return fail(Status::outputError(path_ + ": section \"" + name + "\" is written twice"));
  if (!isPowerOfTwo(alignment))
    return fail(Status::outputError(path_ + ": section \"" + name + "\": alignment " +
                                    std::to_string(alignment) + " is not a power of two"));
  if (Status s = writeZeros(alignUp(position_, alignment) - position_, /*hashed=*/false); !s.ok())
    return s;
  inSection_ = true;
  current_ = SectionRecord{name, position_, 0, 0, alignment};
  hash_.reset();
  return Status::success();
}

Status ArtifactWriter::write(const void *data, uint64_t bytes) {
  if (Status s = check(); !s.ok())
    return s;
  if (!inSection_)
    return fail(
        Status::outputError(path_ + ": write() outside a section; call beginSection() first"));
  hash_.update(data, bytes);
  return writeRaw(data, bytes);
}

Status ArtifactWriter::pad(uint64_t alignment) {
  if (Status s = check(); !s.ok())
    return s;
  if (!inSection_)
    return fail(
        Status::outputError(path_ + ": pad() outside a section; call beginSection() first"));
  if (!isPowerOfTwo(alignment))
    return fail(Status::outputError(path_ + ": pad(" + std::to_string(alignment) +
                                    "): the alignment is not a power of two"));
  uint64_t offset = currentSectionOffset();
  return writeZeros(alignUp(offset, alignment) - offset, /*hashed=*/true);
}

uint64_t ArtifactWriter::currentSectionOffset() const {
  return inSection_ ? position_ - current_.offset : 0;
}

Status ArtifactWriter::endSection() {
  if (Status s = check(); !s.ok())
    return s;
  if (!inSection_)
    return fail(Status::outputError(path_ + ": endSection() without beginSection()"));
  current_.bytes = position_ - current_.offset;
  current_.xxh64 = hash_.digest();
  sections_.push_back(current_);
  inSection_ = false;
  return Status::success();
}

Status ArtifactWriter::addSection(const std::string &name, const void *data, uint64_t bytes,
                                  uint64_t alignment) {
  if (Status s = beginSection(name, alignment); !s.ok())
    return s;
  if (Status s = write(data, bytes); !s.ok())
    return s;
  return endSection();
}

Status ArtifactWriter::pwriteAll(const void *data, uint64_t bytes, uint64_t offset) {
  const auto *p = static_cast<const unsigned char *>(data);
  while (bytes > 0) {
    ssize_t n = ::pwrite(fd_, p, bytes, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return fail(Status::outputError(path_ + ": write failed: " + errnoText()));
    }
    p += n;
    offset += static_cast<uint64_t>(n);
    bytes -= static_cast<uint64_t>(n);
  }
  return Status::success();
}

Status ArtifactWriter::finishWithJsonText(std::string_view manifestJson) {
  nlohmann::json manifest =
      nlohmann::json::parse(manifestJson, nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded())
    return fail(
        Status::outputError(path_ + ": the manifest given to the writer is not valid JSON"));
  return finish(manifest);
}

Status ArtifactWriter::finish(const nlohmann::json &manifestIn) {
  if (Status s = check(); !s.ok())
    return s;
  if (inSection_)
    return fail(Status::outputError(path_ + ": section \"" + current_.name +
                                    "\" is still open at finish(); call endSection() first"));
  if (!manifestIn.is_object())
    return fail(Status::outputError(path_ + ": the manifest must be a JSON object"));

  nlohmann::json manifest = manifestIn;
  manifest["format"] = kArtifactFormatName;
  manifest["format_version"] = kArtifactFormatVersion;
  nlohmann::json sections = nlohmann::json::array();
  for (const SectionRecord &section : sections_)
    sections.push_back({{"name", section.name},
                        {"offset", section.offset},
                        {"bytes", section.bytes},
                        {"xxh64", formatXxh64(section.xxh64)},
                        {"alignment", section.alignment}});
  manifest["sections"] = std::move(sections);
  // One space of indentation: readable with `tail -c`, little bigger than
  // the compact form. Invalid UTF-8 in names becomes U+FFFD instead of a throw.
  std::string text = manifest.dump(1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');

  ArtifactHeader header;
  header.manifestOffset = position_;
  header.manifestBytes = text.size();
  header.manifestXxh64 = xxh64(text.data(), text.size());
  header.fileBytes = position_ + text.size();
  if (Status s = writeRaw(text.data(), text.size()); !s.ok())
    return s;
  if (Status s = flush(); !s.ok())
    return s;
  unsigned char headerBytes[kArtifactHeaderBytes];
  encodeArtifactHeader(header, headerBytes);
  if (Status s = pwriteAll(headerBytes, sizeof(headerBytes), 0); !s.ok())
    return s;

  // Durable before visible: sync the data, rename, then sync the directory
  // so the rename itself survives a crash.
  if (::fsync(fd_) != 0)
    return fail(Status::outputError(path_ + ": fsync failed: " + errnoText()));
  if (::close(fd_) != 0) {
    fd_ = -1;
    return fail(Status::outputError(path_ + ": close failed: " + errnoText()));
  }
  fd_ = -1;
  if (::rename(tempPath_.c_str(), path_.c_str()) != 0)
    return fail(Status::outputError(
        path_ + ": cannot rename the finished artifact into place: " + errnoText()));
  finished_ = true;
  int dir = ::open(directoryOf(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Status::success();
}

} // namespace r1::runtime
