// Builds a Node: one small function per part, and the wiring between them. The only place that
// knows how the parts fit together.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <charconv>

#include "core/clock.hpp"
#include <chrono>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "node/node.hpp"
#include "node/validator_sets.hpp"

#include "ledger/audit_proofs.hpp"
#include "ledger/module.hpp"
#include "modules/governance/governance.hpp"
#include "services/econ/econ_service.hpp"
#include "services/oracle/oracle_service.hpp"
#include "services/registry/registry_service.hpp"
#include "services/proofs/proofs_service.hpp"
#include "services/route_table.hpp"

namespace metanode::node {

// The runtime's view of the node: the pool proposes and admits gossip, listeners hear of applied
// blocks, background work runs on the node's io threads.
class NodeRuntimeHost final : public RuntimeHost {
 public:
  NodeRuntimeHost(TxPool& pool, const BlockListeners& listeners, boost::asio::io_context& io,
                  std::function<void(const core::Error&)> on_fault, EvidenceReporter& evidence)
      : pool_(pool), listeners_(listeners), io_(io), on_fault_(std::move(on_fault)), evidence_(evidence) {}
  std::vector<ledger::Transaction> propose(const ledger::AccountReader& state) override { return pool_.propose(state); }
  bool has_pending() const override { return pool_.has_pending(); }
  std::vector<char> pending_exact(const std::vector<ledger::Transaction>& txs,
                                  const std::vector<core::Hash32>& hashes) const override {
    return pool_.pending_exact(txs, hashes);
  }
  std::vector<ledger::Transaction> pending_in_nonce_order(std::size_t count_max) const override {
    return pool_.pending_in_nonce_order(count_max);
  }
  void on_applied(const ledger::ProducedBlock& produced) override { listeners_.notify(produced); }
  void admit_from_peer(std::vector<ledger::Transaction> txs) override {
    pool_.admit(std::move(txs), TxPool::Source::kPeer);
  }
  void post_work(std::function<void()> work) override { boost::asio::post(io_, std::move(work)); }
  void on_fault(const core::Error& fault) override { on_fault_(fault); }
  void on_equivocation(std::uint64_t epoch, const crypto::PublicKey& offender, const consensus::EquivocationSeen& seen) override {
    evidence_.report(modules::EquivocationEvidence{epoch, offender, seen.first.data, seen.first.signature.signature,
                                                   seen.second.data, seen.second.signature.signature});
  }
  void on_proposal_equivocation(std::uint64_t epoch, const crypto::PublicKey& offender,
                                const consensus::ProposalEquivocationSeen& seen) override {
    evidence_.report(modules::ProposalEvidence{epoch, offender, seen.form, seen.first, seen.second});
  }

 private:
  TxPool& pool_;
  const BlockListeners& listeners_;
  boost::asio::io_context& io_;
  std::function<void(const core::Error&)> on_fault_;
  EvidenceReporter& evidence_;
};

struct NodeSetup {
  static core::Status check_validator(const Node& node, const ledger::Genesis& genesis) {
    const auto keys = genesis.validator_keys();
    const bool validator = std::find(keys.begin(), keys.end(), node.validator_key_.public_key()) != keys.end();
    if (node.config_.full_node() && validator) {
      return core::make_error(core::ErrorCode::kInvalidArgument,
                              "key '" + node.config_.validator_key +
                                  "' is a validator's in the genesis file, but [node] role is \"full\": a full node needs a key of its own");
    }
    if (!node.config_.full_node() && !validator) {
      return core::make_error(core::ErrorCode::kInvalidArgument,
                              "key '" + node.config_.validator_key +
                                  "' is not a validator in the genesis file (a node that only follows the chain has [node] role = \"full\")");
    }
    return {};
  }

  static core::Status open_chain(Node& node, const ledger::Genesis& genesis, ledger::ModuleSet modules) {
    node.config_.mempool.chain = ledger::ChainBinding{genesis.chain_id, genesis.digest()};
    node.config_.mempool.modules = modules;
    MN_TRY_ASSIGN(node.chain_, ledger::Chain::open(node.config_.resolve(node.config_.data_dir), genesis, std::move(modules)));
    return {};
  }

  static core::Status open_audit_log(Node& node) {
    storage::AuditLogOptions options;
    options.origin = ledger::audit_origin(node.chain_->genesis().chain_id, node.validator_key_.public_key());
    options.ed25519 = &node.validator_key_;
    options.mldsa = node.mldsa_key_ ? &*node.mldsa_key_ : nullptr;
    options.checkpoint_events = node.config_.audit_checkpoint_events;
    options.checkpoint_interval = std::chrono::milliseconds(node.config_.audit_checkpoint_interval_ms);
    options.on_fault = [&node](const core::Error& fault) { node.report_fault(fault); };
    MN_TRY_ASSIGN(node.audit_log_, storage::AuditLog::open(node.chain_->db(), std::move(options)));
    node.audit_ = std::make_unique<AuditTrail>(*node.audit_log_, node.chain_->modules());
    node.audit_->set_jurisdictions([&chain = *node.chain_](const std::string& actor) {
      auto address = crypto::Address::parse(actor);
      if (!address.ok()) return std::vector<std::string>{};
      auto tags = modules::jurisdictions_of(chain, *address);
      return tags.ok() ? std::move(tags).value() : std::vector<std::string>{};
    });
    node.audit_->set_service_jurisdictions([&chain = *node.chain_](const std::string& service) {
      auto tags = modules::service_jurisdictions(chain, service);
      return tags.ok() ? std::move(tags).value() : std::vector<std::string>{};
    });
    return {};
  }

  static void make_tx_pool(Node& node) {
    TxPoolLimits limits;
    limits.block_txs_max = node.config_.block_txs_max;
    limits.block_bytes_max = node.config_.block_bytes_max;
    node.tx_pool_ = std::make_unique<TxPool>(node.config_.mempool, limits, *node.chain_, node.signatures_);
    node.audit_anchor_ = std::make_unique<AuditAnchorer>(
        *node.chain_, *node.audit_log_, *node.tx_pool_, node.validator_key_, node.config_.audit_anchor_interval_blocks,
        [&io = node.io_](std::function<void()> work) { boost::asio::post(io, std::move(work)); });
    node.evidence_ = std::make_unique<EvidenceReporter>(
        *node.chain_, *node.tx_pool_, node.validator_key_,
        [&io = node.io_](std::function<void()> work) { boost::asio::post(io, std::move(work)); });
  }

  // The registry's health checks: results as transactions through the pool.
  static void make_health_checker(Node& node, HealthChecker::Probe probe) {
    if (!probe) probe = network_probe(std::chrono::milliseconds(node.config_.health_timeout_ms));
    node.health_ = std::make_unique<HealthChecker>(*node.chain_, *node.tx_pool_, node.validator_key_, std::move(probe),
                                                   [] { return core::SystemClock().now_unix_ms(); },
                                                   static_cast<std::int64_t>(node.config_.health_republish_s) * 1000);
  }

  // The oracle's off-chain half: observations over XTMP to the validators' nodes whose key holds
  // role oracle (the chain's current set, read when sending).
  static void make_oracle(Node& node, OracleReporter::Fetch fetch) {
    if (!fetch) {
      fetch = http_fetch(std::chrono::milliseconds(node.config_.oracle_fetch_timeout_ms), node.config_.oracle_response_bytes_max);
    }
    node.oracle_ = std::make_unique<OracleReporter>(
        *node.chain_, *node.tx_pool_, node.validator_key_, std::move(fetch),
        [&node](const crypto::PublicKey& peer, core::Bytes message) {
          return node.runtime_ && node.runtime_->send(peer, net::FrameType::kOracleObservation, message);
        },
        [&node] {
          std::vector<crypto::PublicKey> keys = node.chain_->genesis().validator_keys();
          auto latest = modules::read_latest_epoch_set(*node.chain_);
          auto set = latest.ok() ? modules::read_epoch_set(*node.chain_, *latest) : core::Result<std::optional<modules::EpochSet>>(latest.error());
          if (set.ok() && *set) {
            for (const auto& m : (*set)->members) {
              if (std::find(keys.begin(), keys.end(), m.key) == keys.end()) keys.push_back(m.key);
            }
          }
          return keys;
        },
        [] { return core::SystemClock().now_unix_ms(); });
  }

  static void make_backend(Node& node) {
    node.backend_ = std::make_unique<NodeLedgerBackend>(
        *node.chain_, *node.tx_pool_, [&node] { return node.runtime_status(); }, node.config_.run_consensus,
        node.validator_key_.public_key(), node.config_.role);
  }

  static core::Status make_services(Node& node, std::vector<std::shared_ptr<services::Service>> extra) {
    node.ledger_service_ = std::make_shared<services::LedgerService>(*node.backend_);
    for (const auto& name : node.config_.services) {
      // A new service: its name here, and the object that serves it.
      if (name == "ledger") {
        node.services_.push_back(node.ledger_service_);
      } else if (name == "proofs") {
        node.services_.push_back(std::make_shared<services::ProofsService>(node.chain_->genesis()));
      } else if (name == "econ") {
        node.services_.push_back(std::make_shared<services::EconService>(*node.chain_));
      } else if (name == "oracle") {
        node.services_.push_back(std::make_shared<services::OracleService>(*node.chain_));
      } else if (name == "registry") {
        node.services_.push_back(std::make_shared<services::RegistryService>(*node.chain_));
      } else {
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                "[api] services: no service '" + name + "' in this build (there is: ledger, proofs, econ, oracle, registry)");
      }
    }
    for (auto& service : extra) node.services_.push_back(std::move(service));
    return {};
  }

  static void subscribe_listeners(Node& node) {
    node.block_listeners_.subscribe("tx pool", [&pool = *node.tx_pool_](const ledger::ProducedBlock& b) { pool.on_block(b); });
    node.block_listeners_.subscribe("audit", [&audit = *node.audit_](const ledger::ProducedBlock& b) { audit.on_block(b); });
    node.block_listeners_.subscribe("audit anchor", [&anchor = *node.audit_anchor_](const ledger::ProducedBlock& b) {
      anchor.on_block(b);
    });
    node.block_listeners_.subscribe("counters", [&backend = *node.backend_](const ledger::ProducedBlock& b) {
      backend.on_block(b);
    });
    node.block_listeners_.subscribe("events", [&service = *node.ledger_service_](const ledger::ProducedBlock& b) {
      const auto& h = b.stored.block.header;
      const nlohmann::json event = {{"type", "block"},
                                    {"height", h.height},
                                    {"hash", core::to_hex(b.stored.commit.block_hash)},
                                    {"tx_count", h.tx_count},
                                    {"timestamp_unix_ms", h.timestamp_unix_ms},
                                    {"state_root", core::to_hex(h.state_root)},
                                    {"base_fee", ledger::u64_to_json(h.base_fee)}};
      service.events().publish(event.dump());
    });
    for (const auto& service : node.services_) {
      if (auto registry = std::dynamic_pointer_cast<services::RegistryService>(service)) {
        node.block_listeners_.subscribe("registry watch", [registry](const ledger::ProducedBlock& b) { registry->on_block(b); });
      }
    }
  }

  static core::Result<RuntimeConfig> runtime_config(const Node& node);
  static core::Status build(Node& node, ledger::Genesis genesis, NodePlugins plugins);

  // A validator witnesses the other validators' audit logs and has its own witnessed
  // (node/audit_witness.hpp): two frame handlers, and the log's checkpoints go to the witnesses.
  static void make_witnesses(Node& node, RuntimeConfig& rc) {
    if (node.config_.full_node()) return;
    node.witness_ = std::make_unique<AuditWitness>(
        node.chain_->db(), node.chain_->genesis(), node.validator_key_, node.mldsa_key_ ? &*node.mldsa_key_ : nullptr,
        [&log = *node.audit_log_](storage::AuditEvent event) { log.append(std::move(event)); },
        [] { return core::SystemClock().now_unix_ms(); });
    node.witness_client_ = std::make_unique<WitnessClient>(
        *node.audit_log_, node.chain_->genesis(), node.validator_key_.public_key(),
        [&node](const crypto::PublicKey& witness, core::Bytes request) {
          return node.runtime_ && node.runtime_->send(witness, net::FrameType::kAuditCosignRequest, request);
        });
    rc.extra_handlers[net::FrameType::kAuditCosignRequest] = [&node](const crypto::PublicKey& peer, net::Frame frame) {
      boost::asio::post(node.io_, [&node, peer, bytes = std::move(frame.payload)] {
        auto request = core::decode<CosignRequest>(bytes);
        if (!request.ok()) return;
        const CosignReply reply = node.witness_->handle(peer, *request);
        node.runtime_->send(peer, net::FrameType::kAuditCosignReply, core::encode(reply));
      });
    };
    rc.extra_handlers[net::FrameType::kAuditCosignReply] = [&node](const crypto::PublicKey& peer, net::Frame frame) {
      boost::asio::post(node.io_, [&node, peer, bytes = std::move(frame.payload)] {
        if (auto reply = core::decode<CosignReply>(bytes); reply.ok()) node.witness_client_->on_reply(peer, *reply);
      });
    };
    node.audit_log_->set_on_checkpoint([&node](const storage::AuditCheckpoint& checkpoint) {
      boost::asio::post(node.io_, [&node, checkpoint] { node.witness_client_->on_checkpoint(checkpoint); });
    });
  }

  static core::Status make_runtime(Node& node) {
    MN_TRY_ASSIGN(auto runtime_config, NodeSetup::runtime_config(node));
    make_witnesses(node, runtime_config);
    runtime_config.extra_handlers[net::FrameType::kOracleObservation] = [&node](const crypto::PublicKey& peer, net::Frame frame) {
      boost::asio::post(node.io_, [&node, peer, bytes = std::move(frame.payload)] { node.oracle_->on_message(peer, bytes); });
    };
    node.runtime_host_ = std::make_unique<NodeRuntimeHost>(*node.tx_pool_, node.block_listeners_, node.io_,
                                                           [&node](const core::Error& fault) { node.report_fault(fault); },
                                                           *node.evidence_);
    node.runtime_ = std::make_unique<ConsensusRuntime>(std::move(runtime_config), *node.runtime_host_, *node.chain_,
                                                       node.signatures_, node.validator_key_,
                                                       node.chain_->genesis().validator_keys());
    // Header certificates a peer sends are checked with the set of their height.
    node.chain_->set_validators_at([sets = ValidatorSets(*node.chain_, node.chain_->genesis().validator_keys())](
                                       std::uint64_t height) { return sets.keys_at(height); });
    // Admitted submissions go to the other validators, and may let a waiting proposal go.
    node.tx_pool_->set_on_admitted([&runtime = *node.runtime_](const std::vector<ledger::Transaction>& txs) {
      runtime.on_admitted(txs);
    });
    return {};
  }

  // [api.access]: each entry replaces a route's access; one naming no route is a config error
  // (a typo must not leave the route as it was while the operator thinks it changed).
  static core::Status apply_access_overrides(Node& node) {
    for (const auto& [route, roles] : node.config_.api.access) {
      const auto space = route.find(' ');
      const std::string method = route.substr(0, space);
      const std::string pattern = route.substr(space + 1);
      if (node.route_table_.find(method, pattern) == nullptr) {
        return core::make_error(core::ErrorCode::kInvalidArgument,
                                "[api.access] \"" + route + "\" is not a route of this node (see GET /v1/openapi.json)");
      }
      node.route_table_.add(method, pattern,
                            roles.empty() ? api::cage::Access::open() : api::cage::Access::roles_of(roles));
    }
    return {};
  }

  static void make_cage(Node& node) {
    const ApiPolicy& api = node.config_.api;
    api::cage::CagePolicy policy;
    policy.auth.window_s = api.signature_window_s;
    policy.auth.chain_tag = api::cage::chain_tag(node.chain_->genesis_digest());
    policy.identity_rate_per_s = policy.address_rate_per_s = api.rate_per_s;
    policy.identity_burst = policy.address_burst = api.rate_burst;
    policy.rate_exempt_addresses = api.rate_exempt;
    policy.sign_responses = api.sign_responses;
    policy.scheme = api.scheme;
    // Roles come from the committed role table at the head, read at each request.
    node.cage_ = std::make_unique<api::cage::Cage>(
        node.route_table_,
        [&chain = *node.chain_](const crypto::Address& address) {
          auto roles = modules::roles_of(chain, address);
          return roles.ok() ? std::move(roles).value() : std::vector<std::string>{};
        },
        *node.audit_, std::move(policy), api::cage::UnixClock{}, &node.validator_key_);
  }

  // The audit trail is read on every port the node serves (auditor and admin roles).
  static void add_audit_routes(services::ServiceHost& host, const AuditTrail& audit) {
    using Method = api::Response (AuditTrail::*)(const api::Request&) const;
    const std::pair<const char*, Method> routes[] = {
        {"/v1/audit/checkpoint", &AuditTrail::checkpoint},
        {"/v1/audit/checkpoints", &AuditTrail::checkpoints},
        {"/v1/audit/checkpoints/{size}", &AuditTrail::checkpoint_of_size},
        {"/v1/audit/events", &AuditTrail::events},
        {"/v1/audit/events/{index}", &AuditTrail::event},
        {"/v1/audit/consistency", &AuditTrail::consistency},
        {"/v1/audit/decisions", &AuditTrail::decisions},
    };
    for (const auto& route : routes) {
      const Method method = route.second;  // a copy: clang 14 cannot capture a structured binding
      host.add_route("GET", route.first, [&audit, method](const api::Request& req) { return (audit.*method)(req); });
    }
  }

  // What this validator witnessed of the others' logs, and the conflicts it refused.
  static void add_witness_route(services::ServiceHost& host, const Node& node) {
    host.add_route("GET", "/v1/audit/witness", [&node](const api::Request&) {
      if (!node.witness_) {
        return api::error_response(404, "not_found", "this node is not a validator: it witnesses no audit log");
      }
      return api::Response{200, "application/json", node.witness_->to_json().dump(), {}};
    });
  }

  static core::Status start_services(Node& node) {
    if (!node.cage_) make_cage(node);
    for (const auto& service : node.services_) {
      auto host = std::make_unique<services::ServiceHost>(node.io_, service);
      host->use(node.cage_->middleware(std::string(service->name())));
      // Fail closed and loudly: a route nobody decided the access of would be refused by the
      // Cage on every call; refuse to start instead, naming it.
      add_audit_routes(*host, *node.audit_);
      add_witness_route(*host, node);
      for (const auto& [method, pattern] : host->routes()) {
        if (node.route_table_.find(method, pattern) == nullptr) {
          return core::make_error(core::ErrorCode::kInvalidArgument,
                                  std::string(service->name()) + " service: route " + method + " " + pattern +
                                      " has no entry in the Cage's route table (services/route_table.cpp)");
        }
      }
      host->add_metrics([&cage = *node.cage_] { return cage.metrics_text(); });
      host->add_metrics([&anchor = *node.audit_anchor_] { return anchor.metrics_text(); });
      host->add_metrics([&evidence = *node.evidence_] { return evidence.metrics_text(); });
      host->add_metrics([&oracle = *node.oracle_] { return oracle.metrics_text(); });
      host->add_metrics([&health = *node.health_] { return health.metrics_text(); });
      if (node.witness_) {
        host->add_metrics([&node] { return node.witness_->metrics_text() + node.witness_client_->metrics_text(); });
      }
      api::HttpLimits& limits = host->limits();
      const ApiPolicy& api = node.config_.api;
      limits.connections_max = api.connections_max;
      limits.connections_per_address_max = api.connections_per_address_max;
      limits.request_timeout = std::chrono::milliseconds(api.request_timeout_ms);
      limits.idle_timeout = std::chrono::milliseconds(api.idle_timeout_ms);
      limits.header_bytes_max = api.header_bytes_max;
      if (auto st = host->listen(node.config_.listen_address, node.config_.service_port(service->port_offset()));
          !st.ok()) {
        for (auto& started : node.service_hosts_) started->stop();
        node.service_hosts_.clear();
        return st;
      }
      node.service_hosts_.push_back(std::move(host));
    }
    for (std::size_t i = 0; i < node.config_.http_threads; ++i) {
      node.io_threads_.emplace_back([&io = node.io_] {
        auto guard = boost::asio::make_work_guard(io);
        io.run();
      });
    }
    return {};
  }
};

Node::Node(NodeConfig config, crypto::KeyPair validator_key)
    : config_(std::move(config)), validator_key_(std::move(validator_key)) {}

Node::~Node() { stop(); }

std::optional<core::Error> Node::fault() const {
  std::lock_guard lock(fault_mutex_);
  return fault_;
}

void Node::report_fault(const core::Error& fault) {
  {
    std::lock_guard lock(fault_mutex_);
    if (fault_) return;
    fault_ = fault;
  }
  if (fault_handler_) fault_handler_(fault);
}

core::Result<std::unique_ptr<Node>> Node::open(NodeConfig config, ledger::Genesis genesis,
                                               crypto::KeyPair validator_key, NodePlugins plugins) {
  std::unique_ptr<Node> node(new Node(std::move(config), std::move(validator_key)));
  MN_TRY(NodeSetup::build(*node, std::move(genesis), std::move(plugins)));
  return node;
}

core::Result<std::unique_ptr<Node>> Node::open(NodeConfig config, ledger::Genesis genesis, crypto::HybridKeyPair keys,
                                               NodePlugins plugins) {
  std::unique_ptr<Node> node(new Node(std::move(config), keys.ed25519()));
  node->mldsa_key_.emplace(keys.mldsa());
  MN_TRY(NodeSetup::build(*node, std::move(genesis), std::move(plugins)));
  return node;
}

core::Status NodeSetup::build(Node& node_ref, ledger::Genesis genesis, NodePlugins plugins) {
  Node* node = &node_ref;
  MN_TRY(NodeSetup::check_validator(*node, genesis));
  MN_TRY(NodeSetup::open_chain(*node, genesis, std::move(plugins.modules)));
  MN_TRY(NodeSetup::open_audit_log(*node));
  NodeSetup::make_tx_pool(*node);
  NodeSetup::make_oracle(*node, std::move(plugins.oracle_fetch));
  NodeSetup::make_health_checker(*node, std::move(plugins.health_probe));
  NodeSetup::make_backend(*node);
  MN_TRY(NodeSetup::make_services(*node, std::move(plugins.extra_services)));
  node->route_table_ = services::route_table();
  for (auto& [method, pattern, access] : plugins.extra_routes) node->route_table_.add(method, pattern, access);
  MN_TRY(NodeSetup::apply_access_overrides(*node));
  NodeSetup::subscribe_listeners(*node);
  return {};
}

core::Status Node::start() {
  // The runtime is built (and the pool told where admitted transactions go) before any request
  // can arrive; it starts once the services listen.
  if (config_.run_consensus) MN_TRY(NodeSetup::make_runtime(*this));
  MN_TRY(NodeSetup::start_services(*this));
  started_ = true;
  audit_->lifecycle("node.start", config_.file_digest,
                    crypto::Address::from_public_key(validator_key_.public_key()).to_string());
  scrub_stop_ = false;
  scrub_thread_ = std::thread([this] {
    const auto began = std::chrono::steady_clock::now();
    std::uint64_t bytes = 0;
    auto st = chain_->db().verify_checksums(&scrub_stop_, &bytes);
    if (!st.ok()) {
      if (!scrub_stop_) report_fault(st.error());
      return;
    }
    if (scrub_stop_) return;
    spdlog::info("data files checked: {} MB, every checksum matches ({} ms)", bytes >> 20,
                 std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count());
  });
  if (!runtime_) return {};
  if (auto st = runtime_->start(); !st.ok()) {
    stop();
    return st;
  }
  if (config_.oracle_enabled) {
    oracle_task_.start(std::chrono::milliseconds(config_.oracle_interval_ms), [this] { oracle_->tick(); });
  }
  if (config_.health_checks_enabled) {
    health_task_.start(std::chrono::milliseconds(config_.health_interval_ms), [this] { health_->tick(); });
  }
  return {};
}

void Node::stop() {
  if (!started_) return;
  started_ = false;
  scrub_stop_ = true;
  if (scrub_thread_.joinable()) scrub_thread_.join();
  oracle_task_.stop();
  health_task_.stop();
  if (runtime_) runtime_->stop();
  // Checkpoints from here on (the final one) are not sent: the links and io threads are going.
  audit_log_->set_on_checkpoint(nullptr);
  for (auto& host : service_hosts_) host->stop();
  io_.stop();
  for (auto& t : io_threads_) t.join();
  io_threads_.clear();
  service_hosts_.clear();
  // Last: nothing records after this; the stop and a final checkpoint are on disk.
  audit_->lifecycle("node.stop", config_.file_digest,
                    crypto::Address::from_public_key(validator_key_.public_key()).to_string());
  if (auto st = audit_log_->checkpoint_now(); !st.ok()) spdlog::error("audit log at stop: {}", st.error().to_string());
}

std::uint16_t Node::service_port(std::string_view name) const {
  for (const auto& host : service_hosts_) {
    if (host->service().name() == name) return host->port();
  }
  return 0;
}

core::Result<RuntimeConfig> NodeSetup::runtime_config(const Node& node) {
  const auto bad = [](std::string why) { return core::make_error(core::ErrorCode::kInvalidArgument, std::move(why)); };
  RuntimeConfig rc;
  rc.engine = node.chain_->genesis().consensus;
  rc.timers.base_ms = node.config_.round_timeout_ms;
  rc.timers.cap_ms = node.config_.round_timeout_cap_ms;
  rc.leader_reputation = node.config_.leader_reputation;
  rc.fault_equivocate = node.config_.fault_equivocate;
  // An idle leader proposes its empty block well before anyone's round timer gives up on it.
  rc.idle_block_ms = std::min(node.config_.block_interval_ms, node.config_.round_timeout_ms / 2);
  net::TransportConfig& t = rc.transport;
  t.seed = node.validator_key_.seed();
  t.listen_host = node.config_.xtmp_listen;
  t.listen_port = node.config_.xtmp_port();
  t.post_quantum = node.config_.post_quantum;
  for (const auto& key : node.chain_->genesis().validator_keys()) t.allowed.insert(key);
  t.dial_all_peers = node.config_.full_node();
  // Full nodes governance admitted (role "node" at the head) may link too.
  t.admit = [&chain = *node.chain_, &audit = *node.audit_](const crypto::PublicKey& key) {
    auto roles = modules::roles_of(chain, crypto::Address::from_public_key(key));
    bool admitted = roles.ok() && std::find(roles->begin(), roles->end(), modules::kRoleNode) != roles->end();
    // A validator candidate governance admitted links before its set begins (to catch up), and
    // after, as a validator; so does a member of any published set.
    if (!admitted) {
      auto candidate = chain.get(ledger::state_tree_key(
          modules::kGovModule, modules::gov_candidate_key(crypto::Address::from_public_key(key))));
      admitted = candidate.ok() && candidate->has_value();
    }
    if (!admitted) audit.peer_refused(key, "not a validator in genesis, not an admitted validator candidate, and not granted the role node");
    return admitted;
  };
  for (const auto& text : node.config_.full_nodes) {
    auto key = crypto::PublicKey::from_hex(text);
    if (!key.ok()) return bad("[network] full_nodes: '" + text + "': " + key.error().message);
    t.allowed.insert(*key);
  }
  for (const auto& text : node.config_.peers) {
    const auto at = text.find('@');
    const auto colon = text.rfind(':');
    if (at == std::string::npos || colon == std::string::npos || colon < at) {
      return bad("[network] peers: '" + text + "' is not <key hex>@host:port");
    }
    auto key = crypto::PublicKey::from_hex(text.substr(0, at));
    if (!key.ok()) return bad("[network] peers: '" + text + "': " + key.error().message);
    if (!t.allowed.contains(*key)) return bad("[network] peers: " + text.substr(0, 16) + "… is not a validator in genesis");
    if (*key == node.validator_key_.public_key()) continue;
    net::PeerEndpoint peer;
    peer.key = *key;
    peer.host = text.substr(at + 1, colon - at - 1);
    int port = 0;
    try {
      port = std::stoi(text.substr(colon + 1));
    } catch (const std::exception&) {
      port = 0;
    }
    if (port <= 0 || port > 65535) return bad("[network] peers: '" + text + "' has no valid port");
    peer.port = static_cast<std::uint16_t>(port);
    t.peers.push_back(std::move(peer));
  }
  return rc;
}

}  // namespace metanode::node
