//===- Bpe.cpp - Byte-level BPE: merges by rank, with a word cache --------===//

#include "runtime/tokenizer/Bpe.h"

#include "runtime/tokenizer/ByteLevel.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <cstring>
#include <mutex>

namespace r1::runtime {

/// word -> ids, in shards of at most kShardCapacity words, each behind its
/// own lock; a full shard is emptied (the words of a text in progress come
/// back quickly). Words longer than kMaxWordBytes are not cached.
class BpeModel::WordCache {
public:
  static constexpr size_t kShards = 16;
  static constexpr size_t kShardCapacity = 8192;
  static constexpr size_t kMaxWordBytes = 256;

  bool lookup(std::string_view word, size_t hash, std::vector<int32_t> &out) {
    Shard &shard = shards_[hash % kShards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.words.find(word);
    if (it == shard.words.end())
      return false;
    out.insert(out.end(), it->second.begin(), it->second.end());
    return true;
  }
  void insert(std::string_view word, size_t hash, const int32_t *ids, size_t count) {
    Shard &shard = shards_[hash % kShards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    if (shard.words.size() >= kShardCapacity)
      shard.words.clear();
    shard.words.emplace(std::string(word), std::vector<int32_t>(ids, ids + count));
  }
  void clear() {
    for (Shard &shard : shards_) {
      std::lock_guard<std::mutex> lock(shard.mutex);
      shard.words.clear();
    }
  }

private:
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> words;
  };
  std::array<Shard, kShards> shards_;
};

BpeModel::BpeModel() : cache_(std::make_unique<WordCache>()) {}
BpeModel::BpeModel(BpeModel &&) noexcept = default;
BpeModel &BpeModel::operator=(BpeModel &&) noexcept = default;
BpeModel::~BpeModel() = default;

void BpeModel::MergeTable::reserve(size_t count) {
  size_t capacity = std::bit_ceil(std::max<size_t>(16, count * 2));
  slots.assign(capacity, Slot());
  mask = capacity - 1;
  shift = 64 - std::countr_zero(capacity);
}

void BpeModel::MergeTable::insert(int32_t left, int32_t right, int32_t rank, int32_t id) {
  uint64_t k = key(left, right);
  for (size_t i = slotOf(k);; i = (i + 1) & mask) {
    Slot &slot = slots[i];
    if (slot.key == k || slot.key == ~uint64_t(0)) {
      // A repeated merge takes its last rank, as Hugging Face's map does.
      slot = {k, rank, id};
      return;
    }
  }
}

Result<BpeModel> BpeModel::create(const BpeSpec &spec, std::string_view file) {
  BpeModel model;
  auto fail = [&](std::string_view field, const std::string &what) {
    return Status::badInput(std::string(file) + ": field \"" + std::string(field) + "\" " + what);
  };

  // The vocabulary, as bytes; each id's bytes for decoding.
  int32_t limit = 0;
  for (const auto &[spelling, id] : spec.vocab)
    limit = std::max(limit, id + 1);
  model.known_.assign(limit, false);
  std::vector<std::string> bytesOfId(limit);
  model.byBytes_.reserve(spec.vocab.size());
  for (const auto &[spelling, id] : spec.vocab) {
    // Two spellings with one id both encode to it; the first decodes.
    bool first = !model.known_[id];
    model.known_[id] = true;
    if (std::optional<std::string> bytes = bytelevel::toBytes(spelling)) {
      if (first)
        bytesOfId[id] = *bytes;
      model.byBytes_.emplace(std::move(*bytes), id);
    } else {
      // Not byte-level (DeepSeek's "<｜begin▁of▁sentence｜>"): BPE never
      // produces it, and it decodes to its own text, as in Hugging Face.
      if (first)
        bytesOfId[id] = spelling;
      model.irregular_.emplace(spelling, id);
    }
  }
  model.offsets_.reserve(limit + 1);
  model.offsets_.push_back(0);
  for (const std::string &bytes : bytesOfId) {
    model.bytes_ += bytes;
    model.offsets_.push_back(static_cast<uint32_t>(model.bytes_.size()));
  }

  if (spec.unkToken) {
    std::optional<int32_t> unk = model.idOfToken(*spec.unkToken);
    if (!unk)
      return fail("model.unk_token", "is \"" + *spec.unkToken + "\", which is not in model.vocab");
    model.unkId_ = *unk;
  }
  for (int b = 0; b < 256; ++b) {
    auto it = model.byBytes_.find(std::string_view(reinterpret_cast<const char *>(&b), 1));
    model.byteId_[b] = it == model.byBytes_.end() ? model.unkId_ : it->second;
  }

  model.merges_.reserve(spec.merges.size());
  for (size_t rank = 0; rank < spec.merges.size(); ++rank) {
    const auto &[left, right] = spec.merges[rank];
    std::string field = "model.merges[" + std::to_string(rank) + "]";
    std::optional<int32_t> leftId = model.idOfToken(left);
    std::optional<int32_t> rightId = model.idOfToken(right);
    std::optional<int32_t> mergedId = model.idOfToken(left + right);
    if (!leftId || !rightId || !mergedId) {
      std::string missing = !leftId ? left : !rightId ? right : left + right;
      return fail(field, "(\"" + left + "\", \"" + right + "\") names \"" + missing +
                             "\", which is not in model.vocab");
    }
    model.merges_.insert(*leftId, *rightId, static_cast<int32_t>(rank), *mergedId);
  }
  if (std::all_of(model.byteId_.begin(), model.byteId_.end(), [](int32_t id) { return id >= 0; })) {
    model.bytePairs_.resize(256 * 256);
    for (int a = 0; a < 256; ++a)
      for (int b = 0; b < 256; ++b)
        if (const MergeTable::Slot *m = model.merges_.find(model.byteId_[a], model.byteId_[b]))
          model.bytePairs_[a << 8 | b] = {m->rank, m->id};
  }
  model.ignoreMerges_ = spec.ignoreMerges;
  return model;
}

std::optional<int32_t> BpeModel::idOfToken(std::string_view spelling) const {
  if (std::optional<std::string> bytes = bytelevel::toBytes(spelling)) {
    auto it = byBytes_.find(*bytes);
    if (it != byBytes_.end())
      return it->second;
  }
  auto it = irregular_.find(spelling);
  if (it != irregular_.end())
    return it->second;
  return std::nullopt;
}

std::optional<std::string> BpeModel::tokenOfId(int32_t id) const {
  if (!contains(id))
    return std::nullopt;
  std::string_view bytes = bytesOf(id);
  auto it = irregular_.find(bytes);
  if (it != irregular_.end() && it->second == id)
    return std::string(bytes);
  return bytelevel::fromBytes(bytes);
}

void BpeModel::clearCache() const { cache_->clear(); }

void BpeModel::mergeShort(std::string_view word, std::vector<int32_t> &out) const {
  // Symbol i and the merge of the pair (i, i + 1), kept in arrays: finding
  // the lowest rank is a scan and a merge a short memmove, which for short
  // words beats a heap. The first round comes from the byte-pair table;
  // later lookups miss the cache, so each is prefetched as early as known.
  constexpr int32_t kNone = INT32_MAX;
  int32_t ids[kShortWord], ranks[kShortWord], merged[kShortWord];
  int32_t n = 0;
  for (char c : word)
    if (int32_t id = byteId_[static_cast<unsigned char>(c)]; id >= 0)
      ids[n++] = id;
  auto pairAt = [&](int32_t i) {
    const MergeTable::Slot *m = merges_.find(ids[i], ids[i + 1]);
    ranks[i] = m ? m->rank : kNone;
    merged[i] = m ? m->id : 0;
  };
  if (!bytePairs_.empty()) {
    const auto *bytes = reinterpret_cast<const unsigned char *>(word.data());
    for (int32_t i = 0; i + 1 < n; ++i) {
      const BytePair &m = bytePairs_[bytes[i] << 8 | bytes[i + 1]];
      ranks[i] = m.rank;
      merged[i] = m.id;
    }
  } else {
    for (int32_t i = 0; i + 1 < n; ++i)
      merges_.prefetch(ids[i], ids[i + 1]);
    for (int32_t i = 0; i + 1 < n; ++i)
      pairAt(i);
  }
  while (n > 1) {
    // The lowest rank (a reduction the compiler vectorizes), then where it
    // first occurs.
    int32_t lowest = kNone;
    for (int32_t i = 0; i + 1 < n; ++i)
      lowest = std::min(lowest, ranks[i]);
    if (lowest == kNone)
      break;
    int32_t best = 0;
    while (ranks[best] != lowest)
      ++best;
    ids[best] = merged[best];
    int32_t tail = n - best - 2; // symbols after the right one
    std::memmove(ids + best + 1, ids + best + 2, tail * sizeof(int32_t));
    std::memmove(ranks + best + 1, ranks + best + 2, tail * sizeof(int32_t));
    std::memmove(merged + best + 1, merged + best + 2, tail * sizeof(int32_t));
    --n;
    if (best + 1 < n)
      merges_.prefetch(ids[best], ids[best + 1]);
    if (best > 0)
      pairAt(best - 1);
    if (best + 1 < n)
      pairAt(best);
  }
  out.insert(out.end(), ids, ids + n);
}

void BpeModel::encodeWord(std::string_view word, std::vector<int32_t> &out) const {
  if (word.size() == 1) {
    if (int32_t id = byteId_[static_cast<unsigned char>(word[0])]; id >= 0)
      out.push_back(id);
    return;
  }
  if (ignoreMerges_) {
    auto it = byBytes_.find(word);
    if (it != byBytes_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  bool cacheable = word.size() <= WordCache::kMaxWordBytes;
  size_t hash = cacheable ? StringHash()(word) : 0;
  if (cacheable && cache_->lookup(word, hash, out))
    return;
  size_t first = out.size();
  merge(word, out);
  if (cacheable)
    cache_->insert(word, hash, out.data() + first, out.size() - first);
}

void BpeModel::merge(std::string_view word, std::vector<int32_t> &out) const {
  if (word.size() <= kShortWord) {
    mergeShort(word, out);
    return;
  }
  // Symbols in a doubly linked list over an array; a merge keeps the left
  // symbol's slot and unlinks the right one.
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
  };
  struct Candidate {
    int32_t rank;
    int32_t pos;
    int32_t left;
    int32_t right;
    // std::*_heap keep the largest on top: make that the lowest rank, then
    // the leftmost position.
    bool operator<(const Candidate &o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<Candidate> heap;
  symbols.clear();
  heap.clear();
  for (char c : word) {
    int32_t id = byteId_[static_cast<unsigned char>(c)];
    if (id < 0)
      continue; // a byte with no token and no unk_token is dropped, as in Hugging Face
    int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, -1});
    if (index > 0)
      symbols[index - 1].next = index;
  }
  auto consider = [&](int32_t pos) {
    int32_t next = symbols[pos].next;
    if (next < 0)
      return;
    if (const MergeTable::Slot *m = merges_.find(symbols[pos].id, symbols[next].id)) {
      heap.push_back({m->rank, pos, symbols[pos].id, symbols[next].id});
      std::push_heap(heap.begin(), heap.end());
    }
  };
  int32_t count = static_cast<int32_t>(symbols.size());
  if (!bytePairs_.empty()) {
    // Every byte is a symbol: the first round comes from the byte-pair table.
    const auto *bytes = reinterpret_cast<const unsigned char *>(word.data());
    for (int32_t pos = 0; pos + 1 < count; ++pos)
      if (const BytePair &m = bytePairs_[bytes[pos] << 8 | bytes[pos + 1]]; m.rank != INT32_MAX)
        heap.push_back({m.rank, pos, symbols[pos].id, symbols[pos + 1].id});
    std::make_heap(heap.begin(), heap.end());
  } else {
    for (int32_t pos = 0; pos + 1 < count; ++pos)
      merges_.prefetch(symbols[pos].id, symbols[pos + 1].id);
    for (int32_t pos = 0; pos + 1 < count; ++pos)
      consider(pos);
  }
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end());
    Candidate top = heap.back();
    heap.pop_back();
    Symbol &left = symbols[top.pos];
    // Stale: the pair at pos changed since this candidate was pushed.
    if (left.id != top.left || left.next < 0 || symbols[left.next].id != top.right)
      continue;
    int32_t right = left.next;
    left.id = merges_.find(top.left, top.right)->id;
    left.next = symbols[right].next;
    if (left.next >= 0)
      symbols[left.next].prev = top.pos;
    symbols[right].id = -1;
    if (left.next >= 0)
      merges_.prefetch(left.id, symbols[left.next].id);
    if (left.prev >= 0)
      consider(left.prev);
    consider(top.pos);
  }
  for (int32_t pos = symbols.empty() ? -1 : 0; pos >= 0; pos = symbols[pos].next)
    out.push_back(symbols[pos].id);
}

} // namespace r1::runtime
