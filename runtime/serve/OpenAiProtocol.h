//===- OpenAiProtocol.h - OpenAI-compatible request and response JSON -----===//
//
// What `r1run serve` reads and writes, apart from HTTP itself: a request body
// of POST /v1/chat/completions or /v1/completions parsed and checked into a
// CompletionRequest, and the response objects, stream chunks and error
// objects in the shapes OpenAI's API defines (and its Python client parses).
//
// Checking follows OpenAI's API: unknown fields are ignored; a field of the
// wrong type or out of range is an HTTP 400 whose error object names it in
// "param" and says what is allowed. R1's usage rules are the defaults:
// temperature 0.6, top-p 0.95, and a system message folded into the first
// user turn (runtime/chat/ChatFormat.h). No HTTP and no model here: plain
// JSON in, JSON out, so every rule is unit-tested on its own.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_SERVE_OPENAIPROTOCOL_H
#define R1C_RUNTIME_SERVE_OPENAIPROTOCOL_H

#include "runtime/Sampler.h"
#include "runtime/chat/ChatFormat.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace r1::runtime::serve {

enum class Endpoint {
  kChat,        // POST /v1/chat/completions: messages
  kCompletions, // POST /v1/completions: a raw prompt
};

/// An error as OpenAI's API returns it: the HTTP status and
/// {"error": {"message", "type", "param", "code"}}.
struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param; // the offending field ("messages[1].role"); "" for none
  std::string code;  // e.g. "model_not_found", "context_length_exceeded"; "" for none
};

/// {"error": {...}}; "param" and "code" are null when empty.
nlohmann::json errorBody(const ApiError &error);

/// The most choices (`n`) and stop strings one request may ask for.
inline constexpr int kMaxChoices = 16;
inline constexpr size_t kMaxStopStrings = 16;

/// A checked request. Sampling holds R1's defaults where a field is absent.
struct CompletionRequest {
  Endpoint endpoint = Endpoint::kChat;
  /// "model"; empty when absent (the server's model is meant).
  std::string model;
  /// kChat: "messages" (roles "system", "developer" (as system), "user",
  /// "assistant"; content a string, null for an assistant turn, or an array
  /// of {"type": "text", "text": ...} parts, joined).
  std::vector<ChatMessage> messages;
  /// kCompletions: "prompt", a string or an array of exactly one string.
  std::string prompt;
  /// "max_completion_tokens", else "max_tokens" (>= 1); nullopt: up to the
  /// end of the context.
  std::optional<int64_t> maxTokens;
  /// temperature [0, 2], top_p (0, 1], top_k (>= 0, or -1 for off; 0 is off),
  /// presence_penalty and frequency_penalty [-2, 2] (over the generated
  /// tokens: repeatLastN = -1), seed (any integer, taken mod 2^64).
  SamplingParams sampling;
  /// Whether "seed" was given; without it every choice gets a seed of its own.
  bool seedGiven = false;
  /// "stop": a string or an array of up to kMaxStopStrings strings; empty
  /// strings dropped.
  std::vector<std::string> stop;
  bool stream = false;
  /// stream_options.include_usage: a last chunk with "usage" and no choices.
  bool includeUsage = false;
  /// "n": 1..kMaxChoices.
  int n = 1;
  /// kChat: whether the prompt opens "<think>\n" (R1's rule; not a field).
  bool thinkPrefix = true;
};

/// Parses and checks a request body for `endpoint`. Errors (status 400):
/// the body is not JSON or not an object ("invalid JSON: ..."), a required
/// field is missing, a field has the wrong type or is out of range.
std::variant<CompletionRequest, ApiError> parseCompletionRequest(std::string_view body,
                                                                 Endpoint endpoint);

/// Token counts of one response.
struct Usage {
  int64_t promptTokens = 0;
  int64_t completionTokens = 0;
  int64_t reasoningTokens = 0;
};

/// {"prompt_tokens", "completion_tokens", "total_tokens",
///  "completion_tokens_details": {"reasoning_tokens"}}.
nlohmann::json usageJson(const Usage &usage);

/// One finished choice of a non-streaming response.
struct Choice {
  std::string reasoning; // kChat: message.reasoning_content (null when empty)
  std::string content;   // message.content, or the completion's text
  std::string finishReason; // "stop" or "length"
};

/// The identity of a response: "chatcmpl-..."/"cmpl-..." id, creation time
/// (Unix seconds) and the model's name.
struct ResponseHeader {
  std::string id;
  int64_t created = 0;
  std::string model;
};

/// A whole response: "chat.completion" or "text_completion".
nlohmann::json completionResponse(Endpoint endpoint, const ResponseHeader &header,
                                  const std::vector<Choice> &choices, const Usage &usage);

/// What one stream chunk carries for one choice.
struct ChoiceDelta {
  int index = 0;
  bool role = false;            // kChat's first chunk of a choice: delta.role = "assistant"
  std::string reasoning;        // delta.reasoning_content (left out when empty)
  std::string content;          // delta.content (kChat: left out when empty unless role);
                                // kCompletions: choices[].text
  std::string finishReason;     // "" while running (null in the JSON)
};

/// A "chat.completion.chunk" or "text_completion" chunk with one choice.
nlohmann::json streamChunk(Endpoint endpoint, const ResponseHeader &header,
                           const ChoiceDelta &delta);
/// The last chunk of a stream with include_usage: "choices": [] and "usage".
nlohmann::json usageChunk(Endpoint endpoint, const ResponseHeader &header, const Usage &usage);

/// "data: <json>\n\n", and the stream's end "data: [DONE]\n\n".
std::string sseEvent(const nlohmann::json &data);
inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

/// GET /v1/models: {"object": "list", "data": [{"id", "object": "model",
/// "created", "owned_by": "r1c"}]}.
nlohmann::json modelsResponse(const std::string &model, int64_t created);

} // namespace r1::runtime::serve

#endif // R1C_RUNTIME_SERVE_OPENAIPROTOCOL_H
