//===- JsonFieldReader.h - Typed, checked reads of JSON object fields -----===//
//
// A JsonFieldReader reads the fields of one JSON object by name and type. It
// records the first thing wrong as a one-line message
//
//   FILE: field 'NAME': what is wrong (got VALUE)
//
// and from then on returns defaults, so parsing code reads straight down and
// checks once:
//
//   cfg.hiddenSize = r.positiveInt("hidden_size");
//   cfg.numHeads = r.positiveInt("num_attention_heads");
//   if (llvm::Error err = r.takeError())
//     return err;
//
// A field that is absent and one that is null are the same thing: Hugging Face
// writes null for "not set" (q_lora_rank, n_shared_experts, rope_scaling).
// Integers are sizes, counts and ids, so they are bounded by kMaxInt; that
// keeps the product of any two of them within int64_t.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_JSONFIELDREADER_H
#define R1C_COMPILER_JSONFIELDREADER_H

#include "compiler/Json.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace r1 {

class JsonFieldReader {
public:
  /// The largest integer any field may hold.
  static constexpr int64_t kMaxInt = (int64_t{1} << 31) - 1;

  /// Reads the fields of `object`, which must outlive the reader.
  JsonFieldReader(const nlohmann::json &object, llvm::StringRef fileName);

  /// A reader for the nested object `name`, whose fields are then named
  /// "name.field" and whose errors count as this reader's. std::nullopt when
  /// the field is absent or null, or (recording an error) not an object.
  std::optional<JsonFieldReader> object(llvm::StringRef name);

  /// The value of field `name`; nullptr when absent or null.
  const nlohmann::json *find(llvm::StringRef name) const;

  /// Records "is required" unless field `name` is present.
  bool require(llvm::StringRef name);

  /// The value of field `name` if it is one of the strings in `allowed`;
  /// std::nullopt when absent or (recording an error) not one of them. The
  /// result points into `allowed`.
  std::optional<llvm::StringRef> oneOf(llvm::StringRef name,
                                       llvm::ArrayRef<llvm::StringRef> allowed);

  /// The value paired with the string in field `name`. Without `dflt` the field
  /// is required.
  template <typename T>
  T choice(llvm::StringRef name, std::initializer_list<std::pair<llvm::StringRef, T>> choices,
           std::optional<T> dflt = std::nullopt);

  /// Required positive integer; 1 when wrong, so that dividing by it is safe.
  int64_t positiveInt(llvm::StringRef name);
  int64_t positiveInt(llvm::StringRef name, int64_t dflt);
  std::optional<int64_t> optionalPositiveInt(llvm::StringRef name);
  int64_t nonNegativeInt(llvm::StringRef name, int64_t dflt);
  /// An integer in [min, max] taken from `value`, which belongs to field
  /// `name` (the field itself or an element of it).
  std::optional<int64_t> intIn(llvm::StringRef name, const nlohmann::json &value, int64_t min,
                               int64_t max);

  /// Required finite positive number (an integer or a float); 1 when wrong.
  double positiveNumber(llvm::StringRef name);
  double positiveNumber(llvm::StringRef name, double dflt);
  double nonNegativeNumber(llvm::StringRef name, double dflt);

  bool boolean(llvm::StringRef name, bool dflt);

  /// Records `what` as wrong with field `name`, quoting its value if it has one.
  void fail(llvm::StringRef name, const llvm::Twine &what);
  /// Records `what` as wrong with field `name`, quoting `value`.
  void fail(llvm::StringRef name, const llvm::Twine &what, const nlohmann::json &value);

  bool failed() const { return error->has_value(); }
  /// The first recorded error, or success; clears it.
  llvm::Error takeError();

  /// `value` as compact JSON for "(got VALUE)", shortened when long.
  static std::string quote(const nlohmann::json &value);

private:
  JsonFieldReader(const nlohmann::json &object, std::string fileName, std::string prefix,
                  std::shared_ptr<std::optional<std::string>> error);

  /// Index into `allowed` of field `name`'s string, as for oneOf.
  std::optional<size_t> oneOfIndex(llvm::StringRef name, llvm::ArrayRef<llvm::StringRef> allowed);
  std::optional<double> number(llvm::StringRef name, bool allowZero);

  const nlohmann::json &fields;
  std::string fileName;
  /// "rope_scaling." for a nested reader; empty at the top.
  std::string prefix;
  /// Shared with nested readers, so the first error anywhere wins.
  std::shared_ptr<std::optional<std::string>> error;
};

template <typename T>
T JsonFieldReader::choice(llvm::StringRef name,
                          std::initializer_list<std::pair<llvm::StringRef, T>> choices,
                          std::optional<T> dflt) {
  if (!dflt && !require(name))
    return choices.begin()->second;
  llvm::SmallVector<llvm::StringRef, 4> names;
  for (const auto &[choiceName, value] : choices)
    names.push_back(choiceName);
  if (std::optional<size_t> index = oneOfIndex(name, names))
    return (choices.begin() + *index)->second;
  return dflt ? *dflt : choices.begin()->second;
}

} // namespace r1

#endif // R1C_COMPILER_JSONFIELDREADER_H
