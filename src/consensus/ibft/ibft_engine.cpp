#include "consensus/ibft/ibft_engine.hpp"
#include "consensus/sync.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

namespace metanode::consensus::ibft {
namespace {
using core::ErrorCode;
using core::make_error;

std::uint64_t message_height(const Message& m) {
  return std::visit(
      [](const auto& x) -> std::uint64_t {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Prepare> || std::is_same_v<T, Commit>) {
          return x.vote.data.height;
        } else {
          return x.height;
        }
      },
      m);
}
}  // namespace

void SafetyState::encode(core::Writer& w) const {
  w.u64(height);
  w.u64(round);
  encode_claim(w, sent_proposal);
  encode_claim(w, sent_prepare);
  encode_claim(w, sent_commit);
  w.boolean(prepared_qc.has_value());
  if (prepared_qc) prepared_qc->encode(w);
  w.boolean(prepared_block.has_value());
  if (prepared_block) prepared_block->encode(w);
}

core::Result<SafetyState> SafetyState::decode(core::Reader& r) {
  SafetyState s;
  MN_TRY_ASSIGN(s.height, r.u64());
  MN_TRY_ASSIGN(s.round, r.u64());
  MN_TRY_ASSIGN(s.sent_proposal, decode_claim(r));
  MN_TRY_ASSIGN(s.sent_prepare, decode_claim(r));
  MN_TRY_ASSIGN(s.sent_commit, decode_claim(r));
  MN_TRY_ASSIGN(bool has_qc, r.boolean());
  if (has_qc) {
    MN_TRY_ASSIGN(auto qc, QuorumCert::decode(r));
    s.prepared_qc = std::move(qc);
  }
  MN_TRY_ASSIGN(bool has_block, r.boolean());
  if (has_block) {
    MN_TRY_ASSIGN(auto b, Block::decode(r));
    s.prepared_block = std::move(b);
  }
  return s;
}

IbftEngine::IbftEngine(EngineConfig config)
    : cfg_(std::move(config)),
      // No lag (a validator deciding height h has committed every block below it) and no stall
      // fallback (for the same reason no two validators deciding one height see different
      // histories).
      reputation_(cfg_.validators.size(), LeaderReputation::window_for(cfg_.validators.size()), 0,
                  std::numeric_limits<std::uint64_t>::max() / 2) {
  assert(cfg_.key && cfg_.verifier && cfg_.validators.contains(cfg_.self));
}

void IbftEngine::remember_committed(const Block& b) {
  static const std::vector<VoteSignature> kNone;
  if (b.height == 0) return;
  // The leaders of the rounds before the block's own failed at its height (bounded: a long
  // outage names each validator a few times at most).
  std::vector<std::pair<std::uint64_t, ValidatorIndex>> failed;
  const std::uint64_t last = std::min<std::uint64_t>(b.round, 4 * cfg_.validators.size());
  for (std::uint64_t r = 0; r < last; ++r) failed.emplace_back(position(b.height, r), leader(b.height, r));
  // The parent's commit seals were signed during the parent's height (after all its rounds).
  const std::uint64_t signed_at = position(b.height - 1, kRoundsPerHeight - 1);
  reputation_.on_committed(position(b.height, b.round), b.proposer, signed_at, b.justify ? b.justify->signatures : kNone,
                           failed);
}

void IbftEngine::start(const EngineStart& start, Actions& out) {
  now_ms_ = start.now_ms;
  if (!start.epoch_root) {
    for (const Block& b : start.history) remember_committed(b);
    remember_committed(start.committed);
  }
  committed_height_ = start.committed.height;
  committed_id_ = start.committed.id();
  committed_cert_ = start.epoch_root ? std::nullopt : start.committed_cert;
  first_height_ = (start.epoch_root || start.committed.height == 0) ? start.committed.height + 1 : 0;
  std::optional<SafetyState> restored;
  if (start.persisted) {
    auto decoded = core::decode<SafetyState>(*start.persisted);
    // Safety state of an older height is moot: that height is decided and we hold its block.
    if (decoded.ok() && decoded->height == committed_height_ + 1) restored = std::move(decoded).value();
  }
  start_height(committed_height_ + 1, std::move(restored), out);
}

void IbftEngine::start_height(std::uint64_t height, std::optional<SafetyState> restored, Actions& out) {
  height_ = height;
  round_ = 0;
  blocks_.clear();
  verdicts_.clear();
  validation_requested_.clear();
  prepares_.clear();
  pre_prepares_.clear();
  commits_.clear();
  round_changes_.clear();
  if (restored) {
    safety_ = std::move(*restored);
    if (safety_.prepared_block) {
      const core::Hash32 id = safety_.prepared_block->id();
      blocks_[id] = *safety_.prepared_block;
      verdicts_[id] = true;
    }
  } else {
    safety_ = SafetyState{};
    safety_.height = height;
  }
  if (!restored) {
    enter_round(0, /*started=*/true, out);
  } else {
    // After a restart the messages of our round are gone: ask to move on, like a timeout would
    // (a ROUND-CHANGE for the round we prepared in would be malformed).
    enter_round(safety_.round + 1, /*started=*/false, out);
    send_round_change(out);
  }
  // Messages that arrived early for this height.
  std::vector<std::pair<ValidatorIndex, core::Bytes>> pending;
  pending.swap(future_);
  for (auto& [from, bytes] : pending) (void)dispatch(from, bytes, out);
}

void IbftEngine::enter_round(std::uint64_t round, bool started, Actions& out) {
  round_ = round;
  safety_.round = round;
  round_started_ms_ = now_ms_;
  round_started_ = started;
  accepted_.reset();
  proposed_ = false;
  awaiting_payload_ = false;
  arm_timer(out);
  propose_if_leader(out);
}

void IbftEngine::mark_started(Actions& out) {
  if (round_started_) return;
  round_started_ = true;
  round_started_ms_ = now_ms_;
  arm_timer(out);
}

// A started round waits the base timer in rounds 0 and 1 and doubles from round 2 on: a round
// whose proposer is down costs one base timer even when the next proposer is down too (a
// doubling from round 1 made two dead proposers in a row cost three base timers). A waiting
// round repeats its ROUND-CHANGE every base period (messages may have been lost).
std::uint64_t IbftEngine::round_period_ms() const {
  if (!round_started_) return cfg_.timers.base_ms;
  return cfg_.timers.timeout_ms(round_ > 1 ? round_ - 1 : 0);
}

void IbftEngine::arm_timer(Actions& out) { out.push_back(SetTimer{round_started_ms_ + round_period_ms()}); }

void IbftEngine::on_tick(std::uint64_t now_ms, Actions& out) {
  now_ms_ = std::max(now_ms_, now_ms);
  const std::uint64_t period = round_period_ms();
  if (now_ms_ < round_started_ms_ + period) return;
  if (!round_started_) {
    round_started_ms_ = now_ms_;
    arm_timer(out);
    send_round_change(out);
    return;
  }
  ++rounds_timed_out_;
  enter_round(round_ + 1, /*started=*/false, out);
  send_round_change(out);
}

core::Status IbftEngine::on_message(ValidatorIndex from, core::ByteView bytes, std::uint64_t now_ms, Actions& out) {
  now_ms_ = std::max(now_ms_, now_ms);
  return dispatch(from, bytes, out);
}

core::Status IbftEngine::dispatch(ValidatorIndex from, core::ByteView bytes, Actions& out) {
  if (!cfg_.validators.contains(from)) {
    return make_error(ErrorCode::kConsensusUnknownSigner, "message from unknown validator " + std::to_string(from));
  }
  MN_TRY_ASSIGN(Message message, decode_message(bytes));
  const std::uint64_t h = message_height(message);
  if (h < height_) return {};  // decided already
  if (h > height_) {
    if (h == height_ + 1 && future_.size() < kFutureMessagesMax) future_.emplace_back(from, core::Bytes(bytes.begin(), bytes.end()));
    // Ask again after a timer's worth of silence: the request or its answer may be lost.
    if (h > sync_requested_height_ || now_ms_ >= sync_requested_ms_ + cfg_.timers.base_ms) {
      sync_requested_height_ = std::max(sync_requested_height_, h);
      sync_requested_ms_ = now_ms_;
      out.push_back(SyncNeeded{from, h});
    }
    return {};
  }
  return handle(from, std::move(message), out);
}

core::Status IbftEngine::handle(ValidatorIndex from, Message message, Actions& out) {
  if (auto* m = std::get_if<PrePrepare>(&message)) return on_pre_prepare(from, std::move(*m), out);
  if (auto* m = std::get_if<Prepare>(&message)) return on_prepare(m->vote, out);
  if (auto* m = std::get_if<Commit>(&message)) return on_commit(m->vote, out);
  return on_round_change(from, std::move(std::get<RoundChange>(message)), out);
}

// upon PRE-PREPARE(height, round, value) from leader(height, round) with JustifyPrePrepare:
// accept it, validate the value, then PREPARE.
core::Status IbftEngine::on_pre_prepare(ValidatorIndex from, PrePrepare m, Actions& out) {
  if (m.round < round_) return {};
  if (m.round > round_ + kRoundsAheadMax) return make_error(ErrorCode::kConsensusInvalidMessage, "pre-prepare round too far ahead");
  const ValidatorIndex leader = this->leader(height_, m.round);
  if (from != leader || m.signature.signer != leader) {
    return make_error(ErrorCode::kConsensusNotLeader, "pre-prepare for round " + std::to_string(m.round) +
                                                          " not from its leader " + std::to_string(leader));
  }
  const core::Hash32 id = m.block.id();
  if (!cfg_.verifier->verify(cfg_.validators.key(leader), m.signing_digest(cfg_.chain_id, id), m.signature.signature)) {
    return make_error(ErrorCode::kBadSignature, "pre-prepare signature does not verify");
  }
  // A leader signs one value per round: a second one is evidence, however the rest of it checks.
  const crypto::SignedProposal signed_proposal{m.height, m.round, id, {}, m.signature.signature};
  const auto [first, fresh] = pre_prepares_.emplace(std::pair{m.round, leader}, signed_proposal);
  if (!fresh && first->second.block_id != id) {
    out.push_back(ProposalEquivocationSeen{leader, crypto::ProposalForm::kIbftPrePrepare, first->second, signed_proposal});
  }
  MN_TRY(check_block(m));
  bool reproposal = false;
  if (m.round > 0) MN_TRY(justify_pre_prepare(m, id, reproposal));
  // A new value names its round and proposer; only a prepared value carried into a later round
  // keeps the ones it was first proposed with.
  if (!reproposal && (m.block.round != m.round || m.block.proposer != from)) {
    return make_error(ErrorCode::kConsensusInvalidMessage, "pre-prepare of a new value that does not name its round and proposer");
  }
  // A justified PRE-PREPARE for a later round proves a quorum moved there: follow.
  if (m.round > round_) enter_round(m.round, /*started=*/true, out);
  mark_started(out);
  if (accepted_) return {};  // the first proposal of a round counts; an equivocating leader gets no second
  accepted_ = id;
  blocks_.emplace(id, std::move(m.block));
  maybe_prepare(out);
  return {};
}

// The block extends our chain and carries the commit certificate of its parent.
core::Status IbftEngine::check_block(const PrePrepare& m) const {
  const Block& b = m.block;
  if (b.height != height_ || b.parent_id != committed_id_ || b.round > m.round) {
    return make_error(ErrorCode::kConsensusInvalidMessage, "pre-prepare block does not extend our chain at height " +
                                                               std::to_string(height_));
  }
  if (height_ == first_height_) {
    if (b.justify) return make_error(ErrorCode::kConsensusInvalidMessage, "the epoch's first block carries a parent certificate");
    return {};
  }
  if (!b.justify) return make_error(ErrorCode::kConsensusBadCertificate, "pre-prepare block lacks its parent's commit certificate");
  return verify_commit_certificate(*b.justify, height_ - 1, committed_id_, cfg_.validators, cfg_.chain_id, *cfg_.verifier);
}

// JustifyPrePrepare: round 0 needs nothing; a later round needs a quorum of ROUND-CHANGEs for
// it, and if any claims a prepared block, the value must be HighestPrepared's, proven by its
// PREPARE quorum.
core::Status IbftEngine::justify_pre_prepare(const PrePrepare& m, const core::Hash32& block_id, bool& reproposal) {
  std::set<ValidatorIndex> signers;
  std::optional<PreparedClaim> highest;
  for (const RoundChange& rc : m.justification) {
    if (rc.height != height_ || rc.round != m.round) {
      return make_error(ErrorCode::kConsensusInvalidMessage, "justification holds a round change for another round");
    }
    MN_TRY(check_round_change(rc, /*with_proof=*/false));
    if (!signers.insert(rc.signature.signer).second) {
      return make_error(ErrorCode::kConsensusInvalidMessage, "justification repeats a signer");
    }
    if (rc.prepared && (!highest || rc.prepared->round > highest->round)) highest = rc.prepared;
  }
  if (signers.size() < cfg_.validators.quorum()) {
    return make_error(ErrorCode::kConsensusInvalidMessage, "pre-prepare for round " + std::to_string(m.round) +
                                                               " lacks a quorum of round changes");
  }
  if (!highest || cfg_.unsafe.ignore_lock) return {};
  if (block_id != highest->block_id) {
    return make_error(ErrorCode::kConsensusInvalidMessage, "pre-prepare proposes another value than the highest prepared");
  }
  const VoteData expected{VoteKind::kPrepare, height_, highest->round, highest->block_id, std::nullopt};
  if (!m.prepared_qc || m.prepared_qc->data != expected) {
    return make_error(ErrorCode::kConsensusBadCertificate, "pre-prepare lacks the prepared certificate of its value");
  }
  MN_TRY(verify_quorum_cert(*m.prepared_qc, cfg_.validators, cfg_.chain_id, *cfg_.verifier));
  reproposal = true;
  return {};
}

core::Status IbftEngine::check_round_change(const RoundChange& m, bool with_proof) {
  if (!cfg_.validators.contains(m.signature.signer)) {
    return make_error(ErrorCode::kConsensusUnknownSigner, "round change from unknown validator");
  }
  if (!cfg_.verifier->verify(cfg_.validators.key(m.signature.signer), m.signing_digest(cfg_.chain_id),
                             m.signature.signature)) {
    return make_error(ErrorCode::kBadSignature, "round change signature does not verify");
  }
  if (!m.prepared) return {};
  if (m.prepared->round >= m.round) {
    return make_error(ErrorCode::kConsensusInvalidMessage, "round change claims a prepared round not below its own");
  }
  if (!with_proof) return {};
  if (!m.prepared_qc || !m.prepared_block) {
    return make_error(ErrorCode::kConsensusInvalidMessage, "round change claims a prepared block without proof");
  }
  const VoteData expected{VoteKind::kPrepare, m.height, m.prepared->round, m.prepared->block_id, std::nullopt};
  if (m.prepared_qc->data != expected || m.prepared_block->id() != m.prepared->block_id) {
    return make_error(ErrorCode::kConsensusBadCertificate, "round change proof does not match its claim");
  }
  if (m.prepared_block->height != height_ || m.prepared_block->parent_id != committed_id_) {
    return make_error(ErrorCode::kConsensusInvalidMessage, "round change block does not extend our chain");
  }
  return verify_quorum_cert(*m.prepared_qc, cfg_.validators, cfg_.chain_id, *cfg_.verifier);
}

core::Status IbftEngine::on_prepare(const SignedVote& vote, Actions& out) {
  if (vote.data.round > round_ + kRoundsAheadMax) return make_error(ErrorCode::kConsensusInvalidMessage, "prepare round too far ahead");
  if (vote.data.commit) return make_error(ErrorCode::kConsensusInvalidMessage, "prepare carries a commit target");
  MN_TRY(verify_vote(vote, cfg_.validators, cfg_.chain_id, *cfg_.verifier));
  const auto [prepare, fresh] = prepares_[vote.data.round].emplace(vote.signature.signer, vote);
  if (!fresh && prepare->second.data != vote.data) out.push_back(EquivocationSeen{prepare->second, vote});
  maybe_commit(vote.data.round, out);
  return {};
}

core::Status IbftEngine::on_commit(const SignedVote& vote, Actions& out) {
  if (vote.data.round > round_ + kRoundsAheadMax) return make_error(ErrorCode::kConsensusInvalidMessage, "commit round too far ahead");
  if (!vote.data.commit || vote.data.commit->height != vote.data.height || vote.data.commit->block_id != vote.data.block_id) {
    return make_error(ErrorCode::kConsensusInvalidMessage, "commit seal does not commit its own block");
  }
  MN_TRY(verify_vote(vote, cfg_.validators, cfg_.chain_id, *cfg_.verifier));
  const auto [seal, fresh] = commits_[vote.data.round].emplace(vote.signature.signer, vote);
  if (!fresh && seal->second.data != vote.data) out.push_back(EquivocationSeen{seal->second, vote});
  maybe_decide(vote.data.round, vote.data.block_id, out);
  return {};
}

core::Status IbftEngine::on_round_change(ValidatorIndex from, RoundChange m, Actions& out) {
  if (m.round > round_ + kRoundsAheadMax) return make_error(ErrorCode::kConsensusInvalidMessage, "round change too far ahead");
  MN_TRY(check_round_change(m, /*with_proof=*/true));
  if (m.round < round_ && from != cfg_.self && m.signature.signer == from &&
      now_ms_ >= helped_ms_[from] + cfg_.timers.base_ms) {
    helped_ms_[from] = now_ms_;
    // The sender waits in a round we left (it restarted, or was cut off). Relay the signed
    // ROUND-CHANGEs that started its round, and ours for the round we are in, so it can follow.
    const auto theirs = round_changes_.find(m.round);
    if (theirs != round_changes_.end() && theirs->second.size() >= cfg_.validators.quorum()) {
      for (const auto& [signer, rc] : theirs->second) {
        if (signer != from) out.push_back(SendTo{from, std::make_shared<const core::Bytes>(encode_message(rc))});
      }
    }
    const auto ours = round_changes_.find(round_);
    if (ours != round_changes_.end()) {
      if (auto mine = ours->second.find(cfg_.self); mine != ours->second.end()) {
        out.push_back(SendTo{from, std::make_shared<const core::Bytes>(encode_message(mine->second))});
      }
    }
  }
  if (m.prepared_block) blocks_.emplace(m.prepared->block_id, *m.prepared_block);
  const std::uint64_t rc_round = m.round;
  round_changes_[rc_round].emplace(m.signature.signer, std::move(m));

  // upon f+1 ROUND-CHANGEs for rounds above ours: move to the lowest of them and say so, so a
  // node left behind by a partition rejoins the others.
  std::map<ValidatorIndex, std::uint64_t> highest_by_signer;
  for (auto it = round_changes_.upper_bound(round_); it != round_changes_.end(); ++it) {
    for (const auto& [signer, rc] : it->second) highest_by_signer[signer] = it->first;
  }
  const std::size_t f1 = cfg_.validators.max_faulty() + 1;
  // A round nobody joined has no quorum to wait for: follow a validator to the next round anyone
  // is in. (After restarts, the others may never come back down to it, and f+1 of them may not
  // exist.) Moving up is always safe; a Byzantine validator can only make waiting nodes wait
  // somewhere else.
  if (!round_started_ && highest_by_signer.size() < f1 && !highest_by_signer.empty()) {
    enter_round(round_changes_.upper_bound(round_)->first, /*started=*/false, out);
    send_round_change(out);
    return {};
  }
  if (highest_by_signer.size() >= f1) {
    std::vector<std::uint64_t> rounds;
    for (const auto& [signer, r] : highest_by_signer) rounds.push_back(r);
    std::sort(rounds.rbegin(), rounds.rend());
    enter_round(rounds[f1 - 1], /*started=*/false, out);
    send_round_change(out);
    return {};
  }
  if (rc_round == round_) on_round_changes_for_our_round(out);
  return {};
}

// upon a quorum of ROUND-CHANGEs for our round: the round really starts now, so its timer
// restarts once (this is what realigns nodes whose timers drifted apart while partitioned).
// Unless the round's proposer is not in that quorum: it did not give up on the last round with
// the others, so it is down or cut off, and its round would only be waited out. Move on to the
// next round at once instead: two dead proposers in a row cost one timer, not two. Every validator
// that saw the same quorum skips alike (with f crashed, a quorum is exactly the live validators);
// one that saw another follows through the f+1 rule above. Moving up a round is always safe.
void IbftEngine::on_round_changes_for_our_round(Actions& out) {
  const auto& here = round_changes_[round_];
  if (here.size() >= cfg_.validators.quorum()) {
    if (round_ > 0 && !here.contains(leader(height_, round_))) {
      enter_round(round_ + 1, /*started=*/false, out);
      send_round_change(out);
      return;
    }
    mark_started(out);
  }
  propose_if_leader(out);
}

void IbftEngine::propose_if_leader(Actions& out) {
  if (leader(height_, round_) != cfg_.self || proposed_ || awaiting_payload_) return;
  // One proposal per round, even across a restart.
  if (safety_.sent_proposal && safety_.sent_proposal->round >= round_) return;
  if (round_ > 0) {
    const auto it = round_changes_.find(round_);
    if (it == round_changes_.end() || it->second.size() < cfg_.validators.quorum()) return;
    // HighestPrepared(Qrc): re-propose the value that may have been decided.
    const RoundChange* highest = nullptr;
    for (const auto& [signer, rc] : it->second) {
      if (rc.prepared && (!highest || rc.prepared->round > highest->prepared->round)) highest = &rc;
    }
    if (highest && !cfg_.unsafe.ignore_lock) {
      send_pre_prepare(*highest->prepared_block, out);
      return;
    }
  }
  awaiting_payload_ = true;
  out.push_back(RequestPayload{height_, committed_id_});
}

void IbftEngine::on_payload(std::uint64_t height, core::Bytes payload, std::uint64_t now_ms, Actions& out) {
  now_ms_ = std::max(now_ms_, now_ms);
  if (height != height_ || !awaiting_payload_ || proposed_) return;
  awaiting_payload_ = false;
  Block b;
  b.height = height_;
  b.parent_id = committed_id_;
  b.round = round_;
  b.proposer = cfg_.self;
  b.payload = std::move(payload);
  if (height_ != first_height_) b.justify = committed_cert_;
  send_pre_prepare(std::move(b), out);
}

void IbftEngine::send_pre_prepare(Block block, Actions& out) {
  PrePrepare m;
  m.height = height_;
  m.round = round_;
  m.block = std::move(block);
  if (round_ > 0) {
    const RoundChange* highest = nullptr;
    for (const auto& [signer, rc] : round_changes_[round_]) {
      m.justification.push_back(rc.without_proof());
      if (rc.prepared && (!highest || rc.prepared->round > highest->prepared->round)) highest = &rc;
    }
    if (highest && !cfg_.unsafe.ignore_lock) m.prepared_qc = highest->prepared_qc;
  }
  const core::Hash32 id = m.block.id();
  m.signature = VoteSignature{cfg_.self, cfg_.key->sign_digest(m.signing_digest(cfg_.chain_id, id))};
  proposed_ = true;
  safety_.sent_proposal = PreparedClaim{round_, id};
  persist(out);
  broadcast(m, out);
  (void)on_pre_prepare(cfg_.self, std::move(m), out);
}

void IbftEngine::maybe_prepare(Actions& out) {
  if (!accepted_) return;
  const core::Hash32 id = *accepted_;
  const auto verdict = verdicts_.find(id);
  if (verdict == verdicts_.end()) {
    if (validation_requested_.insert(id).second) {
      const Block& b = blocks_.at(id);
      out.push_back(ValidatePayload{height_, id, b.parent_id, std::make_shared<const core::Bytes>(b.payload)});
    }
    return;
  }
  if (!verdict->second) return;
  // Never two PREPAREs in one round, even across a restart (sent_prepare is persisted first).
  if (safety_.sent_prepare && safety_.sent_prepare->round >= round_) {
    maybe_commit(round_, out);
    return;
  }
  safety_.sent_prepare = PreparedClaim{round_, id};
  persist(out);
  const SignedVote vote = sign_vote(VoteData{VoteKind::kPrepare, height_, round_, id, std::nullopt});
  broadcast(Prepare{vote}, out);
  (void)on_prepare(vote, out);
}

void IbftEngine::on_payload_verdict(const core::Hash32& block_id, bool valid, std::uint64_t now_ms, Actions& out) {
  now_ms_ = std::max(now_ms_, now_ms);
  if (!blocks_.contains(block_id)) return;
  verdicts_[block_id] = valid;
  if (accepted_ == block_id) maybe_prepare(out);
}

// upon a quorum of PREPAREs for the accepted value in our round: it is prepared (the lock);
// send the COMMIT with its commit seal.
void IbftEngine::maybe_commit(std::uint64_t round, Actions& out) {
  if (round != round_ || !accepted_) return;
  const core::Hash32 id = *accepted_;
  const auto verdict = verdicts_.find(id);
  if (verdict == verdicts_.end() || !verdict->second) return;
  if (safety_.sent_commit && safety_.sent_commit->round >= round) return;
  QuorumCert qc;
  qc.data = VoteData{VoteKind::kPrepare, height_, round, id, std::nullopt};
  for (const auto& [signer, vote] : prepares_[round]) {
    if (vote.data.block_id == id) qc.signatures.push_back(vote.signature);
  }
  if (qc.signatures.size() < cfg_.validators.quorum()) return;
  safety_.prepared_qc = std::move(qc);
  safety_.prepared_block = blocks_.at(id);
  safety_.sent_commit = PreparedClaim{round, id};
  persist(out);
  const SignedVote seal = sign_vote(VoteData{VoteKind::kCommit, height_, round, id, CommitTarget{height_, id}});
  broadcast(Commit{seal}, out);
  (void)on_commit(seal, out);
}

// upon a quorum of COMMITs for one value in any round: decided. The seals are the certificate.
void IbftEngine::maybe_decide(std::uint64_t round, const core::Hash32& block_id, Actions& out) {
  QuorumCert qc;
  qc.data = VoteData{VoteKind::kCommit, height_, round, block_id, CommitTarget{height_, block_id}};
  for (const auto& [signer, vote] : commits_[round]) {
    if (vote.data.block_id == block_id) qc.signatures.push_back(vote.signature);
  }
  if (qc.signatures.size() < cfg_.validators.quorum()) return;
  const auto block = blocks_.find(block_id);
  if (block == blocks_.end()) {
    // Decided by a quorum, but we never saw the block: fetch it from a signer.
    for (const VoteSignature& s : qc.signatures) {
      if (s.signer != cfg_.self) {
        out.push_back(SyncNeeded{s.signer, height_});
        break;
      }
    }
    return;
  }
  remember_committed(block->second);
  committed_cert_ = qc;
  out.push_back(CommitBlock{block->second, block_id, std::move(qc), {}});
  committed_height_ = height_;
  committed_id_ = block_id;
  start_height(height_ + 1, std::nullopt, out);
}

void IbftEngine::send_round_change(Actions& out) {
  RoundChange m;
  m.height = height_;
  m.round = round_;
  if (safety_.prepared_qc) {
    m.prepared = PreparedClaim{safety_.prepared_qc->data.round, safety_.prepared_qc->data.block_id};
    m.prepared_qc = safety_.prepared_qc;
    m.prepared_block = safety_.prepared_block;
  }
  m.signature = VoteSignature{cfg_.self, cfg_.key->sign_digest(m.signing_digest(cfg_.chain_id))};
  broadcast(m, out);
  round_changes_[round_].emplace(cfg_.self, m);
  on_round_changes_for_our_round(out);
}

core::Status IbftEngine::on_synced_blocks(const std::vector<Block>& blocks, const QuorumCert& cert, std::uint64_t now_ms,
                                        Actions& out) {
  now_ms_ = std::max(now_ms_, now_ms);
  MN_TRY_ASSIGN(const auto ids, check_sync_run(blocks, cert, committed_height_, committed_id_, cfg_.validators, cfg_.chain_id, *cfg_.verifier));
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    remember_committed(blocks[i]);
    out.push_back(CommitBlock{blocks[i], ids[i], cert, {}});
  }
  committed_cert_ = cert;
  committed_height_ = blocks.back().height;
  committed_id_ = ids.back();
  start_height(committed_height_ + 1, std::nullopt, out);
  return {};
}

EngineStatus IbftEngine::status() const {
  return EngineStatus{committed_height_, height_, round_, rounds_timed_out_};
}

void IbftEngine::persist(Actions& out) { out.push_back(PersistState{core::encode(safety_)}); }

void IbftEngine::broadcast(const Message& m, Actions& out) {
  out.push_back(Broadcast{std::make_shared<const core::Bytes>(encode_message(m))});
}

SignedVote IbftEngine::sign_vote(VoteData data) const {
  SignedVote v;
  v.signature = VoteSignature{cfg_.self, cfg_.key->sign_digest(data.signing_digest(cfg_.chain_id))};
  v.data = std::move(data);
  return v;
}

}  // namespace metanode::consensus::ibft
