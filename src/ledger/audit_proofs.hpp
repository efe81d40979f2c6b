// Checking a node's audit trail with nothing but the chain's genesis: its signed checkpoints
// (whose key they are, both signature lines), an event's inclusion in a checkpoint, and one
// checkpoint's consistency with a later one. Used by `metanode audit verify`, and by anything
// else that checks audit proofs offline.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>
#include <string_view>

#include "core/result.hpp"
#include "ledger/genesis.hpp"
#include "merkle/checkpoint.hpp"
#include "merkle/merkle_tree.hpp"

namespace metanode::ledger {

// The origin a node's audit log signs as: "<chain id>/<node address>/audit".
std::string audit_origin(std::string_view chain_id, const crypto::PublicKey& node_key);

// A component other than a validator whose audit log the chain recognises (BPCI's console, a
// full node), named with both its keys in the genesis file's "audit" section:
//   "modules": {"audit": {"logs": [{"name": "bpci", "ed25519_public_key": "<hex>",
//                                  "mldsa65_public_key": "<hex>"}]}}
// Such a log is anchored on chain like a validator's; it has no witnesses (witnesses are the
// validators' exchange over XTMP), so its anchor is what pins its history.
struct AuditLogKey {
  std::string name;  // [a-z0-9-], 1 to 32 characters, unique, no validator's name
  crypto::PublicKey ed25519_public_key;
  crypto::MldsaPublicKey mldsa_public_key;
  bool operator==(const AuditLogKey&) const = default;
};
inline constexpr std::size_t kAuditLogKeysMax = 64;
// The section's logs (none when the genesis has no "audit" section); kInvalidArgument naming
// what is wrong (a bad name or key, a duplicate, a validator's key).
core::Result<std::vector<AuditLogKey>> registered_audit_logs(const Genesis& genesis);
// The section's JSON for `logs` (what `metanode up` writes).
nlohmann::json audit_logs_section(const std::vector<AuditLogKey>& logs);

// What a checked checkpoint says and who signed it.
struct CheckedCheckpoint {
  merkle::Checkpoint body;
  std::string validator;  // the name of the genesis validator (or registered log) whose log it is
  bool post_quantum = false;  // the ML-DSA-65 line was there and verified
  bool validator_log = true;  // a validator's log (witnessed); false: a registered log's
};

// Parses a signed checkpoint note and checks: the origin is this chain's "<chain>/<address>/audit",
// the address is a genesis validator's or a registered log's, its Ed25519 line verifies and, when
// `require_pq`, its ML-DSA-65 line too (a line present and failing is always invalid).
// kProofInvalid naming the first thing wrong; kBadSignature for a signature that does not verify.
core::Result<CheckedCheckpoint> check_audit_checkpoint(std::string_view note, const Genesis& genesis,
                                                       bool require_pq = true);

// The key name a validator cosigns other validators' checkpoints under:
// "<chain id>/<node address>/witness".
std::string audit_witness_name(std::string_view chain_id, const crypto::PublicKey& node_key);

// The witness cosignatures (c2sp.org/tlog-cosignature lines, crypto/signed_note.hpp) on a
// checkpoint note: the names of the genesis validators, other than the log's own node, whose
// Ed25519 cosignature verifies (and, when `require_pq`, whose ML-DSA-65 one too). A line of a
// validator that does not verify is kBadSignature naming it. Lines of other keys are ignored.
core::Result<std::vector<std::string>> check_audit_cosignatures(std::string_view note, const Genesis& genesis,
                                                                bool require_pq = true);
// How many witnesses must cosign a checkpoint for at least one of them to be honest: f + 1 of
// the validators (n = 3f + 1), and never more than the other validators there are (0 on a
// single-validator chain).
std::size_t audit_witnesses_needed(const Genesis& genesis);

// An event's stored bytes are at proof.index in the checkpoint's tree.
core::Status check_audit_inclusion(core::ByteView event_bytes, const merkle::InclusionProof& proof,
                                   const merkle::Checkpoint& checkpoint);

// The later checkpoint's tree extends the earlier one's (both from the same origin).
core::Status check_audit_consistency(const merkle::ConsistencyProof& proof, const merkle::Checkpoint& older,
                                     const merkle::Checkpoint& newer);

}  // namespace metanode::ledger
