//===- CudaPlanTest.cpp - The launch plan of CUDA artifacts, and its errors ===//
//
// A CUDA artifact's manifest carries the launch plan the runtime executes on
// a device; it is untrusted input like the rest of the manifest. These tests
// feed parseCudaPlan a small valid plan and corrupt copies of it: every
// error is one line naming the field, and no plan with an out-of-range
// arena offset, weight index or KV slice is accepted.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/CudaPlan.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>

namespace r1::runtime {
namespace {

using nlohmann::json;

ModelManifest memoryOf() {
  ModelManifest m;
  m.arenaBytes = 4096;
  m.kvBytesPerToken = 256;
  m.weights.resize(3);
  return m;
}

json validManifest() {
  return json::parse(R"({
    "cuda": {
      "kernels": [
        {"name": "embed_0", "threads": 128, "grid": [1, 1, 1], "rows_dim": 0, "rows_per_block": 1,
         "dynamic_shared_bytes": 0},
        {"name": "linear_1_gemm", "threads": 256, "grid": [3, 1, 1], "rows_dim": 1,
         "rows_per_block": 32, "dynamic_shared_bytes": 0},
        {"name": "linear_1_gemv", "threads": 256, "grid": [24, 1, 1], "rows_dim": -1,
         "rows_per_block": 1, "dynamic_shared_bytes": 0},
        {"name": "mla_2_store", "threads": 128, "grid": [1, 1, 1], "rows_dim": 0,
         "rows_per_block": 1, "dynamic_shared_bytes": 0},
        {"name": "sample_token", "phase": "sample", "threads": 1024, "grid": [1, 1, 1],
         "rows_dim": -1, "rows_per_block": 1, "dynamic_shared_bytes": 0}
      ],
      "prefill": [
        {"kernel": "embed_0", "rows": "tokens", "args": ["tokens", {"weight": 0}, {"arena": 0}]},
        {"kernel": "linear_1_gemm", "rows": "logits",
         "args": [{"arena": 0, "last_rows_of": 64}, "rows", {"weight": 2}, "null", "logits"]},
        {"kernel": "mla_2_store", "rows": "tokens",
         "args": [{"arena": 1024}, "positions", "blocks", {"kv": 32}]}
      ],
      "decode": [
        {"kernel": "embed_0", "rows": "tokens", "args": ["tokens", {"weight": 0}, {"arena": 0}]},
        {"kernel": "linear_1_gemv", "rows": "logits", "args": [{"arena": 0}, "rows", {"weight": 1}]}
      ],
      "sampler": "sample_token",
      "emulation_section": "code.emulation"
    }
  })");
}

std::string errorOf(const std::function<void(json &)> &edit) {
  json manifest = validManifest();
  edit(manifest);
  Result<CudaPlan> plan = parseCudaPlan(manifest, memoryOf(), "m.r1");
  if (plan.ok()) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  EXPECT_EQ(plan.status().kind(), ErrorKind::kBadInput);
  return plan.status().message();
}

TEST(CudaPlan, ReadsAValidPlan) {
  Result<CudaPlan> plan = parseCudaPlan(validManifest(), memoryOf(), "m.r1");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->kernels.size(), 5u);
  EXPECT_EQ(plan->kernels[1].name, "linear_1_gemm");
  EXPECT_EQ(plan->kernels[1].rowsDim, 1);
  EXPECT_EQ(plan->kernels[1].rowsPerBlock, 32u);
  EXPECT_EQ(plan->kernels[2].rowsDim, -1);
  ASSERT_EQ(plan->prefill.size(), 3u);
  ASSERT_EQ(plan->decode.size(), 2u);
  const PlanLaunch &gemm = plan->prefill[1];
  EXPECT_EQ(gemm.kernel, 1u);
  EXPECT_TRUE(gemm.logitsRows);
  ASSERT_EQ(gemm.args.size(), 5u);
  EXPECT_EQ(gemm.args[0].kind, PlanArg::Kind::Arena);
  EXPECT_EQ(gemm.args[0].lastRowsOf, 64u);
  EXPECT_EQ(gemm.args[1].kind, PlanArg::Kind::Rows);
  EXPECT_EQ(gemm.args[2].kind, PlanArg::Kind::Weight);
  EXPECT_EQ(gemm.args[2].value, 2u);
  EXPECT_EQ(gemm.args[3].kind, PlanArg::Kind::Null);
  EXPECT_EQ(gemm.args[4].kind, PlanArg::Kind::Logits);
  EXPECT_EQ(plan->prefill[2].args[2].kind, PlanArg::Kind::Blocks);
  EXPECT_EQ(plan->prefill[2].args[3].kind, PlanArg::Kind::Kv);
  EXPECT_EQ(plan->prefill[2].args[3].value, 32u);
  EXPECT_EQ(plan->emulationSection, "code.emulation");
  EXPECT_EQ(plan->sampler, std::optional<size_t>(4));
}

TEST(CudaPlan, TheSamplerIsOptionalAndMustBeOneBlock) {
  json manifest = validManifest();
  manifest["cuda"].erase("sampler"); // an artifact from before the device sampler
  Result<CudaPlan> plan = parseCudaPlan(manifest, memoryOf(), "m.r1");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_FALSE(plan->sampler.has_value());
  EXPECT_EQ(errorOf([](json &m) { m["cuda"]["sampler"] = "nope"; }),
            "m.r1: manifest field \"cuda.sampler\" names no kernel of cuda.kernels");
  EXPECT_EQ(errorOf([](json &m) { m["cuda"]["sampler"] = "linear_1_gemm"; }),
            "m.r1: manifest field \"cuda.sampler\" must be a kernel of one block");
  EXPECT_NE(errorOf([](json &m) { m["cuda"]["sampler"] = 3; }).find("cuda.sampler"),
            std::string::npos);
}

TEST(CudaPlan, MissingOrMistypedFields) {
  EXPECT_EQ(errorOf([](json &m) { m.erase("cuda"); }),
            "m.r1: manifest field \"cuda\" is missing");
  EXPECT_EQ(errorOf([](json &m) { m["cuda"]["kernels"][0].erase("threads"); }),
            "m.r1: manifest field \"cuda.kernels[0].threads\" is missing");
  EXPECT_EQ(errorOf([](json &m) { m["cuda"]["kernels"][1]["grid"] = json::array({3, 0, 1}); }),
            "m.r1: manifest field \"cuda.kernels[1].grid\" must be three positive integers");
  EXPECT_EQ(errorOf([](json &m) { m["cuda"]["kernels"][1]["rows_dim"] = 3; }),
            "m.r1: manifest field \"cuda.kernels[1].rows_dim\" must be -1, 0, 1 or 2");
  EXPECT_NE(errorOf([](json &m) { m["cuda"]["kernels"][0]["threads"] = 2048; })
                .find("cuda.kernels[0].threads"),
            std::string::npos);
  EXPECT_EQ(errorOf([](json &m) { m["cuda"]["kernels"][2]["name"] = "embed_0"; }),
            "m.r1: manifest field \"cuda.kernels[2].name\" repeats kernel embed_0");
  EXPECT_EQ(errorOf([](json &m) { m["cuda"]["decode"] = json::array(); }),
            "m.r1: manifest field \"cuda.prefill\" and cuda.decode must each list at least one "
            "launch");
}

TEST(CudaPlan, LaunchesThatPointOutside) {
  EXPECT_EQ(errorOf([](json &m) { m["cuda"]["prefill"][0]["kernel"] = "nope"; }),
            "m.r1: manifest field \"cuda.prefill[0].kernel\" names no kernel of cuda.kernels");
  EXPECT_EQ(errorOf([](json &m) { m["cuda"]["prefill"][0]["rows"] = "all"; }),
            "m.r1: manifest field \"cuda.prefill[0].rows\" must be \"tokens\" or \"logits\"");
  EXPECT_EQ(errorOf([](json &m) { m["cuda"]["prefill"][0]["args"][2]["arena"] = 4096; }),
            "m.r1: manifest field \"cuda.prefill[0].args[2].arena\" is outside the arena (4096 "
            "bytes)");
  EXPECT_EQ(errorOf([](json &m) { m["cuda"]["prefill"][0]["args"][1]["weight"] = 3; }),
            "m.r1: manifest field \"cuda.prefill[0].args[1].weight\" is not a weight index (3 "
            "weights)");
  EXPECT_EQ(errorOf([](json &m) { m["cuda"]["prefill"][2]["args"][3]["kv"] = 64; }),
            "m.r1: manifest field \"cuda.prefill[2].args[3].kv\" is outside the KV cache's 256 "
            "bytes per token");
  EXPECT_EQ(errorOf([](json &m) { m["cuda"]["decode"][0]["args"][0] = "everything"; }),
            "m.r1: manifest field \"cuda.decode[0].args[0]\" is an unknown argument "
            "\"everything\"");
  EXPECT_EQ(errorOf([](json &m) { m["cuda"]["decode"][0]["args"][0] = json::object(); }),
            "m.r1: manifest field \"cuda.decode[0].args[0]\" must have \"arena\", \"weight\" or "
            "\"kv\"");
  EXPECT_EQ(errorOf([](json &m) { m["cuda"]["decode"][0]["args"][0] = 7; }),
            "m.r1: manifest field \"cuda.decode[0].args[0]\" must be a string or an object");
}

} // namespace
} // namespace r1::runtime
