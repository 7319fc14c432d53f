//===- ExternalTool.cpp - Running the toolchains r1c drives ---------------===//

#include "compiler/ExternalTool.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <optional>

namespace r1 {

llvm::Error toolError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<std::string> createWorkDirectory(llvm::StringRef prefix) {
  llvm::SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory(prefix, dir))
    return toolError("cannot create a temporary directory: " + ec.message());
  return std::string(dir);
}

std::string pathIn(llvm::StringRef dir, llvm::StringRef name) {
  llvm::SmallString<128> p(dir);
  llvm::sys::path::append(p, name);
  return std::string(p);
}

llvm::Error writeTextFile(llvm::StringRef path, llvm::StringRef contents) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return toolError(path + ": " + ec.message());
  os << contents;
  os.close();
  if (os.has_error())
    return toolError(path + ": " + os.error().message());
  return llvm::Error::success();
}

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Starts `invocation` without waiting; a process with Pid 0 did not start.
llvm::sys::ProcessInfo start(const ToolInvocation &invocation, std::string &message) {
  std::vector<llvm::StringRef> argv(invocation.args.begin(), invocation.args.end());
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(invocation.log),
                                                llvm::StringRef(invocation.log)};
  bool failed = false;
  return llvm::sys::ExecuteNoWait(invocation.args.front(), argv, std::nullopt, redirects, 0,
                                  &message, &failed);
}

} // namespace

ToolResult runTool(const ToolInvocation &invocation) {
  return runToolsConcurrently({invocation}).front();
}

std::vector<ToolResult> runToolsConcurrently(llvm::ArrayRef<ToolInvocation> invocations) {
  std::vector<ToolResult> results(invocations.size());
  std::vector<llvm::sys::ProcessInfo> processes(invocations.size());
  Clock::time_point started = Clock::now();
  for (size_t i = 0; i < invocations.size(); ++i)
    processes[i] = start(invocations[i], results[i].message);
  for (size_t i = 0; i < invocations.size(); ++i) {
    if (processes[i].Pid == llvm::sys::ProcessInfo::InvalidPid)
      continue; // exitCode stays -1; message says why
    std::optional<llvm::sys::ProcessStatistics> stats;
    llvm::sys::ProcessInfo done =
        llvm::sys::Wait(processes[i], std::nullopt, &results[i].message, &stats);
    results[i].exitCode = done.ReturnCode;
    results[i].seconds = secondsSince(started);
    if (stats)
      results[i].cpuSeconds = std::chrono::duration<double>(stats->TotalTime).count();
  }
  return results;
}

std::string firstErrorLine(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> text = llvm::MemoryBuffer::getFile(path);
  if (!text)
    return "";
  llvm::StringRef all = (*text)->getBuffer();
  llvm::SmallVector<llvm::StringRef> lines;
  all.split(lines, '\n');
  for (llvm::StringRef line : lines)
    if (line.contains("error"))
      return line.trim().str();
  return all.split('\n').first.trim().str();
}

} // namespace r1
