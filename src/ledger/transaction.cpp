#include "ledger/transaction.hpp"

#include "core/utf8.hpp"

#include <cassert>
#include <limits>

namespace metanode::ledger {
namespace {
core::Error malformed(std::string why) { return core::make_error(core::ErrorCode::kTxMalformed, std::move(why)); }
}  // namespace

bool is_valid_name(std::string_view name, std::size_t bytes_max) {
  if (name.empty() || name.size() > bytes_max) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

crypto::Address Transaction::compute_sender() const {
  return sender_kind == SenderKind::kSingle ? crypto::Address::from_public_key(sender_key) : sender_policy.address();
}

crypto::Address Transaction::sender() const {
  if (!memo_.sender) return compute_sender();
  assert(*memo_.sender == compute_sender() && "a sealed transaction's sender was changed");
  return *memo_.sender;
}

void Transaction::seal() {
  memo_.hash = compute_hash();
  memo_.sender = compute_sender();
}

void Transaction::encode_body(core::Writer& w) const {
  w.string(chain_id, kChainIdBytesMax);
  w.u8(static_cast<std::uint8_t>(sender_kind));
  if (sender_kind == SenderKind::kSingle) {
    sender_key.encode(w);
  } else {
    sender_policy.encode(w);
  }
  w.u64(nonce);
  w.u64(max_fee);
  w.u64(bid);
  w.string(payload.module, kModuleNameBytesMax);
  w.string(payload.kind, kPayloadKindBytesMax);
  w.bytes(payload.data, kPayloadDataBytesMax);
  w.string(memo, kMemoBytesMax);
}

core::Bytes Transaction::body() const {
  core::Writer w(256);
  encode_body(w);
  return std::move(w).take();
}

core::Hash32 Transaction::compute_hash() const { return core::hash(core::Domain::Tx, body()); }

core::Hash32 Transaction::hash() const {
  if (!memo_.hash) return compute_hash();
  assert(*memo_.hash == compute_hash() && "a sealed transaction's body was changed");
  return *memo_.hash;
}

core::Hash32 Transaction::signing_digest(const core::Hash32& genesis_digest) const {
  return core::hash(core::Domain::TxSignature, genesis_digest, hash());
}

void Transaction::encode(core::Writer& w) const {
  encode_body(w);
  if (sender_kind == SenderKind::kSingle) {
    signature.encode(w);
  } else {
    crypto::encode_signer_signatures(w, multisig_signatures);
  }
}

core::Result<Transaction> Transaction::decode(core::Reader& r) {
  Transaction tx;
  const std::size_t body_start = r.offset();
  MN_TRY_ASSIGN(tx.chain_id, r.string(kChainIdBytesMax));
  MN_TRY_ASSIGN(const std::uint8_t kind, r.u8());
  if (kind == static_cast<std::uint8_t>(SenderKind::kSingle)) {
    tx.sender_kind = SenderKind::kSingle;
    MN_TRY_ASSIGN(tx.sender_key, crypto::PublicKey::decode(r));
  } else if (kind == static_cast<std::uint8_t>(SenderKind::kMultisig)) {
    tx.sender_kind = SenderKind::kMultisig;
    MN_TRY_ASSIGN(tx.sender_policy, crypto::MultisigPolicy::decode(r));
  } else {
    return core::make_error(core::ErrorCode::kDecodeInvalidValue, "sender kind " + std::to_string(kind) + " is unknown");
  }
  MN_TRY_ASSIGN(tx.nonce, r.u64());
  MN_TRY_ASSIGN(tx.max_fee, r.u64());
  MN_TRY_ASSIGN(tx.bid, r.u64());
  MN_TRY_ASSIGN(tx.payload.module, r.string(kModuleNameBytesMax));
  if (!is_valid_name(tx.payload.module, kModuleNameBytesMax)) {
    return core::make_error(core::ErrorCode::kDecodeInvalidValue, "payload module name is not 1-32 of [a-z0-9_]");
  }
  MN_TRY_ASSIGN(tx.payload.kind, r.string(kPayloadKindBytesMax));
  if (!is_valid_name(tx.payload.kind, kPayloadKindBytesMax)) {
    return core::make_error(core::ErrorCode::kDecodeInvalidValue, "payload kind name is not 1-32 of [a-z0-9_]");
  }
  MN_TRY_ASSIGN(tx.payload.data, r.bytes(kPayloadDataBytesMax));
  MN_TRY_ASSIGN(tx.memo, r.string(kMemoBytesMax));
  tx.memo_.hash = core::hash(core::Domain::Tx, r.consumed_since(body_start));
  tx.memo_.sender = tx.compute_sender();
  if (tx.sender_kind == SenderKind::kSingle) {
    MN_TRY_ASSIGN(tx.signature, crypto::Signature::decode(r));
  } else {
    MN_TRY_ASSIGN(tx.multisig_signatures, crypto::decode_signer_signatures(r));
  }
  return tx;
}

void Transaction::sign_single(const crypto::KeyPair& key, const core::Hash32& genesis_digest) {
  memo_ = {};  // the sender key is part of the body
  sender_kind = SenderKind::kSingle;
  sender_key = key.public_key();
  signature = key.sign_digest(signing_digest(genesis_digest));
}

void Transaction::add_multisig_signature(const crypto::KeyPair& member, const core::Hash32& genesis_digest) {
  multisig_signatures.push_back(
      crypto::SignerSignature{member.public_key(), member.sign_digest(signing_digest(genesis_digest))});
}

core::Status Transaction::check_signatures(const core::Hash32& genesis_digest) const {
  const core::Hash32 digest = signing_digest(genesis_digest);
  if (sender_kind == SenderKind::kSingle) {
    if (!crypto::verify_digest(sender_key, digest, signature)) {
      return core::make_error(core::ErrorCode::kBadSignature, "transaction signature does not verify for sender " +
                                                                  sender().to_string());
    }
    return {};
  }
  return crypto::verify_multisig_digest(sender_policy, digest, multisig_signatures);
}

core::Status Transaction::check_stateless(const ChainBinding& chain) const {
  MN_TRY(check_stateless_without_signatures(chain.chain_id));
  return check_signatures(chain.genesis_digest);
}

core::Status Transaction::check_stateless_without_signatures(std::string_view expected_chain_id) const {
  if (chain_id != expected_chain_id) {
    // The chain id came from the sender: quote it only when it is text.
    const std::string named = core::is_valid_utf8(chain_id) ? "'" + chain_id + "'" : "(not UTF-8 text)";
    return core::make_error(core::ErrorCode::kTxWrongChain,
                            "transaction is for chain " + named + ", this is '" + std::string(expected_chain_id) + "'");
  }
  if (!core::is_valid_utf8(memo)) return malformed("memo is not valid UTF-8");
  if (bid > max_fee) {
    return malformed("bid " + std::to_string(bid) + " exceeds max_fee " + std::to_string(max_fee));
  }
  if (!is_valid_name(payload.module, kModuleNameBytesMax) || !is_valid_name(payload.kind, kPayloadKindBytesMax)) {
    return malformed("payload module and kind must be 1-32 of [a-z0-9_]");
  }
  if (payload.data.size() > kPayloadDataBytesMax) {
    return malformed("payload of " + std::to_string(payload.data.size()) + " bytes exceeds " +
                     std::to_string(kPayloadDataBytesMax));
  }
  if (sender_kind == SenderKind::kMultisig) MN_TRY(sender_policy.validate());
  return {};
}

std::optional<std::uint64_t> fee_for(const Transaction& tx, std::uint64_t base_fee) {
  if (tx.max_fee < base_fee) return std::nullopt;
  const std::uint64_t headroom = tx.max_fee - base_fee;
  return base_fee + std::min(tx.bid, headroom);
}

}  // namespace metanode::ledger
