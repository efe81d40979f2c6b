// The console's installer (its API; the page is web/src/pages/installer): makes a new full node's
// bundle on the BPCI host with the validators the fleet shows (bpci/installer.hpp), answers the
// commands and systemd unit that start it on its host, and, where BPCI was started with
// --allow-local-start (a devnet's), starts it here and adds it to the fleet. Admission (the role
// "node") is proposed from the page, signed by the operator's wallet, like any governance change.
#pragma once

#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>

#include "api/cage/cage.hpp"
#include "api/http/http_server.hpp"
#include "bpci/fleet.hpp"

namespace metanode::bpci {

struct InstallerOptions {
  std::filesystem::path dir;         // bundles go to DIR/NAME
  std::filesystem::path fleet_file;  // a started node is added to it (empty: to the monitor only)
  std::filesystem::path genesis_file;  // copied into each bundle
  bool allow_local_start = false;    // POST .../start runs the node on this host
};

class ConsoleInstaller {
 public:
  ConsoleInstaller(FleetMonitor& fleet, InstallerOptions options) : fleet_(fleet), options_(std::move(options)) {}

  void add_routes(api::Router& router);
  static void add_access(api::cage::RouteTable& table);
  static nlohmann::json openapi_paths();

 private:
  api::Response overview() const;
  api::Response create(const api::Request& request);
  api::Response start(const api::Request& request);
  nlohmann::json suggestion() const;  // the next name and port base

  FleetMonitor& fleet_;
  InstallerOptions options_;
  std::mutex mutex_;  // one bundle or start at a time
};

}  // namespace metanode::bpci
