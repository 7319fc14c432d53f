//===- WeightConverterTest.cpp - --quant's conversion of weight rows ------===//
//
// compiler/WeightConverter against values worked out by hand and against the
// storage contract the kernels read (codegen/host/kernels/Exec.h): int4 codes
// two per byte with the even column in the low nibble as q + 8, int8 codes in
// two's complement, f16 group scales of amax / qmax, FP8 1x128 blocks of amax
// / 448, BF16 rounded to nearest even; FP8 sources dequantized with their
// block scales first; non-finite values and f16 overflow refused.
//
//===----------------------------------------------------------------------===//
#include "compiler/WeightConverter.h"

#include "llvm/ADT/APFloat.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace {

using r1::DType;
using r1::RowConversion;
using r1::WeightEncoding;

std::vector<uint8_t> bytesOf(const std::vector<float> &values) {
  std::vector<uint8_t> out(values.size() * 4);
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

float f16(uint16_t bits) {
  return llvm::APFloat(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits)).convertToFloat();
}

std::vector<uint8_t> convert(const RowConversion &c, int64_t rows, const std::vector<uint8_t> &in) {
  std::vector<uint8_t> out(size_t(rows) * c.outRowBytes(), 0xAA);
  llvm::Error err = c.convert(0, rows, in.data(), out.data());
  EXPECT_FALSE(bool(err)) << llvm::toString(std::move(err));
  return out;
}

RowConversion intConversion(WeightEncoding to, int bits, int64_t cols, int64_t group) {
  RowConversion c;
  c.from = DType::F32;
  c.cols = cols;
  c.to = to;
  c.bits = bits;
  c.group = group;
  return c;
}

TEST(WeightConverter, Int4CodesAndScalesFollowTheKernelsLayout) {
  // One row, two groups of 32: the first spans -7..7 x 0.5, the second is 0.
  std::vector<float> row(64, 0.0f);
  for (int k = 0; k < 32; ++k)
    row[size_t(k)] = float((k % 15) - 7) * 0.5f;
  RowConversion codes = intConversion(WeightEncoding::IntCodes, 4, 64, 32);
  RowConversion scales = intConversion(WeightEncoding::IntScales, 4, 64, 32);
  EXPECT_EQ(codes.outRowBytes(), 32u);
  EXPECT_EQ(scales.outRowBytes(), 4u);
  std::vector<uint8_t> q = convert(codes, 1, bytesOf(row));
  std::vector<uint8_t> s = convert(scales, 1, bytesOf(row));
  uint16_t s0, s1;
  std::memcpy(&s0, &s[0], 2);
  std::memcpy(&s1, &s[2], 2);
  EXPECT_EQ(f16(s0), 0.5f); // amax 3.5 / 7
  EXPECT_EQ(f16(s1), 0.0f);
  for (int k = 0; k < 64; ++k) {
    int nibble = k % 2 == 0 ? q[size_t(k / 2)] & 0xf : q[size_t(k / 2)] >> 4;
    float value = float(nibble - 8) * (k < 32 ? 0.5f : 0.0f);
    EXPECT_EQ(value, row[size_t(k)]) << "column " << k;
    if (k >= 32)
      EXPECT_EQ(nibble, 8) << "a zero group codes 0 (nibble 8)";
  }
}

TEST(WeightConverter, Int8RoundsToTheNearestCodeOfTheF16Scale) {
  std::vector<float> row(32);
  for (int k = 0; k < 32; ++k)
    row[size_t(k)] = std::sin(float(k)) * 0.03f;
  RowConversion codes = intConversion(WeightEncoding::IntCodes, 8, 32, 32);
  RowConversion scales = intConversion(WeightEncoding::IntScales, 8, 32, 32);
  std::vector<uint8_t> q = convert(codes, 1, bytesOf(row));
  std::vector<uint8_t> s = convert(scales, 1, bytesOf(row));
  uint16_t bits;
  std::memcpy(&bits, s.data(), 2);
  float scale = f16(bits);
  float amax = 0;
  for (float v : row)
    amax = std::max(amax, std::fabs(v));
  EXPECT_NEAR(scale, amax / 127, amax / 127 * 1e-3);
  for (int k = 0; k < 32; ++k) {
    float value = float(int8_t(q[size_t(k)])) * scale;
    EXPECT_LE(std::fabs(value - row[size_t(k)]), scale / 2 * 1.0001f) << "column " << k;
  }
}

TEST(WeightConverter, Fp8SourcesAreDequantizedWithTheirBlockScales) {
  // Two rows of 4 e4m3 codes of 1.0 (0x38) and 2.0 (0x40), blocks of [1, 2]
  // with scales 1, 2 / 3, 4: BF16 holds the products exactly.
  RowConversion c;
  c.from = DType::F8E4M3;
  c.cols = 4;
  c.blockRows = 1;
  c.blockCols = 2;
  c.blockScales = {1, 2, 3, 4};
  c.to = WeightEncoding::Bf16;
  std::vector<uint8_t> in = {0x38, 0x40, 0x38, 0x40, 0x38, 0x38, 0x40, 0x40};
  std::vector<uint8_t> out = convert(c, 2, in);
  const float expected[8] = {1, 2, 2, 4, 3, 3, 8, 8};
  for (int i = 0; i < 8; ++i) {
    uint16_t bits;
    std::memcpy(&bits, &out[size_t(2 * i)], 2);
    EXPECT_EQ(std::bit_cast<float>(uint32_t(bits) << 16), expected[i]) << "element " << i;
  }
}

TEST(WeightConverter, Bf16RoundsToNearestEven) {
  RowConversion c;
  c.from = DType::F32;
  c.cols = 3;
  c.to = WeightEncoding::Bf16;
  // 1 + 2^-8 ties to 1 (even); 1 + 3 * 2^-8 ties up to 1 + 2^-6; 1 + 2^-8 + 2^-20 rounds up.
  std::vector<float> row = {1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, 1.0f + 0x1p-8f + 0x1p-20f};
  std::vector<uint8_t> out = convert(c, 1, bytesOf(row));
  const float expected[3] = {1.0f, 1.0f + 0x1p-6f, 1.0f + 0x1p-7f};
  for (int i = 0; i < 3; ++i) {
    uint16_t bits;
    std::memcpy(&bits, &out[size_t(2 * i)], 2);
    EXPECT_EQ(std::bit_cast<float>(uint32_t(bits) << 16), expected[i]) << "element " << i;
  }
}

TEST(WeightConverter, Fp8BlocksOf128) {
  std::vector<float> row(200);
  for (int k = 0; k < 200; ++k)
    row[size_t(k)] = float(k - 100) / 64.0f;
  RowConversion codes;
  codes.from = DType::F32;
  codes.cols = 200;
  codes.to = WeightEncoding::Fp8Codes;
  RowConversion scales = codes;
  scales.to = WeightEncoding::Fp8Scales;
  EXPECT_EQ(scales.outRowBytes(), 8u); // two blocks: 128 + 72 columns
  std::vector<uint8_t> q = convert(codes, 1, bytesOf(row));
  std::vector<uint8_t> s = convert(scales, 1, bytesOf(row));
  float blockScale[2];
  std::memcpy(blockScale, s.data(), 8);
  EXPECT_FLOAT_EQ(blockScale[0], (100.0f / 64) / 448);
  EXPECT_FLOAT_EQ(blockScale[1], (99.0f / 64) / 448);
  for (int k = 0; k < 200; ++k) {
    float code = llvm::APFloat(llvm::APFloat::Float8E4M3FN(), llvm::APInt(8, q[size_t(k)]))
                     .convertToFloat();
    float value = code * blockScale[k / 128];
    // e4m3 keeps 3 mantissa bits: within 2^-4 relative (and its subnormals).
    EXPECT_NEAR(value, row[size_t(k)], std::fabs(row[size_t(k)]) / 16 + blockScale[k / 128] / 256)
        << "column " << k;
  }
}

TEST(WeightConverter, RefusesWhatCannotBeQuantized) {
  RowConversion codes = intConversion(WeightEncoding::IntCodes, 4, 32, 32);
  std::vector<float> row(32, 1.0f);
  row[5] = std::numeric_limits<float>::quiet_NaN();
  std::vector<uint8_t> out(codes.outRowBytes());
  llvm::Error err = codes.convert(3, 1, bytesOf(row).data(), out.data());
  ASSERT_TRUE(bool(err));
  EXPECT_EQ(llvm::toString(std::move(err)),
            "row 3, column 5 is not finite, which cannot be quantized");
  // amax / 7 above f16's 65504.
  std::vector<float> huge(32, 1e6f);
  err = codes.convert(0, 1, bytesOf(huge).data(), out.data());
  ASSERT_TRUE(bool(err));
  EXPECT_EQ(llvm::toString(std::move(err)), "a group's scale does not fit f16 (largest 65504 x 7)");
}

} // namespace
