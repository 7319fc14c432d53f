//===- RequestStream.h - A connection whose requests must arrive in time --===//
//
// cpp-httplib's read timeout bounds each wait for bytes, not a request: a
// client that sends one byte every second (slowloris) would hold an HTTP
// thread forever, and enough of them would take every thread. RequestStream
// is the httplib::Stream the server reads connections through instead: the
// first read of a request starts a deadline for the whole request (headers
// and body), and a read past it fails, so httplib drops the connection.
// Writing the response ends the request; the next read starts the next one.
//
// It also buffers reads (httplib parses headers a byte at a time) and sends
// with MSG_NOSIGNAL, waiting at most the write timeout for a slow reader.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_SERVE_REQUESTSTREAM_H
#define R1C_RUNTIME_SERVE_REQUESTSTREAM_H

#include <httplib.h>

#include <chrono>
#include <cstddef>

namespace r1::runtime::serve {

class RequestStream : public httplib::Stream {
public:
  using Clock = std::chrono::steady_clock;

  /// `requestLimit`: the most time from a request's first byte to its last;
  /// `readTimeout`/`writeTimeout`: the most time one read or write waits.
  RequestStream(int socket, std::chrono::milliseconds requestLimit,
                std::chrono::milliseconds readTimeout, std::chrono::milliseconds writeTimeout);

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char *ptr, size_t size) override;
  ssize_t write(const char *ptr, size_t size) override;
  void get_remote_ip_and_port(std::string &ip, int &port) const override;
  void get_local_ip_and_port(std::string &ip, int &port) const override;
  int socket() const override { return socket_; }

  /// Waits up to `timeout` for the next request's first byte (keep-alive);
  /// false when none came or the peer closed. `stopping` is checked every
  /// 100 ms.
  bool waitForRequest(std::chrono::milliseconds timeout, const std::function<bool()> &stopping);
  /// Whether a read failed for passing the request's deadline.
  bool timedOut() const { return timedOut_; }

private:
  /// Milliseconds a read may wait now: the read timeout, or less when the
  /// request's deadline is nearer; 0 when it has passed.
  int readWaitMs() const;

  int socket_;
  std::chrono::milliseconds requestLimit_, readTimeout_, writeTimeout_;
  bool reading_ = false; // in a request (after its first read, before a write)
  Clock::time_point deadline_{};
  mutable bool timedOut_ = false;
  char buffer_[4096];
  size_t begin_ = 0, end_ = 0; // buffered bytes: buffer_[begin_, end_)
};

} // namespace r1::runtime::serve

#endif // R1C_RUNTIME_SERVE_REQUESTSTREAM_H
