//===- SafetensorsWriter.cpp - Streaming safetensors files to disk --------===//

#include "compiler/SafetensorsWriter.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/Errno.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Signals.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace r1 {

namespace {

/// A JSON string literal for `text`; invalid UTF-8 is replaced rather than
/// thrown on (names come from the importer, so this does not happen).
std::string jsonString(const std::string &text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

uint64_t SafetensorsEntry::numBytes() const {
  uint64_t count = 1;
  for (int64_t dim : shape)
    count *= static_cast<uint64_t>(dim);
  return count * static_cast<uint64_t>(dtypeSize(dtype));
}

std::string buildSafetensorsHeader(llvm::ArrayRef<SafetensorsEntry> entries,
                                   const std::map<std::string, std::string> &metadata) {
  std::string json = "{";
  if (!metadata.empty()) {
    json += "\"__metadata__\":{";
    bool first = true;
    for (const auto &[key, value] : metadata) {
      json += (first ? "" : ",") + jsonString(key) + ":" + jsonString(value);
      first = false;
    }
    json += "}";
  }
  uint64_t offset = 0;
  for (const SafetensorsEntry &entry : entries) {
    if (json.size() > 1)
      json += ",";
    json += jsonString(entry.name) + ":{\"dtype\":\"" + std::string(dtypeName(entry.dtype)) +
            "\",\"shape\":[";
    for (size_t i = 0; i < entry.shape.size(); ++i)
      json += (i ? "," : "") + std::to_string(entry.shape[i]);
    uint64_t end = offset + entry.numBytes();
    json += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(end) + "]}";
    offset = end;
  }
  json += "}";
  // The format pads the header with spaces so the data section, at 8 + N,
  // is 8-byte aligned (readers may then map tensors in place).
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string bytes(8, '\0');
  llvm::support::endian::write64le(bytes.data(), json.size());
  return bytes + json;
}

llvm::Expected<std::unique_ptr<SafetensorsWriter>>
SafetensorsWriter::create(llvm::StringRef path, std::vector<SafetensorsEntry> entries) {
  std::unique_ptr<SafetensorsWriter> writer(new SafetensorsWriter());
  writer->path_ = path.str();
  for (const SafetensorsEntry &entry : entries)
    writer->dataBytes_ += entry.numBytes();
  // Next to the target, so that the final rename stays on one file system.
  llvm::SmallString<256> model(path);
  model += ".tmp-%%%%%%";
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(model, writer->fd_, writer->tempPath_))
    return llvm::createStringError(ec, "%s: cannot create a temporary file: %s",
                                   writer->path_.c_str(), ec.message().c_str());
  // An interrupted run (Ctrl-C) leaves no temporary behind.
  llvm::sys::RemoveFileOnSignal(writer->tempPath_);
  std::string header = buildSafetensorsHeader(entries, {{"format", "pt"}});
#ifdef __linux__
  // Reserving the whole file up front finds a full disk before gigabytes are
  // written, and halves the kernel's time in write() (no block allocation
  // on the way). File systems without fallocate simply skip this.
  uint64_t fileBytes = header.size() + writer->dataBytes_;
  if (::fallocate(writer->fd_, 0, 0, static_cast<off_t>(fileBytes)) != 0 && errno != EOPNOTSUPP &&
      errno != ENOSYS)
    return writer->fail("cannot reserve " + llvm::Twine(fileBytes) + " bytes",
                        std::error_code(errno, std::generic_category()));
#endif
  if (llvm::Error err =
          writer->writeAll(reinterpret_cast<const uint8_t *>(header.data()), header.size()))
    return std::move(err);
  return writer;
}

SafetensorsWriter::~SafetensorsWriter() {
  if (fd_ >= 0)
    ::close(fd_);
  if (!committed_ && !tempPath_.empty()) {
    llvm::sys::fs::remove(tempPath_);
    llvm::sys::DontRemoveFileOnSignal(tempPath_);
  }
}

llvm::Error SafetensorsWriter::fail(const llvm::Twine &what, std::error_code ec) {
  return llvm::createStringError(ec, "%s: %s: %s", path_.c_str(), what.str().c_str(),
                                 ec.message().c_str());
}

llvm::Error SafetensorsWriter::writeAll(const uint8_t *data, size_t size) {
  while (size > 0) {
    ssize_t n = llvm::sys::RetryAfterSignal(-1, ::write, fd_, data, size);
    if (n < 0)
      return fail("write failed", std::error_code(errno, std::generic_category()));
    data += n;
    size -= static_cast<size_t>(n);
  }
  return llvm::Error::success();
}

llvm::Error SafetensorsWriter::write(llvm::ArrayRef<uint8_t> bytes) {
  if (bytes.size() > dataBytes_ - written_)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "%s: internal error: %zu more data bytes than the header's %llu",
                                   path_.c_str(), bytes.size() - (dataBytes_ - written_),
                                   static_cast<unsigned long long>(dataBytes_));
  if (llvm::Error err = writeAll(bytes.data(), bytes.size()))
    return err;
  written_ += bytes.size();
  return llvm::Error::success();
}

llvm::Error SafetensorsWriter::commit() {
  if (written_ != dataBytes_)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "%s: internal error: %llu of %llu data bytes written",
                                   path_.c_str(), static_cast<unsigned long long>(written_),
                                   static_cast<unsigned long long>(dataBytes_));
  // close() is where some file systems (NFS) report a failed write.
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0)
    return fail("write failed", std::error_code(errno, std::generic_category()));
  if (std::error_code ec = llvm::sys::fs::rename(tempPath_, path_))
    return fail("cannot rename the finished file into place", ec);
  llvm::sys::DontRemoveFileOnSignal(tempPath_);
  committed_ = true;
  return llvm::Error::success();
}

} // namespace r1
