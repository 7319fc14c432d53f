//===- OpenAiProtocol.cpp - OpenAI-compatible request and response JSON ---===//

#include "runtime/serve/OpenAiProtocol.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace r1::runtime::serve {
namespace {

using nlohmann::json;

/// `value` as an error message shows it: scalars and empty containers as
/// JSON, ASCII only (so that shortening one cannot split a character) and
/// shortened; other arrays and objects by kind only (dumping a deeply nested
/// one would recurse deeply).
std::string shown(const json &value) {
  if (value.is_array() && !value.empty())
    return "an array";
  if (value.is_object() && !value.empty())
    return "an object";
  constexpr size_t kMaxShown = 40;
  std::string text = value.dump(-1, ' ', /*ensure_ascii=*/true, json::error_handler_t::replace);
  if (text.size() > kMaxShown)
    text = text.substr(0, kMaxShown - 3) + "...";
  return text;
}

ApiError badRequest(std::string param, std::string message) {
  ApiError error;
  error.param = std::move(param);
  error.message = std::move(message);
  return error;
}

/// "'<param>' must be <allowed>, not <value>".
ApiError mustBe(const std::string &param, std::string_view allowed, const json &value) {
  return badRequest(param,
                    "'" + param + "' must be " + std::string(allowed) + ", not " + shown(value));
}

/// nlohmann's parse error without its "[json.exception.parse_error.101] "
/// prefix. The text may quote the body's bytes, which need not be UTF-8:
/// those above ASCII become '?', so that the error object can be dumped.
std::string parseErrorText(const json::parse_error &error) {
  std::string_view what = error.what();
  if (size_t end = what.find("] "); what.starts_with("[json.exception.") && end != what.npos)
    what.remove_prefix(end + 2);
  std::string text(what);
  for (char &c : text)
    if (static_cast<unsigned char>(c) >= 0x80)
      c = '?';
  return text;
}

/// The range of a number field, and how its message says it.
struct Range {
  double lo;
  double hi;
  bool openBelow; // (lo, hi] rather than [lo, hi]
  const char *allowed;
};
constexpr Range kTemperatureRange{0.0, 2.0, false, "a number in [0, 2]"};
constexpr Range kTopPRange{0.0, 1.0, true, "a number in (0, 1]"};
constexpr Range kPenaltyRange{-2.0, 2.0, false, "a number in [-2, 2]"};

constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();

/// Reads the fields of one JSON object, which errors name `prefix` + the
/// field's name ("messages[1]." + "role"). The first bad field is kept in
/// `error`, which nested readers share; from then on every read gives
/// nothing, so that a caller can read all its fields and look at `error`
/// once at the end.
class FieldReader {
public:
  FieldReader(const json &object, std::string prefix, std::optional<ApiError> &error)
      : object_(object), prefix_(std::move(prefix)), error_(error) {}

  std::string param(std::string_view name) const { return prefix_ + std::string(name); }

  void fail(ApiError error) {
    if (!error_)
      error_ = std::move(error);
  }
  void fail(std::string_view name, std::string_view allowed, const json &value) {
    fail(mustBe(param(name), allowed, value));
  }

  /// The field; nullptr when it is absent or null (OpenAI's clients send
  /// null for "not given"), or after an error.
  const json *find(const char *name) const {
    if (error_)
      return nullptr;
    auto it = object_.find(name);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }

  std::optional<std::string> string(const char *name) {
    const json *value = find(name);
    if (!value)
      return std::nullopt;
    if (!value->is_string()) {
      fail(name, "a string", *value);
      return std::nullopt;
    }
    return value->get<std::string>();
  }

  std::optional<bool> boolean(const char *name) {
    const json *value = find(name);
    if (!value)
      return std::nullopt;
    if (!value->is_boolean()) {
      fail(name, "a boolean", *value);
      return std::nullopt;
    }
    return value->get<bool>();
  }

  /// A number (integer or not; never a boolean: JSON keeps them apart).
  std::optional<double> number(const char *name, const Range &range) {
    const json *value = find(name);
    if (!value)
      return std::nullopt;
    if (value->is_number()) {
      double x = value->get<double>();
      if ((range.openBelow ? x > range.lo : x >= range.lo) && x <= range.hi)
        return x;
    }
    fail(name, range.allowed, *value);
    return std::nullopt;
  }

  /// An integer in [lo, hi]: written without a fraction or exponent (5.0 is
  /// a float to nlohmann, and rejected). An unsigned value beyond int64 is
  /// taken as its largest, which only fields without an upper bound accept.
  std::optional<int64_t> integer(const char *name, int64_t lo, int64_t hi,
                                 std::string_view allowed) {
    const json *value = find(name);
    if (!value)
      return std::nullopt;
    if (value->is_number_integer()) {
      int64_t x = value->is_number_unsigned()
                      ? static_cast<int64_t>(std::min<uint64_t>(value->get<uint64_t>(), kNoLimit))
                      : value->get<int64_t>();
      if (x >= lo && x <= hi)
        return x;
    }
    fail(name, allowed, *value);
    return std::nullopt;
  }

  /// Any integer, taken mod 2^64.
  std::optional<uint64_t> anyInteger(const char *name) {
    const json *value = find(name);
    if (!value)
      return std::nullopt;
    if (!value->is_number_integer()) {
      fail(name, "an integer", *value);
      return std::nullopt;
    }
    return value->is_number_unsigned() ? value->get<uint64_t>()
                                       : static_cast<uint64_t>(value->get<int64_t>());
  }

private:
  const json &object_;
  std::string prefix_;
  std::optional<ApiError> &error_;
};

/// A message's content: a string, or text parts joined; null or absent only
/// for an assistant turn (which may carry tool calls instead).
std::string readContent(FieldReader &message, const std::string &role,
                        std::optional<ApiError> &error) {
  const json *content = message.find("content");
  if (error)
    return "";
  if (!content) {
    if (role != "assistant")
      message.fail(badRequest(message.param("content"), "'" + message.param("content") +
                                                            "' is required for a \"" + role +
                                                            "\" message"));
    return "";
  }
  if (content->is_string())
    return content->get<std::string>();
  if (!content->is_array()) {
    message.fail("content", "a string or an array of text parts", *content);
    return "";
  }
  std::string text;
  for (size_t i = 0; i < content->size() && !error; ++i) {
    const json &part = (*content)[i];
    std::string partParam = message.param("content") + "[" + std::to_string(i) + "]";
    if (!part.is_object()) {
      message.fail(mustBe(partParam, "an object {\"type\": \"text\", \"text\": ...}", part));
      break;
    }
    FieldReader fields(part, partParam + ".", error);
    std::optional<std::string> type = fields.string("type");
    if (!error && type != "text") {
      if (type)
        fields.fail(badRequest(fields.param("type"), "'" + fields.param("type") + "' " +
                                                         shown(json(*type)) +
                                                         " is not supported: only \"text\" "
                                                         "parts are"));
      else
        fields.fail(badRequest(fields.param("type"),
                               "'" + fields.param("type") + "' is required (\"text\")"));
      break;
    }
    std::optional<std::string> partText = fields.string("text");
    if (!error && !partText)
      fields.fail(badRequest(fields.param("text"), "'" + fields.param("text") + "' is required"));
    if (partText)
      text += *partText;
  }
  return text;
}

/// "messages": a non-empty array of {"role", "content"}; "developer" is a
/// system message by its newer name. The order is ChatFormat's to check.
std::vector<ChatMessage> readMessages(FieldReader &body, std::optional<ApiError> &error) {
  const json *messages = body.find("messages");
  if (error)
    return {};
  if (!messages) {
    body.fail(badRequest("messages", "'messages' is required"));
    return {};
  }
  if (!messages->is_array() || messages->empty()) {
    body.fail("messages", "a non-empty array of messages", *messages);
    return {};
  }
  std::vector<ChatMessage> out;
  out.reserve(messages->size());
  for (size_t i = 0; i < messages->size() && !error; ++i) {
    const json &message = (*messages)[i];
    std::string messageParam = "messages[" + std::to_string(i) + "]";
    if (!message.is_object()) {
      body.fail(mustBe(messageParam, "an object {\"role\": ..., \"content\": ...}", message));
      break;
    }
    FieldReader fields(message, messageParam + ".", error);
    std::string roleParam = fields.param("role");
    std::optional<std::string> role = fields.string("role");
    if (error)
      break;
    if (!role) {
      fields.fail(badRequest(roleParam, "'" + roleParam + "' is required"));
      break;
    }
    if (*role == "tool" || *role == "function") {
      fields.fail(badRequest(roleParam, "'" + roleParam + "' \"" + *role +
                                            "\" is not supported: this server has no tools"));
      break;
    }
    if (*role == "developer")
      role = "system";
    if (*role != "system" && *role != "user" && *role != "assistant") {
      fields.fail("role", "one of \"system\", \"developer\", \"user\" and \"assistant\"",
                  json(*role));
      break;
    }
    std::string content = readContent(fields, *role, error);
    out.push_back({*role, std::move(content)});
  }
  return out;
}

/// "prompt": a string, or an array of exactly one string.
std::string readPrompt(FieldReader &body, std::optional<ApiError> &error) {
  const json *prompt = body.find("prompt");
  if (error)
    return "";
  if (!prompt) {
    body.fail(badRequest("prompt", "'prompt' is required"));
    return "";
  }
  if (prompt->is_string())
    return prompt->get<std::string>();
  if (prompt->is_array() && prompt->size() == 1 && (*prompt)[0].is_string())
    return (*prompt)[0].get<std::string>();
  if (prompt->is_array() && !prompt->empty() && !(*prompt)[0].is_string())
    body.fail(badRequest("prompt", "'prompt' must be text: prompts of token ids are not "
                                   "supported"));
  else if (prompt->is_array() && prompt->size() > 1)
    body.fail(
        badRequest("prompt", "'prompt' must be one string: " + std::to_string(prompt->size()) +
                                 " prompts in one request are not supported"));
  else
    body.fail("prompt", "a string or an array of one string", *prompt);
  return "";
}

/// "stop": a string or an array of up to kMaxStopStrings strings; empty
/// ones, which could never be matched usefully, are dropped.
std::vector<std::string> readStop(FieldReader &body) {
  const json *stop = body.find("stop");
  if (!stop)
    return {};
  std::vector<std::string> out;
  if (stop->is_string()) {
    if (!stop->get_ref<const std::string &>().empty())
      out.push_back(stop->get<std::string>());
    return out;
  }
  if (!stop->is_array()) {
    body.fail("stop", "a string or an array of strings", *stop);
    return {};
  }
  if (stop->size() > kMaxStopStrings) {
    body.fail(badRequest("stop", "'stop' must hold at most " + std::to_string(kMaxStopStrings) +
                                     " strings, not " + std::to_string(stop->size())));
    return {};
  }
  for (size_t i = 0; i < stop->size(); ++i) {
    const json &item = (*stop)[i];
    if (!item.is_string()) {
      body.fail(mustBe("stop[" + std::to_string(i) + "]", "a string", item));
      return {};
    }
    if (!item.get_ref<const std::string &>().empty())
      out.push_back(item.get<std::string>());
  }
  return out;
}

/// The checks of parseCompletionRequest on a body that is a JSON object.
std::variant<CompletionRequest, ApiError> readRequest(const json &root, Endpoint endpoint) {
  std::optional<ApiError> error;
  FieldReader body(root, "", error);
  CompletionRequest request;
  request.endpoint = endpoint;

  if (endpoint == Endpoint::kChat)
    request.messages = readMessages(body, error);
  else
    request.prompt = readPrompt(body, error);
  request.model = body.string("model").value_or("");

  // max_completion_tokens is the newer name; both are checked.
  std::optional<int64_t> maxTokens = body.integer("max_tokens", 1, kNoLimit, "an integer >= 1");
  std::optional<int64_t> maxCompletionTokens =
      body.integer("max_completion_tokens", 1, kNoLimit, "an integer >= 1");
  request.maxTokens = maxCompletionTokens ? maxCompletionTokens : maxTokens;

  SamplingParams &sampling = request.sampling;
  if (std::optional<double> t = body.number("temperature", kTemperatureRange))
    sampling.temperature = static_cast<float>(*t);
  if (std::optional<double> p = body.number("top_p", kTopPRange)) {
    sampling.topP = static_cast<float>(*p);
    // A positive double can round to the float 0, which is not in range.
    if (sampling.topP <= 0.0f)
      body.fail("top_p", kTopPRange.allowed, root["top_p"]);
  }
  if (std::optional<int64_t> k =
          body.integer("top_k", -1, kNoLimit, "an integer >= -1 (-1 and 0 are off)"))
    sampling.topK = static_cast<int32_t>(
        std::clamp<int64_t>(*k, 0, std::numeric_limits<int32_t>::max())); // k >= vocab is off
  if (std::optional<double> p = body.number("presence_penalty", kPenaltyRange))
    sampling.presencePenalty = static_cast<float>(*p);
  if (std::optional<double> p = body.number("frequency_penalty", kPenaltyRange))
    sampling.frequencyPenalty = static_cast<float>(*p);
  // OpenAI's penalties count every token generated so far, and the server
  // gives the sampler only those as its history.
  if (sampling.presencePenalty != 0.0f || sampling.frequencyPenalty != 0.0f)
    sampling.repeatLastN = -1;
  if (std::optional<uint64_t> seed = body.anyInteger("seed")) {
    sampling.seed = *seed;
    request.seedGiven = true;
  }

  request.stop = readStop(body);
  request.stream = body.boolean("stream").value_or(false);
  if (const json *options = body.find("stream_options")) {
    if (options->is_object()) {
      FieldReader streamOptions(*options, "stream_options.", error);
      request.includeUsage = streamOptions.boolean("include_usage").value_or(false);
    } else {
      body.fail("stream_options", "an object", *options);
    }
  }
  request.n = static_cast<int>(
      body.integer("n", 1, kMaxChoices, "an integer in [1, " + std::to_string(kMaxChoices) + "]")
          .value_or(1));

  if (error)
    return *error;
  // Every field was checked above; this only guards against the two
  // drifting apart.
  if (Status status = sampling.validate(); !status.ok())
    return badRequest("", "invalid sampling parameters: " + status.message());
  return request;
}

/// {"id", "object", "created", "model"}: what every response and chunk opens with.
json envelope(const ResponseHeader &header, std::string_view object) {
  json out = json::object();
  out["id"] = header.id;
  out["object"] = object;
  out["created"] = header.created;
  out["model"] = header.model;
  return out;
}

json stringOrNull(const std::string &text) { return text.empty() ? json(nullptr) : json(text); }

} // namespace

json errorBody(const ApiError &error) {
  json inner = json::object();
  inner["message"] = error.message;
  inner["type"] = error.type;
  inner["param"] = stringOrNull(error.param);
  inner["code"] = stringOrNull(error.code);
  json out = json::object();
  out["error"] = std::move(inner);
  return out;
}

std::variant<CompletionRequest, ApiError> parseCompletionRequest(std::string_view body,
                                                                 Endpoint endpoint) {
  json root;
  try {
    root = json::parse(body);
  } catch (const json::parse_error &e) {
    return badRequest("", "invalid JSON: " + parseErrorText(e));
  }
  if (!root.is_object())
    return badRequest("",
                      "invalid JSON: the request body must be an object {...}, not " + shown(root));
  // readRequest checks every type before it reads a value, so nothing in it
  // should throw; this is the backstop that keeps the promise of no
  // exceptions should that ever be wrong.
  try {
    return readRequest(root, endpoint);
  } catch (const json::exception &e) {
    return badRequest("", std::string("invalid request: ") + e.what());
  }
}

json usageJson(const Usage &usage) {
  json out = json::object();
  out["prompt_tokens"] = usage.promptTokens;
  out["completion_tokens"] = usage.completionTokens;
  out["total_tokens"] = usage.promptTokens + usage.completionTokens;
  out["completion_tokens_details"] = {{"reasoning_tokens", usage.reasoningTokens}};
  return out;
}

json completionResponse(Endpoint endpoint, const ResponseHeader &header,
                        const std::vector<Choice> &choices, const Usage &usage) {
  bool chat = endpoint == Endpoint::kChat;
  json out = envelope(header, chat ? "chat.completion" : "text_completion");
  json array = json::array();
  for (size_t i = 0; i < choices.size(); ++i) {
    const Choice &choice = choices[i];
    json item = json::object();
    item["index"] = i;
    if (chat) {
      json message = json::object();
      message["role"] = "assistant";
      message["content"] = choice.content;
      message["reasoning_content"] = stringOrNull(choice.reasoning);
      item["message"] = std::move(message);
    } else {
      item["text"] = choice.content;
    }
    item["logprobs"] = nullptr;
    item["finish_reason"] = stringOrNull(choice.finishReason);
    array.push_back(std::move(item));
  }
  out["choices"] = std::move(array);
  out["usage"] = usageJson(usage);
  return out;
}

json streamChunk(Endpoint endpoint, const ResponseHeader &header, const ChoiceDelta &delta) {
  bool chat = endpoint == Endpoint::kChat;
  json out = envelope(header, chat ? "chat.completion.chunk" : "text_completion");
  json item = json::object();
  item["index"] = delta.index;
  if (chat) {
    json body = json::object();
    if (delta.role)
      body["role"] = "assistant";
    if (!delta.reasoning.empty())
      body["reasoning_content"] = delta.reasoning;
    if (delta.role || !delta.content.empty())
      body["content"] = delta.content;
    item["delta"] = std::move(body);
  } else {
    item["text"] = delta.content;
  }
  item["logprobs"] = nullptr;
  item["finish_reason"] = stringOrNull(delta.finishReason);
  out["choices"] = json::array({std::move(item)});
  return out;
}

json usageChunk(Endpoint endpoint, const ResponseHeader &header, const Usage &usage) {
  json out =
      envelope(header, endpoint == Endpoint::kChat ? "chat.completion.chunk" : "text_completion");
  out["choices"] = json::array();
  out["usage"] = usageJson(usage);
  return out;
}

std::string sseEvent(const json &data) {
  // No indent: the JSON is one line, as an SSE data field must be. Text a
  // model streams may end inside a UTF-8 character; replace, never throw.
  return "data: " + data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

json modelsResponse(const std::string &model, int64_t created) {
  json entry = json::object();
  entry["id"] = model;
  entry["object"] = "model";
  entry["created"] = created;
  entry["owned_by"] = "r1c";
  json out = json::object();
  out["object"] = "list";
  out["data"] = json::array({std::move(entry)});
  return out;
}

} // namespace r1::runtime::serve
