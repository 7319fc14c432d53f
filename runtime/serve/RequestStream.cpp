//===- RequestStream.cpp - A connection whose requests must arrive in time ===//

#include "runtime/serve/RequestStream.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

namespace r1::runtime::serve {

namespace {

/// poll() for `events` up to `ms`, retrying on signals; > 0 when ready.
int waitFor(int socket, short events, int ms) {
  pollfd p{socket, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, ms);
    if (n < 0 && errno == EINTR)
      continue;
    if (n > 0 && (p.revents & (POLLERR | POLLNVAL)))
      return -1;
    return n;
  }
}

void addressOf(const sockaddr_storage &a, std::string &ip, int &port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (a.ss_family == AF_INET) {
    auto *in = reinterpret_cast<const sockaddr_in *>(&a);
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    port = ntohs(in->sin_port);
  } else if (a.ss_family == AF_INET6) {
    auto *in6 = reinterpret_cast<const sockaddr_in6 *>(&a);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
  }
  ip = text;
}

} // namespace

RequestStream::RequestStream(int socket, std::chrono::milliseconds requestLimit,
                             std::chrono::milliseconds readTimeout,
                             std::chrono::milliseconds writeTimeout)
    : socket_(socket), requestLimit_(requestLimit), readTimeout_(readTimeout),
      writeTimeout_(writeTimeout) {}

int RequestStream::readWaitMs() const {
  auto wait = readTimeout_;
  if (reading_) {
    // Rounded up, so that a wait that ends on the deadline is past it.
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
    if (left.count() <= 0) {
      timedOut_ = true;
      return 0;
    }
    wait = std::min(wait, left);
  }
  return static_cast<int>(wait.count());
}

bool RequestStream::is_readable() const {
  if (begin_ < end_)
    return true;
  int ms = readWaitMs();
  return ms > 0 && waitFor(socket_, POLLIN, ms) > 0;
}

bool RequestStream::is_writable() const {
  if (waitFor(socket_, POLLOUT, static_cast<int>(writeTimeout_.count())) <= 0)
    return false;
  // A peer that closed its end reads as readable with nothing to read.
  if (waitFor(socket_, POLLIN, 0) > 0) {
    char byte;
    if (::recv(socket_, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
      return false;
  }
  return true;
}

ssize_t RequestStream::read(char *ptr, size_t size) {
  if (!reading_) {
    // A request's first read: its deadline starts.
    reading_ = true;
    deadline_ = Clock::now() + requestLimit_;
  }
  if (begin_ == end_) {
    int ms = readWaitMs();
    if (ms <= 0 || waitFor(socket_, POLLIN, ms) <= 0) {
      if (Clock::now() >= deadline_)
        timedOut_ = true;
      return -1;
    }
    ssize_t n;
    do
      n = ::recv(socket_, buffer_, sizeof buffer_, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
      return n;
    begin_ = 0;
    end_ = static_cast<size_t>(n);
  }
  size_t n = std::min(size, end_ - begin_);
  std::memcpy(ptr, buffer_ + begin_, n);
  begin_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t RequestStream::write(const char *ptr, size_t size) {
  reading_ = false; // the response: the request is over
  if (waitFor(socket_, POLLOUT, static_cast<int>(writeTimeout_.count())) <= 0)
    return -1;
  ssize_t n;
  do
    n = ::send(socket_, ptr, size, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n;
}

void RequestStream::get_remote_ip_and_port(std::string &ip, int &port) const {
  sockaddr_storage a{};
  socklen_t length = sizeof a;
  if (::getpeername(socket_, reinterpret_cast<sockaddr *>(&a), &length) == 0)
    addressOf(a, ip, port);
}

void RequestStream::get_local_ip_and_port(std::string &ip, int &port) const {
  sockaddr_storage a{};
  socklen_t length = sizeof a;
  if (::getsockname(socket_, reinterpret_cast<sockaddr *>(&a), &length) == 0)
    addressOf(a, ip, port);
}

bool RequestStream::waitForRequest(std::chrono::milliseconds timeout,
                                   const std::function<bool()> &stopping) {
  if (begin_ < end_)
    return true; // a pipelined request is already buffered
  const auto end = Clock::now() + timeout;
  while (!stopping()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    if (left.count() <= 0)
      return false;
    int ready = waitFor(socket_, POLLIN, static_cast<int>(std::min<int64_t>(left.count(), 100)));
    if (ready < 0)
      return false;
    if (ready > 0) {
      char byte;
      return ::recv(socket_, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
    }
  }
  return false;
}

} // namespace r1::runtime::serve
