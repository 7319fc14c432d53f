//===- HostEmitter.cpp - r1k plan -> C++ for the host CPU -----------------===//

#include "codegen/host/HostEmitter.h"

#include "codegen/CxxLiterals.h"

#include "dialects/R1KernelPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>

namespace r1 {

using namespace mlir;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string floatLiteral(double value, bool asFloat) { return cxxFloatLiteral(value, asFloat); }

/// The kernels' WType of a plan's wtype: f32, bf16, f16, f8, or i8g32 ...
/// i4g128 (integer codes with a scale per group).
std::string wtype(llvm::StringRef name) {
  if (name == "f8")
    return "WType::F8E4M3";
  if (name == "bf16")
    return "WType::BF16";
  if (name == "f16")
    return "WType::F16";
  if (name.starts_with("i"))
    return "WType::" + name.upper();
  return "WType::F32";
}

/// True when weights of `name` come with a scales array (FP8 block scales,
/// integer group scales).
bool hasScales(llvm::StringRef name) { return name == "f8" || name.starts_with("i"); }

int64_t rowElements(Type type) {
  int64_t n = 1;
  for (int64_t d : cast<ShapedType>(type).getShape().drop_front())
    n *= d;
  return n;
}

/// The wrapper function of one kernel: a name, and a body instantiating the
/// kernel template with the constants of `kernel`.
void emitKernel(r1k::KernelOp kernel, llvm::raw_ostream &os) {
  llvm::StringRef kind = kernel.getKind();
  std::string name = kernel.getSymName().str();
  os << "// " << kind << " " << kernel.getParams() << "\n";
  auto eps = [&] { return floatLiteral(kernel.getF64("eps"), true); };
  if (kind == "embed") {
    os << llvm::formatv("inline void {0}(const Exec &ex, const int32_t *tokens, int64_t n, const "
                        "void *table, float *out) {{\n  embed<{1}, {2}, {3}>(ex, tokens, n, table, "
                        "out);\n}\n",
                        name, kernel.getInt("vocab"), kernel.getInt("hidden"),
                        wtype(kernel.getStr("wtype")));
  } else if (kind == "rms_norm") {
    os << llvm::formatv("inline void {0}(const Exec &ex, const float *x, int64_t n, const void "
                        "*gamma, float *out) {{\n  rmsNorm<{1}>(ex, x, n, static_cast<const float "
                        "*>(gamma), {2}, out);\n}\n",
                        name, kernel.getInt("hidden"), eps());
  } else if (kind == "add_rms_norm") {
    os << llvm::formatv(
        "inline void {0}(const Exec &ex, const float *x, const float *r, int64_t n, const void "
        "*gamma, float *sum, float *out) {{\n  addRmsNorm<{1}>(ex, x, r, n, static_cast<const "
        "float *>(gamma), {2}, sum, out);\n}\n",
        name, kernel.getInt("hidden"), eps());
  } else if (kind == "linear") {
    llvm::ArrayRef<int64_t> n = kernel.getInts("n");
    bool bias = kernel.getBool("bias"), norm = kernel.getBool("norm");
    os << "template <int64_t kRows>\ninline void " << name
       << "(const Exec &ex, const float *x, int64_t n, const void *w, const void *bias, const void "
          "*gamma, const void *scales";
    for (size_t i = 0; i < n.size(); ++i)
      os << ", float *out" << i;
    os << ") {\n  float *const outs[] = {";
    for (size_t i = 0; i < n.size(); ++i)
      os << (i ? ", " : "") << "out" << i;
    os << "};\n  linear<kRows, " << kernel.getInt("k") << ", " << wtype(kernel.getStr("wtype"))
       << ", " << (bias ? "true" : "false") << ", " << (norm ? "true" : "false");
    for (int64_t segment : n)
      os << ", " << segment;
    os << ">(ex, x, n, w, static_cast<const float *>(bias), static_cast<const float *>(gamma), "
       << (norm ? eps() : std::string("0.0f")) << ", outs, scales);\n}\n";
  } else if (kind == "gated_linear") {
    bool norm = kernel.getBool("norm");
    os << llvm::formatv("template <int64_t kRows>\ninline void {0}(const Exec &ex, const float "
                        "*x, int64_t n, const void *w, const void *gamma, const void *scales, float *out) "
                        "{{\n  gatedLinear<kRows, {1}, {2}, {3}, {4}>(ex, x, n, w, {5}, {6}, out, "
                        "scales);\n}\n",
                        name, kernel.getInt("k"), kernel.getInt("i"),
                        wtype(kernel.getStr("wtype")), norm ? "true" : "false",
                        norm ? "static_cast<const float *>(gamma)" : "nullptr",
                        norm ? eps() : std::string("0.0f"));
  } else if (kind == "rope") {
    auto invFreq = cast<DenseF32ArrayAttr>(kernel.getParams().get("inv_freq")).asArrayRef();
    os << "alignas(64) const float " << name << "_inv_freq[" << invFreq.size() << "] = {";
    for (size_t i = 0; i < invFreq.size(); ++i)
      os << (i % 6 == 0 ? "\n    " : " ") << floatLiteral(invFreq[i], true) << ",";
    os << "};\n";
    os << llvm::formatv("inline void {0}(const Exec &ex, const float *in, const int32_t *pos, "
                        "int64_t n, float *out) {{\n  rope<{1}, {2}, {3}>(ex, in, out, n, pos, "
                        "{0}_inv_freq);\n}\n",
                        name, kernel.getInt("heads"), kernel.getInt("dim"),
                        kernel.getBool("interleaved") ? "true" : "false");
  } else if (kind == "attention") {
    int64_t kvHeads = kernel.getInt("kv_heads"), dim = kernel.getInt("head_dim");
    os << llvm::formatv(
        "inline void {0}(const Exec &ex, const float *q, const float *k, const float *v, const "
        "int32_t *pos, int64_t n, float *kv, int64_t cap, int64_t kvOffset, float *out) {{\n"
        "  float *keys = kv + cap * kvOffset;\n"
        "  float *values = keys + cap * {2};\n"
        "  attention<{1}, {3}, {4}, {5}>(ex, q, k, v, n, pos, {6}, keys, values, cap, out);\n}\n",
        name, kernel.getInt("q_heads"), kvHeads * dim, kvHeads, dim, kernel.getInt("v_head_dim"),
        floatLiteral(kernel.getF64("scale"), true));
  } else if (kind == "mla") {
    // The phase picks the form r1-fuse-mla chose: kRows == 1 is decode.
    os << llvm::formatv(
        "template <int64_t kRows>\ninline void {0}(const Exec &ex, const float *q, const float "
        "*latent, const float *kpe, const int32_t *pos, int64_t n, float *kv, int64_t cap, "
        "int64_t kvOffset, const void *kvB, const void *kvBScales, const void *wukT, const void "
        "*wukTScales, float *out) {{\n"
        "  constexpr bool kAbsorbed = kRows == 1 ? {1} : {2};\n"
        "  mla<{3}, {4}, {5}, {6}, {7}, {8}, {9}, kAbsorbed>(ex, q, latent, kpe, n, pos, {10}, kv "
        "+ cap * kvOffset, cap, kvB, static_cast<const float *>(kvBScales), wukT, "
        "static_cast<const float *>(wukTScales), out);\n}\n",
        name, kernel.getBool("decode_absorbed") ? "true" : "false",
        kernel.getBool("prefill_absorbed") ? "true" : "false", kernel.getInt("heads"),
        kernel.getInt("nope"), kernel.getInt("rope"), kernel.getInt("v"), kernel.getInt("rank"),
        wtype(kernel.getStr("wtype")), wtype(kernel.getStr("wtype_uk")),
        floatLiteral(kernel.getF64("scale"), true));
  } else if (kind == "add" || kind == "mul") {
    os << llvm::formatv("inline void {0}(const Exec &ex, const float *a, const float *b, int64_t "
                        "n, float *out) {{\n  {1}<{2}>(ex, a, b, n, out);\n}\n",
                        name, kind, kernel.getInt("hidden"));
  } else if (kind == "silu" || kind == "sigmoid" || kind == "softmax") {
    os << llvm::formatv("inline void {0}(const Exec &ex, const float *x, int64_t n, float *out) "
                        "{{\n  {1}<{2}>(ex, x, n, out);\n}\n",
                        name, kind, kernel.getInt("hidden"));
  } else if (kind == "slice") {
    os << llvm::formatv("inline void {0}(const Exec &ex, const float *in, int64_t n, float *out) "
                        "{{\n  sliceLast<{1}, {2}, {3}, {4}>(ex, in, n, out);\n}\n",
                        name, kernel.getInt("heads"), kernel.getInt("offset"),
                        kernel.getInt("size"), kernel.getInt("in_row"));
  } else if (kind == "concat") {
    os << llvm::formatv("inline void {0}(const Exec &ex, const float *a, const float *b, int64_t "
                        "n, float *out) {{\n  concatLast<{1}, {2}, {3}>(ex, a, b, n, out);\n}\n",
                        name, kernel.getInt("heads"), kernel.getInt("a"), kernel.getInt("b"));
  } else if (kind == "broadcast") {
    os << llvm::formatv("inline void {0}(const Exec &ex, const float *in, int64_t n, float *out) "
                        "{{\n  broadcastHeads<{1}, {2}>(ex, in, n, out);\n}\n",
                        name, kernel.getInt("heads"), kernel.getInt("dim"));
  } else if (kind == "moe_topk") {
    os << llvm::formatv(
        "inline void {0}(const Exec &ex, const float *scores, int64_t n, const void *bias, "
        "int32_t *ids, float *weights) {{\n  moeTopk<{1}, {2}, {3}, {4}, {5}, {6}, {7}>(ex, "
        "scores, n, static_cast<const float *>(bias), {8}, ids, weights);\n}\n",
        name, kernel.getInt("experts"), kernel.getInt("top_k"), kernel.getInt("groups"),
        kernel.getInt("topk_groups"), kernel.getInt("group_score"),
        kernel.getBool("bias") ? "true" : "false", kernel.getBool("normalize") ? "true" : "false",
        floatLiteral(kernel.getF64("scaling"), true));
  } else if (kind == "moe_route") {
    int64_t experts = kernel.getInt("experts");
    os << "template <int64_t kRows>\ninline void " << name
       << "(const Exec &ex, const float *x, int64_t n, const void *gate, const void *bias, "
          "int32_t *ids, float *weights, float *scores) {\n"
       << "  // The router runs in fp32 whatever the precision: routing must match.\n"
       << "  Exec fp32 = ex;\n"
       << "  fp32.fp32 = true, fp32.intActivations = false;\n"
       << "  float *const outs[] = {scores};\n"
       << "  linear<kRows, " << kernel.getInt("hidden") << ", " << wtype(kernel.getStr("wtype"))
       << ", false, false, " << experts << ">(fp32, x, n, gate, nullptr, nullptr, 0.0f, outs);\n"
       << "  " << (kernel.getInt("scoring") ? "softmax" : "sigmoid") << "<" << experts
       << ">(fp32, scores, n, scores);\n"
       << llvm::formatv("  moeTopk<{0}, {1}, {2}, {3}, {4}, {5}, {6}>(fp32, scores, n, "
                        "static_cast<const float *>(bias), {7}, ids, weights);\n}\n",
                        experts, kernel.getInt("top_k"), kernel.getInt("groups"),
                        kernel.getInt("topk_groups"), kernel.getInt("group_score"),
                        kernel.getBool("bias") ? "true" : "false",
                        kernel.getBool("normalize") ? "true" : "false",
                        floatLiteral(kernel.getF64("scaling"), true));
  } else if (kind == "moe_experts") {
    os << llvm::formatv(
        "inline void {0}(const Exec &ex, const float *x, const int32_t *ids, const float *weights, "
        "int64_t n, const void *gateUp, const void *down, const void *gateUpScales, const void "
        "*downScales, float *out) {{\n  moeExperts<{1}, {2}, {3}, {4}, {5}, {6}>(ex, x, n, ids, "
        "weights, gateUp, down, gateUpScales, downScales, out);\n}\n",
        name, kernel.getInt("experts"), kernel.getInt("top_k"), kernel.getInt("hidden"),
        kernel.getInt("inter"), wtype(kernel.getStr("wtype")),
        kernel.getParams().get("quantize_activations") && kernel.getBool("quantize_activations") ? "true"
                                                                                       : "false");
  } else if (kind == "quantize_f8") {
    os << llvm::formatv("inline void {0}(const Exec &ex, const float *x, int64_t n, float *out) "
                        "{{\n  quantizeF8Blocks<{1}>(ex, x, n, out);\n}\n",
                        name, kernel.getInt("hidden"));
  }
  os << "\n";
}

} // namespace

llvm::Expected<std::string> emitHostCpp(ModuleOp plan, const HostEmitOptions &options) {
  auto step = plan.lookupSymbol<func::FuncOp>("step");
  if (!step)
    return fail("the plan has no @step (run r1-lower-to-kernels and r1-plan-memory)");
  auto attrInt = [&](llvm::StringRef name) -> int64_t {
    auto attr = step->getAttrOfType<IntegerAttr>(name);
    return attr ? attr.getInt() : -1;
  };
  int64_t maxRows = attrInt("r1k.max_rows"), kvBytes = attrInt("r1k.kv_bytes_per_token");
  if (maxRows < 1 || kvBytes < 0 || attrInt("r1k.arena_bytes") < 0)
    return fail("the plan's memory is not planned (run r1-plan-memory)");
  auto logitsType = cast<MemRefType>(step.getArgument(2).getType());
  int64_t vocab = logitsType.getShape().back();

  std::string text;
  llvm::raw_string_ostream os(text);
  os << "// Generated by " << options.generatedBy << ". Do not edit: regenerate it.\n"
     << "// Identity: " << options.identity << "\n"
     << "#include \"R1Abi.h\"\n#include \"R1HostKernels.h\"\n\nnamespace {\n\n"
     << "using namespace r1hk;\n\n"
     << "constexpr int64_t kMaxRows = " << maxRows << ";\n"
     << "constexpr int64_t kVocab = " << vocab << ";\n"
     << "constexpr int64_t kKvFloatsPerToken = " << kvBytes / 4 << ";\n\n";

  // 1. One wrapper per kernel: the kernel list of the artifact.
  llvm::DenseMap<Attribute, int64_t> weightIndex;
  for (Operation &op : plan.getBody()->getOperations()) {
    if (auto kernel = dyn_cast<r1k::KernelOp>(op))
      emitKernel(kernel, os);
    if (auto weight = dyn_cast<r1k::PackedWeightOp>(op))
      weightIndex[FlatSymbolRefAttr::get(weight.getSymNameAttr())] = weightIndex.size();
  }

  // 2. The step, templated on the row count (0: any, 1: decode) and on
  // whether its tokens are one sequence's or one each of a batch's.
  os << "template <int64_t kRows, bool kBatch>\nint step(const r1_step_args *a) {\n"
     << "  if (a->abi_version != R1_ABI_VERSION) return R1_STEP_BAD_ABI;\n"
     << "  const int64_t n = kRows ? kRows : a->n_tokens;\n"
     << "  if (a->n_tokens != n || n < 1 || n > kMaxRows) return R1_STEP_BAD_ARGS;\n"
     << "  if (a->logits_rows != n && (kBatch || a->logits_rows != 1)) return R1_STEP_BAD_ARGS;\n"
     << "  if (!a->arena || !a->weights || !a->parallel_for) return R1_STEP_BAD_ARGS;\n"
     << "  if (kBatch ? !a->kv_caches || !a->kv_capacities : !a->kv_cache) return "
        "R1_STEP_BAD_ARGS;\n"
     << "  for (int64_t t = 0; t < n; ++t) {\n"
     << "    const int64_t capacity = kBatch ? a->kv_capacities[t] : a->kv_capacity;\n"
     << "    if (kBatch && !a->kv_caches[t]) return R1_STEP_BAD_ARGS;\n"
     << "    if (a->positions[t] < 0 || a->positions[t] >= capacity || a->tokens[t] < 0 || "
        "a->tokens[t] >= kVocab) return R1_STEP_BAD_ARGS;\n"
     << "  }\n"
     << "  if (a->precision < R1_PRECISION_DEFAULT || a->precision > R1_PRECISION_BF16) return "
        "R1_STEP_BAD_ARGS;\n"
     << "  // Integer weights multiply int8 activations unless fp32 is asked for.\n"
     << "  const bool intActivations = a->precision != R1_PRECISION_FP32;\n"
     << "  Exec ex{a->parallel_for, a->pool, a->num_threads, a->precision != "
        "R1_PRECISION_BF16, intActivations};\n"
     << "  ex.applyTuning(a->tuning);\n"
     << "  // The projection onto the vocabulary always accumulates in fp32: its\n"
     << "  // outputs are the logits themselves (near 100 with tied embeddings).\n"
     << "  Exec exLogits = ex;\n"
     << "  exLogits.fp32 = true;\n"
     << "  char *arena = static_cast<char *>(a->arena);\n"
     << "  float *kv = static_cast<float *>(a->kv_cache);\n"
     << "  const int64_t cap = a->kv_capacity;\n"
     << "  const int64_t lr = a->logits_rows;\n"
     << "  const void *const *W = a->weights;\n"
     << "  // A batch's sequence t: its KV cache and capacity.\n"
     << "  auto kvOf = [a](int64_t t) { return static_cast<float *>(a->kv_caches[t]); };\n"
     << "  auto capOf = [a](int64_t t) { return a->kv_capacities[t]; };\n"
     << "  (void)arena; (void)kv; (void)cap; (void)kvOf; (void)capOf;\n\n";

  llvm::DenseMap<Value, std::string> names, rows;
  names[step.getArgument(0)] = "a->tokens";
  names[step.getArgument(1)] = "a->positions";
  names[step.getArgument(2)] = "a->logits";
  int counter = 0;
  auto cType = [](Value v) {
    return cast<MemRefType>(v.getType()).getElementType().isInteger(32) ? "int32_t" : "float";
  };
  for (Operation &op : step.getBody().front()) {
    if (auto buffer = dyn_cast<r1k::BufferOp>(op)) {
      if (!buffer.getOffset())
        return fail("a buffer has no offset (run r1-plan-memory)");
      std::string name = "b" + std::to_string(counter++);
      os << "  " << cType(buffer) << " *" << name << " = reinterpret_cast<" << cType(buffer)
         << " *>(arena + " << *buffer.getOffset() << ");\n";
      names[buffer] = name;
    } else if (auto view = dyn_cast<r1k::ViewOp>(op)) {
      names[view] = names.lookup(view.getSource());
      if (rows.count(view.getSource()))
        rows[view] = rows.lookup(view.getSource());
    } else if (auto select = dyn_cast<r1k::LogitsRowsOp>(op)) {
      std::string name = "b" + std::to_string(counter++);
      os << "  const float *" << name << " = " << names.lookup(select.getSource()) << " + (n - lr) * "
         << rowElements(select.getType()) << ";\n";
      names[select] = name;
      rows[select] = "lr";
    } else if (auto launch = dyn_cast<r1k::LaunchOp>(op)) {
      auto kernel = plan.lookupSymbol<r1k::KernelOp>(launch.getKernelAttr());
      llvm::StringRef kind = kernel.getKind();
      std::string n = "n";
      for (Value in : launch.getIns())
        if (rows.count(in))
          n = rows.lookup(in);
      for (Value out : launch.getOuts())
        rows.erase(out);
      std::vector<std::string> weights;
      for (Attribute ref : launch.getWeights())
        weights.push_back("W[" + std::to_string(weightIndex.lookup(ref)) + "]");
      auto ins = [&](unsigned i) { return names.lookup(launch.getIns()[i]); };
      auto outs = [&](unsigned i) { return names.lookup(launch.getOuts()[i]); };
      // Token t's row of an input or of the first output.
      auto tokenRow = [&](unsigned i) {
        return ins(i) + " + t * " + std::to_string(rowElements(launch.getIns()[i].getType()));
      };
      auto tokenOutRow = [&] {
        return outs(0) + " + t * " + std::to_string(rowElements(launch.getOuts()[0].getType()));
      };
      os << "  ";
      std::string callee = kernel.getSymName().str();
      if (kind == "linear" || kind == "gated_linear") {
        // The row count is a template argument: decode gets the GEMV path.
        bool bias = kind == "linear" && kernel.getBool("bias");
        bool norm = kernel.getBool("norm");
        bool fp8 = hasScales(kernel.getStr("wtype"));
        bool logits = n == "lr";
        // Weights in launch order: matrix, bias, norm weight, FP8 scales.
        size_t next = 1;
        auto optional = [&](bool present) {
          return present ? weights[next++] : std::string("nullptr");
        };
        os << callee << "<kRows>(" << (logits ? "exLogits" : "ex") << ", " << ins(0) << ", " << n
           << ", " << weights[0];
        if (kind == "linear")
          os << ", " << optional(bias);
        os << ", " << optional(norm);
        os << ", " << optional(fp8);
        for (unsigned i = 0; i < launch.getOuts().size(); ++i)
          os << ", " << outs(i);
        os << ");";
      } else if (kind == "embed") {
        os << callee << "(ex, " << ins(0) << ", n, " << weights[0] << ", " << outs(0) << ");";
      } else if (kind == "rms_norm") {
        os << callee << "(ex, " << ins(0) << ", " << n << ", " << weights[0] << ", " << outs(0)
           << ");";
      } else if (kind == "add_rms_norm") {
        os << callee << "(ex, " << ins(0) << ", " << ins(1) << ", " << n << ", " << weights[0]
           << ", " << outs(0) << ", " << outs(1) << ");";
      } else if (kind == "rope") {
        os << callee << "(ex, " << ins(0) << ", " << ins(1) << ", n, " << outs(0) << ");";
      } else if (kind == "attention") {
        // Ins: q, k, v, positions. A batch's tokens attend each over its own
        // sequence's cache, in a decode-shaped call per sequence.
        os << "if constexpr (kBatch) {\n    for (int64_t t = 0; t < n; ++t) " << callee << "(ex, "
           << tokenRow(0) << ", " << tokenRow(1) << ", " << tokenRow(2) << ", " << ins(3)
           << " + t, 1, kvOf(t), capOf(t), " << *launch.getKvOffset() << ", " << tokenOutRow()
           << ");\n  } else {\n    ";
        os << callee << "(ex, " << ins(0) << ", " << ins(1) << ", " << ins(2) << ", " << ins(3)
           << ", n, kv, cap, " << *launch.getKvOffset() << ", " << outs(0) << ");\n  }";
      } else if (kind == "mla") {
        // Weights: kv_b (+ scales), then W_UK^T (+ scales) when absorbed.
        size_t next = 0;
        auto take = [&](bool present) {
          return present ? weights[next++] : std::string("nullptr");
        };
        bool absorbed = kernel.getBool("prefill_absorbed") || kernel.getBool("decode_absorbed");
        std::string kvB = take(true), kvBScales = take(kernel.getStr("wtype") == "f8");
        std::string wukT = take(absorbed);
        std::string wukTScales = take(absorbed && kernel.getStr("wtype_uk") == "f8");
        // Ins: q, latent, k_pe, positions; a batch as attention's, each
        // sequence in decode's form (kRows 1).
        os << "if constexpr (kBatch) {\n    for (int64_t t = 0; t < n; ++t) " << callee
           << "<1>(ex, " << tokenRow(0) << ", " << tokenRow(1) << ", " << tokenRow(2) << ", "
           << ins(3) << " + t, 1, kvOf(t), capOf(t), " << *launch.getKvOffset() << ", " << kvB
           << ", " << kvBScales << ", " << wukT << ", " << wukTScales << ", " << tokenOutRow()
           << ");\n  } else {\n    ";
        os << callee << "<kRows>(ex, " << ins(0) << ", " << ins(1) << ", " << ins(2) << ", "
           << ins(3) << ", n, kv, cap, " << *launch.getKvOffset() << ", " << kvB << ", "
           << kvBScales << ", " << wukT << ", " << wukTScales << ", " << outs(0) << ");\n  }";
      } else if (kind == "add" || kind == "mul") {
        os << callee << "(ex, " << ins(0) << ", " << ins(1) << ", " << n << ", " << outs(0)
           << ");";
      } else if (kind == "silu" || kind == "sigmoid" || kind == "softmax" || kind == "slice" ||
                 kind == "broadcast" || kind == "quantize_f8") {
        os << callee << "(ex, " << ins(0) << ", " << n << ", " << outs(0) << ");";
      } else if (kind == "concat") {
        os << callee << "(ex, " << ins(0) << ", " << ins(1) << ", " << n << ", " << outs(0)
           << ");";
      } else if (kind == "moe_topk") {
        os << callee << "(ex, " << ins(0) << ", " << n << ", "
           << (kernel.getBool("bias") ? weights[0] : std::string("nullptr")) << ", " << outs(0)
           << ", " << outs(1) << ");";
      } else if (kind == "moe_route") {
        os << callee << "<kRows>(ex, " << ins(0) << ", " << n << ", " << weights[0] << ", "
           << (kernel.getBool("bias") ? weights[1] : std::string("nullptr")) << ", " << outs(0)
           << ", " << outs(1) << ", " << outs(2) << ");";
      } else if (kind == "moe_experts") {
        bool fp8 = hasScales(kernel.getStr("wtype"));
        os << callee << "(ex, " << ins(0) << ", " << ins(1) << ", " << ins(2) << ", " << n << ", "
           << weights[0] << ", " << weights[1] << ", " << (fp8 ? weights[2] : "nullptr") << ", "
           << (fp8 ? weights[3] : "nullptr") << ", " << outs(0) << ");";
      } else {
        return fail("no host code for kernel kind '" + kind + "'");
      }
      if (auto layer = launch->getAttrOfType<IntegerAttr>("layer"))
        os << "  // layer " << layer.getInt();
      os << "\n";
    } else if (!isa<func::ReturnOp>(op)) {
      return fail("unexpected op in @step: " + op.getName().getStringRef());
    }
  }
  os << "  return R1_STEP_OK;\n}\n\n} // namespace\n\n"
     << "extern \"C\" {\n"
     << "__attribute__((visibility(\"default\"))) int r1_prefill(const r1_step_args *a) { return "
        "step<0, false>(a); }\n"
     << "__attribute__((visibility(\"default\"))) int r1_decode(const r1_step_args *a) { return "
        "step<1, false>(a); }\n"
     << "__attribute__((visibility(\"default\"))) int r1_decode_batch(const r1_step_args *a) { "
        "return step<0, true>(a); }\n"
     << "__attribute__((visibility(\"default\"))) const char *r1_code_identity(void) { return \""
     << options.identity << "\"; }\n"
     << "}\n";
  return text;
}

} // namespace r1
