#include "ledger/audit_proofs.hpp"

#include <algorithm>

#include "crypto/address.hpp"
#include "crypto/signed_note.hpp"
#include "storage/audit_log.hpp"

namespace metanode::ledger {
namespace {
core::Error invalid(const std::string& why) { return core::make_error(core::ErrorCode::kProofInvalid, why); }
}  // namespace

std::string audit_origin(std::string_view chain_id, const crypto::PublicKey& node_key) {
  return std::string(chain_id) + "/" + crypto::Address::from_public_key(node_key).to_string() + "/audit";
}

std::string audit_witness_name(std::string_view chain_id, const crypto::PublicKey& node_key) {
  return std::string(chain_id) + "/" + crypto::Address::from_public_key(node_key).to_string() + "/witness";
}

core::Result<std::vector<std::string>> check_audit_cosignatures(std::string_view note_text, const Genesis& genesis,
                                                                bool require_pq) {
  auto note = crypto::SignedNote::parse(note_text);
  if (!note.ok()) return invalid(note.error().message);
  auto body = merkle::Checkpoint::parse(note->text);
  if (!body.ok()) return invalid(body.error().message);
  std::vector<std::string> witnesses;
  for (const auto& v : genesis.validators) {
    if (audit_origin(genesis.chain_id, v.ed25519_public_key) == body->origin) continue;  // the log's own node
    const std::string name = audit_witness_name(genesis.chain_id, v.ed25519_public_key);
    const auto bad = [&](std::string_view which) {
      return core::make_error(core::ErrorCode::kBadSignature, "the " + std::string(which) + " cosignature of witness " +
                                                                  v.name + " on checkpoint " + std::to_string(body->size) +
                                                                  " does not verify");
    };
    const auto ed = crypto::check_cosignature_ed25519(*note, name, v.ed25519_public_key);
    const auto pq = crypto::check_cosignature_mldsa(*note, name, v.mldsa_public_key);
    if (ed.result == crypto::NoteSignatureCheck::kInvalid) return bad("Ed25519");
    if (pq.result == crypto::NoteSignatureCheck::kInvalid) return bad("ML-DSA-65");
    if (ed.result != crypto::NoteSignatureCheck::kValid) continue;
    if (require_pq && pq.result != crypto::NoteSignatureCheck::kValid) continue;
    witnesses.push_back(v.name);
  }
  return witnesses;
}

std::size_t audit_witnesses_needed(const Genesis& genesis) {
  const std::size_t n = genesis.validators.size();
  if (n <= 1) return 0;
  return std::min((n - 1) / 3 + 1, n - 1);
}

core::Result<CheckedCheckpoint> check_audit_checkpoint(std::string_view note_text, const Genesis& genesis,
                                                       bool require_pq) {
  auto note = crypto::SignedNote::parse(note_text);
  if (!note.ok()) return invalid(note.error().message);
  auto body = merkle::Checkpoint::parse(note->text);
  if (!body.ok()) return invalid(body.error().message);
  CheckedCheckpoint checked;
  checked.body = std::move(body).value();
  const GenesisValidator* signer = nullptr;
  for (const auto& v : genesis.validators) {
    if (audit_origin(genesis.chain_id, v.ed25519_public_key) == checked.body.origin) signer = &v;
  }
  if (signer == nullptr) {
    return invalid("checkpoint origin '" + checked.body.origin + "' is not the audit log of a validator of chain " +
                   genesis.chain_id);
  }
  checked.validator = signer->name;
  const std::string& name = checked.body.origin;
  switch (crypto::check_note_ed25519(*note, name, signer->ed25519_public_key)) {
    case crypto::NoteSignatureCheck::kAbsent:
      return invalid("checkpoint of " + name + " has no Ed25519 signature of " + signer->name);
    case crypto::NoteSignatureCheck::kInvalid:
      return core::make_error(core::ErrorCode::kBadSignature,
                              "the Ed25519 signature of " + signer->name + " on checkpoint " +
                                  std::to_string(checked.body.size) + " does not verify");
    case crypto::NoteSignatureCheck::kValid:
      break;
  }
  switch (crypto::check_note_mldsa(*note, name, signer->mldsa_public_key)) {
    case crypto::NoteSignatureCheck::kAbsent:
      if (require_pq) {
        return invalid("checkpoint " + std::to_string(checked.body.size) + " of " + name +
                       " has no ML-DSA-65 signature of " + signer->name);
      }
      break;
    case crypto::NoteSignatureCheck::kInvalid:
      return core::make_error(core::ErrorCode::kBadSignature,
                              "the ML-DSA-65 signature of " + signer->name + " on checkpoint " +
                                  std::to_string(checked.body.size) + " does not verify");
    case crypto::NoteSignatureCheck::kValid:
      checked.post_quantum = true;
      break;
  }
  return checked;
}

core::Status check_audit_inclusion(core::ByteView event_bytes, const merkle::InclusionProof& proof,
                                   const merkle::Checkpoint& checkpoint) {
  if (proof.tree_size != checkpoint.size) {
    return invalid("the proof is for a tree of " + std::to_string(proof.tree_size) + " events, the checkpoint has " +
                   std::to_string(checkpoint.size));
  }
  if (auto decoded = core::decode<storage::AuditEvent>(event_bytes); !decoded.ok()) {
    return invalid("event " + std::to_string(proof.index) + " does not decode: " + decoded.error().message);
  }
  auto st = merkle::verify_inclusion(storage::audit_leaf_hash(event_bytes), proof, checkpoint.root);
  if (!st.ok()) {
    return core::make_error(st.error().code, "event " + std::to_string(proof.index) + " is not in checkpoint " +
                                                 std::to_string(checkpoint.size) + ": " + st.error().message);
  }
  return {};
}

core::Status check_audit_consistency(const merkle::ConsistencyProof& proof, const merkle::Checkpoint& older,
                                     const merkle::Checkpoint& newer) {
  if (older.origin != newer.origin) return invalid("checkpoints of two logs: " + older.origin + ", " + newer.origin);
  if (proof.old_size != older.size || proof.new_size != newer.size) {
    return invalid("the consistency proof is for sizes " + std::to_string(proof.old_size) + " -> " +
                   std::to_string(proof.new_size) + ", the checkpoints are " + std::to_string(older.size) + " -> " +
                   std::to_string(newer.size));
  }
  auto st = merkle::verify_consistency(proof, older.root, newer.root);
  if (!st.ok()) {
    return core::make_error(st.error().code, "checkpoint " + std::to_string(newer.size) + " does not extend checkpoint " +
                                                 std::to_string(older.size) + ": " + st.error().message);
  }
  return {};
}

}  // namespace metanode::ledger
