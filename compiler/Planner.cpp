//===- Planner.cpp - r1c plan: the arithmetic -----------------------------===//
//
// Weights come from the config-only import, so every figure follows the
// r1.weight symbols r1c itself declares (stacked experts included through
// their leading dimension). The rest is arithmetic on the config and the
// TargetSpecs table; docs/plan.md states each formula.
//
//===----------------------------------------------------------------------===//

#include "compiler/Planner.h"

#include "compiler/Importer.h"
#include "dialects/R1Ops.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace r1 {

namespace {

llvm::Error planError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// One checkpoint tensor (or stacked-expert set), counted once however many
/// symbols name it (tied embeddings).
struct SourceWeight {
  std::string format;
  uint64_t elements = 0, bytes = 0, scaleBytes = 0;
  int64_t rows = 1;    // shape[0]: experts for stacked weights, vocab for tables
  bool stacked = false;
  bool inForward = false;
  bool embedOnly = true; // every use in @forward is a table lookup
};

uint64_t storedBytes(uint64_t elements, mlir::Type elementType) {
  return (elements * elementType.getIntOrFloatBitWidth() + 7) / 8;
}

std::string formatOf(WeightType type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type.getElementType();
  if (!llvm::isa<PlainLayoutAttr>(type.getLayout()))
    os << " " << type.getLayout();
  return text;
}

/// 1. - 3. of planModel: the weight figures.
void planWeights(mlir::ModuleOp module, const ModelConfig &cfg, Plan &plan) {
  // 1. How @forward uses each symbol: a table lookup reads one row per token,
  //    anything else reads the whole weight.
  llvm::StringMap<bool> forwardEmbedOnly;
  if (auto forward = module.lookupSymbol<mlir::func::FuncOp>("forward"))
    forward.walk([&](WeightGetOp get) {
      bool embed = llvm::all_of(get->getUsers(),
                                [](mlir::Operation *user) { return llvm::isa<EmbedOp>(user); });
      auto [it, inserted] = forwardEmbedOnly.try_emplace(get.getName(), embed);
      if (!inserted)
        it->second = it->second && embed;
    });

  // 2. One entry per checkpoint source, in module order.
  llvm::StringMap<size_t> bySource;
  std::vector<SourceWeight> sources;
  for (WeightOp weight : module.getOps<WeightOp>()) {
    WeightType type = weight.getWeightType();
    auto [it, inserted] = bySource.try_emplace(weight.getSource(), sources.size());
    if (inserted) {
      SourceWeight w;
      w.format = formatOf(type);
      w.elements = type.getNumElements();
      w.bytes = storedBytes(w.elements, type.getElementType());
      llvm::SmallVector<int64_t> scaleShape = type.getScaleShape();
      if (!scaleShape.empty()) {
        uint64_t n = 1;
        for (int64_t d : scaleShape)
          n *= d;
        // Stacked experts: the layout blocks the last two dims only, so the
        // scale shape already carries the expert dimension.
        w.scaleBytes = storedBytes(n, type.getLayout().getScaleElementType(module.getContext()));
        w.bytes += w.scaleBytes;
      }
      w.rows = type.getShape()[0];
      w.stacked = weight.isStackedFromExperts();
      sources.push_back(w);
    }
    SourceWeight &w = sources[it->second];
    auto use = forwardEmbedOnly.find(weight.getSymName());
    if (use != forwardEmbedOnly.end()) {
      w.embedOnly = (w.inForward ? w.embedOnly : true) && use->second;
      w.inForward = true;
    }
  }

  // 3. Totals, groups by format, and what one token activates.
  std::map<std::string, WeightGroup> groups;
  double topkFraction =
      cfg.moe ? double(cfg.moe->numExpertsPerToken) / double(cfg.moe->numRoutedExperts) : 1.0;
  double activated = 0, decodeBytes = 0;
  for (const SourceWeight &w : sources) {
    WeightGroup &g = groups[w.format];
    g.format = w.format;
    ++g.tensors;
    g.elements += w.elements;
    g.bytes += w.bytes;
    g.scaleBytes += w.scaleBytes;
    plan.weightBytes += w.bytes;
    plan.totalParams += w.elements;
    if (!w.inForward)
      continue;
    plan.weightBytesNoMtp += w.bytes;
    plan.paramsNoMtp += w.elements;
    if (w.embedOnly) {
      decodeBytes += double(w.bytes) / double(w.rows); // one row
    } else if (w.stacked) {
      double fraction = cfg.moe ? topkFraction : 1.0;
      activated += double(w.elements) * fraction;
      decodeBytes += double(w.bytes) * fraction;
      plan.routedExpertBytes += w.bytes;
    } else {
      activated += double(w.elements);
      decodeBytes += double(w.bytes);
    }
  }
  for (auto &[format, group] : groups)
    plan.weightGroups.push_back(group);
  std::sort(plan.weightGroups.begin(), plan.weightGroups.end(),
            [](const WeightGroup &a, const WeightGroup &b) { return a.bytes > b.bytes; });
  plan.activatedParams = uint64_t(std::llround(activated));
  plan.decodeWeightBytes = uint64_t(std::llround(decodeBytes));
}

/// The KV cache per token: ideal BF16 and the host backend's f32.
void planKvCache(const ModelConfig &cfg, Plan &plan) {
  uint64_t layers = cfg.numLayers;
  if (cfg.mla) {
    const MlaConfig &m = *cfg.mla;
    plan.kvBytesPerToken = layers * (m.kvLoraRank + m.qkRopeHeadDim) * 2;
    plan.kvFormula = llvm::formatv("{0} layers x (kv_lora_rank {1} + qk_rope_head_dim {2}) x 2 "
                                   "bytes (BF16 latent + rope key, absorbed MLA)",
                                   layers, m.kvLoraRank, m.qkRopeHeadDim);
    plan.hostKvBytesPerToken = layers * (m.kvLoraRank + m.qkRopeHeadDim) * 4;
    plan.hostKvFormula = llvm::formatv("{0} layers x (kv_lora_rank {1} + qk_rope_head_dim {2}) x "
                                       "4 bytes (f32 latent cache)",
                                       layers, m.kvLoraRank, m.qkRopeHeadDim);
  } else {
    plan.kvBytesPerToken = layers * 2 * cfg.numKvHeads * cfg.headDim * 2;
    plan.kvFormula = llvm::formatv("{0} layers x 2 (K, V) x {1} kv heads x {2} head_dim x 2 bytes "
                                   "(BF16)",
                                   layers, cfg.numKvHeads, cfg.headDim);
    plan.hostKvBytesPerToken = layers * 2 * cfg.numKvHeads * cfg.headDim * 4;
    plan.hostKvFormula = llvm::formatv("{0} layers x 2 (K, V) x {1} kv heads x {2} head_dim x 4 "
                                       "bytes (f32)",
                                       layers, cfg.numKvHeads, cfg.headDim);
  }
  plan.kvBytesAtCtx = plan.kvBytesPerToken * plan.ctx;
  plan.hostKvBytesAtCtx = plan.hostKvBytesPerToken * plan.ctx;
}

/// The activations of one step: the residual stream plus the widest stage's
/// live buffers (its normed input, its projections' outputs). Attention
/// scores are not counted: the kernels tile them per (token, head).
void planActivations(const ModelConfig &cfg, Plan &plan) {
  uint64_t t = plan.maxStepTokens, e = plan.activationElementBytes;
  uint64_t hidden = cfg.hiddenSize, heads = cfg.numHeads;
  using Parts = std::vector<ActivationPart>;
  std::vector<std::pair<std::string, Parts>> stages;
  if (cfg.mla) {
    const MlaConfig &m = *cfg.mla;
    Parts attn = {{"normed input [T, hidden]", t * hidden * e}};
    if (m.qLoraRank)
      attn.push_back({"q_a [T, q_lora_rank]", t * *m.qLoraRank * e});
    attn.push_back({"q [T, heads x qk_head_dim]", t * heads * m.qkHeadDim() * e});
    attn.push_back({"kv_a [T, kv_lora_rank + rope]", t * (m.kvLoraRank + m.qkRopeHeadDim) * e});
    attn.push_back({"normed latent [T, kv_lora_rank]", t * m.kvLoraRank * e});
    attn.push_back({"attention output [T, heads x v_head_dim]", t * heads * m.vHeadDim * e});
    // Keys and values exist only per head inside the MLA kernel (absorbed:
    // never; materialized prefill: one head's [ctx, ...] per thread).
    stages.push_back({"attention (MLA over the latent cache)", attn});
  } else {
    uint64_t qkv = (cfg.numHeads + 2 * cfg.numKvHeads) * cfg.headDim;
    stages.push_back({"attention",
                      {{"normed input [T, hidden]", t * hidden * e},
                       {"q|k|v [T, (heads + 2 kv_heads) x head_dim]", t * qkv * e},
                       {"attention output [T, heads x head_dim]", t * heads * cfg.headDim * e}}});
  }
  bool anyDense = !cfg.moe || cfg.moe->firstKDenseReplace > 0 || cfg.moe->moeLayerFreq > 1;
  if (anyDense) {
    uint64_t inter = cfg.intermediateSize;
    stages.push_back({"mlp",
                      {{"normed input [T, hidden]", t * hidden * e},
                       {"gate|up [T, 2 x intermediate]", t * 2 * inter * e},
                       {"silu(gate) x up [T, intermediate]", t * inter * e}}});
  }
  if (cfg.moe) {
    const MoeConfig &m = *cfg.moe;
    uint64_t tk = t * m.numExpertsPerToken, inter = m.moeIntermediateSize;
    Parts moe = {{"normed input [T, hidden]", t * hidden * e},
                 {"router scores [T, n_routed] f32", t * m.numRoutedExperts * 4},
                 {"routed gate|up [T x top_k, 2 x moe_intermediate]", tk * 2 * inter * e},
                 {"routed silu(gate) x up [T x top_k, moe_intermediate]", tk * inter * e},
                 {"routed outputs [T x top_k, hidden]", tk * hidden * e}};
    if (m.numSharedExperts > 0)
      moe.push_back({"shared gate|up [T, 2 x n_shared x moe_intermediate]",
                     t * 2 * m.numSharedExperts * inter * e});
    stages.push_back({"moe", moe});
  }
  stages.push_back({"head",
                    {{"final norm [T, hidden]", t * hidden * e},
                     {"logits [T, vocab] f32", t * uint64_t(cfg.vocabSize) * 4}}});

  ActivationPart residual = {"residual stream [T, hidden]", t * hidden * e};
  uint64_t best = 0;
  for (const auto &[name, parts] : stages) {
    uint64_t total = residual.bytes;
    for (const ActivationPart &p : parts)
      total += p.bytes;
    plan.activationStages.push_back({name, total});
    if (total > best) {
      best = total;
      plan.activationStage = name;
      plan.activationParts = {residual};
      plan.activationParts.insert(plan.activationParts.end(), parts.begin(), parts.end());
    }
  }
  plan.activationBytes = best;
}

/// Rooflines and capacity, N devices scaling linearly.
void planSpeedAndFit(const ModelConfig &cfg, Plan &plan) {
  const TargetSpec &spec = plan.target;
  double n = double(plan.gpus);

  plan.decodeKvBytesPerToken = plan.kvBytesPerToken * (plan.ctx / 2);
  plan.decodeBytesPerToken = plan.decodeWeightBytes + plan.decodeKvBytesPerToken;
  plan.decodeTokensPerSecond = n * spec.memoryBandwidth / double(plan.decodeBytesPerToken);

  if (cfg.fp8 && spec.peakFp8 > 0) {
    plan.computeType = "fp8";
    plan.peakFlops = spec.peakFp8;
  } else if (spec.peakBf16 > 0) {
    plan.computeType = "bf16";
    plan.peakFlops = spec.peakBf16;
  } else {
    plan.computeType = "f32";
    plan.peakFlops = spec.peakF32;
  }
  plan.prefillFlopsPerToken = 2.0 * double(plan.activatedParams);
  plan.prefillTokensPerSecond = n * plan.peakFlops / plan.prefillFlopsPerToken;

  // One step of T rows reads every non-expert weight once and each expert
  // that at least one of the T x top_k picks hits (uniform routing assumed).
  double t = double(plan.maxStepTokens);
  double expertHit = 1.0;
  if (cfg.moe) {
    double miss = 1.0 - double(cfg.moe->numExpertsPerToken) / double(cfg.moe->numRoutedExperts);
    expertHit = 1.0 - std::pow(miss, t);
  }
  double nonExpert = double(plan.decodeWeightBytes) -
                     double(plan.routedExpertBytes) *
                         (cfg.moe ? double(cfg.moe->numExpertsPerToken) /
                                        double(cfg.moe->numRoutedExperts)
                                  : 1.0);
  plan.stepWeightBytes =
      uint64_t(std::llround(nonExpert + double(plan.routedExpertBytes) * expertHit));
  double computeSeconds = t * plan.prefillFlopsPerToken / (n * plan.peakFlops);
  double readSeconds = double(plan.stepWeightBytes) / (n * spec.memoryBandwidth);
  plan.stepTokensPerSecond = t / std::max(computeSeconds, readSeconds);

  // Weights shard evenly; a GQA cache splits by KV head when they divide,
  // an MLA latent (one head shared by all query heads) is replicated under
  // tensor parallelism; activations are counted whole on every device.
  plan.kvReplicated = plan.gpus > 1 && (cfg.mla || cfg.numKvHeads % plan.gpus != 0);
  uint64_t kv = plan.kvReplicated ? plan.kvBytesAtCtx
                                  : (plan.kvBytesAtCtx + plan.gpus - 1) / plan.gpus;
  plan.bytesPerDevice =
      (plan.weightBytesNoMtp + plan.gpus - 1) / plan.gpus + kv + plan.activationBytes;
  plan.deviceMemoryBytes = spec.memoryBytes;
  plan.fits = plan.bytesPerDevice <= plan.deviceMemoryBytes;
}

std::string commas(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

/// Decimal units: 686.6 GB, 2.30 GB, 70.3 KB.
std::string human(double bytes) {
  static const char *units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000 && u < 4) {
    bytes /= 1000;
    ++u;
  }
  return llvm::formatv(u == 0 ? "{0:F0} {1}" : "{0:F2} {1}", bytes, units[u]);
}

std::string rate(double perSecond) {
  if (perSecond >= 100)
    return commas(uint64_t(std::llround(perSecond)));
  return llvm::formatv("{0:F1}", perSecond);
}

/// 1979 TFLOP/s, 384 GFLOP/s.
std::string flops(double perSecond) {
  if (perSecond >= 1e12)
    return llvm::formatv("{0:F1} TFLOP/s", perSecond / 1e12);
  return llvm::formatv("{0:F0} GFLOP/s", perSecond / 1e9);
}

} // namespace

llvm::Expected<Plan> planModel(mlir::MLIRContext &context, const PlanOptions &options) {
  // 1. Flags that do not need the config.
  llvm::Expected<const TargetSpec &> spec = lookupTargetSpec(options.target);
  if (!spec)
    return spec.takeError();
  if (options.gpus < 1)
    return planError("--gpus: must be at least 1, got " + std::to_string(options.gpus));
  if (!spec->isGpu && options.gpus != 1)
    return planError("--gpus: target '" + options.target +
                     "' is one CPU machine; --gpus applies to sm_* targets");
  if (options.maxStepTokens < 1)
    return planError("--max-step-tokens: must be at least 1, got " +
                     std::to_string(options.maxStepTokens));
  if (options.ctx && *options.ctx < 1)
    return planError("--ctx: must be at least 1, got " + std::to_string(*options.ctx));

  // 2. The config-only import: the r1.weight symbols r1c compile would store.
  if (!llvm::sys::fs::exists(options.configPath))
    return planError(options.configPath + ": no such file or directory; plan needs a "
                                          "config.json, or a directory holding one");
  loadImporterDialects(context);
  ImportOptions importOptions;
  importOptions.configOnly = true;
  llvm::Expected<ImportedModel> imported = importModel(context, options.configPath, importOptions);
  if (!imported)
    return imported.takeError();
  const ModelConfig &cfg = imported->config;
  if (options.ctx && *options.ctx > cfg.maxPositions)
    return planError(llvm::formatv("--ctx: {0} exceeds max_position_embeddings {1} of {2}",
                                   *options.ctx, cfg.maxPositions, cfg.path)
                         .str());

  Plan plan;
  plan.configPath = cfg.path;
  plan.modelType = cfg.modelType;
  plan.target = *spec;
  plan.gpus = options.gpus;
  plan.ctx = options.ctx.value_or(std::min<int64_t>(cfg.maxPositions, 32768));
  plan.maxStepTokens = options.maxStepTokens;
  plan.numLayers = cfg.numLayers;
  plan.mla = cfg.mla.has_value();
  plan.moe = cfg.moe.has_value();
  // The host backend computes in f32; GPU kernels are assumed to keep BF16
  // activations.
  plan.activationElementBytes = spec->isGpu ? 2 : 4;

  // 3. The figures.
  planWeights(*imported->module, cfg, plan);
  planKvCache(cfg, plan);
  planActivations(cfg, plan);
  planSpeedAndFit(cfg, plan);
  return plan;
}

nlohmann::json planToJson(const Plan &plan) {
  nlohmann::json groups = nlohmann::json::array();
  for (const WeightGroup &g : plan.weightGroups)
    groups.push_back({{"format", g.format},
                      {"tensors", g.tensors},
                      {"elements", g.elements},
                      {"bytes", g.bytes},
                      {"scale_bytes", g.scaleBytes}});
  nlohmann::json parts = nlohmann::json::array(), stages = nlohmann::json::array();
  for (const ActivationPart &p : plan.activationParts)
    parts.push_back({{"name", p.name}, {"bytes", p.bytes}});
  for (const ActivationPart &p : plan.activationStages)
    stages.push_back({{"name", p.name}, {"bytes", p.bytes}});
  const TargetSpec &t = plan.target;
  return {
      {"estimate", true},
      {"note", "arithmetic on the config and datasheet figures, not a measurement; see "
               "docs/plan.md"},
      {"config", plan.configPath},
      {"model_type", plan.modelType},
      {"target",
       {{"name", t.name},
        {"device", t.device},
        {"memory_bandwidth_bytes_per_s", t.memoryBandwidth},
        {"peak_flops", {{"f32", t.peakF32}, {"bf16", t.peakBf16}, {"fp8", t.peakFp8}}},
        {"memory_bytes", t.memoryBytes},
        {"sm_count", t.smCount},
        {"smem_per_sm_bytes", t.smemPerSmBytes},
        {"source", t.source}}},
      {"gpus", plan.gpus},
      {"ctx", plan.ctx},
      {"max_step_tokens", plan.maxStepTokens},
      {"weights",
       {{"groups", groups},
        {"total_bytes", plan.weightBytes},
        {"without_mtp_bytes", plan.weightBytesNoMtp},
        {"total_params", plan.totalParams},
        {"without_mtp_params", plan.paramsNoMtp},
        {"activated_params", plan.activatedParams},
        {"routed_expert_bytes", plan.routedExpertBytes}}},
      {"kv_cache",
       {{"layers", plan.numLayers},
        {"mla", plan.mla},
        {"bytes_per_token", plan.kvBytesPerToken},
        {"bytes_at_ctx", plan.kvBytesAtCtx},
        {"formula", plan.kvFormula},
        {"host_backend_bytes_per_token", plan.hostKvBytesPerToken},
        {"host_backend_bytes_at_ctx", plan.hostKvBytesAtCtx},
        {"host_backend_formula", plan.hostKvFormula}}},
      {"activations",
       {{"element_bytes", plan.activationElementBytes},
        {"peak_stage", plan.activationStage},
        {"parts", parts},
        {"stages", stages},
        {"bytes", plan.activationBytes}}},
      {"decode",
       {{"weight_bytes_per_token", plan.decodeWeightBytes},
        {"kv_bytes_per_token", plan.decodeKvBytesPerToken},
        {"bytes_per_token", plan.decodeBytesPerToken},
        {"tokens_per_s_upper_bound", plan.decodeTokensPerSecond}}},
      {"prefill",
       {{"compute_type", plan.computeType},
        {"peak_flops_per_device", plan.peakFlops},
        {"flops_per_token", plan.prefillFlopsPerToken},
        {"tokens_per_s_upper_bound", plan.prefillTokensPerSecond},
        {"step_weight_bytes", plan.stepWeightBytes},
        {"step_tokens_per_s_upper_bound", plan.stepTokensPerSecond}}},
      {"memory",
       {{"bytes_per_device", plan.bytesPerDevice},
        {"device_memory_bytes", plan.deviceMemoryBytes},
        {"kv_replicated", plan.kvReplicated},
        {"fits", plan.fits}}},
  };
}

void printPlan(const Plan &plan, llvm::raw_ostream &os) {
  const TargetSpec &t = plan.target;
  std::string devices = plan.gpus > 1 ? llvm::formatv(" x {0}", plan.gpus).str() : "";
  os << "ESTIMATE: r1c plan for " << plan.configPath << " (" << plan.modelType << ") on "
     << t.name << " (" << t.device << ")" << devices << "\n"
     << "Arithmetic on the config and datasheet figures, not a measurement (docs/plan.md).\n\n";

  os << "Weights (config-only import; stacked experts expanded; scales included)\n";
  os << llvm::formatv("  {0,-40} {1,8} {2,18} {3,20}\n", "format", "tensors", "elements", "bytes");
  for (const WeightGroup &g : plan.weightGroups)
    os << llvm::formatv("  {0,-40} {1,8} {2,18} {3,20}  {4}\n", g.format, g.tensors,
                        commas(g.elements), commas(g.bytes), human(double(g.bytes)));
  os << llvm::formatv("  {0,-40} {1,8} {2,18} {3,20}  {4}\n", "total", "",
                      commas(plan.totalParams), commas(plan.weightBytes),
                      human(double(plan.weightBytes)));
  os << llvm::formatv("  {0,-40} {1,8} {2,18} {3,20}  {4}\n",
                      "without the MTP layer (what compile keeps)", "", commas(plan.paramsNoMtp),
                      commas(plan.weightBytesNoMtp), human(double(plan.weightBytesNoMtp)));
  os << llvm::formatv("  activated per token: {0} params ({1:F2} B); decode reads {2} of weights\n\n",
                      commas(plan.activatedParams), double(plan.activatedParams) / 1e9,
                      human(double(plan.decodeWeightBytes)));

  os << llvm::formatv("KV cache (one sequence, {0} layers, ctx {1})\n", plan.numLayers,
                      commas(plan.ctx));
  os << llvm::formatv("  {0}: {1} bytes/token, {2} at ctx\n",
                      plan.mla ? "MLA latent, BF16" : "K/V, BF16", commas(plan.kvBytesPerToken),
                      human(double(plan.kvBytesAtCtx)));
  os << "    = " << plan.kvFormula << "\n";
  os << llvm::formatv("  host backend today{0}: {1} bytes/token, {2} at ctx\n",
                      plan.mla ? " (the same latent cache in f32)" : "",
                      commas(plan.hostKvBytesPerToken), human(double(plan.hostKvBytesAtCtx)));
  os << "    = " << plan.hostKvFormula << "\n\n";

  os << llvm::formatv("Activations (one step of {0} rows, {1}; logits f32; peak stage: {2})\n",
                      plan.maxStepTokens, plan.activationElementBytes == 4 ? "f32" : "BF16",
                      plan.activationStage);
  for (const ActivationPart &p : plan.activationParts)
    os << llvm::formatv("  {0,-55} {1,12}\n", p.name, human(double(p.bytes)));
  os << llvm::formatv("  {0,-55} {1,12}\n", "total", human(double(plan.activationBytes)));
  os << "  every stage (residual included):";
  for (const ActivationPart &p : plan.activationStages)
    os << " " << p.name << " " << human(double(p.bytes)) << ";";
  os << "\n\n";

  std::string across = plan.gpus > 1 ? llvm::formatv("{0} x ", plan.gpus).str() : "";
  os << "Rooflines (upper bounds; " << (plan.gpus > 1 ? "devices scale linearly" : "one device")
     << ")\n";
  os << llvm::formatv("  decode:  {0}/token (weights {1} + KV at ctx/2 {2}) / ({3}{4}/s) = {5} "
                      "tokens/s\n",
                      human(double(plan.decodeBytesPerToken)),
                      human(double(plan.decodeWeightBytes)),
                      human(double(plan.decodeKvBytesPerToken)), across,
                      human(t.memoryBandwidth), rate(plan.decodeTokensPerSecond));
  os << llvm::formatv("  prefill: 2 x {0:F2} B params = {1:F1} GFLOP/token / ({2}{3} {4}) = {5} "
                      "tokens/s\n",
                      double(plan.activatedParams) / 1e9, plan.prefillFlopsPerToken / 1e9, across,
                      flops(plan.peakFlops), plan.computeType, rate(plan.prefillTokensPerSecond));
  os << llvm::formatv("  one step of {0} rows: reads {1} of weights; max(compute, read) -> {2} "
                      "tokens/s\n\n",
                      plan.maxStepTokens, human(double(plan.stepWeightBytes)),
                      rate(plan.stepTokensPerSecond));

  std::string split = plan.gpus > 1 ? llvm::formatv(" / {0}", plan.gpus).str() : "";
  std::string kvSplit = plan.kvReplicated ? " (replicated)" : split;
  os << llvm::formatv("Memory per {0} (weights without MTP{1} + KV at ctx{2} + activations)\n",
                      t.isGpu ? "GPU" : "machine", split, kvSplit);
  os << llvm::formatv("  {0} of {1}: {2}\n", human(double(plan.bytesPerDevice)),
                      human(double(plan.deviceMemoryBytes)),
                      plan.fits ? "fits" : "does NOT fit");
}

} // namespace r1
