// `metanode query ... --verify`: checks what a node answered against the genesis alone, as an
// independent light client would (ledger/light_client.hpp), using only the canonical bytes in
// the answer ("encoded" fields), never the node's own JSON interpretation of them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/result.hpp"
#include "crypto/address.hpp"
#include "ledger/genesis.hpp"

namespace metanode::cli {

// Each returns a one-line summary of what was proven, or why the answer does not verify
// (kProofInvalid / kBlockInvalid; kNotFound while the block's certificate is being gathered).
core::Result<std::string> verify_block_answer(const nlohmann::json& answer, const ledger::Genesis& genesis);
core::Result<std::string> verify_tx_answer(const nlohmann::json& answer, const core::Hash32& tx_hash,
                                           const ledger::Genesis& genesis);
core::Result<std::string> verify_account_answer(const nlohmann::json& answer, const crypto::Address& address,
                                                const ledger::Genesis& genesis);

}  // namespace metanode::cli
