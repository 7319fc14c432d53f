//===- CpuFeaturesTest.cpp - Refusing code for a CPU this one is not ------===//

#include "runtime/CpuFeatures.h"
#include "runtime/Model.h"
#include "test/unit/runtime/ToyArtifact.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace r1::runtime {
namespace {

TEST(CpuFeatures, HostFeaturesAreKnownAndInCanonicalOrder) {
  const std::vector<std::string> &known = knownCpuFeatures();
  EXPECT_EQ(known.size(), 10u);
  std::vector<std::string> host = hostCpuFeatures();
  size_t last = 0;
  for (const std::string &feature : host) {
    auto it = std::find(known.begin(), known.end(), feature);
    ASSERT_NE(it, known.end()) << feature;
    size_t index = static_cast<size_t>(it - known.begin());
    EXPECT_TRUE(index >= last) << "canonical order";
    last = index;
  }
  // AVX-512 extensions imply AVX-512F.
  bool avx512f = std::find(host.begin(), host.end(), "avx512f") != host.end();
  for (const char *ext : {"avx512bw", "avx512vl", "avx512dq", "avx512bf16", "avx512vnni"})
    if (std::find(host.begin(), host.end(), ext) != host.end())
      EXPECT_TRUE(avx512f) << ext;
}

TEST(CpuFeatures, AcceptsWhatTheCpuHas) {
  EXPECT_TRUE(checkCpuFeatures("a.r1", {}, {}).ok());
  EXPECT_TRUE(checkCpuFeatures("a.r1", {"avx2", "fma"}, {"avx2", "fma", "f16c"}).ok());
  EXPECT_TRUE(checkCpuFeatures("a.r1", hostCpuFeatures(), hostCpuFeatures()).ok());
}

TEST(CpuFeatures, RefusesAMissingFeature) {
  Status s = checkCpuFeatures("artifact.r1", {"avx2", "avx512bf16"}, {"avx2", "fma", "avx512f"});
  EXPECT_EQ(s.kind(), ErrorKind::kBadInput);
  EXPECT_EQ(s.message(),
            "artifact.r1 was compiled for a CPU with avx512bf16, which this CPU lacks; "
            "recompile with --target host on this machine or --target host-x86-64-v3");
}

TEST(CpuFeatures, RefusesAnUnknownFeature) {
  Status s = checkCpuFeatures("artifact.r1", {"avx2", "amx-tile"}, {"avx2", "amx-tile"});
  EXPECT_EQ(s.message(),
            "artifact.r1: manifest field \"target.isa\" names CPU feature \"amx-tile\", "
            "which this r1run does not know (it knows avx2, fma, f16c, bmi2, avx512f, "
            "avx512bw, avx512vl, avx512dq, avx512bf16, avx512vnni); use the r1run of "
            "the r1c that compiled it");
}

TEST(CpuFeatures, ModelLoadChecksTargetIsa) {
  toy::TempDir dir;
  std::string path = dir.file("toy.r1");
  toy::ToyArtifactOptions options;
  options.isa = {"avx2", "avx512bf16"};
  ASSERT_TRUE(toy::writeToyArtifact(path, options).ok());

  ModelLoadOptions lacking;
  lacking.cpuFeatures = std::vector<std::string>{"avx2", "fma"};
  Result<std::unique_ptr<Model>> model = Model::load(path, lacking);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().message(),
            path + " was compiled for a CPU with avx512bf16, which this CPU lacks; recompile with "
                   "--target host on this machine or --target host-x86-64-v3");

  ModelLoadOptions having;
  having.cpuFeatures = std::vector<std::string>{"avx2", "avx512f", "avx512bf16"};
  model = Model::load(path, having);
  EXPECT_TRUE(model.ok()) << model.status().message();
}

} // namespace
} // namespace r1::runtime
