#include "api/http/http_server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cctype>
#include <deque>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "api/http/framing.hpp"

namespace metanode::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// ---------------------------------------------------------------------------------------------
// Requests, responses, errors

std::optional<std::string_view> Request::header(std::string_view name) const {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto it = headers.find(lower);
  if (it == headers.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::optional<std::string> find_header(const std::vector<std::pair<std::string, std::string>>& fields,
                                       std::string_view name) {
  for (const auto& [field, value] : fields) {
    if (field.size() == name.size() && std::equal(field.begin(), field.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      return value;
    }
  }
  return std::nullopt;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

unsigned http_status_for(core::ErrorCode code) {
  using core::ErrorCode;
  switch (code) {
    case ErrorCode::kNotFound:
    case ErrorCode::kKeyNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kMempoolDuplicate:
    case ErrorCode::kTxNonceTooLow:
    case ErrorCode::kMempoolReplacementUnderpriced:
      return 409;
    case ErrorCode::kTxTooLarge:
      return 413;
    case ErrorCode::kMempoolFull:
      return 503;
    case ErrorCode::kMempoolSenderQuota:
      return 429;
    case ErrorCode::kInternal:
    case ErrorCode::kIo:
    case ErrorCode::kStorageIo:
    case ErrorCode::kStorageCorrupt:
    case ErrorCode::kStateCorrupt:
    case ErrorCode::kBlockCorrupt:
      return 500;
    default:
      return 400;
  }
}

namespace {
// Never throws on text that is not UTF-8 (it is replaced): an answer must always be writable.
std::string json_text(const nlohmann::json& doc) { return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }
}  // namespace

Response error_response(unsigned status, std::string_view code, std::string_view message) {
  nlohmann::json doc = {{"error", {{"code", code}, {"message", message}}}};
  return Response{status, "application/json", json_text(doc), {}};
}

Response error_response(const core::Error& error) {
  nlohmann::json doc = {
      {"error", {{"code", error.code_name()}, {"number", static_cast<int>(error.code)}, {"message", error.message}}}};
  return Response{http_status_for(error.code), "application/json", json_text(doc), {}};
}

Handler websocket_route() {
  return [](const Request& request) {
    if (request.websocket_upgrade) return Response{101, "", "", {}};
    Response refusal = error_response(426, "upgrade_required",
                                      request.path + " is a WebSocket stream: connect with Upgrade: websocket");
    refusal.headers.emplace_back("Upgrade", "websocket");
    return refusal;
  };
}

// ---------------------------------------------------------------------------------------------
// Router

namespace {
std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start) out.emplace_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}
}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  Route route{std::move(method), pattern, split_path(pattern), std::move(handler)};
  routes_.push_back(std::move(route));
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

void Router::use(Middleware middleware) { middlewares_.push_back(std::move(middleware)); }

const Router::Route* Router::match(Request& request, Response& no_match) const {
  const auto segments = split_path(request.path);
  bool path_matched = false;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      const std::string& want = route.segments[i];
      if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        params[want.substr(1, want.size() - 2)] = segments[i];
      } else {
        match = want == segments[i];
      }
    }
    if (!match) continue;
    path_matched = true;
    if (route.method != request.method) continue;
    request.route = route.pattern;
    request.params = std::move(params);
    return &route;
  }
  request.route = "unmatched";
  no_match = path_matched
                 ? error_response(405, "method_not_allowed", request.method + " is not allowed on " + request.path)
                 : error_response(404, "not_found", "no route for " + request.path);
  return nullptr;
}

Response Router::dispatch(Request& request) const {
  Response no_match;
  const Route* route = match(request, no_match);
  // The chain, innermost first: the handler (or the 404/405), then each middleware around it.
  std::size_t index = 0;
  Next next = [&](Request& req) -> Response {
    if (index == middlewares_.size()) return route != nullptr ? route->handler(req) : no_match;
    const Middleware& middleware = middlewares_[index++];
    return middleware(req, next);
  };
  return next(request);
}

// ---------------------------------------------------------------------------------------------
// Metrics

void HttpMetrics::observe(const std::string& route, unsigned status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  Series& s = latency_[route];
  std::size_t i = 0;
  while (i < kBucketCount && seconds > kBucketsSeconds[i]) ++i;
  ++s.buckets[i];
  ++s.count;
  s.sum += seconds;
}

std::string HttpMetrics::render(std::string_view prefix) const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  out << "# HELP " << prefix << "_http_requests_total HTTP requests by route and status.\n";
  out << "# TYPE " << prefix << "_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out << prefix << "_http_requests_total{route=\"" << key.first << "\",status=\"" << key.second << "\"} " << count
        << "\n";
  }
  out << "# HELP " << prefix << "_http_request_duration_seconds HTTP request latency by route.\n";
  out << "# TYPE " << prefix << "_http_request_duration_seconds histogram\n";
  for (const auto& [route, s] : latency_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBucketCount; ++i) {
      cumulative += s.buckets[i];
      out << prefix << "_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"" << kBucketsSeconds[i]
          << "\"} " << cumulative << "\n";
    }
    out << prefix << "_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"+Inf\"} " << s.count << "\n";
    out << prefix << "_http_request_duration_seconds_sum{route=\"" << route << "\"} " << s.sum << "\n";
    out << prefix << "_http_request_duration_seconds_count{route=\"" << route << "\"} " << s.count << "\n";
  }
  return out.str();
}

// ---------------------------------------------------------------------------------------------
// Connection limits

// Open connections, all together and per client address. A connection holds a Slot for as long
// as it is open (an HTTP session hands its slot to the WebSocket session it upgrades to).
class ConnectionTable : public std::enable_shared_from_this<ConnectionTable> {
 public:
  class Slot {
   public:
    Slot(std::shared_ptr<ConnectionTable> table, std::string address)
        : table_(std::move(table)), address_(std::move(address)) {}
    ~Slot() { table_->release(address_); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    std::shared_ptr<ConnectionTable> table_;
    std::string address_;
  };

  enum class Refusal { kNone, kFull, kAddressShare };

  // A slot for a connection from `address`, or nullptr (and why) when the listener is full or
  // that address holds its share already.
  std::unique_ptr<Slot> admit(const std::string& address, const HttpLimits& limits, Refusal& why) {
    std::lock_guard lock(mutex_);
    std::size_t& held = by_address_[address];
    why = total_ >= limits.connections_max                   ? Refusal::kFull
          : held >= limits.connections_per_address_max ? Refusal::kAddressShare
                                                             : Refusal::kNone;
    if (why != Refusal::kNone) {
      if (held == 0) by_address_.erase(address);
      ++refused_;
      return nullptr;
    }
    ++held;
    ++total_;
    return std::make_unique<Slot>(shared_from_this(), address);
  }

  // Refused connections still being answered: bounded, so a flood of connections cannot hold
  // descriptors through their answers (past the bound they are closed without one).
  bool begin_refusal() {
    if (refusing_.fetch_add(1) < kRefusingMax) return true;
    refusing_.fetch_sub(1);
    return false;
  }
  void end_refusal() { refusing_.fetch_sub(1); }

  std::size_t total() const {
    std::lock_guard lock(mutex_);
    return total_;
  }
  std::uint64_t refused() const {
    std::lock_guard lock(mutex_);
    return refused_;
  }

 private:
  void release(const std::string& address) {
    std::lock_guard lock(mutex_);
    --total_;
    const auto it = by_address_.find(address);
    if (it != by_address_.end() && --it->second == 0) by_address_.erase(it);
  }

  static constexpr int kRefusingMax = 256;

  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  std::uint64_t refused_ = 0;
  std::atomic<int> refusing_{0};
  std::unordered_map<std::string, std::size_t> by_address_;
};

using ConnectionSlot = std::unique_ptr<ConnectionTable::Slot>;

namespace {

// The whole answer to a connection refused at accept: a JSON error with a stable code, and
// Retry-After, since either limit clears as other connections close.
std::string refusal_bytes(ConnectionTable::Refusal why, const HttpLimits& limits) {
  const bool full = why == ConnectionTable::Refusal::kFull;
  const Response error =
      full ? error_response(503, "server_busy",
                            "this listener holds its limit of " + std::to_string(limits.connections_max) +
                                " connections; try again shortly")
           : error_response(429, "too_many_connections",
                            "this client address holds its limit of " +
                                std::to_string(limits.connections_per_address_max) + " connections");
  std::string out = full ? "HTTP/1.1 503 Service Unavailable\r\n" : "HTTP/1.1 429 Too Many Requests\r\n";
  out += "Server: metanode\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
         "X-Content-Type-Options: nosniff\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: " +
         std::to_string(error.body.size()) + "\r\n\r\n" + error.body;
  return out;
}

// A connection over a limit: answered, its sending side shut, then what the client still sends
// drained for up to a second before closing (closing with unread bytes resets the connection,
// which can destroy the answer before the client reads it).
class RefusedConnection : public std::enable_shared_from_this<RefusedConnection> {
 public:
  RefusedConnection(tcp::socket&& socket, std::string answer, std::shared_ptr<ConnectionTable> table)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), answer_(std::move(answer)), table_(std::move(table)) {}
  ~RefusedConnection() { table_->end_refusal(); }

  void start() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->finish();
    });
    asio::async_write(socket_, asio::buffer(answer_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->finish();
      beast::error_code ignored;
      self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
      self->drain();
    });
  }

 private:
  void drain() {
    socket_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->finish();
      self->drain();
    });
  }
  void finish() {
    timer_.cancel();
    beast::error_code ignored;
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string answer_;
  std::shared_ptr<ConnectionTable> table_;
  char scratch_[512];
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// WebSocket sessions

class WebSocketSession : public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(tcp::socket&& socket, EventHub& hub, std::size_t queue_max, ConnectionSlot slot)
      : ws_(std::move(socket)), hub_(hub), queue_max_(queue_max), slot_(std::move(slot)) {}

  void start(http::request<http::string_body> upgrade) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    // Subscribe before the handshake, not after: a client that has seen its handshake succeed
    // must get every event published from then on, and the accept handler may run only after
    // the client has read the 101 and caused an event. Events published meanwhile wait in the
    // queue until the handshake is done (one write at a time).
    hub_.add(shared_from_this());
    ws_.async_accept(upgrade, [self = shared_from_this()](beast::error_code ec) {
      if (ec) {
        self->closed_ = true;
        self->hub_.remove(self.get());
        return;
      }
      self->accepted_ = true;
      if (self->closed_) return self->close();  // its queue overflowed during the handshake
      if (!self->queue_.empty()) self->write_next();
      self->read_loop();
    });
  }

  // Thread-safe: hops onto the session's strand.
  void send(std::shared_ptr<const std::string> message) {
    asio::post(ws_.get_executor(), [self = shared_from_this(), message = std::move(message)] {
      if (self->closed_) return;
      if (self->queue_.size() >= self->queue_max_) {
        // A subscriber that cannot keep up is dropped rather than buffered without bound.
        self->close();
        return;
      }
      self->queue_.push_back(message);
      if (self->accepted_ && self->queue_.size() == 1) self->write_next();
    });
  }

 private:
  void read_loop() {
    ws_.async_read(read_buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        self->closed_ = true;
        self->hub_.remove(self.get());
        return;
      }
      self->read_buffer_.consume(self->read_buffer_.size());  // subscribers have nothing to say
      self->read_loop();
    });
  }

  void write_next() {
    ws_.text(true);
    ws_.async_write(asio::buffer(*queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        self->closed_ = true;
        self->hub_.remove(self.get());
        return;
      }
      self->queue_.pop_front();
      if (!self->queue_.empty()) self->write_next();
    });
  }

  void close() {
    closed_ = true;
    hub_.remove(this);
    // Before the handshake completes the accept handler calls this again to close.
    if (accepted_) {
      ws_.async_close(websocket::close_code::try_again_later, [self = shared_from_this()](beast::error_code) {});
    }
  }

  websocket::stream<beast::tcp_stream> ws_;
  EventHub& hub_;
  std::size_t queue_max_;
  ConnectionSlot slot_;
  beast::flat_buffer read_buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  bool accepted_ = false;  // the handshake completed: writes may start
  bool closed_ = false;
};

void EventHub::publish(std::string message) {
  auto shared = std::make_shared<const std::string>(std::move(message));
  std::lock_guard lock(mutex_);
  for (const auto& session : sessions_) session->send(shared);
}

std::size_t EventHub::subscribers() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void EventHub::add(const std::shared_ptr<WebSocketSession>& session) {
  std::lock_guard lock(mutex_);
  sessions_.insert(session);
}

void EventHub::remove(const WebSocketSession* session) {
  std::lock_guard lock(mutex_);
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (it->get() == session) {
      sessions_.erase(it);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP sessions

namespace {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, Router& router, const HttpLimits& limits, HttpMetrics& metrics,
              const std::map<std::string, EventHub*>& websockets, ConnectionSlot slot,
              std::shared_ptr<std::atomic<std::uint64_t>> next_request_id)
      : stream_(std::move(socket)),
        router_(router),
        limits_(limits),
        metrics_(metrics),
        websockets_(websockets),
        slot_(std::move(slot)),
        next_request_id_(std::move(next_request_id)),
        deadline_(stream_.get_executor()) {}

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits_.header_bytes_max));
    // Beast checks Content-Length against the limit while it parses the header, before the
    // path is known: start with the largest limit of any path and narrow it once the path is
    // read (a declared length over the path's limit is answered 413 without reading the body).
    std::size_t widest = limits_.body_bytes_max;
    for (const auto& [path, limit] : limits_.body_bytes_max_by_path) widest = std::max(widest, limit);
    parser_->body_limit(widest);
    // Reads run under this session's own deadline (arm), not the stream's: on a slow request the
    // stream must stay open to answer 408.
    stream_.expires_never();
    phase_ = Phase::kIdle;
    timed_out_ = false;
    arm(limits_.idle_timeout);
    head_scanned_ = 0;
    read_head();
  }

  // Idle (no byte of a request yet): the deadline closes the connection. Reading a request: it
  // cancels the read, which answers 408. Handling or writing: it was cancelled.
  void arm(std::chrono::milliseconds after) {
    deadline_.expires_after(after);
    deadline_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      const auto self = weak.lock();
      if (ec || !self) return;
      beast::error_code ignored;
      if (self->phase_ == Phase::kIdle) {
        self->stream_.socket().close(ignored);
      } else if (self->phase_ == Phase::kReading) {
        self->timed_out_ = true;
        self->stream_.socket().cancel(ignored);
      }
    });
  }

  // Reads until the whole head is buffered and checks its framing (api/http/framing.hpp) before
  // Beast parses it: a head that breaks a rule is answered 400 and the connection closed, so
  // none of its bytes is ever read as another request.
  void read_head() {
    if (phase_ == Phase::kIdle && buffer_.size() > 0) {  // the request's first byte: its clock starts
      phase_ = Phase::kReading;
      arm(limits_.request_timeout);
    }
    // RFC 9112 §2.2: empty lines before a request line are ignored.
    while (buffer_.size() >= 2 && std::string_view(static_cast<const char*>(buffer_.data().data()), 2) == "\r\n") {
      buffer_.consume(2);
    }
    const std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    if (const auto end = request_head_end(data, head_scanned_)) {
      if (auto framing = check_request_head(data.substr(0, *end)); !framing.ok()) {
        return reply(error_response(400, "bad_request", "malformed HTTP request: " + framing.error().message), false,
                     "rejected", std::chrono::steady_clock::now());
      }
      return read_parsed();
    }
    if (buffer_.size() > limits_.header_bytes_max) return on_read(http::error::header_limit);
    head_scanned_ = buffer_.size();
    stream_.async_read_some(buffer_.prepare(kHeadReadBytes),
                            [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                              if (ec) return self->on_read(ec);
                              self->buffer_.commit(bytes);
                              self->read_head();
                            });
  }

  // The head is buffered and its framing sound: Beast parses it (without reading more) and then
  // reads the body.
  void read_parsed() {
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->on_read(ec);
      const std::size_t limit = self->body_limit_of(self->parser_->get().target());
      const auto declared = self->parser_->content_length();
      if (declared && *declared > limit) return self->on_read(http::error::body_limit);
      self->parser_->body_limit(limit);
      http::async_read(self->stream_, self->buffer_, *self->parser_,
                       [self](beast::error_code ec2, std::size_t) { self->on_read(ec2); });
    });
  }

  void on_read(beast::error_code ec) {
    const bool timed_out = phase_ == Phase::kReading && timed_out_;
    phase_ = Phase::kHandling;
    deadline_.cancel();
    if (ec && timed_out) {
      return reply(error_response(408, "request_timeout",
                                  "the request was not received within " +
                                      std::to_string(limits_.request_timeout.count()) + " ms"),
                   false, "rejected", std::chrono::steady_clock::now());
    }
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      return shutdown();
    }
    if (ec == http::error::body_limit) {
      return reply(error_response(413, "body_too_large", "request body exceeds this path's limit of " +
                                                             std::to_string(body_limit_of(parser_->get().target())) +
                                                             " bytes"),
                   false, "rejected", std::chrono::steady_clock::now());
    }
    if (ec == http::error::header_limit) {
      return reply(error_response(431, "header_too_large", "request header exceeds " +
                                                               std::to_string(limits_.header_bytes_max) + " bytes"),
                   false, "rejected", std::chrono::steady_clock::now());
    }
    if (ec) {
      return reply(error_response(400, "bad_request", "malformed HTTP request: " + ec.message()), false, "rejected",
                   std::chrono::steady_clock::now());
    }
    const auto started = std::chrono::steady_clock::now();
    http::request<http::string_body> req = parser_->release();

    if (websocket::is_upgrade(req)) {
      const std::string target_text(req.target().data(), req.target().size());
      const std::string path = target_text.substr(0, target_text.find('?'));
      auto it = websockets_.find(path);
      if (it == websockets_.end()) {
        return reply(error_response(404, "not_found", "no WebSocket stream at " + path), false, "unmatched", started);
      }
      // The upgrade is a request like any other first: the middleware (the Cage) decides, and
      // the route's handler (websocket_route) answers 101 only to what it let through.
      Request request = to_request(req);
      request.websocket_upgrade = true;
      Response response = dispatch(request);
      if (response.status != 101) return reply(std::move(response), false, request.route, started, request.request_id);
      metrics_.observe(request.route, 101,
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      // The WebSocket session holds the connection's slot from now on.
      std::make_shared<WebSocketSession>(stream_.release_socket(), *it->second, limits_.websocket_queue_max,
                                         std::move(slot_))
          ->start(std::move(req));
      return;
    }

    Request request = to_request(req);
    Response response = dispatch(request);
    reply(std::move(response), req.keep_alive(), request.route, started, request.request_id);
  }

  Response dispatch(Request& request) {
    try {
      return router_.dispatch(request);
    } catch (const std::exception& e) {
      // Handlers return errors as values; an exception here is a bug, answered as 500.
      return error_response(500, "internal", e.what());
    }
  }

  Request to_request(http::request<http::string_body>& req) {
    Request request;
    request.method = std::string(req.method_string());
    const std::string_view target(req.target().data(), req.target().size());
    const auto q = target.find('?');
    request.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
    request.content_type = std::string(req[http::field::content_type]);
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string& value = request.headers[name];
      if (!value.empty()) value += ", ";
      value.append(field.value().data(), field.value().size());
    }
    beast::error_code ec;
    const auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec) request.remote_address = remote.address().to_string();
    request.request_id = next_request_id_->fetch_add(1);
    request.body = std::move(req.body());
    return request;
  }

  void reply(Response response, bool keep_alive, const std::string& route, std::chrono::steady_clock::time_point started,
             std::uint64_t request_id = 0) {
    // The answer is under the write timeout only (a 400 for bad framing comes here straight from
    // reading, with the request deadline still armed).
    phase_ = Phase::kHandling;
    deadline_.cancel();
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(response.status), 11);
    res->set(http::field::server, "metanode");
    res->set(http::field::content_type, response.content_type);
    res->set(http::field::cache_control, "no-store");
    res->set("X-Content-Type-Options", "nosniff");
    if (request_id != 0) res->set("X-Request-Id", std::to_string(request_id));
    for (const auto& [name, value] : response.headers) res->set(name, value);
    res->keep_alive(keep_alive);
    res->body() = std::move(response.body);
    res->prepare_payload();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics_.observe(route, response.status, seconds);
    if (response.hold) {
      response.hold([self = shared_from_this(), res](bool send) {
        asio::post(self->stream_.get_executor(), [self, res, send] {
          if (!send) return self->shutdown();
          self->write(res);
        });
      });
      return;
    }
    write(res);
  }

  void write(const std::shared_ptr<http::response<http::string_body>>& res) {
    stream_.expires_after(limits_.write_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec || !res->keep_alive()) return self->shutdown();
      self->read();
    });
  }

  std::size_t body_limit_of(beast::string_view target) const {
    const std::string path(target.data(), std::min(target.size(), target.find('?')));
    const auto it = limits_.body_bytes_max_by_path.find(path);
    return it == limits_.body_bytes_max_by_path.end() ? limits_.body_bytes_max : it->second;
  }

  void shutdown() {
    deadline_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  static constexpr std::size_t kHeadReadBytes = 4096;
  enum class Phase { kIdle, kReading, kHandling };

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::size_t head_scanned_ = 0;  // how far read_head looked for the head's end
  std::optional<http::request_parser<http::string_body>> parser_;
  Router& router_;
  const HttpLimits& limits_;
  HttpMetrics& metrics_;
  const std::map<std::string, EventHub*>& websockets_;
  ConnectionSlot slot_;
  std::shared_ptr<std::atomic<std::uint64_t>> next_request_id_;
  asio::steady_timer deadline_;
  Phase phase_ = Phase::kIdle;
  bool timed_out_ = false;  // the request deadline cancelled the read
};

}  // namespace

HttpServer::HttpServer(asio::io_context& io, Router& router, HttpLimits limits, HttpMetrics& metrics)
    : io_(io), router_(router), limits_(limits), metrics_(metrics), connections_(std::make_shared<ConnectionTable>()) {}

HttpServer::~HttpServer() { stop(); }

std::size_t HttpServer::connections() const { return connections_->total(); }
std::uint64_t HttpServer::connections_refused() const { return connections_->refused(); }

void HttpServer::add_websocket(std::string path, EventHub& hub) { websockets_[std::move(path)] = &hub; }

core::Status HttpServer::listen(const std::string& address, std::uint16_t port) {
  beast::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) return core::make_error(core::ErrorCode::kInvalidArgument, "bad listen address '" + address + "'");
  auto acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(io_));
  const tcp::endpoint endpoint(ip, port);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::make_error(core::ErrorCode::kIo, "cannot listen on " + address + ":" + std::to_string(port) + ": " +
                                                      ec.message());
  }
  port_ = acceptor->local_endpoint().port();
  acceptor_ = std::move(acceptor);
  accept();
  return {};
}

void HttpServer::accept() {
  acceptor_->async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_ || !acceptor_->is_open()) return;
    if (!ec) {
      beast::error_code ignored;
      const auto remote = socket.remote_endpoint(ignored);
      auto why = ConnectionTable::Refusal::kNone;
      ConnectionSlot slot = ignored ? nullptr : connections_->admit(remote.address().to_string(), limits_, why);
      if (!slot) {
        // Over a limit: refuse rather than queue without bound; answered while few refusals are.
        if (why != ConnectionTable::Refusal::kNone && connections_->begin_refusal()) {
          std::make_shared<RefusedConnection>(std::move(socket), refusal_bytes(why, limits_), connections_)->start();
        } else {
          socket.close(ignored);
        }
      } else {
        std::make_shared<HttpSession>(std::move(socket), router_, limits_, metrics_, websockets_, std::move(slot),
                                      next_request_id_)
            ->start();
      }
    }
    accept();
  });
}

void HttpServer::stop() {
  if (acceptor_) {
    beast::error_code ignored;
    acceptor_->close(ignored);
  }
}

}  // namespace metanode::api
