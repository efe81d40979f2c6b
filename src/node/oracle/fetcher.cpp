#include "node/oracle/fetcher.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>
#include <openssl/ssl.h>

namespace metanode::node {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using core::ErrorCode;
using core::make_error;

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;
};

core::Result<Url> parse_url(const std::string& url) {
  Url u;
  std::string rest;
  if (url.starts_with("https://")) {
    u.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return make_error(ErrorCode::kInvalidArgument, "'" + url.substr(0, 64) + "' is not an http:// or https:// URL");
  }
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  const auto colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
    u.port = u.tls ? "443" : "80";
  }
  if (u.host.empty() || u.port.empty()) return make_error(ErrorCode::kInvalidArgument, "'" + url.substr(0, 64) + "' names no host");
  return u;
}

template <typename Stream>
core::Result<std::string> exchange(Stream& stream, const Url& u, const FetchLimits& limits, asio::io_context& io) {
  http::request<http::empty_body> req{http::verb::get, u.target, 11};
  req.set(http::field::host, u.host);
  req.set(http::field::user_agent, "metanode-oracle");
  req.set(http::field::accept, "application/json");
  beast::error_code ec;
  http::write(stream, req, ec);
  if (ec) return make_error(ErrorCode::kIo, "sending to " + u.host + ": " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  // Bounded below, read by read, whatever the framing (the parser's own limit stays at its
  // default, 8 MiB, above any response_bytes_max a config allows).
  (void)io;
  const auto too_big = [&u, &limits] {
    return make_error(ErrorCode::kIo, u.host + " answered more than " + std::to_string(limits.response_bytes_max) + " bytes");
  };
  http::read_header(stream, buffer, parser, ec);
  if (ec) return make_error(ErrorCode::kIo, "reading from " + u.host + ": " + ec.message());
  if (parser.content_length() && *parser.content_length() > limits.response_bytes_max) return too_big();
  while (!parser.is_done()) {
    http::read_some(stream, buffer, parser, ec);
    if (ec) return make_error(ErrorCode::kIo, "reading from " + u.host + ": " + ec.message());
    if (parser.get().body().size() > limits.response_bytes_max) return too_big();
  }
  const auto& res = parser.get();
  if (res.result_int() != 200) return make_error(ErrorCode::kIo, u.host + " answered status " + std::to_string(res.result_int()));
  return res.body();
}

}  // namespace

core::Result<std::string> fetch_url(const std::string& url, const FetchLimits& limits) {
  MN_TRY_ASSIGN(const Url u, parse_url(url));
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(u.host, u.port, ec);
  if (ec) return make_error(ErrorCode::kIo, "resolving " + u.host + ": " + ec.message());
  const auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  if (!u.tls) {
    beast::tcp_stream stream(io);
    stream.expires_at(deadline);
    stream.connect(endpoints, ec);
    if (ec) return make_error(ErrorCode::kIo, "connecting to " + u.host + ":" + u.port + ": " + ec.message());
    // Blocking calls on a tcp_stream honour its expiry only through async operations: bound
    // each socket operation by a receive/send timeout instead.
    const timeval tv{static_cast<time_t>(limits.timeout.count() / 1000), static_cast<suseconds_t>((limits.timeout.count() % 1000) * 1000)};
    ::setsockopt(stream.socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(stream.socket().native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return exchange(stream, u, limits, io);
  }
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_default_verify_paths(ec);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str())) {
    return make_error(ErrorCode::kIo, "TLS: cannot name the server " + u.host);
  }
  stream.set_verify_callback(asio::ssl::host_name_verification(u.host));
  beast::get_lowest_layer(stream).connect(endpoints, ec);
  if (ec) return make_error(ErrorCode::kIo, "connecting to " + u.host + ":" + u.port + ": " + ec.message());
  const timeval tv{static_cast<time_t>(limits.timeout.count() / 1000), static_cast<suseconds_t>((limits.timeout.count() % 1000) * 1000)};
  ::setsockopt(beast::get_lowest_layer(stream).socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(beast::get_lowest_layer(stream).socket().native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return make_error(ErrorCode::kIo, "TLS with " + u.host + ": " + ec.message());
  (void)deadline;
  return exchange(stream, u, limits, io);
}

core::Status probe_tcp(const std::string& host_port, std::chrono::milliseconds timeout) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == host_port.size()) {
    return make_error(ErrorCode::kInvalidArgument, "'" + host_port.substr(0, 64) + "' is not host:port");
  }
  const std::string host = host_port.substr(0, colon), port = host_port.substr(colon + 1);
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return make_error(ErrorCode::kIo, "resolving " + host + ": " + ec.message());
  asio::ip::tcp::socket socket(io);
  bool done = false;
  asio::async_connect(socket, endpoints, [&](const beast::error_code& e, const asio::ip::tcp::endpoint&) {
    ec = e;
    done = true;
  });
  io.run_for(timeout);
  if (!done) return make_error(ErrorCode::kIo, "connecting to " + host_port + ": timed out");
  if (ec) return make_error(ErrorCode::kIo, "connecting to " + host_port + ": " + ec.message());
  socket.close(ec);
  return {};
}

core::Result<std::int64_t> scale_decimal(std::string_view text, std::uint8_t decimals) {
  const auto bad = [&text](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument, "'" + std::string(text.substr(0, 40)) + "' " + why);
  };
  bool negative = false;
  std::size_t at = 0;
  if (at < text.size() && (text[at] == '-' || text[at] == '+')) negative = text[at++] == '-';
  std::string whole, fraction;
  for (; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at) whole += text[at];
  if (at < text.size() && text[at] == '.') {
    for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at) fraction += text[at];
  }
  if (at != text.size() || (whole.empty() && fraction.empty())) return bad("is not a plain decimal number");
  // Exactly: the digits shifted by `decimals`, then rounded half away from zero on the next digit.
  const bool round_up = fraction.size() > decimals && fraction[decimals] >= '5';
  fraction.resize(decimals, '0');
  const std::string digits = whole + fraction;
  __extension__ __int128 value = 0;
  for (const char c : digits) {
    value = value * 10 + (c - '0');
    if (value > std::numeric_limits<std::int64_t>::max()) return bad("is out of range at " + std::to_string(decimals) + " decimals");
  }
  if (round_up) ++value;
  if (value > std::numeric_limits<std::int64_t>::max()) return bad("is out of range");
  return static_cast<std::int64_t>(negative ? -value : value);
}

core::Result<std::int64_t> read_scaled(const std::string& body, const std::string& pointer, std::uint8_t decimals) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return make_error(ErrorCode::kInvalidArgument, "the answer is not JSON");
  nlohmann::json::json_pointer ptr;
  try {
    ptr = nlohmann::json::json_pointer(pointer);
  } catch (const std::exception&) {
    return make_error(ErrorCode::kInvalidArgument, "'" + pointer + "' is not a JSON pointer");
  }
  if (!doc.contains(ptr)) return make_error(ErrorCode::kInvalidArgument, "the answer has nothing at '" + pointer + "'");
  const nlohmann::json& v = doc.at(ptr);
  if (v.is_number_integer()) return scale_decimal(v.dump(), decimals);
  if (v.is_number_float()) {
    // The shortest text that reads back as the same double: no digit the source did not send.
    std::string text = v.dump();
    if (text.find_first_of("eE") != std::string::npos) {
      return make_error(ErrorCode::kInvalidArgument, "the number at '" + pointer + "' is in exponent form (" + text + ")");
    }
    return scale_decimal(text, decimals);
  }
  if (v.is_string()) return scale_decimal(v.get<std::string>(), decimals);
  return make_error(ErrorCode::kInvalidArgument, "the answer at '" + pointer + "' is not a number");
}

}  // namespace metanode::node
