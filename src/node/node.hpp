// A running node: the parts it owns and nothing of its own (after Bitcoin Core's NodeContext and
// CometBFT's node/setup.go). Each part is built by one small function in node/setup.cpp, which
// also wires them: the chain on disk, the one signature-check path, the transaction pool, the
// block listeners, the ledger backend the services read through, the HTTP services on
// base + offset, and the consensus runtime with its XTMP links on base + 4.
#pragma once

#include <boost/asio/io_context.hpp>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "crypto/ed25519.hpp"
#include "crypto/hybrid.hpp"
#include "ledger/chain.hpp"
#include "modules/module_set.hpp"
#include "node/audit_anchor.hpp"
#include "node/evidence_reporter.hpp"
#include "node/audit_log.hpp"
#include "node/audit_witness.hpp"
#include "node/block_listeners.hpp"
#include "node/config.hpp"
#include "node/ledger_backend.hpp"
#include "node/oracle/oracle_reporter.hpp"
#include "node/periodic_task.hpp"
#include "node/registry/health_checker.hpp"
#include "node/runtime/consensus_runtime.hpp"
#include "node/signature_checks.hpp"
#include "node/tx_pool.hpp"
#include "services/ledger/ledger_service.hpp"
#include "services/service.hpp"

namespace metanode::node {

// What a node runs besides the standard parts: the chain's module set (the standard one, or one
// with test modules added) and services beyond those the config names.
struct NodePlugins {
  ledger::ModuleSet modules = modules::standard_modules();
  std::vector<std::shared_ptr<services::Service>> extra_services;
  // Who may call the extra services' routes: entries added to the Cage's one table
  // (services/route_table.cpp). A route of theirs not listed here is closed.
  std::vector<std::tuple<std::string, std::string, api::cage::Access>> extra_routes;
  // Tests: how this node's oracle reads a feed's value (default: its sources over HTTP(S)).
  OracleReporter::Fetch oracle_fetch;
  // Tests: how this node's health checks see a service (default: HTTP(S) and TCP).
  HealthChecker::Probe health_probe;
};

class NodeRuntimeHost;

class Node {
 public:
  // Opens the chain and builds every part (setup.cpp); nothing listens yet.
  static core::Result<std::unique_ptr<Node>> open(NodeConfig config, ledger::Genesis genesis,
                                                   crypto::KeyPair validator_key, NodePlugins plugins = {});
  // With the node's ML-DSA-65 key too (the keystore's): its audit checkpoints then carry both
  // signature lines. Without it (tests), they carry the Ed25519 line only.
  static core::Result<std::unique_ptr<Node>> open(NodeConfig config, ledger::Genesis genesis,
                                                   crypto::HybridKeyPair keys, NodePlugins plugins = {});
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts the services, then (unless config.run_consensus is false) the consensus runtime.
  core::Status start();
  // Stops the runtime, then the services, and joins every thread. Idempotent.
  void stop();

  const NodeConfig& config() const { return config_; }
  const crypto::KeyPair& validator_key() const { return validator_key_; }
  ledger::Chain& chain() { return *chain_; }
  const ledger::Chain& chain() const { return *chain_; }
  TxPool& tx_pool() { return *tx_pool_; }
  const EvidenceReporter& evidence() const { return *evidence_; }
  const OracleReporter& oracle() const { return *oracle_; }
  const HealthChecker& health_checker() const { return *health_; }
  BlockListeners& block_listeners() { return block_listeners_; }
  NodeLedgerBackend& backend() { return *backend_; }
  AuditTrail& audit() { return *audit_; }

  // The port a running service listens on; 0 when it does not run.
  std::uint16_t service_port(std::string_view name) const;
  std::uint16_t ledger_port() const { return service_port("ledger"); }
  std::uint16_t xtmp_port() const { return runtime_ ? runtime_->xtmp_port() : 0; }
  // Consensus and link status (zeros without a runtime).
  RuntimeStatus runtime_status() const { return runtime_ ? runtime_->status() : RuntimeStatus{}; }

  // The fault that stopped this node's runtime (it cannot trust its own state), if one did.
  std::optional<core::Error> fault() const;
  // Called once, on a node thread, when such a fault happens: the process should stop the node.
  // Set before start().
  void set_fault_handler(std::function<void(const core::Error&)> handler) { fault_handler_ = std::move(handler); }

 private:
  Node(NodeConfig config, crypto::KeyPair validator_key);
  friend struct NodeSetup;
  void report_fault(const core::Error& fault);

  NodeConfig config_;
  crypto::KeyPair validator_key_;
  std::optional<crypto::MldsaKeyPair> mldsa_key_;
  std::unique_ptr<ledger::Chain> chain_;
  // In the chain's CueDB; after the chain (destroyed before it), before the Cage that records
  // into it.
  std::unique_ptr<storage::AuditLog> audit_log_;
  std::unique_ptr<AuditTrail> audit_;
  // A validator witnesses the other validators' audit logs, and asks them to witness its own.
  std::unique_ptr<AuditWitness> witness_;
  std::unique_ptr<WitnessClient> witness_client_;
  // Before the pool and the runtime, which run checks on its threads: it outlives both.
  SignatureChecks signatures_;
  BlockListeners block_listeners_;
  std::unique_ptr<TxPool> tx_pool_;
  std::unique_ptr<AuditAnchorer> audit_anchor_;  // sends through the pool
  std::unique_ptr<EvidenceReporter> evidence_;   // sends through the pool
  std::unique_ptr<OracleReporter> oracle_;       // fetches on its own thread, sends through the pool
  std::unique_ptr<HealthChecker> health_;        // probes on its own thread, sends through the pool
  PeriodicTask oracle_task_;
  PeriodicTask health_task_;
  std::unique_ptr<NodeLedgerBackend> backend_;
  boost::asio::io_context io_;  // HTTP sessions and background work (sync answers, gossip)
  std::vector<std::thread> io_threads_;
  // After start, one pass over every stored table file's checksums (damage in data the node has
  // not read yet stops it now rather than when a block first reads it); stop() ends it early.
  std::thread scrub_thread_;
  std::atomic<bool> scrub_stop_{false};
  std::shared_ptr<services::LedgerService> ledger_service_;
  std::vector<std::shared_ptr<services::Service>> services_;  // what start() serves, in order
  std::vector<std::unique_ptr<services::ServiceHost>> service_hosts_;
  // One Cage for every listener of this node (one replay cache, one set of rate buckets).
  std::unique_ptr<api::cage::Cage> cage_;
  api::cage::RouteTable route_table_;
  std::unique_ptr<NodeRuntimeHost> runtime_host_;
  std::unique_ptr<ConsensusRuntime> runtime_;
  bool started_ = false;
  mutable std::mutex fault_mutex_;
  std::optional<core::Error> fault_;
  std::function<void(const core::Error&)> fault_handler_;
};

}  // namespace metanode::node
