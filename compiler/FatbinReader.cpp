//===- FatbinReader.cpp - Listing a fatbin's images -----------------------===//
//
// Layout (little-endian), as CUDA 13.0's fatbinary writes it:
//   header (16 bytes): u32 magic 0xBA55ED50, u16 version 1, u16 header size
//                      (16), u64 bytes of images that follow
//   image header:      u16 kind (1 PTX, 2 cubin), u16 version, u32 header
//                      size (64, 80 for PTX, 112 for sm_100 cubins), u64
//                      payload size (padded to 8), ..., u32 SM number at
//                      offset 28 (80, 89, 90), u64 flags at offset 40 (0x8000:
//                      payload compressed; 0x100000: the arch-specific "a"
//                      target, e.g. sm_90a)
//   payload:           right after the image header
//
//===----------------------------------------------------------------------===//

#include "compiler/FatbinReader.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Endian.h"

namespace r1 {

namespace {

constexpr uint32_t kFatbinMagic = 0xBA55ED50;
constexpr uint64_t kFlagCompressed = 0x8000;
constexpr uint64_t kFlagArchSpecific = 0x100000;
constexpr size_t kMinImageHeader = 48;

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "fatbin: " + message);
}

template <typename T> T read(llvm::ArrayRef<char> bytes, size_t offset) {
  return llvm::support::endian::read<T, llvm::endianness::little>(bytes.data() + offset);
}

} // namespace

llvm::Expected<std::vector<FatbinImage>> readFatbinImages(llvm::ArrayRef<char> bytes) {
  if (bytes.size() < 16)
    return fail("shorter than its 16-byte header (" + llvm::Twine(bytes.size()) + " bytes)");
  if (uint32_t magic = read<uint32_t>(bytes, 0); magic != kFatbinMagic)
    return fail("bad magic 0x" + llvm::utohexstr(magic) + "; expected 0xBA55ED50");
  if (uint16_t version = read<uint16_t>(bytes, 4); version != 1)
    return fail("version " + llvm::Twine(version) + "; expected 1");
  uint64_t headerSize = read<uint16_t>(bytes, 6);
  uint64_t end = headerSize + read<uint64_t>(bytes, 8);
  if (headerSize < 16 || end > bytes.size())
    return fail("header says " + llvm::Twine(end) + " bytes but the file has " +
                llvm::Twine(bytes.size()));

  std::vector<FatbinImage> images;
  for (uint64_t at = headerSize; at < end;) {
    if (end - at < kMinImageHeader)
      return fail("image header at offset " + llvm::Twine(at) + " runs past the end");
    uint16_t kind = read<uint16_t>(bytes, at);
    uint32_t imageHeaderSize = read<uint32_t>(bytes, at + 4);
    uint64_t payload = read<uint64_t>(bytes, at + 8);
    uint32_t sm = read<uint32_t>(bytes, at + 28);
    uint64_t flags = read<uint64_t>(bytes, at + 40);
    if (imageHeaderSize < kMinImageHeader || payload > end - at - imageHeaderSize)
      return fail("image at offset " + llvm::Twine(at) + " runs past the end");
    FatbinImage image;
    image.kind = kind == 1 ? "ptx" : kind == 2 ? "cubin" : "kind " + std::to_string(kind);
    image.arch = "sm_" + std::to_string(sm) + ((flags & kFlagArchSpecific) ? "a" : "");
    image.payloadBytes = payload;
    image.payloadOffset = at + imageHeaderSize;
    image.compressed = (flags & kFlagCompressed) != 0;
    images.push_back(std::move(image));
    at += imageHeaderSize + payload;
  }
  return images;
}

} // namespace r1
