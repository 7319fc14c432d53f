//===- DType.cpp - Element types of checkpoint tensors --------------------===//
//
// One table drives parsing, printing and sizes, so the three cannot disagree.
//
//===----------------------------------------------------------------------===//
#include "compiler/DType.h"

#include <array>

namespace r1 {
namespace {

struct DTypeEntry {
  DType dtype;
  std::string_view name;
  int64_t size;
};

// Ordered as the enum, so dtypeName/dtypeSize index it directly.
constexpr std::array<DTypeEntry, 15> kDTypes = {{
    {DType::Bool, "BOOL", 1},
    {DType::U8, "U8", 1},
    {DType::I8, "I8", 1},
    {DType::I16, "I16", 2},
    {DType::U16, "U16", 2},
    {DType::I32, "I32", 4},
    {DType::U32, "U32", 4},
    {DType::I64, "I64", 8},
    {DType::U64, "U64", 8},
    {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},
    {DType::F32, "F32", 4},
    {DType::F64, "F64", 8},
    {DType::F8E4M3, "F8_E4M3", 1},
    {DType::F8E5M2, "F8_E5M2", 1},
}};

constexpr bool tableMatchesEnum() {
  for (size_t i = 0; i < kDTypes.size(); ++i)
    if (static_cast<size_t>(kDTypes[i].dtype) != i)
      return false;
  return true;
}
static_assert(tableMatchesEnum(), "kDTypes must list DType in enum order");

} // namespace

std::optional<DType> parseDType(std::string_view name) {
  for (const DTypeEntry &entry : kDTypes)
    if (entry.name == name)
      return entry.dtype;
  return std::nullopt;
}

std::string_view dtypeName(DType dtype) { return kDTypes[static_cast<size_t>(dtype)].name; }

int64_t dtypeSize(DType dtype) { return kDTypes[static_cast<size_t>(dtype)].size; }

} // namespace r1
