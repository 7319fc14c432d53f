//===- HostToolchain.cpp - Compiling generated C++ into a shared object ---===//

#include "compiler/HostToolchain.h"

#include "codegen/host/EmbeddedFiles.h"
#include "compiler/ExternalTool.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

namespace r1 {

namespace {

llvm::Error fail(const llvm::Twine &message) { return toolError(message); }

} // namespace

llvm::Expected<CxxCompiler> findCxxCompiler(llvm::StringRef requested) {
  std::string wanted = requested.str();
  if (wanted.empty())
    if (const char *env = std::getenv("R1C_CXX"); env && *env)
      wanted = env;
  if (!wanted.empty()) {
    if (llvm::StringRef(wanted).contains('/'))
      return llvm::sys::fs::exists(wanted) && llvm::sys::fs::can_execute(wanted)
                 ? llvm::Expected<CxxCompiler>(CxxCompiler{wanted})
                 : fail("C++ compiler '" + wanted + "' not found (--cxx or R1C_CXX)");
    if (llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(wanted))
      return CxxCompiler{*path};
    return fail("C++ compiler '" + wanted + "' not found (--cxx or R1C_CXX)");
  }
  for (const char *name : {"clang++-22", "clang++", "g++", "c++"})
    if (llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(name))
      return CxxCompiler{*path};
  return fail("no C++ compiler found (tried clang++-22, clang++, g++, c++); install one "
              "(scripts/setup.sh) or name it with --cxx");
}

std::vector<std::string> baseCxxFlags() {
  // -O2: the kernels are written to vectorize explicitly; no -ffast-math, so
  // fp32 mode keeps IEEE semantics. Hidden visibility: only the ABI's entry
  // points are exported.
  return {"-std=c++20", "-O2", "-fPIC", "-shared", "-fvisibility=hidden",
          "-fno-exceptions", "-fno-rtti", "-g0", "-s"};
}

llvm::Expected<std::vector<char>> compileSharedObject(const CxxCompiler &cxx,
                                                      llvm::StringRef source,
                                                      const std::vector<std::string> &flags,
                                                      EmbeddedHeaders headers) {
  // 1. A work directory with the source and the headers it includes.
  llvm::Expected<std::string> workDir = createWorkDirectory("r1c-host");
  if (!workDir)
    return workDir.takeError();
  const std::string &dir = *workDir;
  auto path = [&](llvm::StringRef name) { return pathIn(dir, name); };
  bool cuda = headers == EmbeddedHeaders::Cuda;
  const EmbeddedFile *files = cuda ? kCudaKernelFiles : kHostKernelFiles;
  size_t count = cuda ? kCudaKernelFilesCount : kHostKernelFilesCount;
  for (size_t i = 0; i < count; ++i)
    if (llvm::Error err = writeTextFile(path(files[i].name), files[i].contents))
      return std::move(err);
  std::string cpp = path("model.cpp"), so = path("model.so"), log = path("compile.log");
  if (llvm::Error err = writeTextFile(cpp, source))
    return std::move(err);

  // 2. Compile.
  ToolInvocation compile{{cxx.path}, log};
  for (const std::string &f : baseCxxFlags())
    compile.args.push_back(f);
  for (const std::string &f : flags)
    compile.args.push_back(f);
  compile.args.insert(compile.args.end(), {"-I", dir, "-o", so, cpp});
  ToolResult ran = runTool(compile);
  if (ran.exitCode != 0)
    return fail("the generated code did not compile with " + cxx.path + " (exit " +
                llvm::Twine(ran.exitCode) + (ran.message.empty() ? "" : ", " + ran.message) +
                "): " + firstErrorLine(log) + "; the files are in " + dir + " (log: compile.log)");

  // 3. Read the shared object and clean up.
  auto bytes = llvm::MemoryBuffer::getFile(so, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!bytes)
    return fail(so + ": " + bytes.getError().message());
  std::vector<char> result((*bytes)->getBufferStart(), (*bytes)->getBufferEnd());
  llvm::sys::fs::remove_directories(dir);
  return result;
}

} // namespace r1
