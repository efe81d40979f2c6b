// Blocks, headers, receipts and commit certificates: what the chain commits, byte for byte.
// The block hash is hash(Domain::BlockHeader, header); the header commits to the transactions
// (tx_root), their outcomes (receipts_root) and the resulting state (state_root).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/codec.hpp"
#include "core/hash.hpp"
#include "core/result.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/multisig.hpp"
#include "ledger/transaction.hpp"

namespace metanode::ledger {

inline constexpr std::size_t kBlockTxsMax = 50'000;
inline constexpr std::size_t kEventsPerReceiptMax = 16;
inline constexpr std::size_t kEventDataBytesMax = 1024;
inline constexpr std::size_t kErrorMessageBytesMax = 256;
inline constexpr std::size_t kCertificateSignersMax = 256;  // one per validator at most

struct Header {
  std::uint64_t height = 0;
  core::Hash32 parent_hash{};
  std::int64_t timestamp_unix_ms = 0;
  crypto::PublicKey proposer;
  core::Hash32 tx_root{};
  core::Hash32 receipts_root{};
  core::Hash32 state_root{};
  core::Hash32 validator_set_hash{};
  std::uint64_t base_fee = 0;
  std::uint32_t tx_count = 0;

  bool operator==(const Header&) const = default;
  core::Hash32 hash() const;
  void encode(core::Writer& w) const;
  static core::Result<Header> decode(core::Reader& r);
};

// The fields in which two headers of one height differ, for a node that finds its own header is
// not the one its quorum signed: "state root (quorum 1a2b3c4d5e6f7081, this node 9a8b7c6d5e4f3021);
// receipts root (...)". Empty when they are equal.
std::string header_differences(const Header& own, const Header& quorum);

struct Block {
  Header header;
  std::vector<Transaction> txs;

  bool operator==(const Block&) const = default;
  core::Hash32 hash() const { return header.hash(); }
  void encode(core::Writer& w) const;
  static core::Result<Block> decode(core::Reader& r);
};

struct Event {
  std::string module;  // the module that emitted it ("bank", ...)
  std::string kind;    // "transfer", "fee", ... (the module's own names)
  core::Bytes data;   // canonical encoding, defined per kind

  bool operator==(const Event&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<Event> decode(core::Reader& r);
};

enum class ReceiptStatus : std::uint8_t { kSuccess = 0, kFailed = 1 };

struct Receipt {
  core::Hash32 tx_hash{};
  ReceiptStatus status = ReceiptStatus::kSuccess;
  std::uint64_t fee_paid = 0;
  std::uint16_t error_code = 0;  // core::ErrorCode number when failed
  std::string error_message;
  std::vector<Event> events;

  bool operator==(const Receipt&) const = default;
  // Leaf data of the receipts tree: hash(Domain::Receipt, tx_hash || status || fee_paid ||
  // error_code || events), the encoding without error_message. The receipts root commits to the
  // stable error code, not to the English text another implementation could not reproduce.
  core::Hash32 hash() const;
  void encode(core::Writer& w) const;
  static core::Result<Receipt> decode(core::Reader& r);
};

// Validators' signatures over a ledger header: with a quorum of them, one header (and through its
// roots every transaction, receipt and state entry) is proven without replaying the chain. A
// single producer signs its blocks as it stores them; under BFT every validator signs the header
// it computed after applying a committed block, and the node gathers a quorum of equal ones
// (header_certs.hpp) and stores them beside the block.
struct CommitCertificate {
  std::uint64_t height = 0;
  core::Hash32 block_hash{};  // the header's hash
  std::vector<crypto::SignerSignature> signatures;

  bool operator==(const CommitCertificate&) const = default;
  // What each validator signs: hash(Domain::Vote, genesis digest || height || block_hash). The
  // genesis digest binds the signature to one chain (Genesis::digest).
  static core::Hash32 signing_digest(const core::Hash32& genesis_digest, std::uint64_t height,
                                     const core::Hash32& block_hash);
  core::Hash32 signing_digest(const core::Hash32& genesis_digest) const {
    return signing_digest(genesis_digest, height, block_hash);
  }
  void encode(core::Writer& w) const;
  static core::Result<CommitCertificate> decode(core::Reader& r);
};

// The quorum of a validator set of n: floor(2n/3)+1, so any two quorums share an honest member
// (consensus::ValidatorSet uses the same).
inline constexpr std::size_t quorum_of(std::size_t n) { return 2 * n / 3 + 1; }

// Checks that at least `quorum` distinct members of `validators` signed the certificate's digest
// for the chain `genesis_digest`; kBlockInvalid otherwise.
core::Status verify_commit(const CommitCertificate& cert, const core::Hash32& genesis_digest,
                           const std::vector<crypto::PublicKey>& validators, std::size_t quorum);

}  // namespace metanode::ledger
