//===- TargetSpecsTest.cpp - The target table is complete and consistent --===//

#include "compiler/TargetSpecs.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace r1 {
namespace {

TEST(TargetSpecs, EveryGpuHasItsOccupancyLimits) {
  int gpus = 0;
  for (const TargetSpec &t : targetSpecs()) {
    if (!t.isGpu) {
      EXPECT_EQ(t.registersPerSm, 0) << t.name;
      EXPECT_TRUE(t.tensorCores.empty()) << t.name;
      EXPECT_FALSE(t.hasFp8TensorCores()) << t.name;
      continue;
    }
    ++gpus;
    EXPECT_EQ(t.registersPerSm, 65536) << t.name;
    EXPECT_GT(t.smCount, 0) << t.name;
    // A block may use the SM's shared memory less the 1 KB CUDA reserves.
    EXPECT_EQ(t.maxSmemPerBlockBytes, t.smemPerSmBytes - 1024) << t.name;
    EXPECT_EQ(t.maxThreadsPerSm % 32, 0) << t.name;
  }
  EXPECT_EQ(gpus, 4);
}

TEST(TargetSpecs, PerArchitectureFigures) {
  const TargetSpec &a100 = llvm::cantFail(lookupTargetSpec("sm_80"));
  EXPECT_EQ(a100.maxThreadsPerSm, 2048);
  EXPECT_EQ(a100.maxBlocksPerSm, 32);
  EXPECT_EQ(a100.tensorCores, "mma.sync bf16");
  EXPECT_FALSE(a100.hasFp8TensorCores());
  const TargetSpec &l40s = llvm::cantFail(lookupTargetSpec("sm_89"));
  EXPECT_EQ(l40s.maxThreadsPerSm, 1536);
  EXPECT_EQ(l40s.maxBlocksPerSm, 24);
  EXPECT_EQ(l40s.smemPerSmBytes, 100 * 1024);
  EXPECT_EQ(l40s.tensorCores, "mma.sync bf16+fp8");
  EXPECT_TRUE(l40s.hasFp8TensorCores());
  const TargetSpec &h100 = llvm::cantFail(lookupTargetSpec("sm_90a"));
  EXPECT_EQ(h100.maxThreadsPerSm, 2048);
  EXPECT_EQ(h100.maxSmemPerBlockBytes, 227 * 1024);
  EXPECT_EQ(h100.tensorCores, "wgmma bf16+fp8");
  EXPECT_TRUE(h100.hasFp8TensorCores());
  // Compute capability 10.0 keeps 9.0's per-SM limits; the B200 has more SMs
  // and bandwidth.
  const TargetSpec &b200 = llvm::cantFail(lookupTargetSpec("sm_100a"));
  EXPECT_EQ(b200.maxThreadsPerSm, 2048);
  EXPECT_EQ(b200.maxBlocksPerSm, 32);
  EXPECT_EQ(b200.maxSmemPerBlockBytes, 227 * 1024);
  EXPECT_EQ(b200.smCount, 148);
  EXPECT_DOUBLE_EQ(b200.memoryBandwidth, 8e12);
  EXPECT_EQ(b200.tensorCores, "tcgen05 bf16+fp8+fp4");
  EXPECT_TRUE(b200.hasFp8TensorCores());
}

TEST(TargetSpecs, JsonAndTable) {
  nlohmann::json j = targetSpecToJson(llvm::cantFail(lookupTargetSpec("sm_90a")));
  EXPECT_EQ(j["registers_per_sm"], 65536);
  EXPECT_EQ(j["smem_per_block_bytes"], 227 * 1024);
  EXPECT_EQ(j["tensor_cores"], "wgmma bf16+fp8");
  EXPECT_EQ(j["fp8_tensor_cores"], true);
  EXPECT_EQ(j["peak_flops"]["fp8"], 1979e12);

  std::string text;
  llvm::raw_string_ostream os(text);
  printTargetSpecs(targetSpecs(), {"host"}, os);
  os.flush();
  EXPECT_NE(text.find("sm_90a          NVIDIA H100 SXM 80GB\n"), std::string::npos) << text;
  EXPECT_NE(text.find("3.35 TB/s"), std::string::npos) << text;
  EXPECT_NE(text.find("wgmma bf16+fp8"), std::string::npos) << text;
}

} // namespace
} // namespace r1
