//===- WeightPacker.cpp - Streaming packed weights into an artifact -------===//

#include "compiler/WeightPacker.h"

#include "dialects/R1KernelPlan.h"
#include "runtime/ArtifactFormat.h"

#include "llvm/ADT/StringExtras.h"

#include <sys/mman.h>
#include <unistd.h>

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

/// Drops the fully consumed pages of [data, data + bytes) from this process:
/// the checkpoint is mapped, and without this a 700 GB model would fill the
/// page cache charged to r1c.
void releasePages(const uint8_t *data, uint64_t bytes) {
  static const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
  uintptr_t begin = (uintptr_t(data) + page - 1) / page * page;
  uintptr_t end = (uintptr_t(data) + bytes) / page * page;
  if (end > begin)
    madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
}

} // namespace

uint64_t packedWeightBytes(ModuleOp plan) {
  uint64_t total = 0;
  for (auto weight : plan.getOps<r1k::PackedWeightOp>())
    total += bytesOf(weight.getWeightType());
  return total;
}

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

  for (auto packed : plan.getOps<r1k::PackedWeightOp>()) {
    r1::WeightType type = packed.getWeightType();
    Type to = type.getElementType();
    if (llvm::Error err = status(writer.pad(runtime::kWeightAlignment)))
      return std::move(err);
    uint64_t offset = writer.currentSectionOffset();
    nlohmann::json sources = nlohmann::json::array();

    for (Attribute ref : packed.getSources()) {
      auto source = plan.lookupSymbol<r1::WeightOp>(cast<FlatSymbolRefAttr>(ref));
      std::string name = source.getSource().str();
      if (llvm::StringRef(name).contains(r1::kExpertPlaceholder))
        return fail("weight '" + name + "' is stacked over experts, which the host backend does "
                                        "not pack yet");
      CheckpointTensor tensor = checkpoint.find(name);
      if (!tensor.info)
        return fail(checkpoint.path() + ": tensor '" + name + "' is missing");
      sources.push_back(name);
      Type from = source.getWeightType().getElementType();
      uint64_t expected = bytesOf(source.getWeightType());
      llvm::ArrayRef<uint8_t> data = tensor.file->data(*tensor.info);
      if (data.size() != expected)
        return fail(tensor.file->path() + ": tensor '" + name + "' has " +
                    llvm::Twine(data.size()) + " bytes, the plan expects " +
                    llvm::Twine(expected));

      // Stream it in chunks, converting when the packed type differs.
      uint64_t elementBytes = from.getIntOrFloatBitWidth() / 8;
      for (uint64_t at = 0; at < data.size(); at += kChunkBytes) {
        uint64_t bytes = std::min<uint64_t>(kChunkBytes, data.size() - at);
        const uint8_t *chunk = data.data() + at;
        runtime::Status written;
        if (from == to) {
          written = writer.write(chunk, bytes);
        } else {
          uint64_t count = bytes / elementBytes;
          converted.resize(count);
          for (uint64_t i = 0; i < count; ++i) {
            uint16_t bits;
            std::memcpy(&bits, chunk + i * 2, 2);
            converted[i] = from.isBF16() ? bf16ToF32(bits) : f16ToF32(bits);
          }
          if (!from.isBF16() && !from.isF16())
            return fail("cannot convert tensor '" + name + "' from " + dtypeOf(from) + " to " +
                        dtypeOf(to));
          written = writer.write(converted.data(), count * 4);
        }
        if (llvm::Error err = status(written))
          return std::move(err);
        releasePages(chunk, bytes);
        done += bytes * (to.getIntOrFloatBitWidth() / 8) / elementBytes;
        if (progress)
          progress(done, total);
      }
    }
    list.push_back({{"name", packed.getSymName().str()},
                    {"dtype", dtypeOf(to)},
                    {"shape", type.getShape().vec()},
                    {"offset", offset},
                    {"bytes", bytesOf(type)},
                    {"layout", "row-major"},
                    {"sources", sources}});
  }
  return list;
}

} // namespace r1
