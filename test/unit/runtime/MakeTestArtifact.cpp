//===- MakeTestArtifact.cpp - r1c-make-test-artifact: a toy artifact ------===//
//
// Writes the toy model's artifact (ToyArtifact.h) for r1run's lit tests:
//   r1c-make-test-artifact OUT [--identity TEXT] [--isa a,b,...]
//
//===----------------------------------------------------------------------===//

#include "test/unit/runtime/ToyArtifact.h"

#include <cstdio>
#include <cstring>

int main(int argc, char **argv) {
  r1::toy::ToyArtifactOptions options;
  const char *out = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--identity") == 0 && i + 1 < argc) {
      options.identity = argv[++i];
    } else if (std::strcmp(argv[i], "--isa") == 0 && i + 1 < argc) {
      std::string list = argv[++i];
      for (size_t start = 0; start <= list.size();) {
        size_t comma = std::min(list.find(',', start), list.size());
        if (comma > start)
          options.isa.push_back(list.substr(start, comma - start));
        start = comma + 1;
      }
    } else if (!out && argv[i][0] != '-') {
      out = argv[i];
    } else {
      std::fprintf(stderr, "usage: r1c-make-test-artifact OUT [--identity TEXT] [--isa a,b]\n");
      return 2;
    }
  }
  if (!out) {
    std::fprintf(stderr, "usage: r1c-make-test-artifact OUT [--identity TEXT] [--isa a,b]\n");
    return 2;
  }
  r1::runtime::Status status = r1::toy::writeToyArtifact(out, options);
  if (!status.ok()) {
    std::fprintf(stderr, "r1c-make-test-artifact: error: %s\n", status.message().c_str());
    return 1;
  }
  return 0;
}
