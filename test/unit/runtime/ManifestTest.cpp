//===- ManifestTest.cpp - The manifest fields the runtime reads -----------===//

#include "runtime/Manifest.h"
#include "runtime/Model.h"
#include "test/unit/runtime/ToyArtifact.h"

#include <gtest/gtest.h>

namespace r1::runtime {
namespace {

using nlohmann::json;

std::string errorOf(const std::function<void(json &)> &edit) {
  json manifest = toy::toyManifest();
  edit(manifest);
  Result<ModelManifest> parsed = parseModelManifest(manifest, "toy.r1");
  if (parsed.ok()) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  EXPECT_EQ(parsed.status().kind(), ErrorKind::kBadInput);
  return parsed.status().message();
}

TEST(Manifest, ReadsTheToyManifest) {
  Result<ModelManifest> parsed = parseModelManifest(toy::toyManifest(), "toy.r1");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const ModelManifest &m = *parsed;
  EXPECT_EQ(m.abiVersion, uint64_t(R1_ABI_VERSION));
  EXPECT_TRUE(m.tunedOn.empty()) << "untuned";
  EXPECT_EQ(m.tuning.amx_min_tokens, 0);
  EXPECT_EQ(m.producer, "r1c-test");
  EXPECT_EQ(m.architecture, "toy");
  EXPECT_EQ(m.vocabSize, uint64_t(toy::kVocab));
  EXPECT_EQ(m.maxPositions, uint64_t(toy::kMaxPositions));
  EXPECT_EQ(m.bosTokenId, std::optional<int32_t>(toy::kBos));
  EXPECT_EQ(m.eosTokenIds, std::vector<int32_t>{toy::kEos});
  EXPECT_EQ(m.targetName, "host");
  EXPECT_EQ(m.codeSection, "code");
  EXPECT_EQ(m.codeIdentity, toy::kIdentity);
  EXPECT_EQ(m.kernelCount, 1u);
  EXPECT_EQ(m.maxStepTokens, uint64_t(toy::kMaxStepTokens));
  EXPECT_EQ(m.arenaBytes, uint64_t(toy::kArenaBytes));
  EXPECT_EQ(m.kvBytesPerToken, uint64_t(toy::kKvBytesPerToken));
  ASSERT_EQ(m.weights.size(), 3u);
  EXPECT_EQ(m.weights[1].name, "embed");
  EXPECT_EQ(m.weights[1].offset, 192u);
  EXPECT_EQ(m.weights[1].shape, std::vector<uint64_t>{uint64_t(toy::kVocab)});
  EXPECT_EQ(m.tokenizerSections.at("tokenizer.json"), "tokenizer.json");
  EXPECT_EQ(m.temperature, 0.6);
  EXPECT_EQ(m.maxNewTokens, 32u);
  EXPECT_EQ(m.thinkPrefix, "<think>\n");
}

TEST(Manifest, OptionalSectionsMayBeAbsent) {
  json manifest = toy::toyManifest();
  manifest.erase("generation");
  manifest.erase("tokenizer");
  manifest.erase("producer");
  manifest["model"].erase("hidden_size");
  manifest["memory"].erase("weights_bytes");
  Result<ModelManifest> parsed = parseModelManifest(manifest, "toy.r1");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_FALSE(parsed->temperature.has_value());
  EXPECT_EQ(parsed->hiddenSize, 0u);
}

TEST(Manifest, BosTokenMayBeNullOrAbsent) {
  json manifest = toy::toyManifest();
  manifest["model"]["bos_token_id"] = nullptr;
  Result<ModelManifest> parsed = parseModelManifest(manifest, "toy.r1");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_FALSE(parsed->bosTokenId.has_value());
  manifest["model"].erase("bos_token_id");
  parsed = parseModelManifest(manifest, "toy.r1");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_FALSE(parsed->bosTokenId.has_value());
  EXPECT_EQ(errorOf([](json &m) { m["model"]["bos_token_id"] = "<s>"; }),
            "toy.r1: manifest field \"model.bos_token_id\" must be an integer in [0, 2147483647]");
}

TEST(Manifest, MissingFields) {
  EXPECT_EQ(errorOf([](json &m) { m["memory"].erase("arena_bytes"); }),
            "toy.r1: manifest field \"memory.arena_bytes\" is missing");
  EXPECT_EQ(errorOf([](json &m) { m.erase("model"); }),
            "toy.r1: manifest field \"model\" is missing");
  EXPECT_EQ(errorOf([](json &m) { m["code"].erase("identity"); }),
            "toy.r1: manifest field \"code.identity\" is missing");
  EXPECT_EQ(errorOf([](json &m) { m.erase("weights"); }),
            "toy.r1: manifest field \"weights\" is missing");
  EXPECT_EQ(errorOf([](json &m) { m["target"].erase("isa"); }),
            "toy.r1: manifest field \"target.isa\" is missing");
  EXPECT_EQ(errorOf([](json &m) { m["weights"][2].erase("offset"); }),
            "toy.r1: manifest field \"weights[2].offset\" is missing");
}

TEST(Manifest, WrongTypes) {
  EXPECT_EQ(errorOf([](json &m) { m["memory"]["arena_bytes"] = -1; }),
            "toy.r1: manifest field \"memory.arena_bytes\" must be a non-negative integer");
  EXPECT_EQ(errorOf([](json &m) { m["memory"]["kv_bytes_per_token"] = 1.5; }),
            "toy.r1: manifest field \"memory.kv_bytes_per_token\" must be a non-negative integer");
  EXPECT_EQ(errorOf([](json &m) { m["memory"] = 3; }),
            "toy.r1: manifest field \"memory\" must be an object");
  EXPECT_EQ(errorOf([](json &m) { m["model"]["architecture"] = 7; }),
            "toy.r1: manifest field \"model.architecture\" must be a string");
  EXPECT_EQ(errorOf([](json &m) {
              m["target"]["isa"] = json::array({"avx2", 3});
            }),
            "toy.r1: manifest field \"target.isa[1]\" must be a string");
  EXPECT_EQ(errorOf([](json &m) { m["weights"][1] = "embed"; }),
            "toy.r1: manifest field \"weights[1]\" must be an object");
  EXPECT_EQ(errorOf([](json &m) { m["weights"][0]["bytes"] = "160"; }),
            "toy.r1: manifest field \"weights[0].bytes\" must be a non-negative integer");
  EXPECT_EQ(errorOf([](json &m) { m["generation"]["temperature"] = "hot"; }),
            "toy.r1: manifest field \"generation.temperature\" must be a number");
  EXPECT_EQ(errorOf([](json &m) { m["tokenizer"]["tokenizer.json"] = 1; }),
            "toy.r1: manifest field \"tokenizer.tokenizer.json\" must be a string");
}

TEST(Manifest, OutOfRangeValues) {
  EXPECT_EQ(errorOf([](json &m) { m["model"]["vocab_size"] = 0; }),
            "toy.r1: manifest field \"model.vocab_size\" must be at least 1");
  EXPECT_EQ(errorOf([](json &m) { m["model"]["vocab_size"] = 1ull << 32; }),
            "toy.r1: manifest field \"model.vocab_size\" must be an integer in [0, 2147483647]");
  EXPECT_EQ(errorOf([](json &m) { m["model"]["bos_token_id"] = 40; }),
            "toy.r1: manifest field \"model.bos_token_id\" (40) must be less than vocab_size 40");
  EXPECT_EQ(
      errorOf([](json &m) {
        m["model"]["eos_token_ids"] = {2, 99};
      }),
      "toy.r1: manifest field \"model.eos_token_ids[1]\" (99) must be less than vocab_size 40");
  EXPECT_EQ(errorOf([](json &m) { m["memory"]["max_step_tokens"] = 0; }),
            "toy.r1: manifest field \"memory.max_step_tokens\" must be at least 1");
  EXPECT_EQ(errorOf([](json &m) { m["model"]["max_positions"] = 0; }),
            "toy.r1: manifest field \"model.max_positions\" must be at least 1");
  EXPECT_EQ(errorOf([](json &m) { m["code"]["entry_points"] = {"r1_prefill"}; }),
            "toy.r1: manifest field \"code.entry_points\" must list r1_decode");
}

TEST(Manifest, NewerAbi) {
  EXPECT_EQ(errorOf([](json &m) { m["abi_version"] = R1_ABI_VERSION + 1; }),
            "toy.r1: the code was built for ABI version " + std::to_string(R1_ABI_VERSION + 1) +
                "; this r1run supports ABI version " + std::to_string(R1_ABI_VERSION) +
                " (recompile with a matching r1c)");
}

TEST(Manifest, ReadsTheTuning) {
  json manifest = toy::toyManifest();
  manifest["tuning"] = {{"amx_min_tokens", 12},
                        {"decode_tasks_per_thread", 2},
                        {"gemv_max_tokens", 6},
                        {"measured_on", "Some CPU, 2 threads"},
                        {"measurements", json::object()},
                        {"not_measured", {{"amx_min_expert_tokens", "no experts"}}}};
  Result<ModelManifest> parsed = parseModelManifest(manifest, "toy.r1");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->tuning.amx_min_tokens, 12);
  EXPECT_EQ(parsed->tuning.amx_min_expert_tokens, 0) << "not measured: the kernels' default";
  EXPECT_EQ(parsed->tuning.decode_tasks_per_thread, 2);
  EXPECT_EQ(parsed->tuning.gemv_max_tokens, 6);
  EXPECT_EQ(parsed->tunedOn, "Some CPU, 2 threads");
}

TEST(Manifest, TuningErrors) {
  auto tuned = [](json value) {
    return [value](json &m) {
      m["tuning"] = {{"measured_on", "x"}};
      m["tuning"].update(value);
    };
  };
  EXPECT_EQ(errorOf(tuned({{"amx_min_tokens", 0}})),
            "toy.r1: manifest field \"tuning.amx_min_tokens\" must be at least 1");
  EXPECT_EQ(errorOf(tuned({{"decode_tasks_per_thread", "4"}})),
            "toy.r1: manifest field \"tuning.decode_tasks_per_thread\" must be an integer in [0, "
            "1048576]");
  EXPECT_EQ(errorOf(tuned({{"amx_min_expert_tokens", 1 << 21}})),
            "toy.r1: manifest field \"tuning.amx_min_expert_tokens\" must be an integer in [0, "
            "1048576]");
  EXPECT_EQ(errorOf(tuned({{"gemv_max_tokens", 17}})),
            "toy.r1: manifest field \"tuning.gemv_max_tokens\" must be an integer in [0, 16]");
  EXPECT_EQ(errorOf([](json &m) { m["tuning"] = {{"amx_min_tokens", 8}}; }),
            "toy.r1: manifest field \"tuning.measured_on\" is missing");
  EXPECT_EQ(errorOf([](json &m) { m["tuning"] = 3; }),
            "toy.r1: manifest field \"tuning\" must be an object");
}

TEST(Manifest, WeightsMustFitTheirSection) {
  Result<ModelManifest> parsed = parseModelManifest(toy::toyManifest(), "toy.r1");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(checkWeightsFit(*parsed, 544, "toy.r1").ok());
  EXPECT_EQ(checkWeightsFit(*parsed, 543, "toy.r1").message(),
            "toy.r1: manifest field \"weights[2]\" (mix) [384, +160) lies outside the weights "
            "section (543 bytes)");
  parsed->weights[1].offset = 200;
  EXPECT_EQ(checkWeightsFit(*parsed, 544, "toy.r1").message(),
            "toy.r1: manifest field \"weights[1]\" (embed) offset 200 is not a multiple of 64");
}

// The same checks through Model::load, on artifacts written by the writer.
TEST(Manifest, ModelLoadReportsManifestErrors) {
  toy::TempDir dir;
  std::string path = dir.file("toy.r1");
  toy::ToyArtifactOptions options;
  options.editManifest = [](json &m) { m["weights"][2]["offset"] = 4096; };
  ASSERT_TRUE(toy::writeToyArtifact(path, options).ok());
  Result<std::unique_ptr<Model>> model = Model::load(path);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().message(),
            path + ": manifest field \"weights[2]\" (mix) [4096, +160) lies outside the weights "
                   "section (544 bytes)");

  options.editManifest = [](json &m) { m["code"]["section"] = "code.so"; };
  ASSERT_TRUE(toy::writeToyArtifact(path, options).ok());
  model = Model::load(path);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().message(),
            path + ": manifest field \"code.section\" names section \"code.so\", which the "
                   "artifact does not have");

  options.editManifest = [](json &m) { m["memory"]["arena_bytes"] = "lots"; };
  ASSERT_TRUE(toy::writeToyArtifact(path, options).ok());
  model = Model::load(path);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().message(),
            path + ": manifest field \"memory.arena_bytes\" must be a non-negative integer");
}

} // namespace
} // namespace r1::runtime
