//===- CudaResources.cpp - Reading ptxas -v; occupancy arithmetic ---------===//

#include "compiler/CudaResources.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <optional>

namespace r1 {

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Error lineError(size_t lineNo, llvm::StringRef line, llvm::StringRef what) {
  return fail("ptxas -v output, line " + llvm::Twine(lineNo) + ": " + what + ": '" + line.trim() +
              "'");
}

/// "380 bytes cmem[0]" -> 380 and "bytes cmem[0]". False when the item does
/// not start with a number.
bool leadingNumber(llvm::StringRef item, int64_t &value, llvm::StringRef &rest) {
  item = item.trim();
  llvm::StringRef digits = item.take_while(llvm::isDigit);
  if (digits.empty() || digits.getAsInteger(10, value))
    return false;
  rest = item.drop_front(digits.size()).trim();
  return true;
}

/// The text between the first pair of single quotes in `text`.
std::optional<llvm::StringRef> quoted(llvm::StringRef text) {
  size_t open = text.find('\'');
  if (open == llvm::StringRef::npos)
    return std::nullopt;
  size_t close = text.find('\'', open + 1);
  if (close == llvm::StringRef::npos)
    return std::nullopt;
  return text.slice(open + 1, close);
}

} // namespace

llvm::Expected<std::vector<KernelResources>> parsePtxasVerbose(llvm::StringRef text) {
  std::vector<KernelResources> functions;
  std::optional<size_t> entry;      // the entry being compiled: its "Used" line follows
  std::optional<size_t> properties; // named by the last "Function properties for"
  std::string target;

  llvm::SmallVector<llvm::StringRef> lines;
  text.split(lines, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    llvm::StringRef line = lines[i].trim();
    size_t lineNo = i + 1;
    // "ptxas info    : <body>"; the stack-frame line has no prefix.
    llvm::StringRef body = line;
    if (line.starts_with("ptxas"))
      body = line.split(':').second.trim();

    if (body.consume_front("Compiling entry function ")) {
      std::optional<llvm::StringRef> name = quoted(body);
      size_t forAt = body.find(" for ");
      std::optional<llvm::StringRef> arch =
          forAt == llvm::StringRef::npos ? std::nullopt : quoted(body.drop_front(forAt));
      if (!name || !arch)
        return lineError(lineNo, line, "expected Compiling entry function 'NAME' for 'sm_XX'");
      target = arch->str();
      KernelResources kernel;
      kernel.name = name->str();
      kernel.target = target;
      kernel.isEntry = true;
      functions.push_back(std::move(kernel));
      entry = functions.size() - 1;
      properties.reset();
      continue;
    }

    if (body.consume_front("Function properties for ")) {
      llvm::StringRef name = body.trim();
      if (entry && functions[*entry].name == name) {
        properties = entry;
        continue;
      }
      // A device function ptxas did not inline (a call in the SASS).
      KernelResources function;
      function.name = name.str();
      function.target = target;
      functions.push_back(std::move(function));
      properties = functions.size() - 1;
      continue;
    }

    if (body.contains("bytes stack frame")) {
      if (!properties)
        return lineError(lineNo, line, "a stack frame line without 'Function properties for'");
      KernelResources &f = functions[*properties];
      llvm::SmallVector<llvm::StringRef> items;
      body.split(items, ',');
      for (llvm::StringRef item : items) {
        int64_t value = 0;
        llvm::StringRef what;
        if (!leadingNumber(item, value, what))
          return lineError(lineNo, line, "expected 'N bytes ...' items");
        if (what == "bytes stack frame")
          f.stackFrameBytes = value;
        else if (what == "bytes spill stores")
          f.spillStoreBytes = value;
        else if (what == "bytes spill loads")
          f.spillLoadBytes = value;
      }
      continue;
    }

    if (body.consume_front("Used ")) {
      if (!entry)
        return lineError(lineNo, line, "a 'Used' line before any 'Compiling entry function'");
      KernelResources &k = functions[*entry];
      llvm::SmallVector<llvm::StringRef> items;
      body.split(items, ',');
      for (llvm::StringRef item : items) {
        item = item.trim();
        item.consume_front("used "); // "used 1 barriers"
        int64_t value = 0;
        llvm::StringRef what;
        if (!leadingNumber(item, value, what))
          return lineError(lineNo, line,
                           "expected 'N registers', 'used N barriers' or 'N bytes ...'");
        if (what == "registers")
          k.registers = value;
        else if (what == "barriers")
          k.barriers = value;
        else if (what == "bytes smem")
          k.staticSmemBytes = value;
        else if (what.starts_with("bytes cmem["))
          k.constantBytes += value;
        else if (what == "bytes cumulative stack size")
          k.cumulativeStackBytes = value;
        // Others (textures, samplers, surfaces) do not limit occupancy.
      }
      continue;
    }
    // "Compile time = ...", "Overriding maximum register limit ...",
    // "0 bytes gmem, ...": not per-kernel resources.
  }
  return functions;
}

namespace {

// The allocation rules of compute capabilities 8.x and 9.0, as CUDA 13.0's
// occupancy calculator states them (include/cuda_occupancy.h).
constexpr int64_t kWarpSize = 32;
constexpr int64_t kMaxThreadsPerBlock = 1024;
constexpr int64_t kMaxRegistersPerThread = 255;
/// Registers are given to warps in units of 256 (cudaOccRegAllocationGranularity).
constexpr int64_t kRegisterUnit = 256;
/// An SM's register file is split over 4 sub-partitions, each holding whole
/// warps (cudaOccSubPartitionsPerMultiprocessor).
constexpr int64_t kSubPartitions = 4;
/// Shared memory is given to blocks in units of 128 bytes
/// (cudaOccSMemAllocationGranularity).
constexpr int64_t kSmemUnit = 128;
/// What the driver keeps per block from sm_80 on
/// (cudaDevAttrReservedSharedMemoryPerBlock).
constexpr int64_t kReservedSmemPerBlock = 1024;

int64_t roundUp(int64_t x, int64_t unit) { return (x + unit - 1) / unit * unit; }

} // namespace

llvm::Expected<Occupancy> occupancy(const KernelResources &kernel, int64_t threadsPerBlock,
                                    const TargetSpec &target, int64_t dynamicSmemBytes) {
  if (!target.isGpu || target.registersPerSm <= 0 || target.maxThreadsPerSm <= 0)
    return fail("occupancy: target '" + target.name + "' is not a GPU");
  if (!kernel.isEntry)
    return fail("occupancy: '" + kernel.name + "' is a device function, not a kernel");
  if (threadsPerBlock < 1 || threadsPerBlock > kMaxThreadsPerBlock)
    return fail("occupancy: threads per block must be 1.." + llvm::Twine(kMaxThreadsPerBlock) +
                ", got " + llvm::Twine(threadsPerBlock));
  if (dynamicSmemBytes < 0)
    return fail("occupancy: dynamic shared memory must not be negative");

  Occupancy o;
  o.threadsPerBlock = threadsPerBlock;
  o.warpsPerBlock = (threadsPerBlock + kWarpSize - 1) / kWarpSize;
  o.maxWarpsPerSm = target.maxThreadsPerSm / kWarpSize;
  std::vector<std::string> noFit;

  // 1. Warp slots and the resident-block limit.
  o.blocksByWarps = o.maxWarpsPerSm / o.warpsPerBlock;
  o.blocksByBlockLimit = target.maxBlocksPerSm;

  // 2. Registers: whole 256-register units per warp; warps fill the four
  //    sub-partitions separately, so a block's warps are counted as a multiple
  //    of 4 when checked against the per-block limit (the register file).
  int64_t registersPerWarp = roundUp(kernel.registers * kWarpSize, kRegisterUnit);
  o.registersPerBlock = registersPerWarp * o.warpsPerBlock;
  int64_t registersChecked = registersPerWarp * roundUp(o.warpsPerBlock, kSubPartitions);
  if (kernel.registers > kMaxRegistersPerThread || registersChecked > target.registersPerSm) {
    o.blocksByRegisters = 0;
    noFit.push_back(llvm::formatv("{0} registers x {1} threads exceed the {2} registers of an SM",
                                  kernel.registers, threadsPerBlock, target.registersPerSm)
                        .str());
  } else if (registersPerWarp == 0) {
    o.blocksByRegisters = o.blocksByBlockLimit; // no register limit; never named as binding
  } else {
    int64_t warpsPerSubPartition = target.registersPerSm / kSubPartitions / registersPerWarp;
    o.blocksByRegisters = warpsPerSubPartition * kSubPartitions / o.warpsPerBlock;
  }

  // 3. Shared memory: static + dynamic + the reserved 1 KB, in 128-byte units,
  //    against the largest carveout of the SM.
  int64_t smemUsed = kernel.staticSmemBytes + dynamicSmemBytes + kReservedSmemPerBlock;
  o.smemPerBlockBytes = roundUp(smemUsed, kSmemUnit);
  if (o.smemPerBlockBytes > target.maxSmemPerBlockBytes + kReservedSmemPerBlock) {
    o.blocksBySmem = 0;
    noFit.push_back(llvm::formatv("{0} bytes of shared memory per block exceed the {1} a block "
                                  "may use",
                                  kernel.staticSmemBytes + dynamicSmemBytes,
                                  target.maxSmemPerBlockBytes)
                        .str());
  } else {
    o.blocksBySmem = target.smemPerSmBytes / o.smemPerBlockBytes;
  }

  // 4. The least of the four; name what binds.
  o.blocksPerSm =
      std::min({o.blocksByWarps, o.blocksByBlockLimit, o.blocksByRegisters, o.blocksBySmem});
  o.activeWarpsPerSm = o.blocksPerSm * o.warpsPerBlock;
  o.fraction = double(o.activeWarpsPerSm) / double(o.maxWarpsPerSm);
  if (o.blocksPerSm == 0) {
    o.limiter = llvm::join(noFit, "; ");
    return o;
  }
  std::vector<std::string> binding;
  if (o.blocksByRegisters == o.blocksPerSm && registersPerWarp > 0)
    binding.push_back("registers");
  if (o.blocksBySmem == o.blocksPerSm)
    binding.push_back("shared memory");
  if (o.blocksByWarps == o.blocksPerSm)
    binding.push_back("warps");
  if (o.blocksByBlockLimit == o.blocksPerSm)
    binding.push_back("blocks");
  o.limiter = llvm::join(binding, ", ");
  return o;
}

} // namespace r1
