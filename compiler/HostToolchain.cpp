//===- HostToolchain.cpp - Compiling generated C++ into a shared object ---===//

#include "compiler/HostToolchain.h"

#include "codegen/host/EmbeddedFiles.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

namespace r1 {

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Error writeFile(llvm::StringRef path, llvm::StringRef contents) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return fail(path + ": " + ec.message());
  os << contents;
  os.close();
  if (os.has_error())
    return fail(path + ": " + os.error().message());
  return llvm::Error::success();
}

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
                                                      const std::vector<std::string> &flags) {
  // 1. A work directory with the source and the headers it includes.
  llvm::SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("r1c-host", dir))
    return fail("cannot create a temporary directory: " + ec.message());
  auto path = [&](llvm::StringRef name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };
  for (size_t i = 0; i < kHostKernelFileCount; ++i)
    if (llvm::Error err = writeFile(path(kHostKernelFiles[i].name), kHostKernelFiles[i].contents))
      return std::move(err);
  std::string cpp = path("model.cpp"), so = path("model.so"), log = path("compile.log");
  if (llvm::Error err = writeFile(cpp, source))
    return std::move(err);

  // 2. Compile.
  std::vector<std::string> args = {cxx.path};
  for (const std::string &f : baseCxxFlags())
    args.push_back(f);
  for (const std::string &f : flags)
    args.push_back(f);
  args.insert(args.end(), {"-I", std::string(dir), "-o", so, cpp});
  std::vector<llvm::StringRef> argv(args.begin(), args.end());
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(log),
                                                llvm::StringRef(log)};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(cxx.path, argv, std::nullopt, redirects, 0, 0, &message);
  if (rc != 0) {
    std::string first;
    if (auto text = llvm::MemoryBuffer::getFile(log)) {
      llvm::StringRef all = (*text)->getBuffer();
      llvm::SmallVector<llvm::StringRef> lines;
      all.split(lines, '\n');
      for (llvm::StringRef line : lines)
        if (line.contains("error")) {
          first = line.trim().str();
          break;
        }
      if (first.empty())
        first = all.split('\n').first.trim().str();
    }
    return fail("the generated code did not compile with " + cxx.path + " (exit " +
                llvm::Twine(rc) + (message.empty() ? "" : ", " + message) + "): " + first +
                "; the files are in " + dir + " (log: compile.log)");
  }

  // 3. Read the shared object and clean up.
  auto bytes = llvm::MemoryBuffer::getFile(so, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!bytes)
    return fail(so + ": " + bytes.getError().message());
  std::vector<char> result((*bytes)->getBufferStart(), (*bytes)->getBufferEnd());
  llvm::sys::fs::remove_directories(dir);
  return result;
}

} // namespace r1
