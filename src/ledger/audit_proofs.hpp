// Checking a node's audit trail with nothing but the chain's genesis: its signed checkpoints
// (whose key they are, both signature lines), an event's inclusion in a checkpoint, and one
// checkpoint's consistency with a later one. Used by `metanode audit verify`, and by anything
// else that checks audit proofs offline.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "ledger/genesis.hpp"
#include "merkle/checkpoint.hpp"
#include "merkle/merkle_tree.hpp"

namespace metanode::ledger {

// The origin a node's audit log signs as: "<chain id>/<node address>/audit".
std::string audit_origin(std::string_view chain_id, const crypto::PublicKey& node_key);

// What a checked checkpoint says and who signed it.
struct CheckedCheckpoint {
  merkle::Checkpoint body;
  std::string validator;  // the genesis validator's name whose log it is
  bool post_quantum = false;  // the ML-DSA-65 line was there and verified
};

// Parses a signed checkpoint note and checks: the origin is this chain's "<chain>/<address>/audit",
// the address is a genesis validator's, its Ed25519 line verifies and, when `require_pq`, its
// ML-DSA-65 line too (a line present and failing is always invalid). kProofInvalid naming the
// first thing wrong; kBadSignature for a signature that does not verify.
core::Result<CheckedCheckpoint> check_audit_checkpoint(std::string_view note, const Genesis& genesis,
                                                       bool require_pq = true);

// An event's stored bytes are at proof.index in the checkpoint's tree.
core::Status check_audit_inclusion(core::ByteView event_bytes, const merkle::InclusionProof& proof,
                                   const merkle::Checkpoint& checkpoint);

// The later checkpoint's tree extends the earlier one's (both from the same origin).
core::Status check_audit_consistency(const merkle::ConsistencyProof& proof, const merkle::Checkpoint& older,
                                     const merkle::Checkpoint& newer);

}  // namespace metanode::ledger
