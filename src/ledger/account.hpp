// Account state: balance and the next nonce, stored in the sparse Merkle tree under the
// account's 32-byte address.
#pragma once

#include <cstdint>

#include "core/codec.hpp"
#include "core/result.hpp"
#include "crypto/address.hpp"

namespace metanode::ledger {

struct Account {
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

// Read access to committed account state (an absent account reads as balance 0, nonce 0).
class AccountReader {
 public:
  virtual ~AccountReader() = default;
  virtual core::Result<Account> account(const crypto::Address& address) const = 0;
};

}  // namespace metanode::ledger
