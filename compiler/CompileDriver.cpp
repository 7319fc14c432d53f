//===- CompileDriver.cpp - r1c compile: model directory -> artifact -------===//

#include "compiler/CompileDriver.h"

#include "codegen/Passes.h"
#include "codegen/host/HostEmitter.h"
#include "compiler/Checkpoint.h"
#include "compiler/HostToolchain.h"
#include "compiler/Importer.h"
#include "compiler/OutputFile.h"
#include "compiler/ProgressReporter.h"
#include "compiler/TargetSpecs.h"
#include "compiler/Targets.h"
#include "compiler/Version.h"
#include "compiler/WeightPacker.h"
#include "dialects/R1KernelPlan.h"
#include "passes/Passes.h"
#include "runtime/ArtifactWriter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/xxhash.h"

#include <nlohmann/json.hpp>

#include <chrono>

namespace r1 {

using namespace mlir;

const std::vector<std::string> &compilePhases() {
  static const std::vector<std::string> phases = {"import", "fuse",    "lower",
                                                  "plan",   "codegen", "package"};
  return phases;
}

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Collects the diagnostics of a pass run into one line.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(MLIRContext &context)
      : handler_(context.getDiagEngine().registerHandler([this](Diagnostic &diag) {
          if (diag.getSeverity() == DiagnosticSeverity::Error && first_.empty()) {
            llvm::raw_string_ostream os(first_);
            os << diag.getLocation() << ": " << diag;
          }
          return success();
        })),
        context_(context) {}
  ~DiagnosticCollector() { context_.getDiagEngine().eraseHandler(handler_); }
  std::string take(llvm::StringRef fallback) {
    return first_.empty() ? fallback.str() : first_;
  }

private:
  DiagnosticEngine::HandlerID handler_;
  MLIRContext &context_;
  std::string first_;
};

class Compiler {
public:
  Compiler(const CompileOptions &options, llvm::raw_ostream &log, CompileFailure *failure)
      : options_(options), log_(log), failure_(failure) {}

  llvm::Error run();

private:
  llvm::Error bad(llvm::Error err, CompileFailure kind = CompileFailure::BadInput) {
    *failure_ = kind;
    return err;
  }
  /// Logs the phase's time and dumps `text` when asked. True when the
  /// compile stops after this phase (and `text` went to the output).
  llvm::Expected<bool> finishPhase(llvm::StringRef phase, llvm::StringRef extension,
                                   const std::function<void(llvm::raw_ostream &)> &print);
  llvm::Error runPasses(ModuleOp module, llvm::StringRef phase,
                        const std::function<void(OpPassManager &)> &build);
  llvm::Error package(ModuleOp plan, const std::string &source, const std::string &identity,
                      const TargetDescription &target, const std::vector<std::string> &flags,
                      const CxxCompiler &cxx);

  const CompileOptions &options_;
  llvm::raw_ostream &log_;
  CompileFailure *failure_;
  std::chrono::steady_clock::time_point phaseStart_ = std::chrono::steady_clock::now();
  int phaseIndex_ = 0;
  // Declared before the module it owns, so it is destroyed after it.
  MLIRContext context_{MLIRContext::Threading::DISABLED};
  ImportedModel imported_;
};

llvm::Expected<bool> Compiler::finishPhase(llvm::StringRef phase, llvm::StringRef extension,
                                           const std::function<void(llvm::raw_ostream &)> &print) {
  auto now = std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(now - phaseStart_).count();
  phaseStart_ = now;
  ++phaseIndex_;
  log_ << llvm::formatv("r1c: [{0}/{1}] {2}: {3:f2} s\n", phaseIndex_, compilePhases().size(),
                        phase, seconds);
  if (!options_.dumpPhasesTo.empty()) {
    llvm::SmallString<128> path(options_.dumpPhasesTo);
    llvm::sys::path::append(path, llvm::formatv("{0}-{1}.{2}", phaseIndex_, phase, extension).str());
    if (llvm::Error err = writeFileAtomically(path, [&](llvm::raw_ostream &os) {
          print(os);
          return llvm::Error::success();
        }))
      return bad(std::move(err), CompileFailure::Output);
  }
  if (options_.compileTo != phase || phase == "package")
    return false;
  if (llvm::Error err = writeFileAtomically(options_.output, [&](llvm::raw_ostream &os) {
        print(os);
        return llvm::Error::success();
      }))
    return bad(std::move(err), CompileFailure::Output);
  return true;
}

llvm::Error Compiler::runPasses(ModuleOp module, llvm::StringRef phase,
                                const std::function<void(OpPassManager &)> &build) {
  PassManager pm(module.getContext());
  build(pm);
  DiagnosticCollector diagnostics(*module.getContext());
  if (failed(pm.run(module)))
    return bad(fail("phase " + phase + ": " + diagnostics.take("a pass failed")));
  return llvm::Error::success();
}

/// The KV cache layout of `plan` in words, for the manifest: per layer in
/// order, attention's keys then values, or MLA's latent rows.
std::string kvLayout(mlir::ModuleOp plan) {
  bool mla = false, attention = false;
  plan.walk([&](r1k::KernelOp kernel) {
    mla |= kernel.getKind() == "mla";
    attention |= kernel.getKind() == "attention";
  });
  std::string text = "per layer in order";
  if (attention)
    text += "; attention: keys [ctx, kv_heads, head_dim] then values [ctx, kv_heads, v_head_dim]";
  if (mla)
    text += "; MLA: [ctx, kv_lora_rank + qk_rope_head_dim] rows of normalized latent then roped "
            "k_pe";
  return text + "; f32";
}

llvm::Error Compiler::run() {
  // 0. Check what can be checked before any work.
  const std::vector<std::string> &phases = compilePhases();
  if (!llvm::is_contained(phases, options_.compileTo))
    return bad(fail("unknown phase '" + options_.compileTo + "' for --compile-to; phases: " +
                    llvm::join(phases, ", ")));
  if (options_.maxStepTokens < 1 || options_.maxStepTokens > 65536)
    return bad(fail("--max-step-tokens must be in 1..65536"));
  llvm::Expected<TargetDescription> target = resolveTarget(options_.target);
  if (!target)
    return bad(target.takeError());
  if (!options_.dumpPhasesTo.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(options_.dumpPhasesTo))
      return bad(fail(options_.dumpPhasesTo + ": " + ec.message()), CompileFailure::Output);
  bool packaging = options_.compileTo == "package";
  std::optional<CxxCompiler> cxx;
  if (packaging || options_.compileTo == "codegen") {
    llvm::Expected<CxxCompiler> found = findCxxCompiler(options_.cxx);
    if (!found)
      return bad(found.takeError(), CompileFailure::Tool);
    cxx = *found;
  }

  // 1. import
  context_.getOrLoadDialect<r1k::R1KDialect>();
  llvm::Expected<ImportedModel> imported = importModel(context_, options_.modelDir, {});
  if (!imported)
    return bad(imported.takeError());
  imported_ = std::move(*imported);
  for (const std::string &warning : imported_.warnings)
    log_ << "r1c: warning: " << warning << "\n";
  ModuleOp module = *imported_.module;
  auto printModule = [&](llvm::raw_ostream &os) { module.print(os); };
  llvm::Expected<bool> done = finishPhase("import", "mlir", printModule);
  if (!done || *done)
    return done.takeError();

  // 2. fuse
  bool keepMtp = options_.keepMtp, w8a8 = options_.w8a8;
  // MLA's cost model uses the target's datasheet figures.
  R1FuseMlaOptions mla;
  mla.prefillForm = options_.mlaPrefill;
  mla.decodeForm = options_.mlaDecode;
  mla.prefillTokens = options_.maxStepTokens;
  if (llvm::Expected<const TargetSpec &> spec = lookupTargetSpec(options_.target)) {
    mla.peakGflops = spec->peakF32 / 1e9;
    mla.bandwidthGbps = spec->memoryBandwidth / 1e9;
  } else {
    llvm::consumeError(spec.takeError()); // the pass's defaults describe the host
  }
  if (llvm::Error err = runPasses(module, "fuse", [&](OpPassManager &pm) {
        if (!keepMtp)
          pm.addPass(createR1DropMtp());
        R1SelectWeightLayoutOptions layout;
        layout.w8a8 = w8a8;
        buildCpuFusionPipeline(pm, mla, layout);
      }))
    return err;
  if (!(done = finishPhase("fuse", "mlir", printModule)) || *done)
    return done.takeError();

  // 3. lower
  if (llvm::Error err = runPasses(module, "lower", [&](OpPassManager &pm) {
        R1LowerToKernelsOptions lowerOptions;
        lowerOptions.keepMtp = keepMtp;
        pm.addPass(createR1LowerToKernels(lowerOptions));
      }))
    return err;
  if (!(done = finishPhase("lower", "mlir", printModule)) || *done)
    return done.takeError();

  // 4. plan
  int64_t maxRows = options_.maxStepTokens;
  if (llvm::Error err = runPasses(module, "plan", [&](OpPassManager &pm) {
        R1PlanMemoryOptions planOptions;
        planOptions.maxRows = maxRows;
        pm.addPass(createR1PlanMemory(planOptions));
      }))
    return err;
  if (!(done = finishPhase("plan", "mlir", printModule)) || *done)
    return done.takeError();

  // 5. codegen. The identity ties the code to its manifest: the plan's hash.
  std::string planText;
  llvm::raw_string_ostream(planText) << module;
  std::string identity =
      llvm::formatv("r1c {0} {1} {2} {3:x16}", kR1cVersion, imported_.config.modelType,
                    target->name, llvm::xxh3_64bits(planText))
          .str();
  HostEmitOptions emitOptions;
  emitOptions.identity = identity;
  emitOptions.generatedBy = "r1c " + std::string(kR1cVersion) + " (" + options_.commandLine + ")";
  llvm::Expected<std::string> source = emitHostCpp(module, emitOptions);
  if (!source)
    return bad(source.takeError());
  if (!(done = finishPhase("codegen", "cpp", [&](llvm::raw_ostream &os) { os << *source; })) ||
      *done)
    return done.takeError();

  // 6. package
  std::vector<std::string> flags = target->cxxFlags;
  return package(module, *source, identity, *target, flags, *cxx);
}

llvm::Error Compiler::package(ModuleOp plan, const std::string &source,
                              const std::string &identity, const TargetDescription &target,
                              const std::vector<std::string> &flags, const CxxCompiler &cxx) {
  // 1. Compile the generated code.
  log_ << "r1c: package: compiling the generated code with " << cxx.path << "\n";
  log_.flush();
  auto compileStart = std::chrono::steady_clock::now();
  llvm::Expected<std::vector<char>> code = compileSharedObject(cxx, source, flags);
  if (!code)
    return bad(code.takeError(), CompileFailure::Tool);
  double compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - compileStart).count();

  // 2. The manifest, except the weights list.
  auto step = plan.lookupSymbol<func::FuncOp>("step");
  auto intAttr = [&](llvm::StringRef name) {
    return step->getAttrOfType<IntegerAttr>(name).getInt();
  };
  const ModelConfig &config = imported_.config;
  nlohmann::json rawConfig = nlohmann::json::object();
  llvm::SmallString<128> configPath(options_.modelDir);
  llvm::sys::path::append(configPath, "config.json");
  std::string configText;
  if (auto text = llvm::MemoryBuffer::getFile(configPath)) {
    configText = (*text)->getBuffer().str();
    rawConfig = nlohmann::json::parse(configText, nullptr, /*allow_exceptions=*/false);
  }
  nlohmann::json kernels = nlohmann::json::array();
  for (auto kernel : plan.getOps<r1k::KernelOp>()) {
    std::string params;
    llvm::raw_string_ostream(params) << kernel.getParams();
    kernels.push_back({{"name", kernel.getSymName().str()},
                       {"kind", kernel.getKind().str()},
                       {"params", params}});
  }
  std::vector<int64_t> eos = config.eosTokenIds;
  nlohmann::json manifest = {
      {"abi_version", 1},
      {"producer", "r1c " + std::string(kR1cVersion)},
      {"command", options_.commandLine},
      {"model",
       {{"architecture", config.modelType},
        {"vocab_size", config.vocabSize},
        {"hidden_size", config.hiddenSize},
        {"num_layers", config.numLayers},
        {"max_positions", config.maxPositions},
        {"bos_token_id", config.bosTokenId ? nlohmann::json(*config.bosTokenId) : nlohmann::json()},
        {"eos_token_ids", eos},
        {"config", rawConfig}}},
      {"target",
       {{"name", target.name},
        {"description", target.description},
        {"isa", target.isa},
        {"cxx", cxx.path},
        {"cxx_flags", llvm::join(baseCxxFlags(), " ") + " " + llvm::join(flags, " ")}}},
      {"code",
       {{"section", "code"},
        {"identity", identity},
        {"entry_points", {"r1_prefill", "r1_decode"}},
        {"kernels", kernels},
        {"compile_seconds", compileSeconds}}},
      {"memory",
       {{"max_step_tokens", intAttr("r1k.max_rows")},
        {"arena_bytes", intAttr("r1k.arena_bytes")},
        {"kv_bytes_per_token", intAttr("r1k.kv_bytes_per_token")},
        {"weights_bytes", packedWeightBytes(plan)},
        {"kv_layout", kvLayout(plan)}}},
      {"generation",
       {{"temperature", 0.6}, {"top_p", 0.95}, {"max_new_tokens", 32768},
        {"think_prefix", "<think>\n"}}},
  };

  // 3. The artifact: weights streamed from the checkpoint, then the code,
  //    the tokenizer and the texts engineers may want to read.
  llvm::Expected<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::open(options_.modelDir);
  if (!checkpoint)
    return bad(checkpoint.takeError());
  runtime::ArtifactWriter writer;
  auto check = [&](const runtime::Status &s) -> llvm::Error {
    if (s.ok())
      return llvm::Error::success();
    return bad(fail(s.message()), CompileFailure::Output);
  };
  if (llvm::Error err = check(writer.create(options_.output)))
    return err;
  if (llvm::Error err = check(writer.beginSection("weights")))
    return err;
  // Progress for models that take more than a moment to pack.
  ProgressReporter reporter(log_, "r1c: package: weights", "tensors", options_.progressBar);
  auto progress = [&](const PackStatus &s) {
    if (s.bytesTotal >= (64u << 20))
      reporter.update(s.bytesDone, s.bytesTotal, s.weightsDone, s.weightsTotal);
  };
  llvm::Expected<nlohmann::json> weights = packWeights(plan, **checkpoint, writer, progress);
  if (!weights)
    return bad(weights.takeError(), CompileFailure::BadInput);
  if (llvm::Error err = check(writer.endSection()))
    return err;
  manifest["weights"] = *weights;

  if (llvm::Error err = check(writer.addSection("code", code->data(), code->size())))
    return err;
  if (llvm::Error err = check(writer.addSection("code.cpp", source.data(), source.size())))
    return err;
  std::string planText;
  llvm::raw_string_ostream(planText) << plan;
  if (llvm::Error err = check(writer.addSection("plan.mlir", planText.data(), planText.size())))
    return err;
  if (!configText.empty())
    if (llvm::Error err =
            check(writer.addSection("config.json", configText.data(), configText.size())))
      return err;
  nlohmann::json tokenizer = nlohmann::json::object();
  for (const char *name : {"tokenizer.json", "tokenizer_config.json"}) {
    llvm::SmallString<128> path(options_.modelDir);
    llvm::sys::path::append(path, name);
    auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
    if (!file) {
      log_ << "r1c: warning: " << path << " not found: the artifact has no tokenizer, and r1run "
           << "will take token ids only\n";
      continue;
    }
    if (llvm::Error err = check(writer.addSection(name, (*file)->getBufferStart(),
                                                  (*file)->getBufferSize())))
      return err;
    tokenizer[name] = name;
  }
  manifest["tokenizer"] = tokenizer;
  auto printManifest = [&](llvm::raw_ostream &os) { os << manifest.dump(2) << "\n"; };
  llvm::Expected<bool> done = finishPhase("package", "json", printManifest);
  if (!done)
    return done.takeError();
  if (llvm::Error err = check(writer.finish(manifest)))
    return err;
  uint64_t size = 0;
  llvm::sys::fs::file_size(options_.output, size);
  log_ << llvm::formatv("r1c: wrote {0} ({1:f1} MB: {2} weights, {3} kernels, code {4:f1} MB)\n",
                        options_.output, size / 1e6, weights->size(), kernels.size(),
                        code->size() / 1e6);
  return llvm::Error::success();
}

} // namespace

llvm::Error compileModel(const CompileOptions &options, llvm::raw_ostream &log,
                         CompileFailure *failure) {
  return Compiler(options, log, failure).run();
}

} // namespace r1
