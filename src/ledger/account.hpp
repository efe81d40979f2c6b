// Account state: balance and the next nonce of one address. Accounts are entries of the
// accounts module (bank) in keyed state, under the address's 32 bytes; the executor and the
// mempool read them through AccountReader, the bank module writes them.
#pragma once

#include <cstdint>

#include "core/codec.hpp"
#include "core/result.hpp"
#include "crypto/address.hpp"
#include "ledger/state.hpp"

namespace metanode::ledger {

// The namespace accounts live in. Fixed because every node, client and proof checker must find
// an account at the same tree key (account_tree_key).
inline constexpr std::string_view kAccountsModule = "bank";

struct Account {
  static constexpr std::size_t kEncodeReserveBytes = 16;  // one allocation per encoding

  std::uint64_t balance = 0;
  std::uint64_t nonce = 0;  // the nonce the account's next transaction must carry

  bool operator==(const Account&) const = default;
  void encode(core::Writer& w) const {
    w.u64(balance);
    w.u64(nonce);
  }
  static core::Result<Account> decode(core::Reader& r) {
    Account a;
    MN_TRY_ASSIGN(a.balance, r.u64());
    MN_TRY_ASSIGN(a.nonce, r.u64());
    return a;
  }
};

inline core::Hash32 account_tree_key(const crypto::Address& address) {
  return state_tree_key(kAccountsModule, address.bytes);
}

// The account at `address` in `state` (an absent account reads as balance 0, nonce 0);
// kStateCorrupt when the stored record does not decode.
core::Result<Account> read_account(const StateReader& state, const crypto::Address& address);
// The account an entry's stored value holds (nullopt: absent, balance 0, nonce 0).
core::Result<Account> decode_account(const std::optional<core::Bytes>& value, const crypto::Address& address);

// Read access to committed account state (an absent account reads as balance 0, nonce 0).
class AccountReader {
 public:
  virtual ~AccountReader() = default;
  virtual core::Result<Account> account(const crypto::Address& address) const = 0;
};

// Accounts as read from keyed state.
class AccountsView final : public AccountReader {
 public:
  explicit AccountsView(const StateReader& state) : state_(state) {}
  core::Result<Account> account(const crypto::Address& address) const override { return read_account(state_, address); }

 private:
  const StateReader& state_;
};

}  // namespace metanode::ledger
