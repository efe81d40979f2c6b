// HTTP/1.1 request framing rules (RFC 9112) checked on a request's raw head before Beast parses
// it. Beast parses what it is given leniently in places that matter behind a proxy: a request
// with `Transfer-Encoding: gzip` has, for Beast, no body, so its body bytes would be read as the
// next request (request smuggling). The server refuses such a head with 400 and closes the
// connection, so no byte of a refused request is ever run as another. Sans-IO, so the rules are
// unit-tested and fuzzed without sockets.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "core/result.hpp"

namespace metanode::api {

// Where the head in `data` ends: the offset just past the empty line that closes the header
// fields, or nullopt when it has not all arrived. A bare-LF empty line also ends it, so a request
// that uses bare LFs is refused as soon as it arrives instead of waiting for its time-out.
// `from` is where a previous call stopped looking (the scan resumes a few bytes before it).
std::optional<std::size_t> request_head_end(std::string_view data, std::size_t from = 0);

// The framing rules, on a head that request_head_end found (request line, header fields, empty
// line). kInvalidArgument naming the rule when:
//   - a line ends in a bare LF, or a CR is not followed by LF;
//   - a header line is folded (starts with a space or tab: obsolete line folding);
//   - a field name is not a token, or has white space before its colon;
//   - Transfer-Encoding is present and is anything but exactly "chunked" (any other coding, a
//     list, or a repeated field), or comes in an HTTP/1.0 request;
//   - Transfer-Encoding and Content-Length are both present;
//   - Content-Length is repeated, or is not 1-19 decimal digits.
core::Status check_request_head(std::string_view head);

// RFC 9110 §5.6.2 tchar: a character of a token (header names, methods, structured-field tokens).
bool is_token_char(char c);

}  // namespace metanode::api
