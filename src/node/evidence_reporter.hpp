// Submits the equivocation this node's consensus engine saw as evidence on chain (the economics
// module's "evidence" kind, modules::EquivocationEvidence), from the node's key: anyone may, and
// the validators see it first. One submission per offender and epoch; none when the chain has
// slashed the offender already, or the node's account cannot pay the fee (said once, counted).
// The module checks everything again: a report here is never trusted by itself.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "crypto/ed25519.hpp"
#include "ledger/chain.hpp"
#include "modules/econ/econ.hpp"
#include "node/tx_pool.hpp"

namespace metanode::node {

struct EvidenceCounters {
  std::uint64_t seen = 0;       // distinct (offender, epoch) pairs the engine reported
  std::uint64_t submitted = 0;  // admitted to the pool
  std::uint64_t refused = 0;    // the pool refused it (its code is logged)
  std::uint64_t unfunded = 0;   // the node's account could not pay the fee
  std::uint64_t already = 0;    // the chain had slashed the offender already
};

class EvidenceReporter {
 public:
  // Runs work off the consensus thread (the node's io threads).
  using Post = std::function<void(std::function<void()>)>;
  EvidenceReporter(const ledger::Chain& chain, TxPool& pool, const crypto::KeyPair& key, Post post);

  // Thread-safe; returns at once (the state read, signature and admission are posted).
  void report(modules::EquivocationEvidence evidence);
  void report(modules::ProposalEvidence evidence);

  EvidenceCounters counters() const;
  std::string metrics_text() const;

 private:
  // `payload` is the evidence transaction's, `shown` its JSON (logged when the node cannot pay).
  void report(std::uint64_t epoch, const crypto::PublicKey& offender, ledger::Payload payload, std::string shown);
  void submit(std::uint64_t epoch, const crypto::PublicKey& offender, const ledger::Payload& payload, const std::string& shown);

  Post post_;
  const ledger::Chain& chain_;
  TxPool& pool_;
  const crypto::KeyPair& key_;
  crypto::Address address_;
  mutable std::mutex mutex_;
  std::set<std::pair<crypto::PublicKey, std::uint64_t>> reported_;  // (offender, epoch), bounded below
  EvidenceCounters counters_;
};

}  // namespace metanode::node
