// A small blocking HTTP/1.1 client (Boost.Beast) for the CLI's calls to a node's API.
#pragma once

#include <chrono>
#include <string>

#include "core/result.hpp"

namespace metanode::cli {

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

// `url` is "http://host:port"; `target` the path and query. kIo when the node cannot be reached.
core::Result<HttpReply> http_request(const std::string& url, const std::string& method, const std::string& target,
                                     const std::string& body = "", const std::string& content_type = "application/json",
                                     std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));

}  // namespace metanode::cli
