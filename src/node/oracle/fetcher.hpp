// The oracle's source fetcher: GET an http:// or https:// URL (TLS verified against the system's
// trust store, with SNI), within a timeout and a bound on the answer's size, and read the number
// at a JSON pointer (RFC 6901) of the answer, scaled to a feed's decimals without floating point.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace metanode::node {

struct FetchLimits {
  std::chrono::milliseconds timeout{2'000};  // connect, send and read together
  std::size_t response_bytes_max = 64 * 1024;
};

// The answer's body (kIo: unreachable, timed out, a status other than 200, over the size bound;
// kInvalidArgument: not an http(s) URL).
core::Result<std::string> fetch_url(const std::string& url, const FetchLimits& limits);

// A TCP connection to "host:port" opened (and closed) within the timeout (kIo: refused, timed
// out, not resolved; kInvalidArgument: not host:port).
core::Status probe_tcp(const std::string& host_port, std::chrono::milliseconds timeout);

// The number at `pointer` in `body` (a JSON number, or a string holding a decimal), as an integer
// scaled by 10^decimals and rounded half away from zero ("64123.456" at 2 decimals: 6412346).
// kInvalidArgument naming what is wrong: not JSON, no such pointer, not a number, out of range.
core::Result<std::int64_t> read_scaled(const std::string& body, const std::string& pointer, std::uint8_t decimals);
// The same for a decimal's text ("-12.5", "3e2" is refused: plain decimals only).
core::Result<std::int64_t> scale_decimal(std::string_view text, std::uint8_t decimals);

}  // namespace metanode::node
