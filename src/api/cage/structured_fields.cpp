#include "api/cage/structured_fields.hpp"

#include <charconv>

#include "api/http/framing.hpp"
#include "crypto/encoding.hpp"

namespace metanode::api::cage {
namespace {

bool is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }
bool is_alpha(char c) { return is_lcalpha(c) || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  core::Result<SfDictionary> dictionary() {
    SfDictionary out;
    skip_sp();
    while (!done()) {
      MN_TRY_ASSIGN(std::string key, parse_key());
      SfMember member;
      if (peek() == '=') {
        ++i_;
        MN_TRY_ASSIGN(member, item_or_inner_list());
      } else {
        SfItem item{true, {}};
        MN_TRY_ASSIGN(item.params, parameters());
        member = std::move(item);
      }
      put(out, std::move(key), std::move(member));
      skip_ows();
      if (done()) break;
      if (peek() != ',') return fail("expected ',' between dictionary members");
      ++i_;
      skip_ows();
      if (done()) return fail("a dictionary ends with ','");
    }
    return out;
  }

 private:
  template <typename V>
  static void put(std::vector<std::pair<std::string, V>>& list, std::string key, V value) {
    for (auto& [k, v] : list) {
      if (k == key) {
        v = std::move(value);
        return;
      }
    }
    list.emplace_back(std::move(key), std::move(value));
  }

  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  void skip_sp() {
    while (!done() && s_[i_] == ' ') ++i_;
  }
  void skip_ows() {
    while (!done() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  core::Error fail(const std::string& why) const {
    return core::make_error(core::ErrorCode::kInvalidArgument,
                            "structured field: " + why + " at offset " + std::to_string(i_));
  }

  core::Result<std::string> parse_key() {
    if (!(is_lcalpha(peek()) || peek() == '*')) return fail("a key starts with a-z or '*'");
    const std::size_t start = i_;
    while (!done()) {
      const char c = s_[i_];
      if (!(is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.' || c == '*')) break;
      ++i_;
    }
    return std::string(s_.substr(start, i_ - start));
  }

  core::Result<SfMember> item_or_inner_list() {
    if (peek() == '(') {
      MN_TRY_ASSIGN(SfInnerList list, inner_list());
      return SfMember{std::move(list)};
    }
    MN_TRY_ASSIGN(SfItem it, item());
    return SfMember{std::move(it)};
  }

  core::Result<SfInnerList> inner_list() {
    ++i_;  // '('
    SfInnerList list;
    while (!done()) {
      skip_sp();
      if (peek() == ')') {
        ++i_;
        MN_TRY_ASSIGN(list.params, parameters());
        return list;
      }
      MN_TRY_ASSIGN(SfItem it, item());
      list.items.push_back(std::move(it));
      if (peek() != ' ' && peek() != ')') return fail("inner list items are separated by spaces");
    }
    return fail("an inner list is not closed");
  }

  core::Result<SfItem> item() {
    SfItem it;
    MN_TRY_ASSIGN(it.value, bare_item());
    MN_TRY_ASSIGN(it.params, parameters());
    return it;
  }

  core::Result<SfParams> parameters() {
    SfParams params;
    while (peek() == ';') {
      ++i_;
      skip_sp();
      MN_TRY_ASSIGN(std::string key, parse_key());
      SfBare value = true;
      if (peek() == '=') {
        ++i_;
        MN_TRY_ASSIGN(value, bare_item());
      }
      put(params, std::move(key), std::move(value));
    }
    return params;
  }

  core::Result<SfBare> bare_item() {
    const char c = peek();
    if (c == '-' || is_digit(c)) return integer();
    if (c == '"') return string();
    if (is_alpha(c) || c == '*') return token();
    if (c == ':') return byte_sequence();
    if (c == '?') return boolean();
    return fail("not an item");
  }

  core::Result<SfBare> integer() {
    const std::size_t start = i_;
    if (peek() == '-') ++i_;
    const std::size_t digits_start = i_;
    while (!done() && is_digit(s_[i_])) ++i_;
    if (peek() == '.') return fail("decimals are not accepted here");
    const std::size_t digits = i_ - digits_start;
    if (digits == 0) return fail("an integer needs a digit");
    if (digits > 15) return fail("an integer has at most 15 digits");
    std::int64_t value = 0;
    std::from_chars(s_.data() + start, s_.data() + i_, value);
    return SfBare{value};
  }

  core::Result<SfBare> string() {
    ++i_;  // '"'
    std::string out;
    while (!done()) {
      const char c = s_[i_++];
      if (c == '\\') {
        if (done()) return fail("a string ends in '\\'");
        const char next = s_[i_++];
        if (next != '"' && next != '\\') return fail("only \\\" and \\\\ are escapes in a string");
        out.push_back(next);
      } else if (c == '"') {
        return SfBare{std::move(out)};
      } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
        return fail("a string holds printable ASCII only");
      } else {
        out.push_back(c);
      }
    }
    return fail("a string is not closed");
  }

  core::Result<SfBare> token() {
    const std::size_t start = i_++;
    while (!done() && (is_token_char(s_[i_]) || s_[i_] == ':' || s_[i_] == '/')) ++i_;
    return SfBare{SfToken{std::string(s_.substr(start, i_ - start))}};
  }

  core::Result<SfBare> byte_sequence() {
    ++i_;  // ':'
    const std::size_t end = s_.find(':', i_);
    if (end == std::string_view::npos) return fail("a byte sequence is not closed");
    const std::string_view b64 = s_.substr(i_, end - i_);
    for (char c : b64) {
      if (!(is_alpha(c) || is_digit(c) || c == '+' || c == '/' || c == '=')) return fail("a byte sequence is base64");
    }
    auto bytes = crypto::base64_decode(b64);
    if (!bytes.ok()) return fail("a byte sequence is not valid base64");
    i_ = end + 1;
    return SfBare{std::move(bytes).value()};
  }

  core::Result<SfBare> boolean() {
    ++i_;  // '?'
    const char c = peek();
    if (c != '0' && c != '1') return fail("a boolean is ?0 or ?1");
    ++i_;
    return SfBare{c == '1'};
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

core::Result<SfDictionary> parse_sf_dictionary(std::string_view text) { return Parser(text).dictionary(); }

std::string serialize_sf_bare(const SfBare& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (const auto* s = std::get_if<std::string>(&value)) {
    std::string out = "\"";
    for (char c : *s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out + "\"";
  }
  if (const auto* t = std::get_if<SfToken>(&value)) return t->name;
  if (const auto* b = std::get_if<core::Bytes>(&value)) return ":" + crypto::base64_encode(*b) + ":";
  return std::get<bool>(value) ? "?1" : "?0";
}

std::string serialize_sf_params(const SfParams& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    out += ";" + key;
    if (const auto* b = std::get_if<bool>(&value); b && *b) continue;
    out += "=" + serialize_sf_bare(value);
  }
  return out;
}

std::string serialize_sf_item(const SfItem& item) { return serialize_sf_bare(item.value) + serialize_sf_params(item.params); }

std::string serialize_sf_inner_list(const SfInnerList& list) {
  std::string out = "(";
  for (std::size_t i = 0; i < list.items.size(); ++i) {
    if (i > 0) out += " ";
    out += serialize_sf_item(list.items[i]);
  }
  return out + ")" + serialize_sf_params(list.params);
}

}  // namespace metanode::api::cage
