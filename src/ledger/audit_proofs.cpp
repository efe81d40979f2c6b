#include "ledger/audit_proofs.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "crypto/address.hpp"
#include "crypto/signed_note.hpp"
#include "storage/audit_log.hpp"

namespace metanode::ledger {
namespace {
core::Error invalid(const std::string& why) { return core::make_error(core::ErrorCode::kProofInvalid, why); }
core::Error bad_section(const std::string& why) {
  return core::make_error(core::ErrorCode::kInvalidArgument, "genesis modules.audit: " + why);
}
}  // namespace

core::Result<std::vector<AuditLogKey>> registered_audit_logs(const Genesis& genesis) {
  nlohmann::json section;
  if (!genesis.module_section("audit", section)) return std::vector<AuditLogKey>{};
  if (!section.is_object()) return bad_section("must be an object");
  for (const auto& [key, value] : section.items()) {
    if (key != "logs") return bad_section("unknown field '" + key + "' (the section has \"logs\")");
  }
  const auto it = section.find("logs");
  if (it == section.end()) return std::vector<AuditLogKey>{};
  if (!it->is_array()) return bad_section("logs must be an array");
  if (it->size() > kAuditLogKeysMax) return bad_section("at most " + std::to_string(kAuditLogKeysMax) + " logs");
  std::vector<AuditLogKey> logs;
  std::set<std::string> names;
  std::set<crypto::PublicKey> keys;
  for (const auto& v : genesis.validators) {
    names.insert(v.name);
    keys.insert(v.ed25519_public_key);
  }
  for (const auto& entry : *it) {
    if (!entry.is_object()) return bad_section("each log is an object {name, ed25519_public_key, mldsa65_public_key}");
    AuditLogKey log;
    const auto text = [&](const char* field) -> core::Result<std::string> {
      const auto f = entry.find(field);
      if (f == entry.end() || !f->is_string()) return bad_section(std::string("a log without a string ") + field);
      return f->get<std::string>();
    };
    MN_TRY_ASSIGN(log.name, text("name"));
    const bool name_ok = !log.name.empty() && log.name.size() <= 32 &&
                         std::all_of(log.name.begin(), log.name.end(), [](char c) {
                           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                         });
    if (!name_ok) return bad_section("log name '" + log.name + "' is not 1 to 32 characters of [a-z0-9-]");
    MN_TRY_ASSIGN(const std::string ed_hex, text("ed25519_public_key"));
    auto ed = crypto::PublicKey::from_hex(ed_hex);
    if (!ed.ok()) return bad_section("log " + log.name + " ed25519_public_key: " + ed.error().message);
    log.ed25519_public_key = *ed;
    MN_TRY_ASSIGN(const std::string pq_hex, text("mldsa65_public_key"));
    auto pq = core::array_from_hex<crypto::kMldsaPublicKeyBytes>(pq_hex);
    if (!pq.ok()) return bad_section("log " + log.name + " mldsa65_public_key: " + pq.error().message);
    log.mldsa_public_key.bytes = *pq;
    if (!names.insert(log.name).second) return bad_section("log name '" + log.name + "' is used twice (or is a validator's)");
    if (!keys.insert(log.ed25519_public_key).second) {
      return bad_section("log " + log.name + "'s key is used twice (or is a validator's: a validator's log needs no entry)");
    }
    logs.push_back(std::move(log));
  }
  return logs;
}

nlohmann::json audit_logs_section(const std::vector<AuditLogKey>& logs) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& log : logs) {
    list.push_back({{"name", log.name},
                    {"ed25519_public_key", log.ed25519_public_key.to_hex()},
                    {"mldsa65_public_key", core::to_hex(log.mldsa_public_key.bytes)}});
  }
  return {{"logs", std::move(list)}};
}

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
  GenesisValidator registered;  // a registered log's keys, in a validator's shape
  if (signer == nullptr) {
    auto logs = registered_audit_logs(genesis);
    if (!logs.ok()) return invalid(logs.error().message);
    for (const auto& log : *logs) {
      if (audit_origin(genesis.chain_id, log.ed25519_public_key) != checked.body.origin) continue;
      registered = {log.name, log.ed25519_public_key, log.mldsa_public_key};
      signer = &registered;
      checked.validator_log = false;
    }
  }
  if (signer == nullptr) {
    return invalid("checkpoint origin '" + checked.body.origin +
                   "' is not the audit log of a validator of chain " + genesis.chain_id +
                   " nor of a log its genesis registers");
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
