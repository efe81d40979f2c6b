// BPCI Enterprise on 8080: the control-plane API over the fleet (GET /v1/fleet, one node with its
// history, a live WebSocket at /v1/live) and the web console (web/, built at set-up), served
// behind the Cage like every listener. Bpci is the process: fleet monitor, HTTP server, Cage.
#pragma once

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/cage/cage.hpp"
#include "api/http/http_client.hpp"
#include "api/http/http_server.hpp"
#include "bpci/audit_anchor.hpp"
#include "bpci/console_installer.hpp"
#include "bpci/fleet.hpp"
#include "crypto/hybrid.hpp"
#include "node/audit_log.hpp"
#include "storage/cue_db.hpp"
#include "services/service.hpp"

namespace metanode::bpci {

// The console's built files (web/dist): index.html and assets/*, read once at start.
class WebAssets {
 public:
  // kNotFound naming the directory and how to build it when index.html is missing.
  static core::Result<WebAssets> load(const std::filesystem::path& dir);
  // The file at `path` ("/assets/main-X.js"), if there is one.
  const api::Response* find(const std::string& path) const;
  const api::Response& index() const { return files_.at("/index.html"); }
  std::size_t size() const { return files_.size(); }

 private:
  std::map<std::string, api::Response> files_;
};

// The last `lines` lines of `file` (reading at most its last `bytes_max` bytes).
std::vector<std::string> tail_lines(const std::filesystem::path& file, std::size_t lines, std::size_t bytes_max = 256 * 1024);

// Where the console's files are when --web is not given: $METANODE_WEB_DIR, else next to the
// binary (<bin>/../share/metanode/web), else the source tree's web/dist (a developer's build).
std::filesystem::path default_web_dir();

class ConsoleService final : public services::Service {
 public:
  // The console's page URLs (each answers index.html; the page's script draws it).
  static const std::vector<std::string>& page_paths();

  ConsoleService(FleetMonitor& fleet, WebAssets assets, InstallerOptions installer);

  std::string_view name() const override { return "bpci"; }
  std::uint16_t port_offset() const override { return 0; }  // BPCI has its own port (8080)
  std::string_view description() const override;
  void add_routes(api::Router& router) override;
  void add_websockets(api::HttpServer& server) override;
  nlohmann::json openapi_paths() const override;
  nlohmann::json openapi_schemas() const override;
  nlohmann::json health() const override;
  std::string metrics_text() const override;

  // Sends the fleet's snapshot to live subscribers (the monitor's tick).
  void publish();

  // The nodes' public chain routes BPCI answers under /v1/chain (from the first node that is up,
  // or ?node=NAME): the console's pages read the chain through them.
  static const std::vector<std::string>& chain_routes();
  // The nodes' audit routes BPCI passes through unchanged (same path and query, the caller's
  // RFC 9421 signature headers): the node's Cage checks the auditor or admin role, so the wallet
  // signs over @path and @query (not the authority). The node is the Metanode-Node header's, or
  // the first up.
  static const std::vector<std::string>& audit_routes();

  // The roles `address` holds on chain (a node's GET /v1/gov/roles/{address}), cached for a few
  // seconds; none when no node answers. What the Cage checks BPCI's role-gated routes against.
  std::vector<std::string> roles_of(const std::string& address) const;

  // BPCI's own audit log (its Cage decisions, its start and stop), served under /bpci:
  //   GET /bpci/v1/audit/{checkpoint, checkpoints, checkpoints/{size}, events, events/{index},
  //                       consistency, decisions}   the node's audit routes over BPCI's log
  //   GET /bpci/v1/state/{module}/{key}              a node's state answer (with its proof), so that
  //                                                  `metanode audit verify --node URL/bpci` finds the
  //                                                  log's anchor where it finds the log
  // Set before the service is hosted (its routes are added then).
  void set_own_audit(node::AuditTrail* audit, const HttpAnchorer* anchorer) {
    own_audit_ = audit;
    anchorer_ = anchorer;
  }
  static const std::vector<std::string>& own_audit_routes();
  // The nodes' economics routes BPCI answers (from the node's econ port) for the console's page.
  // The node services' GET routes BPCI passes through (economics base+7, oracle base+2, registry base+3).
  struct PassedRoute {
    std::string route;
    std::uint16_t port_offset = 0;
    std::string service;
  };
  static const std::vector<PassedRoute>& service_routes();
  // A JSON call to the first node up (or the one `wanted` names): its answer parsed, a non-2xx
  // answer as the node's error.
  core::Result<nlohmann::json> node_call(const std::string& method, const std::string& target,
                                         const std::string& body) const;

 private:
  // GET /v1/chain/<path>: the same GET on a node, answered as the node answered it; POST
  // /v1/chain/txs forwards the body.
  api::Response proxy(const api::Request& request) const;
  api::Response proxy_audit(const api::Request& request) const;
  // `target` on the node named `wanted` (or the first up that answers), as it answered.
  api::Response forward(const std::optional<std::string>& wanted, const std::string& method, const std::string& target,
                        const std::string& body, const std::string& content_type, const api::HeaderList& headers,
                        std::uint16_t service_offset = 1) const;
  static std::string service_url(const std::string& api, std::uint16_t offset);
  // The wallet login: a challenge, then the challenge in a request signed by the wallet's key.
  api::Response challenge();
  api::Response session(const api::Request& request);
  // The last lines of a node's log file (operators and admins).
  api::Response log_tail(const api::Request& request) const;

  FleetMonitor& fleet_;
  node::AuditTrail* own_audit_ = nullptr;
  const HttpAnchorer* anchorer_ = nullptr;
  WebAssets assets_;
  ConsoleInstaller installer_;
  std::string genesis_text_;  // the genesis in its canonical form (what its digest is over)
  mutable std::mutex mutex_;
  std::map<std::string, std::int64_t> challenges_;  // challenge (hex) -> expiry (unix ms)
  mutable std::map<std::string, std::pair<std::int64_t, std::vector<std::string>>> roles_cache_;
  api::EventHub live_;
};

// The Cage's table for BPCI's routes (every read is public: it is what the nodes publish).
api::cage::RouteTable console_route_table();

struct BpciOptions {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port
  std::filesystem::path web_dir;  // empty: default_web_dir()
  std::chrono::milliseconds poll_interval{1'000};
  // The fleet file: re-read when it changes (nodes added to it join the fleet), and where the
  // installer adds the nodes it starts. Empty: neither.
  std::filesystem::path fleet_file;
  std::filesystem::path install_dir;  // the installer's bundles (empty: the fleet file's directory, else .)
  bool allow_local_start = false;     // the installer may start nodes on this host (a devnet's BPCI)
  // BPCI's own audit log: a CueDB in data_dir, its checkpoints signed with `key` (both lines),
  // whose origin is "<chain>/<key's address>/audit". Both required: every decision of BPCI's
  // Cage is on disk before its answer is sent.
  std::filesystem::path data_dir;
  std::optional<crypto::HybridKeyPair> key;
  std::uint64_t checkpoint_events = 1'000;
  std::chrono::milliseconds checkpoint_interval{10'000};
  // How often the log's newest checkpoint is anchored on chain (through a node); 0: only when
  // anchorer()->anchor_once() is called.
  std::chrono::milliseconds anchor_interval{30'000};
  core::Hash32 config_digest{};  // the fleet file's digest, in the start and stop events
};

class Bpci {
 public:
  static core::Result<std::unique_ptr<Bpci>> open(FleetConfig fleet, BpciOptions options);
  ~Bpci();
  core::Status start();
  void stop();
  std::uint16_t port() const { return host_ ? host_->port() : 0; }
  FleetMonitor& fleet() { return *monitor_; }
  storage::AuditLog& audit_log() { return *audit_log_; }
  HttpAnchorer* anchorer() { return anchorer_.get(); }
  // "<chain>/<address>/audit": the origin BPCI's checkpoints sign as.
  std::string audit_origin() const;

 private:
  Bpci() = default;
  BpciOptions options_;
  std::unique_ptr<FleetMonitor> monitor_;
  std::shared_ptr<ConsoleService> service_;
  ledger::ModuleSet modules_;  // what the audit trail names transactions with
  std::unique_ptr<storage::CueDb> db_;
  std::unique_ptr<storage::AuditLog> audit_log_;
  std::unique_ptr<node::AuditTrail> audit_;
  std::unique_ptr<HttpAnchorer> anchorer_;
  std::unique_ptr<api::cage::Cage> cage_;
  boost::asio::io_context io_;
  std::unique_ptr<services::ServiceHost> host_;
  std::vector<std::thread> io_threads_;
  std::filesystem::file_time_type fleet_file_time_{};
  // Nodes added to the fleet file since the last look join the monitor (the monitor's tick).
  void reload_fleet_file();
  // The CueDB, the audit log over it, its trail (the Cage's sink) and the anchorer.
  core::Status open_audit();
};

}  // namespace metanode::bpci
