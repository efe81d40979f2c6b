#include "crypto/consensus_vote.hpp"

#include <string>

namespace metanode::crypto {

std::string_view vote_kind_name(VoteKind kind) {
  switch (kind) {
    case VoteKind::kPrepare: return "prepare";
    case VoteKind::kCommit: return "commit";
    case VoteKind::kHotStuff: return "vote";
    case VoteKind::kTimeout: return "timeout";
  }
  return "unknown";
}

core::Hash32 VoteData::signing_digest(const core::Hash32& chain_id) const {
  core::Writer w(128);
  w.array(chain_id);
  encode(w);
  return core::hash(core::Domain::ConsensusVote, w.data());
}

void VoteData::encode(core::Writer& w) const {
  w.u8(static_cast<std::uint8_t>(kind));
  w.u64(height);
  w.u64(round);
  w.array(block_id);
  w.boolean(commit.has_value());
  if (commit) {
    w.u64(commit->height);
    w.array(commit->block_id);
  }
}

core::Result<VoteData> VoteData::decode(core::Reader& r) {
  VoteData d;
  MN_TRY_ASSIGN(auto kind, r.u8());
  if (kind < 1 || kind > 4) return core::make_error(core::ErrorCode::kDecodeInvalidValue, "unknown vote kind " + std::to_string(kind));
  d.kind = static_cast<VoteKind>(kind);
  MN_TRY_ASSIGN(d.height, r.u64());
  MN_TRY_ASSIGN(d.round, r.u64());
  MN_TRY_ASSIGN(d.block_id, r.array<32>());
  MN_TRY_ASSIGN(bool has_commit, r.boolean());
  if (has_commit) {
    CommitTarget t;
    MN_TRY_ASSIGN(t.height, r.u64());
    MN_TRY_ASSIGN(t.block_id, r.array<32>());
    d.commit = t;
  }
  return d;
}

bool votes_conflict(const VoteData& a, const VoteData& b) {
  return a.kind != VoteKind::kTimeout && a.kind == b.kind && a.height == b.height && a.round == b.round && a != b;
}

void SignedProposal::encode(core::Writer& w) const {
  w.u64(height);
  w.u64(round);
  w.array(block_id);
  w.bytes(block_preimage, kBlockPreimageBytesMax);
  signature.encode(w);
}

core::Result<SignedProposal> SignedProposal::decode(core::Reader& r) {
  SignedProposal p;
  MN_TRY_ASSIGN(p.height, r.u64());
  MN_TRY_ASSIGN(p.round, r.u64());
  MN_TRY_ASSIGN(p.block_id, r.array<32>());
  MN_TRY_ASSIGN(p.block_preimage, r.bytes(kBlockPreimageBytesMax));
  MN_TRY_ASSIGN(p.signature, Signature::decode(r));
  return p;
}

core::Result<core::Hash32> SignedProposal::signing_digest(ProposalForm form, const core::Hash32& chain_id) const {
  if (form == ProposalForm::kIbftPrePrepare) {
    if (!block_preimage.empty()) return core::make_error(core::ErrorCode::kProofInvalid, "an IBFT pre-prepare carries no block preimage");
    return ibft_pre_prepare_digest(chain_id, height, round, block_id);
  }
  if (consensus_block_id(block_preimage) != block_id) {
    return core::make_error(core::ErrorCode::kProofInvalid, "the block preimage does not hash to the proposal's block id");
  }
  core::Reader r(block_preimage);
  auto h = r.u64();
  auto v = r.u64();
  if (!h.ok() || !v.ok() || *h != height || *v != round) {
    return core::make_error(core::ErrorCode::kProofInvalid, "the block preimage names another height or view");
  }
  return hotstuff_proposal_digest(chain_id, block_id);
}

core::Hash32 ibft_pre_prepare_digest(const core::Hash32& chain_id, std::uint64_t height, std::uint64_t round,
                                     const core::Hash32& block_id) {
  core::Writer w(96);
  w.array(chain_id);
  w.string("pre-prepare", 32);
  w.u64(height);
  w.u64(round);
  w.array(block_id);
  return core::hash(core::Domain::ConsensusMessage, w.data());
}

core::Hash32 hotstuff_proposal_digest(const core::Hash32& chain_id, const core::Hash32& block_id) {
  core::Writer w(80);
  w.array(chain_id);
  w.string("proposal", 16);
  w.array(block_id);
  return core::hash(core::Domain::ConsensusMessage, w.data());
}

core::Hash32 consensus_block_id(core::ByteView preimage) { return core::hash(core::Domain::ConsensusBlock, preimage); }

bool proposals_conflict(ProposalForm form, const SignedProposal& a, const SignedProposal& b) {
  if (a.block_id == b.block_id || a.round != b.round) return false;
  return form == ProposalForm::kHotStuff || a.height == b.height;
}

core::Hash32 consensus_chain_id(const core::Hash32& genesis_digest) {
  return core::hash(core::Domain::ConsensusMessage, genesis_digest);
}

core::Hash32 epoch_chain_id(const core::Hash32& chain_id, std::uint64_t epoch) {
  if (epoch == 0) return chain_id;
  core::Writer w(40);
  w.array(chain_id);
  w.u64(epoch);
  return core::hash(core::Domain::ConsensusEpoch, w.data());
}

}  // namespace metanode::crypto
