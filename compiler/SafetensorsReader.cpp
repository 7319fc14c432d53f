//===- SafetensorsReader.cpp - Memory-mapped safetensors files ------------===//
//
// Header validation treats every file as hostile: the header is checked in
// full before any tensor is handed out, so TensorInfo offsets can be trusted
// by everything downstream (the artifact writer streams bytes straight from
// the mapping). Every error is one line that starts with the file name.
//
//===----------------------------------------------------------------------===//
#include "compiler/SafetensorsReader.h"

#include "compiler/Json.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>
#include <tuple>

namespace r1 {
namespace {

using nlohmann::json;


/// Describes a JSON value for an error: numbers by value, the rest by type.
/// (dump() is avoided for strings: it throws on invalid UTF-8.)
std::string describe(const json &value) {
  if (value.is_number())
    return value.dump();
  std::string type = value.type_name();
  bool vowel = llvm::StringRef("aeiou").contains(type.front());
  return (vowel ? "an " : "a ") + type;
}

/// Builds the errors of one file, and of one tensor within it.
class ErrorBuilder {
public:
  explicit ErrorBuilder(llvm::StringRef fileName) : fileName_(fileName) {}

  llvm::Error file(const llvm::Twine &message) const {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), fileName_ + ": " + message);
  }
  llvm::Error tensor(llvm::StringRef name, const llvm::Twine &message) const {
    return file("tensor " + quoteName(name) + ": " + message);
  }

private:
  llvm::StringRef fileName_;
};

/// Reads a JSON value that must be a non-negative integer fitting int64.
/// `what` names the field in the error ("shape[1]", "data_offsets[0]").
llvm::Expected<int64_t> readCount(const json &value, const ErrorBuilder &errors,
                                  llvm::StringRef tensor, const std::string &what) {
  if (value.is_number_unsigned()) {
    uint64_t v = value.get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX))
      return errors.tensor(tensor,
                           what + " is " + std::to_string(v) + ", which does not fit in int64");
    return static_cast<int64_t>(v);
  }
  // nlohmann stores non-negative integers as unsigned, so a signed integer here
  // is negative.
  return errors.tensor(tensor, what + " is " + describe(value) + ", not a non-negative integer");
}

llvm::Expected<TensorInfo> parseTensorEntry(const std::string &name, const json &entry,
                                            uint64_t dataSize, const ErrorBuilder &errors) {
  if (!entry.is_object())
    return errors.tensor(name, "entry is " + describe(entry) + ", not an object");

  TensorInfo info;
  info.name = name;

  auto dtypeIt = entry.find("dtype");
  if (dtypeIt == entry.end())
    return errors.tensor(name, "missing \"dtype\"");
  if (!dtypeIt->is_string())
    return errors.tensor(name, "dtype is " + describe(*dtypeIt) + ", not a string");
  const std::string &dtypeText = dtypeIt->get_ref<const std::string &>();
  std::optional<DType> dtype = parseDType(dtypeText);
  if (!dtype)
    return errors.tensor(name, "unknown dtype " + quoteName(dtypeText));
  info.dtype = *dtype;

  auto shapeIt = entry.find("shape");
  if (shapeIt == entry.end())
    return errors.tensor(name, "missing \"shape\"");
  if (!shapeIt->is_array())
    return errors.tensor(name, "shape is " + describe(*shapeIt) + ", not an array");
  int64_t numElements = 1;
  bool overflow = false;
  for (size_t i = 0; i < shapeIt->size(); ++i) {
    llvm::Expected<int64_t> dim =
        readCount((*shapeIt)[i], errors, name, "shape[" + std::to_string(i) + "]");
    if (!dim)
      return dim.takeError();
    info.shape.push_back(*dim);
    // Keep reading after an overflow: a later 0 dimension makes the product 0,
    // and a later invalid dimension deserves its own error.
    if (std::optional<int64_t> product = llvm::checkedMul(numElements, *dim))
      numElements = *product;
    else
      overflow = true;
  }
  bool empty = llvm::is_contained(info.shape, 0);
  if (overflow && !empty)
    return errors.tensor(name,
                         "element count of shape " + formatShape(info.shape) + " overflows int64");
  if (empty)
    numElements = 0;
  std::optional<int64_t> numBytes = llvm::checkedMul(numElements, dtypeSize(info.dtype));
  if (!numBytes)
    return errors.tensor(name, "byte size of " + std::string(dtypeName(info.dtype)) + " x " +
                                   formatShape(info.shape) + " overflows int64");

  auto offsetsIt = entry.find("data_offsets");
  if (offsetsIt == entry.end())
    return errors.tensor(name, "missing \"data_offsets\"");
  if (!offsetsIt->is_array())
    return errors.tensor(name, "data_offsets is " + describe(*offsetsIt) + ", not an array");
  if (offsetsIt->size() != 2)
    return errors.tensor(name, "data_offsets has " + std::to_string(offsetsIt->size()) +
                                   " elements, expected 2 (begin, end)");
  llvm::Expected<int64_t> begin = readCount((*offsetsIt)[0], errors, name, "data_offsets[0]");
  if (!begin)
    return begin.takeError();
  llvm::Expected<int64_t> end = readCount((*offsetsIt)[1], errors, name, "data_offsets[1]");
  if (!end)
    return end.takeError();
  info.begin = static_cast<uint64_t>(*begin);
  info.end = static_cast<uint64_t>(*end);

  std::string offsets =
      "data_offsets [" + std::to_string(info.begin) + ", " + std::to_string(info.end) + "]";
  if (info.begin > info.end)
    return errors.tensor(name, offsets + " are reversed (begin > end)");
  if (info.end > dataSize)
    return errors.tensor(name, offsets + " run past the end of the data section (" +
                                   std::to_string(dataSize) + " bytes)");
  if (info.numBytes() != static_cast<uint64_t>(*numBytes))
    return errors.tensor(name, offsets + " hold " + std::to_string(info.numBytes()) +
                                   " bytes but " + std::string(dtypeName(info.dtype)) + " x " +
                                   formatShape(info.shape) + " needs " + std::to_string(*numBytes));
  return info;
}

llvm::Error parseMetadata(const json &value, std::map<std::string, std::string> &metadata,
                          const ErrorBuilder &errors) {
  if (!value.is_object())
    return errors.file("__metadata__ is " + describe(value) + ", not an object");
  for (const auto &[key, item] : value.items()) {
    if (!item.is_string())
      return errors.file("__metadata__ entry " + quoteName(key) + " is " + describe(item) +
                         ", not a string");
    metadata[key] = item.get<std::string>();
  }
  return llvm::Error::success();
}

/// Zero-length tensors share no bytes with anything, wherever they point.
llvm::Error checkNoOverlap(const std::vector<TensorInfo> &tensors, const ErrorBuilder &errors) {
  // Sorted by begin, a tensor overlaps some earlier one exactly when it starts
  // before the furthest end seen so far; that tensor is the one to name.
  const TensorInfo *furthest = nullptr;
  for (const TensorInfo &tensor : tensors) {
    if (tensor.numBytes() == 0)
      continue;
    if (furthest && tensor.begin < furthest->end)
      return errors.tensor(furthest->name, "bytes [" + std::to_string(furthest->begin) + ", " +
                                               std::to_string(furthest->end) + ") overlap tensor " +
                                               quoteName(tensor.name) + " at [" +
                                               std::to_string(tensor.begin) + ", " +
                                               std::to_string(tensor.end) + ")");
    if (!furthest || tensor.end > furthest->end)
      furthest = &tensor;
  }
  return llvm::Error::success();
}

} // namespace

// Names come from the file, so they may hold newlines or megabytes of text.
std::string quoteName(llvm::StringRef text) {
  constexpr size_t kMaxShown = 200;
  std::string out;
  llvm::raw_string_ostream os(out);
  os << '\'';
  llvm::printEscapedString(text.take_front(kMaxShown), os);
  if (text.size() > kMaxShown)
    os << "...";
  os << '\'';
  return out;
}

int64_t TensorInfo::numElements() const {
  // Validation allows an overflowing product of the other dimensions when one
  // is 0, so the 0 must win before anything is multiplied.
  if (llvm::is_contained(shape, 0))
    return 0;
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

llvm::Expected<SafetensorsHeader> parseSafetensorsHeader(llvm::StringRef fileBytes,
                                                         llvm::StringRef fileName) {
  ErrorBuilder errors(fileName);
  if (fileBytes.size() < 8)
    return errors.file("file is " + llvm::Twine(fileBytes.size()) +
                       " bytes, too short for the 8-byte header length");

  SafetensorsHeader header;
  header.headerSize = llvm::support::endian::read64le(fileBytes.data());
  uint64_t available = fileBytes.size() - 8;
  if (header.headerSize > kMaxSafetensorsHeaderSize)
    return errors.file("header length " + llvm::Twine(header.headerSize) +
                       " exceeds the format's limit of " + llvm::Twine(kMaxSafetensorsHeaderSize) +
                       " bytes");
  if (header.headerSize > available)
    return errors.file("header length " + llvm::Twine(header.headerSize) +
                       " runs past the end of the file (" + llvm::Twine(fileBytes.size()) +
                       " bytes)");
  header.dataOffset = 8 + header.headerSize;
  uint64_t dataSize = available - header.headerSize;
  llvm::StringRef text = fileBytes.substr(8, header.headerSize);

  llvm::Expected<json> parsed = parseJson(text, fileName, "header");
  if (!parsed)
    return parsed.takeError();
  json root = std::move(*parsed);
  if (!root.is_object())
    return errors.file("header is " + describe(root) + ", not a JSON object");

  for (const auto &[key, value] : root.items()) {
    if (key == "__metadata__") {
      if (llvm::Error err = parseMetadata(value, header.metadata, errors))
        return std::move(err);
      continue;
    }
    llvm::Expected<TensorInfo> tensor = parseTensorEntry(key, value, dataSize, errors);
    if (!tensor)
      return tensor.takeError();
    header.tensors.push_back(std::move(*tensor));
  }

  // Ties broken by end and name so that the order never depends on the JSON.
  llvm::sort(header.tensors, [](const TensorInfo &a, const TensorInfo &b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  if (llvm::Error err = checkNoOverlap(header.tensors, errors))
    return std::move(err);
  return header;
}

llvm::Expected<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(llvm::StringRef path) {
  // Mapped, never read: shards are up to several GB each. No null terminator
  // is needed, and requiring one could force a copy.
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": cannot open: " + buffer.getError().message());

  llvm::Expected<SafetensorsHeader> header = parseSafetensorsHeader((*buffer)->getBuffer(), path);
  if (!header)
    return header.takeError();

  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path.str();
  file->buffer_ = std::move(*buffer);
  file->header_ = std::move(*header);
  for (size_t i = 0; i < file->header_.tensors.size(); ++i)
    file->index_[file->header_.tensors[i].name] = i;
  return file;
}

const TensorInfo *SafetensorsFile::find(llvm::StringRef name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &header_.tensors[it->second];
}

llvm::ArrayRef<uint8_t> SafetensorsFile::data(const TensorInfo &tensor) const {
  assert(&tensor >= header_.tensors.data() &&
         &tensor < header_.tensors.data() + header_.tensors.size() &&
         "tensor belongs to another file");
  const auto *start = reinterpret_cast<const uint8_t *>(buffer_->getBufferStart());
  return {start + header_.dataOffset + tensor.begin, tensor.numBytes()};
}

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  constexpr size_t kMaxShown = 8;
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i == kMaxShown) {
      out += ", ... (" + std::to_string(shape.size()) + " dims)";
      break;
    }
    if (i)
      out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

} // namespace r1
