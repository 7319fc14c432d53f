//===- TargetSpecs.cpp - The table of target figures ----------------------===//

#include "compiler/TargetSpecs.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace r1 {

namespace {

constexpr double kGB = 1e9;
constexpr double kTB = 1e12;
constexpr double kGFlop = 1e9;
constexpr double kTFlop = 1e12;
constexpr uint64_t kGiB = 1ULL << 30;
constexpr uint64_t kDecimalGB = 1000ULL * 1000 * 1000;

// The host: AMD EPYC Zen 4, 2 cores, 24 GiB (the machine this project builds
// and benchmarks on). Bandwidth is the project's measured median (see
// docs/building.md, "33.7 GB/s"). Peak FLOP/s is arithmetic, not measured:
// Zen 4 has two 256-bit FMA pipes per core and runs AVX-512 as two halves, so
// one core retires 2 pipes x 8 f32 lanes x 2 FLOP = 32 f32 FLOP per cycle;
// at an assumed 3.0 GHz on 2 cores that is 192 GFLOP/s f32. VDPBF16PS does
// twice the multiply-adds per lane, so 384 GFLOP/s with AVX512-BF16. (The
// often-quoted 2 x 16-lane figure would double both; the project's measured
// 104 t/s BF16 prefill of Qwen-1.5B, ~320 GFLOP/s, sits under 384 and above
// what 192 would allow for f32, which is why the table uses these.)
// host-x86-64-v3 is the same machine without AVX-512: AVX2 FMA on the same
// two pipes keeps the f32 peak, and BF16 falls back to f32 arithmetic.
//
// The GPUs' per-SM limits are those of the compute capability (8.0, 8.9,
// 9.0, 10.0), from the CUDA C++ Programming Guide's "Technical Specifications per
// Compute Capability" table: 64K 32-bit registers per SM on all four; at most
// 2048 / 1536 / 2048 / 2048 resident threads and 32 / 24 / 32 / 32 resident
// blocks per SM; shared memory per SM (the largest carveout) 164 / 100 / 228 /
// 228 KB, of which one block may use 163 / 99 / 227 / 227 KB (CUDA reserves
// 1 KB per block). The block
// limits and carveouts are also what CUDA 13.0's occupancy calculator encodes
// (include/cuda_occupancy.h: cudaOccMaxBlocksPerMultiprocessor,
// cudaOccAlignUpShmemSizeVoltaPlus), and the Ampere tuning guide lists the
// A100's carveouts "0, 8, 16, 32, 64, 100, 132 or 164 KB per SM".
// Tensor cores: mma.sync BF16 from sm_80, FP8 (e4m3/e5m2) mma.sync from sm_89,
// the warpgroup wgmma only on sm_90a, and Blackwell's tcgen05 (with FP4) only
// on sm_100a; the kernels use mma.sync on every target (docs/cuda.md).
// sm_100a's device is the HGX B200 (148 SMs, 180 GB of HBM3e at 8 TB/s;
// dense FP32 80, BF16 2250, FP8 4500 TFLOP/s at 1000 W).
const std::vector<TargetSpec> kSpecs = {
    {"host", "AMD EPYC Zen 4, 2 cores (this machine kind), AVX-512 + AVX512-BF16", false,
     33.7 * kGB, 192 * kGFlop, 384 * kGFlop, 0, 24 * kGiB, 0, 0,
     "bandwidth measured (docs/building.md); FLOP/s = 2 cores x 3.0 GHz x 32 f32 FLOP/cycle, "
     "x2 for AVX512-BF16"},
    {"host-x86-64-v3", "the same host limited to AVX2 + FMA (any x86-64-v3 CPU)", false,
     33.7 * kGB, 192 * kGFlop, 192 * kGFlop, 0, 24 * kGiB, 0, 0,
     "as host; BF16 computed with f32 FMAs"},
    {"sm_80", "NVIDIA A100 SXM 80GB", true, 2.039 * kTB, 19.5 * kTFlop, 312 * kTFlop, 0,
     80 * kDecimalGB, 108, 164 * 1024, "NVIDIA A100 datasheet (dense); no FP8 tensor cores",
     64 * 1024, 2048, 32, 163 * 1024, "mma.sync bf16"},
    {"sm_89", "NVIDIA L40S 48GB", true, 864 * kGB, 91.6 * kTFlop, 362 * kTFlop, 733 * kTFlop,
     48 * kDecimalGB, 142, 100 * 1024, "NVIDIA L40S datasheet (dense)", 64 * 1024, 1536, 24,
     99 * 1024, "mma.sync bf16+fp8"},
    {"sm_90a", "NVIDIA H100 SXM 80GB", true, 3.35 * kTB, 67 * kTFlop, 989 * kTFlop, 1979 * kTFlop,
     80 * kDecimalGB, 132, 228 * 1024, "NVIDIA H100 SXM datasheet (dense)", 64 * 1024, 2048, 32,
     227 * 1024, "wgmma bf16+fp8"},
    {"sm_100a", "NVIDIA B200 (HGX) 180GB", true, 8 * kTB, 80 * kTFlop, 2250 * kTFlop,
     4500 * kTFlop, 180 * kDecimalGB, 148, 228 * 1024, "NVIDIA HGX B200 datasheet (dense, 1000 W)",
     64 * 1024, 2048, 32, 227 * 1024, "tcgen05 bf16+fp8+fp4"},
};

} // namespace

const std::vector<TargetSpec> &targetSpecs() { return kSpecs; }

llvm::Expected<const TargetSpec &> lookupTargetSpec(llvm::StringRef name) {
  for (const TargetSpec &spec : kSpecs)
    if (spec.name == name)
      return spec;
  std::vector<std::string> names;
  for (const TargetSpec &spec : kSpecs)
    names.push_back(spec.name);
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "--target: unknown target '" + name.str() + "'; expected one of " +
                                     llvm::join(names, ", "));
}

namespace {

/// 2.04 TB/s, 33.7 GB/s: three significant digits and an SI prefix.
std::string si(double value, llvm::StringRef unit) {
  if (value <= 0)
    return "-";
  const char *prefixes[] = {"", "K", "M", "G", "T"};
  int i = 0;
  while (value >= 1000 && i < 4) { // up to T: "1979 T", as datasheets write it
    value /= 1000;
    ++i;
  }
  int decimals = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  char number[32];
  std::snprintf(number, sizeof(number), "%.*f", decimals, value);
  return std::string(number) + " " + prefixes[i] + unit.str();
}

std::string kib(int64_t bytes) {
  return bytes <= 0 ? "-" : llvm::formatv("{0} KB", bytes / 1024).str();
}

std::string count(int64_t n) { return n <= 0 ? "-" : std::to_string(n); }

} // namespace

nlohmann::json targetSpecToJson(const TargetSpec &spec) {
  return {{"name", spec.name},
          {"device", spec.device},
          {"gpu", spec.isGpu},
          {"memory_bandwidth_bytes_per_s", spec.memoryBandwidth},
          {"peak_flops", {{"f32", spec.peakF32}, {"bf16", spec.peakBf16}, {"fp8", spec.peakFp8}}},
          {"memory_bytes", spec.memoryBytes},
          {"sm_count", spec.smCount},
          {"smem_per_sm_bytes", spec.smemPerSmBytes},
          {"smem_per_block_bytes", spec.maxSmemPerBlockBytes},
          {"registers_per_sm", spec.registersPerSm},
          {"max_threads_per_sm", spec.maxThreadsPerSm},
          {"max_blocks_per_sm", spec.maxBlocksPerSm},
          {"tensor_cores", spec.tensorCores},
          {"fp8_tensor_cores", spec.hasFp8TensorCores()},
          {"source", spec.source}};
}

void printTargetSpecs(llvm::ArrayRef<TargetSpec> specs, llvm::ArrayRef<std::string> compileTargets,
                      llvm::raw_ostream &os) {
  os << "Datasheet figures (dense, no sparsity) that r1c plan and the CUDA backend use;\n"
        "sources in compiler/TargetSpecs.cpp, formulas in docs/plan.md and docs/cuda.md.\n\n";
  os << llvm::formatv("{0,-15} {1}\n", "target", "device");
  for (const TargetSpec &t : specs)
    os << llvm::formatv("{0,-15} {1}\n", t.name, t.device);
  os << "\n";
  // One row per target; the columns after "memory" are GPU figures.
  auto row = [&](llvm::ArrayRef<std::string> cells) {
    static constexpr int kWidths[] = {-15, 10, 9, 9, 9, 9, 4, 8, 10, 8, 11, 10, 20, 4, 7};
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
      int w = kWidths[i];
      std::string cell = cells[i];
      size_t width = size_t(w < 0 ? -w : w);
      std::string pad(cell.size() < width ? width - cell.size() : 0, ' ');
      line += (i ? " " : "") + (w < 0 ? cell + pad : pad + cell);
    }
    os << llvm::StringRef(line).rtrim() << "\n";
  };
  row({"target", "bandwidth", "f32", "bf16", "fp8", "memory", "SMs", "smem/SM", "smem/block",
       "regs/SM", "threads/SM", "blocks/SM", "tensor cores", "FP8", "compile"});
  for (const TargetSpec &t : specs) {
    bool gib = t.memoryBytes % (1ULL << 30) == 0;
    std::string memory =
        gib ? llvm::formatv("{0} GiB", t.memoryBytes >> 30).str() : si(double(t.memoryBytes), "B");
    row({t.name, si(t.memoryBandwidth, "B/s"), si(t.peakF32, ""), si(t.peakBf16, ""),
         si(t.peakFp8, ""), memory, count(t.smCount), kib(t.smemPerSmBytes),
         kib(t.maxSmemPerBlockBytes), count(t.registersPerSm), count(t.maxThreadsPerSm),
         count(t.maxBlocksPerSm), t.tensorCores.empty() ? "-" : t.tensorCores,
         t.isGpu ? (t.hasFp8TensorCores() ? "yes" : "no") : "-",
         llvm::is_contained(compileTargets, t.name) ? "yes" : "no"});
  }
  os << "\nf32, bf16, fp8: peak FLOP/s of one device. compile: accepted by r1c compile --target\n"
        "(the others are r1c plan targets).\n";
}

} // namespace r1
