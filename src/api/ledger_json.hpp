// JSON forms of ledger objects for the HTTP API and the CLI. Amounts are JSON numbers (u64);
// hashes and keys are lower-case hex; addresses are bech32m text.
#pragma once

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "ledger/chain.hpp"
#include "merkle/merkle_tree.hpp"
#include "merkle/sparse_merkle_tree.hpp"

namespace metanode::api {

nlohmann::json to_json(const ledger::Transaction& tx);
nlohmann::json to_json(const ledger::Receipt& receipt);
nlohmann::json to_json(const ledger::Header& header);
nlohmann::json to_json(const ledger::CommitCertificate& commit);
nlohmann::json to_json(const merkle::InclusionProof& proof);
nlohmann::json to_json(const merkle::SmtProof& proof);
// Header, hash, commit, and either the transaction hashes or (full) the transactions.
nlohmann::json block_to_json(const ledger::StoredBlock& block, bool full);

// Parses the JSON form of a transaction (as to_json writes it; "hash" is ignored). Errors are
// kTxMalformed with the offending field named.
core::Result<ledger::Transaction> transaction_from_json(const nlohmann::json& doc);

// Reads a u64 given as a JSON number or a decimal string.
core::Result<std::uint64_t> u64_from_json(const nlohmann::json& value, std::string_view field);

}  // namespace metanode::api
