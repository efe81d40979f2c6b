#include "bpci/installer.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>

#include "api/http/http_client.hpp"
#include "core/bytes.hpp"
#include "crypto/keystore.hpp"
#include "crypto/random.hpp"
#include "node/config.hpp"

namespace metanode::bpci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

core::Error invalid(std::string why) { return core::make_error(core::ErrorCode::kInvalidArgument, std::move(why)); }

bool valid_host(const std::string& host) {
  if (host.empty() || host.size() > 253) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
  });
}

// An address literal listens there; a host name listens on every interface.
std::string listen_address_for(const std::string& host) {
  const bool literal = std::all_of(host.begin(), host.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.';
  });
  if (literal) return host;
  if (host == "localhost") return "127.0.0.1";
  return "0.0.0.0";
}

core::Status write_text(const fs::path& path, const std::string& text, fs::perms perms) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out.flush()) return core::make_error(core::ErrorCode::kIo, "cannot write " + path.string());
  out.close();
  std::error_code ec;
  fs::permissions(path, perms, ec);
  if (ec) return core::make_error(core::ErrorCode::kIo, "cannot set the mode of " + path.string() + ": " + ec.message());
  return {};
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

std::string unit_text(const Bundle& b) {
  const std::string path = b.install_path.string();
  return "# metanode full node '" + b.name + "' (written by metanode install)\n"
         "[Unit]\n"
         "Description=metanode full node " + b.name + "\n"
         "After=network-online.target\n"
         "Wants=network-online.target\n\n"
         "[Service]\n"
         "ExecStart=/usr/local/bin/metanode node --config " + path + "/config.toml\n"
         "Restart=on-failure\n"
         "RestartSec=2\n"
         "LimitNOFILE=65536\n"
         "NoNewPrivileges=true\n"
         "ProtectSystem=strict\n"
         "ProtectHome=true\n"
         "PrivateTmp=true\n"
         "ReadWritePaths=" + path + "\n\n"
         "[Install]\n"
         "WantedBy=multi-user.target\n";
}

std::string commands_text(const Bundle& b) {
  const std::string remote = "root@" + b.host;
  const std::string unit = "metanode-" + b.name;
  const std::string path = b.install_path.string();
  return "# Run from this machine: copies the bundle and the binary to " + b.host + ", installs the unit, starts it.\n"
         "ssh " + remote + " 'mkdir -p " + b.install_path.parent_path().string() + "'\n"
         "scp -r " + quoted(b.dir) + " " + remote + ":" + path + "\n"
         "scp \"$(command -v metanode)\" " + remote + ":/usr/local/bin/metanode\n"
         "scp " + quoted(b.dir / (unit + ".service")) + " " + remote + ":/etc/systemd/system/\n"
         "ssh " + remote + " 'systemctl daemon-reload && systemctl enable --now " + unit + "'\n"
         "# Watch it: its log, and its height against the validators'.\n"
         "ssh " + remote + " 'journalctl -u " + unit + " -f'\n"
         "curl -s " + b.api_url() + "/health\n"
         "# Or, on " + b.host + ", in the foreground: metanode node --config " + path + "/config.toml\n";
}

json validators_json(const std::vector<ValidatorEndpoint>& validators) {
  json out = json::array();
  for (const auto& v : validators) {
    out.push_back({{"name", v.name}, {"key", v.key.to_hex()}, {"host", v.host}, {"xtmp_port", v.xtmp_port}});
  }
  return out;
}

}  // namespace

bool is_local_host(std::string_view host) { return host == "127.0.0.1" || host == "localhost" || host == "::1"; }

json Bundle::to_json() const {
  return {{"name", name},
          {"host", host},
          {"port_base", port_base},
          {"api", api_url()},
          {"dir", dir.string()},
          {"install_path", install_path.string()},
          {"public_key", key.to_hex()},
          {"address", address.to_string()},
          {"validators", validators_json(validators)},
          {"systemd_unit", systemd_unit},
          {"commands", commands}};
}

core::Result<std::vector<ValidatorEndpoint>> discover_validators(const std::vector<FleetMember>& nodes,
                                                                 const ledger::Genesis& genesis, const Fetch& fetch) {
  const std::string digest = core::to_hex(genesis.digest());
  const auto validator_keys = genesis.validator_keys();
  const std::set<crypto::PublicKey> keys(validator_keys.begin(), validator_keys.end());
  std::vector<ValidatorEndpoint> found;
  std::string left_out;
  for (const auto& member : nodes) {
    auto leave = [&](const std::string& why) { left_out += "; " + member.name + ": " + why; };
    auto health = fetch(member.api, "/health");
    if (!health.ok()) {
      leave(health.error().message);
      continue;
    }
    const json h = json::parse(health->second, nullptr, false);
    if (health->first != 200 || !h.is_object()) {
      leave("/health answered HTTP " + std::to_string(health->first));
      continue;
    }
    if (h.value("genesis_digest", std::string()) != digest) {
      leave("serves another chain");
      continue;
    }
    if (h.value("role", std::string()) != "validator") {
      leave("not a validator (role " + h.value("role", std::string("unknown")) + ")");
      continue;
    }
    auto key = crypto::PublicKey::from_hex(h.value("node_key", std::string()));
    const auto port = h.value("xtmp_port", 0);
    if (!key.ok() || !keys.contains(*key) || port <= 0 || port > 65535) {
      leave("its /health names no validator key of this genesis and XTMP port");
      continue;
    }
    if (std::any_of(found.begin(), found.end(), [&](const ValidatorEndpoint& v) { return v.key == *key; })) continue;
    auto host = api::split_url(member.api);
    if (!host.ok()) {
      leave(host.error().message);
      continue;
    }
    found.push_back({member.name, *key, host->first, static_cast<std::uint16_t>(port)});
  }
  if (found.empty()) {
    return invalid("no validator of this chain answered" + (left_out.empty() ? std::string() : " (" + left_out.substr(2) + ")"));
  }
  return found;
}

// Longer than most: each file of the bundle is one short step, in the order a reader checks them.
core::Result<Bundle> write_bundle(const BundleRequest& request) {
  MN_TRY(crypto::Keystore::validate_name(request.name));
  if (!valid_host(request.host)) return invalid("--host: '" + request.host + "' is not a host name or address");
  if (request.port_base == 0 || request.port_base > 65'000) {
    return invalid("--port-base: " + std::to_string(request.port_base) + " is outside 1-65000");
  }
  if (request.validators.empty()) return invalid("no validators to link with");
  std::error_code ec;
  if (fs::exists(request.dir, ec) && !fs::is_empty(request.dir, ec)) {
    return invalid("--dir " + request.dir.string() + " holds files already: choose a new directory");
  }
  fs::create_directories(request.dir, ec);
  if (ec) return core::make_error(core::ErrorCode::kIo, "cannot create " + request.dir.string() + ": " + ec.message());
  fs::permissions(request.dir, fs::perms::owner_all, ec);

  Bundle b;
  b.name = request.name;
  b.host = request.host;
  b.port_base = request.port_base;
  b.dir = fs::absolute(request.dir);
  b.install_path = request.install_path.empty() ? fs::path("/var/lib/metanode") / request.name : request.install_path;
  b.validators = request.validators;

  // The key, under a random passphrase kept beside it (the node reads it at start).
  const auto secret = crypto::random_array<24>();
  const std::string passphrase = core::to_hex(secret);
  MN_TRY(write_text(b.dir / "passphrase", passphrase + "\n", fs::perms::owner_read | fs::perms::owner_write));
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  crypto::Keystore store(b.dir / "keys");
  MN_TRY_ASSIGN(const crypto::KeyInfo info, store.create("node", passphrase, now));
  b.key = info.ed25519_public_key;
  b.address = info.address;

  fs::copy_file(request.genesis_file, b.dir / "genesis.json", fs::copy_options::overwrite_existing, ec);
  if (ec) return core::make_error(core::ErrorCode::kIo, "cannot copy " + request.genesis_file.string() + ": " + ec.message());

  node::NodeConfig config;
  config.role = "full";
  config.genesis_file = "genesis.json";
  config.validator_key = "node";
  config.passphrase_file = "passphrase";
  config.listen_address = listen_address_for(request.host);
  config.xtmp_listen = config.listen_address;
  config.port_base = request.port_base;
  for (const auto& v : request.validators) config.peers.push_back(v.peer_entry());
  MN_TRY(write_text(b.dir / "config.toml", config.to_toml(), fs::perms::owner_read | fs::perms::owner_write));

  b.systemd_unit = unit_text(b);
  b.commands = commands_text(b);
  MN_TRY(write_text(b.dir / ("metanode-" + b.name + ".service"), b.systemd_unit,
                    fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read));
  const std::string readme = "Full node '" + b.name + "' of chain " + [&] {
    auto genesis = ledger::Genesis::load(request.genesis_file);
    return genesis.ok() ? genesis->chain_id : std::string("?");
  }() + "\nkey " + b.key.to_hex() + "\naddress " + b.address.to_string() +
                             "\n\nIt links only once governance grants its address the role 'node':\n"
                             "  metanode gov propose grant --role node --to " + b.address.to_string() +
                             " --from <council key>\n\n" + b.commands;
  MN_TRY(write_text(b.dir / "INSTALL.txt", readme, fs::perms::owner_read | fs::perms::owner_write));
  MN_TRY(write_text(b.dir / "INSTALL.json", b.to_json().dump(2) + "\n", fs::perms::owner_read | fs::perms::owner_write));
  return b;
}

core::Result<Bundle> read_bundle(const fs::path& dir) {
  std::ifstream in(dir / "INSTALL.json");
  if (!in) return core::make_error(core::ErrorCode::kNotFound, (dir / "INSTALL.json").string() + " not found");
  const json doc = json::parse(in, nullptr, false);
  if (!doc.is_object()) return core::make_error(core::ErrorCode::kInvalidArgument, (dir / "INSTALL.json").string() + " is not JSON");
  try {
    Bundle b;
    b.name = doc.at("name").get<std::string>();
    b.host = doc.at("host").get<std::string>();
    b.port_base = doc.at("port_base").get<std::uint16_t>();
    b.dir = doc.at("dir").get<std::string>();
    b.install_path = doc.at("install_path").get<std::string>();
    MN_TRY_ASSIGN(b.key, crypto::PublicKey::from_hex(doc.at("public_key").get<std::string>()));
    MN_TRY_ASSIGN(b.address, crypto::Address::parse(doc.at("address").get<std::string>()));
    for (const json& v : doc.at("validators")) {
      MN_TRY_ASSIGN(auto key, crypto::PublicKey::from_hex(v.at("key").get<std::string>()));
      b.validators.push_back({v.at("name").get<std::string>(), key, v.at("host").get<std::string>(), v.at("xtmp_port").get<std::uint16_t>()});
    }
    b.systemd_unit = doc.at("systemd_unit").get<std::string>();
    b.commands = doc.at("commands").get<std::string>();
    return b;
  } catch (const json::exception& e) {
    return core::make_error(core::ErrorCode::kInvalidArgument, (dir / "INSTALL.json").string() + ": " + e.what());
  }
}

}  // namespace metanode::bpci
