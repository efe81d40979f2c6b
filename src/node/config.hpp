// A node's configuration (config.toml): where its chain and keys are, what it listens on, and
// how it makes blocks. Relative paths are relative to the config file's directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "mempool/auction_mempool.hpp"

namespace metanode::node {

// [api] beyond where the services listen: the Cage and the HTTP limits, alike on every listener.
struct ApiPolicy {
  std::int64_t signature_window_s = 30;  // a signed request's `created` within ± this of the clock
  // Token buckets per signed identity and per client address (0 disables).
  std::uint32_t rate_per_s = 1'000;
  std::uint32_t rate_burst = 2'000;
  std::vector<std::string> rate_exempt = {"127.0.0.1", "::1"};  // client addresses not rate-limited
  bool sign_responses = true;  // answers to requests with Accept-Signature carry the node's RFC 9421 signature
  std::string scheme = "http";  // @target-uri's scheme: "https" behind a TLS-terminating proxy
  std::size_t connections_max = 1'024;
  std::size_t connections_per_address_max = 128;
  std::uint32_t request_timeout_ms = 20'000;
  std::uint32_t idle_timeout_ms = 15'000;
  std::size_t header_bytes_max = 8 * 1024;
  // [api.access]: "METHOD /route" = "public" or ["role", ...], replacing that route's entry of
  // the built-in table (services/route_table.cpp). An empty role list is "public".
  std::vector<std::pair<std::string, std::vector<std::string>>> access;
};

struct NodeConfig {
  std::filesystem::path config_dir;
  std::filesystem::path genesis_file = "genesis.json";
  std::filesystem::path data_dir = "data";
  std::filesystem::path keystore_dir = "keys";
  std::string validator_key = "validator";
  // [node] role: "validator" (its key is in genesis's validator set; it votes) or "full" (it
  // follows the chain through validators that admit it: the governance role "node" or their
  // full_nodes list). `metanode install` writes a full node's configuration.
  std::string role = "validator";
  bool full_node() const { return role == "full"; }
  // hash(ConfigFile, the file's bytes) as load() read it (zero for a config built in code): the
  // audit trail records it at every start.
  core::Hash32 file_digest{};
  std::filesystem::path passphrase_file;  // empty: METANODE_PASSPHRASE or a prompt

  std::string listen_address = "127.0.0.1";
  std::uint16_t port_base = 9000;  // each service on base + its offset (ledger base+1)
  std::vector<std::string> services = {"ledger", "proofs", "econ", "oracle", "registry"};  // the HTTP services this node serves
  std::size_t http_threads = 2;
  ApiPolicy api;
  // [audit]: a signed checkpoint of the audit log after this many events, or this long after
  // the last one when there are new events.
  std::uint64_t audit_checkpoint_events = 1'000;
  std::uint32_t audit_checkpoint_interval_ms = 10'000;
  // The newest checkpoint is anchored on chain (the audit module) every this many blocks, by a
  // transaction from the node's key, which pays its fee; 0 = never.
  std::uint64_t audit_anchor_interval_blocks = 30;

  // [oracle]: when this node's key holds role "oracle", it observes every feed each interval_ms
  // (node/oracle/oracle_reporter.hpp), fetching each source within fetch_timeout_ms and
  // response_bytes_max; enabled = false never fetches.
  bool oracle_enabled = true;
  std::uint32_t oracle_interval_ms = 1'000;
  std::uint32_t oracle_fetch_timeout_ms = 2'000;
  std::uint32_t oracle_response_bytes_max = 64 * 1024;
  // [registry]: when this node's key holds role "oracle", it runs every lease's health check each
  // health_interval_ms within health_timeout_ms (node/registry/health_checker.hpp), and publishes a
  // result that changed, or that the chain has held for health_republish_s.
  bool health_checks_enabled = true;
  std::uint32_t health_interval_ms = 5'000;
  std::uint32_t health_timeout_ms = 2'000;
  std::uint32_t health_republish_s = 300;

  std::uint32_t block_interval_ms = 1000;
  bool empty_blocks = false;
  std::size_t block_txs_max = 20'000;
  std::size_t block_bytes_max = 8 << 20;

  mempool::MempoolConfig mempool;

  // BFT consensus (the engine is genesis.consensus). XTMP listens on port_base + 4.
  std::string xtmp_listen = "127.0.0.1";
  // Validators to keep links with: "<ed25519 public key hex>@host:port". Validators not
  // listed may still connect in.
  std::vector<std::string> peers;
  // Keys of full nodes and clients allowed to connect besides the validators (hex).
  std::vector<std::string> full_nodes;
  std::uint32_t round_timeout_ms = 2000;      // first round / view timer; doubles per failed round
  std::uint32_t round_timeout_cap_ms = 8000;
  bool post_quantum = true;                   // ML-KEM-768 inner layer on every link

  // False only in tests: the node serves its APIs over the chain but runs no consensus and no
  // XTMP; the test makes blocks itself (tests/support/single_producer.hpp).
  bool run_consensus = true;
  // False only in tests that need the fixed round-robin proposer order (a Byzantine test peer
  // that never signs would otherwise leave the rotation). Not read from the file: every validator
  // of a chain must elect leaders alike.
  bool leader_reputation = true;
  // Test-only fault switch (RuntimeConfig::fault_equivocate): this validator signs every vote
  // twice, for two block ids. Not read from the file; tests of slashing set it.
  bool fault_equivocate = false;

  bool ephemeral_ports = false;    // tests: listen on free ports the OS picks (see Node::service_port)

  std::uint16_t ledger_port() const { return service_port(1); }
  std::uint16_t service_port(std::uint16_t offset) const {
    return ephemeral_ports ? 0 : static_cast<std::uint16_t>(port_base + offset);
  }
  std::uint16_t xtmp_port() const { return ephemeral_ports ? 0 : static_cast<std::uint16_t>(port_base + 4); }
  std::filesystem::path resolve(const std::filesystem::path& p) const { return p.is_absolute() ? p : config_dir / p; }

  static core::Result<NodeConfig> load(const std::filesystem::path& file);
  std::string to_toml() const;
};

}  // namespace metanode::node
