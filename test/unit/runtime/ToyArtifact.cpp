//===- ToyArtifact.cpp - Test artifacts around the toy model --------------===//

#include "test/unit/runtime/ToyArtifact.h"

#include "runtime/ArtifactFormat.h"
#include "runtime/ArtifactWriter.h"
#include "runtime/Checksum.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#ifndef R1C_TOY_MODEL_SO
#error "R1C_TOY_MODEL_SO must name the toy model's shared object (test/unit/runtime/CMakeLists.txt)"
#endif
#ifndef R1C_TOY_MODEL_SOURCE
#error "R1C_TOY_MODEL_SOURCE must name ToyModel.cpp"
#endif

namespace r1::toy {

using nlohmann::json;
using runtime::Status;

namespace {

std::vector<float> weightValues(float (*f)(int64_t)) {
  std::vector<float> values(kVocab);
  for (int64_t i = 0; i < kVocab; ++i)
    values[i] = f(i);
  return values;
}

} // namespace

json toyManifest(const ToyArtifactOptions &options) {
  uint64_t weightBytes = kVocab * sizeof(float);
  uint64_t stride = runtime::alignUp(weightBytes, runtime::kWeightAlignment);
  json weights = json::array();
  const char *names[] = {"bias", "embed", "mix"};
  for (int i = 0; i < 3; ++i)
    weights.push_back({{"name", names[i]},
                       {"dtype", "f32"},
                       {"shape", {kVocab}},
                       {"offset", i * stride},
                       {"bytes", weightBytes},
                       {"layout", "row-major"},
                       {"sources", {std::string("toy.") + names[i]}}});
  json manifest = {
      {"abi_version", R1_ABI_VERSION},
      {"producer", "r1c-test"},
      {"model",
       {{"architecture", "toy"},
        {"vocab_size", kVocab},
        {"hidden_size", 1},
        {"num_layers", 1},
        {"max_positions", kMaxPositions},
        {"bos_token_id", kBos},
        {"eos_token_ids", {kEos}},
        {"config", {{"model_type", "toy"}}}}},
      {"target",
       {{"name", "host"}, {"isa", options.isa}, {"cxx", "clang++-22"}, {"cxx_flags", "-O2"}}},
      {"code",
       {{"section", "code"},
        {"identity", options.identity},
        {"entry_points", {"r1_prefill", "r1_decode"}},
        {"kernels",
         {{{"name", "toy_logits"}, {"kind", "gemv"}, {"params", {{"block", kBlock}}}}}}}},
      {"memory",
       {{"max_step_tokens", kMaxStepTokens},
        {"arena_bytes", kArenaBytes},
        {"kv_bytes_per_token", kKvBytesPerToken},
        {"weights_bytes", 2 * stride + weightBytes},
        {"kv_layout", "toy"}}},
      {"weights", weights},
      {"tokenizer", {{"tokenizer.json", "tokenizer.json"}}},
      {"generation",
       {{"temperature", 0.6},
        {"top_p", 0.95},
        {"max_new_tokens", 32},
        {"think_prefix", "<think>\n"}}}};
  if (options.editManifest)
    options.editManifest(manifest);
  return manifest;
}

Status writeToyArtifact(const std::string &path, const ToyArtifactOptions &options) {
  runtime::ArtifactWriter writer;
  if (Status s = writer.create(path); !s.ok())
    return s;

  // Weights streamed one by one, each 64-byte aligned, as the compiler does.
  if (Status s = writer.beginSection("weights"); !s.ok())
    return s;
  for (float (*f)(int64_t) : {&bias, &emb, &mix}) {
    std::vector<float> values = weightValues(f);
    if (Status s = writer.pad(runtime::kWeightAlignment); !s.ok())
      return s;
    if (Status s = writer.write(values.data(), values.size() * sizeof(float)); !s.ok())
      return s;
  }
  if (Status s = writer.endSection(); !s.ok())
    return s;

  std::string code = readFile(R1C_TOY_MODEL_SO);
  std::string source = readFile(R1C_TOY_MODEL_SOURCE);
  std::string tokenizer = R"({"model": {"type": "toy"}})";
  std::string config = R"({"model_type": "toy"})";
  for (auto [name, bytes] : {std::pair<const char *, const std::string *>{"code", &code},
                             {"code.cpp", &source},
                             {"tokenizer.json", &tokenizer},
                             {"config.json", &config}})
    if (Status s = writer.addSection(name, bytes->data(), bytes->size()); !s.ok())
      return s;
  return writer.finish(toyManifest(options));
}

std::vector<float> referenceLogits(const std::vector<int32_t> &tokens, r1_precision precision) {
  std::vector<float> logits(tokens.size() * kVocab);
  float sum = 0;
  for (size_t p = 0; p < tokens.size(); ++p) {
    sum += emb(tokens[p]);
    float h = precision == R1_PRECISION_FP32 ? sum : roundToBf16(sum);
    for (int64_t v = 0; v < kVocab; ++v)
      logits[p * kVocab + v] = bias(v) + emb(tokens[p]) + h * mix(v);
  }
  return logits;
}

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "r1c-runtime-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data()))
    throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<std::string> TempDir::list() const {
  std::vector<std::string> names;
  for (const auto &entry : std::filesystem::directory_iterator(path_))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out)
    throw std::runtime_error("cannot write " + path);
}

void flipByte(const std::string &path, uint64_t offset) {
  std::string bytes = readFile(path);
  if (offset >= bytes.size())
    throw std::runtime_error("flipByte: offset past the end of " + path);
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0xff);
  writeFile(path, bytes);
}

void writeRawArtifact(const std::string &path, const std::string &body, const std::string &manifest,
                      uint32_t formatVersion) {
  runtime::ArtifactHeader header;
  header.formatVersion = formatVersion;
  header.manifestOffset = runtime::kArtifactHeaderBytes + body.size();
  header.manifestBytes = manifest.size();
  header.manifestXxh64 = runtime::xxh64(manifest.data(), manifest.size());
  header.fileBytes = header.manifestOffset + manifest.size();
  unsigned char headerBytes[runtime::kArtifactHeaderBytes];
  runtime::encodeArtifactHeader(header, headerBytes);
  writeFile(path, std::string(reinterpret_cast<const char *>(headerBytes), sizeof(headerBytes)) +
                      body + manifest);
}

} // namespace r1::toy
