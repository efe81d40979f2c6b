#include "consensus/hotstuff/safety.hpp"

namespace metanode::consensus::hotstuff {

void SafetyState::encode(core::Writer& w) const {
  w.u64(last_voted_view);
  w.u64(locked_view);
  w.array(locked_block_id);
  w.u64(last_proposed_view);
  w.boolean(high_qc.has_value());
  if (high_qc) high_qc->encode(w);
  w.boolean(high_tc.has_value());
  if (high_tc) high_tc->encode(w);
}

core::Result<SafetyState> SafetyState::decode(core::Reader& r) {
  SafetyState s;
  MN_TRY_ASSIGN(s.last_voted_view, r.u64());
  MN_TRY_ASSIGN(s.locked_view, r.u64());
  MN_TRY_ASSIGN(s.locked_block_id, r.array<32>());
  MN_TRY_ASSIGN(s.last_proposed_view, r.u64());
  MN_TRY_ASSIGN(bool has_qc, r.boolean());
  if (has_qc) {
    MN_TRY_ASSIGN(auto qc, QuorumCert::decode(r));
    s.high_qc = std::move(qc);
  }
  MN_TRY_ASSIGN(bool has_tc, r.boolean());
  if (has_tc) {
    MN_TRY_ASSIGN(auto tc, QuorumCert::decode(r));
    s.high_tc = std::move(tc);
  }
  return s;
}

void SafetyRules::record_high_qc(const QuorumCert& qc) {
  if (!state_.high_qc || qc.data.round > state_.high_qc->data.round) state_.high_qc = qc;
}

bool SafetyRules::safe_to_vote(const Block& proposal, bool extends_lock, bool ignore_lock_for_testing) const {
  if (proposal.round <= state_.last_voted_view) return false;
  if (ignore_lock_for_testing) return true;
  // Safety: b* extends the locked block. Liveness: its QC is newer than the lock, so a quorum
  // moved past whatever we locked on.
  const std::uint64_t justify_view = proposal.justify ? proposal.justify->data.round : 0;
  return extends_lock || justify_view > state_.locked_view;
}

bool SafetyRules::update_lock(const Block& parent) {
  if (!parent.justify) return false;  // genesis: nothing to lock
  const QuorumCert& qc = *parent.justify;
  if (qc.data.round <= state_.locked_view) return false;
  state_.locked_view = qc.data.round;
  state_.locked_block_id = qc.data.block_id;
  return true;
}

std::optional<CommitTarget> SafetyRules::commit_target(const Block& block, const Block& parent) {
  // block = b'', parent = b', parent.justify.node = b. A QC on b'' makes b'' <- b' <- b a
  // three-chain; it commits b when all three views are consecutive.
  if (!parent.justify || parent.justify->is_genesis()) return std::nullopt;
  if (block.round != parent.round + 1) return std::nullopt;
  if (parent.round != parent.justify->data.round + 1) return std::nullopt;
  return CommitTarget{parent.justify->data.height, parent.justify->data.block_id};
}

}  // namespace metanode::consensus::hotstuff
