//===- OutputFile.cpp - Writing outputs atomically -------------------------===//

#include "compiler/OutputFile.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace r1 {

llvm::Error writeFileAtomically(llvm::StringRef path,
                                llvm::function_ref<llvm::Error(llvm::raw_ostream &)> write) {
  if (path == "-") {
    llvm::Error err = write(llvm::outs());
    llvm::outs().flush();
    return err;
  }
  // Create the temporary next to the target so the rename stays on one file
  // system (and is therefore atomic).
  llvm::SmallString<256> model(path);
  model += ".tmp-%%%%%%";
  int fd;
  llvm::SmallString<256> tempPath;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(model, fd, tempPath))
    return llvm::createStringError(ec, "%s: cannot create a temporary file: %s",
                                   path.str().c_str(), ec.message().c_str());
  llvm::Error result = llvm::Error::success();
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    result = write(os);
    os.close();
    if (!result && os.has_error()) {
      std::error_code ec = os.error();
      os.clear_error();
      result = llvm::createStringError(ec, "%s: write failed: %s", path.str().c_str(),
                                       ec.message().c_str());
    }
  }
  if (!result) {
    if (std::error_code ec = llvm::sys::fs::rename(tempPath, path))
      result = llvm::createStringError(ec, "%s: cannot rename the finished output into place: %s",
                                       path.str().c_str(), ec.message().c_str());
  }
  if (result)
    llvm::sys::fs::remove(tempPath);
  return result;
}

} // namespace r1
