#include "node/audit_witness.hpp"

#include <spdlog/spdlog.h>

#include "crypto/signed_note.hpp"
#include "ledger/audit_proofs.hpp"
#include "merkle/merkle_tree.hpp"
#include "node/metric_text.hpp"
#include "storage/write_batch.hpp"

namespace metanode::node {
namespace {

using nlohmann::json;

constexpr core::Byte kWitnessedPrefix = 'W';
constexpr core::Byte kConflictPrefix = 'X';

// The newest checkpoint of one log this node cosigned.
struct WitnessedLog {
  std::uint64_t size = 0;
  core::Hash32 root{};
  std::int64_t cosigned_unix_ms = 0;
  std::string note;
  void encode(core::Writer& w) const {
    w.u64(size);
    w.array(root);
    w.i64(cosigned_unix_ms);
    w.string(note, kCosignNoteBytesMax);
  }
  static core::Result<WitnessedLog> decode(core::Reader& r) {
    WitnessedLog l;
    MN_TRY_ASSIGN(l.size, r.u64());
    MN_TRY_ASSIGN(l.root, r.array<32>());
    MN_TRY_ASSIGN(l.cosigned_unix_ms, r.i64());
    MN_TRY_ASSIGN(l.note, r.string(kCosignNoteBytesMax));
    return l;
  }
};

// Evidence of a refused checkpoint: it, and the one held when it came.
struct Conflict {
  std::int64_t unix_ms = 0;
  std::string refused_note;
  std::string held_note;
  std::string why;
  void encode(core::Writer& w) const {
    w.i64(unix_ms);
    w.string(refused_note, kCosignNoteBytesMax);
    w.string(held_note, kCosignNoteBytesMax);
    w.string(why, 512);
  }
  static core::Result<Conflict> decode(core::Reader& r) {
    Conflict c;
    MN_TRY_ASSIGN(c.unix_ms, r.i64());
    MN_TRY_ASSIGN(c.refused_note, r.string(kCosignNoteBytesMax));
    MN_TRY_ASSIGN(c.held_note, r.string(kCosignNoteBytesMax));
    MN_TRY_ASSIGN(c.why, r.string(512));
    return c;
  }
};

core::Bytes witnessed_key(const crypto::Address& log) {
  core::Bytes key{kWitnessedPrefix};
  key.insert(key.end(), log.bytes.begin(), log.bytes.end());
  return key;
}

core::Bytes conflict_key(const crypto::Address& log, std::uint64_t size) {
  core::Bytes key{kConflictPrefix};
  key.insert(key.end(), log.bytes.begin(), log.bytes.end());
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<core::Byte>(size >> shift));
  return key;
}

CosignReply refused(std::uint64_t size, std::string why) {
  return CosignReply{size, CosignOutcome::kRefused, 0, std::move(why)};
}


}  // namespace

void CosignRequest::encode(core::Writer& w) const {
  w.u64(old_size);
  w.vector(proof, kCosignProofHashesMax, [](core::Writer& out, const core::Hash32& h) { out.array(h); });
  w.string(note, kCosignNoteBytesMax);
}

core::Result<CosignRequest> CosignRequest::decode(core::Reader& r) {
  CosignRequest q;
  MN_TRY_ASSIGN(q.old_size, r.u64());
  MN_TRY_ASSIGN(q.proof, r.vector<core::Hash32>(kCosignProofHashesMax, [](core::Reader& in) { return in.array<32>(); }));
  MN_TRY_ASSIGN(q.note, r.string(kCosignNoteBytesMax));
  return q;
}

void CosignReply::encode(core::Writer& w) const {
  w.u64(size);
  w.u8(static_cast<std::uint8_t>(outcome));
  w.u64(witness_size);
  w.string(text, kCosignNoteBytesMax);
}

core::Result<CosignReply> CosignReply::decode(core::Reader& r) {
  CosignReply p;
  MN_TRY_ASSIGN(p.size, r.u64());
  MN_TRY_ASSIGN(const std::uint8_t outcome, r.u8());
  if (outcome < 1 || outcome > 3) return core::make_error(core::ErrorCode::kDecodeInvalidValue, "unknown cosign outcome");
  p.outcome = static_cast<CosignOutcome>(outcome);
  MN_TRY_ASSIGN(p.witness_size, r.u64());
  MN_TRY_ASSIGN(p.text, r.string(kCosignNoteBytesMax));
  return p;
}

AuditWitness::AuditWitness(storage::CueDb& db, const ledger::Genesis& genesis, const crypto::KeyPair& key,
                           const crypto::MldsaKeyPair* mldsa, std::function<void(storage::AuditEvent)> record,
                           std::function<std::int64_t()> clock)
    : db_(db),
      genesis_(genesis),
      key_(key),
      mldsa_(mldsa),
      name_(ledger::audit_witness_name(genesis.chain_id, key.public_key())),
      record_(std::move(record)),
      clock_(std::move(clock)) {}

CosignReply AuditWitness::handle(const crypto::PublicKey& peer, const CosignRequest& request) {
  CosignReply reply = answer(peer, request);
  if (reply.outcome == CosignOutcome::kRefused) {
    std::lock_guard lock(mutex_);
    ++refused_;
  }
  return reply;
}

CosignReply AuditWitness::answer(const crypto::PublicKey& peer, const CosignRequest& request) {
  auto note = crypto::SignedNote::parse(request.note);
  if (!note.ok()) return refused(0, note.error().message);
  auto checked = ledger::check_audit_checkpoint(request.note, genesis_, /*require_pq=*/false);
  if (!checked.ok()) return refused(0, checked.error().to_string());
  const merkle::Checkpoint& body = checked->body;
  if (body.origin != ledger::audit_origin(genesis_.chain_id, peer)) {
    return refused(body.size, "a validator asks to cosign its own log only, not " + body.origin);
  }
  const crypto::Address log = crypto::Address::from_public_key(peer);

  std::lock_guard lock(mutex_);
  auto stored = db_.get(storage::Column::kAudit, witnessed_key(log));
  if (!stored.ok()) return refused(body.size, stored.error().to_string());
  std::optional<WitnessedLog> held;
  if (stored->has_value()) {
    auto decoded = core::decode<WitnessedLog>(**stored);
    if (!decoded.ok()) return refused(body.size, "this witness's record of the log is damaged");
    held = std::move(decoded).value();
  }
  const std::uint64_t held_size = held ? held->size : 0;
  if (request.old_size != held_size) return CosignReply{body.size, CosignOutcome::kConflict, held_size, {}};

  if (held) {
    bool consistent = false;
    if (body.size == held->size) {
      consistent = body.root == held->root && request.proof.empty();
    } else if (body.size > held->size) {
      consistent = merkle::verify_consistency(merkle::ConsistencyProof{held->size, body.size, request.proof}, held->root,
                                              body.root)
                       .ok();
    }
    if (!consistent) {
      const std::string why = "checkpoint of " + std::to_string(body.size) + " events does not extend the one of " +
                              std::to_string(held->size) + " events this witness cosigned: the log was rewritten, " +
                              "truncated or forked";
      Conflict evidence{clock_(), request.note, held->note, why};
      storage::WriteBatch batch;
      batch.put(storage::Column::kAudit, conflict_key(log, body.size), core::encode(evidence));
      if (auto st = db_.write(std::move(batch), /*sync=*/true); !st.ok()) return refused(body.size, st.error().to_string());
      storage::AuditEvent event;
      event.unix_ms = evidence.unix_ms;
      event.action = "audit.witness.conflict";
      event.actor = log.to_string();
      event.subject = body.origin;
      event.outcome = "refused";
      event.detail = why;
      event.digest = core::to_hex(core::hash(core::Domain::Checkpoint, core::as_bytes(request.note)));
      record_(std::move(event));
      ++conflicts_;
      spdlog::error("audit witness: {} ({})", why, body.origin);
      return refused(body.size, why);
    }
  }

  const WitnessedLog next{body.size, body.root, clock_(), request.note};
  storage::WriteBatch batch;
  batch.put(storage::Column::kAudit, witnessed_key(log), core::encode(next));
  if (auto st = db_.write(std::move(batch), /*sync=*/true); !st.ok()) return refused(body.size, st.error().to_string());

  crypto::SignedNote cosigned = *note;
  const std::size_t before = cosigned.signatures.size();
  const auto unix_s = static_cast<std::uint64_t>(next.cosigned_unix_ms / 1000);
  crypto::cosign_note_ed25519(cosigned, name_, key_, unix_s);
  if (mldsa_ != nullptr) crypto::cosign_note_mldsa(cosigned, name_, *mldsa_, unix_s);
  std::string lines;
  for (std::size_t i = before; i < cosigned.signatures.size(); ++i) lines += cosigned.signatures[i].line();
  ++cosigned_;
  return CosignReply{body.size, CosignOutcome::kCosigned, body.size, std::move(lines)};
}

json AuditWitness::to_json() const {
  json logs = json::array();
  json conflicts = json::array();
  std::lock_guard lock(mutex_);
  const auto validator_of = [this](core::ByteView address) -> std::string {
    for (const auto& v : genesis_.validators) {
      const auto a = crypto::Address::from_public_key(v.ed25519_public_key);
      if (std::equal(a.bytes.begin(), a.bytes.end(), address.begin(), address.begin() + 32)) return v.name;
    }
    return "";
  };
  const auto address_of = [](core::ByteView key) {
    crypto::Address a;
    std::copy(key.begin() + 1, key.begin() + 33, a.bytes.begin());
    return a;
  };
  (void)db_.for_each_prefix(storage::Column::kAudit, core::Bytes{kWitnessedPrefix}, [&](core::ByteView key, core::ByteView value) {
    if (key.size() != 33) return true;
    auto l = core::decode<WitnessedLog>(value);
    if (!l.ok()) return true;
    logs.push_back({{"node", address_of(key).to_string()},
                    {"validator", validator_of(key.subspan(1))},
                    {"size", l->size},
                    {"root", core::to_hex(l->root)},
                    {"cosigned_unix_ms", l->cosigned_unix_ms},
                    {"note", l->note}});
    return true;
  });
  (void)db_.for_each_prefix(storage::Column::kAudit, core::Bytes{kConflictPrefix}, [&](core::ByteView key, core::ByteView value) {
    if (key.size() != 41) return true;
    auto c = core::decode<Conflict>(value);
    if (!c.ok()) return true;
    conflicts.push_back({{"node", address_of(key).to_string()},
                         {"validator", validator_of(key.subspan(1))},
                         {"unix_ms", c->unix_ms},
                         {"why", c->why},
                         {"refused_note", c->refused_note},
                         {"held_note", c->held_note}});
    return true;
  });
  return {{"witness", name_}, {"logs", logs}, {"conflicts", conflicts}};
}

std::string AuditWitness::metrics_text() const {
  std::lock_guard lock(mutex_);
  return metric_text("metanode_audit_witness_cosigned_total", "Other validators' checkpoints this node cosigned.", cosigned_) +
         metric_text("metanode_audit_witness_conflicts_total",
                 "Checkpoints refused because they do not extend the one cosigned before (kept as evidence).", conflicts_) +
         metric_text("metanode_audit_witness_refused_total",
                 "Cosign requests refused for any reason (conflicts, bad signatures, another log than the peer's).",
                 refused_);
}

WitnessClient::WitnessClient(storage::AuditLog& log, const ledger::Genesis& genesis, const crypto::PublicKey& self,
                             Send send)
    : log_(log), genesis_(genesis), send_(std::move(send)) {
  for (const auto& key : genesis.validator_keys()) {
    if (key != self) witnesses_.push_back(key);
  }
}

void WitnessClient::on_checkpoint(const storage::AuditCheckpoint& checkpoint) {
  std::vector<std::pair<crypto::PublicKey, std::uint64_t>> asks;
  {
    std::lock_guard lock(mutex_);
    latest_ = checkpoint;
    for (const auto& w : witnesses_) {
      if (!silenced_.contains(w)) asks.emplace_back(w, held_[w]);
    }
  }
  for (const auto& [witness, held] : asks) ask(witness, checkpoint, held);
}

void WitnessClient::ask(const crypto::PublicKey& witness, const storage::AuditCheckpoint& checkpoint,
                        std::uint64_t old_size) {
  CosignRequest request;
  request.old_size = old_size;
  request.note = checkpoint.note;
  if (old_size > checkpoint.body.size) {
    spdlog::error("audit: witness {} holds {} events of this node's log, more than its {}: this log lost events",
                  witness.to_hex().substr(0, 12), old_size, checkpoint.body.size);
    return;
  }
  if (old_size > 0 && old_size < checkpoint.body.size) {
    auto proof = log_.consistency_proof(old_size, checkpoint.body.size);
    if (!proof.ok()) return;
    request.proof = std::move(proof->path);
  }
  {
    std::lock_guard lock(mutex_);
    ++asked_;
  }
  (void)send_(witness, core::encode(request));  // an unlinked witness is asked at the next checkpoint
}

void WitnessClient::on_reply(const crypto::PublicKey& witness, const CosignReply& reply) {
  std::optional<storage::AuditCheckpoint> latest;
  {
    std::lock_guard lock(mutex_);
    latest = latest_;
  }
  switch (reply.outcome) {
    case CosignOutcome::kCosigned: {
      auto checkpoint = log_.checkpoint_at(reply.size);
      if (!checkpoint.ok() || !checkpoint->has_value()) return;
      // Keep only lines that verify as this witness's cosignature of that very checkpoint.
      const std::string cosigned = (*checkpoint)->note + reply.text;
      auto names = ledger::check_audit_cosignatures(cosigned, genesis_, /*require_pq=*/false);
      if (!names.ok() || names->empty()) {
        spdlog::warn("audit: witness {} sent cosignature lines that do not verify", witness.to_hex().substr(0, 12));
        return;
      }
      if (auto st = log_.add_cosignature(reply.size, crypto::Address::from_public_key(witness), reply.text); !st.ok()) {
        spdlog::warn("audit: cannot store a cosignature: {}", st.error().to_string());
        return;
      }
      std::lock_guard lock(mutex_);
      held_[witness] = std::max(held_[witness], reply.size);
      ++cosigned_;
      return;
    }
    case CosignOutcome::kConflict: {
      std::uint64_t previous = 0;
      {
        std::lock_guard lock(mutex_);
        previous = held_[witness];
        held_[witness] = reply.witness_size;
      }
      // Ask once more from the size the witness holds (a restart on either side forgets it).
      if (latest && reply.witness_size != previous) ask(witness, *latest, reply.witness_size);
      return;
    }
    case CosignOutcome::kRefused: {
      std::lock_guard lock(mutex_);
      ++refused_;
      // Asking again would be refused again (a witness never forgets what it cosigned): this
      // witness is not asked until the node restarts.
      if (silenced_.insert(witness).second) {
        spdlog::error("audit: witness {} refused checkpoint {}: {}; not asking it again until restart",
                      witness.to_hex().substr(0, 12), reply.size, reply.text);
      }
      return;
    }
  }
}

std::string WitnessClient::metrics_text() const {
  std::lock_guard lock(mutex_);
  return metric_text("metanode_audit_cosign_requests_total", "Checkpoints this node sent to witnesses.", asked_) +
         metric_text("metanode_audit_cosignatures_total", "Witness cosignatures this node's checkpoints received.", cosigned_) +
         metric_text("metanode_audit_cosign_refusals_total", "Witnesses that refused this node's checkpoint.", refused_);
}

}  // namespace metanode::node
