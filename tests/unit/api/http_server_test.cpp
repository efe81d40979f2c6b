// The HTTP server on real sockets: framing that could smuggle a request is refused with 400 and
// the connection closed, with none of its bytes run as another request; and one client address
// holding thousands of idle connections does not lock anyone else out.
#include "api/http/http_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace metanode::api {
namespace {

using Clock = std::chrono::steady_clock;

// A connected socket from `source` (a loopback address) to 127.0.0.1:port; -1 on failure.
int connect_from(const char* source, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Everything the server sends until it closes the connection (closed = true) or goes quiet for
// `quiet` (closed = false).
struct Received {
  std::string bytes;
  bool closed = false;
};

Received read_all(int fd, std::chrono::milliseconds quiet) {
  Received r;
  char buf[4096];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(quiet.count())) <= 0) return r;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      r.closed = true;
      return r;
    }
    r.bytes.append(buf, static_cast<std::size_t>(n));
  }
}

bool send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpLimits limits = {}) {
    router_.add("POST", "/echo", [](const Request& req) { return Response{200, "text/plain", req.body, {}}; });
    router_.add("GET", "/count", [this](const Request&) {
      ++counted_;
      return Response{200, "text/plain", "counted", {}};
    });
    server_.emplace(io_, router_, limits, metrics_);
    ASSERT_TRUE(server_->listen("127.0.0.1", 0).ok());
    port_ = server_->port();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  void TearDown() override {
    if (server_) server_->stop();
    io_.stop();
    for (auto& t : threads_) t.join();
  }

  // Sends `bytes` on a fresh connection and reads what comes back.
  Received exchange(const std::string& bytes, const char* source = "127.0.0.1") {
    const int fd = connect_from(source, port_);
    EXPECT_GE(fd, 0);
    if (fd < 0) return {};
    EXPECT_TRUE(send_all(fd, bytes));
    Received r = read_all(fd, std::chrono::milliseconds(2'000));
    ::close(fd);
    return r;
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  Router router_;
  HttpMetrics metrics_;
  std::optional<HttpServer> server_;
  std::uint16_t port_ = 0;
  std::atomic<int> counted_{0};
  std::vector<std::thread> threads_;
};

const std::string kSmuggled = "GET /count HTTP/1.1\r\nHost: x\r\n\r\n";

TEST_F(HttpServerTest, AmbiguousFramingIs400AndClosedWithNothingRunFromItsBytes) {
  ASSERT_NO_FATAL_FAILURE(start());
  // Each head is followed by a complete second request: none may ever be run.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"gzip coding", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"},
      {"chunked not last", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"},
      {"two codings", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"},
      {"two TE fields", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"TE and CL", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"CL and TE", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"},
      {"TE in 1.0", "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"duplicate CL", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n"},
      {"differing CL", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 2\r\n\r\n"},
      {"CL list", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0, 0\r\n\r\n"},
      {"signed CL", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +0\r\n\r\n"},
      {"obs-fold", "GET /count HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n"},
      {"space before colon", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length : 0\r\n\r\n"},
      {"bare CR", "GET /count HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n"},
      {"bare LF", "GET /count HTTP/1.1\nHost: x\n\n"},
  };
  for (const auto& [what, head] : vectors) {
    const Received r = exchange(head + kSmuggled);
    EXPECT_EQ(r.bytes.rfind("HTTP/1.1 400 ", 0), 0u) << what << ": " << r.bytes;
    EXPECT_NE(r.bytes.find("bad_request"), std::string::npos) << what;
    EXPECT_EQ(count_of(r.bytes, "HTTP/1.1 "), 1u) << what << ": " << r.bytes;
    EXPECT_TRUE(r.closed) << what;
  }
  EXPECT_EQ(counted_.load(), 0) << "a request was run from a refused request's bytes";
}

TEST_F(HttpServerTest, SoundRequestsStillWorkChunkedAndPipelined) {
  ASSERT_NO_FATAL_FAILURE(start());
  const Received chunked = exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.bytes.rfind("HTTP/1.1 200 ", 0), 0u) << chunked.bytes;
  EXPECT_NE(chunked.bytes.find("\r\n\r\nhello"), std::string::npos) << chunked.bytes;
  // Two requests in one write, with an empty line before the second (which RFC 9112 lets a
  // server ignore), then a third that closes.
  const Received pipelined =
      exchange(kSmuggled + "\r\n" + kSmuggled + "GET /count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(count_of(pipelined.bytes, "HTTP/1.1 200 "), 3u) << pipelined.bytes;
  EXPECT_TRUE(pipelined.closed);
  EXPECT_EQ(counted_.load(), 3);
}

TEST_F(HttpServerTest, OneAddressHoldingThousandsOfIdleSocketsLocksNobodyOut) {
  // 3,000 client sockets plus the server's side: raise the descriptor limit as far as allowed.
  rlimit files{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &files), 0);
  if (files.rlim_cur < 4'000 && files.rlim_max >= 4'000) {
    files.rlim_cur = 4'000;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &files), 0);
  }
  if (files.rlim_cur < 4'000) GTEST_SKIP() << "needs 4,000 file descriptors; the hard limit is " << files.rlim_max;
  HttpLimits limits;
  limits.request_timeout = std::chrono::milliseconds(60'000);  // idle sockets stay for the whole test
  ASSERT_NO_FATAL_FAILURE(start(limits));
  std::vector<int> idle;
  for (int i = 0; i < 3'000; ++i) {
    const int fd = connect_from("127.0.0.1", port_);
    ASSERT_GE(fd, 0) << "connect " << i << ": " << std::strerror(errno);
    idle.push_back(fd);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (server_->connections_refused() < 3'000 - limits.connections_per_address_max && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(server_->connections(), limits.connections_per_address_max);
  EXPECT_EQ(server_->connections_refused(), 3'000 - limits.connections_per_address_max);

  // Another client is served as usual, several times over.
  for (int i = 0; i < 5; ++i) {
    const Received other = exchange("GET /count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "127.0.0.2");
    EXPECT_EQ(other.bytes.rfind("HTTP/1.1 200 ", 0), 0u) << other.bytes;
  }
  // The greedy address gets no more than its share while it holds it...
  const Received greedy = exchange(kSmuggled, "127.0.0.1");
  EXPECT_TRUE(greedy.bytes.empty()) << greedy.bytes;
  // ...and is served again once it lets go.
  for (const int fd : idle) ::close(fd);
  const auto released = Clock::now() + std::chrono::seconds(20);
  while (server_->connections() > 0 && Clock::now() < released) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const Received again = exchange("GET /count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "127.0.0.1");
  EXPECT_EQ(again.bytes.rfind("HTTP/1.1 200 ", 0), 0u) << again.bytes;
  EXPECT_EQ(counted_.load(), 6);
}

}  // namespace
}  // namespace metanode::api
