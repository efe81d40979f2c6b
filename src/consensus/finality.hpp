// What ties the ledger to consensus. A consensus payload is a proposer's timestamp and the
// transactions it proposes; every validator executes a committed payload on its head and gets
// the same ledger block. The ledger block then stores a finality proof: the consensus block
// (with its payload) and the quorum certificate that committed it or, under HotStuff, a
// descendant committed with it. Anyone holding the validator set can check it offline.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <vector>

#include "consensus/epochs.hpp"
#include "consensus/types.hpp"
#include "core/result.hpp"
#include "ledger/block.hpp"
#include "ledger/chain.hpp"
#include "ledger/genesis.hpp"

namespace metanode::consensus {

inline constexpr std::size_t kPayloadTxsMax = ledger::kBlockTxsMax;

struct ConsensusPayload {
  std::int64_t timestamp_unix_ms = 0;
  std::vector<ledger::Transaction> txs;

  void encode(core::Writer& w) const;
  static core::Result<ConsensusPayload> decode(core::Reader& r);
};

struct Finality {
  Block block;
  QuorumCert cert;
  // The last block of an epoch whose certificate commits a later block: the blocks between
  // (empty, never applied; consensus/epochs.hpp). Empty otherwise.
  std::vector<Block> suffix;

  void encode(core::Writer& w) const;
  static core::Result<Finality> decode(core::Reader& r);
};

// The consensus chain id of a ledger: a hash of its genesis digest (Genesis::digest, which block 0
// commits to), so two chains with different genesis files never accept each other's votes, and a
// module that checks consensus signatures (evidence of equivocation) computes it from what every
// transaction's context carries.
using crypto::consensus_chain_id;

// Checks the finality proofs of consecutive ledger blocks, from height 1 up (verify_all, and a
// node catching up). Stateful: it follows the consensus parent links, and a certificate that
// commits a descendant is remembered until that descendant's height is checked. Each block is
// checked against its epoch's set under its epoch's chain id (consensus/epochs.hpp); the last
// block of an epoch may carry the suffix that links it to its certificate.
class FinalityChecker {
 public:
  // The epoch holding a height (node/validator_sets.hpp reads them from the chain's state).
  using EpochAt = std::function<core::Result<Epoch>(std::uint64_t height)>;
  // `genesis_timestamp_unix_ms` is block 0's (the genesis time): the first block's timestamp
  // rule counts from it. One set for every height:
  FinalityChecker(ValidatorSet validators, const core::Hash32& chain_id,
                  std::shared_ptr<SignatureVerifier> verifier, std::int64_t genesis_timestamp_unix_ms);
  // The set of each height's epoch:
  FinalityChecker(EpochAt epoch_at, const core::Hash32& chain_id, std::shared_ptr<SignatureVerifier> verifier,
                  std::int64_t genesis_timestamp_unix_ms);
  core::Status check(const ledger::StoredBlock& stored);

 private:
  EpochAt epoch_at_;
  core::Hash32 chain_id_;
  std::shared_ptr<SignatureVerifier> verifier_;
  core::Hash32 parent_id_{};
  std::int64_t parent_timestamp_unix_ms_ = 0;
  std::map<std::uint64_t, core::Hash32> expected_;  // height -> id a descendant's certificate committed
  std::optional<CommitTarget> suffix_target_;       // a certificate past the epoch's end, until its last block
};

}  // namespace metanode::consensus
