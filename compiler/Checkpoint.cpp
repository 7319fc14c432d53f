//===- Checkpoint.cpp - The safetensors files of a Hugging Face model -----===//
//
// The index is checked against the shards rather than trusted: a weight_map
// entry must point at a shard that really holds the tensor, and no tensor may
// live in two shards, so find() has exactly one answer for every name.
//
//===----------------------------------------------------------------------===//
#include "compiler/Checkpoint.h"

#include "compiler/Json.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

namespace r1 {
namespace {

using nlohmann::json;

constexpr const char *kIndexName = "model.safetensors.index.json";
constexpr const char *kSingleName = "model.safetensors";

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string joinPath(llvm::StringRef dir, llvm::StringRef name) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, name);
  return std::string(path);
}

/// The index names shards relative to the model directory; anything that could
/// reach outside it is refused rather than resolved.
bool isPlainFileName(llvm::StringRef name) {
  return !name.empty() && name != "." && name != ".." && !name.contains('/') &&
         !name.contains('\\') && !name.contains('\0');
}

/// weight_map of the index at `indexPath`: tensor name -> shard file name.
llvm::Expected<std::map<std::string, std::string>> readWeightMap(const std::string &indexPath) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(indexPath, /*IsText=*/true);
  if (!buffer)
    return makeError(indexPath + ": cannot open: " + buffer.getError().message());

  llvm::Expected<json> parsed = parseJson((*buffer)->getBuffer(), indexPath);
  if (!parsed)
    return parsed.takeError();
  json root = std::move(*parsed);
  if (!root.is_object())
    return makeError(indexPath + ": top level is JSON " + root.type_name() +
                     ", expected an object");
  auto weightMap = root.find("weight_map");
  if (weightMap == root.end())
    return makeError(indexPath + ": missing \"weight_map\"");
  if (!weightMap->is_object())
    return makeError(indexPath + ": \"weight_map\" is JSON " + weightMap->type_name() +
                     ", expected an object");

  std::map<std::string, std::string> result;
  for (const auto &[tensor, shard] : weightMap->items()) {
    if (!shard.is_string())
      return makeError(indexPath + ": weight_map entry for tensor " + quoteName(tensor) +
                       " is JSON " + shard.type_name() + ", expected a shard file name");
    const std::string &shardName = shard.get_ref<const std::string &>();
    if (!isPlainFileName(shardName))
      return makeError(indexPath + ": shard " + quoteName(shardName) + " (for tensor " +
                       quoteName(tensor) + ") is not a plain file name in the model directory");
    result.emplace(tensor, shardName);
  }
  return result;
}

} // namespace

llvm::Expected<std::unique_ptr<Checkpoint>> Checkpoint::open(llvm::StringRef modelDir) {
  std::unique_ptr<Checkpoint> checkpoint(new Checkpoint());
  std::string indexPath = joinPath(modelDir, kIndexName);
  std::string singlePath = joinPath(modelDir, kSingleName);
  bool indexed = llvm::sys::fs::exists(indexPath);
  checkpoint->path_ = indexed ? indexPath : singlePath;

  // 1. Decide which files to open: the shards of the index (each once, in name
  //    order so that files() is stable), else the single file.
  std::map<std::string, std::string> weightMap;
  std::vector<std::string> paths;
  if (indexed) {
    llvm::Expected<std::map<std::string, std::string>> read = readWeightMap(indexPath);
    if (!read)
      return read.takeError();
    weightMap = std::move(*read);
    std::map<std::string, std::string> firstTensorOfShard;
    for (const auto &[tensor, shard] : weightMap)
      firstTensorOfShard.emplace(shard, tensor);
    for (const auto &[shard, tensor] : firstTensorOfShard) {
      std::string path = joinPath(modelDir, shard);
      if (!llvm::sys::fs::exists(path))
        return makeError(indexPath + ": shard " + quoteName(shard) + " (for tensor " +
                         quoteName(tensor) + ") does not exist");
      paths.push_back(std::move(path));
    }
  } else if (llvm::sys::fs::exists(singlePath)) {
    paths.push_back(singlePath);
  } else {
    return makeError(modelDir + ": no " + kSingleName + " or " + kIndexName +
                     "; pass --config-only to import the config alone");
  }

  // 2. Open every file and index its tensors; a name may occur only once.
  for (const std::string &path : paths) {
    llvm::Expected<std::unique_ptr<SafetensorsFile>> file = SafetensorsFile::open(path);
    if (!file)
      return file.takeError();
    checkpoint->files_.push_back(std::move(*file));
    const SafetensorsFile &opened = *checkpoint->files_.back();
    for (const TensorInfo &info : opened.tensors()) {
      auto [it, inserted] =
          checkpoint->tensors_.try_emplace(info.name, CheckpointTensor{&info, &opened});
      if (!inserted)
        return makeError("tensor " + quoteName(info.name) + " appears in both " +
                         it->second.file->path() + " and " + opened.path());
      if (indexed && !weightMap.count(info.name))
        checkpoint->unindexed_.push_back(info.name);
    }
  }
  llvm::sort(checkpoint->unindexed_);

  // 3. Every index entry must be backed by the shard it names.
  for (const auto &[tensor, shard] : weightMap) {
    CheckpointTensor found = checkpoint->find(tensor);
    if (!found.file || llvm::sys::path::filename(found.file->path()) != shard)
      return makeError(indexPath + ": tensor " + quoteName(tensor) + " is mapped to " +
                       quoteName(shard) + " but that file does not contain it");
  }
  return checkpoint;
}

CheckpointTensor Checkpoint::find(llvm::StringRef name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? CheckpointTensor{} : it->second;
}

std::vector<std::string> Checkpoint::tensorNames() const {
  std::vector<std::string> names;
  names.reserve(tensors_.size());
  for (const auto &entry : tensors_)
    names.push_back(entry.getKey().str());
  llvm::sort(names);
  return names;
}

uint64_t Checkpoint::totalBytes() const {
  uint64_t total = 0;
  for (const auto &file : files_)
    for (const TensorInfo &info : file->tensors())
      total += info.numBytes();
  return total;
}

} // namespace r1
