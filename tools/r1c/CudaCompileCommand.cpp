//===- CudaCompileCommand.cpp - r1c cuda-compile (internal) ---------------===//
//
// Runs the CUDA toolchain step on a hand-written .cu file: nvcc and ptxas
// per target, fatbinary over all of them (compiler/CudaToolchain.h). Hidden
// from `r1c --help`: it exists to test and inspect that step (docs/cuda.md);
// `r1c compile` will reach the same code through the CUDA backend.
//
//===----------------------------------------------------------------------===//

#include "tools/r1c/Commands.h"

#include "compiler/CudaToolchain.h"
#include "compiler/FatbinReader.h"
#include "compiler/OutputFile.h"
#include "compiler/TargetSpecs.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json.hpp>

#include <memory>

namespace r1c_tool {

namespace {

struct CudaCompileArgs {
  std::string source, output, cudaPath;
  std::vector<std::string> targets;
  r1::CudaCompileOptions options;
  int64_t threads = 128;
  bool json = false;
};

/// ".target sm_90a" of a PTX text, or "" when it has none.
std::string ptxTarget(llvm::StringRef ptx) {
  size_t at = ptx.find("\n.target ");
  return at == llvm::StringRef::npos
             ? ""
             : ptx.drop_front(at + 9).take_until([](char c) { return c == '\n'; }).trim().str();
}

nlohmann::json kernelJson(const r1::KernelResources &k, const r1::TargetSpec &spec,
                          int64_t threads) {
  nlohmann::json j = {{"name", k.name},
                      {"entry", k.isEntry},
                      {"registers", k.registers},
                      {"barriers", k.barriers},
                      {"spill_store_bytes", k.spillStoreBytes},
                      {"spill_load_bytes", k.spillLoadBytes},
                      {"stack_frame_bytes", k.stackFrameBytes},
                      {"cumulative_stack_bytes", k.cumulativeStackBytes},
                      {"static_smem_bytes", k.staticSmemBytes},
                      {"constant_bytes", k.constantBytes}};
  if (!k.isEntry)
    return j;
  if (llvm::Expected<r1::Occupancy> o = r1::occupancy(k, threads, spec)) {
    j["occupancy"] = {{"threads_per_block", o->threadsPerBlock},
                      {"blocks_per_sm", o->blocksPerSm},
                      {"active_warps_per_sm", o->activeWarpsPerSm},
                      {"max_warps_per_sm", o->maxWarpsPerSm},
                      {"fraction", o->fraction},
                      {"limited_by", o->limiter},
                      {"blocks_by_registers", o->blocksByRegisters},
                      {"blocks_by_smem", o->blocksBySmem},
                      {"blocks_by_warps", o->blocksByWarps},
                      {"blocks_by_block_limit", o->blocksByBlockLimit}};
  } else {
    j["occupancy"] = {{"error", llvm::toString(o.takeError())}};
  }
  return j;
}

int runCudaCompile(CudaCompileArgs &args) {
  // 1. Inputs: the source, the targets, the toolkit.
  auto source = llvm::MemoryBuffer::getFile(args.source);
  if (!source)
    return report(llvm::createStringError(llvm::inconvertibleErrorCode(),
                                          args.source + ": " + source.getError().message()),
                  kBadInput);
  if (args.targets.empty())
    for (const char *name : r1::cudaTargetNames())
      args.targets.push_back(name);
  for (const std::string &target : args.targets)
    if (!llvm::is_contained(r1::cudaTargetNames(), target))
      return report(llvm::createStringError(llvm::inconvertibleErrorCode(),
                                            "--target: unknown CUDA target '" + target +
                                                "'; expected one of " +
                                                llvm::join(r1::cudaTargetNames(), ", ")),
                    kUsage);
  llvm::Expected<r1::CudaToolkit> toolkit = r1::findCudaToolkit(args.cudaPath);
  if (!toolkit)
    return report(toolkit.takeError(), kToolFailed);

  // 2. Compile; write the fatbin.
  llvm::Expected<r1::CudaFatbin> built =
      r1::compileCudaFatbin(*toolkit, (*source)->getBuffer(), args.targets, args.options);
  if (!built) {
    std::string message = llvm::toString(built.takeError());
    int code = llvm::StringRef(message).starts_with("--") ? kUsage : kToolFailed;
    return report(llvm::createStringError(llvm::inconvertibleErrorCode(), message), code);
  }
  if (!args.output.empty())
    if (llvm::Error err = r1::writeFileAtomically(args.output, [&](llvm::raw_ostream &os) {
          os.write(built->fatbin.data(), built->fatbin.size());
          return llvm::Error::success();
        }))
      return report(std::move(err), kOutputFailed);
  if (!built->workDirectory.empty())
    llvm::errs() << "r1c cuda-compile: the work files are in " << built->workDirectory << "\n";

  // 3. Report: per target the tools' times, the PTX, each kernel's resources
  //    and occupancy; the fatbin's images.
  llvm::Expected<std::vector<r1::FatbinImage>> images =
      r1::readFatbinImages(llvm::ArrayRef<char>(built->fatbin));
  if (!images)
    return report(images.takeError(), kToolFailed);
  if (args.json) {
    nlohmann::json targets = nlohmann::json::array(), imageList = nlohmann::json::array();
    for (const r1::CudaTargetOutput &t : built->targets) {
      const r1::TargetSpec &spec = *r1::lookupTargetSpec(t.target);
      nlohmann::json kernels = nlohmann::json::array();
      for (const r1::KernelResources &k : t.kernels)
        kernels.push_back(kernelJson(k, spec, args.threads));
      targets.push_back({{"target", t.target},
                         {"ptx_target", ptxTarget(t.ptx)},
                         {"ptx_bytes", t.ptx.size()},
                         {"cubin_bytes", t.cubinBytes},
                         {"nvcc_seconds", t.nvccSeconds},
                         {"ptxas_seconds", t.ptxasSeconds},
                         {"kernels", kernels}});
    }
    for (const r1::FatbinImage &image : *images)
      imageList.push_back({{"kind", image.kind},
                           {"arch", image.arch},
                           {"payload_bytes", image.payloadBytes},
                           {"compressed", image.compressed}});
    nlohmann::json out = {{"source", args.source},
                          {"toolkit",
                           {{"version", toolkit->version},
                            {"found_by", toolkit->foundBy},
                            {"nvcc", toolkit->nvcc},
                            {"ptxas", toolkit->ptxas},
                            {"fatbinary", toolkit->fatbinary}}},
                          {"targets", targets},
                          {"fatbin", {{"bytes", built->fatbin.size()}, {"images", imageList}}},
                          {"fatbinary_seconds", built->fatbinarySeconds}};
    llvm::outs() << out.dump(2) << "\n";
    llvm::outs().flush();
    return kSuccess;
  }
  llvm::outs() << "CUDA " << toolkit->version << " (" << toolkit->nvcc << ")\n";
  for (const r1::CudaTargetOutput &t : built->targets) {
    const r1::TargetSpec &spec = *r1::lookupTargetSpec(t.target);
    llvm::outs() << llvm::formatv("{0}: PTX {1} bytes, cubin {2} bytes; nvcc {3:F2} s, ptxas "
                                  "{4:F2} s\n",
                                  t.target, t.ptx.size(), t.cubinBytes, t.nvccSeconds,
                                  t.ptxasSeconds);
    for (const r1::KernelResources &k : t.kernels) {
      llvm::outs() << llvm::formatv("  {0}{1}: {2} registers, spills {3}/{4} bytes (stores/loads), "
                                    "stack {5} bytes, smem {6} bytes",
                                    k.name, k.isEntry ? "" : " (device function)", k.registers,
                                    k.spillStoreBytes, k.spillLoadBytes, k.stackFrameBytes,
                                    k.staticSmemBytes);
      if (k.isEntry) {
        if (llvm::Expected<r1::Occupancy> o = r1::occupancy(k, args.threads, spec))
          llvm::outs() << llvm::formatv("; occupancy at {0} threads {1}/{2} warps ({3:P0}), "
                                        "limited by {4}",
                                        args.threads, o->activeWarpsPerSm, o->maxWarpsPerSm,
                                        o->fraction, o->limiter);
        else
          llvm::outs() << "; occupancy: " << llvm::toString(o.takeError());
      }
      llvm::outs() << "\n";
    }
  }
  llvm::outs() << "fatbin: " << built->fatbin.size() << " bytes:";
  for (const r1::FatbinImage &image : *images)
    llvm::outs() << " " << image.arch << " " << image.kind;
  llvm::outs() << "\n";
  llvm::outs().flush();
  return kSuccess;
}

} // namespace

CommandRunner addCudaCompileCommand(CLI::App &app) {
  auto args = std::make_shared<CudaCompileArgs>();
  CLI::App *cmd = app.add_subcommand(
      "cuda-compile", "Internal: compile a .cu file into a fatbin (cubin + PTX per target)\n"
                      "and report each kernel's resources (docs/cuda.md)");
  cmd->group(""); // hidden from `r1c --help`
  cmd->add_option("FILE", args->source, "CUDA C++ source")->required();
  cmd->add_option("-o,--output", args->output, "Write the fatbin here")->option_text("FILE");
  cmd->add_option("--target", args->targets,
                  "sm_80, sm_89, sm_90a or sm_100a; repeat or separate with commas (default: all)")
      ->delimiter(',')
      ->option_text("TARGET");
  cmd->add_option("--cuda-path", args->cudaPath,
                  "CUDA toolkit directory (default: $R1C_CUDA_PATH, $CUDA_HOME, /usr/local/cuda, "
                  "PATH)")
      ->option_text("DIR");
  cmd->add_option("--nvcc-flag", args->options.nvccFlags, "Extra flag for nvcc (repeatable)")
      ->option_text("FLAG")
      ->allow_extra_args(false);
  cmd->add_option("--ptxas-flag", args->options.ptxasFlags, "Extra flag for ptxas (repeatable)")
      ->option_text("FLAG")
      ->allow_extra_args(false);
  cmd->add_option("--threads", args->threads,
                  "Threads per block the reported occupancy assumes (default 128)")
      ->option_text("N");
  cmd->add_flag("--keep", args->options.keepWorkDirectory,
                "Keep the work directory (source, PTX, cubins, logs) and name it on stderr");
  cmd->add_flag("--json", args->json, "Print the report as one JSON object");
  return [cmd, args]() -> int { return cmd->parsed() ? runCudaCompile(*args) : -1; };
}

} // namespace r1c_tool
