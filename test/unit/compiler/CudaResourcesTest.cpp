//===- CudaResourcesTest.cpp - ptxas -v parsing and occupancy -------------===//
//
// The ptxas logs below are real: CUDA 13.0's `ptxas -v` (V13.0.88) on PTX
// from `nvcc -ptx -gencode arch=compute_XX,code=sm_XX`, captured on this
// project's machine. The occupancy cases are worked by hand from the rules in
// CudaResources.cpp (NVIDIA's cuda_occupancy.h), the arithmetic in comments.
//
//===----------------------------------------------------------------------===//

#include "compiler/CudaResources.h"

#include <gtest/gtest.h>

#include <tuple>

namespace r1 {
namespace {

// Three kernels: extern "C" axpy (y = a*x + y), tile_sum<256> (a 256-float
// __shared__ array read through a __constant__ table, __syncthreads) and
// extern "C" local_array (a 64-float local array indexed at run time).
constexpr const char *kSm80Log = R"(ptxas info    : 0 bytes gmem, 256 bytes cmem[3]
ptxas info    : Compiling entry function 'local_array' for 'sm_80'
ptxas info    : Function properties for local_array
    256 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 34 registers, used 0 barriers, 256 bytes cumulative stack size, 368 bytes cmem[0]
ptxas info    : Compile time = 13.069 ms
ptxas info    : Compiling entry function '_Z8tile_sumILi256EEvPKfPf' for 'sm_80'
ptxas info    : Function properties for _Z8tile_sumILi256EEvPKfPf
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 22 registers, used 1 barriers, 1024 bytes smem, 368 bytes cmem[0]
ptxas info    : Compile time = 6.852 ms
ptxas info    : Compiling entry function 'axpy' for 'sm_80'
ptxas info    : Function properties for axpy
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 10 registers, used 0 barriers, 380 bytes cmem[0]
ptxas info    : Compile time = 1.077 ms
)";

// The same source for sm_90a: ptxas 13.0 reports no cmem bank there.
constexpr const char *kSm90aLog = R"(ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'local_array' for 'sm_90a'
ptxas info    : Function properties for local_array
    256 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 34 registers, used 0 barriers, 256 bytes cumulative stack size
ptxas info    : Compile time = 4.691 ms
ptxas info    : Compiling entry function '_Z8tile_sumILi256EEvPKfPf' for 'sm_90a'
ptxas info    : Function properties for _Z8tile_sumILi256EEvPKfPf
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 24 registers, used 1 barriers, 1024 bytes smem
ptxas info    : Compile time = 3.230 ms
ptxas info    : Compiling entry function 'axpy' for 'sm_90a'
ptxas info    : Function properties for axpy
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 10 registers, used 0 barriers
ptxas info    : Compile time = 1.142 ms
)";

// `ptxas -v --maxrregcount 32`: 'spilly' keeps 48 accumulators live and calls
// a __noinline__ device function 'helper'; 'dyn' uses extern __shared__ only.
constexpr const char *kSpillLog =
    R"(ptxas info    : Overriding maximum register limit 256 for 'dyn' with  32 of maxrregcount option
ptxas info    : Overriding maximum register limit 256 for 'spilly' with  32 of maxrregcount option
ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'dyn' for 'sm_80'
ptxas info    : Function properties for dyn
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 10 registers, used 1 barriers, 360 bytes cmem[0]
ptxas info    : Compile time = 1.600 ms
ptxas info    : Compiling entry function 'spilly' for 'sm_80'
ptxas info    : Function properties for spilly
    368 bytes stack frame, 908 bytes spill stores, 936 bytes spill loads
ptxas info    : Used 32 registers, used 0 barriers, 368 bytes cumulative stack size, 372 bytes cmem[0]
ptxas info    : Compile time = 27.976 ms
ptxas info    : Function properties for _Z6helperPKfi
    0 bytes stack frame, 20 bytes spill stores, 24 bytes spill loads
)";

std::vector<KernelResources> parse(llvm::StringRef text) {
  llvm::Expected<std::vector<KernelResources>> kernels = parsePtxasVerbose(text);
  EXPECT_TRUE(bool(kernels)) << llvm::toString(kernels.takeError());
  return kernels ? *kernels : std::vector<KernelResources>{};
}

const TargetSpec &spec(llvm::StringRef name) { return llvm::cantFail(lookupTargetSpec(name)); }

KernelResources kernel(int64_t registers, int64_t smem = 0) {
  KernelResources k;
  k.name = "k";
  k.isEntry = true;
  k.registers = registers;
  k.staticSmemBytes = smem;
  return k;
}

Occupancy occupancyOf(const KernelResources &k, int64_t threads, llvm::StringRef target,
                      int64_t dynamicSmem = 0) {
  llvm::Expected<Occupancy> o = occupancy(k, threads, spec(target), dynamicSmem);
  EXPECT_TRUE(bool(o)) << llvm::toString(o.takeError());
  return o ? *o : Occupancy{};
}

TEST(PtxasVerbose, ReadsEveryEntryOfAnSm80Log) {
  std::vector<KernelResources> k = parse(kSm80Log);
  ASSERT_EQ(k.size(), 3u);
  EXPECT_EQ(k[0].name, "local_array");
  EXPECT_EQ(k[0].target, "sm_80");
  EXPECT_TRUE(k[0].isEntry);
  EXPECT_EQ(k[0].registers, 34);
  EXPECT_EQ(k[0].stackFrameBytes, 256);
  EXPECT_EQ(k[0].cumulativeStackBytes, 256);
  EXPECT_EQ(k[0].spillStoreBytes, 0);
  EXPECT_EQ(k[0].constantBytes, 368);

  EXPECT_EQ(k[1].name, "_Z8tile_sumILi256EEvPKfPf");
  EXPECT_EQ(k[1].registers, 22);
  EXPECT_EQ(k[1].barriers, 1);
  EXPECT_EQ(k[1].staticSmemBytes, 1024);
  EXPECT_EQ(k[1].stackFrameBytes, 0);

  EXPECT_EQ(k[2].name, "axpy");
  EXPECT_EQ(k[2].registers, 10);
  EXPECT_EQ(k[2].barriers, 0);
  EXPECT_EQ(k[2].staticSmemBytes, 0);
  EXPECT_EQ(k[2].constantBytes, 380);
}

TEST(PtxasVerbose, Sm90aReportsNoConstantBank) {
  std::vector<KernelResources> k = parse(kSm90aLog);
  ASSERT_EQ(k.size(), 3u);
  EXPECT_EQ(k[1].target, "sm_90a");
  EXPECT_EQ(k[1].registers, 24);
  EXPECT_EQ(k[1].staticSmemBytes, 1024);
  EXPECT_EQ(k[2].registers, 10);
  for (const KernelResources &r : k)
    EXPECT_EQ(r.constantBytes, 0) << r.name;
}

TEST(PtxasVerbose, SpillsAndANonInlinedDeviceFunction) {
  std::vector<KernelResources> k = parse(kSpillLog);
  ASSERT_EQ(k.size(), 3u);
  EXPECT_EQ(k[0].name, "dyn");
  EXPECT_EQ(k[0].staticSmemBytes, 0); // extern __shared__: a launch argument
  EXPECT_EQ(k[0].barriers, 1);
  EXPECT_EQ(k[1].name, "spilly");
  EXPECT_EQ(k[1].registers, 32);
  EXPECT_EQ(k[1].spillStoreBytes, 908);
  EXPECT_EQ(k[1].spillLoadBytes, 936);
  EXPECT_EQ(k[1].stackFrameBytes, 368);
  EXPECT_EQ(k[1].cumulativeStackBytes, 368);
  EXPECT_EQ(k[2].name, "_Z6helperPKfi");
  EXPECT_FALSE(k[2].isEntry);
  EXPECT_EQ(k[2].target, "sm_80");
  EXPECT_EQ(k[2].registers, 0);
  EXPECT_EQ(k[2].spillStoreBytes, 20);
  EXPECT_EQ(k[2].spillLoadBytes, 24);
}

TEST(PtxasVerbose, WindowsLineEndingsAndEmptyLogs) {
  std::string crlf;
  for (char c : llvm::StringRef(kSm80Log)) {
    if (c == '\n')
      crlf += '\r';
    crlf += c;
  }
  std::vector<KernelResources> k = parse(crlf);
  ASSERT_EQ(k.size(), 3u);
  EXPECT_EQ(k[2].name, "axpy");
  EXPECT_EQ(k[2].constantBytes, 380);
  EXPECT_TRUE(parse("").empty());
  EXPECT_TRUE(parse("ptxas info    : 0 bytes gmem\n").empty());
}

TEST(PtxasVerbose, MalformedLinesAreErrorsNamingTheLine) {
  llvm::Expected<std::vector<KernelResources>> bad =
      parsePtxasVerbose("ptxas info    : Compiling entry function 'k' for 'sm_80'\n"
                        "ptxas info    : Used many registers, used 0 barriers\n");
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(llvm::toString(bad.takeError()),
            "ptxas -v output, line 2: expected 'N registers', 'used N barriers' or 'N bytes ...': "
            "'ptxas info    : Used many registers, used 0 barriers'");
  llvm::Expected<std::vector<KernelResources>> orphan =
      parsePtxasVerbose("ptxas info    : Used 10 registers\n");
  ASSERT_FALSE(bool(orphan));
  EXPECT_NE(llvm::toString(orphan.takeError()).find("line 1: a 'Used' line before any"),
            std::string::npos);
  llvm::Expected<std::vector<KernelResources>> noTarget =
      parsePtxasVerbose("ptxas info    : Compiling entry function 'k'\n");
  ASSERT_FALSE(bool(noTarget));
  llvm::consumeError(noTarget.takeError());
}

TEST(Occupancy, RegistersLimitTheBriefsExample) {
  // 128 threads = 4 warps of 64 registers: 64 x 32 = 2048 registers a warp
  // (a multiple of 256 already); a sub-partition's 16384 hold 8 warps, the SM
  // 32; 32 / 4 = 8 blocks. Warps alone allow 64 / 4 = 16, smem (1 KB
  // reserved) 164, the block limit 32. 8 blocks x 4 warps = 32 of 64 = 50%.
  Occupancy o = occupancyOf(kernel(64), 128, "sm_80");
  EXPECT_EQ(o.warpsPerBlock, 4);
  EXPECT_EQ(o.blocksByRegisters, 8);
  EXPECT_EQ(o.blocksByWarps, 16);
  EXPECT_EQ(o.blocksBySmem, 164);
  EXPECT_EQ(o.blocksByBlockLimit, 32);
  EXPECT_EQ(o.blocksPerSm, 8);
  EXPECT_EQ(o.activeWarpsPerSm, 32);
  EXPECT_EQ(o.maxWarpsPerSm, 64);
  EXPECT_DOUBLE_EQ(o.fraction, 0.5);
  EXPECT_EQ(o.limiter, "registers");
  EXPECT_EQ(o.registersPerBlock, 8192);
  EXPECT_EQ(o.smemPerBlockBytes, 1024);
}

TEST(Occupancy, AxpyIsLimitedByWarpSlots) {
  // axpy's 10 registers: 320 a warp, rounded to 512; 16384 / 512 = 32 warps a
  // sub-partition, 128 an SM, 16 blocks of 8 warps. Warp slots: 64 / 8 = 8.
  std::vector<KernelResources> k = parse(kSm80Log);
  Occupancy o = occupancyOf(k[2], 256, "sm_80");
  EXPECT_EQ(o.blocksByRegisters, 16);
  EXPECT_EQ(o.blocksByWarps, 8);
  EXPECT_EQ(o.blocksPerSm, 8);
  EXPECT_EQ(o.activeWarpsPerSm, 64);
  EXPECT_DOUBLE_EQ(o.fraction, 1.0);
  EXPECT_EQ(o.limiter, "warps");
}

TEST(Occupancy, Sm89HasFewerWarpSlots) {
  // tile_sum's sm_80 figures on sm_89: 22 registers -> 704 -> 768 a warp;
  // 16384 / 768 = 21 warps a sub-partition, 84 an SM, 84 / 8 = 10 blocks.
  // smem 1024 + 1024 reserved: 100 KB / 2 KB = 50. Warps: 48 / 8 = 6.
  std::vector<KernelResources> k = parse(kSm80Log);
  Occupancy o = occupancyOf(k[1], 256, "sm_89");
  EXPECT_EQ(o.blocksByRegisters, 10);
  EXPECT_EQ(o.blocksBySmem, 50);
  EXPECT_EQ(o.blocksByWarps, 6);
  EXPECT_EQ(o.blocksByBlockLimit, 24);
  EXPECT_EQ(o.blocksPerSm, 6);
  EXPECT_EQ(o.maxWarpsPerSm, 48);
  EXPECT_DOUBLE_EQ(o.fraction, 1.0);
}

TEST(Occupancy, SharedMemoryPerSmDiffersByArch) {
  // 48 KB of static smem + 1 KB reserved = 50176 bytes a block; 4 warps of
  // 32 registers allow 16 blocks by registers and warps alike.
  KernelResources k = kernel(32, 48 * 1024);
  Occupancy h100 = occupancyOf(k, 128, "sm_90a"); // 233472 / 50176 = 4
  EXPECT_EQ(h100.blocksBySmem, 4);
  EXPECT_EQ(h100.blocksPerSm, 4);
  EXPECT_EQ(h100.activeWarpsPerSm, 16);
  EXPECT_DOUBLE_EQ(h100.fraction, 0.25);
  EXPECT_EQ(h100.limiter, "shared memory");
  Occupancy a100 = occupancyOf(k, 128, "sm_80"); // 167936 / 50176 = 3
  EXPECT_EQ(a100.blocksPerSm, 3);
  EXPECT_DOUBLE_EQ(a100.fraction, 12.0 / 64);
  Occupancy l40s = occupancyOf(k, 128, "sm_89"); // 102400 / 50176 = 2
  EXPECT_EQ(l40s.blocksPerSm, 2);
  EXPECT_DOUBLE_EQ(l40s.fraction, 8.0 / 48);
}

TEST(Occupancy, DynamicSharedMemoryUpToThePerBlockMaximum) {
  // sm_89: a block may use 99 KB; with the reserved 1 KB that is the whole
  // 100 KB of the SM, so one block; 1 byte more and none fits.
  KernelResources k = kernel(32);
  Occupancy fits = occupancyOf(k, 128, "sm_89", 99 * 1024);
  EXPECT_EQ(fits.smemPerBlockBytes, 100 * 1024);
  EXPECT_EQ(fits.blocksPerSm, 1);
  EXPECT_EQ(fits.limiter, "shared memory");
  Occupancy over = occupancyOf(k, 128, "sm_89", 99 * 1024 + 1);
  EXPECT_EQ(over.blocksPerSm, 0);
  EXPECT_DOUBLE_EQ(over.fraction, 0.0);
  EXPECT_EQ(over.limiter,
            "101377 bytes of shared memory per block exceed the 101376 a block may use");
  // Static + dynamic + reserved round up to 128 bytes: 100 + 0 + 1024 -> 1152.
  EXPECT_EQ(occupancyOf(kernel(32, 100), 128, "sm_90a").smemPerBlockBytes, 1152);
}

TEST(Occupancy, RegisterFileAndSubPartitions) {
  // 1024 threads x 64 registers is exactly the 65536 of an SM: one block.
  Occupancy full = occupancyOf(kernel(64), 1024, "sm_80");
  EXPECT_EQ(full.blocksPerSm, 1);
  EXPECT_EQ(full.activeWarpsPerSm, 32);
  // 255 registers (8160 a warp -> 8192) x 32 warps: 262144 > 65536.
  Occupancy none = occupancyOf(kernel(255), 1024, "sm_80");
  EXPECT_EQ(none.blocksPerSm, 0);
  EXPECT_EQ(none.limiter, "255 registers x 1024 threads exceed the 65536 registers of an SM");
  // Warps do not straddle sub-partitions: 96 registers = 3072 a warp, 5 warps
  // in each quarter's 16384 (not 21.3 in the whole file), 20 an SM; blocks of
  // 7 warps (224 threads): 20 / 7 = 2, where 65536 / (3072 x 7) would say 3.
  Occupancy quarters = occupancyOf(kernel(96), 224, "sm_80");
  EXPECT_EQ(quarters.blocksByRegisters, 2);
  EXPECT_EQ(quarters.blocksPerSm, 2);
  EXPECT_EQ(quarters.activeWarpsPerSm, 14);
}

TEST(Occupancy, TinyBlocksHitTheBlockLimit) {
  // 32 threads, 16 registers: 64 blocks by warps, 32 by the sm_90 limit.
  Occupancy o = occupancyOf(kernel(16), 32, "sm_90a");
  EXPECT_EQ(o.blocksByWarps, 64);
  EXPECT_EQ(o.blocksPerSm, 32);
  EXPECT_EQ(o.limiter, "blocks");
  EXPECT_DOUBLE_EQ(o.fraction, 0.5);
  // sm_89 allows 24 blocks: 24 warps of 48.
  EXPECT_EQ(occupancyOf(kernel(16), 32, "sm_89").blocksPerSm, 24);
}

TEST(Occupancy, RejectsHostTargetsBadBlocksAndDeviceFunctions) {
  KernelResources k = kernel(32);
  for (auto [threads, target, message] :
       {std::tuple<int64_t, const char *, const char *>{128, "host",
                                                        "occupancy: target 'host' is not a GPU"},
        {0, "sm_80", "occupancy: threads per block must be 1..1024, got 0"},
        {1025, "sm_80", "occupancy: threads per block must be 1..1024, got 1025"}}) {
    llvm::Expected<Occupancy> o = occupancy(k, threads, spec(target));
    ASSERT_FALSE(bool(o));
    EXPECT_EQ(llvm::toString(o.takeError()), message);
  }
  KernelResources helper = parse(kSpillLog)[2];
  llvm::Expected<Occupancy> o = occupancy(helper, 128, spec("sm_80"));
  ASSERT_FALSE(bool(o));
  EXPECT_EQ(llvm::toString(o.takeError()),
            "occupancy: '_Z6helperPKfi' is a device function, not a kernel");
}

} // namespace
} // namespace r1
