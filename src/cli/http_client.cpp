#include "cli/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace metanode::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

core::Result<HttpReply> http_request(const std::string& url, const std::string& method, const std::string& target,
                                     const std::string& body, const std::string& content_type,
                                     std::chrono::milliseconds timeout) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "node URL must start with http:// (got '" + url + "')");
  }
  std::string hostport = url.substr(kScheme.size());
  if (!hostport.empty() && hostport.back() == '/') hostport.pop_back();
  const auto colon = hostport.rfind(':');
  const std::string host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
  const std::string port = colon == std::string::npos ? "80" : hostport.substr(colon + 1);
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    stream.connect(resolver.resolve(host, port));
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, host);
    req.set(http::field::user_agent, "metanode-cli");
    if (!body.empty()) {
      req.set(http::field::content_type, content_type);
      req.body() = body;
    }
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    http::read(stream, buffer, parser);
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    auto res = parser.release();
    return HttpReply{res.result_int(), std::move(res.body())};
  } catch (const std::exception& e) {
    return core::make_error(core::ErrorCode::kIo, "cannot reach node at " + url + ": " + e.what());
  }
}

}  // namespace metanode::cli
