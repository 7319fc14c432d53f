//===- Bpe.h - Byte-level BPE: merges by rank, with a word cache ----------===//
//
// A word (one pre-tokenizer piece, as bytes) starts as one symbol per byte;
// the adjacent pair with the lowest merge rank is merged, the leftmost first
// among equals, until no pair has a merge (Hugging Face's BPE). Short words
// keep their pairs' ranks in arrays and scan for the lowest; long ones (a
// run of thousands of letters) use a heap, O(n log n). The vocabulary is
// held as bytes (see ByteLevel.h). With ignore_merges (Llama 3), a word that
// is itself in the vocabulary is that one token.
//
// Words repeat, so results are cached: a bounded map from word to ids,
// sharded with a lock per shard, since encode() is const and thread-safe.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_TOKENIZER_BPE_H
#define R1C_RUNTIME_TOKENIZER_BPE_H

#include "runtime/Status.h"
#include "runtime/tokenizer/TokenizerConfig.h"

#include <array>
#include <climits>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace r1::runtime {

/// Hash and equality that look up std::string keys by std::string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
using StringIdMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

class BpeModel {
public:
  /// Builds the model; `file` ("SOURCE: tokenizer.json") starts messages.
  static Result<BpeModel> create(const BpeSpec &spec, std::string_view file);
  BpeModel(BpeModel &&) noexcept;
  BpeModel &operator=(BpeModel &&) noexcept;
  ~BpeModel();

  /// Appends the ids of `word` (bytes) to `out`.
  void encodeWord(std::string_view word, std::vector<int32_t> &out) const;

  /// The id of a token spelled as in tokenizer.json ("Ġthe"), or nullopt.
  std::optional<int32_t> idOfToken(std::string_view spelling) const;
  /// The spelling of `id` as in tokenizer.json, or nullopt.
  std::optional<std::string> tokenOfId(int32_t id) const;
  /// The bytes `id` stands for ("" for ids not in the vocabulary).
  std::string_view bytesOf(int32_t id) const {
    return id >= 0 && static_cast<size_t>(id) + 1 < offsets_.size()
               ? std::string_view(bytes_).substr(offsets_[id], offsets_[id + 1] - offsets_[id])
               : std::string_view();
  }
  bool contains(int32_t id) const {
    return id >= 0 && static_cast<size_t>(id) < known_.size() && known_[id];
  }
  /// One more than the largest id of the vocabulary.
  int32_t idLimit() const { return static_cast<int32_t>(known_.size()); }

  /// Empties the word cache (benchmarks measure with a cold cache).
  void clearCache() const;

private:
  BpeModel();
  /// Words up to this many bytes merge with mergeShort(), longer ones with
  /// a heap (O(n log n), for runs of thousands of letters).
  static constexpr size_t kShortWord = 128;
  void merge(std::string_view word, std::vector<int32_t> &out) const;
  void mergeShort(std::string_view word, std::vector<int32_t> &out) const;

  /// (left id, right id) -> (rank, merged id), open addressing.
  struct MergeTable {
    struct Slot {
      uint64_t key = ~uint64_t(0);
      int32_t rank = 0;
      int32_t id = 0;
    };
    std::vector<Slot> slots;
    uint64_t mask = 0;
    int shift = 64;
    static uint64_t key(int32_t left, int32_t right) {
      return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
    }
    size_t slotOf(uint64_t k) const { return (k * 0x9E3779B97F4A7C15ULL) >> shift; }
    void reserve(size_t count);
    void insert(int32_t left, int32_t right, int32_t rank, int32_t id);
    void prefetch(int32_t left, int32_t right) const {
      if (!slots.empty())
        __builtin_prefetch(&slots[slotOf(key(left, right))]);
    }
    const Slot *find(int32_t left, int32_t right) const {
      if (slots.empty())
        return nullptr;
      uint64_t k = key(left, right);
      for (size_t i = slotOf(k);; i = (i + 1) & mask) {
        const Slot &slot = slots[i];
        if (slot.key == k)
          return &slot;
        if (slot.key == ~uint64_t(0))
          return nullptr;
      }
    }
  };

  StringIdMap byBytes_;   // bytes -> id, for byte-level tokens
  StringIdMap irregular_; // spelling -> id, for tokens that are not byte-level
  std::array<int32_t, 256> byteId_{};
  MergeTable merges_;
  // The merges of two single-byte tokens, by (first byte << 8 | second
  // byte): a word's first round of lookups, from a 512 KiB table that stays
  // in cache instead of the large hash table. Empty unless every byte has a
  // token (true of byte-level vocabularies).
  struct BytePair {
    int32_t rank = INT32_MAX;
    int32_t id = 0;
  };
  std::vector<BytePair> bytePairs_;
  std::vector<uint32_t> offsets_; // id -> [offsets_[id], offsets_[id + 1]) in bytes_
  std::string bytes_;
  std::vector<bool> known_;
  bool ignoreMerges_ = false;
  int32_t unkId_ = -1;

  class WordCache;
  std::unique_ptr<WordCache> cache_;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_TOKENIZER_BPE_H
