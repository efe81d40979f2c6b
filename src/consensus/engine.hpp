// The one interface of a consensus engine. An engine is a plain object: no sockets, threads,
// clocks or randomness. The driver (the node runtime, or the simulator) feeds it inputs and
// carries out the actions it returns, in order. Same engine code, two drivers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "consensus/types.hpp"
#include "crypto/ed25519.hpp"

namespace metanode::consensus {

using SharedBytes = std::shared_ptr<const core::Bytes>;

// --- Actions (outputs). The driver performs them in the order given. ---

// Write `state` durably before doing any later action of the same batch. Votes and commit seals
// always come after the Persist that records them, so a restarted engine fed the last persisted
// state never signs a second, conflicting vote.
struct PersistState {
  core::Bytes state;
};
// Keep `block` durably until it is committed (or falls behind the committed height), and give it
// back in EngineStart::stored_blocks. HotStuff stores every block before voting for it, so the
// blocks a quorum certificate names survive even if every validator restarts.
struct StoreBlock {
  Block block;
  core::Hash32 block_id{};
};
struct SendTo {
  ValidatorIndex to = 0;
  SharedBytes message;
};
// To every other validator.
struct Broadcast {
  SharedBytes message;
};
// Call on_tick at (or after) `deadline_ms`; replaces any earlier timer of this engine.
struct SetTimer {
  std::uint64_t deadline_ms = 0;
};
struct CancelTimer {};
// Build a payload on top of `parent_id` for `height` and hand it back with on_payload.
struct RequestPayload {
  std::uint64_t height = 0;
  core::Hash32 parent_id{};
};
// Check a proposed payload (execute it, in the node) and answer with on_payload_verdict.
struct ValidatePayload {
  std::uint64_t height = 0;
  core::Hash32 block_id{};
  core::Hash32 parent_id{};
  SharedBytes payload;
};
// `block` is final. `certificate` commits it or (HotStuff) a descendant delivered in the same
// batch; blocks arrive in height order, each the child of the one before.
struct CommitBlock {
  Block block;
  core::Hash32 block_id{};
  QuorumCert certificate;
  // Only on the last block of an epoch (consensus/epochs.hpp): the blocks after it, up to the
  // one `certificate` commits, which link it to that certificate. They are never applied: the
  // next epoch decides those heights again under its own validator set.
  std::vector<Block> suffix;
};
// A peer shows evidence of a chain beyond ours (`height` is its height): fetch committed blocks
// with their certificates and feed them to on_synced_blocks.
struct SyncNeeded {
  ValidatorIndex peer = 0;
  std::uint64_t height = 0;
};

// A validator signed two conflicting votes of one kind for the same height and round (or view):
// the proof of its equivocation, both signatures checked. The driver records it (and, with
// slashing, submits it as evidence).
struct EquivocationSeen {
  SignedVote first;
  SignedVote second;
};
// The leader `signer` signed two conflicting proposals (crypto::proposals_conflict).
struct ProposalEquivocationSeen {
  ValidatorIndex signer = 0;
  crypto::ProposalForm form = crypto::ProposalForm::kIbftPrePrepare;
  crypto::SignedProposal first;
  crypto::SignedProposal second;
};

using Action = std::variant<PersistState, StoreBlock, SendTo, Broadcast, SetTimer, CancelTimer, RequestPayload, ValidatePayload,
                            CommitBlock, SyncNeeded, EquivocationSeen, ProposalEquivocationSeen>;
using Actions = std::vector<Action>;

// Where an engine starts: the last committed block (genesis on a new chain) and the last
// persisted safety state, if any.
struct EngineStart {
  Block committed;            // genesis_block(chain_id) when nothing is committed yet
  std::optional<QuorumCert> committed_cert;  // certificate of `committed` (none for genesis)
  std::optional<core::Bytes> persisted;
  std::vector<Block> stored_blocks;  // from StoreBlock, not yet committed
  // Committed blocks just before `committed`, oldest first (up to kHistoryBlocksMax): HotStuff's
  // leader reputation reads who proposed and signed them, so a restarted validator elects the
  // same leaders as the others at once.
  std::vector<Block> history;
  static constexpr std::size_t kHistoryBlocksMax = 600;
  std::uint64_t now_ms = 0;
  // `committed` is the root of this engine's epoch: the last block of the previous epoch (or the
  // genesis block), certified by another validator set under another chain id. The engine treats
  // it as it treats genesis: no certificate of this epoch names it, the first block on it carries
  // none (IBFT) or the root's unsigned QC (HotStuff), views start again at 1, and neither
  // `committed_cert` nor the committed block's proposer is read (they belong to the other set).
  bool epoch_root = false;
};

struct EngineStatus {
  std::uint64_t committed_height = 0;
  std::uint64_t height = 0;   // height being decided (IBFT) or of the highest certified block + 1
  std::uint64_t round = 0;    // IBFT round or HotStuff view
  std::uint64_t rounds_timed_out = 0;
};

// Timing of the round / view timers: base * 2^k, capped. The cap is what keeps a long outage from
// producing a timer nobody waits out (the unbounded doubling that stalls other implementations).
struct TimerPolicy {
  std::uint64_t base_ms = 1000;
  std::uint64_t cap_ms = 8000;
  std::uint64_t timeout_ms(std::uint64_t attempts) const {
    std::uint64_t t = base_ms;
    for (std::uint64_t i = 0; i < attempts && t < cap_ms; ++i) t *= 2;
    return std::min(t, cap_ms);
  }
};

// Switches that break the protocol on purpose, so tests can show the simulator catches it.
struct UnsafeForTesting {
  bool ignore_lock = false;  // HotStuff: vote without the locking rule; IBFT: ignore prepared certificates
};

struct EngineConfig {
  core::Hash32 chain_id{};
  ValidatorSet validators;
  ValidatorIndex self = 0;
  std::shared_ptr<const crypto::KeyPair> key;
  std::shared_ptr<SignatureVerifier> verifier;
  TimerPolicy timers;
  UnsafeForTesting unsafe;
  // HotStuff: leaders only among validators that recently took part (consensus/reputation.hpp);
  // false: plain round-robin over every validator (the simulator compares the two).
  bool leader_reputation = true;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string_view name() const = 0;

  // Every input carries the driver's current time (`now_ms`, monotonic): the engine has no clock.
  virtual void start(const EngineStart& start, Actions& out) = 0;
  // A message from validator `from` (the transport authenticated the peer). Malformed or invalid
  // messages are dropped; the reason is returned for logging and peer scoring.
  virtual core::Status on_message(ValidatorIndex from, core::ByteView message, std::uint64_t now_ms, Actions& out) = 0;
  // Time passed; the driver calls this at (or after) the deadline of the last SetTimer.
  virtual void on_tick(std::uint64_t now_ms, Actions& out) = 0;
  virtual void on_payload(std::uint64_t height, core::Bytes payload, std::uint64_t now_ms, Actions& out) = 0;
  virtual void on_payload_verdict(const core::Hash32& block_id, bool valid, std::uint64_t now_ms, Actions& out) = 0;
  // Committed blocks fetched from a peer, in height order starting right after our last
  // committed block; `cert` commits the last one (and with the parent links, all of them).
  virtual core::Status on_synced_blocks(const std::vector<Block>& blocks, const QuorumCert& cert, std::uint64_t now_ms,
                                        Actions& out) = 0;
  virtual EngineStatus status() const = 0;
  // How many blocks must be proposed on top of a committed block before every validator has
  // seen the certificate that commits it: 0 when commits are broadcast (IBFT's commit seals), 3
  // in chained HotStuff (block b commits when QC(b+2) is seen, and that QC travels in b+3). A
  // driver whose leader would wait for transactions keeps proposing that far past the last block
  // with transactions, so their commits reach everyone without waiting for new load.
  virtual std::uint64_t commit_spread_blocks() const = 0;
};

// One-line description of a wire message, for traces ("prepare h=3 r=1 b=ab12cd34 from 2").
using MessageDescriber = std::string (*)(core::ByteView message);

}  // namespace metanode::consensus
