// The fleet BPCI watches: the nodes' API URLs and the genesis they must serve (fleet file), and a
// monitor that polls each node's public API (/health, /metrics, the newest block) about once a
// second and keeps what the console shows: up or down and why, height, round, the last block's
// proposer, peers, version, last commit age, commit latency, CPU and memory, with a short
// history per node for charts. BPCI holds no chain state of its own: everything comes from the
// nodes' public APIs, so it runs on any host and keeps working while nodes die.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "ledger/genesis.hpp"

namespace metanode::bpci {

struct FleetMember {
  std::string name;  // "validator-0"
  std::string api;   // "http://127.0.0.1:9001"
  // The node's log file, when BPCI runs where it can read it (optional; relative paths are to the
  // fleet file): the console's log tail for operators.
  std::filesystem::path log_file;
};

// The fleet file (TOML):
//   genesis = "genesis.json"          # relative to the fleet file
//   [[nodes]]
//   name = "validator-0"
//   api = "http://127.0.0.1:9001"
//   log = "node0/node.log"            # optional
struct FleetConfig {
  std::filesystem::path genesis_file;
  std::vector<FleetMember> nodes;

  // kInvalidArgument naming the field: no nodes, a duplicate name, an API that is not http://host:port.
  static core::Result<FleetConfig> load(const std::filesystem::path& file);
  // The TOML text of a fleet (what `metanode up` writes).
  std::string to_toml() const;
  // Adds `member` to the fleet file `file` unless a node of that name is in it (false then).
  static core::Result<bool> add_to_file(const std::filesystem::path& file, const FleetMember& member);
};

// Values from a Prometheus text page: "name" or "name{labels}" -> value (labels kept verbatim).
std::map<std::string, double> parse_prometheus(std::string_view text);

// One poll's worth of a node, plus what the monitor derived from earlier polls.
struct NodeView {
  std::string name;
  std::string api;
  bool up = false;
  std::string error;             // why it is down (connection refused, timeout, wrong chain, ...)
  std::int64_t checked_unix_ms = 0;
  std::int64_t last_seen_unix_ms = 0;  // last answer
  std::int64_t down_since_unix_ms = 0;
  std::string version;
  std::string role;      // "validator" or "full" (its /health)
  std::string node_key;  // its XTMP identity key (hex)
  std::uint16_t xtmp_port = 0;
  std::uint64_t height = 0;
  std::uint64_t certified_height = 0;
  std::uint64_t round = 0;
  std::uint64_t rounds_timed_out = 0;
  std::uint64_t base_fee = 0;  // of the next block
  std::uint64_t peers = 0;
  std::uint64_t txs_committed = 0;
  std::uint64_t mempool_pending = 0;
  bool consensus_failed = false;
  std::string leader;  // the newest block's proposer (validator name, else its key)
  std::int64_t last_commit_unix_ms = 0;
  std::int64_t commit_latency_ms = 0;
  double cpu_percent = 0;  // of one core, over the last poll interval
  std::uint64_t rss_bytes = 0;
  double cpu_seconds = 0;  // the node's counter at the last poll (for the next percentage)
};

struct Sample {
  std::int64_t unix_ms = 0;
  std::uint64_t height = 0;
  std::int64_t commit_latency_ms = 0;
  double cpu_percent = 0;
  std::uint64_t round = 0;
  std::uint64_t rounds_timed_out = 0;
  std::uint64_t base_fee = 0;
  std::uint64_t mempool_pending = 0;
};

// Fetches one URL: (status, body), or an error when the node cannot be reached in time.
using Fetch = std::function<core::Result<std::pair<unsigned, std::string>>(const std::string& url, const std::string& target)>;
// The HTTP library's blocking client with `timeout`.
Fetch http_fetch(std::chrono::milliseconds timeout);

class FleetMonitor {
 public:
  // `history` samples are kept per node (at one a poll).
  FleetMonitor(FleetConfig config, ledger::Genesis genesis, Fetch fetch,
               std::chrono::milliseconds interval = std::chrono::milliseconds(1'000), std::size_t history = 300);
  ~FleetMonitor();
  FleetMonitor(const FleetMonitor&) = delete;
  FleetMonitor& operator=(const FleetMonitor&) = delete;

  // One thread per node polls it; `on_tick` (if set) runs after each round of the first node's
  // polls, at most once an interval, on a monitor thread (the live stream publishes there).
  void start(std::function<void()> on_tick = {});
  void stop();
  // Polls every node once, now, on the calling thread (tests; start() does it on its threads).
  void poll_all();

  const ledger::Genesis& genesis() const { return genesis_; }
  const std::filesystem::path& genesis_file() const { return config_.genesis_file; }
  std::vector<NodeView> nodes() const;
  std::size_t nodes_up() const;
  // {"chain_id", "genesis_digest", "updated_unix_ms", "nodes": [...], "validators": n}
  nlohmann::json snapshot_json() const;
  // One node's view with its history; null when no node has that name.
  nlohmann::json node_json(std::string_view name) const;
  // The fleet file's entry for `name`, if there is one.
  std::optional<FleetMember> member(std::string_view name) const;
  std::vector<FleetMember> members() const;
  // Watches one more node from now on (a node installed while BPCI runs); false when a node of
  // that name is watched already.
  bool add_member(FleetMember member);

 private:
  void poll(std::size_t index);
  void run(std::size_t index, std::stop_token stop);

  FleetConfig config_;
  ledger::Genesis genesis_;
  std::string genesis_digest_hex_;
  std::map<std::string, std::string> validator_names_;  // Ed25519 key (hex) -> validator name
  Fetch fetch_;
  std::chrono::milliseconds interval_;
  std::size_t history_max_;
  mutable std::mutex mutex_;
  std::vector<NodeView> views_;
  std::vector<std::deque<Sample>> history_;
  std::function<void()> on_tick_;
  std::condition_variable_any wake_;
  std::mutex threads_mutex_;
  bool started_ = false;
  std::deque<std::jthread> threads_;  // a deque: add_member appends while the others run
};

nlohmann::json to_json(const NodeView& view);

}  // namespace metanode::bpci
