//===- CudaToolchain.cpp - nvcc, ptxas and fatbinary ----------------------===//

#include "compiler/CudaToolchain.h"

#include "compiler/ExternalTool.h"
#include "compiler/FatbinReader.h"
#include "codegen/host/EmbeddedFiles.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

namespace r1 {

namespace {

const char *const kTargets[] = {"sm_80", "sm_89", "sm_90a", "sm_100a"};

/// The first CUDA release whose nvcc/ptxas know a target: 12.0 for sm_90a
/// (findCudaToolkit's floor), 12.8 for Blackwell's sm_100a.
struct TargetFloor {
  const char *target;
  unsigned major, minor;
};
const TargetFloor kTargetFloors[] = {{"sm_100a", 12, 8}};
const char *const kTools[] = {"nvcc", "ptxas", "fatbinary"};

constexpr const char *kInstallHint =
    "install the CUDA toolkit 12.0 or later (NVIDIA's cuda-toolkit package, "
    "https://developer.nvidia.com/cuda-downloads) or name it with --cuda-path DIR or R1C_CUDA_PATH";

/// The tools under `root`/bin; `missing` lists those that are not there.
CudaToolkit toolsUnder(llvm::StringRef root, std::vector<std::string> &missing) {
  CudaToolkit toolkit;
  toolkit.root = root.str();
  std::string *paths[] = {&toolkit.nvcc, &toolkit.ptxas, &toolkit.fatbinary};
  for (size_t i = 0; i < std::size(kTools); ++i) {
    std::string path = pathIn(pathIn(root, "bin"), kTools[i]);
    if (llvm::sys::fs::can_execute(path))
      *paths[i] = path;
    else
      missing.push_back(kTools[i]);
  }
  return toolkit;
}

/// "13.0" from nvcc's "Cuda compilation tools, release 13.0, V13.0.88".
llvm::Expected<std::string> nvccVersion(const std::string &nvcc) {
  llvm::Expected<std::string> dir = createWorkDirectory("r1c-nvcc-version");
  if (!dir)
    return dir.takeError();
  std::string log = pathIn(*dir, "version.log");
  ToolResult ran = runTool({{nvcc, "--version"}, log});
  auto text = llvm::MemoryBuffer::getFile(log);
  std::string all = text ? (*text)->getBuffer().str() : "";
  llvm::sys::fs::remove_directories(*dir);
  size_t at = all.find("release ");
  if (ran.exitCode != 0 || at == std::string::npos)
    return toolError(nvcc + " --version failed or printed no 'release X.Y' (exit " +
                     llvm::Twine(ran.exitCode) + "); " + kInstallHint);
  llvm::StringRef version = llvm::StringRef(all).drop_front(at + 8);
  return version.take_until([](char c) { return c == ',' || c == '\n' || c == ' '; }).str();
}

/// Fills in the version and rejects a toolkit that predates sm_90a.
llvm::Expected<CudaToolkit> withVersion(CudaToolkit toolkit) {
  llvm::Expected<std::string> version = nvccVersion(toolkit.nvcc);
  if (!version)
    return version.takeError();
  toolkit.version = *version;
  unsigned major = 0;
  if (llvm::StringRef(toolkit.version).split('.').first.getAsInteger(10, major) || major < 12)
    return toolError("CUDA " + toolkit.version + " at " + toolkit.nvcc +
                     " is too old: sm_90a needs CUDA 12.0 or later; " + kInstallHint);
  return toolkit;
}

/// --cuda-path and R1C_CUDA_PATH name one toolkit: it must be complete.
llvm::Expected<CudaToolkit> explicitToolkit(llvm::StringRef root, llvm::StringRef by) {
  std::vector<std::string> missing;
  CudaToolkit toolkit = toolsUnder(root, missing);
  if (!missing.empty())
    return toolError(by + (by == "R1C_CUDA_PATH" ? "=" : " ") + root + ": no " +
                     llvm::join(missing, ", ") + " in " + pathIn(root, "bin") + "; " +
                     kInstallHint);
  toolkit.foundBy = by.str();
  return withVersion(std::move(toolkit));
}

std::string targetNumber(llvm::StringRef target) { return target.drop_front(3).str(); }


} // namespace

llvm::ArrayRef<const char *> cudaTargetNames() { return kTargets; }

llvm::Error checkCudaTargetSupported(const CudaToolkit &toolkit, llvm::StringRef target) {
  auto [majorText, rest] = llvm::StringRef(toolkit.version).split('.');
  unsigned major = 0, minor = 0;
  if (majorText.getAsInteger(10, major) ||
      rest.take_while([](char c) { return c >= '0' && c <= '9'; }).getAsInteger(10, minor))
    return llvm::Error::success();
  for (const TargetFloor &floor : kTargetFloors)
    if (target == floor.target && std::pair(major, minor) < std::pair(floor.major, floor.minor))
      return toolError("CUDA " + toolkit.version + " at " + toolkit.nvcc + " is too old for --target " +
                       target + ": it needs CUDA " + llvm::Twine(floor.major) + "." +
                       llvm::Twine(floor.minor) + " or later; install a newer toolkit "
                       "(https://developer.nvidia.com/cuda-downloads) "
                       "and name it with --cuda-path DIR or R1C_CUDA_PATH");
  return llvm::Error::success();
}

llvm::Expected<CudaToolkit> findCudaToolkit(llvm::StringRef requested) {
  if (!requested.empty())
    return explicitToolkit(requested, "--cuda-path");
  if (const char *env = std::getenv("R1C_CUDA_PATH"); env && *env)
    return explicitToolkit(env, "R1C_CUDA_PATH");

  // The first complete toolkit of $CUDA_HOME, /usr/local/cuda, PATH; what
  // each lacked goes into the error.
  std::vector<std::string> looked;
  std::vector<std::pair<std::string, std::string>> roots;
  if (const char *home = std::getenv("CUDA_HOME"); home && *home)
    roots.push_back({home, "CUDA_HOME"});
  roots.push_back({"/usr/local/cuda", "/usr/local/cuda"});
  for (auto &[root, by] : roots) {
    std::vector<std::string> missing;
    CudaToolkit toolkit = toolsUnder(root, missing);
    if (missing.empty()) {
      toolkit.foundBy = by;
      return withVersion(std::move(toolkit));
    }
    std::string where = by == root ? root : "$" + by + "=" + root;
    looked.push_back(missing.size() == std::size(kTools)
                         ? where + " (no bin/nvcc)"
                         : where + " (no bin/" + llvm::join(missing, ", bin/") + ")");
  }
  CudaToolkit onPath;
  std::vector<std::string> missing;
  std::string *paths[] = {&onPath.nvcc, &onPath.ptxas, &onPath.fatbinary};
  for (size_t i = 0; i < std::size(kTools); ++i) {
    if (llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(kTools[i]))
      *paths[i] = *path;
    else
      missing.push_back(kTools[i]);
  }
  if (missing.empty()) {
    onPath.foundBy = "PATH";
    return withVersion(std::move(onPath));
  }
  looked.push_back("PATH (no " + llvm::join(missing, ", ") + ")");
  return toolError("no CUDA toolkit found: r1c needs nvcc, ptxas and fatbinary; looked in " +
                   llvm::join(looked, ", ") + "; " + kInstallHint);
}

llvm::Expected<CudaFatbin> compileCudaFatbin(const CudaToolkit &toolkit, llvm::StringRef source,
                                             llvm::ArrayRef<std::string> targets,
                                             const CudaCompileOptions &options) {
  // 1. The targets: known, each once.
  if (targets.empty())
    return toolError("--target: no CUDA target given; expected some of " +
                     llvm::join(cudaTargetNames(), ", "));
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!llvm::is_contained(cudaTargetNames(), targets[i]))
      return toolError("--target: unknown CUDA target '" + targets[i] + "'; expected one of " +
                       llvm::join(cudaTargetNames(), ", "));
    if (llvm::is_contained(targets.take_front(i), targets[i]))
      return toolError("--target: '" + targets[i] + "' is given twice");
    if (llvm::Error err = checkCudaTargetSupported(toolkit, targets[i]))
      return std::move(err);
  }

  // 2. A work directory with the source.
  llvm::Expected<std::string> workDir = createWorkDirectory("r1c-cuda");
  if (!workDir)
    return workDir.takeError();
  const std::string &dir = *workDir;
  auto path = [&](llvm::StringRef name) { return pathIn(dir, name); };
  std::string cu = path("kernel.cu");
  if (llvm::Error err = writeTextFile(cu, source))
    return std::move(err);
  if (options.withKernelHeaders)
    for (size_t i = 0; i < kCudaKernelFilesCount; ++i)
      if (llvm::Error err = writeTextFile(path(kCudaKernelFiles[i].name), kCudaKernelFiles[i].contents))
        return std::move(err);
  auto failed = [&](llvm::StringRef tool, llvm::StringRef target, const ToolResult &ran,
                    llvm::StringRef log) {
    std::string forTarget = target.empty() ? "" : " for " + target.str();
    return toolError(tool + forTarget + " failed (exit " + llvm::Twine(ran.exitCode) +
                     (ran.message.empty() ? "" : ", " + ran.message) + "): " + firstErrorLine(log) +
                     "; the files are in " + dir + " (log: " + llvm::sys::path::filename(log) +
                     ")");
  };

  CudaFatbin result;
  std::vector<ToolInvocation> nvcc, ptxas;
  for (const std::string &target : targets) {
    std::string n = targetNumber(target);
    std::string ptx = path("kernel." + target + ".ptx"),
                cubin = path("kernel." + target + ".cubin");
    // -gencode arch=compute_90a,code=sm_90a: PTX for the arch-specific 90a
    // (wgmma), not the portable compute_90 that -arch=sm_90a also emits.
    ToolInvocation toPtx{{toolkit.nvcc, "-ptx", "-gencode", "arch=compute_" + n + ",code=sm_" + n},
                         path("nvcc." + target + ".log")};
    if (options.withKernelHeaders)
      toPtx.args.insert(toPtx.args.end(), {"-I", dir});
    llvm::append_range(toPtx.args, options.nvccFlags);
    toPtx.args.insert(toPtx.args.end(), {"-o", ptx, cu});
    nvcc.push_back(std::move(toPtx));
    ToolInvocation toCubin{{toolkit.ptxas, "-v", "-arch=" + target},
                           path("ptxas." + target + ".log")};
    llvm::append_range(toCubin.args, options.ptxasFlags);
    toCubin.args.insert(toCubin.args.end(), {"-o", cubin, ptx});
    ptxas.push_back(std::move(toCubin));
    result.targets.push_back({});
    result.targets.back().target = target;
  }

  // 3. nvcc, then ptxas, each over all targets at once.
  std::vector<ToolResult> ran = runToolsConcurrently(nvcc);
  for (size_t i = 0; i < targets.size(); ++i) {
    if (ran[i].exitCode != 0)
      return failed("nvcc", targets[i], ran[i], nvcc[i].log);
    result.targets[i].nvccSeconds = ran[i].seconds;
  }
  if (options.editPtx) {
    for (const std::string &target : targets) {
      std::string ptxPath = path("kernel." + target + ".ptx");
      auto ptx = llvm::MemoryBuffer::getFile(ptxPath);
      if (!ptx)
        return toolError("cannot read " + ptxPath);
      llvm::Expected<std::string> edited = options.editPtx(target, (*ptx)->getBuffer().str());
      if (!edited)
        return edited.takeError();
      if (llvm::Error err = writeTextFile(ptxPath, *edited))
        return std::move(err);
    }
  }
  ran = runToolsConcurrently(ptxas);
  for (size_t i = 0; i < targets.size(); ++i) {
    if (ran[i].exitCode != 0)
      return failed("ptxas", targets[i], ran[i], ptxas[i].log);
    CudaTargetOutput &out = result.targets[i];
    out.ptxasSeconds = ran[i].seconds;
    auto log = llvm::MemoryBuffer::getFile(ptxas[i].log);
    auto ptx = llvm::MemoryBuffer::getFile(path("kernel." + targets[i] + ".ptx"));
    if (!log || !ptx)
      return toolError("cannot read the PTX or ptxas log of " + targets[i] + " in " + dir);
    out.ptxasLog = (*log)->getBuffer().str();
    out.ptx = (*ptx)->getBuffer().str();
    llvm::Expected<std::vector<KernelResources>> kernels = parsePtxasVerbose(out.ptxasLog);
    if (!kernels)
      return toolError(ptxas[i].log + ": " + llvm::toString(kernels.takeError()) +
                       "; the files are in " + dir);
    out.kernels = std::move(*kernels);
    uint64_t size = 0;
    llvm::sys::fs::file_size(path("kernel." + targets[i] + ".cubin"), size);
    out.cubinBytes = size;
  }

  // 4. One fatbin: per target the cubin, then its PTX (which the driver can
  //    compile for a newer GPU of the same family).
  std::string fatbin = path("kernel.fatbin");
  ToolInvocation pack{{toolkit.fatbinary, "--create=" + fatbin, "-64"}, path("fatbinary.log")};
  if (options.uncompressedPtx)
    pack.args.push_back("--compress=false");
  for (const std::string &target : targets) {
    std::string n = targetNumber(target);
    pack.args.push_back("--image3=kind=elf,sm=" + n +
                        ",file=" + path("kernel." + target + ".cubin"));
    pack.args.push_back("--image3=kind=ptx,sm=" + n + ",file=" + path("kernel." + target + ".ptx"));
  }
  ToolResult packed = runTool(pack);
  if (packed.exitCode != 0)
    return failed("fatbinary", "", packed, pack.log);
  result.fatbinarySeconds = packed.seconds;
  auto bytes = llvm::MemoryBuffer::getFile(fatbin, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
  if (!bytes)
    return toolError(fatbin + ": " + bytes.getError().message());
  result.fatbin.assign((*bytes)->getBufferStart(), (*bytes)->getBufferEnd());

  // 5. Check it holds what was asked for: a cubin and PTX per target.
  llvm::Expected<std::vector<FatbinImage>> images =
      readFatbinImages(llvm::ArrayRef<char>(result.fatbin));
  if (!images)
    return toolError(fatbin + ": " + llvm::toString(images.takeError()) + "; the files are in " +
                     dir);
  for (const std::string &target : targets)
    for (const char *kind : {"cubin", "ptx"})
      if (!llvm::any_of(*images, [&](const FatbinImage &image) {
            return image.kind == kind && image.arch == target;
          }))
        return toolError(fatbin + ": fatbinary wrote no " + kind + " image for " + target +
                         "; the files are in " + dir);

  if (options.keepWorkDirectory)
    result.workDirectory = dir;
  else
    llvm::sys::fs::remove_directories(dir);
  return result;
}

} // namespace r1
