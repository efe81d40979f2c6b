// Block sync, sans IO: how a validator that is behind fetches committed consensus blocks with the
// certificates that commit them, and how a peer answers. The node runtime runs it over XTMP and
// the simulator over its fake network, so every seeded schedule exercises the code the node
// runs. The engine verifies every certificate (on_synced_blocks) before anything is applied.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "consensus/engine.hpp"
#include "consensus/types.hpp"
#include "core/result.hpp"

namespace metanode::consensus {

// Consecutive committed blocks and the certificate that commits the last of them (a HotStuff
// certificate commits its block's ancestors too).
struct SyncRun {
  std::vector<Block> blocks;
  QuorumCert cert;
};

inline constexpr std::size_t kSyncRunsMax = 1'024;  // runs per reply, and blocks per run

struct SyncLimits {
  std::size_t blocks_max = 64;             // blocks per reply
  std::size_t payload_bytes_max = 8u << 20;  // payload bytes per reply (the run that crosses it ends it)
};

core::Bytes encode_sync_request(std::uint64_t from_height);
core::Result<std::uint64_t> decode_sync_request(core::ByteView bytes);
core::Bytes encode_sync_reply(const std::vector<SyncRun>& runs);
core::Result<std::vector<SyncRun>> decode_sync_reply(core::ByteView bytes);

// A committed block with the certificate stored beside it.
struct CommittedBlock {
  Block block;
  QuorumCert cert;
  std::vector<Block> suffix;  // the last block of an epoch: see CommitBlock::suffix
};
using CommittedAt = std::function<std::optional<CommittedBlock>(std::uint64_t height)>;

// The answer to a request for the blocks from `from`: runs up to `head`, each ending at a block
// whose own certificate commits it (blocks after the last such one wait for theirs), or at an
// epoch's last block, whose certificate commits the end of its suffix (sent in the run after it).
// A run so never spans two epochs: each is checked with its own epoch's set.
std::vector<SyncRun> answer_sync(std::uint64_t from, std::uint64_t head, const CommittedAt& committed,
                                 const SyncLimits& limits);

// Checks a run against the committed block it must continue (`committed_height`, `committed_id`):
// consecutive heights, parent links, and a quorum's certificate that commits its last block. The
// one check both engines and a full node's follower make; answers the blocks' ids.
core::Result<std::vector<core::Hash32>> check_sync_run(const std::vector<Block>& blocks, const QuorumCert& cert,
                                                       std::uint64_t committed_height, const core::Hash32& committed_id,
                                                       const ValidatorSet& validators, const core::Hash32& chain_id,
                                                       SignatureVerifier& verifier);

// A full node's side of sync: no engine, it follows the committed chain. It holds the newest
// committed consensus block it has and turns each run that continues it (checked by
// check_sync_run) into CommitBlock actions, in order.
class SyncFollower {
 public:
  SyncFollower(ValidatorSet validators, const core::Hash32& chain_id, std::shared_ptr<SignatureVerifier> verifier,
               std::uint64_t committed_height, const core::Hash32& committed_id)
      : validators_(std::move(validators)),
        chain_id_(chain_id),
        verifier_(std::move(verifier)),
        committed_height_(committed_height),
        committed_id_(committed_id) {}

  std::uint64_t committed_height() const { return committed_height_; }
  // Each run that starts at committed_height() + 1 is checked and becomes CommitBlock actions;
  // runs already held are skipped; the first run that fails its check ends it with the error.
  core::Status follow(const std::vector<SyncRun>& runs, const std::function<void(Actions&)>& process);

 private:
  ValidatorSet validators_;
  core::Hash32 chain_id_;
  std::shared_ptr<SignatureVerifier> verifier_;
  std::uint64_t committed_height_;
  core::Hash32 committed_id_;
};

// The asking side: one request outstanding at a time, asked again after retry_ms.
class SyncClient {
 public:
  explicit SyncClient(std::uint64_t retry_ms) : retry_ms_(retry_ms) {}

  // Whether to ask `peer` now for the blocks after `head` (the peer is at `peer_height`, 0 when
  // not known); records the request when it says yes.
  bool should_request(ValidatorIndex peer, std::uint64_t peer_height, std::uint64_t head, std::uint64_t now_ms);
  // A reply from `peer` arrived: false when it was not asked for (the reply is refused).
  bool take_reply(ValidatorIndex peer);
  // Forgets the outstanding request (a restart).
  void reset() { outstanding_ = false; }

  struct Outcome {
    std::size_t runs_applied = 0;
    std::optional<core::Error> refused;  // the engine refused a run (a forged certificate): the rest is dropped
  };
  // Feeds the engine (an Engine or an EpochEngine) the runs that continue the chain at
  // head() + 1, in order, handing each run's actions to `process` before the next (which may
  // then continue the new head).
  template <typename E>
  static Outcome apply(E& engine, const std::vector<SyncRun>& runs, const std::function<std::uint64_t()>& head,
                       std::uint64_t now_ms, const std::function<void(Actions&)>& process) {
    Outcome outcome;
    for (const auto& run : runs) {
      if (run.blocks.empty() || run.blocks.front().height != head() + 1) continue;
      Actions out;
      auto st = engine.on_synced_blocks(run.blocks, run.cert, now_ms, out);
      if (!st.ok()) {
        outcome.refused = std::move(st).error();
        return outcome;
      }
      ++outcome.runs_applied;
      process(out);
    }
    return outcome;
  }

 private:
  std::uint64_t retry_ms_;
  bool outstanding_ = false;
  ValidatorIndex peer_ = 0;
  std::uint64_t sent_ms_ = 0;
};

}  // namespace metanode::consensus
