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
  // Leaf data of the receipts tree.
  core::Hash32 hash() const;
  void encode(core::Writer& w) const;
  static core::Result<Receipt> decode(core::Reader& r);
};

// Validators' signatures over a block hash: the proof that a block is final. With one
// validator it carries one signature; consensus supplies quorum certificates of the same shape.
struct CommitCertificate {
  std::uint64_t height = 0;
  core::Hash32 block_hash{};
  std::vector<crypto::SignerSignature> signatures;

  bool operator==(const CommitCertificate&) const = default;
  // The digest validators sign: hash(Domain::Vote, height || block_hash).
  core::Hash32 signing_digest() const;
  void encode(core::Writer& w) const;
  static core::Result<CommitCertificate> decode(core::Reader& r);
};

// Checks that at least `quorum` distinct members of `validators` signed; kBlockInvalid otherwise.
core::Status verify_commit(const CommitCertificate& cert, const std::vector<crypto::PublicKey>& validators,
                           std::size_t quorum);

}  // namespace metanode::ledger
