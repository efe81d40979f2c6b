// Transactions: who sends (one Ed25519 key or an m-of-n multisig policy), the nonce that orders
// a sender's transactions, what the sender will pay (max fee and the bid that competes in the
// auction), a typed payload, and the signature(s). The transaction hash (domain "tx") covers
// everything but the signatures and is the transaction's id; the signatures sign
// hash("tx-signature", genesis digest || transaction hash), so they hold on one chain only.
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

// Names of modules and of their payload and event kinds: 1-32 bytes of [a-z0-9_]. One byte
// form per name, so the encoding stays canonical and names read well in URLs and JSON.
inline constexpr std::size_t kModuleNameBytesMax = 32;
inline constexpr std::size_t kPayloadKindBytesMax = 32;
// A payload's own bytes; the rest of the transaction (sender, fees, memo, signatures) fits in
// what kTxBytesMax leaves.
inline constexpr std::size_t kPayloadDataBytesMax = 3072;

// Whether `name` is a valid module or kind name.
bool is_valid_name(std::string_view name, std::size_t bytes_max);

// What a transaction does: the module that runs it, which of its kinds, and the kind's own
// canonical bytes (the module decodes and checks them; see ledger/module.hpp).
struct Payload {
  std::string module;
  std::string kind;
  core::Bytes data;

  bool operator==(const Payload&) const = default;
};

// The chain a transaction is for: the name it carries (checked against chain_id) and the digest
// of the chain's whole genesis file (Genesis::digest()), which every signature of the transaction
// binds. A transaction signed for one chain verifies on no chain whose genesis differs in any
// field, even one with the same name.
struct ChainBinding {
  std::string chain_id;
  core::Hash32 genesis_digest{};
};

enum class SenderKind : std::uint8_t { kSingle = 0, kMultisig = 1 };

struct Transaction {
  static constexpr std::size_t kEncodeReserveBytes = 256;  // a transfer is about 205 bytes

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

  // The sender's address and the transaction's id, hash(Domain::Tx, body). Each is computed once
  // for a sealed transaction (see seal()), on every call for one still being built.
  crypto::Address sender() const;
  core::Hash32 hash() const;
  // Remembers hash() and sender(), which every stage of the node asks for (admission, gossip,
  // proposal checks, execution, the index, block listeners): about eight times per transaction
  // per node otherwise, each an encoding and a hash. decode() seals what it decodes (hashing the
  // body bytes as they arrived, which the canonical codec makes the same bytes body() would
  // produce); the JSON reader seals what it builds. A sealed transaction's body fields must not
  // change afterwards (copy it into a new Transaction and change that one before sealing it):
  // debug builds check the memo against a fresh computation on every call.
  void seal();
  bool sealed() const { return memo_.hash.has_value(); }
  // hash(Domain::TxSignature, genesis_digest || hash()): what the signatures sign.
  core::Hash32 signing_digest(const core::Hash32& genesis_digest) const;
  // Canonical bytes of everything but the signatures.
  core::Bytes body() const;

  // Signs as a single-key sender for the chain of that genesis (sets sender_key and signature).
  void sign_single(const crypto::KeyPair& key, const core::Hash32& genesis_digest);
  // Adds one policy member's signature (sender_kind must be kMultisig).
  void add_multisig_signature(const crypto::KeyPair& member, const core::Hash32& genesis_digest);

  // The stateless checks every transaction has whatever its payload: chain id, sizes, the
  // multisig policy and the signatures. kBadSignature, kTxWrongChain, kTxMalformed. The
  // payload's own checks belong to its module: ModuleSet::check_stateless runs both.
  core::Status check_stateless(const ChainBinding& chain) const;
  // The same without the signatures, for callers that verified them already (a batch verifier,
  // or a peer path that checked them once): kTxWrongChain, kTxMalformed.
  core::Status check_stateless_without_signatures(std::string_view expected_chain_id) const;
  // kBadSignature (or a multisig code) unless the signatures sign this transaction for the chain
  // of that genesis.
  core::Status check_signatures(const core::Hash32& genesis_digest) const;

  void encode(core::Writer& w) const;
  static core::Result<Transaction> decode(core::Reader& r);

 private:
  void encode_body(core::Writer& w) const;
  core::Hash32 compute_hash() const;
  crypto::Address compute_sender() const;

  struct Memo {
    std::optional<core::Hash32> hash;
    std::optional<crypto::Address> sender;
    bool operator==(const Memo&) const { return true; }  // a cache: never part of equality
  };
  Memo memo_;
};

// The fee a transaction pays in a block with this base fee: base fee + bid, capped at max_fee.
// nullopt when max_fee does not even cover the base fee (the transaction cannot be included).
std::optional<std::uint64_t> fee_for(const Transaction& tx, std::uint64_t base_fee);

}  // namespace metanode::ledger
