#include "api/http/framing.hpp"

#include <string>
#include <vector>

namespace metanode::api {
namespace {

core::Error refused(std::string why) { return core::make_error(core::ErrorCode::kInvalidArgument, std::move(why)); }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The head's lines without their CRLF; a bare CR or bare LF anywhere is refused.
core::Result<std::vector<std::string_view>> split_lines(std::string_view head) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\r') {
      if (i + 1 >= head.size() || head[i + 1] != '\n') return refused("a CR not followed by LF in the request head");
      lines.push_back(head.substr(start, i - start));
      start = i + 2;
      ++i;
    } else if (head[i] == '\n') {
      return refused("a line of the request head ends in a bare LF (HTTP needs CRLF)");
    }
  }
  if (start != head.size()) return refused("the request head does not end in CRLF");
  return lines;
}

}  // namespace

// RFC 9110 §5.6.2 tchar.
bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

std::optional<std::size_t> request_head_end(std::string_view data, std::size_t from) {
  // An end is "\n\r\n" or "\n\n": resume three bytes back so one split across reads is found.
  for (std::size_t i = from > 3 ? from - 3 : 0; i < data.size(); ++i) {
    if (data[i] != '\n') continue;
    if (i + 1 < data.size() && data[i + 1] == '\n') return i + 2;
    if (i + 2 < data.size() && data[i + 1] == '\r' && data[i + 2] == '\n') return i + 3;
  }
  return std::nullopt;
}

core::Status check_request_head(std::string_view head) {
  MN_TRY_ASSIGN(const auto lines, split_lines(head));
  if (lines.size() < 2 || !lines.back().empty()) return refused("the request head does not end in an empty line");
  const std::string_view request_line = lines.front();
  const bool http10 = request_line.size() >= 8 && request_line.substr(request_line.size() - 8) == "HTTP/1.0";
  std::size_t transfer_encodings = 0;
  std::size_t content_lengths = 0;
  std::string_view transfer_encoding;
  std::string_view content_length;
  for (std::size_t n = 1; n + 1 < lines.size(); ++n) {
    const std::string_view line = lines[n];
    if (line.empty()) return refused("an empty line inside the request head");
    if (line.front() == ' ' || line.front() == '\t') {
      return refused("obsolete line folding (a header line that starts with white space)");
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return refused("a header line without a colon");
    const std::string_view name = line.substr(0, colon);
    for (char c : name) {
      if (c == ' ' || c == '\t') return refused("white space between a header field name and its colon");
      if (!is_token_char(c)) return refused("a header field name that is not a token");
    }
    if (name.empty()) return refused("a header field with an empty name");
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (equals_ignoring_case(name, "transfer-encoding")) {
      ++transfer_encodings;
      transfer_encoding = value;
    } else if (equals_ignoring_case(name, "content-length")) {
      ++content_lengths;
      content_length = value;
    }
  }
  if (transfer_encodings > 0) {
    if (http10) return refused("Transfer-Encoding in an HTTP/1.0 request");
    if (transfer_encodings > 1 || !equals_ignoring_case(transfer_encoding, "chunked")) {
      return refused("Transfer-Encoding other than a single \"chunked\" is not supported");
    }
    if (content_lengths > 0) return refused("both Transfer-Encoding and Content-Length");
  }
  if (content_lengths > 1) return refused("more than one Content-Length");
  if (content_lengths == 1) {
    if (content_length.empty() || content_length.size() > 19) return refused("a malformed Content-Length");
    for (char c : content_length) {
      if (c < '0' || c > '9') return refused("a malformed Content-Length");
    }
  }
  return {};
}

}  // namespace metanode::api
