//===- WeightPacker.cpp - Streaming packed weights into an artifact -------===//

#include "compiler/WeightPacker.h"

#include "compiler/WeightConverter.h"

#include "dialects/R1KernelPlan.h"
#include "runtime/ArtifactFormat.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"

#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <memory>

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
  if (element.isSignlessInteger(8))
    return "i8";
  if (element.isSignlessInteger(4))
    return "i4";
  std::string s;
  llvm::raw_string_ostream(s) << element;
  return s;
}

uint64_t bytesOf(r1::WeightType type) {
  uint64_t n = type.getElementType().getIntOrFloatBitWidth();
  for (int64_t d : type.getShape())
    n *= uint64_t(d);
  return n / 8; // int4 weights have an even number of columns
}

/// The manifest's "layout" of a packed weight that is not a head-rows selection.
std::string layoutOf(r1k::PackedWeightOp packed) {
  r1::WeightType type = packed.getWeightType();
  std::string stacked = packed.getAxis() ? ", sources stacked along axis " +
                                               std::to_string(packed.getAxis())
                                         : "";
  if (packed.getRowScales())
    return type.getElementType().isF32()
               ? "row-expanded block scales (128 columns)" + stacked
               : "group scales, " + std::to_string(type.getShape().back()) + " per row" + stacked;
  if (auto groups = dyn_cast<r1::GroupScaledLayoutAttr>(type.getLayout()))
    return std::string(type.getElementType().isSignlessInteger(4)
                           ? "int4 codes, two per byte (even column in the low nibble, q + 8)"
                           : "int8 codes") +
           ", one f16 scale per " + std::to_string(groups.getGroupSize()) + " columns" + stacked;
  return "row-major" + stacked;
}

} // namespace

uint64_t packedWeightBytes(ModuleOp plan) {
  uint64_t total = 0;
  for (auto weight : plan.getOps<r1k::PackedWeightOp>())
    total += bytesOf(weight.getWeightType());
  return total;
}

uint64_t decodeWeightBytesPerToken(ModuleOp plan) {
  llvm::StringMap<uint64_t> bytes;
  for (auto weight : plan.getOps<r1k::PackedWeightOp>())
    bytes[weight.getSymName()] = bytesOf(weight.getWeightType());
  uint64_t total = 0;
  plan.walk([&](r1k::LaunchOp launch) {
    auto kernel = SymbolTable::lookupNearestSymbolFrom<r1k::KernelOp>(launch,
                                                                      launch.getKernelAttr());
    if (!kernel)
      return;
    // The share of each weight one decode row reads: one row of the
    // embedding table, top_k of the stacked experts; MLA's absorbed decode
    // reads kv_b's value rows (v of each head's nope + v) and all of W_UK^T,
    // its materialized decode all of kv_b and no W_UK^T; all of the others.
    llvm::StringRef kind = kernel.getKind();
    size_t kvbWeights = kind == "mla" && kernel.getStr("wtype") == "f8" ? 2 : 1;
    size_t index = 0;
    for (auto weight : launch.getWeights().getAsRange<FlatSymbolRefAttr>()) {
      uint64_t num = 1, den = 1;
      if (kind == "embed") {
        den = uint64_t(kernel.getInt("vocab"));
      } else if (kind == "moe_experts") {
        num = uint64_t(kernel.getInt("top_k"));
        den = uint64_t(kernel.getInt("experts"));
      } else if (kind == "mla") {
        bool absorbed = kernel.getBool("decode_absorbed");
        if (index < kvbWeights && absorbed) {
          num = uint64_t(kernel.getInt("v"));
          den = uint64_t(kernel.getInt("nope") + kernel.getInt("v"));
        } else if (index >= kvbWeights && !absorbed) {
          num = 0;
        }
      }
      total += bytes.lookup(weight.getValue()) * num / den;
      ++index;
    }
  });
  return total;
}

namespace {

/// One contiguous piece of a packed weight's source, as the packed type
/// stores it: a checkpoint tensor (converted on the fly when the packed
/// element type is wider), or row-expanded block scales built here.
struct Part {
  llvm::ArrayRef<uint8_t> data; // in the source's element type (mapped: only its size is used)
  std::string path;             // the safetensors file, read with pread
  std::string name;             // the checkpoint tensor
  uint64_t fileOffset = 0;      // of the tensor's first byte
  int64_t inBytes = 4, outBytes = 4;
  bool bf16 = false;            // conversion to f32, when inBytes != outBytes
  std::vector<float> owned;     // row-expanded scales
  /// `r1c compile --quant`: the rows are converted (data holds all of them).
  std::shared_ptr<RowConversion> convert;
  uint64_t packedBytes() const {
    if (convert)
      return data.size() / convert->inRowBytes() * convert->outRowBytes();
    return data.size() / inBytes * outBytes;
  }
};

/// The checkpoint tensor `name` (one expert's, for stacked weights).
llvm::Expected<CheckpointTensor> findTensor(const Checkpoint &checkpoint, const std::string &name) {
  CheckpointTensor tensor = checkpoint.find(name);
  if (!tensor.info)
    return fail(checkpoint.path() + ": tensor '" + name + "' is missing");
  return tensor;
}

/// The safetensors dtype of an MLIR element type of a checkpoint weight.
DType dtypeFromMlir(Type element) {
  if (element.isBF16())
    return DType::BF16;
  if (element.isF16())
    return DType::F16;
  if (isa<Float8E4M3FNType>(element))
    return DType::F8E4M3;
  return DType::F32;
}

/// Reads `bytes` at `offset` of `fd` entirely.
bool readAll(int fd, void *out, uint64_t bytes, uint64_t offset) {
  uint64_t got = 0;
  while (got < bytes) {
    ssize_t n = ::pread(fd, static_cast<char *>(out) + got, bytes - got, off_t(offset + got));
    if (n <= 0)
      return false;
    got += uint64_t(n);
  }
  return true;
}

float e4m3ToF32(uint8_t code) {
  return llvm::APFloat(llvm::APFloat::Float8E4M3FN(), llvm::APInt(8, code)).convertToFloat();
}

/// What the packed weight `packed` keeps of a converted source (see
/// r1.weight's `from`): the codes or the scales of the new type.
RowConversion conversionFor(r1k::PackedWeightOp packed, r1::WeightOp source) {
  RowConversion c;
  r1::WeightType to = source.getWeightType(), from = source.getSourceType();
  Type fromElement = from.getElementType();
  c.from = dtypeFromMlir(fromElement);
  c.cols = to.getShape().back();
  if (auto blocks = dyn_cast<r1::BlockScaledLayoutAttr>(from.getLayout())) {
    c.blockRows = blocks.getBlock().front();
    c.blockCols = blocks.getBlock().back();
  }
  if (auto groups = dyn_cast<r1::GroupScaledLayoutAttr>(to.getLayout())) {
    c.to = packed.getRowScales() ? WeightEncoding::IntScales : WeightEncoding::IntCodes;
    c.bits = int(to.getElementType().getIntOrFloatBitWidth());
    c.group = groups.getGroupSize();
  } else if (isa<Float8E4M3FNType>(to.getElementType())) {
    c.to = packed.getRowScales() ? WeightEncoding::Fp8Scales : WeightEncoding::Fp8Codes;
  } else {
    c.to = WeightEncoding::Bf16;
  }
  return c;
}

/// The bytes of a head_rows packed weight (see r1k.packed_weight): rows
/// O .. O + N of every group of P rows of a [R, C] source, optionally each
/// group transposed, as the source's codes, as f32 (converted or FP8
/// dequantized with its block scales), or as their row-expanded scales.
/// Such weights are small (MLA's W_UK^T: 8 MiB per R1 layer), so the whole
/// source is read at once.
llvm::Expected<std::vector<uint8_t>>
packHeadRows(r1k::PackedWeightOp packed, r1::WeightOp source, const Checkpoint &checkpoint,
             const std::function<llvm::Expected<int>(const std::string &)> &openFile) {
  llvm::ArrayRef<int64_t> rows = *packed.getHeadRows();
  const int64_t period = rows[0], offset = rows[1], count = rows[2];
  const bool transpose = packed.getTranspose(), rowScales = packed.getRowScales();
  r1::WeightType type = source.getWeightType();
  const int64_t R = type.getShape()[0], C = type.getShape()[1], groups = R / period;
  Type from = type.getElementType(), to = packed.getWeightType().getElementType();
  const int64_t inBytes = from.getIntOrFloatBitWidth() / 8;

  auto readTensor = [&](const std::string &name, DType dtype,
                        uint64_t bytes) -> llvm::Expected<std::vector<uint8_t>> {
    llvm::Expected<CheckpointTensor> tensor = findTensor(checkpoint, name);
    if (!tensor)
      return tensor.takeError();
    if (tensor->info->dtype != dtype || tensor->file->data(*tensor->info).size() != bytes)
      return fail(tensor->file->path() + ": tensor '" + name + "' is not " +
                  llvm::Twine(bytes) + " bytes of the expected type");
    llvm::Expected<int> fd = openFile(tensor->file->path().str());
    if (!fd)
      return fd.takeError();
    std::vector<uint8_t> data(bytes);
    if (!readAll(*fd, data.data(), bytes,
                 tensor->file->header().dataOffset + tensor->info->begin))
      return fail(tensor->file->path() + ": cannot read tensor '" + name + "'");
    return data;
  };

  // Block scales of an FP8 source: [ceil(R / br), ceil(C / bc)] f32.
  std::vector<float> scales;
  int64_t blockRows = 1, blockCols = 1, scaleCols = 0;
  auto blocks = dyn_cast<r1::BlockScaledLayoutAttr>(type.getLayout());
  if (blocks) {
    blockRows = blocks.getBlock().front();
    blockCols = blocks.getBlock().back();
    scaleCols = (C + blockCols - 1) / blockCols;
    uint64_t bytes = uint64_t((R + blockRows - 1) / blockRows * scaleCols * 4);
    llvm::Expected<std::vector<uint8_t>> raw =
        readTensor(source.getScaleSource()->str(), DType::F32, bytes);
    if (!raw)
      return raw.takeError();
    scales.resize(bytes / 4);
    std::memcpy(scales.data(), raw->data(), bytes);
  }
  auto scaleAt = [&](int64_t r, int64_t c) {
    return scales[size_t(r / blockRows * scaleCols + c / blockCols)];
  };
  // Source row and column of element (i, j) of group g's selected block.
  auto sourceRow = [&](int64_t g, int64_t i) { return g * period + offset + i; };

  std::vector<uint8_t> out;
  if (rowScales) {
    if (!blocks)
      return fail("weight '" + source.getSymName().str() + "' has no scale tensor");
    // One scale per 128 columns of each result row.
    const int64_t outRows = transpose ? groups * C : groups * count;
    const int64_t outCols = transpose ? count : C, outBlocks = (outCols + 127) / 128;
    std::vector<float> expanded(size_t(outRows * outBlocks));
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t a = 0; a < (transpose ? C : count); ++a)
        for (int64_t k = 0; k < outBlocks; ++k)
          expanded[size_t(((g * (transpose ? C : count)) + a) * outBlocks + k)] =
              transpose ? scaleAt(sourceRow(g, k * 128), a) : scaleAt(sourceRow(g, a), k * 128);
    out.resize(expanded.size() * 4);
    std::memcpy(out.data(), expanded.data(), out.size());
    return out;
  }

  llvm::Expected<std::vector<uint8_t>> codes =
      readTensor(source.getSource().str(), dtypeFromMlir(from), uint64_t(R * C * inBytes));
  if (!codes)
    return codes.takeError();
  const bool toF32 = from != to;
  const int64_t outBytes = toF32 ? 4 : inBytes;
  out.resize(size_t(groups * count * C * outBytes));
  auto element = [&](int64_t r, int64_t c, uint8_t *dst) {
    const uint8_t *src = codes->data() + (r * C + c) * inBytes;
    if (!toF32) {
      std::memcpy(dst, src, size_t(inBytes));
      return;
    }
    float value;
    if (blocks) {
      value = e4m3ToF32(*src) * scaleAt(r, c);
    } else if (from.isBF16() || from.isF16()) {
      uint16_t bits;
      std::memcpy(&bits, src, 2);
      value = from.isBF16() ? bf16ToF32(bits) : f16ToF32(bits);
    } else {
      std::memcpy(&value, src, 4);
    }
    std::memcpy(dst, &value, 4);
  };
  int64_t at = 0;
  for (int64_t g = 0; g < groups; ++g) {
    if (transpose) {
      for (int64_t c = 0; c < C; ++c)
        for (int64_t i = 0; i < count; ++i, ++at)
          element(sourceRow(g, i), c, out.data() + at * outBytes);
    } else {
      for (int64_t i = 0; i < count; ++i)
        for (int64_t c = 0; c < C; ++c, ++at)
          element(sourceRow(g, i), c, out.data() + at * outBytes);
    }
  }
  return out;
}

} // namespace

llvm::Expected<nlohmann::json> packWeights(ModuleOp plan, const Checkpoint &checkpoint,
                                           runtime::ArtifactWriter &writer,
                                           const PackProgress &progress) {
  constexpr uint64_t kChunkBytes = 16u << 20;
  const uint64_t total = packedWeightBytes(plan);
  uint64_t done = 0, weightsDone = 0;
  const uint64_t weightsTotal = uint64_t(llvm::range_size(plan.getOps<r1k::PackedWeightOp>()));
  auto report = [&] {
    if (progress)
      progress({done, total, weightsDone, weightsTotal});
  };
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

  // Writes [begin, end) (whole rows, in bytes of the packed type) of a
  // part whose rows are converted, a few MiB of checkpoint rows at a time.
  std::vector<uint8_t> convertedRows;
  auto writeConvertedRange = [&](const Part &part, uint64_t begin, uint64_t end) -> llvm::Error {
    const RowConversion &c = *part.convert;
    const uint64_t outRow = c.outRowBytes(), inRow = c.inRowBytes();
    if (begin % outRow != 0 || end % outRow != 0)
      return fail(part.path + ": a converted weight splits inside a row");
    const uint64_t rowsPerChunk = std::max<uint64_t>(1, kChunkBytes / inRow);
    llvm::Expected<int> fd = openFile(part.path);
    if (!fd)
      return fd.takeError();
    for (uint64_t row = begin / outRow; row < end / outRow; row += rowsPerChunk) {
      uint64_t rows = std::min(rowsPerChunk, end / outRow - row);
      staging.resize(rows * inRow);
      if (!readAll(*fd, staging.data(), rows * inRow, part.fileOffset + row * inRow))
        return fail(part.path + ": cannot read rows " + llvm::Twine(row) + ".." +
                    llvm::Twine(row + rows));
      ::posix_fadvise(*fd, off_t(part.fileOffset + row * inRow), off_t(rows * inRow),
                      POSIX_FADV_DONTNEED);
      convertedRows.resize(rows * outRow);
      if (llvm::Error err = c.convert(int64_t(row), int64_t(rows), staging.data(),
                                      convertedRows.data()))
        return fail(part.path + ": converting '" + part.name + "': " +
                    llvm::toString(std::move(err)));
      if (llvm::Error err = status(writer.write(convertedRows.data(), convertedRows.size())))
        return err;
      done += rows * outRow;
      report();
    }
    return llvm::Error::success();
  };

  // Writes [begin, end) (bytes of the packed type) of `part`, converting.
  auto writeRange = [&](const Part &part, uint64_t begin, uint64_t end) -> llvm::Error {
    if (part.convert)
      return writeConvertedRange(part, begin, end);
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
      report();
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

    if (packed.getHeadRows()) {
      auto source = plan.lookupSymbol<r1::WeightOp>(
          cast<FlatSymbolRefAttr>(packed.getSources()[0]));
      if (source.getFrom())
        return fail("weight '" + source.getSymName().str() +
                    "' is converted (--quant) and selected by head rows, which r1c cannot pack");
      llvm::Expected<std::vector<uint8_t>> bytes =
          packHeadRows(packed, source, checkpoint, openFile);
      if (!bytes)
        return bytes.takeError();
      if (bytes->size() != bytesOf(type))
        return fail("weight '" + packed.getSymName().str() + "': packed " +
                    llvm::Twine(bytes->size()) + " bytes, the plan expects " +
                    llvm::Twine(bytesOf(type)));
      if (llvm::Error err = status(writer.write(bytes->data(), bytes->size())))
        return std::move(err);
      done += bytes->size();
      ++weightsDone;
      report();
      llvm::ArrayRef<int64_t> rows = *packed.getHeadRows();
      std::string layout = "rows " + std::to_string(rows[1]) + ".." +
                           std::to_string(rows[1] + rows[2]) + " of every " +
                           std::to_string(rows[0]) +
                           (packed.getTranspose() ? ", each head transposed" : "");
      if (rowScales)
        layout += "; row-expanded block scales (128 columns)";
      else if (type.getElementType().isF32() &&
               isa<r1::BlockScaledLayoutAttr>(source.getWeightType().getLayout()))
        layout += "; FP8 dequantized (the split is not on 128-row scale blocks)";
      list.push_back({{"name", packed.getSymName().str()},
                      {"dtype", rowScales ? std::string("f32") : dtypeOf(to)},
                      {"shape", type.getShape().vec()},
                      {"offset", offset},
                      {"bytes", bytesOf(type)},
                      {"layout", layout},
                      {"sources", {source.getSource().str()}},
                      {"role", "step"}});
      continue;
    }

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
      // Converted weights (--quant) compute their scales from their values.
      const bool converted = bool(source.getFrom());
      if (rowScales && !converted && !source.getScaleSource())
        return fail("weight '" + source.getSymName().str() + "' has no scale tensor");
      std::string pattern = rowScales && !converted ? source.getScaleSource()->str()
                                                    : source.getSource().str();
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
        part.name = name;
        part.fileOffset = tensor->file->header().dataOffset + tensor->info->begin;
        if (converted) {
          // --quant: codes or scales computed from the checkpoint's rows.
          const std::string &codesName = name;
          llvm::Expected<CheckpointTensor> &codes = tensor;
          auto convert = std::make_shared<RowConversion>(conversionFor(packed, source));
          int64_t rows = 1;
          for (int64_t d : partShape.drop_back())
            rows *= d;
          if (codes->info->dtype != convert->from ||
              codes->file->data(*codes->info).size() != uint64_t(rows) * convert->inRowBytes())
            return fail(codes->file->path() + ": tensor '" + codesName + "' is not " +
                        llvm::Twine(rows) + " rows of " + llvm::Twine(convert->cols) + " " +
                        std::string(dtypeName(convert->from)));
          if (convert->from == DType::F8E4M3) {
            std::string scaleName = stacked
                                        ? r1::expertSourceName(*source.getScaleSource(), e)
                                        : source.getScaleSource()->str();
            llvm::Expected<CheckpointTensor> scaleTensor = findTensor(checkpoint, scaleName);
            if (!scaleTensor)
              return scaleTensor.takeError();
            uint64_t count = uint64_t((rows + convert->blockRows - 1) / convert->blockRows *
                                      ((convert->cols + convert->blockCols - 1) / convert->blockCols));
            if (scaleTensor->info->dtype != DType::F32 ||
                scaleTensor->file->data(*scaleTensor->info).size() != count * 4)
              return fail(scaleTensor->file->path() + ": scale tensor '" + scaleName +
                          "' is not " + llvm::Twine(count) + " f32 values");
            convert->blockScales.resize(count);
            llvm::Expected<int> fd = openFile(scaleTensor->file->path().str());
            if (!fd)
              return fd.takeError();
            if (!readAll(*fd, convert->blockScales.data(), count * 4,
                         scaleTensor->file->header().dataOffset + scaleTensor->info->begin))
              return fail(scaleTensor->file->path() + ": cannot read scale tensor '" +
                          scaleName + "'");
          }
          part.convert = std::move(convert);
        } else if (rowScales) {
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
                    {"dtype", dtypeOf(to)},
                    {"shape", type.getShape().vec()},
                    {"offset", offset},
                    {"bytes", bytesOf(type)},
                    {"layout", layoutOf(packed)},
                    {"sources", sources},
                    {"role", packed.getMtp() ? "mtp (kept for speculative decoding; no step reads it)"
                                             : "step"}});
    ++weightsDone;
    report();
  }
  return list;
}

} // namespace r1
