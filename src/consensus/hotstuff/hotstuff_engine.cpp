#include "consensus/hotstuff/hotstuff_engine.hpp"
#include "consensus/sync.hpp"

#include <algorithm>
#include <cassert>
#include <deque>

namespace metanode::consensus::hotstuff {
namespace {
using core::ErrorCode;
using core::make_error;

// The unsigned QC of an epoch's root block (the genesis block in the first epoch).
QuorumCert root_qc(std::uint64_t height, const core::Hash32& root_id) {
  QuorumCert qc;
  qc.data = VoteData{VoteKind::kHotStuff, height, 0, root_id, std::nullopt};
  return qc;
}
}  // namespace

HotStuffEngine::HotStuffEngine(EngineConfig config)
    : cfg_(std::move(config)),
      reputation_(cfg_.validators.size(), LeaderReputation::window_for(cfg_.validators.size()), kReputationLagViews,
                  kReputationStallViewsPerValidator * cfg_.validators.size()),
      pacemaker_(&cfg_.validators, cfg_.timers) {
  assert(cfg_.key && cfg_.verifier && cfg_.validators.contains(cfg_.self));
}

void HotStuffEngine::remember_committed(const Block& b) {
  static const std::vector<VoteSignature> kNone;
  // Views between the justify QC's and this block's ended in timeouts: their leaders failed
  // (bounded: a long outage names each validator at most a few times).
  std::vector<std::pair<std::uint64_t, ValidatorIndex>> failed;
  const std::uint64_t justify_view = b.justify ? b.justify->data.round : b.round;
  const std::uint64_t first = std::max(justify_view + 1, b.round > 4 * cfg_.validators.size() ? b.round - 4 * cfg_.validators.size() : 0);
  for (std::uint64_t v = first; v < b.round; ++v) failed.emplace_back(v, leader(v));
  reputation_.on_committed(b.round, b.proposer, justify_view, b.justify ? b.justify->signatures : kNone, failed);
}

std::uint64_t HotStuffEngine::view_after_tc(const QuorumCert& tc) const {
  const std::uint64_t t = tc.data.round;
  const std::uint64_t next_slot = (t / kViewsPerLeader + 1) * kViewsPerLeader;
  for (std::uint64_t k = 0; k < cfg_.validators.size(); ++k) {
    const std::uint64_t view = next_slot + k * kViewsPerLeader;
    const ValidatorIndex who = leader(view);
    const bool took_part = std::any_of(tc.signatures.begin(), tc.signatures.end(),
                                       [who](const VoteSignature& s) { return s.signer == who; });
    if (took_part) return view;
  }
  return next_slot;
}

void HotStuffEngine::start(const EngineStart& start, Actions& out) {
  now_ms_ = start.now_ms;
  const bool at_root = start.epoch_root || start.committed.height == 0;
  if (!start.epoch_root) {
    for (const Block& b : start.history) remember_committed(b);
    if (start.committed.height > 0) remember_committed(start.committed);
  }
  root_id_ = start.committed.id();
  root_height_ = start.committed.height;
  root_round_ = at_root ? 0 : start.committed.round;
  epoch_root_qc_ = at_root ? root_qc(root_height_, root_id_)
                           : root_qc(0, genesis_block(cfg_.chain_id).id());
  blocks_[root_id_] = start.committed;
  if (at_root) {
    // An epoch's root stands as genesis does: its certificate and view are the previous epoch's
    // (another set, another chain id), so neither may feed this epoch's lock or commit rule.
    blocks_[root_id_].justify.reset();
    blocks_[root_id_].round = 0;
  }
  connected_.insert(root_id_);
  high_qc_ = (!at_root && start.committed_cert) ? *start.committed_cert : epoch_root_qc_;
  if (start.persisted) {
    auto restored = core::decode<SafetyState>(*start.persisted);
    if (restored.ok()) safety_ = SafetyRules(*restored);
    const auto& saved = safety_.state().high_qc;
    if (saved && saved->data.round > high_qc_.data.round && check_qc(*saved).ok()) high_qc_ = *saved;
  }
  std::optional<QuorumCert> saved_tc = safety_.state().high_tc;
  for (const Block& b : start.stored_blocks) {
    const core::Hash32 id = b.id();
    if (b.height <= root_height_ || blocks_.contains(id) || !check_block(b).ok()) continue;
    blocks_.emplace(id, b);
    children_[b.parent_id].push_back(id);
  }
  recompute_connected();
  enter_view(high_qc_.data.round + 1, /*after_qc=*/true, out);
  // Back to the furthest view a certificate led to before the restart, holding that certificate
  // (so this validator can bring others there too).
  const VoteData timeout_shape{VoteKind::kTimeout, 0, saved_tc ? saved_tc->data.round : 0, core::Hash32{}, std::nullopt};
  if (saved_tc && saved_tc->data == timeout_shape &&
      verify_quorum_cert(*saved_tc, cfg_.validators, cfg_.chain_id, *cfg_.verifier).ok()) {
    process_tc(*saved_tc, out);
  }
}

core::Status HotStuffEngine::on_message(ValidatorIndex from, core::ByteView bytes, std::uint64_t now_ms, Actions& out) {
  now_ms_ = std::max(now_ms_, now_ms);
  return dispatch(from, bytes, out);
}

core::Status HotStuffEngine::dispatch(ValidatorIndex from, core::ByteView bytes, Actions& out) {
  if (!cfg_.validators.contains(from)) {
    return make_error(ErrorCode::kConsensusUnknownSigner, "message from unknown validator " + std::to_string(from));
  }
  MN_TRY_ASSIGN(Message message, decode_message(bytes));
  if (auto* m = std::get_if<Proposal>(&message)) return on_proposal(from, std::move(*m), out);
  if (auto* m = std::get_if<Vote>(&message)) return on_vote(m->vote, out);
  if (auto* m = std::get_if<Timeout>(&message)) return on_timeout(from, *m, out);
  if (auto* m = std::get_if<ViewSync>(&message)) return on_view_sync(*m, out);
  if (auto* m = std::get_if<BlockRequest>(&message)) {
    on_block_request(from, m->block_id, out);
    return {};
  }
  return on_block_response(from, std::move(std::get<BlockResponse>(message).block), out);
}

core::Status HotStuffEngine::check_qc(const QuorumCert& qc) const {
  if (qc.is_genesis()) {
    if (qc.data != epoch_root_qc_.data) {
      return make_error(ErrorCode::kConsensusBadCertificate, "certificate without signatures is not the epoch root's QC");
    }
    return {};
  }
  if (qc.data.kind != VoteKind::kHotStuff) return make_error(ErrorCode::kConsensusBadCertificate, "QC of another vote kind");
  return verify_quorum_cert(qc, cfg_.validators, cfg_.chain_id, *cfg_.verifier);
}

core::Status HotStuffEngine::check_block(const Block& b) const {
  if (!b.justify) return make_error(ErrorCode::kConsensusInvalidMessage, "block without a justify QC");
  const QuorumCert& qc = *b.justify;
  if (b.parent_id != qc.data.block_id || b.height != qc.data.height + 1 || b.round <= qc.data.round) {
    return make_error(ErrorCode::kConsensusInvalidMessage, "block does not extend the block its QC certifies");
  }
  return check_qc(qc);
}

core::Status HotStuffEngine::on_proposal(ValidatorIndex from, Proposal p, Actions& out) {
  const Block& b = p.block;
  if (p.signature.signer != from) {
    return make_error(ErrorCode::kConsensusNotLeader, "proposal for view " + std::to_string(b.round) + " signed by another validator");
  }
  if (from != leader(b.round)) {
    // Not the leader this validator elects: it may be the one the others elect, if this one's
    // committed history is behind theirs. Its justify QC is a certificate whoever carries it, so
    // take it (it moves the commits, and so the history, forward) before refusing the proposal.
    if (check_block(b).ok()) process_qc(*b.justify, out);
    return make_error(ErrorCode::kConsensusNotLeader, "proposal for view " + std::to_string(b.round) + " not from its leader");
  }
  core::Bytes preimage = b.id_preimage();
  const core::Hash32 id = crypto::consensus_block_id(preimage);
  if (!cfg_.verifier->verify(cfg_.validators.key(from), Proposal::signing_digest(cfg_.chain_id, id), p.signature.signature)) {
    return make_error(ErrorCode::kBadSignature, "proposal signature does not verify");
  }
  // A leader signs one block per view: a second one is evidence, however the rest of it checks.
  if (b.round + 1 >= pacemaker_.view()) {
    crypto::SignedProposal signed_proposal{b.height, b.round, id, std::move(preimage), p.signature.signature};
    const auto [first, fresh] = proposals_seen_.emplace(std::pair{b.round, from}, signed_proposal);
    if (!fresh && first->second.block_id != id) {
      out.push_back(ProposalEquivocationSeen{from, crypto::ProposalForm::kHotStuff, first->second, std::move(signed_proposal)});
    }
  }
  MN_TRY(check_block(b));
  if (b.justify->data.round + 1 != b.round) {
    // The leader skipped views: only a timeout certificate of the view that leads here allows that.
    const bool tc_leads_here = p.tc && view_after_tc(*p.tc) == b.round;
    const VoteData expected{VoteKind::kTimeout, 0, p.tc ? p.tc->data.round : 0, core::Hash32{}, std::nullopt};
    if (!tc_leads_here || p.tc->data != expected) {
      return make_error(ErrorCode::kConsensusInvalidMessage, "proposal skips views without a timeout certificate");
    }
    MN_TRY(verify_quorum_cert(*p.tc, cfg_.validators, cfg_.chain_id, *cfg_.verifier));
  }
  process_qc(*b.justify, out);
  if (p.tc) process_tc(*p.tc, out);
  if (b.height <= root_height_) return {};
  insert_block(id, std::move(p.block), out);
  if (connected_.contains(id)) {
    proposal_ready(id, out);
    return {};
  }
  if (pending_proposals_.size() < kPendingProposalsMax) pending_proposals_.emplace(id, from);
  const Block& stored = blocks_.at(id);
  request_missing_ancestor(from, id, out);
  if (stored.height > root_height_ + kSyncGap) need_sync(from, stored.height, out);
  return {};
}

// A proposal whose ancestry we hold: apply the lock rule, then validate and vote.
void HotStuffEngine::proposal_ready(const core::Hash32& id, Actions& out) {
  const Block& b = blocks_.at(id);
  const auto parent = blocks_.find(b.parent_id);
  if (parent != blocks_.end()) safety_.update_lock(parent->second);
  if (b.round != pacemaker_.view()) return;
  if (!verdicts_.contains(id)) {
    if (validation_requested_.insert(id).second) {
      out.push_back(ValidatePayload{b.height, id, b.parent_id, std::make_shared<const core::Bytes>(b.payload)});
    }
    return;
  }
  try_vote(id, out);
}

void HotStuffEngine::on_payload_verdict(const core::Hash32& block_id, bool valid, std::uint64_t now_ms, Actions& out) {
  now_ms_ = std::max(now_ms_, now_ms);
  if (!blocks_.contains(block_id)) return;
  verdicts_[block_id] = valid;
  if (connected_.contains(block_id)) try_vote(block_id, out);
}

void HotStuffEngine::try_vote(const core::Hash32& id, Actions& out) {
  const Block& b = blocks_.at(id);
  const auto verdict = verdicts_.find(id);
  if (verdict == verdicts_.end() || !verdict->second || b.round != pacemaker_.view()) return;
  if (!safety_.safe_to_vote(b, extends_lock(id), cfg_.unsafe.ignore_lock)) return;
  const auto parent = blocks_.find(b.parent_id);
  std::optional<CommitTarget> target;
  if (parent != blocks_.end()) target = SafetyRules::commit_target(b, parent->second);
  out.push_back(StoreBlock{b, id});
  safety_.record_vote(b.round);
  safety_.record_high_qc(high_qc_);
  persist(out);
  SignedVote vote;
  vote.data = VoteData{VoteKind::kHotStuff, b.height, b.round, id, target};
  vote.signature = VoteSignature{cfg_.self, cfg_.key->sign_digest(vote.data.signing_digest(cfg_.chain_id))};
  const ValidatorIndex next = leader(b.round + 1);
  if (next != leader(b.round)) {
    // Hand-over: votes for a view whose successor has another leader go to every validator, and
    // every validator forms the QC and enters the next view on it. If that next leader is down,
    // only its own view times out (and its TC skips the leader's second view): one timer per
    // dead leader. Sent only to the next leader, the votes would die with it, the handing-over
    // view would time out too, and a crashed validator would cost two timers. Safety does not
    // care who forms a QC. Cost: n signature checks per validator for every second view.
    broadcast(Vote{vote}, out);
    (void)on_vote(vote, out);
  } else if (next == cfg_.self) {
    (void)on_vote(vote, out);
  } else {
    send(next, Vote{vote}, out);
  }
}

bool HotStuffEngine::extends_lock(const core::Hash32& id) const {
  const SafetyState& s = safety_.state();
  if (s.locked_view == 0) return true;
  core::Hash32 cur = id;
  for (auto it = blocks_.find(cur); it != blocks_.end(); it = blocks_.find(cur)) {
    if (cur == s.locked_block_id) return true;
    if (it->second.round <= s.locked_view || cur == root_id_) break;
    cur = it->second.parent_id;
  }
  // The walk reached the committed root: a lock at or below it is on the committed chain.
  return cur == root_id_ && s.locked_view <= root_round_;
}

core::Status HotStuffEngine::on_vote(const SignedVote& vote, Actions& out) {
  if (vote.data.kind != VoteKind::kHotStuff) return make_error(ErrorCode::kConsensusInvalidMessage, "not a vote");
  const std::uint64_t round = vote.data.round;
  if (round + 1 < pacemaker_.view()) return {};
  // Ours to collect as the next leader, or a hand-over vote (see try_vote).
  const ValidatorIndex next = leader(round + 1);
  if (next != cfg_.self && next == leader(round)) return {};
  MN_TRY(verify_vote(vote, cfg_.validators, cfg_.chain_id, *cfg_.verifier));
  if (auto earlier = votes_[vote.data.round].conflicting(vote)) out.push_back(EquivocationSeen{*earlier, vote});
  auto qc = votes_[vote.data.round].add(vote, cfg_.validators.quorum());
  if (qc) process_qc(*qc, out);
  return {};
}

void HotStuffEngine::process_qc(const QuorumCert& qc, Actions& out) {
  if (qc.data.round > high_qc_.data.round) high_qc_ = qc;
  if (qc.data.commit && qc.data.commit->height > root_height_ &&
      (!pending_commit_ || qc.data.commit->height > pending_commit_->data.commit->height)) {
    pending_commit_ = qc;
    try_commit(out);
  }
  enter_view(qc.data.round + 1, /*after_qc=*/true, out);
}

void HotStuffEngine::process_tc(const QuorumCert& tc, Actions& out) {
  const std::uint64_t view = view_after_tc(tc);
  // Of two TCs, keep the one that leads further (two of one view may differ in their signers).
  if (!last_tc_ || view > view_after_tc(*last_tc_)) {
    last_tc_ = tc;
    // Kept across a restart (see SafetyState::high_tc), written before the view is entered.
    if (view > pacemaker_.view()) {
      safety_.record_high_tc(tc);
      persist(out);
    }
  }
  enter_view(view, /*after_qc=*/false, out);
}

// A TC this validator formed itself goes to every validator: others may have formed one of the
// same view with other signers, which leads to another view; all move on to the furthest, and its
// leader (who signed it) holds a TC that lets it propose there.
void HotStuffEngine::tc_formed(const QuorumCert& tc, Actions& out) {
  broadcast(ViewSync{high_qc_, tc}, out);
  process_tc(tc, out);
}

void HotStuffEngine::enter_view(std::uint64_t view, bool after_qc, Actions& out) {
  if (!pacemaker_.advance(view, after_qc, now_ms_)) return;
  awaiting_payload_ = false;
  votes_.erase(votes_.begin(), votes_.lower_bound(view > 1 ? view - 1 : 0));
  proposals_seen_.erase(proposals_seen_.begin(), proposals_seen_.lower_bound(std::pair<std::uint64_t, ValidatorIndex>{view > 1 ? view - 1 : 0, 0}));
  out.push_back(SetTimer{pacemaker_.deadline_ms()});
  propose_if_leader(out);
  // A proposal for this view may have arrived before we got here.
  for (const auto& [id, block] : blocks_) {
    if (block.round == view && connected_.contains(id)) {
      proposal_ready(id, out);
      break;
    }
  }
}

void HotStuffEngine::propose_if_leader(Actions& out) {
  const std::uint64_t view = pacemaker_.view();
  if (leader(view) != cfg_.self || !safety_.may_propose(view) || awaiting_payload_) return;
  const bool justified = high_qc_.data.round + 1 == view || (last_tc_ && view_after_tc(*last_tc_) == view);
  if (!justified) return;
  awaiting_payload_ = true;
  out.push_back(RequestPayload{high_qc_.data.height + 1, high_qc_.data.block_id});
}

void HotStuffEngine::on_payload(std::uint64_t height, core::Bytes payload, std::uint64_t now_ms, Actions& out) {
  now_ms_ = std::max(now_ms_, now_ms);
  const std::uint64_t view = pacemaker_.view();
  if (!awaiting_payload_ || height != high_qc_.data.height + 1 || leader(view) != cfg_.self || !safety_.may_propose(view)) return;
  awaiting_payload_ = false;
  Proposal p;
  p.block.height = height;
  p.block.round = view;
  p.block.parent_id = high_qc_.data.block_id;
  p.block.proposer = cfg_.self;
  p.block.payload = std::move(payload);
  p.block.justify = high_qc_;
  if (high_qc_.data.round + 1 != view) p.tc = last_tc_;
  const core::Hash32 id = p.block.id();
  p.signature = VoteSignature{cfg_.self, cfg_.key->sign_digest(Proposal::signing_digest(cfg_.chain_id, id))};
  out.push_back(StoreBlock{p.block, id});
  safety_.record_proposal(view);
  safety_.record_high_qc(high_qc_);
  persist(out);
  broadcast(p, out);
  (void)on_proposal(cfg_.self, std::move(p), out);
}

void HotStuffEngine::insert_block(const core::Hash32& id, Block block, Actions& out) {
  if (blocks_.contains(id) || blocks_.size() >= kBlocksMax) return;
  const core::Hash32 parent = block.parent_id;
  blocks_.emplace(id, std::move(block));
  children_[parent].push_back(id);
  if (!connected_.contains(parent)) return;
  // Newly connected: this block and any descendants that were waiting for it.
  std::deque<core::Hash32> queue{id};
  std::vector<core::Hash32> ready;
  while (!queue.empty()) {
    const core::Hash32 cur = queue.front();
    queue.pop_front();
    if (!connected_.insert(cur).second) continue;
    if (pending_proposals_.erase(cur)) ready.push_back(cur);
    if (auto kids = children_.find(cur); kids != children_.end()) {
      for (const auto& kid : kids->second) queue.push_back(kid);
    }
  }
  try_commit(out);
  for (const auto& r : ready) {
    if (blocks_.contains(r)) proposal_ready(r, out);
  }
}

void HotStuffEngine::recompute_connected() {
  connected_.clear();
  std::deque<core::Hash32> queue{root_id_};
  while (!queue.empty()) {
    const core::Hash32 cur = queue.front();
    queue.pop_front();
    if (!connected_.insert(cur).second) continue;
    if (auto kids = children_.find(cur); kids != children_.end()) {
      for (const auto& kid : kids->second) {
        if (blocks_.contains(kid)) queue.push_back(kid);
      }
    }
  }
}

// Commit everything from the root up to the target of the highest commit certificate we hold.
void HotStuffEngine::try_commit(Actions& out) {
  if (!pending_commit_) return;
  const CommitTarget target = *pending_commit_->data.commit;
  if (target.height <= root_height_) {
    pending_commit_.reset();
    return;
  }
  std::vector<core::Hash32> path;
  core::Hash32 cur = target.block_id;
  while (cur != root_id_) {
    const auto it = blocks_.find(cur);
    if (it == blocks_.end()) {
      const ValidatorIndex peer = pending_commit_->signatures.front().signer == cfg_.self && pending_commit_->signatures.size() > 1
                                      ? pending_commit_->signatures[1].signer
                                      : pending_commit_->signatures.front().signer;
      if (peer != cfg_.self) {
        request_block(peer, cur, out);
        if (target.height > root_height_ + kSyncGap) need_sync(peer, target.height, out);
      }
      return;
    }
    // A certified commit that does not descend from our root would be a fork: refuse it.
    if (it->second.height <= root_height_) {
      pending_commit_.reset();
      return;
    }
    path.push_back(cur);
    cur = it->second.parent_id;
  }
  std::reverse(path.begin(), path.end());
  const QuorumCert cert = *pending_commit_;
  pending_commit_.reset();
  for (const auto& id : path) {
    remember_committed(blocks_.at(id));
    out.push_back(CommitBlock{blocks_.at(id), id, cert, {}});
  }
  const Block& last = blocks_.at(path.back());
  root_id_ = path.back();
  root_height_ = last.height;
  root_round_ = last.round;
  // Prune what peers will no longer ask for.
  for (auto it = blocks_.begin(); it != blocks_.end();) {
    if (it->second.height + kCommittedKept < root_height_) {
      children_.erase(it->first);
      verdicts_.erase(it->first);
      validation_requested_.erase(it->first);
      it = blocks_.erase(it);
    } else {
      ++it;
    }
  }
  recompute_connected();
}

void HotStuffEngine::on_tick(std::uint64_t now_ms, Actions& out) {
  now_ms_ = std::max(now_ms_, now_ms);
  if (!pacemaker_.expired(now_ms_)) return;
  pacemaker_.rearm(now_ms_);
  send_timeout(out);
  out.push_back(SetTimer{pacemaker_.deadline_ms()});
}

void HotStuffEngine::send_timeout(Actions& out) {
  const std::uint64_t view = pacemaker_.view();
  timed_out_view_ = view;
  SignedVote vote;
  vote.data = VoteData{VoteKind::kTimeout, 0, view, core::Hash32{}, std::nullopt};
  vote.signature = VoteSignature{cfg_.self, cfg_.key->sign_digest(vote.data.signing_digest(cfg_.chain_id))};
  broadcast(Timeout{vote, high_qc_}, out);
  if (auto tc = pacemaker_.add_timeout(vote)) tc_formed(*tc, out);
}

core::Status HotStuffEngine::on_view_sync(const ViewSync& v, Actions& out) {
  MN_TRY(check_qc(v.high_qc));
  if (v.tc) {
    if (v.tc->data.kind != VoteKind::kTimeout || v.tc->data.height != 0 || v.tc->data.block_id != core::Hash32{} ||
        v.tc->data.commit) {
      return make_error(ErrorCode::kConsensusInvalidMessage, "malformed timeout certificate");
    }
    MN_TRY(verify_quorum_cert(*v.tc, cfg_.validators, cfg_.chain_id, *cfg_.verifier));
  }
  process_qc(v.high_qc, out);
  if (v.tc) process_tc(*v.tc, out);
  return {};
}

core::Status HotStuffEngine::on_timeout(ValidatorIndex from, const Timeout& t, Actions& out) {
  const VoteData& d = t.vote.data;
  if (d.kind != VoteKind::kTimeout || d.height != 0 || d.block_id != core::Hash32{} || d.commit) {
    return make_error(ErrorCode::kConsensusInvalidMessage, "malformed timeout");
  }
  MN_TRY(check_qc(t.high_qc));
  MN_TRY(verify_vote(t.vote, cfg_.validators, cfg_.chain_id, *cfg_.verifier));
  // The sender is stuck in a view we left: hand it what moved us on.
  if (d.round < pacemaker_.view() && from != cfg_.self) {
    const bool qc_helps = high_qc_.data.round >= d.round;
    // (A TC of a leader's first view leads two views on: it helps one that is still in the second.)
    const bool tc_helps = last_tc_ && view_after_tc(*last_tc_) > d.round;
    if (qc_helps || tc_helps) send(from, ViewSync{high_qc_, tc_helps ? last_tc_ : std::nullopt}, out);
  }
  process_qc(t.high_qc, out);
  if (auto tc = pacemaker_.add_timeout(t.vote)) tc_formed(*tc, out);
  // f+1 validators gave up on a view at or past ours: join them rather than wait.
  if (auto join = pacemaker_.view_to_join(); join && *join > timed_out_view_) {
    enter_view(*join, /*after_qc=*/false, out);
    if (pacemaker_.view() == *join) send_timeout(out);
  }
  return {};
}

void HotStuffEngine::request_block(ValidatorIndex from, const core::Hash32& id, Actions& out) {
  if (from == cfg_.self || blocks_.contains(id)) return;
  if (requested_.size() > 1024) requested_.clear();
  // Ask again only after a timer's worth of silence: the request or its answer may be lost.
  const auto [it, fresh] = requested_.emplace(id, now_ms_);
  if (!fresh && now_ms_ < it->second + cfg_.timers.base_ms) return;
  it->second = now_ms_;
  send(from, BlockRequest{id}, out);
}

void HotStuffEngine::request_missing_ancestor(ValidatorIndex from, const core::Hash32& id, Actions& out) {
  core::Hash32 cur = id;
  for (std::size_t steps = 0; steps < kBlocksMax; ++steps) {
    const auto it = blocks_.find(cur);
    if (it == blocks_.end()) {
      request_block(from, cur, out);
      return;
    }
    if (connected_.contains(cur) || it->second.height <= root_height_) return;
    cur = it->second.parent_id;
  }
}

void HotStuffEngine::need_sync(ValidatorIndex peer, std::uint64_t height, Actions& out) {
  if (peer == cfg_.self) return;
  if (height <= sync_requested_height_ && now_ms_ < sync_requested_ms_ + cfg_.timers.base_ms) return;
  sync_requested_height_ = std::max(sync_requested_height_, height);
  sync_requested_ms_ = now_ms_;
  out.push_back(SyncNeeded{peer, height});
}

void HotStuffEngine::on_block_request(ValidatorIndex from, const core::Hash32& id, Actions& out) {
  const auto it = blocks_.find(id);
  if (it != blocks_.end() && from != cfg_.self) send(from, BlockResponse{it->second}, out);
}

core::Status HotStuffEngine::on_block_response(ValidatorIndex from, Block block, Actions& out) {
  const core::Hash32 id = block.id();
  if (requested_.erase(id) == 0) return {};  // unsolicited
  if (block.height <= root_height_) return {};
  MN_TRY(check_block(block));
  const core::Hash32 parent = block.parent_id;
  process_qc(*block.justify, out);
  insert_block(id, std::move(block), out);
  if (!connected_.contains(parent)) request_missing_ancestor(from, id, out);
  return {};
}

core::Status HotStuffEngine::on_synced_blocks(const std::vector<Block>& blocks, const QuorumCert& cert, std::uint64_t now_ms,
                                        Actions& out) {
  now_ms_ = std::max(now_ms_, now_ms);
  MN_TRY_ASSIGN(const auto ids, check_sync_run(blocks, cert, root_height_, root_id_, cfg_.validators, cfg_.chain_id, *cfg_.verifier));
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    remember_committed(blocks[i]);
    out.push_back(CommitBlock{blocks[i], ids[i], cert, {}});
    if (!blocks_.contains(ids[i])) {
      blocks_.emplace(ids[i], blocks[i]);
      children_[blocks[i].parent_id].push_back(ids[i]);
    }
  }
  root_id_ = ids.back();
  root_height_ = blocks.back().height;
  root_round_ = blocks.back().round;
  if (pending_commit_ && pending_commit_->data.commit->height <= root_height_) pending_commit_.reset();
  recompute_connected();
  std::vector<core::Hash32> ready;
  for (auto it = pending_proposals_.begin(); it != pending_proposals_.end();) {
    if (connected_.contains(it->first)) {
      ready.push_back(it->first);
      it = pending_proposals_.erase(it);
    } else {
      ++it;
    }
  }
  if (cert.data.kind == VoteKind::kHotStuff) process_qc(cert, out);
  try_commit(out);
  for (const auto& id : ready) {
    if (blocks_.contains(id)) proposal_ready(id, out);
  }
  return {};
}

EngineStatus HotStuffEngine::status() const {
  return EngineStatus{root_height_, high_qc_.data.height + 1, pacemaker_.view(), pacemaker_.views_timed_out()};
}

void HotStuffEngine::persist(Actions& out) { out.push_back(PersistState{core::encode(safety_.state())}); }

void HotStuffEngine::send(ValidatorIndex to, const Message& m, Actions& out) {
  out.push_back(SendTo{to, std::make_shared<const core::Bytes>(encode_message(m))});
}

void HotStuffEngine::broadcast(const Message& m, Actions& out) {
  out.push_back(Broadcast{std::make_shared<const core::Bytes>(encode_message(m))});
}

}  // namespace metanode::consensus::hotstuff
