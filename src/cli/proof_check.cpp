#include "cli/proof_check.hpp"

#include "cli/json_u64.hpp"

#include "ledger/account.hpp"
#include "ledger/light_client.hpp"

namespace metanode::cli {
namespace {

using nlohmann::json;

core::Error invalid(std::string why) { return core::make_error(core::ErrorCode::kProofInvalid, std::move(why)); }

// The canonical bytes in `doc[field]["encoded"]` (or `doc[field]` itself when it is a string).
template <typename T>
core::Result<T> decode_field(const json& doc, const std::string& field) {
  if (!doc.is_object() || !doc.contains(field)) return invalid("the answer has no " + field);
  const json& value = doc[field];
  const json& encoded = value.is_object() ? value.value("encoded", json()) : value;
  if (!encoded.is_string()) return invalid(field + " carries no canonical bytes");
  auto bytes = core::from_hex(encoded.get<std::string>());
  if (!bytes.ok()) return invalid(field + ": " + bytes.error().message);
  auto decoded = core::decode<T>(*bytes);
  if (!decoded.ok()) return invalid(field + " does not decode: " + decoded.error().message);
  return decoded;
}

struct Verified {
  ledger::Header header;
  std::string line;
};

core::Result<Verified> verify_block(const json& block, const ledger::Genesis& genesis) {
  MN_TRY_ASSIGN(auto header, decode_field<ledger::Header>(block, "header"));
  if (!block.contains("certificate") || block["certificate"].is_null()) {
    return core::make_error(core::ErrorCode::kNotFound, "block " + std::to_string(header.height) +
                                                            " has no certificate yet (its validators' signatures are"
                                                            " still being gathered): try again in a moment");
  }
  MN_TRY_ASSIGN(auto cert, decode_field<ledger::CommitCertificate>(block, "certificate"));
  MN_TRY(ledger::verify_header(genesis, header, cert));
  return Verified{header, "block " + std::to_string(header.height) + " header signed by " +
                              std::to_string(cert.signatures.size()) + " of " + std::to_string(genesis.validators.size()) +
                              " genesis validators"};
}

}  // namespace

core::Result<std::string> verify_block_answer(const json& answer, const ledger::Genesis& genesis) {
  MN_TRY_ASSIGN(auto verified, verify_block(answer, genesis));
  return "verified: " + verified.line;
}

core::Result<std::string> verify_tx_answer(const json& answer, const core::Hash32& tx_hash, const ledger::Genesis& genesis) {
  if (answer.value("status", std::string()) != "committed") return invalid("the transaction is not committed: nothing to prove");
  MN_TRY_ASSIGN(auto verified, verify_block(answer.value("block", json()), genesis));
  MN_TRY_ASSIGN(auto tx, decode_field<ledger::Transaction>(answer, "tx"));
  if (tx.hash() != tx_hash) return invalid("the answer's transaction has another hash");
  if (auto st = tx.check_signatures(genesis.digest()); !st.ok()) {
    return invalid("the transaction's signatures do not sign it for this genesis: " + st.error().message);
  }
  MN_TRY_ASSIGN(auto proof, decode_field<merkle::InclusionProof>(answer, "inclusion_proof"));
  MN_TRY(ledger::verify_tx_inclusion(verified.header, tx_hash, proof));
  MN_TRY_ASSIGN(auto receipt, decode_field<ledger::Receipt>(answer, "receipt"));
  if (receipt.tx_hash != tx_hash) return invalid("the answer's receipt is for another transaction");
  MN_TRY_ASSIGN(auto receipt_proof, decode_field<merkle::InclusionProof>(answer, "receipt_proof"));
  if (receipt_proof.index != proof.index) return invalid("the receipt proof is for another position in the block");
  MN_TRY(ledger::verify_receipt_inclusion(verified.header, receipt, receipt_proof));
  return "verified: transaction (signed by its sender for this chain) and its receipt (" +
         std::string(receipt.status == ledger::ReceiptStatus::kSuccess ? "success" : "failed") + ") are in " +
         verified.line;
}

core::Result<std::string> verify_account_answer(const json& answer, const crypto::Address& address,
                                                const ledger::Genesis& genesis) {
  MN_TRY_ASSIGN(auto verified, verify_block(answer.value("block", json()), genesis));
  if (answer.value("height", std::uint64_t{0}) != verified.header.height) {
    return invalid("the proof is for another height than the block it came with");
  }
  std::optional<core::Bytes> value;
  if (answer.contains("value") && !answer["value"].is_null()) {
    auto bytes = core::from_hex(answer["value"].get<std::string>());
    if (!bytes.ok()) return invalid("value: " + bytes.error().message);
    value = std::move(bytes).value();
  }
  MN_TRY_ASSIGN(auto proof, decode_field<merkle::SmtProof>(answer, "proof"));
  MN_TRY(ledger::verify_state_entry(verified.header, ledger::kAccountsModule, address.bytes, value, proof));
  ledger::Account account;
  if (value.has_value()) {
    auto decoded = core::decode<ledger::Account>(*value);
    if (!decoded.ok()) return invalid("the proven value is not an account record");
    account = *decoded;
  }
  if (u64_of(answer.value("balance", nlohmann::json())) != account.balance ||
      u64_of(answer.value("nonce", nlohmann::json())) != account.nonce) {
    return invalid("the answer's balance or nonce differs from the proven record");
  }
  return "verified: balance " + std::to_string(account.balance) + ", nonce " + std::to_string(account.nonce) +
         (value.has_value() ? "" : " (absent)") + " in the state root of " + verified.line;
}

}  // namespace metanode::cli
