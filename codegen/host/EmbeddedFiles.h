//===- EmbeddedFiles.h - Kernel headers compiled into r1c -----------------===//
//
// The generated C++ of a model includes the kernel templates of
// codegen/host/kernels/ and runtime/R1Abi.h; the generated CUDA, those of
// codegen/cuda/kernels/. r1c carries their text (built
// in by CMake from those files) and writes them next to the generated file,
// so a compile needs nothing from the source tree.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_HOST_EMBEDDEDFILES_H
#define R1C_CODEGEN_HOST_EMBEDDEDFILES_H

#include <cstddef>

namespace r1 {

struct EmbeddedFile {
  const char *name;
  const char *contents;
};

extern const EmbeddedFile kHostKernelFiles[];
extern const size_t kHostKernelFilesCount;

extern const EmbeddedFile kCudaKernelFiles[];
extern const size_t kCudaKernelFilesCount;

} // namespace r1

#endif // R1C_CODEGEN_HOST_EMBEDDEDFILES_H
