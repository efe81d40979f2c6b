// Test support for the auction mempool: an AccountReader over a std::map and a maker of real
// signed transfers.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/codec.hpp"
#include "crypto/ed25519.hpp"
#include "ledger/account.hpp"
#include "ledger/transaction.hpp"
#include "mempool/auction_mempool.hpp"
#include "modules/bank.hpp"
#include "modules/module_set.hpp"

namespace metanode::mempool::testing {

inline constexpr const char* kChainId = "mempool-test";
// The digest of the (notional) genesis the test transactions are signed for.
inline const core::Hash32 kGenesisDigest = core::hash(core::Domain::Test, core::as_bytes("mempool-test genesis"));

// Committed state as a map; an absent account reads as balance 0, nonce 0 (the interface's
// contract). Addresses in `unreadable` fail as a storage error would.
class MapState final : public ledger::AccountReader {
 public:
  core::Result<ledger::Account> account(const crypto::Address& address) const override {
    if (unreadable.contains(address)) return core::make_error(core::ErrorCode::kStorageIo, "disk on fire");
    const auto it = accounts.find(address);
    return it == accounts.end() ? ledger::Account{} : it->second;
  }
  void set(const crypto::Address& address, std::uint64_t balance, std::uint64_t nonce) {
    accounts[address] = ledger::Account{balance, nonce};
  }

  std::map<crypto::Address, ledger::Account> accounts;
  std::set<crypto::Address> unreadable;
};

struct Sender {
  crypto::KeyPair key = crypto::KeyPair::generate();
  crypto::Address address() const { return crypto::Address::from_public_key(key.public_key()); }
};

// What a test transaction varies, set by chained calls: TxSpec().nonce(1).bid(50).
struct TxSpec {
  std::uint64_t nonce_ = 0;
  std::uint64_t bid_ = 1;
  std::uint64_t max_fee_ = 1'000;
  std::string memo_;

  TxSpec& nonce(std::uint64_t value) { nonce_ = value; return *this; }
  TxSpec& bid(std::uint64_t value) { bid_ = value; return *this; }
  TxSpec& max_fee(std::uint64_t value) { max_fee_ = value; return *this; }
  TxSpec& memo(std::string value) { memo_ = std::move(value); return *this; }
};

inline crypto::Address recipient() {
  crypto::Address to;
  to.bytes.fill(0x77);
  return to;
}

inline ledger::Transaction make_tx(const Sender& sender, const TxSpec& spec) {
  ledger::Transaction tx;
  tx.chain_id = kChainId;
  tx.nonce = spec.nonce_;
  tx.bid = spec.bid_;
  tx.max_fee = spec.max_fee_;
  tx.payload = modules::transfer_payload(recipient(), 5);
  tx.memo = spec.memo_;
  tx.sign_single(sender.key, kGenesisDigest);
  return tx;
}

inline std::size_t encoded_size(const ledger::Transaction& tx) { return core::encode(tx).size(); }

inline std::vector<core::Hash32> hashes_of(const std::vector<ledger::Transaction>& txs) {
  std::vector<core::Hash32> out;
  for (const auto& tx : txs) out.push_back(tx.hash());
  return out;
}

inline MempoolConfig test_config() {
  MempoolConfig config;
  config.chain = {kChainId, kGenesisDigest};
  config.modules = modules::standard_modules();
  return config;
}

}  // namespace metanode::mempool::testing
