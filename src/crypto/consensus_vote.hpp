// The signed content of a consensus vote, and the chain ids it is signed under. Kept below the
// layers that check votes (consensus, which casts and counts them; the economics module, which
// verifies equivocation evidence), so both read one encoding and one signing digest.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/codec.hpp"
#include "core/hash.hpp"
#include "core/result.hpp"
#include "crypto/ed25519.hpp"

namespace metanode::crypto {

// What a vote commits to, when a quorum of such votes finalises a block: the block at `height`
// with id `block_id`. IBFT commit seals name their own block; a chained-HotStuff vote names the
// block that a quorum certificate on the voted block would commit (three-chain rule), so the
// certificate of that vote is a self-contained commit certificate.
struct CommitTarget {
  std::uint64_t height = 0;
  core::Hash32 block_id{};
  bool operator==(const CommitTarget&) const = default;
};

enum class VoteKind : std::uint8_t {
  kPrepare = 1,    // IBFT PREPARE
  kCommit = 2,     // IBFT COMMIT (its signature is the commit seal)
  kHotStuff = 3,   // chained HotStuff generic vote
  kTimeout = 4,    // HotStuff pacemaker timeout (block_id zero)
};
std::string_view vote_kind_name(VoteKind kind);

// The signed content of a vote. Every signature covers hash(ConsensusVote, chain_id || data).
struct VoteData {
  VoteKind kind = VoteKind::kPrepare;
  std::uint64_t height = 0;
  std::uint64_t round = 0;  // IBFT round or HotStuff view
  core::Hash32 block_id{};
  std::optional<CommitTarget> commit;

  bool operator==(const VoteData&) const = default;
  core::Hash32 signing_digest(const core::Hash32& chain_id) const;
  void encode(core::Writer& w) const;
  static core::Result<VoteData> decode(core::Reader& r);
};

// Two votes conflict (equivocation) when one validator signed both for the same kind, height and
// round with different content. Timeouts never conflict (they name no block).
bool votes_conflict(const VoteData& a, const VoteData& b);

// A leader's signed proposal, in the form each engine signs it. IBFT's PRE-PREPARE signature
// covers hash(ConsensusMessage, chain_id || "pre-prepare" || height || round || block id), so the
// height, round and id are all the evidence needs. HotStuff's covers hash(ConsensusMessage,
// chain_id || "proposal" || block id) only: its view is in the block, so the evidence carries the
// block id's preimage (consensus::Block::id: height || round || parent || proposer || payload
// hash || justify) and the id is recomputed from it.
enum class ProposalForm : std::uint8_t { kIbftPrePrepare = 1, kHotStuff = 2 };
inline constexpr std::size_t kBlockPreimageBytesMax = 64u << 10;  // a justify QC of 256 signatures fits
struct SignedProposal {
  std::uint64_t height = 0;
  std::uint64_t round = 0;      // IBFT round or HotStuff view
  core::Hash32 block_id{};
  core::Bytes block_preimage;   // HotStuff only (empty for IBFT)
  Signature signature;
  bool operator==(const SignedProposal&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<SignedProposal> decode(core::Reader& r);
  // The digest its signer signed, after checking (HotStuff) that the preimage hashes to block_id
  // and names height and round (kProofInvalid otherwise).
  core::Result<core::Hash32> signing_digest(ProposalForm form, const core::Hash32& chain_id) const;
};
core::Hash32 ibft_pre_prepare_digest(const core::Hash32& chain_id, std::uint64_t height, std::uint64_t round,
                                     const core::Hash32& block_id);
core::Hash32 hotstuff_proposal_digest(const core::Hash32& chain_id, const core::Hash32& block_id);
// hash(ConsensusBlock, preimage): a consensus block's id.
core::Hash32 consensus_block_id(core::ByteView preimage);
// One leader's two proposals conflict when they are for the same height and round (IBFT) or the
// same view (HotStuff) and name different blocks.
bool proposals_conflict(ProposalForm form, const SignedProposal& a, const SignedProposal& b);

// The id every consensus signature of a chain is bound to (never the chain's name alone, so a
// signature of one chain never verifies on another with the same name): hash(ConsensusMessage,
// genesis digest).
core::Hash32 consensus_chain_id(const core::Hash32& genesis_digest);
// The id of consensus epoch `epoch` of that chain: the chain's for epoch 0, otherwise
// hash(ConsensusEpoch, chain id || epoch), so a vote of one epoch never counts in another.
core::Hash32 epoch_chain_id(const core::Hash32& chain_id, std::uint64_t epoch);

}  // namespace metanode::crypto
