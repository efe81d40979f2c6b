// Light-client verification: what an auditor, a partner chain or a browser checks holding only
// the genesis file. A header is trusted when a quorum of the genesis validators signed it (its
// CommitCertificate); then one Merkle proof against one of its roots proves a transaction, a
// receipt or any module's state entry, without replaying the chain.
#pragma once

#include <optional>
#include <string_view>

#include "core/result.hpp"
#include "ledger/block.hpp"
#include "ledger/genesis.hpp"
#include "merkle/merkle_tree.hpp"
#include "merkle/sparse_merkle_tree.hpp"

namespace metanode::ledger {

// The header's certificate names this header (height and hash), its validator set is the
// genesis's, and at least a quorum of distinct genesis validators signed it for this chain
// (Genesis::digest binds the signatures). kBlockInvalid with the reason otherwise.
core::Status verify_header(const Genesis& genesis, const Header& header, const CommitCertificate& certificate);
// The same with the validator set in force at the header's height (a light client follows set
// changes from genesis: services/proofs/proof_check.hpp), a quorum of `validators` signing.
core::Status verify_header(const Genesis& genesis, const Header& header, const CommitCertificate& certificate,
                           const std::vector<crypto::PublicKey>& validators);

// Against a verified header. Each proof must be for exactly the header's tree: the transaction
// and receipt trees hold header.tx_count leaves, so a proof for another size is refused
// (kProofInvalid) even where RFC 9162 arithmetic alone would pass it.
core::Status verify_tx_inclusion(const Header& header, const core::Hash32& tx_hash, const merkle::InclusionProof& proof);
core::Status verify_receipt_inclusion(const Header& header, const Receipt& receipt, const merkle::InclusionProof& proof);
// A module entry (value nullopt: proven absent) in the header's state root.
core::Status verify_state_entry(const Header& header, std::string_view module, core::ByteView key,
                                const std::optional<core::Bytes>& value, const merkle::SmtProof& proof);

}  // namespace metanode::ledger
