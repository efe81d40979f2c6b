#include "services/proofs/proof_check.hpp"

#include <map>

#include "crypto/hybrid.hpp"
#include "crypto/multisig.hpp"
#include "ledger/account.hpp"
#include "ledger/audit_proofs.hpp"
#include "ledger/light_client.hpp"
#include "ledger/module.hpp"
#include "modules/econ/econ.hpp"
#include "storage/audit_log.hpp"

namespace metanode::services {
namespace {

using nlohmann::json;

core::Error invalid(std::string why) { return core::make_error(core::ErrorCode::kProofInvalid, std::move(why)); }
core::Error malformed(std::string why) { return core::make_error(core::ErrorCode::kInvalidArgument, std::move(why)); }

std::uint64_t u64_of(const json& value) {
  auto parsed = ledger::u64_from_json(value, "field");
  return parsed.ok() ? *parsed : 0;
}

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

// The validator set a light client trusts at some height: genesis's, or one it learned from a
// chain of set changes each certified by the set before it.
struct TrustedSet {
  std::uint64_t number = 0;
  std::uint64_t first_height = 1;
  std::vector<crypto::PublicKey> keys;
};

core::Result<std::pair<ledger::Header, ledger::CommitCertificate>> certified(const json& block, const ledger::Genesis& genesis,
                                                                             const std::vector<crypto::PublicKey>& keys) {
  MN_TRY_ASSIGN(auto header, decode_field<ledger::Header>(block, "header"));
  if (!block.contains("certificate") || block["certificate"].is_null()) {
    return core::make_error(core::ErrorCode::kNotFound, "block " + std::to_string(header.height) +
                                                            " has no certificate yet (its validators' signatures are"
                                                            " still being gathered): try again in a moment");
  }
  MN_TRY_ASSIGN(auto cert, decode_field<ledger::CommitCertificate>(block, "certificate"));
  MN_TRY(ledger::verify_header(genesis, header, cert, keys));
  return std::pair{header, cert};
}

// Follows the answer's set changes ("epochs") from genesis's set to the one in force at `height`:
// each next set is read from entries proven against a header the set before it certified, within
// that set's heights, and begins after that header.
core::Result<TrustedSet> follow_sets(const json& epochs, const ledger::Genesis& genesis, std::uint64_t height) {
  TrustedSet trusted{0, 1, genesis.validator_keys()};
  if (epochs.is_null()) return trusted;
  if (!epochs.is_array()) return invalid("epochs must be a list of validator-set changes");
  for (const json& step : epochs) {
    const std::uint64_t n = step.is_object() ? step.value("set", std::uint64_t{0}) : 0;
    if (n != trusted.number + 1) return invalid("the set changes skip from set " + std::to_string(trusted.number));
    const std::string where = "validator set " + std::to_string(n) + ": ";
    auto proven = certified(step, genesis, trusted.keys);
    if (!proven.ok()) return core::make_error(proven.error().code, where + proven.error().message);
    const ledger::Header& header = proven->first;
    if (header.height < trusted.first_height) return invalid(where + "proven at a height before set " + std::to_string(trusted.number) + " began");
    std::map<core::Bytes, std::optional<core::Bytes>> entries;
    for (const json& entry : step.value("entries", json::array())) {
      if (entry.value("module", std::string()) != modules::kEconModule) return invalid(where + "an entry of another module");
      auto key = core::from_hex(entry.value("key", std::string()));
      if (!key.ok()) return invalid(where + "key: " + key.error().message);
      std::optional<core::Bytes> value;
      if (entry.contains("value_hex") && !entry["value_hex"].is_null()) {
        auto bytes = core::from_hex(entry["value_hex"].get<std::string>());
        if (!bytes.ok()) return invalid(where + "value_hex: " + bytes.error().message);
        value = std::move(bytes).value();
      }
      MN_TRY_ASSIGN(auto proof, decode_field<merkle::SmtProof>(entry, "proof"));
      auto st = ledger::verify_state_entry(header, modules::kEconModule, *key, value, proof);
      if (!st.ok()) return core::make_error(st.error().code, where + st.error().message);
      entries[*key] = std::move(value);
    }
    auto set = modules::read_epoch_set_from(
        [&entries, &where](core::ByteView key) -> core::Result<std::optional<core::Bytes>> {
          const auto it = entries.find(core::Bytes(key.begin(), key.end()));
          if (it == entries.end()) return invalid(where + "an entry of the set is not in the proof");
          return it->second;
        },
        n);
    if (!set.ok()) return core::make_error(set.error().code, where + set.error().message);
    if (!*set) return invalid(where + "proven absent");
    if ((*set)->number != n || (*set)->first_height <= header.height) return invalid(where + "does not begin after the header that proves it");
    if ((*set)->first_height > height) return invalid(where + "begins after height " + std::to_string(height));
    trusted.number = n;
    trusted.first_height = (*set)->first_height;
    trusted.keys.clear();
    for (const auto& m : (*set)->members) trusted.keys.push_back(m.key);
  }
  return trusted;
}

core::Result<Verified> verify_block(const json& block, const ledger::Genesis& genesis) {
  MN_TRY_ASSIGN(auto header, decode_field<ledger::Header>(block, "header"));
  MN_TRY_ASSIGN(const TrustedSet trusted, follow_sets(block.is_object() ? block.value("epochs", json()) : json(), genesis, header.height));
  MN_TRY_ASSIGN(auto proven, certified(block, genesis, trusted.keys));
  return Verified{proven.first, "block " + std::to_string(header.height) + " header signed by " +
                                    std::to_string(proven.second.signatures.size()) + " of " +
                                    std::to_string(trusted.keys.size()) +
                                    (trusted.number == 0 ? std::string(" genesis validators")
                                                         : " validators of set " + std::to_string(trusted.number) +
                                                               " (followed from genesis)")};
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

core::Result<std::string> verify_state_answer(const json& answer, const ledger::Genesis& genesis) {
  MN_TRY_ASSIGN(auto verified, verify_block(answer.value("block", json()), genesis));
  if (answer.value("height", std::uint64_t{0}) != verified.header.height) {
    return invalid("the proof is for another height than the block it came with");
  }
  const std::string module = answer.value("module", std::string());
  if (module.empty()) return invalid("the answer names no module");
  auto key = core::from_hex(answer.value("key", std::string()));
  if (!key.ok()) return invalid("key: " + key.error().message);
  std::optional<core::Bytes> value;
  if (answer.contains("value_hex") && !answer["value_hex"].is_null()) {
    auto bytes = core::from_hex(answer["value_hex"].get<std::string>());
    if (!bytes.ok()) return invalid("value_hex: " + bytes.error().message);
    value = std::move(bytes).value();
  }
  if (answer.value("exists", value.has_value()) != value.has_value()) return invalid("\"exists\" contradicts the value");
  MN_TRY_ASSIGN(auto proof, decode_field<merkle::SmtProof>(answer, "proof"));
  MN_TRY(ledger::verify_state_entry(verified.header, module, *key, value, proof));
  return "verified: " + module + " entry " + core::to_hex(*key).substr(0, 16) +
         (value ? " (" + std::to_string(value->size()) + " bytes)" : " proven absent") + " in the state root of " +
         verified.line;
}

namespace {

// A required field of a claim.
core::Result<const json*> field(const json& claim, const char* name) {
  if (!claim.contains(name) || claim[name].is_null()) return malformed(std::string("the claim has no \"") + name + "\"");
  return &claim[name];
}

core::Result<std::string> text_field(const json& claim, const char* name) {
  MN_TRY_ASSIGN(const json* value, field(claim, name));
  if (!value->is_string()) return malformed(std::string("\"") + name + "\" must be a string");
  return value->get<std::string>();
}

core::Result<core::Bytes> hex_field(const json& claim, const char* name) {
  MN_TRY_ASSIGN(const std::string text, text_field(claim, name));
  auto bytes = core::from_hex(text);
  if (!bytes.ok()) return malformed(std::string(name) + ": " + bytes.error().message);
  return bytes;
}

template <typename T>
core::Result<T> decoded_field(const json& claim, const char* name) {
  MN_TRY_ASSIGN(const core::Bytes bytes, hex_field(claim, name));
  auto decoded = core::decode<T>(bytes);
  if (!decoded.ok()) return invalid(std::string(name) + " does not decode: " + decoded.error().message);
  return decoded;
}

template <std::size_t N>
core::Result<core::ByteArray<N>> array_field(const json& claim, const char* name) {
  MN_TRY_ASSIGN(const core::Bytes bytes, hex_field(claim, name));
  if (bytes.size() != N) {
    return malformed(std::string(name) + " must be " + std::to_string(N) + " bytes, not " + std::to_string(bytes.size()));
  }
  core::ByteArray<N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

core::Result<std::optional<core::Domain>> domain_of(const json& claim) {
  if (!claim.contains("domain") || claim["domain"].is_null()) return std::optional<core::Domain>{};
  if (!claim["domain"].is_string()) return malformed("\"domain\" must be a string");
  const std::string name = claim["domain"].get<std::string>();
  for (std::size_t i = 0; i < core::kDomainCount; ++i) {
    const auto d = static_cast<core::Domain>(i);
    if (core::domain_name(d) == name) return std::optional<core::Domain>{d};
  }
  return malformed("no hash domain '" + name + "' (tx, block-header, vote, checkpoint, message, ...)");
}

core::Result<std::vector<core::Hash32>> hash_list(const json& list, const char* what) {
  if (!list.is_array()) return malformed(std::string(what) + " must be an array of hashes");
  std::vector<core::Hash32> out;
  for (const json& h : list) {
    if (!h.is_string()) return malformed(std::string(what) + " must hold hex strings");
    auto hash = core::array_from_hex<32>(h.get<std::string>());
    if (!hash.ok()) return malformed(std::string(what) + ": " + hash.error().message);
    out.push_back(*hash);
  }
  return out;
}

core::Result<std::string> claim_certificate(const json& claim, const ledger::Genesis& genesis) {
  MN_TRY_ASSIGN(auto header, decoded_field<ledger::Header>(claim, "header"));
  MN_TRY_ASSIGN(auto cert, decoded_field<ledger::CommitCertificate>(claim, "certificate"));
  MN_TRY_ASSIGN(const TrustedSet trusted, follow_sets(claim.value("epochs", json()), genesis, header.height));
  MN_TRY(ledger::verify_header(genesis, header, cert, trusted.keys));
  return "verified: block " + std::to_string(header.height) + " header signed by " + std::to_string(cert.signatures.size()) +
         " of " + std::to_string(trusted.keys.size()) +
         (trusted.number == 0 ? std::string(" genesis validators") : " validators of set " + std::to_string(trusted.number));
}

core::Result<std::string> claim_checkpoint(const json& claim, const ledger::Genesis& genesis) {
  MN_TRY_ASSIGN(const std::string note, text_field(claim, "note"));
  MN_TRY_ASSIGN(auto checked, ledger::check_audit_checkpoint(note, genesis));
  return "verified: audit checkpoint of " + checked.body.origin + " (" + checked.validator + "), " +
         std::to_string(checked.body.size) + " events, signed with Ed25519 and ML-DSA-65";
}

core::Result<std::string> claim_audit_event(const json& claim, const ledger::Genesis& genesis) {
  MN_TRY_ASSIGN(const std::string note, text_field(claim, "checkpoint"));
  MN_TRY_ASSIGN(auto checked, ledger::check_audit_checkpoint(note, genesis));
  MN_TRY_ASSIGN(const json* event, field(claim, "event"));
  MN_TRY_ASSIGN(const core::Bytes bytes, hex_field(*event, "bytes"));
  MN_TRY_ASSIGN(const json* proof_json, field(*event, "proof"));
  MN_TRY_ASSIGN(const merkle::InclusionProof proof, inclusion_proof_from_json(*proof_json));
  MN_TRY(ledger::check_audit_inclusion(bytes, proof, checked.body));
  auto event_fields = core::decode<storage::AuditEvent>(bytes);
  return "verified: audit event " + std::to_string(proof.index) + " (" + event_fields->action + " by " +
         event_fields->actor + ") is in checkpoint " + std::to_string(checked.body.size) + " of " + checked.body.origin;
}

core::Result<std::string> claim_audit_consistency(const json& claim, const ledger::Genesis& genesis) {
  MN_TRY_ASSIGN(const std::string old_note, text_field(claim, "old"));
  MN_TRY_ASSIGN(const std::string new_note, text_field(claim, "new"));
  MN_TRY_ASSIGN(auto older, ledger::check_audit_checkpoint(old_note, genesis));
  MN_TRY_ASSIGN(auto newer, ledger::check_audit_checkpoint(new_note, genesis));
  MN_TRY_ASSIGN(const json* proof_json, field(claim, "proof"));
  MN_TRY_ASSIGN(const merkle::ConsistencyProof proof, consistency_proof_from_json(*proof_json));
  MN_TRY(ledger::check_audit_consistency(proof, older.body, newer.body));
  return "verified: checkpoint " + std::to_string(newer.body.size) + " of " + newer.body.origin + " extends checkpoint " +
         std::to_string(older.body.size);
}

core::Result<std::string> claim_signature(const json& claim, const ledger::Genesis&) {
  MN_TRY_ASSIGN(auto key, array_field<32>(claim, "public_key"));
  MN_TRY_ASSIGN(auto sig, array_field<64>(claim, "signature"));
  MN_TRY_ASSIGN(const core::Bytes message, hex_field(claim, "message"));
  MN_TRY_ASSIGN(const auto domain, domain_of(claim));
  const crypto::PublicKey public_key{key};
  const crypto::Signature signature{sig};
  const std::string who = crypto::Address::from_public_key(public_key).to_string();
  if (domain) {
    MN_TRY(crypto::verify(public_key, *domain, message, signature));
    return "verified: Ed25519 signature of " + who + " over the message in domain " + std::string(core::domain_name(*domain));
  }
  if (!crypto::verify_raw(public_key, message, signature)) {
    return core::make_error(core::ErrorCode::kBadSignature, "the Ed25519 signature does not verify over the message");
  }
  return "verified: Ed25519 signature of " + who + " over the raw message";
}

core::Result<std::string> claim_hybrid(const json& claim, const ledger::Genesis&) {
  MN_TRY_ASSIGN(const json* keys, field(claim, "public_key"));
  MN_TRY_ASSIGN(const json* sigs, field(claim, "signature"));
  crypto::HybridPublicKey key;
  crypto::HybridSignature signature;
  MN_TRY_ASSIGN(key.ed25519.bytes, array_field<32>(*keys, "ed25519"));
  MN_TRY_ASSIGN(key.mldsa.bytes, array_field<crypto::kMldsaPublicKeyBytes>(*keys, "mldsa"));
  MN_TRY_ASSIGN(signature.ed25519.bytes, array_field<64>(*sigs, "ed25519"));
  MN_TRY_ASSIGN(signature.mldsa.bytes, array_field<crypto::kMldsaSignatureBytes>(*sigs, "mldsa"));
  MN_TRY_ASSIGN(const core::Bytes message, hex_field(claim, "message"));
  MN_TRY_ASSIGN(const auto domain, domain_of(claim));
  if (!domain) return malformed("a hybrid signature covers a domain-tagged digest: give \"domain\"");
  MN_TRY(crypto::hybrid_verify(key, *domain, message, signature));
  return "verified: Ed25519 and ML-DSA-65 signatures of " + crypto::Address::from_public_key(key.ed25519).to_string() +
         " over the message in domain " + std::string(core::domain_name(*domain));
}

core::Result<std::string> claim_multisig(const json& claim, const ledger::Genesis&) {
  MN_TRY_ASSIGN(const json* policy_json, field(claim, "policy"));
  crypto::MultisigPolicy policy;
  const std::uint64_t threshold = u64_of(policy_json->value("threshold", json()));
  if (threshold == 0 || threshold > crypto::kMultisigSignersMax) return malformed("policy.threshold must be 1-16");
  policy.threshold = static_cast<std::uint8_t>(threshold);
  MN_TRY_ASSIGN(auto signer_keys, hash_list(policy_json->value("signers", json()), "policy.signers"));
  for (const auto& k : signer_keys) policy.signers.push_back(crypto::PublicKey{k});
  if (auto st = policy.validate(); !st.ok()) return malformed("policy: " + st.error().message);
  MN_TRY_ASSIGN(const json* list, field(claim, "signatures"));
  if (!list->is_array() || list->size() > crypto::kMultisigSignersMax) return malformed("signatures must be an array of at most 16");
  std::vector<crypto::SignerSignature> signatures;
  for (const json& s : *list) {
    crypto::SignerSignature one;
    MN_TRY_ASSIGN(one.signer.bytes, array_field<32>(s, "signer"));
    MN_TRY_ASSIGN(one.signature.bytes, array_field<64>(s, "signature"));
    signatures.push_back(one);
  }
  MN_TRY_ASSIGN(const core::Bytes message, hex_field(claim, "message"));
  MN_TRY_ASSIGN(const auto domain, domain_of(claim));
  if (!domain) return malformed("a multisignature covers a domain-tagged digest: give \"domain\"");
  MN_TRY(crypto::verify_multisig(policy, *domain, message, signatures));
  return "verified: " + std::to_string(signatures.size()) + " signature(s) satisfy the " + std::to_string(policy.threshold) +
         "-of-" + std::to_string(policy.signers.size()) + " policy " + policy.address().to_string();
}

using ClaimCheck = core::Result<std::string> (*)(const json&, const ledger::Genesis&);

core::Result<std::string> claim_block(const json& claim, const ledger::Genesis& genesis) {
  MN_TRY_ASSIGN(const json* block, field(claim, "block"));
  return verify_block_answer(*block, genesis);
}

core::Result<std::string> claim_tx(const json& claim, const ledger::Genesis& genesis) {
  MN_TRY_ASSIGN(auto hash, array_field<32>(claim, "hash"));
  MN_TRY_ASSIGN(const json* answer, field(claim, "answer"));
  return verify_tx_answer(*answer, hash, genesis);
}

core::Result<std::string> claim_account(const json& claim, const ledger::Genesis& genesis) {
  MN_TRY_ASSIGN(const std::string text, text_field(claim, "address"));
  auto address = crypto::Address::parse(text);
  if (!address.ok()) return malformed("address: " + address.error().message);
  MN_TRY_ASSIGN(const json* answer, field(claim, "answer"));
  return verify_account_answer(*answer, *address, genesis);
}

core::Result<std::string> claim_state(const json& claim, const ledger::Genesis& genesis) {
  MN_TRY_ASSIGN(const json* answer, field(claim, "answer"));
  return verify_state_answer(*answer, genesis);
}

constexpr std::pair<std::string_view, ClaimCheck> kClaims[] = {
    {"block", claim_block},
    {"tx", claim_tx},
    {"account", claim_account},
    {"state", claim_state},
    {"certificate", claim_certificate},
    {"checkpoint", claim_checkpoint},
    {"audit-event", claim_audit_event},
    {"audit-consistency", claim_audit_consistency},
    {"signature", claim_signature},
    {"hybrid-signature", claim_hybrid},
    {"multisig", claim_multisig},
};

}  // namespace

core::Result<merkle::InclusionProof> inclusion_proof_from_json(const json& proof) {
  if (!proof.is_object()) return malformed("a proof is an object {index, tree_size, path}");
  MN_TRY_ASSIGN(auto path, hash_list(proof.value("path", json()), "proof.path"));
  return merkle::InclusionProof{u64_of(proof.value("index", json())), u64_of(proof.value("tree_size", json())), std::move(path)};
}

core::Result<merkle::ConsistencyProof> consistency_proof_from_json(const json& proof) {
  if (!proof.is_object()) return malformed("a consistency proof is an object {old_size, new_size, path}");
  MN_TRY_ASSIGN(auto path, hash_list(proof.value("path", json()), "proof.path"));
  return merkle::ConsistencyProof{u64_of(proof.value("old_size", json())), u64_of(proof.value("new_size", json())),
                                  std::move(path)};
}

std::vector<std::string_view> claim_kinds() {
  std::vector<std::string_view> kinds;
  for (const auto& [kind, check] : kClaims) kinds.push_back(kind);
  return kinds;
}

core::Result<std::string> verify_claim(const json& claim, const ledger::Genesis& genesis) {
  if (!claim.is_object()) return malformed("a claim is a JSON object with a \"kind\"");
  const std::string kind = claim.value("kind", std::string());
  for (const auto& [name, check] : kClaims) {
    if (name == kind) return check(claim, genesis);
  }
  std::string known;
  for (const auto& [name, check] : kClaims) known += (known.empty() ? "" : ", ") + std::string(name);
  return malformed("unknown claim kind '" + kind + "' (there is: " + known + ")");
}

}  // namespace metanode::services
