//===- Synth.cpp - Random-weight models in the Hugging Face layout --------===//
//
// Three parts: the values (a counter-based PRNG and the dtype encoders), the
// plan (which tensors, in which shard, from the imported config) and the
// writer (an output directory that is complete or removed).
//
//===----------------------------------------------------------------------===//

#include "compiler/Synth.h"

#include "compiler/Importer.h"
#include "compiler/OutputFile.h"
#include "compiler/ProgressReporter.h"
#include "compiler/SafetensorsWriter.h"
#include "dialects/R1Ops.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/SwapByteOrder.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>

namespace r1 {

namespace {

llvm::Error synthError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

// Safetensors data is little-endian; the encoders store host words.
static_assert(!llvm::sys::IsBigEndianHost, "r1c synth writes little-endian host words");

/// splitmix64 (Steele, Lea, Flood 2014): its finalizer turns a counter into
/// 64 well-mixed bits, so element i of a tensor is mix64(key + (i+1) * gamma)
/// and any range of elements can be generated without generating the ones
/// before it. That is what makes values independent of chunking and sharding.
constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ULL;

inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// The stream of one tensor: FNV-1a of its name, mixed with the seed. Written
/// out here rather than taken from a hash library so that the values of a
/// (seed, name) pair never change with a dependency's version.
uint64_t tensorKey(uint64_t seed, llvm::StringRef name) {
  uint64_t hash = 0xCBF29CE484222325ULL;
  for (unsigned char c : name)
    hash = (hash ^ c) * 0x100000001B3ULL;
  return mix64(hash ^ mix64(seed + kGamma));
}

/// Approximately N(0, 1): the sum of the four 16-bit lanes of `bits` (Irwin-
/// Hall with n = 4), centred and scaled to unit variance. Its CDF is within
/// 0.0074 of the normal one; it is bounded at +-3.46 (so FP8 codes never
/// saturate); and it needs no logarithm or square root, so the loop
/// vectorizes.
inline float approxNormal(uint64_t bits) {
  int32_t sum = int32_t(bits & 0xFFFF) + int32_t((bits >> 16) & 0xFFFF) +
                int32_t((bits >> 32) & 0xFFFF) + int32_t(bits >> 48);
  // Each lane has mean 32767.5 and variance (2^32 - 1) / 12; the sum's
  // standard deviation is sqrt((2^32 - 1) / 3).
  constexpr float kInvStd = float(1.0 / 37837.22723720648);
  return float(sum - 131070) * kInvStd;
}

/// mean + std * z as two roundings. Kept as separate statements so that no
/// compiler fuses them into one multiply-add, which would change low bits
/// (and so values) from one target to another.
inline float scaleAndShift(float z, float std, float mean) {
  float scaled = std * z;
  return mean + scaled;
}

/// Uniform in [0, 1) from the top 24 bits.
inline float uniform01(uint64_t bits) { return float(bits >> 40) * (1.0f / 16777216.0f); }

/// float -> bfloat16, round to nearest even (values here are finite).
inline uint16_t encodeBF16(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  u += 0x7FFF + ((u >> 16) & 1);
  return uint16_t(u >> 16);
}

/// float -> IEEE half, round to nearest even, subnormals included (F. Giesen's
/// float_to_half_fast3_rtne).
inline uint16_t encodeF16(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  uint32_t sign = u & 0x80000000u;
  u ^= sign;
  uint32_t half;
  if (u >= (127u + 16) << 23) {
    half = u > 0x7F800000u ? 0x7E00 : 0x7C00;
  } else if (u < (113u << 23)) {
    // Adding 0.5 puts the half's subnormal step in the float's last place.
    float shifted = std::bit_cast<float>(u) + 0.5f;
    half = std::bit_cast<uint32_t>(shifted) - (126u << 23);
  } else {
    uint32_t odd = (u >> 13) & 1;
    u -= 112u << 23; // rebias 127 -> 15
    half = (u + 0xFFF + odd) >> 13;
  }
  return uint16_t(half | (sign >> 16));
}

/// float -> float8 e4m3fn (bias 7, no infinities, max 448), round to nearest
/// even, saturating: the same scheme as encodeF16 with 3 mantissa bits.
inline uint8_t encodeE4M3(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  uint8_t sign = uint8_t((u >> 24) & 0x80);
  u &= 0x7FFFFFFFu;
  uint32_t code;
  if (u >= 0x43E00000u) { // 448: the largest finite value
    code = 0x7E;
  } else if (u < 0x3C800000u) { // 2^-6: the smallest normal
    // Adding 2^14 puts the e4m3 subnormal step (2^-9) in the last place.
    float shifted = std::bit_cast<float>(u) + 16384.0f;
    code = std::bit_cast<uint32_t>(shifted) - (141u << 23);
  } else {
    uint32_t odd = (u >> 20) & 1;
    u -= 120u << 23; // rebias 127 -> 7
    code = (u + 0x7FFFF + odd) >> 20;
  }
  return uint8_t(sign | code);
}

/// Mean and standard deviation of each kind of value (docs/synth.md).
struct Distribution {
  float mean, std;
};

Distribution distribution(SynthValues values) {
  switch (values) {
  case SynthValues::Weight:
    return {0.0f, 0.02f};
  case SynthValues::Norm:
    return {1.0f, 0.02f};
  case SynthValues::Bias:
  case SynthValues::CorrectionBias:
    return {0.0f, 0.01f};
  case SynthValues::Fp8Codes:
    // Real block-quantized weights use the whole e4m3 range: a 128x128 block
    // of N(0, s) has amax ~4.5 s mapped to 448, so codes have std ~100.
    return {0.0f, 100.0f};
  case SynthValues::Fp8Scales:
    break;
  }
  llvm_unreachable("scales are uniform, not normal");
}

/// Writes `count` elements starting at `first`, each `encode(value)` stored
/// as its Word.
template <typename Word, typename Encode>
void fillNormal(uint64_t key, uint64_t first, uint64_t count, Distribution d, uint8_t *out,
                Encode encode) {
  uint64_t state = key + first * kGamma;
  for (uint64_t i = 0; i < count; ++i) {
    state += kGamma;
    Word word = encode(scaleAndShift(approxNormal(mix64(state)), d.std, d.mean));
    std::memcpy(out + i * sizeof(Word), &word, sizeof(Word));
  }
}

} // namespace

void synthElements(const SynthTensor &tensor, uint64_t seed, uint64_t first, uint64_t count,
                   uint8_t *out) {
  uint64_t key = tensorKey(seed, tensor.name);
  if (tensor.values == SynthValues::Fp8Scales) {
    // Dequantized = code x scale: std 100 x 2e-4 = 0.02. The +-10% spread
    // between blocks makes a kernel that applies the wrong block's scale
    // (or one scale per tensor) give visibly different results.
    uint64_t state = key + first * kGamma;
    for (uint64_t i = 0; i < count; ++i) {
      state += kGamma;
      float spread = scaleAndShift(uniform01(mix64(state)), 0.2f, 0.9f);
      float scale = 2e-4f * spread;
      std::memcpy(out + i * 4, &scale, 4);
    }
    return;
  }
  Distribution d = distribution(tensor.values);
  switch (tensor.dtype) {
  case DType::BF16:
    return fillNormal<uint16_t>(key, first, count, d, out, encodeBF16);
  case DType::F16:
    return fillNormal<uint16_t>(key, first, count, d, out, encodeF16);
  case DType::F32:
    return fillNormal<float>(key, first, count, d, out, [](float v) { return v; });
  case DType::F8E4M3:
    return fillNormal<uint8_t>(key, first, count, d, out, encodeE4M3);
  default:
    llvm_unreachable("synthTensors only plans BF16, F16, F32 and F8_E4M3 tensors");
  }
}

uint64_t SynthTensor::numElements() const {
  uint64_t count = 1;
  for (int64_t dim : shape)
    count *= static_cast<uint64_t>(dim);
  return count;
}

//===----------------------------------------------------------------------===//
// The plan
//===----------------------------------------------------------------------===//

namespace {

std::optional<DType> storedDType(mlir::Type type) {
  if (type.isBF16())
    return DType::BF16;
  if (type.isF16())
    return DType::F16;
  if (type.isF32())
    return DType::F32;
  if (llvm::isa<mlir::Float8E4M3FNType>(type))
    return DType::F8E4M3;
  return std::nullopt;
}

/// What a tensor is, from its checkpoint name: the builders in models/ name
/// every norm "*norm.weight" and every bias "*.bias"; the rest of the
/// unquantized tensors are matrices (embeddings, heads, routers).
SynthValues valuesFor(llvm::StringRef name, size_t rank, DType dtype) {
  if (dtype == DType::F8E4M3)
    return SynthValues::Fp8Codes;
  if (name.ends_with("e_score_correction_bias"))
    return SynthValues::CorrectionBias;
  if (rank == 1)
    return name.ends_with(".bias") ? SynthValues::Bias : SynthValues::Norm;
  return SynthValues::Weight;
}

/// `text` (a config.json the importer accepted) without quantization_config
/// and with torch_dtype bfloat16, keys in their original order.
std::string bf16ConfigText(llvm::StringRef text) {
  nlohmann::ordered_json config =
      nlohmann::ordered_json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  config.erase("quantization_config");
  config["torch_dtype"] = "bfloat16";
  return config.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

/// Imports `text` config-only through a temporary file (the importer reads
/// configs from files).
llvm::Expected<ImportedModel> importConfigText(mlir::MLIRContext &context, llvm::StringRef text,
                                               llvm::StringRef origin) {
  int fd;
  llvm::SmallString<128> path;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("r1c-synth-config", "json", fd, path))
    return synthError("cannot create a temporary file for the BF16 rewrite of " + origin + ": " +
                      ec.message());
  llvm::FileRemover remover(path);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << text;
    os.close();
    if (os.has_error()) {
      std::error_code ec = os.error();
      os.clear_error();
      return synthError(path + ": write failed: " + ec.message());
    }
  }
  ImportOptions options;
  options.configOnly = true;
  llvm::Expected<ImportedModel> imported = importModel(context, path, options);
  if (!imported)
    return synthError("internal error: the BF16 rewrite of " + origin +
                      " does not import: " + llvm::toString(imported.takeError()));
  return imported;
}

/// Greedy in write order, like Hugging Face's save_pretrained: a tensor opens
/// a new shard when it would overflow the current one; scales stay with their
/// weight.
void assignShards(SynthPlan &plan, uint64_t shardBytes) {
  unsigned shard = 0;
  uint64_t inShard = 0;
  const std::vector<SynthTensor> &tensors = plan.tensors;
  for (size_t i = 0; i < tensors.size(); ++i) {
    uint64_t bytes = tensors[i].numBytes();
    if (tensors[i].values != SynthValues::Fp8Scales) {
      uint64_t unit = bytes;
      if (i + 1 < tensors.size() && tensors[i + 1].values == SynthValues::Fp8Scales)
        unit += tensors[i + 1].numBytes();
      if (inShard > 0 && inShard + unit > shardBytes) {
        ++shard;
        inShard = 0;
      }
    }
    plan.shardOf.push_back(shard);
    inShard += bytes;
    plan.totalBytes += bytes;
  }
  plan.shardCount = shard + 1;
}

} // namespace

llvm::Expected<std::vector<SynthTensor>> synthTensors(mlir::ModuleOp module) {
  std::vector<SynthTensor> tensors;
  llvm::StringSet<> seen;
  for (WeightOp weight : module.getOps<WeightOp>()) {
    WeightType type = weight.getWeightType();
    std::optional<DType> dtype = storedDType(type.getElementType());
    if (!dtype)
      return synthError(llvm::formatv("internal error: weight '{0}' has element type {1}, which "
                                      "synth cannot store",
                                      weight.getSymName(), type.getElementType()));
    bool stacked = weight.isStackedFromExperts();
    int64_t count = stacked ? type.getShape()[0] : 1;
    llvm::ArrayRef<int64_t> shape = stacked ? type.getShape().drop_front() : type.getShape();
    WeightLayoutAttrInterface layout = type.getLayout();
    llvm::SmallVector<int64_t> scaleShape = layout.getScaleShape(shape);
    std::optional<llvm::StringRef> scaleSource = weight.getScaleSource();
    if (!scaleShape.empty() &&
        (!scaleSource || !layout.getScaleElementType(module.getContext()).isF32()))
      return synthError(llvm::formatv("internal error: weight '{0}' has layout {1}, whose "
                                      "scales synth cannot store",
                                      weight.getSymName(), layout));
    for (int64_t e = 0; e < count; ++e) {
      std::string name = weight.getSourceFor(e);
      // Tied embeddings and the MTP layer's shared embedding are one tensor.
      if (!seen.insert(name).second)
        continue;
      tensors.push_back({name, *dtype, std::vector<int64_t>(shape.begin(), shape.end()),
                         valuesFor(name, shape.size(), *dtype)});
      if (!scaleShape.empty())
        tensors.push_back({expertSourceName(*scaleSource, e), DType::F32,
                           std::vector<int64_t>(scaleShape.begin(), scaleShape.end()),
                           SynthValues::Fp8Scales});
    }
  }
  return tensors;
}

llvm::Expected<SynthPlan> planSynth(mlir::MLIRContext &context, const SynthOptions &options) {
  SynthPlan plan;

  // 1. The config, through the importer: its errors are the import's (but
  //    for a missing path, which the importer words for `import`).
  if (!llvm::sys::fs::exists(options.configPath))
    return synthError(options.configPath + ": no such file or directory; synth needs a "
                                           "config.json, or a directory holding one");
  ImportOptions importOptions;
  importOptions.configOnly = true;
  llvm::Expected<ImportedModel> imported = importModel(context, options.configPath, importOptions);
  if (!imported)
    return imported.takeError();
  plan.configPath = imported->config.path;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> text =
      llvm::MemoryBuffer::getFile(plan.configPath, /*IsText=*/false);
  if (!text)
    return synthError(plan.configPath + ": cannot read: " + text.getError().message());
  plan.configText = (*text)->getBuffer().str();

  // 2. --dtype bf16 on an FP8 config: the tensors of the rewritten config.
  if (options.dtype == SynthDType::BF16 && imported->config.fp8) {
    plan.configText = bf16ConfigText(plan.configText);
    llvm::Expected<ImportedModel> rewritten =
        importConfigText(context, plan.configText, plan.configPath);
    if (!rewritten)
      return rewritten.takeError();
    *imported = std::move(*rewritten);
  }

  // 3. The tensors and their shards.
  llvm::Expected<std::vector<SynthTensor>> tensors = synthTensors(*imported->module);
  if (!tensors)
    return tensors.takeError();
  plan.tensors = std::move(*tensors);
  assignShards(plan, options.shardBytes);

  // 4. The tokenizer files, checked now so that nothing is written for a
  //    run that would fail at the end.
  if (!options.tokenizerDir.empty()) {
    for (llvm::StringRef file : {"tokenizer.json", "tokenizer_config.json"}) {
      llvm::SmallString<256> path(options.tokenizerDir);
      llvm::sys::path::append(path, file);
      if (!llvm::sys::fs::is_regular_file(path))
        return synthError(path + ": no such file; --tokenizer needs a directory with "
                                 "tokenizer.json and tokenizer_config.json");
      plan.tokenizerFiles.push_back(std::string(path));
    }
  }
  return plan;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

namespace {

/// Generation and write() work in chunks of this size: large enough that
/// system calls cost nothing, small enough to stay in cache.
constexpr size_t kChunkBytes = 4u << 20;

/// Progress lines only for models that take more than a moment.
constexpr uint64_t kProgressMinBytes = 100'000'000;

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// "3.55 GB", "12.3 MB", "512 bytes" (decimal units, as disk sizes are sold).
std::string formatBytes(uint64_t bytes) {
  if (bytes >= 1'000'000'000)
    return llvm::formatv("{0:F2} GB", bytes / 1e9);
  if (bytes >= 1'000'000)
    return llvm::formatv("{0:F1} MB", bytes / 1e6);
  if (bytes >= 1'000)
    return llvm::formatv("{0:F1} KB", bytes / 1e3);
  return llvm::formatv("{0} bytes", bytes);
}

/// Progress of the bytes written and the shards finished, for models over
/// kProgressMinBytes: a bar on a terminal, plain lines every 2 s otherwise.
class Progress {
public:
  Progress(llvm::raw_ostream *log, bool bar, uint64_t total, unsigned shards)
      : total_(total), shards_(shards) {
    if (log && total >= kProgressMinBytes)
      reporter_.emplace(*log, "r1c synth:", "shards", bar);
  }

  void update(uint64_t done, unsigned shardsDone) {
    if (reporter_)
      reporter_->update(done, total_, shardsDone, shards_);
  }

private:
  std::optional<ProgressReporter> reporter_;
  uint64_t total_;
  unsigned shards_;
};

/// The output directory: complete, or removed (with whatever this run wrote
/// into it) when destroyed before keep().
class OutputDirectory {
public:
  ~OutputDirectory() {
    if (kept_)
      return;
    for (auto it = files_.rbegin(); it != files_.rend(); ++it) {
      llvm::sys::fs::remove(*it);
      llvm::sys::DontRemoveFileOnSignal(*it);
    }
    if (created_)
      llvm::sys::fs::remove(dir_);
  }

  /// Creates `dir`, or accepts it when it is an empty directory.
  llvm::Error open(llvm::StringRef dir) {
    dir_ = dir.str();
    if (llvm::sys::fs::exists(dir)) {
      if (!llvm::sys::fs::is_directory(dir))
        return synthError(dir + ": exists and is not a directory; synth writes a new model "
                                "directory (pick another -o)");
      std::error_code ec;
      llvm::sys::fs::directory_iterator it(dir, ec), end;
      if (ec)
        return synthError(dir + ": cannot list the directory: " + ec.message());
      if (it != end)
        return synthError(dir + ": directory is not empty; synth writes into a new or empty "
                                "directory (remove it or pick another -o)");
      return llvm::Error::success();
    }
    // Permissions as mkdir -p gives them (the umask applies).
    if (std::error_code ec =
            llvm::sys::fs::create_directories(dir, /*IgnoreExisting=*/true, llvm::sys::fs::all_all))
      return synthError(dir + ": cannot create the directory: " + ec.message());
    created_ = true;
    return llvm::Error::success();
  }

  std::string path(llvm::StringRef file) const {
    llvm::SmallString<256> path(dir_);
    llvm::sys::path::append(path, file);
    return std::string(path);
  }

  /// `path` is complete; remove it if the run fails later (or is interrupted).
  void add(const std::string &path) {
    files_.push_back(path);
    llvm::sys::RemoveFileOnSignal(path);
  }

  void keep() {
    kept_ = true;
    for (const std::string &file : files_)
      llvm::sys::DontRemoveFileOnSignal(file);
  }

private:
  std::string dir_;
  bool created_ = false;
  bool kept_ = false;
  std::vector<std::string> files_;
};

std::string shardName(unsigned shard, unsigned count) {
  if (count == 1)
    return "model.safetensors";
  char name[64];
  std::snprintf(name, sizeof(name), "model-%05u-of-%05u.safetensors", shard + 1, count);
  return name;
}

llvm::Error writeText(OutputDirectory &out, llvm::StringRef file, llvm::StringRef text) {
  std::string path = out.path(file);
  if (llvm::Error err = writeFileAtomically(path, [&](llvm::raw_ostream &os) {
        os << text;
        return llvm::Error::success();
      }))
    return err;
  out.add(path);
  return llvm::Error::success();
}

/// model.safetensors.index.json as Hugging Face writes it: total_size is the
/// tensor bytes (headers excluded), weight_map sorted by tensor name.
std::string indexText(const SynthPlan &plan) {
  std::map<std::string, std::string> weightMap;
  for (size_t i = 0; i < plan.tensors.size(); ++i)
    weightMap[plan.tensors[i].name] = shardName(plan.shardOf[i], plan.shardCount);
  nlohmann::ordered_json index;
  index["metadata"]["total_size"] = plan.totalBytes;
  index["weight_map"] = nlohmann::ordered_json::object();
  for (const auto &[tensor, shard] : weightMap)
    index["weight_map"][tensor] = shard;
  return index.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

/// Generates and writes shard `shard` of `plan` in chunks.
llvm::Error writeShard(const SynthPlan &plan, const SynthOptions &options, unsigned shard,
                       OutputDirectory &out, std::vector<uint8_t> &chunk, uint64_t &done,
                       Progress &progress) {
  std::vector<SafetensorsEntry> entries;
  std::vector<const SynthTensor *> tensors;
  for (size_t i = 0; i < plan.tensors.size(); ++i) {
    if (plan.shardOf[i] != shard)
      continue;
    const SynthTensor &tensor = plan.tensors[i];
    entries.push_back({tensor.name, tensor.dtype, tensor.shape});
    tensors.push_back(&tensor);
  }
  std::string path = out.path(shardName(shard, plan.shardCount));
  llvm::Expected<std::unique_ptr<SafetensorsWriter>> writer =
      SafetensorsWriter::create(path, std::move(entries));
  if (!writer)
    return writer.takeError();

  size_t used = 0;
  auto flush = [&]() -> llvm::Error {
    if (llvm::Error err = (*writer)->write(llvm::ArrayRef<uint8_t>(chunk.data(), used)))
      return err;
    done += used;
    used = 0;
    progress.update(done, shard);
    return llvm::Error::success();
  };
  for (const SynthTensor *tensor : tensors) {
    uint64_t size = dtypeSize(tensor->dtype);
    uint64_t count = tensor->numElements();
    for (uint64_t first = 0; first < count;) {
      uint64_t room = (chunk.size() - used) / size;
      if (room == 0) {
        if (llvm::Error err = flush())
          return err;
        continue;
      }
      uint64_t n = std::min(room, count - first);
      synthElements(*tensor, options.seed, first, n, chunk.data() + used);
      used += n * size;
      first += n;
    }
  }
  if (llvm::Error err = flush())
    return err;
  if (llvm::Error err = (*writer)->commit())
    return err;
  out.add(path);
  return llvm::Error::success();
}

} // namespace

llvm::Error writeSynth(const SynthPlan &plan, const SynthOptions &options) {
  Clock::time_point start = Clock::now();

  // 1. The directory, and room for the model in it: better to stop now than
  //    after writing most of a large model.
  OutputDirectory out;
  if (llvm::Error err = out.open(options.outputDir))
    return err;
  llvm::ErrorOr<llvm::sys::fs::space_info> space = llvm::sys::fs::disk_space(options.outputDir);
  if (space && space->available < plan.totalBytes)
    return synthError(options.outputDir + ": the model needs " + formatBytes(plan.totalBytes) +
                      " but its file system has " + formatBytes(space->available) +
                      " free; free some space or pick another -o");

  // 2. The safetensors files, then the index, the config and the tokenizer.
  std::vector<uint8_t> chunk(kChunkBytes);
  uint64_t done = 0;
  Progress progress(options.log, options.progressBar, plan.totalBytes, plan.shardCount);
  for (unsigned shard = 0; shard < plan.shardCount; ++shard)
    if (llvm::Error err = writeShard(plan, options, shard, out, chunk, done, progress))
      return err;
  progress.update(done, plan.shardCount);
  if (plan.shardCount > 1)
    if (llvm::Error err = writeText(out, "model.safetensors.index.json", indexText(plan)))
      return err;
  if (llvm::Error err = writeText(out, "config.json", plan.configText))
    return err;
  for (const std::string &source : plan.tokenizerFiles) {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> bytes =
        llvm::MemoryBuffer::getFile(source, /*IsText=*/false);
    if (!bytes)
      return synthError(source + ": cannot read: " + bytes.getError().message());
    if (llvm::Error err = writeText(out, llvm::sys::path::filename(source), (*bytes)->getBuffer()))
      return err;
  }
  out.keep();

  if (options.log)
    *options.log << llvm::formatv("r1c synth: wrote {0} tensors, {1}, in {2} to {3} ({4:F1} s)\n",
                                  plan.tensors.size(), formatBytes(plan.totalBytes),
                                  plan.shardCount == 1
                                      ? std::string("model.safetensors")
                                      : llvm::formatv("{0} shards", plan.shardCount).str(),
                                  options.outputDir, secondsSince(start));
  return llvm::Error::success();
}

} // namespace r1
