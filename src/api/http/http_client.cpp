#include "api/http/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace metanode::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

core::Result<std::pair<std::string, std::string>> split_url(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "node URL must start with http:// (got '" + url + "')");
  }
  std::string hostport = url.substr(kScheme.size());
  if (!hostport.empty() && hostport.back() == '/') hostport.pop_back();
  const auto colon = hostport.rfind(':');
  if (colon == std::string::npos) return std::make_pair(hostport, std::string("80"));
  return std::make_pair(hostport.substr(0, colon), hostport.substr(colon + 1));
}

// Every operation is asynchronous on a private io_context so that the stream's deadline
// (expires_after) applies: Beast's blocking calls ignore it and could wait forever.
struct HttpConnection::Impl {
  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  std::string host;
  std::string url;
  std::chrono::milliseconds timeout{10'000};

  beast::error_code run() {
    io.restart();
    io.run();
    return {};
  }
};

HttpConnection::HttpConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpConnection::~HttpConnection() {
  beast::error_code ignored;
  impl_->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

core::Result<std::unique_ptr<HttpConnection>> HttpConnection::connect(const std::string& url,
                                                                       std::chrono::milliseconds timeout) {
  MN_TRY_ASSIGN(auto parts, split_url(url));
  auto impl = std::make_unique<Impl>();
  impl->host = parts.first + ":" + parts.second;
  impl->url = url;
  impl->timeout = timeout;
  beast::error_code ec;
  asio::ip::tcp::resolver resolver(impl->io);
  const auto endpoints = resolver.resolve(parts.first, parts.second, ec);
  if (ec) return core::make_error(core::ErrorCode::kIo, "cannot resolve " + url + ": " + ec.message());
  impl->stream.expires_after(timeout);
  impl->stream.async_connect(endpoints, [&ec](beast::error_code e, const asio::ip::tcp::endpoint&) { ec = e; });
  impl->run();
  if (ec) return core::make_error(core::ErrorCode::kIo, "cannot reach node at " + url + ": " + ec.message());
  impl->stream.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  return std::unique_ptr<HttpConnection>(new HttpConnection(std::move(impl)));
}

const std::string& HttpConnection::host() const { return impl_->host; }

core::Result<HttpReply> HttpConnection::request(const std::string& method, const std::string& target,
                                                const std::string& body, const std::string& content_type,
                                                const HeaderList& headers) {
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, impl_->host);
  for (const auto& [name, value] : headers) req.set(name, value);
  req.set(http::field::user_agent, "metanode-cli");
  req.keep_alive(true);
  if (!body.empty()) {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.prepare_payload();
  beast::error_code ec;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  impl_->stream.expires_after(impl_->timeout);
  http::async_write(impl_->stream, req, [&](beast::error_code e, std::size_t) {
    ec = e;
    if (e) return;
    http::async_read(impl_->stream, impl_->buffer, parser, [&](beast::error_code e2, std::size_t) { ec = e2; });
  });
  impl_->run();
  if (ec) {
    const std::string why = ec == beast::error::timeout ? "no answer within " + std::to_string(impl_->timeout.count()) + " ms"
                                                        : ec.message();
    return core::make_error(core::ErrorCode::kIo, method + " " + impl_->url + target + " failed: " + why);
  }
  auto res = parser.release();
  HttpReply reply{res.result_int(), std::move(res.body()), {}};
  for (const auto& field : res) reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  return reply;
}

core::Result<HttpReply> http_request(const std::string& url, const std::string& method, const std::string& target,
                                     const std::string& body, const std::string& content_type,
                                     std::chrono::milliseconds timeout, const HeaderList& headers) {
  MN_TRY_ASSIGN(auto connection, HttpConnection::connect(url, timeout));
  return connection->request(method, target, body, content_type, headers);
}

}  // namespace metanode::api
