//===- JsonFieldReader.cpp - Typed, checked reads of JSON object fields ---===//
//
// See JsonFieldReader.h. Every read goes through find(), which treats null as
// absent, and through record(), which keeps only the first error.
//
//===----------------------------------------------------------------------===//
#include "compiler/JsonFieldReader.h"

#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <string_view>

namespace r1 {

using nlohmann::json;

JsonFieldReader::JsonFieldReader(const json &object, llvm::StringRef fileName)
    : JsonFieldReader(object, fileName.str(), "", std::make_shared<std::optional<std::string>>()) {}

JsonFieldReader::JsonFieldReader(const json &object, std::string fileName, std::string prefix,
                                 std::shared_ptr<std::optional<std::string>> error)
    : fields(object), fileName(std::move(fileName)), prefix(std::move(prefix)),
      error(std::move(error)) {}

std::optional<JsonFieldReader> JsonFieldReader::object(llvm::StringRef name) {
  const json *value = find(name);
  if (!value)
    return std::nullopt;
  if (!value->is_object()) {
    fail(name, "must be an object");
    return std::nullopt;
  }
  return JsonFieldReader(*value, fileName, prefix + name.str() + ".", error);
}

const json *JsonFieldReader::find(llvm::StringRef name) const {
  auto it = fields.find(std::string_view(name));
  if (it == fields.end() || it->is_null())
    return nullptr;
  return &*it;
}

bool JsonFieldReader::require(llvm::StringRef name) {
  if (find(name))
    return true;
  fail(name, "is required");
  return false;
}

std::optional<size_t> JsonFieldReader::oneOfIndex(llvm::StringRef name,
                                                  llvm::ArrayRef<llvm::StringRef> allowed) {
  const json *value = find(name);
  if (!value)
    return std::nullopt;
  if (value->is_string()) {
    const std::string &text = value->get_ref<const std::string &>();
    for (size_t i = 0; i < allowed.size(); ++i)
      if (allowed[i] == text)
        return i;
  }
  fail(name, "unsupported value, expected one of " + llvm::join(allowed, ", "));
  return std::nullopt;
}

std::optional<llvm::StringRef> JsonFieldReader::oneOf(llvm::StringRef name,
                                                      llvm::ArrayRef<llvm::StringRef> allowed) {
  if (std::optional<size_t> index = oneOfIndex(name, allowed))
    return allowed[*index];
  return std::nullopt;
}

std::optional<int64_t> JsonFieldReader::intIn(llvm::StringRef name, const json &value, int64_t min,
                                              int64_t max) {
  // JSON integers only: 2.0, "2" and true are not sizes. An unsigned value
  // above INT64_MAX would wrap in get<int64_t>().
  bool wraps = value.is_number_unsigned() && value.get<uint64_t>() > uint64_t(INT64_MAX);
  if (value.is_number_integer() && !wraps) {
    int64_t n = value.get<int64_t>();
    if (n >= min && n <= max)
      return n;
  }
  std::string expected;
  bool tooLarge = value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(max);
  if (max == kMaxInt && tooLarge)
    expected = "at most " + std::to_string(kMaxInt);
  else if (max == kMaxInt && min == 1)
    expected = "a positive integer";
  else if (max == kMaxInt && min == 0)
    expected = "a non-negative integer";
  else
    expected = "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  fail(name, "must be " + expected, value);
  return std::nullopt;
}

int64_t JsonFieldReader::positiveInt(llvm::StringRef name) {
  if (!require(name))
    return 1;
  return intIn(name, *find(name), 1, kMaxInt).value_or(1);
}

int64_t JsonFieldReader::positiveInt(llvm::StringRef name, int64_t dflt) {
  const json *value = find(name);
  return value ? intIn(name, *value, 1, kMaxInt).value_or(dflt) : dflt;
}

std::optional<int64_t> JsonFieldReader::optionalPositiveInt(llvm::StringRef name) {
  const json *value = find(name);
  return value ? intIn(name, *value, 1, kMaxInt) : std::nullopt;
}

int64_t JsonFieldReader::nonNegativeInt(llvm::StringRef name, int64_t dflt) {
  const json *value = find(name);
  return value ? intIn(name, *value, 0, kMaxInt).value_or(dflt) : dflt;
}

std::optional<double> JsonFieldReader::number(llvm::StringRef name, bool allowZero) {
  const json *value = find(name);
  if (!value)
    return std::nullopt;
  if (value->is_number()) {
    double x = value->get<double>();
    if (std::isfinite(x) && (x > 0 || (allowZero && x == 0)))
      return x;
  }
  fail(name, allowZero ? "must be a non-negative number" : "must be a positive number");
  return std::nullopt;
}

double JsonFieldReader::positiveNumber(llvm::StringRef name) {
  if (!require(name))
    return 1;
  return number(name, /*allowZero=*/false).value_or(1);
}

double JsonFieldReader::positiveNumber(llvm::StringRef name, double dflt) {
  return number(name, /*allowZero=*/false).value_or(dflt);
}

double JsonFieldReader::nonNegativeNumber(llvm::StringRef name, double dflt) {
  return number(name, /*allowZero=*/true).value_or(dflt);
}

bool JsonFieldReader::boolean(llvm::StringRef name, bool dflt) {
  const json *value = find(name);
  if (!value)
    return dflt;
  if (value->is_boolean())
    return value->get<bool>();
  fail(name, "must be true or false");
  return dflt;
}

void JsonFieldReader::fail(llvm::StringRef name, const llvm::Twine &what) {
  if (const json *value = find(name))
    fail(name, what, *value);
  else if (!failed())
    *error = "field '" + prefix + name.str() + "': " + what.str();
}

void JsonFieldReader::fail(llvm::StringRef name, const llvm::Twine &what, const json &value) {
  if (!failed())
    *error = "field '" + prefix + name.str() + "': " + what.str() + " (got " + quote(value) + ")";
}

llvm::Error JsonFieldReader::takeError() {
  if (!failed())
    return llvm::Error::success();
  llvm::Error err = makeFileError(fileName, **error);
  error->reset();
  return err;
}

std::string JsonFieldReader::quote(const json &value) {
  constexpr size_t kMaxQuoted = 60;
  // ASCII-only output, so that shortening cannot split a UTF-8 sequence.
  std::string text = value.dump(-1, ' ', /*ensure_ascii=*/true, json::error_handler_t::replace);
  if (text.size() > kMaxQuoted)
    text = text.substr(0, kMaxQuoted) + "...";
  return text;
}

} // namespace r1
