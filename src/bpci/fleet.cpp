#include "bpci/fleet.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "api/http/http_client.hpp"
#include "core/clock.hpp"

namespace metanode::bpci {
namespace {

using nlohmann::json;

core::Error invalid(const std::string& why) { return core::make_error(core::ErrorCode::kInvalidArgument, why); }

std::int64_t now_ms() { return core::SystemClock().now_unix_ms(); }

std::string short_error(const core::Error& e) {
  const std::string m = e.message;
  if (m.find("refused") != std::string::npos) return "connection refused";
  if (m.find("timed out") != std::string::npos || m.find("timeout") != std::string::npos) return "no answer in time";
  return m.size() > 120 ? m.substr(0, 117) + "..." : m;
}

double metric(const std::map<std::string, double>& m, const std::string& name, double fallback = 0) {
  const auto it = m.find(name);
  return it == m.end() ? fallback : it->second;
}

std::uint64_t u64_metric(const std::map<std::string, double>& m, const std::string& name) {
  const double v = metric(m, name);
  return v <= 0 ? 0 : static_cast<std::uint64_t>(v);
}

}  // namespace

core::Result<FleetConfig> FleetConfig::load(const std::filesystem::path& file) {
  toml::table table;
  try {
    table = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return invalid("fleet file " + file.string() + ": " + std::string(e.description()) + " (line " +
                   std::to_string(e.source().begin.line) + ")");
  }
  FleetConfig config;
  const auto genesis = table["genesis"].value<std::string>();
  if (!genesis || genesis->empty()) return invalid("fleet file " + file.string() + ": genesis = \"FILE\" is missing");
  config.genesis_file = std::filesystem::path(*genesis).is_absolute() ? std::filesystem::path(*genesis)
                                                                       : file.parent_path() / *genesis;
  const toml::array* nodes = table["nodes"].as_array();
  if (nodes == nullptr || nodes->empty()) {
    return invalid("fleet file " + file.string() + ": no [[nodes]] (each with name and api)");
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < nodes->size(); ++i) {
    const toml::table* node = (*nodes)[i].as_table();
    const std::string where = "fleet file " + file.string() + ": [[nodes]] #" + std::to_string(i + 1);
    if (node == nullptr) return invalid(where + " is not a table");
    FleetMember member;
    member.name = (*node)["name"].value_or(std::string());
    member.api = (*node)["api"].value_or(std::string());
    if (member.name.empty() || member.name.size() > 64) return invalid(where + ": name must be 1-64 characters");
    if (!names.insert(member.name).second) return invalid(where + ": the name '" + member.name + "' is used twice");
    if (!api::split_url(member.api).ok() || member.api.rfind("http://", 0) != 0) {
      return invalid(where + ": api must be http://host:port (got '" + member.api + "')");
    }
    while (!member.api.empty() && member.api.back() == '/') member.api.pop_back();
    if (const auto log = (*node)["log"].value<std::string>(); log && !log->empty()) {
      member.log_file = std::filesystem::path(*log).is_absolute() ? std::filesystem::path(*log) : file.parent_path() / *log;
    }
    config.nodes.push_back(std::move(member));
  }
  return config;
}

std::string FleetConfig::to_toml() const {
  toml::table table;
  table.insert("genesis", genesis_file.string());
  toml::array members;
  for (const auto& n : nodes) {
    toml::table entry{{"name", n.name}, {"api", n.api}};
    if (!n.log_file.empty()) entry.insert("log", n.log_file.string());
    members.push_back(std::move(entry));
  }
  table.insert("nodes", std::move(members));
  std::ostringstream out;
  out << "# The nodes BPCI watches (metanode bpci --fleet FILE): their API URLs and the genesis they serve.\n"
      << table << "\n";
  return out.str();
}

core::Result<bool> FleetConfig::add_to_file(const std::filesystem::path& file, const FleetMember& member) {
  MN_TRY_ASSIGN(auto fleet, load(file));
  if (std::any_of(fleet.nodes.begin(), fleet.nodes.end(), [&](const FleetMember& m) { return m.name == member.name; })) {
    return false;
  }
  fleet.nodes.push_back(member);
  std::ofstream out(file, std::ios::trunc);
  out << fleet.to_toml();
  if (!out.flush()) return core::make_error(core::ErrorCode::kIo, "cannot write " + file.string());
  return true;
}

std::map<std::string, double> parse_prometheus(std::string_view text) {
  std::map<std::string, double> out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (line.empty() || line.front() == '#') continue;
    // The value is after the last space (label values may hold spaces only inside quotes, which
    // come before it).
    const std::size_t space = line.rfind(' ');
    if (space == std::string_view::npos || space == 0) continue;
    const std::string_view value_text = line.substr(space + 1);
    double value = 0;
    const auto parsed = std::from_chars(value_text.data(), value_text.data() + value_text.size(), value);
    if (parsed.ec != std::errc()) continue;
    out[std::string(line.substr(0, space))] = value;
  }
  return out;
}

Fetch http_fetch(std::chrono::milliseconds timeout) {
  return [timeout](const std::string& url, const std::string& target) -> core::Result<std::pair<unsigned, std::string>> {
    MN_TRY_ASSIGN(api::HttpReply reply, api::http_request(url, "GET", target, "", "application/json", timeout));
    return std::make_pair(reply.status, std::move(reply.body));
  };
}

json to_json(const NodeView& v) {
  return {{"name", v.name},
          {"api", v.api},
          {"up", v.up},
          {"error", v.error},
          {"checked_unix_ms", v.checked_unix_ms},
          {"last_seen_unix_ms", v.last_seen_unix_ms},
          {"down_since_unix_ms", v.down_since_unix_ms},
          {"version", v.version},
          {"role", v.role},
          {"node_key", v.node_key},
          {"xtmp_port", v.xtmp_port},
          // Heights, rounds and counters are numbers, as in the nodes' API (amounts are strings there).
          {"height", v.height},
          {"certified_height", v.certified_height},
          {"round", v.round},
          {"rounds_timed_out", v.rounds_timed_out},
          {"base_fee", std::to_string(v.base_fee)},  // an amount: a decimal string, as the nodes write it
          {"peers", v.peers},
          {"txs_committed", v.txs_committed},
          {"mempool_pending", v.mempool_pending},
          {"consensus_failed", v.consensus_failed},
          {"leader", v.leader},
          {"last_commit_unix_ms", v.last_commit_unix_ms},
          {"commit_latency_ms", v.commit_latency_ms},
          {"cpu_percent", std::round(v.cpu_percent * 10) / 10},
          {"rss_bytes", v.rss_bytes}};
}

FleetMonitor::FleetMonitor(FleetConfig config, ledger::Genesis genesis, Fetch fetch, std::chrono::milliseconds interval,
                           std::size_t history)
    : config_(std::move(config)),
      genesis_(std::move(genesis)),
      genesis_digest_hex_(core::to_hex(genesis_.digest())),
      fetch_(std::move(fetch)),
      interval_(interval),
      history_max_(history) {
  for (const auto& v : genesis_.validators) validator_names_[v.ed25519_public_key.to_hex()] = v.name;
  for (const auto& member : config_.nodes) {
    NodeView view;
    view.name = member.name;
    view.api = member.api;
    view.error = "not checked yet";
    views_.push_back(std::move(view));
  }
  history_.resize(views_.size());
}

FleetMonitor::~FleetMonitor() { stop(); }

void FleetMonitor::start(std::function<void()> on_tick) {
  on_tick_ = std::move(on_tick);
  std::lock_guard threads(threads_mutex_);
  started_ = true;
  std::size_t count = 0;
  {
    std::lock_guard lock(mutex_);
    count = views_.size();
  }
  for (std::size_t i = 0; i < count; ++i) {
    threads_.emplace_back([this, i](std::stop_token stop) { run(i, stop); });
  }
}

void FleetMonitor::stop() {
  std::deque<std::jthread> stopping;
  {
    std::lock_guard threads(threads_mutex_);
    started_ = false;
    stopping.swap(threads_);
  }
  for (auto& t : stopping) t.request_stop();
  wake_.notify_all();
  stopping.clear();  // joins
}

bool FleetMonitor::add_member(FleetMember member) {
  std::lock_guard threads(threads_mutex_);
  std::size_t index = 0;
  {
    std::lock_guard lock(mutex_);
    if (std::any_of(config_.nodes.begin(), config_.nodes.end(), [&](const auto& m) { return m.name == member.name; })) {
      return false;
    }
    NodeView view;
    view.name = member.name;
    view.api = member.api;
    view.error = "not checked yet";
    config_.nodes.push_back(std::move(member));
    views_.push_back(std::move(view));
    history_.emplace_back();
    index = views_.size() - 1;
  }
  if (started_) threads_.emplace_back([this, index](std::stop_token stop) { run(index, stop); });
  return true;
}

void FleetMonitor::run(std::size_t index, std::stop_token stop) {
  while (!stop.stop_requested()) {
    const auto started = std::chrono::steady_clock::now();
    poll(index);
    if (index == 0 && on_tick_) on_tick_();
    std::unique_lock lock(mutex_);
    wake_.wait_until(lock, stop, started + interval_, [] { return false; });
  }
}

void FleetMonitor::poll_all() {
  std::size_t count = 0;
  {
    std::lock_guard lock(mutex_);
    count = views_.size();
  }
  for (std::size_t i = 0; i < count; ++i) poll(i);
}

// Longer than most: one poll is three requests (health, metrics, the newest block), each with
// its own way to fail, and the derived figures (CPU share, down since) need the previous poll.
void FleetMonitor::poll(std::size_t index) {
  NodeView view;
  {
    std::lock_guard lock(mutex_);
    view = views_[index];
  }
  const NodeView before = view;
  view.checked_unix_ms = now_ms();
  auto fail = [&](std::string why) {
    view.up = false;
    view.error = std::move(why);
    if (before.up || before.down_since_unix_ms == 0) view.down_since_unix_ms = view.checked_unix_ms;
    view.cpu_percent = 0;
  };
  auto health = fetch_(view.api, "/health");
  if (!health.ok()) {
    fail(short_error(health.error()));
  } else if (health->first != 200) {
    fail("/health answered HTTP " + std::to_string(health->first));
  } else {
    const json h = json::parse(health->second, nullptr, false);
    if (h.is_discarded() || !h.is_object()) {
      fail("/health is not JSON");
    } else if (h.value("genesis_digest", std::string()) != genesis_digest_hex_) {
      fail("serves another chain (genesis digest " + h.value("genesis_digest", std::string("none")).substr(0, 16) +
           "..., the fleet's genesis is " + genesis_digest_hex_.substr(0, 16) + "...)");
    } else {
      view.up = true;
      view.error.clear();
      view.role = h.value("role", std::string());
      view.node_key = h.value("node_key", std::string());
      view.xtmp_port = static_cast<std::uint16_t>(h.value("xtmp_port", 0));
      view.down_since_unix_ms = 0;
      view.last_seen_unix_ms = view.checked_unix_ms;
      auto metrics = fetch_(view.api, "/metrics");
      if (metrics.ok() && metrics->first == 200) {
        const auto m = parse_prometheus(metrics->second);
        view.height = u64_metric(m, "metanode_block_height");
        view.certified_height = u64_metric(m, "metanode_certified_height");
        view.round = u64_metric(m, "metanode_consensus_round");
        view.rounds_timed_out = u64_metric(m, "metanode_consensus_rounds_timed_out_total");
        view.base_fee = u64_metric(m, "metanode_base_fee");
        view.peers = u64_metric(m, "metanode_peers_connected");
        view.txs_committed = u64_metric(m, "metanode_txs_committed_total");
        view.mempool_pending = u64_metric(m, "metanode_mempool_size");
        view.consensus_failed = metric(m, "metanode_consensus_failed") > 0;
        view.last_commit_unix_ms = static_cast<std::int64_t>(metric(m, "metanode_last_commit_unix_ms"));
        view.commit_latency_ms = static_cast<std::int64_t>(metric(m, "metanode_commit_latency_ms"));
        view.rss_bytes = u64_metric(m, "process_resident_memory_bytes");
        const double cpu = metric(m, "process_cpu_seconds_total");
        const double elapsed_s = static_cast<double>(view.checked_unix_ms - before.checked_unix_ms) / 1000.0;
        view.cpu_percent = before.up && before.checked_unix_ms > 0 && elapsed_s > 0 && cpu >= before.cpu_seconds
                               ? 100.0 * (cpu - before.cpu_seconds) / elapsed_s
                               : 0;
        view.cpu_seconds = cpu;
        for (const auto& [key, value] : m) {
          if (key.rfind("metanode_build_info{", 0) != 0) continue;
          const auto start = key.find("version=\"");
          if (start != std::string::npos) view.version = key.substr(start + 9, key.find('"', start + 9) - start - 9);
        }
      }
      if (view.height == 0) {
        view.leader.clear();  // block 0 has no proposer
      } else if (view.height != before.height || view.leader.empty()) {
        auto block = fetch_(view.api, "/v1/blocks/" + std::to_string(view.height));
        if (block.ok() && block->first == 200) {
          const json b = json::parse(block->second, nullptr, false);
          const std::string proposer = b.is_object() && b.contains("header") ? b["header"].value("proposer", std::string()) : "";
          const auto named = validator_names_.find(proposer);
          view.leader = named != validator_names_.end() ? named->second : proposer.substr(0, 12);
        }
      }
    }
  }
  std::lock_guard lock(mutex_);
  views_[index] = view;
  auto& samples = history_[index];
  samples.push_back(Sample{view.checked_unix_ms, view.height, view.commit_latency_ms, view.cpu_percent, view.round,
                           view.rounds_timed_out, view.base_fee, view.mempool_pending});
  while (samples.size() > history_max_) samples.pop_front();
}

std::optional<FleetMember> FleetMonitor::member(std::string_view name) const {
  std::lock_guard lock(mutex_);
  for (const auto& m : config_.nodes) {
    if (m.name == name) return m;
  }
  return std::nullopt;
}

std::vector<FleetMember> FleetMonitor::members() const {
  std::lock_guard lock(mutex_);
  return config_.nodes;
}

std::vector<NodeView> FleetMonitor::nodes() const {
  std::lock_guard lock(mutex_);
  return views_;
}

std::size_t FleetMonitor::nodes_up() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(views_.begin(), views_.end(), [](const NodeView& v) { return v.up; }));
}

json FleetMonitor::snapshot_json() const {
  std::lock_guard lock(mutex_);
  json nodes = json::array();
  for (const auto& v : views_) nodes.push_back(to_json(v));
  return {{"type", "fleet"},
          {"chain_id", genesis_.chain_id},
          {"genesis_digest", genesis_digest_hex_},
          {"consensus", genesis_.consensus},
          {"validators", genesis_.validators.size()},
          {"updated_unix_ms", now_ms()},
          {"nodes", std::move(nodes)}};
}

json FleetMonitor::node_json(std::string_view name) const {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < views_.size(); ++i) {
    if (views_[i].name != name) continue;
    json out = to_json(views_[i]);
    json samples = json::array();
    for (const auto& s : history_[i]) {
      samples.push_back({{"unix_ms", s.unix_ms}, {"height", s.height},
                         {"commit_latency_ms", s.commit_latency_ms}, {"cpu_percent", std::round(s.cpu_percent * 10) / 10},
                         {"round", s.round}, {"rounds_timed_out", s.rounds_timed_out},
                         {"base_fee", std::to_string(s.base_fee)}, {"mempool_pending", s.mempool_pending}});
    }
    out["history"] = std::move(samples);
    return out;
  }
  return nullptr;
}

}  // namespace metanode::bpci
