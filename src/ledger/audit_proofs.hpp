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
