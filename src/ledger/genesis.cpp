#include "ledger/genesis.hpp"

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "core/codec.hpp"
#include "core/hash.hpp"
#include "ledger/transaction.hpp"

namespace metanode::ledger {
namespace {
using nlohmann::json;
constexpr std::size_t kGenesisBytesMax = 16 << 20;
constexpr std::size_t kValidatorsMax = 256;

core::Error invalid(std::string why) { return core::make_error(core::ErrorCode::kGenesisInvalid, std::move(why)); }
}  // namespace

core::Status Genesis::validate() const {
  if (chain_id.empty() || chain_id.size() > 64) return invalid("chain_id must be 1-64 characters");
  for (char c : chain_id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return invalid("chain_id '" + chain_id + "' may hold only a-z, 0-9 and '-'");
    }
  }
  if (consensus != "ibft" && consensus != "hotstuff") {
    return invalid("consensus must be \"ibft\" or \"hotstuff\", not \"" + consensus + "\"");
  }
  if (validators.empty()) return invalid("no validators");
  if (validators.size() > kValidatorsMax) return invalid("more than " + std::to_string(kValidatorsMax) + " validators");
  if (base_fee_min == 0 || base_fee_initial < base_fee_min) return invalid("base fee must be at least base_fee_min >= 1");
  if (block_txs_target == 0) return invalid("block_txs_target must be positive");
  std::set<crypto::PublicKey> keys;
  for (const auto& v : validators) {
    if (!keys.insert(v.ed25519_public_key).second) return invalid("validator key listed twice: " + v.name);
  }
  for (const auto& [name, section] : modules) {
    if (!is_valid_name(name, kModuleNameBytesMax)) return invalid("module section name '" + name + "' is not 1-32 of [a-z0-9_]");
    if (!json::accept(section)) return invalid("module section " + name + " is not JSON");
  }
  std::set<crypto::Address> addresses;
  std::uint64_t supply = 0;
  for (const auto& a : accounts) {
    if (!addresses.insert(a.address).second) return invalid("account listed twice: " + a.address.to_string());
    if (a.balance > std::numeric_limits<std::uint64_t>::max() - supply) return invalid("total supply overflows u64");
    supply += a.balance;
  }
  return {};
}

core::Hash32 Genesis::validator_set_hash() const {
  core::Writer w;
  w.vector(validators, kValidatorsMax, [](core::Writer& out, const GenesisValidator& v) {
    out.string(v.name, 64);
    v.ed25519_public_key.encode(out);
    v.mldsa_public_key.encode(out);
  });
  return core::hash(core::Domain::ValidatorSet, w.data());
}

core::Hash32 Genesis::digest() const { return core::hash(core::Domain::Genesis, core::as_bytes(to_json())); }

bool Genesis::module_section(std::string_view module, json& out) const {
  const auto it = modules.find(std::string(module));
  if (it == modules.end()) return false;
  out = json::parse(it->second);
  return true;
}

std::vector<crypto::PublicKey> Genesis::validator_keys() const {
  std::vector<crypto::PublicKey> out;
  for (const auto& v : validators) out.push_back(v.ed25519_public_key);
  return out;
}

std::string Genesis::to_json() const {
  json doc;
  doc["chain_id"] = chain_id;
  doc["genesis_time_unix_ms"] = genesis_time_unix_ms;
  doc["base_fee_initial"] = base_fee_initial;
  doc["base_fee_min"] = base_fee_min;
  doc["block_txs_target"] = block_txs_target;
  doc["consensus"] = consensus;
  doc["validators"] = json::array();
  for (const auto& v : validators) {
    doc["validators"].push_back({{"name", v.name},
                                 {"ed25519_public_key", v.ed25519_public_key.to_hex()},
                                 {"mldsa65_public_key", core::to_hex(v.mldsa_public_key.bytes)}});
  }
  doc["accounts"] = json::array();
  for (const auto& a : accounts) doc["accounts"].push_back({{"address", a.address.to_string()}, {"balance", a.balance}});
  if (!modules.empty()) {
    doc["modules"] = json::object();
    for (const auto& [name, section] : modules) doc["modules"][name] = json::parse(section);
  }
  return doc.dump(2) + "\n";
}

core::Result<Genesis> Genesis::from_json(std::string_view text) {
  if (text.size() > kGenesisBytesMax) return invalid("genesis larger than 16 MiB");
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return invalid("not a JSON object");
  Genesis g;
  try {
    g.chain_id = doc.at("chain_id").get<std::string>();
    g.genesis_time_unix_ms = doc.value("genesis_time_unix_ms", std::int64_t{0});
    g.base_fee_initial = doc.value("base_fee_initial", std::uint64_t{1});
    g.base_fee_min = doc.value("base_fee_min", std::uint64_t{1});
    g.block_txs_target = doc.value("block_txs_target", std::uint32_t{5'000});
    g.consensus = doc.value("consensus", std::string("ibft"));
    for (const auto& v : doc.at("validators")) {
      GenesisValidator gv;
      gv.name = v.at("name").get<std::string>();
      auto ed = crypto::PublicKey::from_hex(v.at("ed25519_public_key").get<std::string>());
      if (!ed.ok()) return invalid("validator " + gv.name + ": " + ed.error().message);
      gv.ed25519_public_key = *ed;
      auto pq = core::array_from_hex<crypto::kMldsaPublicKeyBytes>(v.at("mldsa65_public_key").get<std::string>());
      if (!pq.ok()) return invalid("validator " + gv.name + " mldsa65_public_key: " + pq.error().message);
      gv.mldsa_public_key.bytes = *pq;
      g.validators.push_back(std::move(gv));
    }
    for (const auto& a : doc.value("accounts", json::array())) {
      GenesisAccount ga;
      auto address = crypto::Address::parse(a.at("address").get<std::string>());
      if (!address.ok()) return invalid("account address: " + address.error().message);
      ga.address = *address;
      ga.balance = a.at("balance").get<std::uint64_t>();
      g.accounts.push_back(ga);
    }
    const json sections = doc.value("modules", json::object());
    if (!sections.is_object()) return invalid("modules must be a JSON object");
    for (const auto& [name, section] : sections.items()) {
      if (!section.is_object()) return invalid("modules." + name + " must be a JSON object");
      g.modules[name] = section.dump();
    }
  } catch (const json::exception& e) {
    return invalid(std::string("missing or mistyped field: ") + e.what());
  }
  MN_TRY(g.validate());
  return g;
}

core::Result<Genesis> Genesis::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return core::make_error(core::ErrorCode::kNotFound, "cannot read genesis file " + file.string());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto g = from_json(text);
  if (!g.ok()) return core::make_error(g.error().code, file.string() + ": " + g.error().message);
  return g;
}

core::Status Genesis::save(const std::filesystem::path& file) const {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!(out << to_json()) || !out.flush()) {
    return core::make_error(core::ErrorCode::kIo, "cannot write genesis file " + file.string());
  }
  return {};
}

}  // namespace metanode::ledger
