#include "modules/oracle/feed_spec.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "modules/entries.hpp"

namespace metanode::modules {
namespace {

using core::ErrorCode;
using core::make_error;
using nlohmann::json;

core::Error invalid(const std::string& why) { return make_error(ErrorCode::kInvalidArgument, "feed: " + why); }

template <typename T>
core::Result<T> number(const json& j, std::string_view name, T fallback) {
  if (!j.contains(name)) return fallback;
  const json& v = j.at(name);
  if constexpr (std::is_signed_v<T>) {
    if (!v.is_number_integer()) return invalid(std::string(name) + " must be an integer");
    return static_cast<T>(v.get<std::int64_t>());
  } else {
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > std::numeric_limits<T>::max()) {
      return invalid(std::string(name) + " must be a whole number up to " + std::to_string(std::numeric_limits<T>::max()));
    }
    return static_cast<T>(v.get<std::uint64_t>());
  }
}

}  // namespace

core::Status check_feed_id(std::string_view id) {
  const bool chars = std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (id.empty() || id.size() > kFeedIdBytesMax || !chars || !(id[0] >= 'a' && id[0] <= 'z')) {
    return invalid("id '" + std::string(id.substr(0, 64)) + "': 1-32 of a-z, 0-9, '_' and '-', starting with a letter");
  }
  return {};
}

core::Status FeedSpec::check() const {
  MN_TRY(check_feed_id(id));
  if (description.size() > kFeedDescriptionBytesMax) return invalid("description over 200 bytes");
  if (sources.empty() || sources.size() > kFeedSourcesMax) return invalid("1 to 8 sources");
  for (const auto& s : sources) {
    if (!(s.url.starts_with("http://") || s.url.starts_with("https://")) || s.url.size() > kFeedUrlBytesMax) {
      return invalid("source '" + s.url.substr(0, 64) + "' is not an http:// or https:// URL of at most 256 bytes");
    }
    if ((!s.pointer.empty() && s.pointer[0] != '/') || s.pointer.size() > kFeedPathBytesMax) {
      return invalid("pointer '" + s.pointer.substr(0, 64) + "' is not a JSON pointer (\"/data/price\") of at most 128 bytes");
    }
  }
  if (decimals > kFeedDecimalsMax) return invalid("decimals at most 18");
  if (deviation_bps == 0 || deviation_bps > 10'000) return invalid("deviation_bps from 1 to 10000");
  if (heartbeat_ms < 1'000) return invalid("heartbeat_ms at least 1000");
  if (max_age_ms < 1'000 || max_age_ms > 3'600'000) return invalid("max_age_ms from 1000 to 3600000");
  if (min_value > max_value) return invalid("min_value above max_value");
  return {};
}

void FeedSpec::encode(core::Writer& w) const {
  w.string(id, kFeedIdBytesMax);
  w.string(description, kFeedDescriptionBytesMax);
  w.vector(sources, kFeedSourcesMax, [](core::Writer& out, const FeedSource& s) {
    out.string(s.url, kFeedUrlBytesMax);
    out.string(s.pointer, kFeedPathBytesMax);
  });
  w.u8(decimals);
  w.u32(deviation_bps);
  w.u64(heartbeat_ms);
  w.u64(max_age_ms);
  w.i64(min_value);
  w.i64(max_value);
}

core::Result<FeedSpec> FeedSpec::decode(core::Reader& r) {
  FeedSpec f;
  MN_TRY_ASSIGN(f.id, r.string(kFeedIdBytesMax));
  MN_TRY_ASSIGN(f.description, r.string(kFeedDescriptionBytesMax));
  MN_TRY_ASSIGN(f.sources, r.vector<FeedSource>(kFeedSourcesMax, [](core::Reader& in) -> core::Result<FeedSource> {
    FeedSource s;
    MN_TRY_ASSIGN(s.url, in.string(kFeedUrlBytesMax));
    MN_TRY_ASSIGN(s.pointer, in.string(kFeedPathBytesMax));
    return s;
  }));
  MN_TRY_ASSIGN(f.decimals, r.u8());
  MN_TRY_ASSIGN(f.deviation_bps, r.u32());
  MN_TRY_ASSIGN(f.heartbeat_ms, r.u64());
  MN_TRY_ASSIGN(f.max_age_ms, r.u64());
  MN_TRY_ASSIGN(f.min_value, r.i64());
  MN_TRY_ASSIGN(f.max_value, r.i64());
  return f;
}

json FeedSpec::to_json() const {
  json list = json::array();
  for (const auto& s : sources) list.push_back({{"url", s.url}, {"pointer", s.pointer}});
  return {{"id", id},
          {"description", description},
          {"sources", list},
          {"decimals", decimals},
          {"deviation_bps", deviation_bps},
          {"heartbeat_ms", heartbeat_ms},
          {"max_age_ms", max_age_ms},
          {"min_value", std::to_string(min_value)},
          {"max_value", std::to_string(max_value)}};
}

core::Result<FeedSpec> FeedSpec::from_json(const json& j) {
  if (!j.is_object()) return invalid("must be an object");
  FeedSpec f;
  if (!j.contains("id") || !j.at("id").is_string()) return invalid("id is missing");
  f.id = j.at("id").get<std::string>();
  if (j.contains("description")) {
    if (!j.at("description").is_string()) return invalid("description must be a string");
    f.description = j.at("description").get<std::string>();
  }
  if (!j.contains("sources") || !j.at("sources").is_array()) return invalid("sources must be a list of {\"url\", \"pointer\"}");
  for (const json& s : j.at("sources")) {
    if (!s.is_object() || !s.contains("url") || !s.at("url").is_string()) return invalid("each source needs a url");
    FeedSource source{s.at("url").get<std::string>(), ""};
    if (s.contains("pointer")) {
      if (!s.at("pointer").is_string()) return invalid("a source's pointer must be a string");
      source.pointer = s.at("pointer").get<std::string>();
    }
    f.sources.push_back(std::move(source));
  }
  MN_TRY_ASSIGN(f.decimals, number<std::uint8_t>(j, "decimals", f.decimals));
  MN_TRY_ASSIGN(f.deviation_bps, number<std::uint32_t>(j, "deviation_bps", f.deviation_bps));
  MN_TRY_ASSIGN(f.heartbeat_ms, number<std::uint64_t>(j, "heartbeat_ms", f.heartbeat_ms));
  MN_TRY_ASSIGN(f.max_age_ms, number<std::uint64_t>(j, "max_age_ms", f.max_age_ms));
  // Bounds may come as strings (beyond 2^53).
  for (const auto& [name, field] : {std::pair{"min_value", &f.min_value}, std::pair{"max_value", &f.max_value}}) {
    if (!j.contains(name)) continue;
    const json& v = j.at(name);
    if (v.is_number_integer()) {
      *field = v.get<std::int64_t>();
    } else if (v.is_string()) {
      try {
        std::size_t used = 0;
        *field = std::stoll(v.get<std::string>(), &used);
        if (used != v.get<std::string>().size()) return invalid(std::string(name) + " must be an integer");
      } catch (...) {
        return invalid(std::string(name) + " must be an integer");
      }
    } else {
      return invalid(std::string(name) + " must be an integer");
    }
  }
  MN_TRY(f.check());
  return f;
}

core::Bytes gov_feed_key(std::string_view feed) { return text_key(kGovFeedPrefix, feed); }
core::Bytes gov_feeds_key() { return text_key(kGovFeedsKey); }

void FeedIndex::encode(core::Writer& w) const {
  w.vector(ids, kFeedsMax, [](core::Writer& out, const std::string& id) { out.string(id, kFeedIdBytesMax); });
}
core::Result<FeedIndex> FeedIndex::decode(core::Reader& r) {
  FeedIndex index;
  MN_TRY_ASSIGN(index.ids, r.vector<std::string>(kFeedsMax, [](core::Reader& in) { return in.string(kFeedIdBytesMax); }));
  return index;
}

}  // namespace metanode::modules
