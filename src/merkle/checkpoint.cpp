#include "merkle/checkpoint.hpp"

#include <charconv>

#include "crypto/encoding.hpp"

namespace metanode::merkle {
namespace {

core::Error malformed(const std::string& why) {
  return core::make_error(core::ErrorCode::kInvalidArgument, "checkpoint: " + why);
}

template <typename T>
std::optional<T> canonical_decimal(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string Checkpoint::to_text() const {
  std::string out = origin + "\n" + std::to_string(size) + "\n" + crypto::base64_encode(root) + "\n";
  for (const auto& line : extensions) out += line + "\n";
  return out;
}

core::Result<Checkpoint> Checkpoint::parse(std::string_view text) {
  if (text.empty() || text.back() != '\n') return malformed("the text does not end with a newline");
  std::vector<std::string_view> lines;
  for (std::string_view rest = text; !rest.empty();) {
    const auto end = rest.find('\n');
    lines.push_back(rest.substr(0, end));
    rest.remove_prefix(end + 1);
  }
  if (lines.size() < 3) return malformed("fewer than three lines (origin, size, root)");
  Checkpoint c;
  if (lines[0].empty()) return malformed("empty origin");
  c.origin = std::string(lines[0]);
  const auto size = canonical_decimal<std::uint64_t>(lines[1]);
  if (!size) return malformed("tree size '" + std::string(lines[1]) + "' is not a canonical decimal");
  c.size = *size;
  auto root = crypto::base64_decode(lines[2]);
  if (!root.ok() || root->size() != c.root.size()) return malformed("root hash is not base64 of 32 bytes");
  std::copy(root->begin(), root->end(), c.root.begin());
  for (std::size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return malformed("empty extension line");
    c.extensions.emplace_back(lines[i]);
  }
  return c;
}

std::optional<std::int64_t> Checkpoint::unix_ms() const {
  for (const auto& line : extensions) {
    if (line.starts_with(kCheckpointTimeExtension)) {
      return canonical_decimal<std::int64_t>(std::string_view(line).substr(kCheckpointTimeExtension.size()));
    }
  }
  return std::nullopt;
}

}  // namespace metanode::merkle
