//===- TestFiles.h - Files and directories for reader tests ---------------===//
//
// Helpers that build model directories on disk: a self-deleting temporary
// directory, safetensors files from tensor lists (or from raw header text, to
// craft invalid ones), and plain text files.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_TEST_UNIT_TESTFILES_H
#define R1C_TEST_UNIT_TESTFILES_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace r1::test {

/// The error of a call expected to fail ("" and a test failure if it passed).
template <typename T> std::string errorOf(llvm::Expected<T> result) {
  if (result) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  return llvm::toString(result.takeError());
}

/// A fresh directory under the system temp dir, removed with its contents
/// when the object goes out of scope.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::string &path() const { return path_; }
  /// `path()/name`.
  std::string file(llvm::StringRef name) const;

private:
  std::string path_;
};

/// A tensor for writeSafetensors: `bytes` is its data, which must be
/// dtype size x element count long for the file to be valid.
struct TestTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

/// The bytes of a safetensors file holding `tensors` back to back, in list
/// order, with `metadata` as __metadata__ when non-empty. The header is padded
/// to a multiple of 8 bytes, as the reference writer does.
std::string encodeSafetensors(const std::vector<TestTensor> &tensors,
                              const std::map<std::string, std::string> &metadata = {});

/// The bytes of a safetensors file with header text `headerJson` (taken as
/// is, valid or not) followed by `data`.
std::string encodeRawSafetensors(llvm::StringRef headerJson, llvm::StringRef data = {});

/// Writes `bytes` to `path`, failing the current test on error.
void writeFile(const std::string &path, llvm::StringRef bytes);

void writeSafetensors(const std::string &path, const std::vector<TestTensor> &tensors,
                      const std::map<std::string, std::string> &metadata = {});
void writeRawSafetensors(const std::string &path, llvm::StringRef headerJson,
                         llvm::StringRef data = {});

} // namespace r1::test

#endif // R1C_TEST_UNIT_TESTFILES_H
