// JSON forms of ledger objects for the HTTP API and the CLI. Amounts are JSON numbers (u64);
// hashes and keys are lower-case hex; addresses are bech32m text.
#pragma once

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "ledger/chain.hpp"
#include "ledger/module.hpp"
#include "merkle/merkle_tree.hpp"
#include "merkle/sparse_merkle_tree.hpp"

namespace metanode::services {

// Payloads and events take their fields from their module's JSON mapping.
nlohmann::json to_json(const ledger::Transaction& tx, const ledger::ModuleSet& modules);
nlohmann::json to_json(const ledger::Receipt& receipt, const ledger::ModuleSet& modules);
nlohmann::json to_json(const ledger::Header& header);
nlohmann::json to_json(const ledger::CommitCertificate& commit);
nlohmann::json to_json(const merkle::InclusionProof& proof);
nlohmann::json to_json(const merkle::SmtProof& proof);
// Header, hash, commit, and either the transaction hashes or (full) the transactions.
nlohmann::json block_to_json(const ledger::StoredBlock& block, bool full, const ledger::ModuleSet& modules);
// A module entry with its proof (GET /v1/state/{module}/{key}); `value` is the module's JSON
// form of the value, when it has one.
nlohmann::json to_json(const ledger::StateRecord& record, const ledger::Module& module);
// The header of block `height` and its certificate (null while the validators' signatures are
// still being gathered): what a light client checks a proof against (ledger/light_client.hpp);
// with `epochs`, the validator-set changes up to that height (epoch_transitions_json).
core::Result<nlohmann::json> signed_header_json(const ledger::Chain& chain, std::uint64_t height, bool with_epochs = true);
// How a client holding only the genesis learns the set that signs headers at `height`: for each
// validator set n >= 1 begun by then, in order, {"set": n, "hash", "header", "certificate" (a
// header of the previous set's heights, signed by it), "entries": [set n's state entries (header
// and pages) with their proofs against that header's state root]}. Empty while genesis's set is
// in force (and on a chain without the economics module).
core::Result<nlohmann::json> epoch_transitions_json(const ledger::Chain& chain, std::uint64_t height);
// GET /v1/state/{module}/{key}'s answer: the entry (or its absence) at `height` (the head when
// nullopt) with its proof and the signed header it is proven against.
core::Result<nlohmann::json> state_answer(const ledger::Chain& chain, const ledger::Module& module, core::ByteView key,
                                          std::optional<std::uint64_t> height = std::nullopt);

// Parses the JSON form of a transaction (as to_json writes it; "hash" is ignored). Errors are
// kTxMalformed with the offending field named, kTxUnknownPayload for a module or kind the chain
// does not have.
core::Result<ledger::Transaction> transaction_from_json(const nlohmann::json& doc, const ledger::ModuleSet& modules);

// A payload: {"module", "kind", ...the kind's fields (mapped by the module)} or {"module", "kind",
// "data": hex} (the canonical bytes; the module need not be in `modules`, the node checks them).
core::Result<ledger::Payload> payload_from_json(const nlohmann::json& doc, const ledger::ModuleSet& modules);

}  // namespace metanode::services
