//===- CompileDriver.cpp - r1c compile: model directory -> artifact -------===//

#include "compiler/CompileDriver.h"

#include "codegen/Passes.h"
#include "codegen/cuda/CudaEmitter.h"
#include "codegen/host/HostEmitter.h"
#include "compiler/CudaToolchain.h"
#include "compiler/PtxOverride.h"
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
#include "runtime/R1Abi.h"

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
  /// The generated code, compiled: sections and the manifest's "code",
  /// "target" (and for CUDA "cuda") entries.
  struct CompiledCode {
    std::vector<std::pair<std::string, std::vector<char>>> sections;
    nlohmann::json target, code, cuda;
    size_t kernelCount = 0;
    uint64_t codeBytes = 0;
    /// CUDA: the arena with the CUDA kernels' scratch (CudaProgram::arenaBytes).
    int64_t arenaBytes = 0;
  };
  llvm::Expected<CompiledCode> compileHost(ModuleOp plan, const std::string &source,
                                           const std::string &identity,
                                           const TargetDescription &target, const CxxCompiler &cxx);
  llvm::Expected<CompiledCode> compileCuda(ModuleOp plan, const CudaProgram &program,
                                           const std::string &identity,
                                           const TargetDescription &target,
                                           const CudaToolkit &toolkit, const CxxCompiler *cxx);
  llvm::Error package(ModuleOp plan, CompiledCode code);

  const CompileOptions &options_;
  llvm::raw_ostream &log_;
  CompileFailure *failure_;
  std::chrono::steady_clock::time_point phaseStart_ = std::chrono::steady_clock::now();
  int phaseIndex_ = 0;
  // Declared before the module it owns, so it is destroyed after it.
  MLIRContext context_{MLIRContext::Threading::DISABLED};
  ImportedModel imported_;
  std::vector<PtxOverride> overrides_;
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
  bool cuda = target->cuda;
  if (!cuda && (options_.emulation || !options_.kernelOverrides.empty()))
    return bad(fail(std::string(options_.emulation ? "--emulation" : "--kernel-override") +
                    " applies to CUDA targets (sm_80, sm_89, sm_90a, sm_100a), not " + target->name));
  if (cuda)
    for (auto [flag, form] : {std::pair{"--mla-prefill", &options_.mlaPrefill},
                              std::pair{"--mla-decode", &options_.mlaDecode}})
      if (*form == "materialized")
        return bad(fail(std::string(flag) + " materialized: the CUDA backend runs MLA in its "
                        "absorbed form only (docs/cuda.md); leave it at auto"));
  if (!options_.quant.empty() && options_.quant != "bf16" && options_.quant != "fp8" &&
      options_.quant != "int8" && options_.quant != "int4")
    return bad(fail("--quant must be bf16, fp8, int8 or int4, not '" + options_.quant + "'"));
  if (options_.quantGroup && options_.quant != "int8" && options_.quant != "int4")
    return bad(fail("--quant-group applies to --quant int8 or int4"));
  if (options_.w8a8 && !options_.quant.empty() && options_.quant != "fp8")
    return bad(fail("--w8a8 quantizes activations for FP8 weights; it cannot be combined with "
                    "--quant " + options_.quant));
  std::optional<CxxCompiler> cxx;
  if ((!cuda || options_.emulation) && (packaging || options_.compileTo == "codegen")) {
    llvm::Expected<CxxCompiler> found = findCxxCompiler(options_.cxx);
    if (!found)
      return bad(found.takeError(), CompileFailure::Tool);
    cxx = *found;
  }
  std::optional<CudaToolkit> toolkit;
  if (cuda && packaging) {
    llvm::Expected<CudaToolkit> found = findCudaToolkit(options_.cudaPath);
    if (!found)
      return bad(found.takeError(), CompileFailure::Tool);
    if (llvm::Error err = checkCudaTargetSupported(*found, target->name))
      return bad(std::move(err), CompileFailure::Tool);
    toolkit = *found;
  }
  std::vector<PtxOverride> overrides;
  for (const std::string &spec : options_.kernelOverrides) {
    llvm::Expected<PtxOverride> parsed = readPtxOverride(spec);
    if (!parsed)
      return bad(parsed.takeError());
    overrides.push_back(std::move(*parsed));
  }
  overrides_ = std::move(overrides);

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
  std::string quant = options_.quant;
  // Groups of 128 on GPUs, as GPU int4 kernels conventionally use; 32 on
  // the host, the bytes of llama.cpp's Q4_0 / Q8_0 (docs/quantization.md).
  int64_t quantGroup = options_.quantGroup ? options_.quantGroup : cuda ? 128 : 32;
  // MLA's cost model uses the target's datasheet figures.
  R1FuseMlaOptions mla;
  mla.prefillForm = options_.mlaPrefill;
  mla.decodeForm = options_.mlaDecode;
  if (cuda) // the GPU kernels implement the absorbed form (docs/cuda.md)
    mla.prefillForm = mla.decodeForm = "absorbed";
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
        layout.quant = quant;
        layout.quantGroup = quantGroup;
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
  std::string generatedBy = "r1c " + std::string(kR1cVersion) + " (" + options_.commandLine + ")";
  if (cuda) {
    CudaEmitOptions emitOptions;
    emitOptions.identity = identity;
    emitOptions.generatedBy = generatedBy;
    llvm::Expected<CudaProgram> program = emitCuda(module, emitOptions);
    if (!program)
      return bad(program.takeError());
    for (const PtxOverride &o : overrides_)
      if (!llvm::any_of(program->launchPlan["kernels"], [&](const nlohmann::json &k) {
            return k["name"] == o.kernel;
          }))
        return bad(fail("--kernel-override " + o.kernel + ": the model has no kernel of that "
                        "name; `r1c compile --compile-to codegen` lists them"));
    if (!(done = finishPhase("codegen", "cu",
                             [&](llvm::raw_ostream &os) { os << program->source; })) ||
        *done)
      return done.takeError();
    // 6. package
    llvm::Expected<CompiledCode> code =
        compileCuda(module, *program, identity, *target, *toolkit, cxx ? &*cxx : nullptr);
    if (!code)
      return code.takeError();
    return package(module, std::move(*code));
  }
  HostEmitOptions emitOptions;
  emitOptions.identity = identity;
  emitOptions.generatedBy = generatedBy;
  llvm::Expected<std::string> source = emitHostCpp(module, emitOptions);
  if (!source)
    return bad(source.takeError());
  if (!(done = finishPhase("codegen", "cpp", [&](llvm::raw_ostream &os) { os << *source; })) ||
      *done)
    return done.takeError();

  // 6. package
  llvm::Expected<CompiledCode> code = compileHost(module, *source, identity, *target, *cxx);
  if (!code)
    return code.takeError();
  return package(module, std::move(*code));
}

llvm::Expected<Compiler::CompiledCode>
Compiler::compileHost(ModuleOp plan, const std::string &source, const std::string &identity,
                      const TargetDescription &target, const CxxCompiler &cxx) {
  log_ << "r1c: package: compiling the generated code with " << cxx.path << "\n";
  log_.flush();
  auto compileStart = std::chrono::steady_clock::now();
  llvm::Expected<std::vector<char>> code = compileSharedObject(cxx, source, target.cxxFlags);
  if (!code)
    return bad(code.takeError(), CompileFailure::Tool);
  double compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - compileStart).count();
  CompiledCode out;
  out.target = {{"name", target.name},
                {"description", target.description},
                {"isa", target.isa},
                {"optional_isa", target.optionalIsa},
                {"cxx", cxx.path},
                {"cxx_flags", llvm::join(baseCxxFlags(), " ") + " " +
                                  llvm::join(target.cxxFlags, " ")}};
  out.code = {{"section", "code"},
              {"identity", identity},
              {"entry_points", {"r1_prefill", "r1_decode", "r1_decode_batch"}},
              {"compile_seconds", compileSeconds}};
  out.codeBytes = code->size();
  out.sections.push_back({"code", std::move(*code)});
  out.sections.push_back({"code.cpp", std::vector<char>(source.begin(), source.end())});
  return out;
}

llvm::Expected<Compiler::CompiledCode>
Compiler::compileCuda(ModuleOp plan, const CudaProgram &program, const std::string &identity,
                      const TargetDescription &target, const CudaToolkit &toolkit,
                      const CxxCompiler *cxx) {
  // 1. nvcc -> PTX (overrides spliced in) -> ptxas -> one fatbin.
  log_ << "r1c: package: compiling the generated CUDA for " << target.name << " with "
       << toolkit.nvcc << " (CUDA " << toolkit.version << ")\n";
  log_.flush();
  CudaCompileOptions cudaOptions;
  cudaOptions.withKernelHeaders = true;
  cudaOptions.uncompressedPtx = true;
  cudaOptions.nvccFlags = {"-std=c++20", "-lineinfo"};
  bool overrideRejected = false;
  if (!overrides_.empty())
    cudaOptions.editPtx = [&](llvm::StringRef, std::string ptx) -> llvm::Expected<std::string> {
      for (const PtxOverride &o : overrides_) {
        llvm::Expected<std::string> spliced = applyPtxOverride(ptx, o);
        if (!spliced) {
          overrideRejected = true;
          return spliced.takeError();
        }
        ptx = std::move(*spliced);
      }
      return ptx;
    };
  llvm::Expected<CudaFatbin> fatbin =
      compileCudaFatbin(toolkit, program.source, {target.name}, cudaOptions);
  if (!fatbin)
    return bad(fatbin.takeError(),
               overrideRejected ? CompileFailure::BadInput : CompileFailure::Tool);
  const CudaTargetOutput &built = fatbin->targets.front();
  llvm::Expected<const TargetSpec &> spec = lookupTargetSpec(target.name);
  if (!spec)
    return bad(spec.takeError(), CompileFailure::Tool);

  // 2. Every kernel's resources next to its launch geometry; a spill or too
  //    much shared memory fails the compile (docs/cuda.md, "Resources").
  CompiledCode out;
  out.cuda = program.launchPlan;
  out.arenaBytes = program.arenaBytes;
  nlohmann::json &kernels = out.cuda["kernels"];
  for (nlohmann::json &k : kernels) {
    std::string name = k["name"];
    auto found = llvm::find_if(built.kernels, [&](const KernelResources &r) {
      return r.isEntry && r.name == name;
    });
    if (found == built.kernels.end())
      return bad(fail("ptxas reported no kernel " + name + " for " + target.name),
                 CompileFailure::Tool);
    int threads = k["threads"];
    uint64_t dynamicBytes = k["dynamic_shared_bytes"];
    llvm::Expected<Occupancy> occ = occupancy(*found, threads, *spec, dynamicBytes);
    if (!occ)
      return bad(occ.takeError(), CompileFailure::Tool);
    k["registers"] = found->registers;
    k["spill_stores"] = found->spillStoreBytes;
    k["spill_loads"] = found->spillLoadBytes;
    k["stack_bytes"] = found->stackFrameBytes;
    k["static_shared_bytes"] = found->staticSmemBytes;
    k["shared_bytes"] = found->staticSmemBytes + dynamicBytes;
    k["occupancy"] = occ->fraction;
    k["occupancy_limiter"] = occ->limiter;
    k["overridden"] = llvm::any_of(overrides_, [&](const PtxOverride &o) { return o.kernel == name; });
    if (found->spillStoreBytes || found->spillLoadBytes)
      return bad(fail("kernel " + name + " spills registers on " + target.name + " (" +
                      llvm::Twine(found->spillStoreBytes) + " bytes stored, " +
                      llvm::Twine(found->spillLoadBytes) +
                      " loaded per thread); this is a bug in r1c's kernels, please report it"),
                 CompileFailure::Tool);
    if (found->staticSmemBytes + int64_t(dynamicBytes) > spec->maxSmemPerBlockBytes)
      return bad(fail("kernel " + name + " needs " +
                      llvm::Twine(found->staticSmemBytes + dynamicBytes) +
                      " bytes of shared memory per block; " + target.name + " has " +
                      llvm::Twine(spec->maxSmemPerBlockBytes)),
                 CompileFailure::Tool);
  }
  out.cuda["toolkit"] = toolkit.version;
  out.cuda["nvcc_seconds"] = built.nvccSeconds;
  out.cuda["ptxas_seconds"] = built.ptxasSeconds;
  out.cuda["fatbin_section"] = "code";
  out.cuda["source_section"] = "code.cu";
  out.target = {{"name", target.name}, {"description", target.description},
                {"isa", nlohmann::json::array()}, {"kind", "cuda"}};
  out.code = {{"section", "code"},
              {"format", "fatbin"},
              {"identity", identity},
              {"entry_points", nlohmann::json::array()},
              {"compile_seconds", built.nvccSeconds + built.ptxasSeconds + fatbin->fatbinarySeconds}};
  out.codeBytes = fatbin->fatbin.size();
  out.sections.push_back({"code", std::move(fatbin->fatbin)});
  out.sections.push_back(
      {"code.cu", std::vector<char>(program.source.begin(), program.source.end())});

  // 3. The same source for the host emulation, when asked.
  if (options_.emulation) {
    log_ << "r1c: package: compiling the kernels for the host emulation with " << cxx->path
         << "\n";
    log_.flush();
    llvm::Expected<std::vector<char>> emulation = compileSharedObject(
        *cxx, program.source, {"-fexceptions", "-pthread", "-march=x86-64-v3"},
        EmbeddedHeaders::Cuda);
    if (!emulation)
      return bad(emulation.takeError(), CompileFailure::Tool);
    out.cuda["emulation_section"] = "code.emulation";
    out.sections.push_back({"code.emulation", std::move(*emulation)});
  }
  return out;
}

llvm::Error Compiler::package(ModuleOp plan, CompiledCode compiled) {
  // 1. The manifest, except the weights list.
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
  compiled.code["kernels"] = kernels;
  std::vector<int64_t> eos = config.eosTokenIds;
  nlohmann::json manifest = {
      {"abi_version", R1_ABI_VERSION},
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
      {"target", compiled.target},
      {"code", compiled.code},
      {"memory",
       {{"max_step_tokens", intAttr("r1k.max_rows")},
        {"arena_bytes", intAttr("r1k.arena_bytes")},
        {"kv_bytes_per_token", intAttr("r1k.kv_bytes_per_token")},
        {"weights_bytes", packedWeightBytes(plan)},
        {"decode_weight_bytes_per_token", decodeWeightBytesPerToken(plan)},
        {"kv_layout", kvLayout(plan)}}},
      {"generation",
       {{"temperature", 0.6}, {"top_p", 0.95}, {"max_new_tokens", 32768},
        {"think_prefix", "<think>\n"}}},
  };
  if (!compiled.cuda.is_null()) {
    manifest["cuda"] = compiled.cuda;
    manifest["memory"]["arena_bytes"] = compiled.arenaBytes;
  }

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

  for (auto &[name, bytes] : compiled.sections)
    if (llvm::Error err = check(writer.addSection(name, bytes.data(), bytes.size())))
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
                        options_.output, size / 1e6, weights->size(),
                        compiled.cuda.is_null() ? kernels.size() : compiled.cuda["kernels"].size(),
                        compiled.codeBytes / 1e6);
  return llvm::Error::success();
}

} // namespace

llvm::Error compileModel(const CompileOptions &options, llvm::raw_ostream &log,
                         CompileFailure *failure) {
  return Compiler(options, log, failure).run();
}

} // namespace r1
