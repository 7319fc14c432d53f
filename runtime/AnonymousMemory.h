//===- AnonymousMemory.h - Zeroed, lazily committed buffers ---------------===//
//
// KV caches and arenas are anonymous private mappings: zero, page-aligned (so
// 64-byte aligned as R1Abi.h asks) and lazy, so a 128k-token KV cache costs
// only the pages its sequence reaches. Shared by Session and BatchRunner.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_ANONYMOUSMEMORY_H
#define R1C_RUNTIME_ANONYMOUSMEMORY_H

#include <cstdint>

namespace r1::runtime {

/// A mapping of at least `bytes` (at least a page) zero bytes, with huge
/// pages advised from 2 MiB; sets `mapped` to its length. nullptr (errno
/// set) when it cannot be mapped.
void *mapZeroed(uint64_t bytes, uint64_t &mapped);

/// Unmaps what mapZeroed returned; nullptr is ignored.
void unmapZeroed(void *p, uint64_t mapped);

/// Makes the mapping read back as zero again, returning its pages.
void zeroMapping(void *p, uint64_t mapped);

} // namespace r1::runtime

#endif // R1C_RUNTIME_ANONYMOUSMEMORY_H
