#include "node/config.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "core/hash.hpp"

namespace metanode::node {
namespace {
core::Error bad(const std::filesystem::path& file, std::string why) {
  return core::make_error(core::ErrorCode::kInvalidArgument, file.string() + ": " + std::move(why));
}

template <typename T>
core::Status read_int(const toml::table& table, std::string_view section, std::string_view key, T& out, T min, T max,
                      const std::filesystem::path& file) {
  const auto node = table[section][key];
  if (!node) return {};
  const auto value = node.value<std::int64_t>();
  if (!value || *value < static_cast<std::int64_t>(min) || static_cast<std::uint64_t>(*value) > static_cast<std::uint64_t>(max)) {
    std::string why = "[";
    why.append(section).append("] ").append(key).append(" must be an integer in ");
    why.append(std::to_string(min)).append("..").append(std::to_string(max));
    return bad(file, why);
  }
  out = static_cast<T>(*value);
  return {};
}
// A TOML array of strings, quoted and escaped by toml++: `["a", "b"]`.
std::string toml_strings(const std::vector<std::string>& items) {
  toml::array array;
  for (const auto& item : items) array.push_back(item);
  std::ostringstream out;
  out << toml::toml_formatter{array, toml::format_flags::none};  // basic "strings", like the rest of the file
  return out.str();
}

core::Result<std::vector<std::string>> string_array(const toml::node_view<const toml::node>& node) {
  const auto* array = node.as_array();
  if (array == nullptr) return core::make_error(core::ErrorCode::kInvalidArgument, "not an array");
  std::vector<std::string> out;
  for (const auto& item : *array) {
    const auto text = item.value<std::string>();
    if (!text) return core::make_error(core::ErrorCode::kInvalidArgument, "not an array of strings");
    out.push_back(*text);
  }
  return out;
}

core::Status read_api_policy(const toml::table& table, const std::filesystem::path& file, ApiPolicy& api) {
  MN_TRY(read_int<std::int64_t>(table, "api", "signature_window_s", api.signature_window_s, 1, 3'600, file));
  MN_TRY(read_int<std::uint32_t>(table, "api", "rate_per_s", api.rate_per_s, 0, 10'000'000, file));
  MN_TRY(read_int<std::uint32_t>(table, "api", "rate_burst", api.rate_burst, 1, 100'000'000, file));
  MN_TRY(read_int<std::size_t>(table, "api", "connections_max", api.connections_max, 1, 1'000'000, file));
  MN_TRY(read_int<std::size_t>(table, "api", "connections_per_address_max", api.connections_per_address_max, 1,
                               1'000'000, file));
  MN_TRY(read_int<std::uint32_t>(table, "api", "request_timeout_ms", api.request_timeout_ms, 100, 3'600'000, file));
  MN_TRY(read_int<std::uint32_t>(table, "api", "idle_timeout_ms", api.idle_timeout_ms, 100, 3'600'000, file));
  MN_TRY(read_int<std::size_t>(table, "api", "header_bytes_max", api.header_bytes_max, 1'024, 1 << 20, file));
  const toml::node_view<const toml::node> section = table["api"];
  if (auto v = section["sign_responses"]; v) {
    if (!v.is_boolean()) return bad(file, "[api] sign_responses must be true or false");
    api.sign_responses = *v.value<bool>();
  }
  if (auto v = section["scheme"]; v) {
    const auto scheme = v.value<std::string>();
    if (!scheme || (*scheme != "http" && *scheme != "https")) return bad(file, "[api] scheme must be \"http\" or \"https\"");
    api.scheme = *scheme;
  }
  if (auto v = section["rate_exempt"]; v) {
    auto list = string_array(v);
    if (!list.ok()) return bad(file, "[api] rate_exempt must be an array of IP addresses");
    api.rate_exempt = std::move(list).value();
  }
  if (auto v = section["access"]; v) {
    const auto* entries = v.as_table();
    if (entries == nullptr) return bad(file, "[api.access] must be a table of \"METHOD /route\" = \"public\" or [roles]");
    for (const auto& [key, value] : *entries) {
      const std::string route(key.str());
      if (route.find(' ') == std::string::npos || route.find(" /") == std::string::npos) {
        return bad(file, "[api.access] key '" + route + "' must be \"METHOD /route\" (e.g. \"GET /v1/mempool\")");
      }
      std::vector<std::string> roles;
      if (const auto text = value.value<std::string>()) {
        if (*text != "public") {
          return bad(file, "[api.access] \"" + route + "\" must be \"public\" or an array of role names");
        }
      } else {
        auto list = string_array(toml::node_view<const toml::node>(value));
        if (!list.ok() || list->empty()) {
          return bad(file, "[api.access] \"" + route + "\" must be \"public\" or a non-empty array of role names");
        }
        roles = std::move(list).value();
      }
      api.access.emplace_back(route, std::move(roles));
    }
  }
  return {};
}

}  // namespace

core::Result<NodeConfig> NodeConfig::load(const std::filesystem::path& file) {
  toml::table table;
  try {
    table = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << e.source().begin;
    return bad(file, std::string(e.description()) + " at " + where.str());
  }
  NodeConfig c;
  c.config_dir = std::filesystem::absolute(file).parent_path();
  {
    std::ifstream in(file, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    c.file_digest = core::hash(core::Domain::ConfigFile, core::as_bytes(text));
  }
  if (auto v = table["chain"]["genesis"].value<std::string>()) c.genesis_file = *v;
  if (auto v = table["chain"]["data_dir"].value<std::string>()) c.data_dir = *v;
  if (auto v = table["node"]["role"].value<std::string>()) {
    if (*v != "validator" && *v != "full") return bad(file, "[node] role must be \"validator\" or \"full\", not \"" + *v + "\"");
    c.role = *v;
  }
  if (auto v = table["validator"]["keystore"].value<std::string>()) c.keystore_dir = *v;
  if (auto v = table["validator"]["key"].value<std::string>()) c.validator_key = *v;
  if (auto v = table["validator"]["passphrase_file"].value<std::string>()) c.passphrase_file = *v;
  if (auto v = table["api"]["listen"].value<std::string>()) c.listen_address = *v;
  MN_TRY(read_int<std::uint16_t>(table, "api", "port_base", c.port_base, 0, 65000, file));
  MN_TRY(read_int<std::size_t>(table, "api", "http_threads", c.http_threads, 1, 64, file));
  MN_TRY(read_int<std::uint64_t>(table, "audit", "checkpoint_events", c.audit_checkpoint_events, 1, 1'000'000, file));
  MN_TRY(read_int<std::uint64_t>(table, "audit", "anchor_interval_blocks", c.audit_anchor_interval_blocks, 0, 1'000'000,
                                 file));
  MN_TRY(read_int<std::uint32_t>(table, "audit", "checkpoint_interval_ms", c.audit_checkpoint_interval_ms, 100,
                                 3'600'000, file));
  if (const auto node = table["oracle"]["enabled"]) {
    const auto v = node.value<bool>();
    if (!v) return bad(file, "[oracle] enabled must be true or false");
    c.oracle_enabled = *v;
  }
  MN_TRY(read_int<std::uint32_t>(table, "oracle", "interval_ms", c.oracle_interval_ms, 100, 3'600'000, file));
  MN_TRY(read_int<std::uint32_t>(table, "oracle", "fetch_timeout_ms", c.oracle_fetch_timeout_ms, 100, 60'000, file));
  MN_TRY(read_int<std::uint32_t>(table, "oracle", "response_bytes_max", c.oracle_response_bytes_max, 256, 8 << 20, file));
  if (const auto node = table["registry"]["health_checks"]) {
    const auto v = node.value<bool>();
    if (!v) return bad(file, "[registry] health_checks must be true or false");
    c.health_checks_enabled = *v;
  }
  MN_TRY(read_int<std::uint32_t>(table, "registry", "health_interval_ms", c.health_interval_ms, 100, 3'600'000, file));
  MN_TRY(read_int<std::uint32_t>(table, "registry", "health_timeout_ms", c.health_timeout_ms, 100, 60'000, file));
  MN_TRY(read_int<std::uint32_t>(table, "registry", "health_republish_s", c.health_republish_s, 1, 86'400, file));
  if (const auto node = table["api"]["services"]) {
    const auto* array = node.as_array();
    if (array == nullptr) return bad(file, "[api] services must be an array of service names");
    c.services.clear();
    for (const auto& item : *array) {
      const auto name = item.value<std::string>();
      if (!name) return bad(file, "[api] services must be an array of service names");
      if (std::find(c.services.begin(), c.services.end(), *name) != c.services.end()) {
        return bad(file, "[api] services lists '" + *name + "' twice");
      }
      c.services.push_back(*name);
    }
  }
  MN_TRY(read_int<std::uint32_t>(table, "blocks", "interval_ms", c.block_interval_ms, 10, 600'000, file));
  if (auto v = table["blocks"]["empty_blocks"].value<bool>()) c.empty_blocks = *v;
  MN_TRY(read_int<std::size_t>(table, "blocks", "txs_max", c.block_txs_max, 1, 50'000, file));
  MN_TRY(read_int<std::size_t>(table, "blocks", "bytes_max", c.block_bytes_max, 1024, 64 << 20, file));
  MN_TRY(read_int<std::size_t>(table, "mempool", "count_max", c.mempool.count_max, 1, 10'000'000, file));
  MN_TRY(read_int<std::size_t>(table, "mempool", "bytes_max", c.mempool.bytes_max, 1024, std::size_t{4} << 30, file));
  MN_TRY(read_int<std::size_t>(table, "mempool", "per_sender_max", c.mempool.per_sender_max, 1, 1'000'000, file));
  MN_TRY(read_int<std::uint64_t>(table, "mempool", "bid_min", c.mempool.bid_min, 0, std::uint64_t{1} << 62, file));
  MN_TRY(read_int<std::uint32_t>(table, "mempool", "replace_bump_percent", c.mempool.replace_bump_percent, 0, 1000, file));
  if (auto v = table["network"]["listen"].value<std::string>()) c.xtmp_listen = *v;
  for (const std::string_view key : {std::string_view("peers"), std::string_view("full_nodes")}) {
    const auto node = table["network"][key];
    if (!node) continue;
    std::string not_strings = "[network] ";
    not_strings.append(key).append(" must be an array of strings");
    const auto* array = node.as_array();
    if (array == nullptr) return bad(file, not_strings);
    auto& out = key == "peers" ? c.peers : c.full_nodes;
    for (const auto& item : *array) {
      const auto text = item.value<std::string>();
      if (!text) return bad(file, not_strings);
      out.push_back(*text);
    }
  }
  MN_TRY(read_int<std::uint32_t>(table, "consensus", "round_timeout_ms", c.round_timeout_ms, 50, 600'000, file));
  MN_TRY(read_int<std::uint32_t>(table, "consensus", "round_timeout_cap_ms", c.round_timeout_cap_ms, 50, 3'600'000, file));
  if (c.round_timeout_cap_ms < c.round_timeout_ms) return bad(file, "[consensus] round_timeout_cap_ms is below round_timeout_ms");
  MN_TRY(read_api_policy(table, file, c.api));
  if (auto v = table["network"]["post_quantum"].value<bool>()) c.post_quantum = *v;
  return c;
}

std::string NodeConfig::to_toml() const {
  std::ostringstream out;
  out << "# metanode node configuration. Relative paths are relative to this file.\n\n"
      << "[node]\n"
      << "# \"validator\" (its key is in genesis's validator set) or \"full\" (follows the chain, does not vote).\n"
      << "role = \"" << role << "\"\n\n"
      << "[chain]\n"
      << "genesis = \"" << genesis_file.string() << "\"\n"
      << "data_dir = \"" << data_dir.string() << "\"\n\n"
      << "[validator]\n"
      << "keystore = \"" << keystore_dir.string() << "\"\n"
      << "key = \"" << validator_key << "\"\n"
      << "# Leave out to use METANODE_PASSPHRASE or a prompt.\n"
      << "passphrase_file = \"" << passphrase_file.string() << "\"\n\n"
      << "[api]\n"
      << "listen = \"" << listen_address << "\"\n"
      << "port_base = " << port_base << "   # each service on port_base + its offset (ledger + 1)\n"
      << "http_threads = " << http_threads << "\n"
      << "services = " << toml_strings(services) << "\n"
      << "# The Cage (README: the Cage). Signed requests: created within +-signature_window_s.\n"
      << "signature_window_s = " << api.signature_window_s << "\n"
      << "# Token buckets per signed identity and per client address (0: off); exempt addresses.\n"
      << "rate_per_s = " << api.rate_per_s << "\n"
      << "rate_burst = " << api.rate_burst << "\n"
      << "rate_exempt = " << toml_strings(api.rate_exempt) << "\n"
      << "sign_responses = " << (api.sign_responses ? "true" : "false") << "   # RFC 9421 signatures on answers to requests that ask (Accept-Signature)\n"
      << "scheme = \"" << api.scheme << "\"   # \"https\" behind a TLS-terminating proxy\n"
      << "connections_max = " << api.connections_max << "   # per listener; over it: 503 server_busy\n"
      << "connections_per_address_max = " << api.connections_per_address_max << "   # over it: 429 too_many_connections\n"
      << "request_timeout_ms = " << api.request_timeout_ms << "   # first byte to last; over it: 408\n"
      << "idle_timeout_ms = " << api.idle_timeout_ms << "   # waiting for a request; then closed\n"
      << "header_bytes_max = " << api.header_bytes_max << "   # over it: 431\n\n"
      << "# Who may call a route, over the built-in table: \"METHOD /route\" = \"public\" or [roles].\n"
      << "[api.access]\n";
  for (const auto& [route, roles] : api.access) {
    out << "\"" << route << "\" = " << (roles.empty() ? std::string("\"public\"") : toml_strings(roles)) << "\n";
  }
  out << "# \"GET /v1/mempool\" = [\"operator\", \"admin\"]\n\n"
      << "# The audit trail (README: the audit trail): a signed checkpoint every N events or T ms,\n"
      << "# anchored on chain every anchor_interval_blocks blocks (0 = never; the node's key pays the fee).\n"
      << "[audit]\n"
      << "checkpoint_events = " << audit_checkpoint_events << "\n"
      << "checkpoint_interval_ms = " << audit_checkpoint_interval_ms << "\n"
      << "anchor_interval_blocks = " << audit_anchor_interval_blocks << "\n\n"
      << "# The oracle (README: the oracle): when this node's key holds role oracle, it fetches every\n"
      << "# feed's sources each interval_ms, signs its observation and shares it with the other operators.\n"
      << "[oracle]\n"
      << "enabled = " << (oracle_enabled ? "true" : "false") << "\n"
      << "interval_ms = " << oracle_interval_ms << "\n"
      << "fetch_timeout_ms = " << oracle_fetch_timeout_ms << "\n"
      << "response_bytes_max = " << oracle_response_bytes_max << "\n\n"
      << "# The registry's health checks: when this node's key holds role oracle, it runs each lease's check\n"
      << "# every health_interval_ms and publishes a result that changed (or is health_republish_s old).\n"
      << "[registry]\n"
      << "health_checks = " << (health_checks_enabled ? "true" : "false") << "\n"
      << "health_interval_ms = " << health_interval_ms << "\n"
      << "health_timeout_ms = " << health_timeout_ms << "\n"
      << "health_republish_s = " << health_republish_s << "\n\n"
      << "[blocks]\n"
      << "interval_ms = " << block_interval_ms << "\n"
      << "empty_blocks = " << (empty_blocks ? "true" : "false") << "\n"
      << "txs_max = " << block_txs_max << "\n"
      << "bytes_max = " << block_bytes_max << "\n\n"
      << "[mempool]\n"
      << "count_max = " << mempool.count_max << "\n"
      << "bytes_max = " << mempool.bytes_max << "\n"
      << "per_sender_max = " << mempool.per_sender_max << "\n"
      << "bid_min = " << mempool.bid_min << "\n"
      << "replace_bump_percent = " << mempool.replace_bump_percent << "\n\n"
      << "[consensus]\n"
      << "round_timeout_ms = " << round_timeout_ms << "       # doubles per failed round, up to the cap\n"
      << "round_timeout_cap_ms = " << round_timeout_cap_ms << "\n\n"
      << "[network]\n"
      << "# XTMP (TLS 1.3 with validator-key certificates + ML-KEM-768) on port_base + 4.\n"
      << "listen = \"" << xtmp_listen << "\"\n"
      << "post_quantum = " << (post_quantum ? "true" : "false") << "\n"
      << "# Validators to link with: \"<ed25519 key hex>@host:port\".\n"
      << "peers = [";
  for (std::size_t i = 0; i < peers.size(); ++i) out << (i ? ",\n  " : "\n  ") << "\"" << peers[i] << "\"";
  out << (peers.empty() ? "]\n" : "\n]\n") << "# Full nodes and clients allowed to connect (ed25519 key hex).\nfull_nodes = " << toml_strings(full_nodes) << "\n";
  return out.str();
}

}  // namespace metanode::node
