// Transactions: who sends (one Ed25519 key or an m-of-n multisig policy), the nonce that orders
// a sender's transactions, what the sender will pay (max fee and the bid that competes in the
// auction), a typed payload, and the signature(s). The transaction hash covers everything but
// the signatures, and it is the digest the signatures sign (domain "tx").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/codec.hpp"
#include "core/hash.hpp"
#include "core/result.hpp"
#include "crypto/address.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/multisig.hpp"

namespace metanode::ledger {

inline constexpr std::size_t kChainIdBytesMax = 64;
inline constexpr std::size_t kMemoBytesMax = 256;
inline constexpr std::size_t kTxBytesMax = 4096;  // an encoded transaction, signatures included

struct TransferPayload {
  crypto::Address to;
  std::uint64_t amount = 0;
  bool operator==(const TransferPayload&) const = default;
};

// Payload kinds are encoded as a u8 tag: 0 = transfer. New kinds take new tags.
using Payload = std::variant<TransferPayload>;

enum class SenderKind : std::uint8_t { kSingle = 0, kMultisig = 1 };

struct Transaction {
  std::string chain_id;
  SenderKind sender_kind = SenderKind::kSingle;
  crypto::PublicKey sender_key;           // kSingle
  crypto::MultisigPolicy sender_policy;   // kMultisig: the account is sender_policy.address()
  std::uint64_t nonce = 0;
  std::uint64_t max_fee = 0;  // the most the sender pays: base fee + bid, capped by this
  std::uint64_t bid = 0;      // the tip offered to the proposer; the auction orders by it
  Payload payload;
  std::string memo;
  // Not covered by the hash:
  crypto::Signature signature;                          // kSingle
  std::vector<crypto::SignerSignature> multisig_signatures;  // kMultisig

  bool operator==(const Transaction&) const = default;

  crypto::Address sender() const;
  // hash(Domain::Tx, body): the transaction's id and the digest its signatures sign.
  core::Hash32 hash() const;
  // Canonical bytes of everything but the signatures.
  core::Bytes body() const;

  // Signs as a single-key sender (sets sender_key and signature).
  void sign_single(const crypto::KeyPair& key);
  // Adds one policy member's signature (sender_kind must be kMultisig).
  void add_multisig_signature(const crypto::KeyPair& member);

  // Stateless checks: chain id, sizes, payload sanity and signatures. kBadSignature,
  // kTxWrongChain, kTxMalformed. Equals check_stateless_without_signatures, then
  // check_signatures.
  core::Status check_stateless(std::string_view expected_chain_id) const;
  // Every stateless check but the signatures, for callers that verified them already (a batch
  // verifier, or a peer path that checked them once): kTxWrongChain, kTxMalformed.
  core::Status check_stateless_without_signatures(std::string_view expected_chain_id) const;
  core::Status check_signatures() const;

  void encode(core::Writer& w) const;
  static core::Result<Transaction> decode(core::Reader& r);

 private:
  void encode_body(core::Writer& w) const;
};

// The fee a transaction pays in a block with this base fee: base fee + bid, capped at max_fee.
// nullopt when max_fee does not even cover the base fee (the transaction cannot be included).
std::optional<std::uint64_t> fee_for(const Transaction& tx, std::uint64_t base_fee);

}  // namespace metanode::ledger
