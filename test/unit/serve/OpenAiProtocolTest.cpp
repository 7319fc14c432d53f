//===- OpenAiProtocolTest.cpp - OpenAI request checking and response JSON -===//

#include "runtime/serve/OpenAiProtocol.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace r1::runtime::serve {
namespace {

using nlohmann::json;

/// The request `body` parses to; a test failure (and an empty request) when
/// it is rejected.
CompletionRequest accepted(const std::string &body, Endpoint endpoint = Endpoint::kChat) {
  std::variant<CompletionRequest, ApiError> result = parseCompletionRequest(body, endpoint);
  if (const ApiError *error = std::get_if<ApiError>(&result)) {
    ADD_FAILURE() << "rejected " << body << ": " << error->message;
    return {};
  }
  return std::get<CompletionRequest>(result);
}

/// The error `body` gets; a test failure (and status 0) when it is accepted.
ApiError rejected(const std::string &body, Endpoint endpoint = Endpoint::kChat) {
  std::variant<CompletionRequest, ApiError> result = parseCompletionRequest(body, endpoint);
  if (std::holds_alternative<CompletionRequest>(result)) {
    ADD_FAILURE() << "accepted " << body;
    ApiError none;
    none.status = 0;
    return none;
  }
  return std::get<ApiError>(result);
}

/// A valid chat body with `fields` ("\"n\": 2") added.
std::string chatWith(const std::string &fields) {
  std::string body = R"({"messages": [{"role": "user", "content": "hi"}])";
  return fields.empty() ? body + "}" : body + ", " + fields + "}";
}

/// A chat body with `messages` (a JSON array) as its messages.
std::string chatMessages(const std::string &messages) {
  return R"({"messages": )" + messages + "}";
}

/// Expects `error` to be a 400 invalid_request_error naming `param` in both
/// "param" and its message.
void expectNames(const ApiError &error, const std::string &param) {
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_EQ(error.param, param);
  EXPECT_NE(error.message.find("'" + param + "'"), std::string::npos) << error.message;
  EXPECT_EQ(error.message.find('\n'), std::string::npos) << error.message;
}

/// Expects a chat body with `"field": value` to be rejected, naming `field`.
void expectBadField(const std::string &field, const std::string &value) {
  SCOPED_TRACE(field + ": " + value);
  expectNames(rejected(chatWith("\"" + field + "\": " + value)), field);
}

/// Expects a chat body with `messages` to be rejected, naming `param`.
void expectBadMessages(const std::string &messages, const std::string &param) {
  SCOPED_TRACE(messages);
  expectNames(rejected(chatMessages(messages)), param);
}

//===----------------------------------------------------------------------===//
// Requests: the body, defaults, null and unknown fields
//===----------------------------------------------------------------------===//

TEST(OpenAiRequest, MinimalChatRequestHasR1Defaults) {
  CompletionRequest request = accepted(chatWith(""));
  EXPECT_EQ(request.endpoint, Endpoint::kChat);
  ASSERT_EQ(request.messages.size(), 1u);
  EXPECT_EQ(request.messages[0].role, "user");
  EXPECT_EQ(request.messages[0].content, "hi");
  EXPECT_EQ(request.model, "");
  EXPECT_FALSE(request.maxTokens.has_value());
  EXPECT_FLOAT_EQ(request.sampling.temperature, 0.6f);
  EXPECT_FLOAT_EQ(request.sampling.topP, 0.95f);
  EXPECT_EQ(request.sampling.topK, 0);
  EXPECT_EQ(request.sampling.repeatLastN, SamplingParams().repeatLastN);
  EXPECT_EQ(request.sampling.presencePenalty, 0.0f);
  EXPECT_EQ(request.sampling.frequencyPenalty, 0.0f);
  EXPECT_EQ(request.sampling.seed, SamplingParams::kDefaultSeed);
  EXPECT_FALSE(request.seedGiven);
  EXPECT_TRUE(request.stop.empty());
  EXPECT_FALSE(request.stream);
  EXPECT_FALSE(request.includeUsage);
  EXPECT_EQ(request.n, 1);
  EXPECT_TRUE(request.thinkPrefix);
}

TEST(OpenAiRequest, EveryFieldIsRead) {
  CompletionRequest request = accepted(chatWith(R"(
      "model": "deepseek-r1", "max_tokens": 100, "temperature": 1.25, "top_p": 0.5,
      "top_k": 40, "presence_penalty": 0.5, "frequency_penalty": -1, "seed": 7,
      "stop": ["</answer>", "END"], "stream": true,
      "stream_options": {"include_usage": true}, "n": 3)"));
  EXPECT_EQ(request.model, "deepseek-r1");
  EXPECT_EQ(request.maxTokens, 100);
  EXPECT_FLOAT_EQ(request.sampling.temperature, 1.25f);
  EXPECT_FLOAT_EQ(request.sampling.topP, 0.5f);
  EXPECT_EQ(request.sampling.topK, 40);
  EXPECT_FLOAT_EQ(request.sampling.presencePenalty, 0.5f);
  EXPECT_FLOAT_EQ(request.sampling.frequencyPenalty, -1.0f);
  EXPECT_EQ(request.sampling.repeatLastN, -1);
  EXPECT_EQ(request.sampling.seed, 7u);
  EXPECT_TRUE(request.seedGiven);
  EXPECT_EQ(request.stop, (std::vector<std::string>{"</answer>", "END"}));
  EXPECT_TRUE(request.stream);
  EXPECT_TRUE(request.includeUsage);
  EXPECT_EQ(request.n, 3);
  EXPECT_TRUE(request.thinkPrefix);
}

TEST(OpenAiRequest, NullIsAbsent) {
  CompletionRequest request = accepted(chatWith(R"(
      "model": null, "max_tokens": null, "max_completion_tokens": null,
      "temperature": null, "top_p": null, "top_k": null, "presence_penalty": null,
      "frequency_penalty": null, "seed": null, "stop": null, "stream": null,
      "stream_options": null, "n": null)"));
  EXPECT_EQ(request.model, "");
  EXPECT_FALSE(request.maxTokens.has_value());
  EXPECT_FLOAT_EQ(request.sampling.temperature, 0.6f);
  EXPECT_FLOAT_EQ(request.sampling.topP, 0.95f);
  EXPECT_EQ(request.sampling.repeatLastN, SamplingParams().repeatLastN);
  EXPECT_FALSE(request.seedGiven);
  EXPECT_TRUE(request.stop.empty());
  EXPECT_FALSE(request.stream);
  EXPECT_FALSE(request.includeUsage);
  EXPECT_EQ(request.n, 1);
  // Inside stream_options too.
  EXPECT_FALSE(accepted(chatWith(R"("stream_options": {"include_usage": null})")).includeUsage);
}

TEST(OpenAiRequest, UnknownFieldsAreIgnored) {
  CompletionRequest request = accepted(chatWith(R"(
      "user": "u-1", "logprobs": true, "tools": [{"type": "function"}], "x-custom": {"a": 1},
      "response_format": {"type": "text"})"));
  EXPECT_EQ(request.messages.size(), 1u);
  // And on messages: "name", and an assistant turn's "reasoning_content".
  request = accepted(chatMessages(R"([{"role": "user", "content": "a", "name": "bob"},
      {"role": "assistant", "content": "b", "reasoning_content": "r"},
      {"role": "user", "content": "c"}])"));
  EXPECT_EQ(request.messages.size(), 3u);
}

TEST(OpenAiRequest, BadJsonIsA400) {
  for (const char *body : {"", "{", R"({"messages": [})", "{} x", "{'a': 1}", "nul"}) {
    SCOPED_TRACE(body);
    ApiError error = rejected(body);
    EXPECT_EQ(error.status, 400);
    EXPECT_EQ(error.type, "invalid_request_error");
    EXPECT_EQ(error.param, "");
    EXPECT_TRUE(error.message.starts_with("invalid JSON: ")) << error.message;
    // nlohmann's "[json.exception.parse_error.101]" prefix is left out.
    EXPECT_EQ(error.message.find("json.exception"), std::string::npos) << error.message;
  }
}

TEST(OpenAiRequest, BadJsonWithInvalidUtf8GivesADumpableError) {
  ApiError error = rejected("{\"messages\": \"\xff\xfe");
  EXPECT_TRUE(error.message.starts_with("invalid JSON: ")) << error.message;
  EXPECT_NO_THROW(errorBody(error).dump());
}

TEST(OpenAiRequest, BodyMustBeAnObject) {
  for (const char *body : {"[1, 2]", R"("hello")", "null", "5", "true"}) {
    SCOPED_TRACE(body);
    ApiError error = rejected(body);
    EXPECT_EQ(error.status, 400);
    EXPECT_EQ(error.param, "");
    EXPECT_NE(error.message.find("must be an object"), std::string::npos) << error.message;
  }
}

TEST(OpenAiRequest, DeeplyNestedValuesDoNotCrash) {
  const int depth = 100000;
  std::string nested = std::string(depth, '[') + std::string(depth, ']');
  expectBadField("temperature", nested);
  EXPECT_EQ(rejected(nested).status, 400);
}

TEST(OpenAiRequest, ShownValuesAreShortAndAscii) {
  ApiError error = rejected(chatWith(R"("temperature": ")" + std::string(500, 'x') + "\""));
  EXPECT_LT(error.message.size(), 120u) << error.message;
  EXPECT_NE(error.message.find("..."), std::string::npos) << error.message;
  error = rejected(chatWith(R"("temperature": "été")"));
  EXPECT_EQ(error.message, R"('temperature' must be a number in [0, 2], not "\u00e9t\u00e9")");
}

//===----------------------------------------------------------------------===//
// Requests: sampling fields
//===----------------------------------------------------------------------===//

TEST(OpenAiRequest, Temperature) {
  EXPECT_FLOAT_EQ(accepted(chatWith(R"("temperature": 0)")).sampling.temperature, 0.0f);
  EXPECT_FLOAT_EQ(accepted(chatWith(R"("temperature": 2)")).sampling.temperature, 2.0f);
  EXPECT_FLOAT_EQ(accepted(chatWith(R"("temperature": 0.7)")).sampling.temperature, 0.7f);
  EXPECT_EQ(rejected(chatWith(R"("temperature": 3.5)")).message,
            "'temperature' must be a number in [0, 2], not 3.5");
  for (const char *bad : {"-0.1", "2.0001", R"("1")", "true", "[1]", "{}"})
    expectBadField("temperature", bad);
}

TEST(OpenAiRequest, TopP) {
  EXPECT_FLOAT_EQ(accepted(chatWith(R"("top_p": 1)")).sampling.topP, 1.0f);
  EXPECT_FLOAT_EQ(accepted(chatWith(R"("top_p": 0.001)")).sampling.topP, 0.001f);
  EXPECT_EQ(rejected(chatWith(R"("top_p": 0)")).message,
            "'top_p' must be a number in (0, 1], not 0");
  // 1e-50 is above 0 but rounds to the float 0.
  for (const char *bad : {"1.5", "-1", "1e-50", R"("0.5")", "false"})
    expectBadField("top_p", bad);
}

TEST(OpenAiRequest, TopK) {
  EXPECT_EQ(accepted(chatWith(R"("top_k": 40)")).sampling.topK, 40);
  EXPECT_EQ(accepted(chatWith(R"("top_k": 0)")).sampling.topK, 0);
  EXPECT_EQ(accepted(chatWith(R"("top_k": -1)")).sampling.topK, 0);
  // Beyond int32: at least the vocabulary, which is off as well.
  EXPECT_EQ(accepted(chatWith(R"("top_k": 10000000000)")).sampling.topK,
            std::numeric_limits<int32_t>::max());
  for (const char *bad : {"-2", "1.5", "40.0", R"("40")", "true"})
    expectBadField("top_k", bad);
}

TEST(OpenAiRequest, PenaltiesLookAtTheWholeHistory) {
  CompletionRequest request = accepted(chatWith(R"("presence_penalty": 0.5)"));
  EXPECT_FLOAT_EQ(request.sampling.presencePenalty, 0.5f);
  EXPECT_EQ(request.sampling.repeatLastN, -1);
  request = accepted(chatWith(R"("frequency_penalty": -2)"));
  EXPECT_FLOAT_EQ(request.sampling.frequencyPenalty, -2.0f);
  EXPECT_EQ(request.sampling.repeatLastN, -1);
  // Both zero: the penalties are off and the window stays as it was.
  request = accepted(chatWith(R"("presence_penalty": 0, "frequency_penalty": 0.0)"));
  EXPECT_EQ(request.sampling.repeatLastN, SamplingParams().repeatLastN);
  for (const char *field : {"presence_penalty", "frequency_penalty"})
    for (const char *bad : {"2.5", "-3", R"("1")", "false"})
      expectBadField(field, bad);
}

TEST(OpenAiRequest, Seed) {
  CompletionRequest request = accepted(chatWith(R"("seed": 42)"));
  EXPECT_EQ(request.sampling.seed, 42u);
  EXPECT_TRUE(request.seedGiven);
  request = accepted(chatWith(R"("seed": 0)"));
  EXPECT_EQ(request.sampling.seed, 0u);
  EXPECT_TRUE(request.seedGiven);
  // Negative seeds are taken mod 2^64, and unsigned ones beyond int64 kept.
  EXPECT_EQ(accepted(chatWith(R"("seed": -1)")).sampling.seed,
            std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(accepted(chatWith(R"("seed": -9223372036854775808)")).sampling.seed, uint64_t{1} << 63);
  EXPECT_EQ(accepted(chatWith(R"("seed": 18446744073709551615)")).sampling.seed,
            std::numeric_limits<uint64_t>::max());
  for (const char *bad : {"1.5", "42.0", "1e3", R"("42")", "true"})
    expectBadField("seed", bad);
}

TEST(OpenAiRequest, MaxTokens) {
  EXPECT_EQ(accepted(chatWith(R"("max_tokens": 5)")).maxTokens, 5);
  EXPECT_EQ(accepted(chatWith(R"("max_completion_tokens": 7)")).maxTokens, 7);
  // The newer name wins when both are given.
  EXPECT_EQ(accepted(chatWith(R"("max_tokens": 5, "max_completion_tokens": 7)")).maxTokens, 7);
  EXPECT_EQ(accepted(chatWith(R"("max_completion_tokens": 7, "max_tokens": 5)")).maxTokens, 7);
  EXPECT_EQ(accepted(chatWith(R"("max_tokens": 5, "max_completion_tokens": null)")).maxTokens, 5);
  EXPECT_EQ(accepted(chatWith(R"("max_tokens": 18446744073709551615)")).maxTokens,
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(rejected(chatWith(R"("max_tokens": 0)")).message,
            "'max_tokens' must be an integer >= 1, not 0");
  for (const char *field : {"max_tokens", "max_completion_tokens"})
    for (const char *bad : {"0", "-1", "5.0", R"("5")", "true"})
      expectBadField(field, bad);
  // Both are checked, even the one that would not be used.
  expectNames(rejected(chatWith(R"("max_tokens": "x", "max_completion_tokens": 7)")), "max_tokens");
}

TEST(OpenAiRequest, N) {
  EXPECT_EQ(accepted(chatWith(R"("n": 1)")).n, 1);
  EXPECT_EQ(accepted(chatWith(R"("n": 16)")).n, kMaxChoices);
  EXPECT_EQ(rejected(chatWith(R"("n": "two")")).message,
            R"('n' must be an integer in [1, 16], not "two")");
  for (const char *bad : {"0", "17", "-1", "2.0", "18446744073709551615", "true"})
    expectBadField("n", bad);
}

TEST(OpenAiRequest, Stop) {
  EXPECT_EQ(accepted(chatWith(R"("stop": "END")")).stop, std::vector<std::string>{"END"});
  EXPECT_TRUE(accepted(chatWith(R"("stop": "")")).stop.empty());
  EXPECT_TRUE(accepted(chatWith(R"("stop": [])")).stop.empty());
  EXPECT_EQ(accepted(chatWith(R"("stop": ["a", "", "b"])")).stop,
            (std::vector<std::string>{"a", "b"}));

  auto stopArray = [](size_t count) {
    json stops = json::array();
    for (size_t i = 0; i < count; ++i)
      stops.push_back("s" + std::to_string(i));
    return stops.dump();
  };
  EXPECT_EQ(accepted(chatWith(R"("stop": )" + stopArray(kMaxStopStrings))).stop.size(),
            kMaxStopStrings);
  ApiError error = rejected(chatWith(R"("stop": )" + stopArray(kMaxStopStrings + 1)));
  expectNames(error, "stop");
  EXPECT_NE(error.message.find("at most 16"), std::string::npos) << error.message;

  expectBadField("stop", "5");
  expectBadField("stop", "{}");
  expectBadField("stop", "true");
  expectNames(rejected(chatWith(R"("stop": [1])")), "stop[0]");
  expectNames(rejected(chatWith(R"("stop": ["a", "b", null])")), "stop[2]");
}

TEST(OpenAiRequest, StreamAndStreamOptions) {
  EXPECT_TRUE(accepted(chatWith(R"("stream": true)")).stream);
  EXPECT_FALSE(accepted(chatWith(R"("stream": false)")).stream);
  CompletionRequest request =
      accepted(chatWith(R"("stream": true, "stream_options": {"include_usage": true})"));
  EXPECT_TRUE(request.includeUsage);
  EXPECT_FALSE(accepted(chatWith(R"("stream_options": {})")).includeUsage);
  EXPECT_FALSE(accepted(chatWith(R"("stream_options": {"include_usage": false})")).includeUsage);
  for (const char *bad : {R"("true")", "1"})
    expectBadField("stream", bad);
  for (const char *bad : {"true", R"("x")", "[]"})
    expectBadField("stream_options", bad);
  expectNames(rejected(chatWith(R"("stream_options": {"include_usage": "yes"})")),
              "stream_options.include_usage");
}

TEST(OpenAiRequest, Model) {
  EXPECT_EQ(accepted(chatWith(R"("model": "r1-distill-qwen-1.5b")")).model, "r1-distill-qwen-1.5b");
  expectBadField("model", "5");
  expectBadField("model", "[\"a\"]");
}

//===----------------------------------------------------------------------===//
// Requests: messages (chat) and prompt (completions)
//===----------------------------------------------------------------------===//

TEST(OpenAiRequest, MessagesKeepTheirOrderAndDeveloperIsSystem) {
  CompletionRequest request = accepted(chatMessages(R"([
      {"role": "developer", "content": "Be brief."},
      {"role": "system", "content": "Use French."},
      {"role": "user", "content": "Hi"},
      {"role": "assistant", "content": "Salut"},
      {"role": "user", "content": "Again"}])"));
  std::vector<std::pair<std::string, std::string>> got;
  for (const ChatMessage &message : request.messages)
    got.emplace_back(message.role, message.content);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{{"system", "Be brief."},
                                                                   {"system", "Use French."},
                                                                   {"user", "Hi"},
                                                                   {"assistant", "Salut"},
                                                                   {"user", "Again"}}));
}

TEST(OpenAiRequest, MessagesAreRequiredAndNonEmpty) {
  ApiError error = rejected("{}");
  expectNames(error, "messages");
  EXPECT_NE(error.message.find("required"), std::string::npos) << error.message;
  expectNames(rejected(R"({"messages": null})"), "messages");
  // A completions body is not a chat body.
  expectNames(rejected(R"({"prompt": "hi"})"), "messages");
  EXPECT_EQ(rejected(chatMessages("[]")).message,
            "'messages' must be a non-empty array of messages, not []");
  expectBadMessages(R"("hi")", "messages");
  expectBadMessages(R"({"role": "user", "content": "hi"})", "messages");
  expectBadMessages(R"([{"role": "user", "content": "hi"}, 5])", "messages[1]");
  expectBadMessages(R"([{"role": "user", "content": "hi"}, "hi"])", "messages[1]");
}

TEST(OpenAiRequest, Roles) {
  expectBadMessages(R"([{"content": "hi"}])", "messages[0].role");
  expectBadMessages(R"([{"role": null, "content": "hi"}])", "messages[0].role");
  expectBadMessages(R"([{"role": 5, "content": "hi"}])", "messages[0].role");
  ApiError error = rejected(chatMessages(R"([{"role": "user", "content": "hi"},
                                             {"role": "bot", "content": "hi"}])"));
  expectNames(error, "messages[1].role");
  EXPECT_NE(error.message.find("\"developer\""), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("\"bot\""), std::string::npos) << error.message;
  for (const char *role : {"tool", "function"}) {
    SCOPED_TRACE(role);
    error = rejected(chatMessages(R"([{"role": "user", "content": "hi"},
        {"role": ")" + std::string(role) +
                                  R"(", "content": "42", "tool_call_id": "c1"}])"));
    expectNames(error, "messages[1].role");
    EXPECT_NE(error.message.find("not supported"), std::string::npos) << error.message;
  }
  // Roles are case-sensitive, as in OpenAI's API.
  expectBadMessages(R"([{"role": "User", "content": "hi"}])", "messages[0].role");
}

TEST(OpenAiRequest, ContentParts) {
  CompletionRequest request = accepted(chatMessages(R"([{"role": "user", "content": [
      {"type": "text", "text": "Hello, "}, {"type": "text", "text": "world"}]}])"));
  ASSERT_EQ(request.messages.size(), 1u);
  EXPECT_EQ(request.messages[0].content, "Hello, world");
  EXPECT_EQ(accepted(chatMessages(R"([{"role": "user", "content": []}])")).messages[0].content, "");

  ApiError error = rejected(chatMessages(R"([{"role": "user", "content": [
      {"type": "text", "text": "What is this?"},
      {"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}])"));
  expectNames(error, "messages[0].content[1].type");
  EXPECT_NE(error.message.find("\"image_url\" is not supported"), std::string::npos)
      << error.message;
  expectBadMessages(R"([{"role": "user", "content": [5]}])", "messages[0].content[0]");
  expectBadMessages(R"([{"role": "user", "content": ["hi"]}])", "messages[0].content[0]");
  expectBadMessages(R"([{"role": "user", "content": [{"text": "hi"}]}])",
                    "messages[0].content[0].type");
  expectBadMessages(R"([{"role": "user", "content": [{"type": 1, "text": "hi"}]}])",
                    "messages[0].content[0].type");
  expectBadMessages(R"([{"role": "user", "content": [{"type": "text", "text": 5}]}])",
                    "messages[0].content[0].text");
  expectBadMessages(R"([{"role": "user", "content": [{"type": "text"}]}])",
                    "messages[0].content[0].text");
}

TEST(OpenAiRequest, ContentMayBeMissingOnlyForAssistantTurns) {
  CompletionRequest request = accepted(chatMessages(R"([{"role": "user", "content": "a"},
      {"role": "assistant", "content": null}, {"role": "assistant"},
      {"role": "user", "content": "b"}])"));
  ASSERT_EQ(request.messages.size(), 4u);
  EXPECT_EQ(request.messages[1].content, "");
  EXPECT_EQ(request.messages[2].content, "");
  EXPECT_EQ(request.messages[2].role, "assistant");

  ApiError error = rejected(chatMessages(R"([{"role": "user", "content": "a"},
                                             {"role": "user", "content": null}])"));
  expectNames(error, "messages[1].content");
  EXPECT_NE(error.message.find("required"), std::string::npos) << error.message;
  expectBadMessages(R"([{"role": "system"}, {"role": "user", "content": "a"}])",
                    "messages[0].content");
  expectBadMessages(R"([{"role": "user", "content": 5}])", "messages[0].content");
  expectBadMessages(R"([{"role": "user", "content": {"type": "text", "text": "a"}}])",
                    "messages[0].content");
}

TEST(OpenAiRequest, FirstBadFieldIsReported) {
  ApiError error = rejected(chatMessages(R"([{"role": "user", "content": 1},
                                             {"role": "bot", "content": "a"}])"));
  EXPECT_EQ(error.param, "messages[0].content");
}

TEST(OpenAiRequest, CompletionsPrompt) {
  CompletionRequest request = accepted(R"({"prompt": "Once upon", "max_tokens": 16,
                                           "temperature": 0, "stop": "\n"})",
                                       Endpoint::kCompletions);
  EXPECT_EQ(request.endpoint, Endpoint::kCompletions);
  EXPECT_EQ(request.prompt, "Once upon");
  EXPECT_TRUE(request.messages.empty());
  EXPECT_EQ(request.maxTokens, 16);
  EXPECT_EQ(request.sampling.temperature, 0.0f);
  EXPECT_EQ(request.stop, std::vector<std::string>{"\n"});
  EXPECT_EQ(accepted(R"({"prompt": ["only one"]})", Endpoint::kCompletions).prompt, "only one");
  // "messages" means nothing to /v1/completions.
  EXPECT_EQ(accepted(R"({"prompt": "p", "messages": 5})", Endpoint::kCompletions).prompt, "p");
}

TEST(OpenAiRequest, CompletionsPromptRejections) {
  auto bad = [](const std::string &body, const std::string &says) {
    SCOPED_TRACE(body);
    ApiError error = rejected(body, Endpoint::kCompletions);
    expectNames(error, "prompt");
    EXPECT_NE(error.message.find(says), std::string::npos) << error.message;
  };
  bad("{}", "required");
  bad(R"({"prompt": null})", "required");
  bad(R"({"messages": [{"role": "user", "content": "hi"}]})", "required");
  bad(R"({"prompt": [1, 2, 3]})", "token ids");
  bad(R"({"prompt": [[1, 2], [3]]})", "token ids");
  bad(R"({"prompt": ["a", "b"]})", "2 prompts");
  bad(R"({"prompt": []})", "not []");
  bad(R"({"prompt": 5})", "not 5");
  // Other fields are checked for completions as for chat.
  expectNames(rejected(R"({"prompt": "p", "top_p": 2})", Endpoint::kCompletions), "top_p");
}

//===----------------------------------------------------------------------===//
// Responses
//===----------------------------------------------------------------------===//

ResponseHeader header(const std::string &id) { return {id, 1700000000, "r1-test"}; }

TEST(OpenAiResponse, ErrorBody) {
  ApiError error;
  error.message = "'n' must be an integer in [1, 16], not 0";
  error.param = "n";
  EXPECT_EQ(errorBody(error), json::parse(R"({"error": {
      "message": "'n' must be an integer in [1, 16], not 0",
      "type": "invalid_request_error", "param": "n", "code": null}})"));

  ApiError server;
  server.status = 400;
  server.message = "too long";
  server.code = "context_length_exceeded";
  EXPECT_EQ(errorBody(server), json::parse(R"({"error": {"message": "too long",
      "type": "invalid_request_error", "param": null, "code": "context_length_exceeded"}})"));
}

TEST(OpenAiResponse, Usage) {
  EXPECT_EQ(usageJson({12, 30, 20}), json::parse(R"({"prompt_tokens": 12,
      "completion_tokens": 30, "total_tokens": 42,
      "completion_tokens_details": {"reasoning_tokens": 20}})"));
}

TEST(OpenAiResponse, ChatCompletion) {
  std::vector<Choice> choices = {{"Let me think.", "4", "stop"}, {"", "Four and more", "length"}};
  json response = completionResponse(Endpoint::kChat, header("chatcmpl-1"), choices, {10, 8, 3});
  EXPECT_EQ(response, json::parse(R"({
      "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000,
      "model": "r1-test",
      "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "4",
                                 "reasoning_content": "Let me think."},
         "logprobs": null, "finish_reason": "stop"},
        {"index": 1, "message": {"role": "assistant", "content": "Four and more",
                                 "reasoning_content": null},
         "logprobs": null, "finish_reason": "length"}],
      "usage": {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18,
                "completion_tokens_details": {"reasoning_tokens": 3}}})"));
}

TEST(OpenAiResponse, TextCompletion) {
  json response = completionResponse(Endpoint::kCompletions, header("cmpl-1"),
                                     {{"", " there was", "length"}}, {2, 3, 0});
  EXPECT_EQ(response, json::parse(R"({
      "id": "cmpl-1", "object": "text_completion", "created": 1700000000, "model": "r1-test",
      "choices": [{"index": 0, "text": " there was", "logprobs": null,
                   "finish_reason": "length"}],
      "usage": {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5,
                "completion_tokens_details": {"reasoning_tokens": 0}}})"));
}

/// A chat chunk's expected JSON around `choice`.
json chatChunk(const std::string &choice) {
  return json::parse(R"({"id": "chatcmpl-2", "object": "chat.completion.chunk",
                         "created": 1700000000, "model": "r1-test", "choices": [)" +
                     choice + "]}");
}

TEST(OpenAiResponse, ChatStreamChunks) {
  ResponseHeader h = header("chatcmpl-2");
  ChoiceDelta first;
  first.role = true;
  EXPECT_EQ(streamChunk(Endpoint::kChat, h, first),
            chatChunk(R"({"index": 0, "delta": {"role": "assistant", "content": ""},
                          "logprobs": null, "finish_reason": null})"));

  ChoiceDelta thinking;
  thinking.index = 2;
  thinking.reasoning = "Hmm";
  EXPECT_EQ(streamChunk(Endpoint::kChat, h, thinking),
            chatChunk(R"({"index": 2, "delta": {"reasoning_content": "Hmm"},
                          "logprobs": null, "finish_reason": null})"));

  ChoiceDelta both;
  both.role = true;
  both.reasoning = "Let";
  EXPECT_EQ(streamChunk(Endpoint::kChat, h, both),
            chatChunk(R"({"index": 0, "delta": {"role": "assistant", "content": "",
                                                 "reasoning_content": "Let"},
                          "logprobs": null, "finish_reason": null})"));

  ChoiceDelta answer;
  answer.content = "4";
  EXPECT_EQ(streamChunk(Endpoint::kChat, h, answer),
            chatChunk(R"({"index": 0, "delta": {"content": "4"},
                          "logprobs": null, "finish_reason": null})"));

  ChoiceDelta last;
  last.index = 1;
  last.finishReason = "length";
  EXPECT_EQ(streamChunk(Endpoint::kChat, h, last),
            chatChunk(R"({"index": 1, "delta": {}, "logprobs": null,
                          "finish_reason": "length"})"));
}

TEST(OpenAiResponse, TextCompletionStreamChunks) {
  ChoiceDelta piece;
  piece.content = " once";
  EXPECT_EQ(streamChunk(Endpoint::kCompletions, header("cmpl-2"), piece),
            json::parse(R"({"id": "cmpl-2", "object": "text_completion", "created": 1700000000,
                            "model": "r1-test", "choices": [{"index": 0, "text": " once",
                            "logprobs": null, "finish_reason": null}]})"));
  ChoiceDelta last;
  last.index = 3;
  last.finishReason = "stop";
  EXPECT_EQ(streamChunk(Endpoint::kCompletions, header("cmpl-2"), last),
            json::parse(R"({"id": "cmpl-2", "object": "text_completion", "created": 1700000000,
                            "model": "r1-test", "choices": [{"index": 3, "text": "",
                            "logprobs": null, "finish_reason": "stop"}]})"));
}

TEST(OpenAiResponse, UsageChunks) {
  json usage = json::parse(R"({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3,
                               "completion_tokens_details": {"reasoning_tokens": 1}})");
  EXPECT_EQ(usageChunk(Endpoint::kChat, header("chatcmpl-3"), {1, 2, 1}),
            json({{"id", "chatcmpl-3"},
                  {"object", "chat.completion.chunk"},
                  {"created", 1700000000},
                  {"model", "r1-test"},
                  {"choices", json::array()},
                  {"usage", usage}}));
  EXPECT_EQ(usageChunk(Endpoint::kCompletions, header("cmpl-3"), {1, 2, 1}),
            json({{"id", "cmpl-3"},
                  {"object", "text_completion"},
                  {"created", 1700000000},
                  {"model", "r1-test"},
                  {"choices", json::array()},
                  {"usage", usage}}));
}

TEST(OpenAiResponse, Models) {
  EXPECT_EQ(modelsResponse("r1-test", 1700000001), json::parse(R"({"object": "list",
      "data": [{"id": "r1-test", "object": "model", "created": 1700000001,
                "owned_by": "r1c"}]})"));
}

TEST(OpenAiResponse, SseEventIsOneDataLine) {
  ChoiceDelta delta;
  delta.content = "line one\nline two\r\n\"quoted\"";
  json chunk = streamChunk(Endpoint::kChat, header("chatcmpl-4"), delta);
  std::string event = sseEvent(chunk);
  ASSERT_TRUE(event.starts_with("data: ")) << event;
  ASSERT_TRUE(event.ends_with("\n\n")) << event;
  std::string payload = event.substr(6, event.size() - 8);
  EXPECT_EQ(payload.find('\n'), std::string::npos) << payload;
  EXPECT_EQ(payload.find('\r'), std::string::npos) << payload;
  EXPECT_EQ(json::parse(payload), chunk);
  EXPECT_EQ(sseEvent(json::object({{"a", 1}})), "data: {\"a\":1}\n\n");
  EXPECT_EQ(kSseDone, "data: [DONE]\n\n");
}

TEST(OpenAiResponse, SseEventReplacesInvalidUtf8) {
  // A stream may end a piece inside a character: "é" is C3 A9.
  ChoiceDelta delta;
  delta.content = "caf\xc3";
  delta.reasoning = "\xff ok";
  json chunk = streamChunk(Endpoint::kChat, header("chatcmpl-5"), delta);
  std::string event;
  ASSERT_NO_THROW(event = sseEvent(chunk));
  std::string payload = event.substr(6, event.size() - 8);
  json back = json::parse(payload);
  EXPECT_EQ(back["choices"][0]["delta"]["content"], "caf\xef\xbf\xbd");
  EXPECT_EQ(back["choices"][0]["delta"]["reasoning_content"], "\xef\xbf\xbd ok");
}

} // namespace
} // namespace r1::runtime::serve
