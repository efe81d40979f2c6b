// The HTTP server on real sockets: framing that could smuggle a request is refused with 400 and
// the connection closed, with none of its bytes run as another request; one client address
// holding thousands of idle connections does not lock anyone else out; connections over a limit
// are answered 429 or 503, slow requests 408, idle connections closed; and a WebSocket upgrade
// passes the middleware.
#include "api/http/http_server.hpp"

#include <gtest/gtest.h>

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

#include "support/raw_socket.hpp"

namespace metanode::api {
namespace {

using Clock = std::chrono::steady_clock;

using testing::connect_from;
using testing::enough_descriptors;
using testing::read_all;
using testing::Received;
using testing::send_all;

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

  EventHub hub_;  // before io_: destroyed after the io threads are joined
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

std::string error_code_of(const std::string& bytes) { return testing::error_code_in(bytes); }

TEST_F(HttpServerTest, FiveThousandIdleSocketsFromOneAddressAreRefusedWith429AndLockNobodyOut) {
  // 5,000 client sockets plus the server's side.
  if (!enough_descriptors(12'000)) GTEST_SKIP() << "needs 12,000 file descriptors";
  HttpLimits limits;
  limits.idle_timeout = std::chrono::milliseconds(60'000);  // idle sockets stay for the whole test
  ASSERT_NO_FATAL_FAILURE(start(limits));
  constexpr int kIdle = 5'000;
  std::vector<int> idle;
  for (int i = 0; i < kIdle; ++i) {
    const int fd = connect_from("127.0.0.1", port_);
    ASSERT_GE(fd, 0) << "connect " << i << ": " << std::strerror(errno);
    idle.push_back(fd);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (server_->connections_refused() < kIdle - limits.connections_per_address_max && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(server_->connections(), limits.connections_per_address_max);
  EXPECT_EQ(server_->connections_refused(), kIdle - limits.connections_per_address_max);
  // The last ones were refused with an answer (a few hundred at a time are answered; the rest
  // of a flood is closed at once): 429 with a stable code and Retry-After.
  const Received refused = read_all(idle.back(), std::chrono::milliseconds(2'000));
  if (!refused.bytes.empty()) {
    EXPECT_EQ(refused.bytes.rfind("HTTP/1.1 429 ", 0), 0u) << refused.bytes;
    EXPECT_EQ(error_code_of(refused.bytes), "too_many_connections") << refused.bytes;
    EXPECT_NE(refused.bytes.find("Retry-After: 1"), std::string::npos) << refused.bytes;
  }
  EXPECT_TRUE(refused.closed);

  // Another client is served as usual, several times over.
  for (int i = 0; i < 5; ++i) {
    const Received other = exchange("GET /count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "127.0.0.2");
    EXPECT_EQ(other.bytes.rfind("HTTP/1.1 200 ", 0), 0u) << other.bytes;
  }
  // The greedy address gets no more than its share while it holds it: a 429, not its request
  // (answered once the flood's own refusals, at most a second each, have drained)...
  Received greedy = exchange(kSmuggled, "127.0.0.1");
  for (const auto until = Clock::now() + std::chrono::seconds(5); greedy.bytes.empty() && Clock::now() < until;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    greedy = exchange(kSmuggled, "127.0.0.1");
  }
  EXPECT_EQ(greedy.bytes.rfind("HTTP/1.1 429 ", 0), 0u) << greedy.bytes;
  EXPECT_EQ(error_code_of(greedy.bytes), "too_many_connections") << greedy.bytes;
  // ...and is served again once it lets go.
  for (const int fd : idle) ::close(fd);
  const auto released = Clock::now() + std::chrono::seconds(20);
  while (server_->connections() > 0 && Clock::now() < released) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const Received again = exchange("GET /count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "127.0.0.1");
  EXPECT_EQ(again.bytes.rfind("HTTP/1.1 200 ", 0), 0u) << again.bytes;
  EXPECT_EQ(counted_.load(), 6);
}

TEST_F(HttpServerTest, AFullListenerAnswers503ServerBusy) {
  HttpLimits limits;
  limits.connections_max = 20;
  limits.idle_timeout = std::chrono::milliseconds(60'000);
  ASSERT_NO_FATAL_FAILURE(start(limits));
  std::vector<int> held;
  for (int i = 0; i < 20; ++i) {  // from many addresses, so no address reaches its own share
    const std::string source = "127.0.1." + std::to_string(i + 1);
    held.push_back(connect_from(source.c_str(), port_));
    ASSERT_GE(held.back(), 0);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (server_->connections() < 20 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const Received busy = exchange(kSmuggled, "127.0.2.1");
  EXPECT_EQ(busy.bytes.rfind("HTTP/1.1 503 ", 0), 0u) << busy.bytes;
  EXPECT_EQ(error_code_of(busy.bytes), "server_busy") << busy.bytes;
  EXPECT_NE(busy.bytes.find("Retry-After: 1"), std::string::npos) << busy.bytes;
  EXPECT_EQ(counted_.load(), 0);
  for (const int fd : held) ::close(fd);
}

TEST_F(HttpServerTest, ASlowlorisClientIsAnswered408WhileOthersAreServed) {
  HttpLimits limits;
  limits.request_timeout = std::chrono::milliseconds(2'500);
  ASSERT_NO_FATAL_FAILURE(start(limits));
  const int slow = connect_from("127.0.0.1", port_);
  ASSERT_GE(slow, 0);
  const std::string head = "GET /count HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaa\r\n\r\n";
  Received answer;
  // One byte a second, as a slowloris client sends; others are served meanwhile.
  for (std::size_t i = 0; i < head.size() && !answer.closed; ++i) {
    if (!send_all(slow, head.substr(i, 1))) break;
    const Received other = exchange("GET /count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(other.bytes.rfind("HTTP/1.1 200 ", 0), 0u) << other.bytes;
    const Received got = read_all(slow, std::chrono::milliseconds(1'000));
    answer.bytes += got.bytes;
    answer.closed = got.closed;
  }
  answer.closed = answer.closed || read_all(slow, std::chrono::milliseconds(2'000)).closed;
  ::close(slow);
  EXPECT_EQ(answer.bytes.rfind("HTTP/1.1 408 ", 0), 0u) << answer.bytes;
  EXPECT_EQ(error_code_of(answer.bytes), "request_timeout") << answer.bytes;
  EXPECT_TRUE(answer.closed);
  EXPECT_GE(counted_.load(), 2);  // the others; never the slow one
}

TEST_F(HttpServerTest, AnIdleConnectionIsClosedWithoutAnAnswer) {
  HttpLimits limits;
  limits.idle_timeout = std::chrono::milliseconds(300);
  ASSERT_NO_FATAL_FAILURE(start(limits));
  // Never sends a byte.
  const int idle = connect_from("127.0.0.1", port_);
  ASSERT_GE(idle, 0);
  const Received quiet = read_all(idle, std::chrono::milliseconds(5'000));
  ::close(idle);
  EXPECT_TRUE(quiet.closed);
  EXPECT_TRUE(quiet.bytes.empty()) << quiet.bytes;
  // Kept alive after an answer, then idle: closed as well.
  const int kept = connect_from("127.0.0.1", port_);
  ASSERT_GE(kept, 0);
  ASSERT_TRUE(send_all(kept, kSmuggled));
  const Received served = read_all(kept, std::chrono::milliseconds(5'000));
  ::close(kept);
  EXPECT_EQ(count_of(served.bytes, "HTTP/1.1 200 "), 1u) << served.bytes;
  EXPECT_TRUE(served.closed);
}

TEST_F(HttpServerTest, AWebSocketUpgradePassesTheMiddlewareLikeAnyRequest) {
  EventHub& hub = hub_;  // the fixture's: sessions may still touch it until TearDown stops the threads
  std::atomic<int> seen{0};
  router_.use([&](Request& request, const Next& next) {
    ++seen;
    if (request.header("x-deny")) return error_response(403, "denied", "not you");
    return next(request);
  });
  router_.add("GET", "/stream", websocket_route());
  ASSERT_NO_FATAL_FAILURE(start());
  server_->add_websocket("/stream", hub);
  const std::string upgrade =
      "GET /stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  const Received denied = exchange(upgrade + "X-Deny: 1\r\n\r\n");
  EXPECT_EQ(denied.bytes.rfind("HTTP/1.1 403 ", 0), 0u) << denied.bytes;
  EXPECT_EQ(error_code_of(denied.bytes), "denied");
  EXPECT_EQ(hub.subscribers(), 0u);

  const int fd = connect_from("127.0.0.1", port_);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(send_all(fd, upgrade + "\r\n"));
  const Received accepted = read_all(fd, std::chrono::milliseconds(500));
  EXPECT_EQ(accepted.bytes.rfind("HTTP/1.1 101 ", 0), 0u) << accepted.bytes;
  EXPECT_EQ(hub.subscribers(), 1u);
  ::close(fd);
  EXPECT_EQ(seen.load(), 2);

  // A plain GET on the stream's path: 426 with Upgrade.
  const Received plain = exchange("GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(plain.bytes.rfind("HTTP/1.1 426 ", 0), 0u) << plain.bytes;
  EXPECT_EQ(error_code_of(plain.bytes), "upgrade_required");
}

}  // namespace
}  // namespace metanode::api
