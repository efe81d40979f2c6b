// The bank module: native-token transfers between accounts (single-key or multisig).
#pragma once

#include "ledger/executor.hpp"

namespace metanode::modules {

// Event data of a "transfer" event: from (32) || to (32) || amount (u64 LE).
struct TransferEvent {
  crypto::Address from;
  crypto::Address to;
  std::uint64_t amount = 0;
  void encode(core::Writer& w) const;
  static core::Result<TransferEvent> decode(core::Reader& r);
};

class Bank final : public ledger::PayloadHandler {
 public:
  core::Status apply(const ledger::Transaction& tx, const crypto::Address& sender, ledger::StateOverlay& state,
                     std::vector<ledger::Event>& events) const override;
};

}  // namespace metanode::modules
