//===- ServerPartsTest.cpp - The server's pieces below HTTP routing -------===//
//
// RequestStream's whole-request deadline (over a socketpair: a slowloris
// writer fails the read once the deadline passes, a prompt one does not),
// the constant-time key comparison, and the metrics' exposition format.
//
//===----------------------------------------------------------------------===//

#include "runtime/serve/Metrics.h"
#include "runtime/serve/RequestStream.h"
#include "runtime/serve/Server.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace r1::runtime::serve {
namespace {

using namespace std::chrono_literals;

struct SocketPair {
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0); }
  ~SocketPair() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  int fds[2] = {-1, -1};
};

TEST(RequestStreamTest, ASlowRequestFailsAtItsDeadline) {
  SocketPair pair;
  RequestStream stream(pair.fds[0], 300ms, 1000ms, 1000ms);
  // One byte every 50 ms: each read is quick, the request is not.
  std::thread writer([&] {
    for (int i = 0; i < 20; ++i) {
      if (::send(pair.fds[1], "x", 1, MSG_NOSIGNAL) != 1)
        return;
      std::this_thread::sleep_for(50ms);
    }
  });
  auto start = RequestStream::Clock::now();
  char byte;
  int got = 0;
  while (stream.read(&byte, 1) == 1)
    ++got;
  auto took = RequestStream::Clock::now() - start;
  writer.join();
  EXPECT_TRUE(stream.timedOut());
  EXPECT_GE(got, 3);
  EXPECT_LT(got, 20);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2000ms); // loose: a loaded CI machine; got < 20 is the real check
}

TEST(RequestStreamTest, AWriteStartsTheNextRequest) {
  SocketPair pair;
  RequestStream stream(pair.fds[0], 200ms, 1000ms, 1000ms);
  char buffer[8];
  for (int request = 0; request < 3; ++request) {
    ASSERT_EQ(::send(pair.fds[1], "abc", 3, 0), 3);
    EXPECT_EQ(stream.read(buffer, sizeof buffer), 3);
    EXPECT_EQ(stream.write("ok", 2), 2); // the response
    ASSERT_EQ(::recv(pair.fds[1], buffer, sizeof buffer, 0), 2);
    std::this_thread::sleep_for(120ms); // 3 x 120 ms: over one request's limit in all
  }
  EXPECT_FALSE(stream.timedOut());
}

TEST(RequestStreamTest, BuffersReads) {
  SocketPair pair;
  RequestStream stream(pair.fds[0], 1000ms, 1000ms, 1000ms);
  ASSERT_EQ(::send(pair.fds[1], "GET / HTTP/1.1\r\n", 16, 0), 16);
  std::string line;
  char byte;
  while (line.size() < 16 && stream.read(&byte, 1) == 1)
    line += byte;
  EXPECT_EQ(line, "GET / HTTP/1.1\r\n");
}

TEST(RequestStreamTest, WaitForRequestSeesAClosedPeer) {
  SocketPair pair;
  RequestStream stream(pair.fds[0], 1000ms, 1000ms, 1000ms);
  ::shutdown(pair.fds[1], SHUT_WR);
  EXPECT_FALSE(stream.waitForRequest(500ms, [] { return false; }));
  EXPECT_FALSE(stream.waitForRequest(500ms, [] { return true; })); // stopping
}

TEST(ConstantTimeEqualsTest, ComparesKeys) {
  EXPECT_TRUE(constantTimeEquals("sk-secret", "sk-secret"));
  EXPECT_FALSE(constantTimeEquals("sk-secreT", "sk-secret"));
  EXPECT_FALSE(constantTimeEquals("sk-secret-and-more", "sk-secret"));
  EXPECT_FALSE(constantTimeEquals("sk", "sk-secret"));
  EXPECT_FALSE(constantTimeEquals("", "sk-secret"));
  // A key that repeats a prefix is not mistaken for it.
  EXPECT_FALSE(constantTimeEquals("abab", "ab"));
}

TEST(MetricsTest, PrometheusText) {
  Metrics metrics;
  metrics.request("/v1/chat/completions", 200);
  metrics.request("/v1/chat/completions", 200);
  metrics.request("/v1/chat/completions", 503);
  metrics.tokens(11, 48);
  metrics.timeToFirstToken(0.003);
  metrics.timeToFirstToken(40);
  EngineStats engine;
  engine.queued = 2, engine.running = 3, engine.kvTokensReserved = 300;
  engine.kvTokensCapacity = 4096;
  std::string text = metrics.render(engine, 1);
  for (const char *line :
       {"r1_requests_total{endpoint=\"/v1/chat/completions\",status=\"200\"} 2\n",
        "r1_requests_total{endpoint=\"/v1/chat/completions\",status=\"503\"} 1\n",
        "r1_prompt_tokens_total 11\n", "r1_completion_tokens_total 48\n", "r1_queue_depth 2\n",
        "r1_running_sequences 3\n", "r1_kv_tokens_reserved 300\n",
        "r1_kv_tokens_capacity 4096\n", "r1_request_timeouts_total 1\n",
        "# TYPE r1_time_to_first_token_seconds histogram\n",
        // Cumulative buckets: 0.003 s is in le=0.005 and above, 40 s only in +Inf.
        "r1_time_to_first_token_seconds_bucket{le=\"0.0025\"} 0\n",
        "r1_time_to_first_token_seconds_bucket{le=\"0.005\"} 1\n",
        "r1_time_to_first_token_seconds_bucket{le=\"30\"} 1\n",
        "r1_time_to_first_token_seconds_bucket{le=\"+Inf\"} 2\n",
        "r1_time_to_first_token_seconds_count 2\n",
        "r1_inter_token_latency_seconds_count 0\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nnot in:\n" << text;
}

} // namespace
} // namespace r1::runtime::serve
