//===- ToyArtifact.h - Test artifacts around the toy model ----------------===//
//
// Writes artifacts holding the toy model (ToyModelSpec.h) with ArtifactWriter,
// as the compiler does, with knobs to break them; computes the logits the toy
// model must produce; and small file helpers for the tests (a self-deleting
// temporary directory, byte flips, hand-made artifact files).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_TEST_UNIT_RUNTIME_TOYARTIFACT_H
#define R1C_TEST_UNIT_RUNTIME_TOYARTIFACT_H

#include "runtime/R1Abi.h"
#include "runtime/Status.h"
#include "test/unit/runtime/ToyModelSpec.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace r1::toy {

struct ToyArtifactOptions {
  /// The manifest's code.identity (the code always says kIdentity).
  std::string identity = kIdentity;
  /// The manifest's target.isa.
  std::vector<std::string> isa;
  /// Applied to the manifest last, to break or change fields.
  std::function<void(nlohmann::json &)> editManifest;
};

/// The manifest the toy artifact carries (before the writer adds
/// "format", "format_version" and "sections").
nlohmann::json toyManifest(const ToyArtifactOptions &options = {});

/// Writes the toy artifact to `path`: sections weights, code, code.cpp
/// (ToyModel.cpp's source), tokenizer.json, config.json.
runtime::Status writeToyArtifact(const std::string &path, const ToyArtifactOptions &options = {});

/// The logits the toy model gives for every position of `tokens` (starting
/// at position 0): [tokens x kVocab].
std::vector<float> referenceLogits(const std::vector<int32_t> &tokens, r1_precision precision);

/// A fresh directory, removed with its contents at scope exit.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  std::string file(const std::string &name) const { return path_ + "/" + name; }
  const std::string &path() const { return path_; }
  /// Names of the entries in the directory, sorted.
  std::vector<std::string> list() const;

private:
  std::string path_;
};

std::string readFile(const std::string &path);
void writeFile(const std::string &path, const std::string &bytes);
/// XORs the byte at `offset` with 0xff.
void flipByte(const std::string &path, uint64_t offset);

/// A file with a valid header (magic, version, sizes and manifest checksum
/// all consistent) around `body` (the bytes from offset 64 on) and the
/// manifest text `manifest`, taken as is: for tests of the reader's checks
/// of the manifest. `formatVersion` goes into the header.
void writeRawArtifact(const std::string &path, const std::string &body, const std::string &manifest,
                      uint32_t formatVersion = 1);

} // namespace r1::toy

#endif // R1C_TEST_UNIT_RUNTIME_TOYARTIFACT_H
