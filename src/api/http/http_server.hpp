// The HTTP library every service listens with: a Boost.Beast HTTP/1.1 server with hard limits on
// header size, body size, request time and connections; requests that carry their headers, the
// client's address and a request id; a router with a middleware chain that runs before every
// route (the Cage fills it: authentication, roles, rate limits, audit); request metrics; and
// WebSocket event streams. Depends on core and Boost only, so any layer above can serve HTTP.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace metanode::api {

struct HttpLimits {
  std::size_t header_bytes_max = 8 * 1024;
  std::size_t body_bytes_max = 1 << 20;
  // Larger (or smaller) body limits for particular paths, e.g. batch submission.
  std::map<std::string, std::size_t> body_bytes_max_by_path;
  // From a request's first byte to its last: a client slower than this (slowloris) is answered
  // 408 request_timeout and closed.
  std::chrono::milliseconds request_timeout{20'000};
  // A connection waiting for the first byte of a request (a new one, or kept alive after an
  // answer) is closed without an answer after this.
  std::chrono::milliseconds idle_timeout{15'000};
  // Writing an answer to a client that does not read it: closed after this.
  std::chrono::milliseconds write_timeout{10'000};
  // Over this many open connections a new one is answered 503 server_busy and closed.
  std::size_t connections_max = 1'024;
  // No one client address holds more than this many (HTTP and WebSocket together), so one client
  // cannot fill the listener: the rest stays open to everyone else. Over it: 429
  // too_many_connections and closed.
  std::size_t connections_per_address_max = 128;
  std::size_t websocket_queue_max = 256;  // messages queued for a slow subscriber before it is dropped
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query
  std::string query;   // after '?', raw
  std::string content_type;
  std::string body;
  // Header fields by lower-case name; a repeated field's values joined with ", " (RFC 9110).
  std::map<std::string, std::string> headers;
  std::string remote_address;  // the client's IP address
  std::uint64_t request_id = 0;  // unique per server; answered in X-Request-Id
  std::string route;  // the matched route pattern ("/v1/txs/{hash}"), or "unmatched"
  // The signer's address as the Cage verified it (RFC 9421); empty for an unsigned request. Set
  // by the Cage only, never from anything the client sent.
  std::string identity;
  std::map<std::string, std::string> params;  // from "{name}" segments of the route
  // A WebSocket upgrade (GET with Upgrade: websocket) on a path the server streams: it goes
  // through the router and its middleware like any request, and is upgraded only if the route's
  // handler (websocket_route) answers 101.
  bool websocket_upgrade = false;

  // The value of `name` in the query string ("a=1&b=2"), if present.
  std::optional<std::string> query_param(std::string_view name) const;
  // The header field `name` (any case), if present.
  std::optional<std::string_view> header(std::string_view name) const;
};

// The value of header field `name` (any case) in a list of (name, value) fields, if present: a
// Response's extra headers, a client's request or reply fields.
std::optional<std::string> find_header(const std::vector<std::pair<std::string, std::string>>& fields,
                                       std::string_view name);

struct Response {
  Response() = default;
  Response(unsigned status_code, std::string type, std::string text = {},
           std::vector<std::pair<std::string, std::string>> fields = {})
      : status(status_code), content_type(std::move(type)), body(std::move(text)), headers(std::move(fields)) {}

  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra fields (name, value)
  // When set, the server calls it with the write of this answer instead of writing at once:
  // `send(true)` (from any thread) sends the answer, `send(false)` closes the connection without
  // one. The Cage sets it so that an answer leaves only once its audit event is on disk.
  std::function<void(std::function<void(bool send)>)> hold;
};

// JSON error body {"error":{"code":"...","number":N,"message":"..."}} with an HTTP status that
// fits the code (400 bad input, 404 not found, 409 conflict, 413/431 too large, 503 full, ...).
Response error_response(const core::Error& error);
Response error_response(unsigned status, std::string_view code, std::string_view message);
unsigned http_status_for(core::ErrorCode code);

using Handler = std::function<Response(const Request&)>;

// The handler of a WebSocket stream's route (GET, the path given to HttpServer::add_websocket):
// 101 for an upgrade the middleware let through, 426 upgrade_required for a plain GET. A stream
// is served only on a path that has such a route, so the Cage sees every subscription.
Handler websocket_route();
// Middleware sees every request after its route is matched (request.route, request.params) and
// before the handler; it answers itself (refusing, say) or calls `next` and may change what
// comes back. Middlewares run in the order they were added.
using Next = std::function<Response(Request&)>;
using Middleware = std::function<Response(Request&, const Next& next)>;

class Router {
 public:
  // `pattern` is a path whose segments may be "{name}" placeholders ("/v1/txs/{hash}").
  void add(std::string method, std::string pattern, Handler handler);
  void use(Middleware middleware);
  // (method, pattern) of every route, in the order they were added.
  std::vector<std::pair<std::string, std::string>> routes() const;
  // Matches the route (setting request.route and request.params), then runs the middleware
  // chain and the route's handler; 404 or 405 as JSON errors when nothing matches (the chain
  // runs for those too, so a refusal is the same whatever the path).
  Response dispatch(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  // The route for the request, or the 404/405 answer.
  const Route* match(Request& request, Response& no_match) const;

  std::vector<Route> routes_;
  std::vector<Middleware> middlewares_;
};

// Request counts and latency histograms per route, in Prometheus text format.
class HttpMetrics {
 public:
  void observe(const std::string& route, unsigned status, double seconds);
  std::string render(std::string_view prefix) const;

 private:
  static constexpr double kBucketsSeconds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  static constexpr std::size_t kBucketCount = std::size(kBucketsSeconds);
  struct Series {
    std::uint64_t buckets[kBucketCount + 1] = {};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, unsigned>, std::uint64_t> requests_;
  std::map<std::string, Series> latency_;
};

class WebSocketSession;

// Fan-out of text messages to WebSocket subscribers of one path ("/v1/events").
class EventHub {
 public:
  void publish(std::string message);
  std::size_t subscribers() const;

  void add(const std::shared_ptr<WebSocketSession>& session);
  void remove(const WebSocketSession* session);

 private:
  mutable std::mutex mutex_;
  std::set<std::shared_ptr<WebSocketSession>> sessions_;
};

class ConnectionTable;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, Router& router, HttpLimits limits, HttpMetrics& metrics);
  ~HttpServer();

  // WebSocket upgrades on `path` join `hub`; the router needs the route GET `path` with
  // websocket_route() as its handler (an upgrade is dispatched like any request first).
  void add_websocket(std::string path, EventHub& hub);

  // Binds and starts accepting; port 0 picks a free port (see port()).
  core::Status listen(const std::string& address, std::uint16_t port);
  std::uint16_t port() const { return port_; }
  void stop();

  // Open connections, and those refused for the limits since the server started (answered 429 or
  // 503, or closed at once when too many refusals are still being answered).
  std::size_t connections() const;
  std::uint64_t connections_refused() const;

 private:
  void accept();

  boost::asio::io_context& io_;
  Router& router_;
  HttpLimits limits_;
  HttpMetrics& metrics_;
  std::map<std::string, EventHub*> websockets_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::shared_ptr<ConnectionTable> connections_;
  std::shared_ptr<std::atomic<std::uint64_t>> next_request_id_ = std::make_shared<std::atomic<std::uint64_t>>(1);
  std::uint16_t port_ = 0;
};

}  // namespace metanode::api
