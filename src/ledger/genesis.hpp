// The genesis file (JSON): the chain id, the initial validators and balances, and the fee
// parameters every node must agree on. Its block 0 identifies the chain.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "crypto/address.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/mldsa.hpp"

namespace metanode::ledger {

struct GenesisValidator {
  std::string name;
  crypto::PublicKey ed25519_public_key;
  crypto::MldsaPublicKey mldsa_public_key;
  bool operator==(const GenesisValidator&) const = default;
};

struct GenesisAccount {
  crypto::Address address;
  std::uint64_t balance = 0;
  bool operator==(const GenesisAccount&) const = default;
};

struct Genesis {
  std::string chain_id;
  std::int64_t genesis_time_unix_ms = 0;
  std::uint64_t base_fee_initial = 1;
  std::uint64_t base_fee_min = 1;
  std::uint32_t block_txs_target = 5'000;  // the base fee rises above this fullness, falls below
  // The BFT engine every validator runs: "ibft" (immediate finality, QBFT rounds) or "hotstuff"
  // (chained HotStuff, linear messages per view).
  std::string consensus = "ibft";
  std::vector<GenesisValidator> validators;
  std::vector<GenesisAccount> accounts;
  // Sections for the modules' genesis hooks: module name -> its JSON object, kept as compact
  // JSON text (the "modules" object of the file; a module reads its own).
  std::map<std::string, std::string> modules;

  // The section of `module` parsed into `out`; false when the file has none.
  bool module_section(std::string_view module, nlohmann::json& out) const;

  // Non-empty chain id of [a-z0-9-], a known consensus engine, at least one validator, no duplicate validators or
  // accounts, total supply without overflow.
  core::Status validate() const;
  core::Hash32 validator_set_hash() const;
  // hash(Domain::Genesis, to_json()): the whole file in its canonical form (the form `save`
  // writes; a reformatted copy of the same content has the same digest). Block 0 carries it as
  // its parent hash, so block 0's hash, the consensus chain id and every signature bound to
  // either commit to every field of the genesis.
  core::Hash32 digest() const;
  std::vector<crypto::PublicKey> validator_keys() const;

  std::string to_json() const;
  static core::Result<Genesis> from_json(std::string_view text);
  static core::Result<Genesis> load(const std::filesystem::path& file);
  core::Status save(const std::filesystem::path& file) const;
};

}  // namespace metanode::ledger
