//===- AnonymousMemory.cpp - Zeroed, lazily committed buffers -------------===//

#include "runtime/AnonymousMemory.h"

#include <algorithm>
#include <sys/mman.h>

namespace r1::runtime {

void *mapZeroed(uint64_t bytes, uint64_t &mapped) {
  mapped = std::max<uint64_t>(bytes, 4096);
  void *p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return nullptr;
  // Large buffers are walked linearly by every step; huge pages cut TLB misses.
  if (mapped >= (2u << 20))
    ::madvise(p, mapped, MADV_HUGEPAGE);
  return p;
}

void unmapZeroed(void *p, uint64_t mapped) {
  if (p)
    ::munmap(p, mapped);
}

void zeroMapping(void *p, uint64_t mapped) {
  // Dropping the pages of a private anonymous mapping makes them read back
  // as zero, without touching the ones the sequence never reached.
  if (p)
    ::madvise(p, mapped, MADV_DONTNEED);
}

} // namespace r1::runtime
