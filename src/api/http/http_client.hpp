// A small blocking HTTP/1.1 client (Boost.Beast): the CLI's and BPCI's calls to a node's API.
#pragma once

#include <chrono>
#include <memory>
#include <utility>
#include <vector>
#include <string>

#include "core/result.hpp"

namespace metanode::api {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpReply {
  unsigned status = 0;
  std::string body;
  HeaderList headers;  // as received (names as the server spelled them)
};

// `url` is "http://host:port"; `target` the path and query. kIo when the node cannot be reached.
// `headers`: extra fields (a signed request's Signature-Input, Signature, ...). The Host field is
// "host:port" as the URL has it.
core::Result<HttpReply> http_request(const std::string& url, const std::string& method, const std::string& target,
                                     const std::string& body = "", const std::string& content_type = "application/json",
                                     std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000),
                                     const HeaderList& headers = {});

// A kept-alive connection for many requests (load generation, event follow-up reads).
class HttpConnection {
 public:
  static core::Result<std::unique_ptr<HttpConnection>> connect(const std::string& url,
                                                               std::chrono::milliseconds timeout);
  ~HttpConnection();
  core::Result<HttpReply> request(const std::string& method, const std::string& target, const std::string& body = "",
                                  const std::string& content_type = "application/json", const HeaderList& headers = {});
  // What this connection sends as Host ("127.0.0.1:9001"): what a signature's @authority is.
  const std::string& host() const;

 private:
  struct Impl;
  explicit HttpConnection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Splits "http://host:port" into host and port ("80" when absent).
// (The Host field a request to `url` carries is "host:port": what a signature's @authority is.)
core::Result<std::pair<std::string, std::string>> split_url(const std::string& url);

}  // namespace metanode::api
