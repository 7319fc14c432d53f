//===- CudaEmitter.cpp - r1k plan -> CUDA C++ and a launch plan -----------===//

#include "codegen/cuda/CudaEmitter.h"

#include "codegen/CxxLiterals.h"

#include "dialects/R1KernelPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <functional>
#include <algorithm>
#include <optional>

namespace r1 {

using namespace mlir;
using nlohmann::json;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

// Block sizes. Row-wise kernels take a block per token row; 128 threads keep
// rows of a few thousand elements at a few loads per thread. The tiled GEMM
// is written for 256 (codegen/cuda/kernels/Linear.cuh).
constexpr int kRowThreads = 128;
constexpr int kNormThreads = 256;
constexpr int kGemvThreads = 256; // 8 warps, a weight row per warp at a time
/// The sampler: one block over the vocabulary (Sample.cuh).
constexpr int kSampleThreads = 1024;
/// Its kernel, named in the launch plan's "sampler".
constexpr const char *kSampleKernel = "sample_token";
// GEMV grids stride over the weight rows beyond this many blocks: 8 per SM of
// an H100 (132 SMs) keeps every SM busy, and the host emulation, which pays
// per block, runs a 129k-row LM head in ~1k blocks instead of 16k.
constexpr int64_t kGemvMaxBlocks = 1056;
constexpr int kGemmThreads = 256;
constexpr int64_t kGemmTileN = 64, kGemmTileM = 32;
constexpr int kAttendThreads = 128;
constexpr int kExpertThreads = 256;

std::string floatLiteral(double value) { return cxxFloatLiteral(value, /*asFloat=*/true); }

/// The kernels' WType of a plan's wtype: f32, bf16, f16, f8, or i8g32 ...
/// i4g128 (integer codes with a scale per group).
std::string wtype(llvm::StringRef name) {
  if (name == "f8")
    return "r1ck::WType::F8E4M3";
  if (name == "bf16")
    return "r1ck::WType::BF16";
  if (name == "f16")
    return "r1ck::WType::F16";
  if (name.starts_with("i"))
    return "r1ck::WType::" + name.upper();
  return "r1ck::WType::F32";
}

/// True when weights of `name` come with a scales array (FP8 block scales,
/// integer group scales).
bool hasScales(llvm::StringRef name) { return name == "f8" || name.starts_with("i"); }

std::string boolText(bool b) { return b ? "true" : "false"; }

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// What a launch binds to a kernel's parameters; absent when only the
/// kernel's source is wanted.
struct LaunchBinding {
  std::vector<json> ins, outs, weights;
  int64_t kvOffset = 0;
};

/// One parameter of a __global__ kernel and, for a launch, its argument.
struct Param {
  std::string type, name;
  json arg;
};

/// One __global__ kernel made from an r1k.kernel.
struct Global {
  std::string name;
  /// "both", "prefill" or "decode": which phase's launch plan uses it
  /// ("sample": the sampler, launched by the runtime after a step).
  std::string phase = "both";
  int threads = kRowThreads;
  /// grid = base, with base[rowsDim] multiplied by ceil(rows / rowsPerBlock)
  /// (rowsDim -1: the grid does not depend on the rows).
  std::array<int64_t, 3> grid = {1, 1, 1};
  int rowsDim = 0;
  int64_t rowsPerBlock = 1;
  /// grid[rowsDim] is multiplied by min(rowsCap, ceil(rows * rowsScale /
  /// rowsPerBlock)) (rowsCap 0: no cap).
  int64_t rowsScale = 1, rowsCap = 0;
  int64_t dynamicSharedBytes = 0;
  std::vector<Param> params;
  /// The body's call, with the parameters' names.
  std::string call;
};

/// Builds the __global__ kernels of one r1k.kernel. With `bind`, every
/// parameter also gets its launch argument.
/// Arena space past the plan's arena that some CUDA kernels need (the
/// grouped MoE kernels' expert lists and hidden rows), shared by all layers.
struct CudaScratch {
  int64_t base = 0;     // the plan's arena_bytes, rounded up to 256
  int64_t maxRows = 0;  // rows of the largest step
  int64_t groupsBytes = 0, hiddenBytes = 0; // the largest needs, 256-aligned
  int64_t groups() const { return base; }
  int64_t hidden() const { return base + groupsBytes; }
  int64_t end() const { return base + groupsBytes + hiddenBytes; }
};

/// What the grouped MoE kernels need for `kernel` at `maxRows` rows.
std::pair<int64_t, int64_t> groupedMoeScratch(r1k::KernelOp kernel, int64_t maxRows) {
  int64_t experts = kernel.getInt("experts"), topK = kernel.getInt("top_k");
  auto align = [](int64_t b) { return (b + 255) / 256 * 256; };
  // moeExpertsGroupsElems<E, TopK>(n) int32s, and h [n * TopK, I] floats.
  return {align(4 * (2 * experts + 2 + maxRows * topK)),
          align(4 * maxRows * topK * kernel.getInt("inter"))};
}

/// The grouped MoE kernels serve every moe_experts kernel except W8A8's,
/// whose per-token kernel quantizes inside (docs/cuda.md).
bool usesGroupedMoe(r1k::KernelOp kernel) {
  return kernel.getKind() == "moe_experts" &&
         !(kernel.getParams().get("quantize_activations") && kernel.getBool("quantize_activations"));
}

class KernelDescriber {
public:
  KernelDescriber(r1k::KernelOp kernel, const LaunchBinding *bind, const CudaScratch &scratch)
      : k_(kernel), bind_(bind), scratch_(scratch) {}

  llvm::Expected<std::vector<Global>> describe();

private:
  json in(unsigned i) const { return bind_ ? bind_->ins.at(i) : json(); }
  json out(unsigned i) const { return bind_ ? bind_->outs.at(i) : json(); }
  /// The next weight of the launch when `present`, else a null pointer.
  json weight(bool present) {
    if (!present)
      return "null";
    return bind_ ? bind_->weights.at(nextWeight_++) : json();
  }
  json kv(int64_t extraFloatsPerToken = 0) const {
    return bind_ ? json{{"kv", bind_->kvOffset + extraFloatsPerToken}} : json();
  }
  static Param p(std::string type, std::string name, json arg) {
    return {std::move(type), std::move(name), std::move(arg)};
  }
  static Param rows() { return {"int64_t ", "rows", "rows"}; }
  /// The sequence's KV block table (runtime/cuda/CudaBackend.h).
  Param blocks() const { return {"const int32_t *", "blocks", bind_ ? json("blocks") : json()}; }

  Global rowKernel(const std::string &suffix, int threads, std::vector<Param> params,
                   std::string call) {
    Global g;
    g.name = k_.getSymName().str() + suffix;
    g.threads = threads;
    g.params = std::move(params);
    g.call = std::move(call);
    return g;
  }

  /// A linear layer's decode (GEMV, a warp per output) and prefill (32x64
  /// tiles) kernels over the same parameters, for `outputs` output columns.
  std::vector<Global> gemvAndGemm(const std::vector<Param> &params, int64_t outputs,
                                  std::string gemvCall, std::string gemmCall);
  /// Prefill GEMMs of BF16, FP8 and int8/int4 weights run on tensor cores
  /// (mma.sync m16n8k16 bf16, every target from sm_80: the codes are exact
  /// in bf16, their scales multiply partial sums); f32 and f16 weights on
  /// CUDA cores (codegen/cuda/kernels/LinearTc.cuh says why).
  bool usesTensorCores() {
    return k_.getStr("wtype") == "bf16" || hasScales(k_.getStr("wtype"));
  }
  llvm::Expected<std::vector<Global>> linear();
  llvm::Expected<std::vector<Global>> gatedLinear();
  llvm::Expected<std::vector<Global>> attention();
  llvm::Expected<std::vector<Global>> mla();
  llvm::Expected<std::vector<Global>> moe();

  r1k::KernelOp k_;
  const LaunchBinding *bind_;
  const CudaScratch &scratch_;
  size_t nextWeight_ = 0;
};

llvm::Expected<std::vector<Global>> KernelDescriber::linear() {
  llvm::ArrayRef<int64_t> n = k_.getInts("n");
  if (n.empty() || n.size() > 3)
    return fail(k_.getSymName() + ": the CUDA linear kernel writes 1 to 3 outputs, not " +
                llvm::Twine(n.size()));
  bool bias = k_.getBool("bias"), norm = k_.getBool("norm"), scaled = hasScales(k_.getStr("wtype"));
  int64_t total = 0, seg[3] = {0, 0, 0};
  for (size_t i = 0; i < n.size(); ++i)
    total += seg[i] = n[i];
  std::string eps = norm ? floatLiteral(k_.getF64("eps")) : "0.0f";
  std::vector<Param> params = {p("const float *", "x", in(0)), rows()};
  params.push_back(p("const void *", "w", weight(true)));
  params.push_back(p("const float *", "bias", weight(bias)));
  params.push_back(p("const float *", "gamma", weight(norm)));
  params.push_back(p("const void *", "scales", weight(scaled)));
  for (int i = 0; i < 3; ++i)
    params.push_back(p("float *", "out" + std::to_string(i),
                       i < int(n.size()) ? out(unsigned(i)) : json("null")));
  auto call = [&](const char *body, int threads) {
    return llvm::formatv("r1ck::{0}<{1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}>(x, rows, w, bias, "
                         "gamma, {9}, scales, out0, out1, out2);",
                         body, k_.getInt("k"), wtype(k_.getStr("wtype")), boolText(bias),
                         boolText(norm), seg[0], seg[1], seg[2], threads, eps)
        .str();
  };
  return gemvAndGemm(params, total, call("linearGemv", kGemvThreads),
                     call(usesTensorCores() ? "linearGemmTc" : "linearGemm", kGemmThreads));
}

std::vector<Global> KernelDescriber::gemvAndGemm(const std::vector<Param> &params,
                                                 int64_t outputs, std::string gemvCall,
                                                 std::string gemmCall) {
  Global gemv = rowKernel("_gemv", kGemvThreads, params, std::move(gemvCall));
  gemv.phase = "decode";
  gemv.grid = {std::min(ceilDiv(outputs, kGemvThreads / 32), kGemvMaxBlocks), 1, 1};
  gemv.rowsDim = -1;
  Global gemm = rowKernel("_gemm", kGemmThreads, params, std::move(gemmCall));
  gemm.phase = "prefill";
  gemm.grid = {ceilDiv(outputs, kGemmTileN), 1, 1};
  gemm.rowsDim = 1;
  gemm.rowsPerBlock = kGemmTileM;
  return {gemv, gemm};
}

llvm::Expected<std::vector<Global>> KernelDescriber::gatedLinear() {
  bool norm = k_.getBool("norm"), scaled = hasScales(k_.getStr("wtype"));
  int64_t inter = k_.getInt("i");
  std::string eps = norm ? floatLiteral(k_.getF64("eps")) : "0.0f";
  std::vector<Param> params = {p("const float *", "x", in(0)), rows()};
  params.push_back(p("const void *", "w", weight(true)));
  params.push_back(p("const float *", "gamma", weight(norm)));
  params.push_back(p("const void *", "scales", weight(scaled)));
  params.push_back(p("float *", "out", out(0)));
  auto call = [&](const char *body, int threads) {
    return llvm::formatv("r1ck::{0}<{1}, {2}, {3}, {4}, {5}>(x, rows, w, gamma, {6}, scales, out);",
                         body, k_.getInt("k"), inter, wtype(k_.getStr("wtype")), boolText(norm),
                         threads, eps)
        .str();
  };
  return gemvAndGemm(params, inter, call("gatedGemv", kGemvThreads),
                     call(usesTensorCores() ? "gatedGemmTc" : "gatedGemm", kGemmThreads));
}

llvm::Expected<std::vector<Global>> KernelDescriber::attention() {
  int64_t hq = k_.getInt("q_heads"), hkv = k_.getInt("kv_heads"), d = k_.getInt("head_dim"),
          dv = k_.getInt("v_head_dim");
  std::string dims = llvm::formatv("{0}, {1}, {2}", hkv, d, dv).str();
  Global store = rowKernel(
      "_store", kRowThreads,
      {p("const float *", "k", in(1)), p("const float *", "v", in(2)),
       p("const int32_t *", "pos", in(3)), blocks(), p("float *", "keys", kv()),
       p("float *", "values", kv(hkv * d))},
      llvm::formatv("r1ck::attentionStore<{0}, {1}>(k, v, pos, blocks, keys, values);", dims,
                    kRowThreads)
          .str());
  Global attend = rowKernel(
      "_attend", kAttendThreads,
      {p("const float *", "q", in(0)), p("const int32_t *", "pos", in(3)), blocks(),
       p("const float *", "keys", kv()), p("const float *", "values", kv(hkv * d)),
       p("float *", "out", out(0))},
      llvm::formatv("r1ck::attentionAttend<{0}, {1}, {2}>(q, pos, blocks, keys, values, {3}, out);", hq,
                    dims, kAttendThreads, floatLiteral(k_.getF64("scale")))
          .str());
  attend.grid = {1, hq, 1};
  return std::vector<Global>{store, attend};
}

llvm::Expected<std::vector<Global>> KernelDescriber::mla() {
  // The GPU runs the absorbed form in both phases (docs/cuda.md); the
  // compiler asks r1-fuse-mla for it, so the plan says so.
  if (!k_.getBool("prefill_absorbed") || !k_.getBool("decode_absorbed"))
    return fail(k_.getSymName() +
                ": the CUDA backend implements MLA's absorbed form only; do not force "
                "--mla-prefill/--mla-decode materialized for a CUDA target");
  int64_t heads = k_.getInt("heads"), rank = k_.getInt("rank"), rope = k_.getInt("rope");
  bool fp8 = k_.getStr("wtype") == "f8", ukFp8 = k_.getStr("wtype_uk") == "f8";
  Global store = rowKernel("_store", kRowThreads,
                           {p("const float *", "latent", in(1)), p("const float *", "kpe", in(2)),
                            p("const int32_t *", "pos", in(3)), blocks(), p("float *", "cache", kv())},
                           llvm::formatv("r1ck::mlaStore<{0}, {1}, {2}>(latent, kpe, pos, blocks, cache);",
                                         rank, rope, kRowThreads)
                               .str());
  std::vector<Param> params = {p("const float *", "q", in(0)), p("const int32_t *", "pos", in(3)),
                               blocks(), p("const float *", "cache", kv())};
  params.push_back(p("const void *", "kvB", weight(true)));
  params.push_back(p("const float *", "kvBScales", weight(fp8)));
  params.push_back(p("const void *", "wukT", weight(true)));
  params.push_back(p("const float *", "wukTScales", weight(ukFp8)));
  params.push_back(p("float *", "out", out(0)));
  Global attend = rowKernel(
      "_attend", kAttendThreads, params,
      llvm::formatv("r1ck::mlaAttend<{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}>(q, pos, blocks, cache, kvB, "
                    "kvBScales, wukT, wukTScales, {8}, out);",
                    heads, k_.getInt("nope"), rope, k_.getInt("v"), rank,
                    wtype(k_.getStr("wtype")), wtype(k_.getStr("wtype_uk")), kAttendThreads,
                    floatLiteral(k_.getF64("scale")))
          .str());
  attend.grid = {1, heads, 1};
  return std::vector<Global>{store, attend};
}

llvm::Expected<std::vector<Global>> KernelDescriber::moe() {
  llvm::StringRef kind = k_.getKind();
  if (usesGroupedMoe(k_)) {
    // Three launches: per-expert token lists, then each active expert's
    // gate/up over its tokens, then down and the weighted sum per token; the
    // weights of an expert are read once per step, by many blocks (a decode
    // step's one token would otherwise run on a single SM).
    bool scaled = hasScales(k_.getStr("wtype"));
    int64_t experts = k_.getInt("experts"), topK = k_.getInt("top_k");
    int64_t hidden = k_.getInt("hidden"), inter = k_.getInt("inter");
    json gateUp = weight(true), down = weight(true), guScales = weight(scaled),
         downScales = weight(scaled);
    json groups = bind_ ? json{{"arena", scratch_.groups()}} : json();
    json h = bind_ ? json{{"arena", scratch_.hidden()}} : json();
    std::string dims = llvm::formatv("{0}, {1}", experts, topK).str();
    std::string all = llvm::formatv("{0}, {1}, {2}, {3}, {4}", experts, topK, hidden, inter,
                                    wtype(k_.getStr("wtype")))
                          .str();
    Global sort = rowKernel(
        "_sort", kExpertThreads,
        {p("const int32_t *", "ids", in(1)), rows(), p("int32_t *", "groups", groups)},
        llvm::formatv("r1ck::moeExpertsGroupedSort<{0}, {1}>(ids, rows, groups);", dims,
                      kExpertThreads)
            .str());
    sort.rowsDim = -1;
    Global up = rowKernel(
        "_up", kExpertThreads,
        {p("const float *", "x", in(0)), p("const int32_t *", "groups", groups),
         p("const void *", "gateUp", gateUp), p("const void *", "gateUpScales", guScales),
         p("float *", "h", h)},
        llvm::formatv("r1ck::moeExpertsGroupedUp<{0}, {1}>(x, groups, gateUp, gateUpScales, h);",
                      all, kExpertThreads)
            .str());
    // (ceil(I / warps), min(E, rows * TopK)): blocks past the active experts return.
    up.grid = {ceilDiv(inter, kExpertThreads / 32), 1, 1};
    up.rowsDim = 1;
    up.rowsScale = topK;
    up.rowsCap = experts;
    Global downStep = rowKernel(
        "_down", kExpertThreads,
        {p("const float *", "h", h), p("const float *", "weights", in(2)),
         p("const int32_t *", "groups", groups), p("const void *", "down", down),
         p("const void *", "downScales", downScales), rows(), p("float *", "out", out(0))},
        llvm::formatv("r1ck::moeExpertsGroupedDown<{0}, {1}>(h, weights, groups, down, "
                      "downScales, rows, out);",
                      all, kExpertThreads)
            .str());
    downStep.grid = {ceilDiv(hidden, 2 * (kExpertThreads / 32)), 1, 1};
    downStep.rowsDim = -1;
    return std::vector<Global>{sort, up, downStep};
  }
  if (kind == "moe_experts") {
    bool fp8 = hasScales(k_.getStr("wtype"));
    bool quant = k_.getParams().get("quantize_activations") && k_.getBool("quantize_activations");
    int64_t hidden = k_.getInt("hidden"), inter = k_.getInt("inter");
    std::vector<Param> params = {p("const float *", "x", in(0)), p("const int32_t *", "ids", in(1)),
                                 p("const float *", "weights", in(2))};
    params.push_back(p("const void *", "gateUp", weight(true)));
    params.push_back(p("const void *", "down", weight(true)));
    params.push_back(p("const void *", "gateUpScales", weight(fp8)));
    params.push_back(p("const void *", "downScales", weight(fp8)));
    params.push_back(p("float *", "out", out(0)));
    Global g = rowKernel(
        "", kExpertThreads, params,
        llvm::formatv("r1ck::moeExperts<{0}, {1}, {2}, {3}, {4}, {5}, {6}>(x, ids, weights, "
                      "gateUp, down, gateUpScales, downScales, out);",
                      k_.getInt("experts"), k_.getInt("top_k"), hidden, inter,
                      wtype(k_.getStr("wtype")), boolText(quant), kExpertThreads)
            .str());
    g.dynamicSharedBytes = 4 * (hidden + inter);
    return std::vector<Global>{g};
  }
  bool bias = k_.getBool("bias");
  std::string routing =
      llvm::formatv("{0}, {1}, {2}, {3}, {4}, {5}", k_.getInt("top_k"), k_.getInt("groups"),
                    k_.getInt("topk_groups"), k_.getInt("group_score"), boolText(bias),
                    boolText(k_.getBool("normalize")))
          .str();
  std::string scaling = floatLiteral(k_.getF64("scaling"));
  if (kind == "moe_topk") {
    std::vector<Param> params = {p("const float *", "scores", in(0))};
    params.push_back(p("const float *", "bias", weight(bias)));
    params.push_back(p("int32_t *", "ids", out(0)));
    params.push_back(p("float *", "weights", out(1)));
    return std::vector<Global>{rowKernel(
        "", kRowThreads, params,
        llvm::formatv("r1ck::moeTopk<{0}, {1}, {2}>(scores, bias, {3}, ids, weights);",
                      k_.getInt("experts"), routing, kRowThreads, scaling)
            .str())};
  }
  std::vector<Param> params = {p("const float *", "x", in(0))};
  params.push_back(p("const void *", "gate", weight(true)));
  params.push_back(p("const float *", "bias", weight(bias)));
  params.push_back(p("int32_t *", "ids", out(0)));
  params.push_back(p("float *", "weights", out(1)));
  params.push_back(p("float *", "scores", out(2)));
  return std::vector<Global>{rowKernel(
      "", kRowThreads, params,
      llvm::formatv("r1ck::moeRoute<{0}, {1}, {2}, {3}, {4}, {5}>(x, gate, bias, {6}, ids, "
                    "weights, scores);",
                    k_.getInt("experts"), k_.getInt("hidden"), wtype(k_.getStr("wtype")),
                    k_.getInt("scoring"), routing, kRowThreads, scaling)
          .str())};
}

llvm::Expected<std::vector<Global>> KernelDescriber::describe() {
  llvm::StringRef kind = k_.getKind();
  auto one = [&](int threads, std::vector<Param> params, std::string call) {
    return std::vector<Global>{rowKernel("", threads, std::move(params), std::move(call))};
  };
  auto hidden = [&] { return k_.getInt("hidden"); };
  if (kind == "linear")
    return linear();
  if (kind == "gated_linear")
    return gatedLinear();
  if (kind == "attention")
    return attention();
  if (kind == "mla")
    return mla();
  if (kind.starts_with("moe_"))
    return moe();
  if (kind == "embed")
    return one(kRowThreads,
               {p("const int32_t *", "tokens", in(0)), p("const void *", "table", weight(true)),
                p("float *", "out", out(0))},
               llvm::formatv("r1ck::embed<{0}, {1}, {2}, {3}>(tokens, table, out);",
                             k_.getInt("vocab"), hidden(), wtype(k_.getStr("wtype")), kRowThreads)
                   .str());
  if (kind == "rms_norm")
    return one(kNormThreads,
               {p("const float *", "x", in(0)), p("const float *", "gamma", weight(true)),
                p("float *", "out", out(0))},
               llvm::formatv("r1ck::rmsNorm<{0}, {1}>(x, gamma, {2}, out);", hidden(),
                             kNormThreads, floatLiteral(k_.getF64("eps")))
                   .str());
  if (kind == "add_rms_norm")
    return one(kNormThreads,
               {p("const float *", "x", in(0)), p("const float *", "r", in(1)),
                p("const float *", "gamma", weight(true)), p("float *", "sum", out(0)),
                p("float *", "out", out(1))},
               llvm::formatv("r1ck::addRmsNorm<{0}, {1}>(x, r, gamma, {2}, sum, out);", hidden(),
                             kNormThreads, floatLiteral(k_.getF64("eps")))
                   .str());
  if (kind == "rope")
    return one(kRowThreads,
               {p("const float *", "x", in(0)), p("const int32_t *", "pos", in(1)),
                p("float *", "out", out(0))},
               llvm::formatv("r1ck::rope<{0}, {1}, {2}, {3}>(x, pos, {4}_inv_freq, out);",
                             k_.getInt("heads"), k_.getInt("dim"),
                             boolText(k_.getBool("interleaved")), kRowThreads, k_.getSymName())
                   .str());
  if (kind == "add" || kind == "mul")
    return one(kRowThreads,
               {p("const float *", "a", in(0)), p("const float *", "b", in(1)),
                p("float *", "out", out(0))},
               llvm::formatv("r1ck::{0}<{1}, {2}>(a, b, out);", kind, hidden(), kRowThreads).str());
  if (kind == "silu" || kind == "sigmoid" || kind == "softmax")
    return one(kRowThreads, {p("const float *", "x", in(0)), p("float *", "out", out(0))},
               llvm::formatv("r1ck::{0}<{1}, {2}>(x, out);", kind, hidden(), kRowThreads).str());
  if (kind == "quantize_f8")
    return one(kRowThreads, {p("const float *", "x", in(0)), p("float *", "out", out(0))},
               llvm::formatv("r1ck::quantizeF8Blocks<{0}, {1}>(x, out);", hidden(), kRowThreads)
                   .str());
  if (kind == "slice")
    return one(kRowThreads, {p("const float *", "x", in(0)), p("float *", "out", out(0))},
               llvm::formatv("r1ck::sliceLast<{0}, {1}, {2}, {3}, {4}>(x, out);",
                             k_.getInt("heads"), k_.getInt("offset"), k_.getInt("size"),
                             k_.getInt("in_row"), kRowThreads)
                   .str());
  if (kind == "concat")
    return one(kRowThreads,
               {p("const float *", "a", in(0)), p("const float *", "b", in(1)),
                p("float *", "out", out(0))},
               llvm::formatv("r1ck::concatLast<{0}, {1}, {2}, {3}>(a, b, out);",
                             k_.getInt("heads"), k_.getInt("a"), k_.getInt("b"), kRowThreads)
                   .str());
  if (kind == "broadcast")
    return one(kRowThreads, {p("const float *", "x", in(0)), p("float *", "out", out(0))},
               llvm::formatv("r1ck::broadcastHeads<{0}, {1}, {2}>(x, out);", k_.getInt("heads"),
                             k_.getInt("dim"), kRowThreads)
                   .str());
  return fail("no CUDA kernel for kernel kind '" + kind + "' (" + k_.getSymName() + ")");
}

/// The launch plan's "kernels" entry of `g`.
json kernelEntry(const Global &g) {
  return {{"name", g.name},
          {"phase", g.phase},
          {"threads", g.threads},
          {"grid", g.grid},
          {"rows_dim", g.rowsDim},
          {"rows_per_block", g.rowsPerBlock},
          {"rows_scale", g.rowsScale},
          {"rows_cap", g.rowsCap},
          {"dynamic_shared_bytes", g.dynamicSharedBytes}};
}

void emitGlobal(const Global &g, llvm::raw_ostream &os) {
  os << "extern \"C\" R1_GLOBAL void R1_LAUNCH_BOUNDS(" << g.threads << ") " << g.name << "(";
  for (size_t i = 0; i < g.params.size(); ++i)
    os << (i ? ", " : "") << g.params[i].type << g.params[i].name;
  os << ") {\n  " << g.call << "\n}\n";
}

/// The emulation's launcher: kernel i of the table, with cuLaunchKernel's
/// argument convention (args[j] points at parameter j's value).
void emitEmulationLauncher(const std::vector<Global> &globals, const std::string &identity,
                           llvm::raw_ostream &os) {
  os << "\n#if !defined(__CUDACC__)\n"
     << "// The host emulation's entry points (runtime/cuda/EmulatedDevice.cpp).\n"
     << "#include <cstring>\n#include <exception>\n\n"
     << "#define R1EMU_EXPORT extern \"C\" __attribute__((visibility(\"default\")))\n"
     << "R1EMU_EXPORT const char *r1_code_identity(void) { return \"" << identity << "\"; }\n"
     << "R1EMU_EXPORT int r1emu_kernel_index(const char *name) {\n"
     << "  static const char *const names[] = {";
  for (size_t i = 0; i < globals.size(); ++i)
    os << (i % 4 ? " " : "\n      ") << "\"" << globals[i].name << "\",";
  os << "};\n  for (int i = 0; i < int(sizeof names / sizeof *names); ++i)\n"
     << "    if (!std::strcmp(names[i], name)) return i;\n  return -1;\n}\n"
     << "// Parameters of kernel i (8 bytes each), for a driver that must copy them.\n"
     << "R1EMU_EXPORT int r1emu_kernel_arity(int kernel) {\n  static const int arity[] = {";
  for (size_t i = 0; i < globals.size(); ++i)
    os << (i ? ", " : "") << globals[i].params.size();
  os << "};\n  return kernel >= 0 && kernel < int(sizeof arity / sizeof *arity) ? arity[kernel] : "
        "-1;\n}\n"
     << "R1EMU_EXPORT int r1emu_launch(int kernel, const unsigned *grid, const unsigned *block, "
        "unsigned sharedBytes, void **args, char *error, unsigned long errorBytes) {\n"
     << "  const dim3 g(grid[0], grid[1], grid[2]), b(block[0], block[1], block[2]);\n"
     << "  try {\n    switch (kernel) {\n";
  for (size_t i = 0; i < globals.size(); ++i) {
    const Global &g = globals[i];
    os << "    case " << i << ": R1_LAUNCH(" << g.name << ", g, b, sharedBytes, nullptr";
    for (size_t j = 0; j < g.params.size(); ++j) {
      std::string type = g.params[j].type;
      while (!type.empty() && type.back() == ' ')
        type.pop_back();
      os << ", *static_cast<" << type << " *>(args[" << j << "])";
    }
    os << "); return 0;\n";
  }
  os << "    default: std::snprintf(error, errorBytes, \"no kernel %d\", kernel); return 1;\n"
     << "    }\n  } catch (const std::exception &e) {\n"
     << "    std::snprintf(error, errorBytes, \"%s\", e.what());\n    return 2;\n  }\n}\n"
     << "#endif\n";
}

} // namespace

llvm::Expected<CudaProgram> emitCuda(ModuleOp plan, const CudaEmitOptions &options) {
  auto step = plan.lookupSymbol<func::FuncOp>("step");
  if (!step)
    return fail("the plan has no @step (run r1-lower-to-kernels and r1-plan-memory)");
  auto attrInt = [&](llvm::StringRef name) -> int64_t {
    auto attr = step->getAttrOfType<IntegerAttr>(name);
    return attr ? attr.getInt() : -1;
  };
  if (attrInt("r1k.max_rows") < 1 || attrInt("r1k.kv_bytes_per_token") < 0 ||
      attrInt("r1k.arena_bytes") < 0)
    return fail("the plan's memory is not planned (run r1-plan-memory)");

  std::string text;
  llvm::raw_string_ostream os(text);
  os << "// Generated by " << options.generatedBy << ". Do not edit: regenerate it.\n"
     << "// Identity: " << options.identity << "\n"
     << "// One extern \"C\" kernel per plan kernel (two for GEMM/GEMV and attention); the\n"
     << "// launch plan in the artifact's manifest says when each runs.\n"
     << "#include \"R1CudaKernels.cuh\"\n\n";

  // 0. Scratch past the plan's arena, for the kernels that need it.
  CudaScratch scratch;
  scratch.base = (attrInt("r1k.arena_bytes") + 255) / 256 * 256;
  scratch.maxRows = attrInt("r1k.max_rows");
  for (auto kernel : plan.getOps<r1k::KernelOp>())
    if (usesGroupedMoe(kernel)) {
      auto [groupsBytes, hiddenBytes] = groupedMoeScratch(kernel, scratch.maxRows);
      scratch.groupsBytes = std::max(scratch.groupsBytes, groupsBytes);
      scratch.hiddenBytes = std::max(scratch.hiddenBytes, hiddenBytes);
    }

  // 1. The kernels, in plan order.
  std::vector<Global> globals;
  llvm::DenseMap<Attribute, int64_t> weightIndex;
  json kernels = json::array();
  for (Operation &op : plan.getBody()->getOperations()) {
    if (auto weight = dyn_cast<r1k::PackedWeightOp>(op)) {
      weightIndex[FlatSymbolRefAttr::get(weight.getSymNameAttr())] = weightIndex.size();
      continue;
    }
    auto kernel = dyn_cast<r1k::KernelOp>(op);
    if (!kernel)
      continue;
    os << "// " << kernel.getKind() << " " << kernel.getParams() << "\n";
    if (kernel.getKind() == "rope") {
      auto invFreq = cast<DenseF32ArrayAttr>(kernel.getParams().get("inv_freq")).asArrayRef();
      os << "R1_DEVICE const float " << kernel.getSymName() << "_inv_freq[" << invFreq.size()
         << "] = {";
      for (size_t i = 0; i < invFreq.size(); ++i)
        os << (i % 6 == 0 ? "\n    " : " ") << floatLiteral(invFreq[i]) << ",";
      os << "};\n";
    }
    llvm::Expected<std::vector<Global>> made = KernelDescriber(kernel, nullptr, scratch).describe();
    if (!made)
      return made.takeError();
    for (Global &g : *made) {
      emitGlobal(g, os);
      kernels.push_back(kernelEntry(g));
      globals.push_back(std::move(g));
    }
    os << "\n";
  }
  // The sampler over the last logits row: top-k / top-p / min-p on the
  // device, so that a decode step downloads a token, not a row of logits.
  {
    auto logitsType = cast<ShapedType>(step.getArgument(2).getType());
    Global sample;
    sample.name = kSampleKernel;
    sample.phase = "sample";
    sample.threads = kSampleThreads;
    sample.rowsDim = -1;
    sample.params = {{"const float *", "logits", "logits"},
                     {"const r1ck::SampleParams *", "params", "sample_params"},
                     {"int32_t *", "token", "sample_token"}};
    sample.call = llvm::formatv("r1ck::sampleRow<{0}, {1}>(logits, params, token);",
                                logitsType.getShape().back(), kSampleThreads)
                      .str();
    os << "// the sampler (runtime: Sampler::drawForDevice)\n";
    emitGlobal(sample, os);
    kernels.push_back(kernelEntry(sample));
    globals.push_back(std::move(sample));
  }
  emitEmulationLauncher(globals, options.identity, os);

  // 2. The launches, per phase.
  json prefill = json::array(), decode = json::array();
  llvm::DenseMap<Value, json> args;
  llvm::DenseSet<Value> logitsRows;
  args[step.getArgument(0)] = "tokens";
  args[step.getArgument(1)] = "positions";
  args[step.getArgument(2)] = "logits";
  auto rowElements = [](Type type) {
    int64_t n = 1;
    for (int64_t d : cast<ShapedType>(type).getShape().drop_front())
      n *= d;
    return n;
  };
  for (Operation &op : step.getBody().front()) {
    if (auto buffer = dyn_cast<r1k::BufferOp>(op)) {
      if (!buffer.getOffset())
        return fail("a buffer has no offset (run r1-plan-memory)");
      args[buffer] = json{{"arena", *buffer.getOffset()}};
    } else if (auto view = dyn_cast<r1k::ViewOp>(op)) {
      args[view] = args.lookup(view.getSource());
      if (logitsRows.contains(view.getSource()))
        logitsRows.insert(view);
    } else if (auto select = dyn_cast<r1k::LogitsRowsOp>(op)) {
      json source = args.lookup(select.getSource());
      if (!source.is_object() || !source.contains("arena"))
        return fail("r1k.logits_rows of something other than an arena buffer");
      source["last_rows_of"] = rowElements(select.getType());
      args[select] = source;
      logitsRows.insert(select);
    } else if (auto launch = dyn_cast<r1k::LaunchOp>(op)) {
      auto kernel = plan.lookupSymbol<r1k::KernelOp>(launch.getKernelAttr());
      LaunchBinding bind;
      bool logits = false;
      for (Value in : launch.getIns()) {
        bind.ins.push_back(args.lookup(in));
        logits |= logitsRows.contains(in);
      }
      for (Value out : launch.getOuts())
        bind.outs.push_back(args.lookup(out));
      for (Attribute ref : launch.getWeights())
        bind.weights.push_back(json{{"weight", weightIndex.lookup(ref)}});
      bind.kvOffset = launch.getKvOffset().value_or(0);
      llvm::Expected<std::vector<Global>> made = KernelDescriber(kernel, &bind, scratch).describe();
      if (!made)
        return made.takeError();
      for (const Global &g : *made) {
        json entry = {{"kernel", g.name}, {"rows", logits ? "logits" : "tokens"}};
        json list = json::array();
        for (const Param &param : g.params)
          list.push_back(param.arg);
        entry["args"] = list;
        if (auto layer = launch->getAttrOfType<IntegerAttr>("layer"))
          entry["layer"] = layer.getInt();
        if (g.phase != "decode")
          prefill.push_back(entry);
        if (g.phase != "prefill")
          decode.push_back(entry);
      }
    } else if (!isa<func::ReturnOp>(op)) {
      return fail("unexpected op in @step: " + op.getName().getStringRef());
    }
  }
  CudaProgram program;
  program.source = std::move(text);
  program.launchPlan = {{"kernels", kernels},
                        {"prefill", prefill},
                        {"decode", decode},
                        {"sampler", kSampleKernel}};
  program.arenaBytes = scratch.groupsBytes ? scratch.end() : attrInt("r1k.arena_bytes");
  return program;
}

} // namespace r1
