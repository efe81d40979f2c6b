// The installer: everything a new full node needs, made in one directory (its bundle), plus the
// exact commands and the systemd unit that start it on its host. `metanode install` and the
// console's installer page both use it. A bundle holds the node's own key (in a key store under a
// random passphrase kept beside it, mode 0600: the directory as a whole is the secret to copy),
// the chain's genesis, a configuration with [node] role = "full" that links to every validator
// found, the unit file and INSTALL.txt. Admission (the governance role "node" for the key's
// address) is proposed separately: the validators refuse the node's links until it holds it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bpci/fleet.hpp"
#include "core/result.hpp"
#include "crypto/address.hpp"
#include "crypto/ed25519.hpp"

namespace metanode::bpci {

// A validator's XTMP endpoint, as its /health names it (node_key, xtmp_port) at its API's host.
struct ValidatorEndpoint {
  std::string name;
  crypto::PublicKey key;
  std::string host;
  std::uint16_t xtmp_port = 0;

  std::string peer_entry() const { return key.to_hex() + "@" + host + ":" + std::to_string(xtmp_port); }
};

// 127.0.0.1, localhost or ::1: a host where "start it here" means that host.
bool is_local_host(std::string_view host);

// The validators among `nodes` (name, API URL) that answer /health for `genesis`, each once.
// Nodes that do not answer, answer for another chain, or are full nodes are left out; an empty
// result is an error that names why each was left out.
core::Result<std::vector<ValidatorEndpoint>> discover_validators(const std::vector<FleetMember>& nodes,
                                                                 const ledger::Genesis& genesis, const Fetch& fetch);

struct BundleRequest {
  std::string name;                    // 1-64 of [A-Za-z0-9_.-]: the unit is metanode-NAME
  std::string host;                    // where it will run: its API and XTMP listen there
  std::uint16_t port_base = 9000;      // API on base+1, XTMP on base+4
  std::filesystem::path dir;           // the bundle; must not exist or be empty
  std::filesystem::path genesis_file;  // copied into the bundle
  std::vector<ValidatorEndpoint> validators;
  std::filesystem::path install_path;  // where the bundle goes on the host (default /var/lib/metanode/NAME)
};

struct Bundle {
  std::string name;
  std::string host;
  std::uint16_t port_base = 0;
  std::filesystem::path dir;
  std::filesystem::path install_path;
  crypto::PublicKey key;
  crypto::Address address;
  std::vector<ValidatorEndpoint> validators;
  std::string systemd_unit;  // the text of metanode-NAME.service
  std::string commands;      // shell commands, run from this machine, that install and start it on the host
  std::string api_url() const { return "http://" + host + ":" + std::to_string(port_base + 1); }
  nlohmann::json to_json() const;
};

// Writes the bundle: keys/ (key "node"), passphrase, genesis.json, config.toml, the unit and
// INSTALL.txt. kInvalidArgument for a bad name, host or port base, no validators, or a directory
// that holds files already.
core::Result<Bundle> write_bundle(const BundleRequest& request);

// Reads back a bundle written by write_bundle (its INSTALL.json).
core::Result<Bundle> read_bundle(const std::filesystem::path& dir);

}  // namespace metanode::bpci
