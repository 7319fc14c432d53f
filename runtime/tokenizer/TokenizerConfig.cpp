//===- TokenizerConfig.cpp - tokenizer.json and tokenizer_config.json -----===//

#include "runtime/tokenizer/TokenizerConfig.h"

#include <nlohmann/json.hpp>

#include <limits>

namespace r1::runtime {

using nlohmann::json;

namespace {

constexpr int64_t kMaxId = std::numeric_limits<int32_t>::max();

/// Typed reads of one file's fields; the first problem is kept (later reads
/// return empty values), so a parser reads on and checks ok() at the end.
class Fields {
public:
  explicit Fields(std::string file) : file_(std::move(file)) {}

  static std::string join(std::string_view parent, std::string_view key) {
    return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
  }
  static std::string index(std::string_view parent, size_t i) {
    return std::string(parent) + "[" + std::to_string(i) + "]";
  }

  void error(std::string_view field, std::string_view what) {
    if (status_.ok())
      status_ =
          Status::badInput(file_ + ": field \"" + std::string(field) + "\" " + std::string(what));
  }
  void fileError(std::string_view what) {
    if (status_.ok())
      status_ = Status::badInput(file_ + ": " + std::string(what));
  }
  bool ok() const { return status_.ok(); }
  const Status &status() const { return status_; }

  /// `object[key]`, or nullptr when absent or null (an error if `required`).
  const json *member(const json &object, std::string_view path, std::string_view key,
                     bool required) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
      if (required)
        error(join(path, key), "is missing");
      return nullptr;
    }
    return &*it;
  }
  const json *object(const json &parent, std::string_view path, std::string_view key,
                     bool required) {
    const json *value = member(parent, path, key, required);
    if (value && !value->is_object()) {
      error(join(path, key), "must be an object");
      return nullptr;
    }
    return value;
  }
  const json *array(const json &parent, std::string_view path, std::string_view key,
                    bool required) {
    const json *value = member(parent, path, key, required);
    if (value && !value->is_array()) {
      error(join(path, key), "must be an array");
      return nullptr;
    }
    return value;
  }
  std::optional<std::string> string(const json &parent, std::string_view path, std::string_view key,
                                    bool required) {
    const json *value = member(parent, path, key, required);
    if (!value)
      return std::nullopt;
    if (!value->is_string()) {
      error(join(path, key), "must be a string");
      return std::nullopt;
    }
    return value->get<std::string>();
  }
  std::optional<bool> boolean(const json &parent, std::string_view path, std::string_view key) {
    const json *value = member(parent, path, key, false);
    if (!value)
      return std::nullopt;
    if (!value->is_boolean()) {
      error(join(path, key), "must be true or false");
      return std::nullopt;
    }
    return value->get<bool>();
  }
  /// A token id: an integer in [0, 2^31).
  std::optional<int32_t> id(const json &value, std::string_view field) {
    if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
        (value.is_number_unsigned() ? value.get<uint64_t>() > uint64_t(kMaxId)
                                    : value.get<int64_t>() > kMaxId)) {
      error(field, "must be a token id (an integer from 0 to 2147483647)");
      return std::nullopt;
    }
    return static_cast<int32_t>(value.get<int64_t>());
  }

private:
  std::string file_;
  Status status_;
};

/// Parses `text` as a JSON object; an error names the file and the position.
std::optional<json> parseObject(std::string_view text, Fields &f) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception &e) { // parse errors, and numbers out of range
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, ...".
    std::string what = e.what();
    if (size_t bracket = what.find("] "); what.starts_with("[json.") && bracket != what.npos)
      what.erase(0, bracket + 2);
    f.fileError("not valid JSON: " + what);
    return std::nullopt;
  }
  if (!root.is_object()) {
    f.fileError("not a JSON object");
    return std::nullopt;
  }
  return root;
}

/// The "type" of a component object, which must be one of `supported`.
std::optional<std::string> componentType(Fields &f, const json &object, std::string_view path,
                                         std::string_view what, std::string_view supported) {
  std::optional<std::string> type = f.string(object, path, "type", true);
  if (type && supported.find("," + *type + ",") == std::string_view::npos) {
    std::string list(supported.substr(1, supported.size() - 2));
    f.error(Fields::join(path, "type"),
            "is \"" + *type + "\", a " + std::string(what) +
                " r1c's tokenizer does not support (supported: " + list + ")");
    return std::nullopt;
  }
  return type;
}

void parseModel(Fields &f, const json &root, BpeSpec &bpe) {
  const json *model = f.object(root, "", "model", true);
  if (!model)
    return;
  if (model->contains("type"))
    componentType(f, *model, "model", "model type", ",BPE,");
  if (const json *vocab = f.object(*model, "model", "vocab", true)) {
    bpe.vocab.reserve(vocab->size());
    for (auto it = vocab->begin(); it != vocab->end() && f.ok(); ++it)
      if (std::optional<int32_t> id = f.id(it.value(), "model.vocab[\"" + it.key() + "\"]"))
        bpe.vocab.emplace_back(it.key(), *id);
  }
  if (const json *merges = f.array(*model, "model", "merges", false)) {
    bpe.merges.reserve(merges->size());
    for (size_t i = 0; i < merges->size() && f.ok(); ++i) {
      const json &merge = (*merges)[i];
      // Older files write "left right"; newer ones ["left", "right"].
      if (merge.is_string()) {
        const std::string &text = merge.get_ref<const std::string &>();
        size_t space = text.find(' ');
        if (space == 0 || space == text.npos || space + 1 == text.size() ||
            text.find(' ', space + 1) != text.npos) {
          f.error(Fields::index("model.merges", i),
                  "is \"" + text + "\"; a merge is two tokens separated by one space");
          break;
        }
        bpe.merges.emplace_back(text.substr(0, space), text.substr(space + 1));
      } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
                 merge[1].is_string() && !merge[0].get_ref<const std::string &>().empty() &&
                 !merge[1].get_ref<const std::string &>().empty()) {
        bpe.merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
      } else {
        f.error(Fields::index("model.merges", i),
                "must be a string \"left right\" or an array [\"left\", \"right\"]");
      }
    }
  }
  if (const json *dropout = f.member(*model, "model", "dropout", false)) {
    if (!dropout->is_number())
      f.error("model.dropout", "must be a number or null");
    else if (dropout->get<double>() != 0.0)
      f.error("model.dropout",
              "is not supported (r1c's tokenizer is deterministic); set it to null");
  }
  bpe.unkToken = f.string(*model, "model", "unk_token", false);
  for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (std::optional<std::string> affix = f.string(*model, "model", key, false);
        affix && !affix->empty())
      f.error(Fields::join("model", key), "is \"" + *affix + "\"; only null or \"\" is supported");
  if (f.boolean(*model, "model", "byte_fallback").value_or(false))
    f.error("model.byte_fallback",
            "is true; only byte-level BPE (byte_fallback false) is supported");
  bpe.ignoreMerges = f.boolean(*model, "model", "ignore_merges").value_or(false);
}

void parseAddedTokens(Fields &f, const json &root, std::vector<AddedTokenSpec> &tokens) {
  const json *list = f.array(root, "", "added_tokens", false);
  if (!list)
    return;
  for (size_t i = 0; i < list->size() && f.ok(); ++i) {
    std::string path = Fields::index("added_tokens", i);
    const json &entry = (*list)[i];
    if (!entry.is_object()) {
      f.error(path, "must be an object");
      break;
    }
    AddedTokenSpec token;
    const json *id = f.member(entry, path, "id", true);
    std::optional<std::string> content = f.string(entry, path, "content", true);
    if (!id || !content)
      break;
    token.id = f.id(*id, Fields::join(path, "id")).value_or(0);
    if (content->empty())
      f.error(Fields::join(path, "content"), "is empty");
    token.content = std::move(*content);
    token.singleWord = f.boolean(entry, path, "single_word").value_or(false);
    token.lstrip = f.boolean(entry, path, "lstrip").value_or(false);
    token.rstrip = f.boolean(entry, path, "rstrip").value_or(false);
    token.normalized = f.boolean(entry, path, "normalized").value_or(true);
    token.special = f.boolean(entry, path, "special").value_or(false);
    tokens.push_back(std::move(token));
  }
}

void parseNormalizer(Fields &f, const json &spec, const std::string &path,
                     std::vector<NormalizationForm> &forms) {
  if (!spec.is_object()) {
    f.error(path, "must be an object or null");
    return;
  }
  std::optional<std::string> type =
      componentType(f, spec, path, "normalizer", ",NFC,NFD,NFKC,NFKD,Sequence,");
  if (!type)
    return;
  if (*type == "Sequence") {
    if (const json *list = f.array(spec, path, "normalizers", true))
      for (size_t i = 0; i < list->size() && f.ok(); ++i)
        parseNormalizer(f, (*list)[i], Fields::index(Fields::join(path, "normalizers"), i), forms);
    return;
  }
  forms.push_back(*type == "NFC"    ? NormalizationForm::kNFC
                  : *type == "NFD"  ? NormalizationForm::kNFD
                  : *type == "NFKC" ? NormalizationForm::kNFKC
                                    : NormalizationForm::kNFKD);
}

// GPT-2's pre-tokenizer regex, which ByteLevel applies when use_regex is true.
constexpr const char *kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

void parsePreTokenizer(Fields &f, const json &spec, const std::string &path,
                       std::vector<PreTokenizerStep> &steps) {
  if (!spec.is_object()) {
    f.error(path, "must be an object");
    return;
  }
  std::optional<std::string> type =
      componentType(f, spec, path, "pre-tokenizer", ",Sequence,Split,ByteLevel,");
  if (!type)
    return;
  if (*type == "Sequence") {
    if (const json *list = f.array(spec, path, "pretokenizers", true))
      for (size_t i = 0; i < list->size() && f.ok(); ++i)
        parsePreTokenizer(f, (*list)[i], Fields::index(Fields::join(path, "pretokenizers"), i),
                          steps);
    return;
  }
  PreTokenizerStep step;
  step.path = path;
  if (*type == "ByteLevel") {
    step.kind = PreTokenizerStep::Kind::kByteLevel;
    // Hugging Face's defaults for a ByteLevel without these fields.
    step.addPrefixSpace = f.boolean(spec, path, "add_prefix_space").value_or(true);
    step.useRegex = f.boolean(spec, path, "use_regex").value_or(true);
    step.pattern = kGpt2Pattern;
    step.field = path;
    steps.push_back(std::move(step));
    return;
  }
  // Split
  const json *pattern = f.object(spec, path, "pattern", true);
  if (!pattern)
    return;
  std::string patternPath = Fields::join(path, "pattern");
  if (pattern->contains("Regex")) {
    step.pattern = f.string(*pattern, patternPath, "Regex", true).value_or("");
    step.field = Fields::join(patternPath, "Regex");
  } else if (pattern->contains("String")) {
    step.pattern = f.string(*pattern, patternPath, "String", true).value_or("");
    step.literal = true;
    step.field = Fields::join(patternPath, "String");
  } else {
    f.error(patternPath, "must be {\"Regex\": ...} or {\"String\": ...}");
    return;
  }
  if (step.pattern.empty())
    f.error(step.field, "is empty");
  std::optional<std::string> behavior = f.string(spec, path, "behavior", true);
  if (behavior == "Isolated")
    step.behavior = PreTokenizerStep::Behavior::kIsolated;
  else if (behavior == "Removed")
    step.behavior = PreTokenizerStep::Behavior::kRemoved;
  else if (behavior)
    f.error(Fields::join(path, "behavior"),
            "is \"" + *behavior + "\"; supported: Isolated, Removed");
  if (f.boolean(spec, path, "invert").value_or(false))
    f.error(Fields::join(path, "invert"), "is true; only false is supported");
  steps.push_back(std::move(step));
}

/// Whether a TemplateProcessing post-processor puts a special token first.
bool templateAddsBos(const json &processor) {
  if (!processor.is_object())
    return false;
  auto type = processor.find("type");
  if (type == processor.end() || !type->is_string())
    return false;
  if (*type == "Sequence") {
    auto list = processor.find("processors");
    if (list != processor.end() && list->is_array())
      for (const json &item : *list)
        if (templateAddsBos(item))
          return true;
    return false;
  }
  if (*type != "TemplateProcessing")
    return false;
  auto single = processor.find("single");
  return single != processor.end() && single->is_array() && !single->empty() &&
         (*single)[0].is_object() && (*single)[0].contains("SpecialToken");
}

/// bos_token / eos_token: a string, {"content": ...} (an AddedToken), or null.
std::optional<std::string> tokenName(Fields &f, const json &config, std::string_view key) {
  const json *value = f.member(config, "", key, false);
  if (!value)
    return std::nullopt;
  if (value->is_string())
    return value->get<std::string>();
  if (value->is_object()) {
    auto content = value->find("content");
    if (content != value->end() && content->is_string())
      return content->get<std::string>();
  }
  f.error(key, "must be a string, an object with a string \"content\", or null");
  return std::nullopt;
}

void parseConfig(Fields &f, const json &config, TokenizerSpec &spec) {
  spec.bosToken = tokenName(f, config, "bos_token");
  spec.eosToken = tokenName(f, config, "eos_token");
  spec.addBosToken = f.boolean(config, "", "add_bos_token");
  spec.addEosToken = f.boolean(config, "", "add_eos_token").value_or(false);
  spec.cleanUpTokenizationSpaces =
      f.boolean(config, "", "clean_up_tokenization_spaces").value_or(false);
  // transformers also adds the entries of "added_tokens_decoder" that
  // tokenizer.json lacks.
  const json *decoder = f.object(config, "", "added_tokens_decoder", false);
  if (!decoder)
    return;
  for (auto it = decoder->begin(); it != decoder->end() && f.ok(); ++it) {
    std::string path = "added_tokens_decoder[\"" + it.key() + "\"]";
    int64_t id = -1;
    try {
      size_t used = 0;
      id = std::stoll(it.key(), &used);
      if (used != it.key().size())
        id = -1;
    } catch (const std::exception &) {
    }
    if (id < 0 || id > kMaxId) {
      f.error(path, "has a key that is not a token id");
      break;
    }
    if (!it.value().is_object()) {
      f.error(path, "must be an object");
      break;
    }
    bool known = false;
    for (const AddedTokenSpec &token : spec.addedTokens)
      known = known || token.id == id;
    if (known)
      continue;
    AddedTokenSpec token;
    token.id = static_cast<int32_t>(id);
    token.content = f.string(it.value(), path, "content", true).value_or("");
    token.singleWord = f.boolean(it.value(), path, "single_word").value_or(false);
    token.lstrip = f.boolean(it.value(), path, "lstrip").value_or(false);
    token.rstrip = f.boolean(it.value(), path, "rstrip").value_or(false);
    token.normalized = f.boolean(it.value(), path, "normalized").value_or(true);
    token.special = f.boolean(it.value(), path, "special").value_or(false);
    if (f.ok() && token.content.empty())
      f.error(Fields::join(path, "content"), "is empty");
    spec.addedTokens.push_back(std::move(token));
  }
}

} // namespace

Result<TokenizerSpec> parseTokenizerSpec(std::string_view tokenizerJson,
                                         std::string_view tokenizerConfigJson,
                                         std::string_view source) {
  TokenizerSpec spec;
  spec.source = std::string(source);
  std::string prefix = source.empty() ? "" : std::string(source) + ": ";

  Fields f(prefix + "tokenizer.json");
  std::optional<json> root = parseObject(tokenizerJson, f);
  if (!root)
    return f.status();
  parseModel(f, *root, spec.bpe);
  parseAddedTokens(f, *root, spec.addedTokens);
  if (const json *normalizer = f.member(*root, "", "normalizer", false))
    parseNormalizer(f, *normalizer, "normalizer", spec.normalizer);
  if (const json *pre = f.member(*root, "", "pre_tokenizer", true))
    parsePreTokenizer(f, *pre, "pre_tokenizer", spec.preTokenizer);
  if (f.ok()) {
    // Encoding works on bytes from the ByteLevel step on, so it must be last.
    size_t byteLevel = spec.preTokenizer.size();
    for (size_t i = 0; i < spec.preTokenizer.size(); ++i)
      if (spec.preTokenizer[i].kind == PreTokenizerStep::Kind::kByteLevel)
        byteLevel = i;
    if (byteLevel == spec.preTokenizer.size())
      f.error("pre_tokenizer",
              "has no ByteLevel step; only byte-level BPE tokenizers are supported");
    else if (byteLevel + 1 != spec.preTokenizer.size())
      f.error(spec.preTokenizer[byteLevel + 1].path,
              "follows the ByteLevel step; ByteLevel must be the last pre-tokenizer");
  }
  if (const json *decoder = f.member(*root, "", "decoder", true); decoder && f.ok()) {
    if (!decoder->is_object())
      f.error("decoder", "must be an object");
    else
      componentType(f, *decoder, "decoder", "decoder", ",ByteLevel,");
  }
  if (auto processor = root->find("post_processor"); processor != root->end())
    spec.postProcessorAddsBos = templateAddsBos(*processor);
  if (!f.ok())
    return f.status();

  if (tokenizerConfigJson.empty())
    return spec;
  Fields c(prefix + "tokenizer_config.json");
  std::optional<json> config = parseObject(tokenizerConfigJson, c);
  if (!config)
    return c.status();
  parseConfig(c, *config, spec);
  if (!c.ok())
    return c.status();
  return spec;
}

} // namespace r1::runtime
