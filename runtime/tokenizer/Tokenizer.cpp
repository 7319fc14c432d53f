//===- Tokenizer.cpp - Hugging Face byte-level BPE tokenizers -------------===//

#include "runtime/tokenizer/Tokenizer.h"

#include "runtime/tokenizer/AddedTokenMatcher.h"
#include "runtime/tokenizer/Bpe.h"
#include "runtime/tokenizer/Normalizer.h"
#include "runtime/tokenizer/PreTokenizer.h"
#include "runtime/tokenizer/TokenizerConfig.h"
#include "runtime/tokenizer/Utf8.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace r1::runtime {

struct Tokenizer::Impl {
  Impl(BpeModel bpe, Normalizer normalizer, PreTokenizer preTokenizer)
      : bpe(std::move(bpe)), normalizer(std::move(normalizer)),
        preTokenizer(std::move(preTokenizer)) {}

  BpeModel bpe;
  Normalizer normalizer;
  PreTokenizer preTokenizer;
  AddedTokenMatcher rawMatcher;        // added tokens with normalized: false
  AddedTokenMatcher normalizedMatcher; // added tokens with normalized: true
  std::vector<AddedTokenSpec> added;
  std::vector<int32_t> addedIndex; // id -> index into `added`, or -1
  StringIdMap addedByContent;
  std::optional<int32_t> bos, eos;
  bool addBos = false;
  bool addEos = false;
  bool cleanUp = false;
  int32_t vocabSize = 0;

  const AddedTokenSpec *addedToken(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= addedIndex.size() || addedIndex[id] < 0)
      return nullptr;
    return &added[addedIndex[id]];
  }
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer &&) noexcept = default;
Tokenizer &Tokenizer::operator=(Tokenizer &&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Result<Tokenizer> Tokenizer::fromJson(std::string_view tokenizerJson,
                                      std::string_view tokenizerConfigJson,
                                      std::string_view sourceName) {
  Result<TokenizerSpec> parsed = parseTokenizerSpec(tokenizerJson, tokenizerConfigJson, sourceName);
  if (!parsed.ok())
    return parsed.status();
  TokenizerSpec &spec = *parsed;
  std::string prefix = sourceName.empty() ? "" : std::string(sourceName) + ": ";
  std::string jsonFile = prefix + "tokenizer.json";

  Result<BpeModel> bpe = BpeModel::create(spec.bpe, jsonFile);
  if (!bpe.ok())
    return bpe.status();
  Result<Normalizer> normalizer = Normalizer::create(spec.normalizer);
  if (!normalizer.ok())
    return normalizer.status();
  Result<PreTokenizer> pre = PreTokenizer::create(spec.preTokenizer, jsonFile);
  if (!pre.ok())
    return pre.status();

  auto impl = std::make_unique<Impl>(std::move(*bpe), std::move(*normalizer), std::move(*pre));
  // Added tokens: by id for decoding, by text for tokenId(), and in two
  // matchers (the normalized ones are matched by their normalized text).
  int32_t limit = impl->bpe.idLimit();
  for (const AddedTokenSpec &token : spec.addedTokens)
    limit = std::max(limit, token.id + 1);
  impl->vocabSize = limit;
  impl->addedIndex.assign(limit, -1);
  std::vector<AddedTokenMatcher::Token> raw, normalized;
  for (AddedTokenSpec &token : spec.addedTokens) {
    int32_t &index = impl->addedIndex[token.id];
    if (index < 0) {
      index = static_cast<int32_t>(impl->added.size());
      impl->added.push_back(token);
    } else {
      impl->added[index] = token; // a repeated id: the last entry wins
    }
    impl->addedByContent[token.content] = token.id;
    AddedTokenMatcher::Token match{token.content,    token.id,     token.special,
                                   token.singleWord, token.lstrip, token.rstrip};
    if (token.normalized) {
      std::string storage;
      match.text = std::string(impl->normalizer.apply(token.content, storage));
      normalized.push_back(std::move(match));
    } else {
      raw.push_back(std::move(match));
    }
  }
  impl->rawMatcher = AddedTokenMatcher(raw);
  impl->normalizedMatcher = AddedTokenMatcher(normalized);
  Tokenizer tokenizer(std::move(impl));

  // BOS and EOS, by name.
  auto resolve = [&](const std::optional<std::string> &name, const char *field,
                     std::optional<int32_t> &id) -> Status {
    if (!name)
      return Status::success();
    id = tokenizer.tokenId(*name);
    if (!id)
      return Status::badInput(prefix + "tokenizer_config.json: field \"" + field + "\" is \"" +
                              *name + "\", which is neither an added token nor in the vocabulary");
    return Status::success();
  };
  if (Status s = resolve(spec.bosToken, "bos_token", tokenizer.impl_->bos); !s.ok())
    return s;
  if (Status s = resolve(spec.eosToken, "eos_token", tokenizer.impl_->eos); !s.ok())
    return s;
  tokenizer.impl_->addBos =
      tokenizer.impl_->bos && spec.addBosToken.value_or(spec.postProcessorAddsBos);
  tokenizer.impl_->addEos = tokenizer.impl_->eos && spec.addEosToken;
  tokenizer.impl_->cleanUp = spec.cleanUpTokenizationSpaces;
  return tokenizer;
}

namespace {

/// The contents of `path`; nullopt and `error` set when it cannot be read.
std::optional<std::string> readFile(const std::string &path, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read: " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    error = path + ": cannot read: " + std::strerror(errno);
    return std::nullopt;
  }
  return std::move(contents).str();
}

} // namespace

Result<Tokenizer> Tokenizer::fromDirectory(const std::string &directory) {
  std::string error;
  std::optional<std::string> json = readFile(directory + "/tokenizer.json", error);
  if (!json)
    return Status::badInput(error);
  std::string config;
  if (std::ifstream(directory + "/tokenizer_config.json").good()) {
    std::optional<std::string> text = readFile(directory + "/tokenizer_config.json", error);
    if (!text)
      return Status::badInput(error);
    config = std::move(*text);
  }
  return fromJson(*json, config, directory);
}

void Tokenizer::encode(std::string_view text, std::vector<int32_t> &ids, bool parseSpecial) const {
  const Impl &m = *impl_;
  std::string wellFormed;
  if (!utf8::isValid(text)) {
    wellFormed = utf8::lossy(text);
    text = wellFormed;
  }
  auto onToken = [&](int32_t id) { ids.push_back(id); };
  auto onPiece = [&](std::string_view piece) { m.bpe.encodeWord(piece, ids); };
  auto onNormalized = [&](std::string_view part) { m.preTokenizer.split(part, onPiece); };
  std::string storage;
  auto onRaw = [&](std::string_view part) {
    std::string_view normalized = m.normalizer.apply(part, storage);
    if (m.normalizedMatcher.empty())
      onNormalized(normalized);
    else
      m.normalizedMatcher.split(normalized, parseSpecial, onNormalized, onToken);
  };
  if (m.rawMatcher.empty())
    onRaw(text);
  else
    m.rawMatcher.split(text, parseSpecial, onRaw, onToken);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool parseSpecial) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  encode(text, ids, parseSpecial);
  return ids;
}

namespace {

void replaceAll(std::string &text, std::string_view from, std::string_view to) {
  size_t at = text.find(from);
  if (at == text.npos)
    return;
  std::string out;
  out.reserve(text.size());
  size_t done = 0;
  for (; at != text.npos; at = text.find(from, done)) {
    out.append(text, done, at - done).append(to);
    done = at + from.size();
  }
  out.append(text, done);
  text.swap(out);
}

/// transformers' clean_up_tokenization, replacement by replacement.
void cleanUpSpaces(std::string &text) {
  static constexpr std::pair<std::string_view, std::string_view> kRules[] = {
      {" .", "."},     {" ?", "?"},   {" !", "!"},   {" ,", ","},     {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (auto [from, to] : kRules)
    replaceAll(text, from, to);
}

} // namespace

std::string Tokenizer::decode(std::span<const int32_t> ids, const DecodeOptions &options) const {
  const Impl &m = *impl_;
  std::string text, bytes; // `bytes`: BPE output not yet converted
  for (int32_t id : ids) {
    if (const AddedTokenSpec *token = m.addedToken(id)) {
      if (options.skipSpecial && token->special)
        continue;
      utf8::appendLossy(text, bytes);
      bytes.clear();
      text += token->content;
    } else {
      bytes += m.bpe.bytesOf(id);
    }
  }
  utf8::appendLossy(text, bytes);
  if (options.cleanUpSpaces.value_or(m.cleanUp))
    cleanUpSpaces(text);
  return text;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skipSpecial) const {
  DecodeOptions options;
  options.skipSpecial = skipSpecial;
  return decode(ids, options);
}

std::optional<int32_t> Tokenizer::tokenId(std::string_view token) const {
  auto it = impl_->addedByContent.find(token);
  if (it != impl_->addedByContent.end())
    return it->second;
  return impl_->bpe.idOfToken(token);
}

std::optional<std::string> Tokenizer::tokenText(int32_t id) const {
  if (const AddedTokenSpec *token = impl_->addedToken(id))
    return token->content;
  return impl_->bpe.tokenOfId(id);
}

std::string_view Tokenizer::tokenBytes(int32_t id) const {
  if (const AddedTokenSpec *token = impl_->addedToken(id))
    return token->content;
  return impl_->bpe.bytesOf(id);
}

bool Tokenizer::isAddedToken(int32_t id) const { return impl_->addedToken(id) != nullptr; }

bool Tokenizer::isSpecialToken(int32_t id) const {
  const AddedTokenSpec *token = impl_->addedToken(id);
  return token && token->special;
}

std::optional<int32_t> Tokenizer::bosId() const { return impl_->bos; }
std::optional<int32_t> Tokenizer::eosId() const { return impl_->eos; }
bool Tokenizer::addBosToken() const { return impl_->addBos; }
bool Tokenizer::addEosToken() const { return impl_->addEos; }
bool Tokenizer::cleanUpTokenizationSpaces() const { return impl_->cleanUp; }
int32_t Tokenizer::vocabSize() const { return impl_->vocabSize; }
void Tokenizer::clearCache() const { impl_->bpe.clearCache(); }

} // namespace r1::runtime
