//===- WeightConverter.cpp - Compile-time conversion of weight rows -------===//

#include "compiler/WeightConverter.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/Twine.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>

namespace r1 {

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

float bf16ToF32(uint16_t bits) { return std::bit_cast<float>(uint32_t(bits) << 16); }

/// f32 -> bf16, round to nearest even; NaN stays NaN.
uint16_t f32ToBf16(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  if (std::isnan(value))
    return uint16_t((bits >> 16) | 0x40);
  return uint16_t((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

float convertWithApFloat(const llvm::fltSemantics &semantics, uint64_t bits, unsigned width) {
  return llvm::APFloat(semantics, llvm::APInt(width, bits)).convertToFloat();
}

/// f32 -> the bits of `semantics` (f16, e4m3fn), round to nearest even.
uint64_t encodeWithApFloat(const llvm::fltSemantics &semantics, float value) {
  llvm::APFloat f(value);
  bool lost = false;
  f.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &lost);
  return f.bitcastToAPInt().getZExtValue();
}

/// Every f16 and every e4m3fn bit pattern as f32, built once with APFloat:
/// a table lookup per element instead of an APFloat conversion, which made
/// converting a 16 GB FP8 checkpoint take 20 minutes.
const std::vector<float> &f16Table() {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    for (uint32_t bits = 0; bits < 65536; ++bits)
      t[bits] = convertWithApFloat(llvm::APFloat::IEEEhalf(), bits, 16);
    return t;
  }();
  return table;
}

const std::array<float, 256> &e4m3Table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (uint32_t bits = 0; bits < 256; ++bits)
      t[bits] = convertWithApFloat(llvm::APFloat::Float8E4M3FN(), bits, 8);
    return t;
  }();
  return table;
}

/// One checkpoint row as f32.
void decodeRow(const RowConversion &c, int64_t row, const uint8_t *in, float *out) {
  switch (c.from) {
  case DType::BF16:
    for (int64_t k = 0; k < c.cols; ++k) {
      uint16_t bits;
      std::memcpy(&bits, in + 2 * k, 2);
      out[k] = bf16ToF32(bits);
    }
    return;
  case DType::F16: {
    const std::vector<float> &f16 = f16Table();
    for (int64_t k = 0; k < c.cols; ++k) {
      uint16_t bits;
      std::memcpy(&bits, in + 2 * k, 2);
      out[k] = f16[bits];
    }
    return;
  }
  case DType::F8E4M3: { // the block scale changes every blockCols columns
    const std::array<float, 256> &e4m3 = e4m3Table();
    int64_t scaleCols = (c.cols + c.blockCols - 1) / c.blockCols;
    const float *scales = &c.blockScales[size_t(row / c.blockRows * scaleCols)];
    for (int64_t k0 = 0; k0 < c.cols; k0 += c.blockCols) {
      float scale = scales[k0 / c.blockCols];
      for (int64_t k = k0; k < std::min(c.cols, k0 + c.blockCols); ++k)
        out[k] = e4m3[in[k]] * scale;
    }
    return;
  }
  default: // F32
    std::memcpy(out, in, size_t(c.cols) * 4);
    return;
  }
}

float absMax(const float *values, int64_t count) {
  float m = 0.0f;
  for (int64_t i = 0; i < count; ++i)
    m = std::max(m, std::fabs(values[i]));
  return m;
}

} // namespace

uint64_t RowConversion::inRowBytes() const { return uint64_t(cols) * uint64_t(dtypeSize(from)); }

uint64_t RowConversion::outRowBytes() const {
  switch (to) {
  case WeightEncoding::Bf16:
    return uint64_t(cols) * 2;
  case WeightEncoding::Fp8Codes:
    return uint64_t(cols);
  case WeightEncoding::Fp8Scales:
    return uint64_t((cols + 127) / 128) * 4;
  case WeightEncoding::IntCodes:
    return uint64_t(cols) * uint64_t(bits) / 8;
  case WeightEncoding::IntScales:
    return uint64_t(cols / group) * 2;
  }
  return 0;
}

llvm::Error RowConversion::convert(int64_t firstRow, int64_t rows, const uint8_t *in,
                                   uint8_t *out) const {
  std::vector<float> row(static_cast<size_t>(cols));
  const int64_t qmax = bits == 8 ? 127 : 7, qmin = bits == 8 ? -127 : -8;
  for (int64_t r = 0; r < rows; ++r) {
    decodeRow(*this, firstRow + r, in + uint64_t(r) * inRowBytes(), row.data());
    uint8_t *dst = out + uint64_t(r) * outRowBytes();
    if (to != WeightEncoding::Bf16)
      for (int64_t k = 0; k < cols; ++k)
        if (!std::isfinite(row[size_t(k)]))
          return fail("row " + llvm::Twine(firstRow + r) + ", column " + llvm::Twine(k) +
                      " is not finite, which cannot be quantized");
    switch (to) {
    case WeightEncoding::Bf16:
      for (int64_t k = 0; k < cols; ++k) {
        uint16_t bits16 = f32ToBf16(row[size_t(k)]);
        std::memcpy(dst + 2 * k, &bits16, 2);
      }
      break;
    case WeightEncoding::Fp8Codes:
    case WeightEncoding::Fp8Scales:
      for (int64_t k0 = 0; k0 < cols; k0 += 128) {
        int64_t n = std::min<int64_t>(128, cols - k0);
        // 448 is e4m3fn's largest finite value.
        float scale = absMax(&row[size_t(k0)], n) / 448.0f;
        if (to == WeightEncoding::Fp8Scales) {
          std::memcpy(dst + k0 / 128 * 4, &scale, 4);
          continue;
        }
        for (int64_t k = k0; k < k0 + n; ++k)
          dst[k] = scale == 0.0f ? 0
                                 : uint8_t(encodeWithApFloat(llvm::APFloat::Float8E4M3FN(),
                                                             row[size_t(k)] / scale));
      }
      break;
    case WeightEncoding::IntCodes:
    case WeightEncoding::IntScales:
      for (int64_t k0 = 0; k0 < cols; k0 += group) {
        // The scale the kernels will read: rounded to f16 first, so that the
        // codes are chosen against it.
        uint16_t scaleBits = uint16_t(
            encodeWithApFloat(llvm::APFloat::IEEEhalf(), absMax(&row[size_t(k0)], group) / float(qmax)));
        float scale = f16Table()[scaleBits];
        if (!std::isfinite(scale))
          return fail("a group's scale does not fit f16 (largest 65504 x " +
                      llvm::Twine(qmax) + ")");
        if (to == WeightEncoding::IntScales) {
          std::memcpy(dst + k0 / group * 2, &scaleBits, 2);
          continue;
        }
        for (int64_t k = k0; k < k0 + group; ++k) {
          int64_t q = scale == 0.0f ? 0 : int64_t(std::lround(row[size_t(k)] / scale));
          q = std::clamp(q, qmin, qmax);
          if (bits == 8) {
            dst[k] = uint8_t(int8_t(q));
          } else {
            uint8_t nibble = uint8_t(q + 8);
            uint8_t &byte = dst[k / 2];
            byte = k % 2 == 0 ? uint8_t((byte & 0xf0) | nibble) : uint8_t((byte & 0x0f) | (nibble << 4));
          }
        }
      }
      break;
    }
  }
  return llvm::Error::success();
}

} // namespace r1
