//===- ManifestFields.h - Typed access to manifest fields, one-line errors -===//
//
// The manifest is untrusted input (a corrupt or hand-edited artifact): every
// field is read through this class, which checks presence and type and turns
// the first problem into `FILE: manifest field "memory.arena_bytes" must be a
// non-negative integer`. The error is sticky: after it, reads return empty
// values, so a parser reads all its fields and checks status() once.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_MANIFESTFIELDS_H
#define R1C_RUNTIME_MANIFESTFIELDS_H

#include "runtime/Status.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace r1::runtime {

class ManifestFields {
public:
  /// `file` starts every message.
  explicit ManifestFields(std::string file) : file_(std::move(file)) {}

  /// The dotted name of `key` under `parent` ("memory" + "arena_bytes").
  static std::string join(std::string_view parent, std::string_view key);
  static std::string index(std::string_view parent, size_t i);

  /// The member `key` of `object` (named `path` in messages), or nullptr:
  /// an error when `required`, silently when optional and absent.
  const nlohmann::json *member(const nlohmann::json &object, std::string_view path,
                               std::string_view key, bool required = true);

  // Typed reads of `object[key]`. Optional fields that are absent return
  // nullopt without an error; present fields of the wrong type are errors.
  const nlohmann::json *object(const nlohmann::json &object, std::string_view path,
                               std::string_view key, bool required = true);
  const nlohmann::json *array(const nlohmann::json &object, std::string_view path,
                              std::string_view key, bool required = true);
  std::optional<uint64_t> unsignedInt(const nlohmann::json &object, std::string_view path,
                                      std::string_view key, bool required = true,
                                      uint64_t max = UINT64_MAX);
  std::optional<double> number(const nlohmann::json &object, std::string_view path,
                               std::string_view key, bool required = true);
  std::optional<std::string> string(const nlohmann::json &object, std::string_view path,
                                    std::string_view key, bool required = true);
  std::optional<std::vector<std::string>> stringList(const nlohmann::json &object,
                                                     std::string_view path, std::string_view key,
                                                     bool required = true);
  std::optional<std::vector<uint64_t>> unsignedList(const nlohmann::json &object,
                                                    std::string_view path, std::string_view key,
                                                    bool required = true,
                                                    uint64_t max = UINT64_MAX);

  /// Records `FILE: manifest field "<field>" <what>` unless an error is
  /// already recorded.
  void error(std::string_view field, std::string_view what);

  bool ok() const { return status_.ok(); }
  const Status &status() const { return status_; }

private:
  std::string file_;
  Status status_;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_MANIFESTFIELDS_H
