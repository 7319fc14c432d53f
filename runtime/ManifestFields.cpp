//===- ManifestFields.cpp - Typed access to manifest fields ---------------===//

#include "runtime/ManifestFields.h"

namespace r1::runtime {

using nlohmann::json;

std::string ManifestFields::join(std::string_view parent, std::string_view key) {
  if (parent.empty())
    return std::string(key);
  std::string path(parent);
  path += '.';
  path += key;
  return path;
}

std::string ManifestFields::index(std::string_view parent, size_t i) {
  return std::string(parent) + "[" + std::to_string(i) + "]";
}

void ManifestFields::error(std::string_view field, std::string_view what) {
  if (status_.ok())
    status_ = Status::badInput(file_ + ": manifest field \"" + std::string(field) + "\" " +
                               std::string(what));
}

const json *ManifestFields::member(const json &object, std::string_view path, std::string_view key,
                                   bool required) {
  if (!ok())
    return nullptr;
  std::string field = join(path, key);
  if (!object.is_object()) {
    error(path, "must be an object");
    return nullptr;
  }
  auto it = object.find(key);
  if (it == object.end()) {
    if (required)
      error(field, "is missing");
    return nullptr;
  }
  return &*it;
}

const json *ManifestFields::object(const json &object, std::string_view path, std::string_view key,
                                   bool required) {
  const json *value = member(object, path, key, required);
  if (value && !value->is_object()) {
    error(join(path, key), "must be an object");
    return nullptr;
  }
  return value;
}

const json *ManifestFields::array(const json &object, std::string_view path, std::string_view key,
                                  bool required) {
  const json *value = member(object, path, key, required);
  if (value && !value->is_array()) {
    error(join(path, key), "must be an array");
    return nullptr;
  }
  return value;
}

namespace {

// Parsed text gives number_unsigned for integers without a sign, but a
// manifest built in memory from an int holds number_integer: accept both
// when non-negative, and no floats.
std::optional<uint64_t> asUnsigned(const json &value, uint64_t max) {
  if (!value.is_number_integer() || (!value.is_number_unsigned() && value.get<int64_t>() < 0))
    return std::nullopt;
  uint64_t number = value.get<uint64_t>();
  if (number > max)
    return std::nullopt;
  return number;
}

std::string unsignedWhat(uint64_t max) {
  if (max == UINT64_MAX)
    return "must be a non-negative integer";
  return "must be an integer in [0, " + std::to_string(max) + "]";
}

} // namespace

std::optional<uint64_t> ManifestFields::unsignedInt(const json &object, std::string_view path,
                                                    std::string_view key, bool required,
                                                    uint64_t max) {
  const json *value = member(object, path, key, required);
  if (!value)
    return std::nullopt;
  std::optional<uint64_t> number = asUnsigned(*value, max);
  if (!number)
    error(join(path, key), unsignedWhat(max));
  return number;
}

std::optional<double> ManifestFields::number(const json &object, std::string_view path,
                                             std::string_view key, bool required) {
  const json *value = member(object, path, key, required);
  if (!value)
    return std::nullopt;
  if (!value->is_number()) {
    error(join(path, key), "must be a number");
    return std::nullopt;
  }
  return value->get<double>();
}

std::optional<std::string> ManifestFields::string(const json &object, std::string_view path,
                                                  std::string_view key, bool required) {
  const json *value = member(object, path, key, required);
  if (!value)
    return std::nullopt;
  if (!value->is_string()) {
    error(join(path, key), "must be a string");
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::optional<std::vector<std::string>> ManifestFields::stringList(const json &object,
                                                                   std::string_view path,
                                                                   std::string_view key,
                                                                   bool required) {
  const json *value = array(object, path, key, required);
  if (!value)
    return std::nullopt;
  std::vector<std::string> list;
  for (size_t i = 0; i < value->size(); ++i) {
    if (!(*value)[i].is_string()) {
      error(index(join(path, key), i), "must be a string");
      return std::nullopt;
    }
    list.push_back((*value)[i].get<std::string>());
  }
  return list;
}

std::optional<std::vector<uint64_t>> ManifestFields::unsignedList(const json &object,
                                                                  std::string_view path,
                                                                  std::string_view key,
                                                                  bool required, uint64_t max) {
  const json *value = array(object, path, key, required);
  if (!value)
    return std::nullopt;
  std::vector<uint64_t> list;
  for (size_t i = 0; i < value->size(); ++i) {
    std::optional<uint64_t> number = asUnsigned((*value)[i], max);
    if (!number) {
      error(index(join(path, key), i), unsignedWhat(max));
      return std::nullopt;
    }
    list.push_back(*number);
  }
  return list;
}

} // namespace r1::runtime
