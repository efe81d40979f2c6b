// Epochs: the validator set changes only between two epochs, and each epoch runs its own engine
// instance. An epoch is a range of heights with one validator set; it starts on a root (the last
// block of the epoch before it, or the genesis block) and signs under its own chain id, so a vote,
// proposal or certificate of one epoch never counts in another, and a validator in two epochs
// with two indices never seems to equivocate.
//
// EpochEngine wraps the engine of the current epoch for a driver (the node runtime or the
// simulator, the same code in both):
//   - it builds the engine with the epoch's set and this key's index in it, or none when the
//     key is not in the set: then it follows the chain by block sync (a full node, a validator
//     not yet admitted or already removed);
//   - messages carry their epoch (the driver frames them): the current epoch's go to the engine,
//     a later epoch's wait until it begins (and say this node is behind), older ones are dropped;
//   - heights past the epoch's last are not decided in it: the engine may still need blocks
//     there (HotStuff's three-chain commits the last block only through three descendants), but
//     those carry empty payloads, proposed and checked here, and are never applied: they travel
//     as the last block's `suffix` (CommitBlock), which links it to its certificate;
//   - once the last height is committed the epoch is over: nothing more goes in or out until the
//     driver has applied that block, read the next epoch from its state, and calls begin_epoch.
// Persisted safety state is tagged with its epoch: a new epoch starts with a clean one.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "consensus/engine.hpp"
#include "consensus/types.hpp"

namespace metanode::consensus {

inline constexpr std::uint64_t kOpenEnded = std::numeric_limits<std::uint64_t>::max();

struct Epoch {
  std::uint64_t number = 0;
  std::uint64_t first_height = 1;         // its root is first_height - 1
  std::uint64_t last_height = kOpenEnded;  // inclusive
  ValidatorSet validators;

  bool contains(std::uint64_t height) const { return height >= first_height && height <= last_height; }
};

// The chain id an epoch signs under: the chain's own for epoch 0 (a chain that never changes its
// set keeps its signatures), hash(ConsensusEpoch, chain id || number) after.
using crypto::epoch_chain_id;

class EpochEngine {
 public:
  using Factory = std::function<std::unique_ptr<Engine>(EngineConfig)>;
  static constexpr std::size_t kFutureMessagesMax = 1024;  // held for the next epoch, newest kept
  static constexpr std::uint64_t kFollowRetryMs = 500;     // a follower asks for blocks this often
  static constexpr std::uint64_t kStallSyncMs = 1000;      // a voter that commits nothing for this long asks too

  // `base` gives the chain id (of epoch 0), key, verifier, timers and switches; its validators
  // and self are set per epoch.
  EpochEngine(EngineConfig base, Factory make);

  // Starts in `epoch`, the one holding start.committed.height + 1. start.committed is the newest
  // committed block: the epoch's root (set start.epoch_root) or a block of the epoch.
  // start.history must hold only blocks of this epoch.
  void start(Epoch epoch, EngineStart start, Actions& out);
  // A message of epoch `epoch` from the holder of `from` (authenticated by the transport).
  core::Status on_message(const crypto::PublicKey& from, std::uint64_t epoch, core::ByteView message, std::uint64_t now_ms,
                          Actions& out);
  void on_tick(std::uint64_t now_ms, Actions& out);
  void on_payload(std::uint64_t height, core::Bytes payload, std::uint64_t now_ms, Actions& out);
  void on_payload_verdict(const core::Hash32& block_id, bool valid, std::uint64_t now_ms, Actions& out);
  // A run of committed blocks (consensus/sync.hpp) of the current epoch; runs past its end are
  // ignored until the next epoch begins (the driver asks again).
  core::Status on_synced_blocks(const std::vector<Block>& blocks, const QuorumCert& cert, std::uint64_t now_ms,
                                Actions& out);

  // The chain published the next set: this epoch ends at `last_height`. Ignored unless it is
  // above every height committed here (the chain publishes a set well ahead of its first height).
  void set_last_height(std::uint64_t last_height) {
    if (last_height > committed_height_ && last_height < epoch_.last_height) epoch_.last_height = last_height;
  }
  // The last height is committed: the driver applies it, then calls begin_epoch.
  bool ended() const { return ended_; }
  // The next epoch, on `root` (the block just ended with, which the driver committed).
  void begin_epoch(Epoch next, const Block& root, std::uint64_t now_ms, Actions& out);

  const Epoch& epoch() const { return epoch_; }
  const core::Hash32& chain_id() const { return epoch_chain_id_; }
  bool voting() const { return engine_ != nullptr; }
  const Engine* engine() const { return engine_.get(); }
  EngineStatus status() const;
  std::uint64_t commit_spread_blocks() const { return engine_ ? engine_->commit_spread_blocks() : 0; }
  std::uint64_t committed_height() const { return committed_height_; }
  std::uint64_t stale_messages() const { return stale_messages_; }

 private:
  void enter(Epoch epoch, EngineStart start, Actions& out);
  // Carries the engine's actions out to the driver: tags persisted state, answers for heights
  // past the epoch, ends the epoch at its last commit and turns later commits into its suffix.
  void forward(Actions inner, Actions& out);
  void follow_tick(std::uint64_t now_ms, Actions& out);

  EngineConfig base_;
  Factory make_;
  Epoch epoch_;
  core::Hash32 epoch_chain_id_{};
  std::unique_ptr<Engine> engine_;
  bool ended_ = false;
  std::uint64_t now_ms_ = 0;
  std::uint64_t committed_height_ = 0;
  core::Hash32 committed_id_{};
  std::uint64_t timed_out_before_ = 0;  // rounds timed out in earlier epochs
  std::uint64_t stale_messages_ = 0;
  std::uint64_t progress_ms_ = 0;    // the last commit (or the epoch's start)
  std::uint64_t stall_sync_ms_ = 0;  // the last ask for blocks because of a stall
  std::size_t follow_peer_ = 0;
  struct Future {
    crypto::PublicKey from;
    std::uint64_t epoch = 0;
    core::Bytes message;
  };
  std::deque<Future> future_;
};

}  // namespace metanode::consensus
