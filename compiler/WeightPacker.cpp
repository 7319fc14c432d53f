//===- WeightPacker.cpp - Streaming packed weights into an artifact -------===//

#include "compiler/WeightPacker.h"

#include "dialects/R1KernelPlan.h"
#include "runtime/ArtifactFormat.h"

#include "llvm/ADT/StringExtras.h"

#include <fcntl.h>
#include <unistd.h>

#include <map>

#include <cerrno>
#include <cstring>
#include <vector>

namespace r1 {

using namespace mlir;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

float bf16ToF32(uint16_t bits) {
  uint32_t word = uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &word, 4);
  return f;
}

float f16ToF32(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  uint32_t word;
  if (exponent == 0x1f) {
    word = sign | 0x7f800000 | (mantissa << 13); // inf / nan
  } else if (exponent != 0) {
    word = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    word = sign;
  } else { // subnormal: normalize
    int shift = 0;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      ++shift;
    }
    word = sign | (uint32_t(113 - shift) << 23) | ((mantissa & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &word, 4);
  return f;
}

std::string dtypeOf(Type element) {
  if (element.isBF16())
    return "bf16";
  if (element.isF16())
    return "f16";
  if (element.isF32())
    return "f32";
  if (isa<Float8E4M3FNType>(element))
    return "f8_e4m3";
  std::string s;
  llvm::raw_string_ostream(s) << element;
  return s;
}

uint64_t bytesOf(r1::WeightType type) {
  uint64_t n = type.getElementType().getIntOrFloatBitWidth() / 8;
  for (int64_t d : type.getShape())
    n *= uint64_t(d);
  return n;
}

} // namespace

uint64_t packedWeightBytes(ModuleOp plan) {
  uint64_t total = 0;
  for (auto weight : plan.getOps<r1k::PackedWeightOp>())
    total += bytesOf(weight.getWeightType());
  return total;
}

namespace {

/// One contiguous piece of a packed weight's source, as the packed type
/// stores it: a checkpoint tensor (converted on the fly when the packed
/// element type is wider), or row-expanded block scales built here.
struct Part {
  llvm::ArrayRef<uint8_t> data; // in the source's element type (mapped: only its size is used)
  std::string path;             // the safetensors file, read with pread
  uint64_t fileOffset = 0;      // of the tensor's first byte
  int64_t inBytes = 4, outBytes = 4;
  bool bf16 = false;            // conversion to f32, when inBytes != outBytes
  std::vector<float> owned;     // row-expanded scales
  uint64_t packedBytes() const { return data.size() / inBytes * outBytes; }
};

/// The checkpoint tensor `name` (one expert's, for stacked weights).
llvm::Expected<CheckpointTensor> findTensor(const Checkpoint &checkpoint, const std::string &name) {
  CheckpointTensor tensor = checkpoint.find(name);
  if (!tensor.info)
    return fail(checkpoint.path() + ": tensor '" + name + "' is missing");
  return tensor;
}

} // namespace

llvm::Expected<nlohmann::json> packWeights(ModuleOp plan, const Checkpoint &checkpoint,
                                           runtime::ArtifactWriter &writer,
                                           const PackProgress &progress) {
  constexpr uint64_t kChunkBytes = 16u << 20;
  const uint64_t total = packedWeightBytes(plan);
  uint64_t done = 0;
  std::vector<float> converted;
  nlohmann::json list = nlohmann::json::array();
  auto status = [&](const runtime::Status &s) -> llvm::Error {
    return s.ok() ? llvm::Error::success() : fail(s.message());
  };

  std::vector<uint8_t> staging;
  std::map<std::string, int> files;
  struct CloseFiles {
    std::map<std::string, int> &files;
    ~CloseFiles() {
      for (auto &[path, fd] : files)
        ::close(fd);
    }
  } closeFiles{files};
  auto openFile = [&](const std::string &path) -> llvm::Expected<int> {
    if (auto it = files.find(path); it != files.end())
      return it->second;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return fail(path + ": " + std::strerror(errno));
    files[path] = fd;
    return fd;
  };

  // Writes [begin, end) (bytes of the packed type) of `part`, converting.
  auto writeRange = [&](const Part &part, uint64_t begin, uint64_t end) -> llvm::Error {
    for (uint64_t at = begin; at < end; at += kChunkBytes) {
      uint64_t bytes = std::min<uint64_t>(kChunkBytes, end - at);
      uint64_t inAt = at / part.outBytes * part.inBytes, inBytes = bytes / part.outBytes * part.inBytes;
      const uint8_t *chunk = part.data.data() + inAt;
      if (part.owned.empty()) {
        // Read instead of touching the mapping: mapped pages would count
        // against r1c's memory until the kernel reclaims them.
        llvm::Expected<int> fd = openFile(part.path);
        if (!fd)
          return fd.takeError();
        staging.resize(inBytes);
        uint64_t got = 0;
        while (got < inBytes) {
          ssize_t n = ::pread(*fd, staging.data() + got, inBytes - got,
                              off_t(part.fileOffset + inAt + got));
          if (n <= 0)
            return fail(part.path + ": read failed at byte " +
                        llvm::Twine(part.fileOffset + inAt + got) +
                        (n < 0 ? ": " + llvm::Twine(std::strerror(errno)) : llvm::Twine(": file ends")));
          got += uint64_t(n);
        }
        // Drop what was read from the page cache too: a 700 GB model is read once.
        ::posix_fadvise(*fd, off_t(part.fileOffset + inAt), off_t(inBytes), POSIX_FADV_DONTNEED);
        chunk = staging.data();
      }
      runtime::Status written;
      if (part.inBytes == part.outBytes) {
        written = writer.write(chunk, bytes);
      } else {
        uint64_t count = inBytes / 2;
        converted.resize(count);
        for (uint64_t i = 0; i < count; ++i) {
          uint16_t bits;
          std::memcpy(&bits, chunk + i * 2, 2);
          converted[i] = part.bf16 ? bf16ToF32(bits) : f16ToF32(bits);
        }
        written = writer.write(converted.data(), count * 4);
      }
      if (llvm::Error err = status(written))
        return err;
      done += bytes;
      if (progress)
        progress(done, total);
    }
    return llvm::Error::success();
  };

  for (auto packed : plan.getOps<r1k::PackedWeightOp>()) {
    r1::WeightType type = packed.getWeightType();
    Type to = type.getElementType();
    int64_t axis = packed.getAxis();
    bool rowScales = packed.getRowScales();
    if (llvm::Error err = status(writer.pad(runtime::kWeightAlignment)))
      return std::move(err);
    uint64_t offset = writer.currentSectionOffset();
    nlohmann::json sources = nlohmann::json::array();

    // 1. Every source as a list of parts (one per expert for stacked weights).
    std::vector<std::vector<Part>> parts;
    std::vector<uint64_t> chunkBytes; // packed bytes of one slice along `axis`
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= type.getShape()[d];
    for (Attribute ref : packed.getSources()) {
      auto source = plan.lookupSymbol<r1::WeightOp>(cast<FlatSymbolRefAttr>(ref));
      r1::WeightType sourceType = source.getWeightType();
      Type from = sourceType.getElementType();
      if (rowScales && !source.getScaleSource())
        return fail("weight '" + source.getSymName().str() + "' has no scale tensor");
      std::string pattern = rowScales ? source.getScaleSource()->str() : source.getSource().str();
      bool stacked = llvm::StringRef(pattern).contains(r1::kExpertPlaceholder);
      int64_t count = stacked ? sourceType.getShape()[0] : 1;
      llvm::ArrayRef<int64_t> partShape =
          stacked ? sourceType.getShape().drop_front() : sourceType.getShape();
      std::vector<Part> list;
      for (int64_t e = 0; e < count; ++e) {
        std::string name = stacked ? r1::expertSourceName(pattern, e) : pattern;
        llvm::Expected<CheckpointTensor> tensor = findTensor(checkpoint, name);
        if (!tensor)
          return tensor.takeError();
        Part part;
        part.data = tensor->file->data(*tensor->info);
        part.path = tensor->file->path().str();
        part.fileOffset = tensor->file->header().dataOffset + tensor->info->begin;
        if (rowScales) {
          // [ceil(R / bn), ceil(C / 128)] f32 -> one row of scales per weight row.
          auto blocks = cast<r1::BlockScaledLayoutAttr>(sourceType.getLayout());
          int64_t rows = partShape.drop_back().empty() ? 1 : partShape.drop_back().back();
          int64_t blockRows = blocks.getBlock().front();
          int64_t cols = (partShape.back() + 127) / 128;
          uint64_t expected = uint64_t((rows + blockRows - 1) / blockRows * cols * 4);
          if (tensor->info->dtype != DType::F32 || part.data.size() != expected)
            return fail(tensor->file->path() + ": scale tensor '" + name + "' is not f32 [" +
                        llvm::Twine((rows + blockRows - 1) / blockRows) + ", " +
                        llvm::Twine(cols) + "]");
          // Read the (small) scale tensor with pread too: touching the
          // mapping would leave its pages resident in r1c.
          std::vector<float> blockScales(expected / 4);
          llvm::Expected<int> fd = openFile(tensor->file->path().str());
          if (!fd)
            return fd.takeError();
          uint64_t at = tensor->file->header().dataOffset + tensor->info->begin;
          if (::pread(*fd, blockScales.data(), expected, off_t(at)) != ssize_t(expected))
            return fail(tensor->file->path() + ": cannot read scale tensor '" + name + "'");
          part.owned.resize(size_t(rows * cols));
          for (int64_t r = 0; r < rows; ++r)
            std::memcpy(&part.owned[size_t(r * cols)], &blockScales[size_t((r / blockRows) * cols)],
                        size_t(cols * 4));
          part.data = llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(part.owned.data()),
                                              part.owned.size() * 4);
          part.inBytes = part.outBytes = 4;
        } else {
          part.inBytes = from.getIntOrFloatBitWidth() / 8;
          part.outBytes = to.getIntOrFloatBitWidth() / 8;
          part.bf16 = from.isBF16();
          if (part.inBytes != part.outBytes && !from.isBF16() && !from.isF16())
            return fail("cannot convert tensor '" + name + "' to " + dtypeOf(to));
          int64_t elements = 1;
          for (int64_t d : partShape)
            elements *= d;
          if (part.data.size() != uint64_t(elements * part.inBytes))
            return fail(tensor->file->path() + ": tensor '" + name + "' has " +
                        llvm::Twine(part.data.size()) + " bytes, the plan expects " +
                        llvm::Twine(elements * part.inBytes));
        }
        sources.push_back(name);
        list.push_back(std::move(part));
      }
      uint64_t sourceBytes = 0;
      for (const Part &part : list)
        sourceBytes += part.packedBytes();
      if (sourceBytes % uint64_t(outer) != 0)
        return fail("weight '" + packed.getSymName().str() + "' does not split along its axis");
      chunkBytes.push_back(sourceBytes / uint64_t(outer));
      parts.push_back(std::move(list));
    }

    // 2. Interleave: for each index before `axis`, each source's slice.
    for (int64_t o = 0; o < outer; ++o) {
      for (size_t s = 0; s < parts.size(); ++s) {
        uint64_t begin = uint64_t(o) * chunkBytes[s], end = begin + chunkBytes[s], base = 0;
        for (const Part &part : parts[s]) {
          uint64_t size = part.packedBytes();
          uint64_t from = std::max(begin, base), until = std::min(end, base + size);
          if (from < until)
            if (llvm::Error err = writeRange(part, from - base, until - base))
              return std::move(err);
          base += size;
        }
      }
    }
    list.push_back({{"name", packed.getSymName().str()},
                    {"dtype", rowScales ? std::string("f32") : dtypeOf(to)},
                    {"shape", type.getShape().vec()},
                    {"offset", offset},
                    {"bytes", bytesOf(type)},
                    {"layout", rowScales ? "row-expanded block scales (128 columns)"
                                         : axis ? "row-major, sources stacked along axis " +
                                                      std::to_string(axis)
                                                : std::string("row-major")},
                    {"sources", sources},
                    {"role", packed.getMtp() ? "mtp (kept for speculative decoding; no step reads it)"
                                             : "step"}});
  }
  return list;
}

} // namespace r1
