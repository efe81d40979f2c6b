#include "api/http/framing.hpp"

#include <gtest/gtest.h>

#include <string>

namespace metanode::api {
namespace {

// The head of a request with these header lines (each given without its CRLF).
std::string head(const std::string& request_line, const std::vector<std::string>& fields) {
  std::string out = request_line + "\r\n";
  for (const auto& f : fields) out += f + "\r\n";
  return out + "\r\n";
}

TEST(RequestHeadEnd, FindsTheEmptyLineAcrossReads) {
  const std::string data = "GET / HTTP/1.1\r\nHost: x\r\n\r\nbody";
  EXPECT_EQ(request_head_end(data), data.size() - 4);
  EXPECT_FALSE(request_head_end("GET / HTTP/1.1\r\nHost: x\r\n").has_value());
  // Resuming from where the previous look stopped, with the end split across the two reads.
  const std::string first = "GET / HTTP/1.1\r\nHost: x\r\n\r";
  EXPECT_FALSE(request_head_end(first).has_value());
  EXPECT_EQ(request_head_end(first + "\n", first.size()), first.size() + 1);
  // A bare-LF empty line ends a head too (so it is refused at once, not waited on).
  EXPECT_EQ(request_head_end("GET / HTTP/1.1\nHost: x\n\n"), 24u);
}

TEST(CheckRequestHead, AcceptsOrdinaryRequests) {
  EXPECT_TRUE(check_request_head(head("GET /health HTTP/1.1", {"Host: x"})).ok());
  EXPECT_TRUE(check_request_head(head("POST /v1/txs HTTP/1.1", {"Host: x", "Content-Length: 42"})).ok());
  EXPECT_TRUE(check_request_head(head("POST /v1/txs HTTP/1.1", {"Host: x", "Transfer-Encoding: chunked"})).ok());
  EXPECT_TRUE(check_request_head(head("POST /v1/txs HTTP/1.1", {"transfer-encoding:  Chunked "})).ok());
  EXPECT_TRUE(check_request_head(head("GET / HTTP/1.0", {"Content-Length: 0"})).ok());
}

TEST(CheckRequestHead, RefusesEveryAmbiguousFraming) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"a coding other than chunked", head("POST / HTTP/1.1", {"Transfer-Encoding: gzip"})},
      {"chunked not last", head("POST / HTTP/1.1", {"Transfer-Encoding: chunked, gzip"})},
      {"a list ending in chunked", head("POST / HTTP/1.1", {"Transfer-Encoding: gzip, chunked"})},
      {"two Transfer-Encoding fields", head("POST / HTTP/1.1", {"Transfer-Encoding: chunked", "Transfer-Encoding: chunked"})},
      {"an empty Transfer-Encoding", head("POST / HTTP/1.1", {"Transfer-Encoding:"})},
      {"Transfer-Encoding with Content-Length", head("POST / HTTP/1.1", {"Content-Length: 5", "Transfer-Encoding: chunked"})},
      {"Transfer-Encoding in HTTP/1.0", head("POST / HTTP/1.0", {"Transfer-Encoding: chunked"})},
      {"two equal Content-Lengths", head("POST / HTTP/1.1", {"Content-Length: 5", "Content-Length: 5"})},
      {"two different Content-Lengths", head("POST / HTTP/1.1", {"Content-Length: 5", "Content-Length: 6"})},
      {"a Content-Length list", head("POST / HTTP/1.1", {"Content-Length: 5, 5"})},
      {"a signed Content-Length", head("POST / HTTP/1.1", {"Content-Length: +5"})},
      {"a hex Content-Length", head("POST / HTTP/1.1", {"Content-Length: 0x5"})},
      {"an empty Content-Length", head("POST / HTTP/1.1", {"Content-Length:"})},
      {"a 20-digit Content-Length", head("POST / HTTP/1.1", {"Content-Length: 18446744073709551616"})},
      {"obsolete line folding", head("GET / HTTP/1.1", {"X-A: a", " b"})},
      {"folding with a tab", head("GET / HTTP/1.1", {"X-A: a", "\tb"})},
      {"white space before the colon", head("POST / HTTP/1.1", {"Content-Length : 5"})},
      {"a name that is not a token", head("GET / HTTP/1.1", {"X(A): 1"})},
      {"an empty name", head("GET / HTTP/1.1", {": 1"})},
      {"a line without a colon", head("GET / HTTP/1.1", {"Host"})},
      {"a bare CR in a value", head("GET / HTTP/1.1", {"X-A: a\rb"})},
      {"bare LF line ends", "GET / HTTP/1.1\nHost: x\n\n"},
      {"a bare LF inside a line", "GET / HTTP/1.1\r\nX-A: a\nb\r\n\r\n"},
  };
  for (const auto& [what, bytes] : vectors) {
    const auto st = check_request_head(bytes);
    ASSERT_FALSE(st.ok()) << what;
    EXPECT_EQ(st.error().code, core::ErrorCode::kInvalidArgument) << what;
    EXPECT_FALSE(st.error().message.empty()) << what;
  }
}

}  // namespace
}  // namespace metanode::api
