//===- Metrics.cpp - The server's counters in Prometheus text format ------===//

#include "runtime/serve/Metrics.h"

#include <charconv>

namespace r1::runtime::serve {

namespace {

/// The shortest text that reads back as `value` ("0.0025", not
/// "0.0025000000000000001").
std::string number(double value) {
  char text[64];
  auto [end, error] = std::to_chars(text, text + sizeof text, value);
  return error == std::errc() ? std::string(text, end) : "NaN";
}

void metric(std::string &out, const char *name, const char *type, const char *help,
            const std::string &samples) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
         samples;
}

} // namespace

void Histogram::observe(double seconds) {
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i])
    ++i;
  ++counts_[i];
  sum_ += seconds;
  ++count_;
}

std::string Histogram::text(const std::string &name) const {
  std::string out;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += counts_[i];
    out += name + "_bucket{le=\"" + number(kBounds[i]) + "\"} " + std::to_string(cumulative) +
           "\n";
  }
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
  out += name + "_sum " + number(sum_) + "\n";
  out += name + "_count " + std::to_string(count_) + "\n";
  return out;
}

void Metrics::request(const std::string &endpoint, int status) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{endpoint, status}];
}

void Metrics::tokens(int64_t prompt, int64_t completion) {
  std::lock_guard<std::mutex> lock(mutex_);
  promptTokens_ += static_cast<uint64_t>(prompt);
  completionTokens_ += static_cast<uint64_t>(completion);
}

void Metrics::timeToFirstToken(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ttft_.observe(seconds);
}

void Metrics::interTokenLatency(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  itl_.observe(seconds);
}

std::string Metrics::render(const EngineStats &engine, uint64_t timedOutConnections) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out, samples;
  for (const auto &[key, count] : requests_)
    samples += "r1_requests_total{endpoint=\"" + key.first + "\",status=\"" +
               std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
  metric(out, "r1_requests_total", "counter", "HTTP requests by endpoint and status.", samples);
  metric(out, "r1_prompt_tokens_total", "counter", "Prompt tokens of accepted requests.",
         "r1_prompt_tokens_total " + std::to_string(promptTokens_) + "\n");
  metric(out, "r1_completion_tokens_total", "counter", "Tokens generated.",
         "r1_completion_tokens_total " + std::to_string(completionTokens_) + "\n");
  auto gauge = [&](const char *name, const char *help, int64_t value) {
    metric(out, name, "gauge", help, std::string(name) + " " + std::to_string(value) + "\n");
  };
  gauge("r1_queue_depth", "Requests (choices) waiting for a slot.", engine.queued);
  gauge("r1_running_sequences", "Sequences being generated.", engine.running);
  gauge("r1_kv_tokens_reserved", "KV cache tokens reserved by running sequences.",
        engine.kvTokensReserved);
  gauge("r1_kv_tokens_capacity", "KV cache tokens the server may reserve (--kv-tokens).",
        engine.kvTokensCapacity);
  metric(out, "r1_decode_steps_total", "counter", "Batched decode steps run.",
         "r1_decode_steps_total " + std::to_string(engine.decodeSteps) + "\n");
  metric(out, "r1_decoded_tokens_total", "counter",
         "Tokens those steps ran (over r1_decode_steps_total: the mean batch).",
         "r1_decoded_tokens_total " + std::to_string(engine.decodedTokens) + "\n");
  metric(out, "r1_request_timeouts_total", "counter",
         "Connections closed for not sending a whole request within --read-timeout.",
         "r1_request_timeouts_total " + std::to_string(timedOutConnections) + "\n");
  metric(out, "r1_time_to_first_token_seconds", "histogram",
         "From a request's arrival to its first generated token.",
         ttft_.text("r1_time_to_first_token_seconds"));
  metric(out, "r1_inter_token_latency_seconds", "histogram",
         "Between consecutive tokens of one sequence.",
         itl_.text("r1_inter_token_latency_seconds"));
  return out;
}

} // namespace r1::runtime::serve
