// Checking what a node answered, or any proof it issues, with the genesis alone, as an
// independent light client would (ledger/light_client.hpp, ledger/audit_proofs.hpp): only the
// canonical bytes in an answer ("encoded" fields, an event's "bytes") are trusted, never the
// node's own JSON interpretation of them. Used by `metanode query ... --verify`,
// `metanode proof verify` and the proof verification service (9006).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "crypto/address.hpp"
#include "ledger/genesis.hpp"
#include "merkle/merkle_tree.hpp"

namespace metanode::services {

// Each returns a one-line summary of what was proven, or why the answer does not verify
// (kProofInvalid / kBlockInvalid / kBadSignature; kNotFound while the block's certificate is
// being gathered).
core::Result<std::string> verify_block_answer(const nlohmann::json& answer, const ledger::Genesis& genesis);
core::Result<std::string> verify_tx_answer(const nlohmann::json& answer, const core::Hash32& tx_hash,
                                           const ledger::Genesis& genesis);
core::Result<std::string> verify_account_answer(const nlohmann::json& answer, const crypto::Address& address,
                                                const ledger::Genesis& genesis);
// GET /v1/state/{module}/{key}: the entry (or its absence) in the state root of a signed header.
core::Result<std::string> verify_state_answer(const nlohmann::json& answer, const ledger::Genesis& genesis);

// The kinds of claim verify_claim checks, each a JSON object {"kind": K, ...}:
//   block             {"block": GET /v1/blocks/{h} answer}
//   tx                {"hash": hex, "answer": GET /v1/txs/{hash} answer}
//   account           {"address": mn1…, "answer": GET /v1/accounts/{address} answer}
//   state             {"answer": GET /v1/state/{module}/{key} answer}
//   certificate       {"header": hex, "certificate": hex} (canonical encodings), "epochs" as below
//
// Past a validator-set change a header is signed by its height's set: answers carry, beside the
// header ("block"), "epochs" (services/ledger/ledger_json.hpp, epoch_transitions_json), and the
// checks follow it from genesis's set, each step certified by the set before it.
//   checkpoint        {"note": signed checkpoint note}
//   audit-event       {"event": an event of GET /v1/audit/events (bytes, proof), "checkpoint": note}
//   audit-consistency {"old": note, "new": note, "proof": GET /v1/audit/consistency answer}
//   signature         {"public_key": hex, "message": hex, "signature": hex, "domain": name or absent (raw)}
//   hybrid-signature  {"public_key": {"ed25519", "mldsa"}, "signature": {"ed25519", "mldsa"}, "message", "domain"}
//   multisig          {"policy": {"threshold", "signers": [hex]}, "signatures": [{"signer", "signature"}],
//                      "message": hex, "domain": name}
std::vector<std::string_view> claim_kinds();

// Proofs as the API writes them: {"index", "tree_size", "path": [hex]} and
// {"old_size", "new_size", "path": [hex]}. kInvalidArgument for a malformed one.
core::Result<merkle::InclusionProof> inclusion_proof_from_json(const nlohmann::json& proof);
core::Result<merkle::ConsistencyProof> consistency_proof_from_json(const nlohmann::json& proof);
// kInvalidArgument for a claim that is not one of these (no kind, an unknown one); otherwise the
// summary of what was proven or the reason it is not.
core::Result<std::string> verify_claim(const nlohmann::json& claim, const ledger::Genesis& genesis);

}  // namespace metanode::services
