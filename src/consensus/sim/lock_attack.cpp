#include "consensus/sim/lock_attack.hpp"

#include <string>

namespace metanode::consensus::sim {

using hotstuff::Proposal;
using hotstuff::Timeout;

void LockAttack::observe(ValidatorIndex from, std::optional<ValidatorIndex> to, const core::Bytes& bytes,
                         const hotstuff::HotStuffEngine& engine, bool time_left, std::vector<Send>& out) {
  if (stage_ == Stage::kOver || from == attacker_) return;
  auto m = hotstuff::decode_message(bytes);
  if (!m.ok()) return;
  if (auto* p = std::get_if<Proposal>(&*m)) {
    if (stage_ == Stage::kWatching) trigger(from, *p, engine, time_left);
    return;
  }
  if (!running() || from == victim_) return;
  if (auto* t = std::get_if<Timeout>(&*m); t && stage_ == Stage::kAwaitingTimeouts) return on_timeout(t->vote, out);
  auto* v = std::get_if<hotstuff::Vote>(&*m);
  if (!v) return;
  if (stage_ == Stage::kAwaitingForkVotes) return on_fork_vote(v->vote, out);
  if (stage_ == Stage::kFollowing) follow(to, v->vote, out);
}

void LockAttack::trigger(ValidatorIndex from, const Proposal& p, const hotstuff::HotStuffEngine& engine, bool time_left) {
  const Block& b = p.block;
  proposals_[b.round] = b;
  while (proposals_.size() > 8) proposals_.erase(proposals_.begin());
  const std::uint64_t u = b.round;
  if (!time_left || u < 3 || engine.leader(u) != from || engine.leader(u + 1) != attacker_ ||
      engine.leader(u + 2) != attacker_) {
    return;
  }
  const auto parent = proposals_.find(u - 1);
  const auto grandparent = proposals_.find(u - 2);
  if (parent == proposals_.end() || grandparent == proposals_.end()) return;
  // Direct chain u-2 <- u-1 <- u, so QC(u) commits u-2 (the block the others are locked on).
  if (!b.justify || b.justify->data.round != u - 1 || b.parent_id != parent->second.id()) return;
  if (!parent->second.justify || parent->second.justify->data.round != u - 2 ||
      parent->second.parent_id != grandparent->second.id() || !grandparent->second.justify) {
    return;
  }
  stage_ = Stage::kAwaitingTimeouts;
  victim_ = from;
  view_ = u;
  base_ = grandparent->second;
  (void)timeouts_.add(sign(VoteData{VoteKind::kTimeout, 0, u, core::Hash32{}, std::nullopt}), quorum_);
}

void LockAttack::on_timeout(const SignedVote& timeout, std::vector<Send>& out) {
  if (timeout.data.kind != VoteKind::kTimeout || timeout.data.round != view_) return;
  auto tc = timeouts_.add(timeout, quorum_);
  if (!tc) return;
  // F: in view u+1 (the TC of u leads there), a sibling of u-2 on u-2's parent.
  Block fork;
  fork.height = base_.height;
  fork.round = view_ + 1;
  fork.parent_id = base_.parent_id;
  fork.proposer = attacker_;
  fork.payload = base_.payload;
  fork.payload.push_back(0x5A);
  fork.justify = base_.justify;
  fork_id_ = fork.id();
  out.push_back(propose(std::move(fork), std::move(tc)));
  stage_ = Stage::kAwaitingForkVotes;
}

void LockAttack::on_fork_vote(const SignedVote& vote, std::vector<Send>& out) {
  if (vote.data.kind != VoteKind::kHotStuff || vote.data.block_id != fork_id_) return;
  if (fork_votes_.count(core::hash(core::Domain::ConsensusVote, core::encode(vote.data))) == 0) {
    (void)fork_votes_.add(sign(vote.data), quorum_);
  }
  auto qc = fork_votes_.add(vote, quorum_);
  if (!qc) return;
  Block next;
  next.height = qc->data.height + 1;
  next.round = view_ + 2;
  next.parent_id = fork_id_;
  next.proposer = attacker_;
  next.payload = base_.payload;
  next.payload.push_back(0xA5);
  next.justify = std::move(*qc);
  out.push_back(propose(std::move(next), std::nullopt));
  voted_through_ = view_ + 1;
  stage_ = Stage::kFollowing;
}

// Votes (signed like the honest ones) for every later block on the fork, to where the honest
// validator sent its own.
void LockAttack::follow(std::optional<ValidatorIndex> to, const SignedVote& vote, std::vector<Send>& out) {
  if (vote.data.kind != VoteKind::kHotStuff || vote.data.round <= voted_through_) return;
  voted_through_ = vote.data.round;
  out.push_back(Send{std::make_shared<const core::Bytes>(hotstuff::encode_message(hotstuff::Vote{sign(vote.data)})), to});
}

SignedVote LockAttack::sign(const VoteData& data) const {
  return SignedVote{data, VoteSignature{attacker_, key_->sign_digest(data.signing_digest(chain_id_))}};
}

LockAttack::Send LockAttack::propose(Block block, std::optional<QuorumCert> tc) const {
  Proposal p;
  const core::Hash32 id = block.id();
  p.block = std::move(block);
  p.tc = std::move(tc);
  p.signature = VoteSignature{attacker_, key_->sign_digest(Proposal::signing_digest(chain_id_, id))};
  return Send{std::make_shared<const core::Bytes>(hotstuff::encode_message(p)), std::nullopt};
}

bool LockAttack::delivers(ValidatorIndex from, ValidatorIndex to, const core::Bytes* bytes) const {
  if (!running()) return true;
  if (from == victim_) return false;
  const bool vote_on_u = [&] {
    if (!bytes) return false;
    auto m = hotstuff::decode_message(*bytes);
    if (!m.ok()) return false;
    const auto* v = std::get_if<hotstuff::Vote>(&*m);
    return v && v->vote.data.round == view_;
  }();
  return to == victim_ ? vote_on_u : !vote_on_u;
}

std::string LockAttack::describe() const {
  static const char* stages[] = {"watching", "waiting for timeouts", "waiting for votes on the fork", "following the fork",
                                 "over"};
  return "lock attack by " + std::to_string(attacker_) + " on view " + std::to_string(view_) + " (victim " +
         std::to_string(victim_) + "): " + stages[static_cast<int>(stage_)];
}

}  // namespace metanode::consensus::sim
