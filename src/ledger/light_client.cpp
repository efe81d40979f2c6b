#include "ledger/light_client.hpp"

#include "ledger/state.hpp"
#include "ledger/transaction.hpp"

namespace metanode::ledger {
namespace {

core::Status bind_size(const Header& header, const merkle::InclusionProof& proof, std::string_view tree) {
  if (proof.tree_size != header.tx_count) {
    return core::make_error(core::ErrorCode::kProofInvalid,
                            std::string(tree) + " proof is for a tree of " + std::to_string(proof.tree_size) +
                                " leaves; block " + std::to_string(header.height) + " holds " +
                                std::to_string(header.tx_count));
  }
  return {};
}

}  // namespace

core::Status verify_header(const Genesis& genesis, const Header& header, const CommitCertificate& certificate) {
  return verify_header(genesis, header, certificate, genesis.validator_keys());
}

core::Status verify_header(const Genesis& genesis, const Header& header, const CommitCertificate& certificate,
                           const std::vector<crypto::PublicKey>& validators) {
  const auto bad = [](std::string why) { return core::make_error(core::ErrorCode::kBlockInvalid, std::move(why)); };
  if (certificate.height != header.height) {
    return bad("the certificate is for height " + std::to_string(certificate.height) + ", the header is " +
               std::to_string(header.height));
  }
  if (certificate.block_hash != header.hash()) return bad("the certificate names another header");
  // Headers name the chain's genesis set (Chain::make_header); the set signing is the height's.
  if (header.validator_set_hash != genesis.validator_set_hash()) return bad("the header's validator set is not the genesis's");
  return verify_commit(certificate, genesis.digest(), validators, quorum_of(validators.size()));
}

core::Status verify_tx_inclusion(const Header& header, const core::Hash32& tx_hash, const merkle::InclusionProof& proof) {
  MN_TRY(bind_size(header, proof, "transaction"));
  return merkle::verify_inclusion(merkle::leaf_hash(tx_hash), proof, header.tx_root);
}

core::Status verify_receipt_inclusion(const Header& header, const Receipt& receipt, const merkle::InclusionProof& proof) {
  MN_TRY(bind_size(header, proof, "receipt"));
  return merkle::verify_inclusion(merkle::leaf_hash(receipt.hash()), proof, header.receipts_root);
}

core::Status verify_state_entry(const Header& header, std::string_view module, core::ByteView key,
                                const std::optional<core::Bytes>& value, const merkle::SmtProof& proof) {
  if (!is_valid_name(module, kModuleNameBytesMax)) {
    return core::make_error(core::ErrorCode::kProofInvalid, "module name is not 1-32 of [a-z0-9_]");
  }
  if (key.size() > kStateKeyBytesMax) {
    return core::make_error(core::ErrorCode::kProofInvalid, "a state key is at most " + std::to_string(kStateKeyBytesMax) + " bytes");
  }
  return merkle::SparseMerkleTree::verify_proof(header.state_root, state_tree_key(module, key), value, proof);
}

}  // namespace metanode::ledger
