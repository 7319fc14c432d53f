//===- FatbinReaderTest.cpp - Listing the images of a fatbin --------------===//
//
// Fatbins built here byte by byte with the header fields CUDA 13.0's
// fatbinary writes (compiler/FatbinReader.cpp); the lit test
// codegen/cuda-toolchain.test reads real ones.
//
//===----------------------------------------------------------------------===//

#include "compiler/FatbinReader.h"

#include <gtest/gtest.h>

#include <cstring>

namespace r1 {
namespace {

template <typename T> void put(std::vector<char> &bytes, size_t at, T value) {
  if (bytes.size() < at + sizeof(T))
    bytes.resize(at + sizeof(T));
  std::memcpy(bytes.data() + at, &value, sizeof(T)); // the tests run little-endian
}

/// Appends an image: a 64-byte header (80 for PTX, as fatbinary writes) and
/// `payload` bytes.
void addImage(std::vector<char> &bytes, uint16_t kind, uint32_t sm, uint64_t flags,
              uint64_t payload) {
  size_t at = bytes.size();
  uint32_t headerSize = kind == 1 ? 80 : 64;
  bytes.resize(at + headerSize + payload, '\0');
  put<uint16_t>(bytes, at, kind);
  put<uint16_t>(bytes, at + 2, 0x0101);
  put<uint32_t>(bytes, at + 4, headerSize);
  put<uint64_t>(bytes, at + 8, payload);
  put<uint32_t>(bytes, at + 28, sm);
  put<uint64_t>(bytes, at + 40, flags);
}

std::vector<char> fatbin() {
  std::vector<char> bytes(16, '\0');
  put<uint32_t>(bytes, 0, 0xBA55ED50);
  put<uint16_t>(bytes, 4, 1);
  put<uint16_t>(bytes, 6, 16);
  addImage(bytes, 2, 80, 0x11, 13408);     // cubin
  addImage(bytes, 1, 80, 0x8011, 1584);    // compressed PTX
  addImage(bytes, 2, 90, 0x100011, 10304); // sm_90a cubin
  addImage(bytes, 1, 90, 0x108011, 1584);  // sm_90a PTX
  put<uint64_t>(bytes, 8, bytes.size() - 16);
  return bytes;
}

TEST(FatbinReader, ListsCubinAndPtxPerTarget) {
  std::vector<char> bytes = fatbin();
  llvm::Expected<std::vector<FatbinImage>> images = readFatbinImages(bytes);
  ASSERT_TRUE(bool(images)) << llvm::toString(images.takeError());
  ASSERT_EQ(images->size(), 4u);
  EXPECT_EQ((*images)[0].kind, "cubin");
  EXPECT_EQ((*images)[0].arch, "sm_80");
  EXPECT_EQ((*images)[0].payloadBytes, 13408u);
  EXPECT_FALSE((*images)[0].compressed);
  EXPECT_EQ((*images)[1].kind, "ptx");
  EXPECT_TRUE((*images)[1].compressed);
  EXPECT_EQ((*images)[2].arch, "sm_90a");
  EXPECT_EQ((*images)[3].kind, "ptx");
  EXPECT_EQ((*images)[3].arch, "sm_90a");
}

TEST(FatbinReader, MalformedFatbinsAreErrors) {
  auto error = [](std::vector<char> bytes) {
    llvm::Expected<std::vector<FatbinImage>> images = readFatbinImages(bytes);
    return images ? std::string("no error") : llvm::toString(images.takeError());
  };
  EXPECT_EQ(error({}), "fatbin: shorter than its 16-byte header (0 bytes)");
  std::vector<char> bytes = fatbin();
  put<uint32_t>(bytes, 0, 0x7f454c46);
  EXPECT_EQ(error(bytes), "fatbin: bad magic 0x7F454C46; expected 0xBA55ED50");
  bytes = fatbin();
  bytes.pop_back();
  EXPECT_EQ(error(bytes), "fatbin: header says 27184 bytes but the file has 27183");
  bytes = fatbin();
  put<uint64_t>(bytes, 16 + 8, 1u << 20); // the first image's payload
  EXPECT_EQ(error(bytes), "fatbin: image at offset 16 runs past the end");
}

} // namespace
} // namespace r1
