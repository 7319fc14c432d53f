//===- Checksum.cpp - XXH64 through libxxhash's header --------------------===//

#include "runtime/Checksum.h"

// Inlined from the header rather than linked: r1run then needs no libxxhash
// at run time (a deployment is the artifact and r1run), and the hash is
// compiled with the build's flags.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace r1::runtime {

uint64_t xxh64(const void *data, size_t bytes) { return XXH64(data, bytes, 0); }

struct Xxh64Stream::State {
  XXH64_state_t xxh;
};

Xxh64Stream::Xxh64Stream() : state_(std::make_unique<State>()) { reset(); }
Xxh64Stream::~Xxh64Stream() = default;

void Xxh64Stream::reset() { XXH64_reset(&state_->xxh, 0); }

void Xxh64Stream::update(const void *data, size_t bytes) {
  if (bytes != 0)
    XXH64_update(&state_->xxh, data, bytes);
}

uint64_t Xxh64Stream::digest() const { return XXH64_digest(&state_->xxh); }

} // namespace r1::runtime
