// A price feed's specification, as the council's create_feed proposal gives it and governance
// keeps it (modules/oracle/oracle.hpp runs the feeds).
#pragma once

#include <limits>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/codec.hpp"
#include "core/result.hpp"

namespace metanode::modules {

inline constexpr std::string_view kRoleOracle = "oracle";
inline constexpr std::size_t kFeedIdBytesMax = 32;
inline constexpr std::size_t kFeedSourcesMax = 8;
inline constexpr std::size_t kFeedUrlBytesMax = 256;
inline constexpr std::size_t kFeedPathBytesMax = 128;
inline constexpr std::size_t kFeedDescriptionBytesMax = 200;
inline constexpr std::size_t kFeedsMax = 64;
inline constexpr std::uint8_t kFeedDecimalsMax = 18;

// A source: an http(s) URL answering JSON, and the JSON pointer (RFC 6901, "/data/price") of a
// number in it.
struct FeedSource {
  std::string url;
  std::string pointer;
  bool operator==(const FeedSource&) const = default;
};

struct FeedSpec {
  std::string id;  // 1-32 of [a-z0-9_-], starting with a letter
  std::string description;
  std::vector<FeedSource> sources;  // 1 to kFeedSourcesMax
  std::uint8_t decimals = 0;        // a value v is stored as round(v * 10^decimals)
  std::uint32_t deviation_bps = 50;      // a round is due when the median moves this much...
  std::uint64_t heartbeat_ms = 60'000;   // ...or this long after the last round
  std::uint64_t max_age_ms = 30'000;     // an observation older (or newer) than this at the block's time is stale
  std::int64_t min_value = 0;            // bounds of any observation, scaled
  std::int64_t max_value = std::numeric_limits<std::int64_t>::max();
  bool operator==(const FeedSpec&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<FeedSpec> decode(core::Reader& r);
  nlohmann::json to_json() const;
  static core::Result<FeedSpec> from_json(const nlohmann::json& j);
  core::Status check() const;  // kInvalidArgument naming what is wrong
};
core::Status check_feed_id(std::string_view id);

core::Bytes gov_feed_key(std::string_view feed);  // in the governance namespace
core::Bytes gov_feeds_key();
inline constexpr std::string_view kGovFeedPrefix = "oracle_feed:";
inline constexpr std::string_view kGovFeedsKey = "oracle_feeds";

// The feeds' ids (sorted), as governance keeps them, and their parts.
struct FeedIndex {
  std::vector<std::string> ids;
  void encode(core::Writer& w) const;
  static core::Result<FeedIndex> decode(core::Reader& r);
};

}  // namespace metanode::modules
