//===- TestFiles.cpp - Files and directories for reader tests -------------===//
//
// The safetensors encoder mirrors make_tiny_model.py's writer, so tests build
// files the way real checkpoints are laid out.
//
//===----------------------------------------------------------------------===//
#include "test/unit/TestFiles.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace r1::test {

TempDir::TempDir() {
  llvm::SmallString<128> dir;
  std::error_code ec = llvm::sys::fs::createUniqueDirectory("r1c-test", dir);
  if (ec)
    ADD_FAILURE() << "cannot create a temporary directory: " << ec.message();
  path_ = std::string(dir);
}

TempDir::~TempDir() {
  if (!path_.empty())
    llvm::sys::fs::remove_directories(path_);
}

std::string TempDir::file(llvm::StringRef name) const {
  llvm::SmallString<256> path(path_);
  llvm::sys::path::append(path, name);
  return std::string(path);
}

std::string encodeSafetensors(const std::vector<TestTensor> &tensors,
                              const std::map<std::string, std::string> &metadata) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const TestTensor &tensor : tensors) {
    uint64_t begin = data.size();
    data += tensor.bytes;
    header[tensor.name] = {{"dtype", tensor.dtype},
                           {"shape", tensor.shape},
                           {"data_offsets", {begin, static_cast<uint64_t>(data.size())}}};
  }
  if (!metadata.empty())
    header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  return encodeRawSafetensors(text, data);
}

std::string encodeRawSafetensors(llvm::StringRef headerJson, llvm::StringRef data) {
  std::string bytes(8, '\0');
  llvm::support::endian::write64le(bytes.data(), headerJson.size());
  bytes += headerJson;
  bytes += data;
  return bytes;
}

void writeFile(const std::string &path, llvm::StringRef bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out)
    ADD_FAILURE() << "cannot write " << path;
}

void writeSafetensors(const std::string &path, const std::vector<TestTensor> &tensors,
                      const std::map<std::string, std::string> &metadata) {
  writeFile(path, encodeSafetensors(tensors, metadata));
}

void writeRawSafetensors(const std::string &path, llvm::StringRef headerJson,
                         llvm::StringRef data) {
  writeFile(path, encodeRawSafetensors(headerJson, data));
}

} // namespace r1::test
