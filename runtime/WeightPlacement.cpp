//===- WeightPlacement.cpp - Host weights: the file mapping or huge pages -===//

#include "runtime/WeightPlacement.h"

#include "runtime/AnonymousMemory.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace r1::runtime {

namespace {

constexpr uint64_t kGiB = uint64_t(1) << 30;

std::string gib(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f GiB", double(bytes) / double(kGiB));
  return text;
}

/// A field of /proc/meminfo ("MemAvailable:   24098124 kB"), in bytes.
std::optional<uint64_t> meminfoBytes(const std::string &meminfo, const std::string &field) {
  std::istringstream lines(meminfo);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.compare(0, field.size() + 1, field + ":") != 0)
      continue;
    unsigned long long kb = 0;
    if (std::sscanf(line.c_str() + field.size() + 1, "%llu", &kb) == 1)
      return uint64_t(kb) * 1024;
  }
  return std::nullopt;
}

} // namespace

std::optional<WeightPlacement> parseWeightPlacement(const std::string &text) {
  if (text == "auto")
    return WeightPlacement::Auto;
  if (text == "mapped")
    return WeightPlacement::Mapped;
  if (text == "memory")
    return WeightPlacement::Memory;
  return std::nullopt;
}

const char *weightPlacementName(WeightPlacement placement) {
  switch (placement) {
  case WeightPlacement::Auto: return "auto";
  case WeightPlacement::Mapped: return "mapped";
  case WeightPlacement::Memory: return "memory";
  }
  return "auto";
}

MemoryFacts readMemoryFacts() {
  MemoryFacts facts;
  std::ifstream meminfo("/proc/meminfo");
  if (meminfo) {
    std::stringstream text;
    text << meminfo.rdbuf();
    facts.availableBytes = meminfoBytes(text.str(), "MemAvailable");
    facts.totalBytes = meminfoBytes(text.str(), "MemTotal");
  }
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  if (thp && std::getline(thp, modes))
    facts.hugePagesOff = modes.find("[never]") != std::string::npos;
  return facts;
}

Result<WeightPlacement> decideWeightPlacement(WeightPlacement asked, uint64_t bytes,
                                              const MemoryFacts &facts, const std::string &path) {
  if (asked == WeightPlacement::Mapped)
    return WeightPlacement::Mapped;
  if (asked == WeightPlacement::Memory) {
    if (facts.availableBytes && bytes > *facts.availableBytes)
      return Status::badInput(path + ": --weights memory needs " + gib(bytes) +
                              " for the weights, but only " + gib(*facts.availableBytes) +
                              " of memory is available; use --weights mapped (or auto)");
    return WeightPlacement::Memory;
  }
  if (facts.hugePagesOff || !facts.availableBytes)
    return WeightPlacement::Mapped;
  // What the caches, arenas and the rest of the process will still need.
  uint64_t reserve = std::max<uint64_t>(kGiB, facts.totalBytes ? *facts.totalBytes / 10 : 0);
  return bytes + reserve <= *facts.availableBytes ? WeightPlacement::Memory
                                                  : WeightPlacement::Mapped;
}

Result<std::unique_ptr<ResidentWeights>> ResidentWeights::read(const std::string &path,
                                                               uint64_t offset, uint64_t bytes,
                                                               int threads,
                                                               const Progress &progress) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Status::runtimeError(path + ": cannot open to read the weights into memory: " +
                                std::strerror(errno));
  uint64_t mapped = 0;
  auto *data = static_cast<unsigned char *>(mapZeroed(bytes, mapped));
  if (!data) {
    int mapErrno = errno;
    ::close(fd);
    return Status::runtimeError(path + ": cannot map " + gib(bytes) +
                                " of memory for the weights: " + std::strerror(mapErrno) +
                                "; use --weights mapped");
  }
  std::unique_ptr<ResidentWeights> weights(new ResidentWeights(data, mapped));
  // 64 MiB chunks taken in turn by the threads, each read with pread()
  // straight from the page cache (or the disk) into the huge pages: no
  // faults on a file mapping on the way.
  constexpr uint64_t kChunk = uint64_t(64) << 20;
  const uint64_t chunks = (bytes + kChunk - 1) / kChunk;
  std::atomic<uint64_t> next{0};
  std::atomic<int> failure{0}; // an errno, or -1 for a short file
  std::atomic<uint64_t> read{0};
  auto work = [&](bool reports) {
    for (uint64_t c = next.fetch_add(1); c < chunks && !failure.load(); c = next.fetch_add(1)) {
      uint64_t done = c * kChunk, end = std::min(bytes, done + kChunk);
      while (done < end) {
        ssize_t got = ::pread(fd, data + done, end - done, off_t(offset + done));
        if (got < 0 && errno == EINTR)
          continue;
        if (got <= 0) {
          failure.store(got < 0 ? errno : -1);
          return;
        }
        done += uint64_t(got);
      }
      uint64_t total = read.fetch_add(end - c * kChunk) + (end - c * kChunk);
      if (reports && progress && total < bytes)
        progress(total, bytes);
    }
  };
  int helpers = int(std::min<uint64_t>(uint64_t(std::max(threads, 1)) - 1, chunks));
  std::vector<std::thread> pool;
  for (int i = 0; i < helpers; ++i)
    pool.emplace_back(work, false);
  work(true);
  for (std::thread &t : pool)
    t.join();
  ::close(fd);
  if (progress && !failure.load())
    progress(bytes, bytes);
  // Read-only from here, as the file mapping was: a stray write faults.
  ::mprotect(data, mapped, PROT_READ);
  if (int err = failure.load())
    return Status::runtimeError(path + ": cannot read the weights into memory: " +
                                (err > 0 ? std::string(std::strerror(err))
                                         : std::string("the file ended early")) +
                                "; use --weights mapped");
  return weights;
}

ResidentWeights::~ResidentWeights() { unmapZeroed(data_, mapped_); }

} // namespace r1::runtime
