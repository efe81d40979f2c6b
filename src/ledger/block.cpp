#include "ledger/block.hpp"

#include <algorithm>
#include <set>

namespace metanode::ledger {

void Header::encode(core::Writer& w) const {
  w.u64(height);
  w.array(parent_hash);
  w.i64(timestamp_unix_ms);
  proposer.encode(w);
  w.array(tx_root);
  w.array(receipts_root);
  w.array(state_root);
  w.array(validator_set_hash);
  w.u64(base_fee);
  w.u32(tx_count);
}

core::Result<Header> Header::decode(core::Reader& r) {
  Header h;
  MN_TRY_ASSIGN(h.height, r.u64());
  MN_TRY_ASSIGN(h.parent_hash, r.array<32>());
  MN_TRY_ASSIGN(h.timestamp_unix_ms, r.i64());
  MN_TRY_ASSIGN(h.proposer, crypto::PublicKey::decode(r));
  MN_TRY_ASSIGN(h.tx_root, r.array<32>());
  MN_TRY_ASSIGN(h.receipts_root, r.array<32>());
  MN_TRY_ASSIGN(h.state_root, r.array<32>());
  MN_TRY_ASSIGN(h.validator_set_hash, r.array<32>());
  MN_TRY_ASSIGN(h.base_fee, r.u64());
  MN_TRY_ASSIGN(h.tx_count, r.u32());
  return h;
}

core::Hash32 Header::hash() const { return core::hash(core::Domain::BlockHeader, core::encode(*this)); }

std::string header_differences(const Header& own, const Header& quorum) {
  std::string out;
  const auto add = [&out](std::string_view field, const std::string& theirs, const std::string& ours) {
    if (theirs == ours) return;
    if (!out.empty()) out += "; ";
    out += std::string(field) + " (quorum " + theirs + ", this node " + ours + ")";
  };
  const auto hex = [](const core::Hash32& h) { return core::to_hex(h).substr(0, 16); };
  add("height", std::to_string(quorum.height), std::to_string(own.height));
  add("parent hash", hex(quorum.parent_hash), hex(own.parent_hash));
  add("timestamp", std::to_string(quorum.timestamp_unix_ms), std::to_string(own.timestamp_unix_ms));
  add("proposer", quorum.proposer.to_hex().substr(0, 16), own.proposer.to_hex().substr(0, 16));
  add("transaction root", hex(quorum.tx_root), hex(own.tx_root));
  add("receipts root", hex(quorum.receipts_root), hex(own.receipts_root));
  add("state root", hex(quorum.state_root), hex(own.state_root));
  add("validator set hash", hex(quorum.validator_set_hash), hex(own.validator_set_hash));
  add("base fee", std::to_string(quorum.base_fee), std::to_string(own.base_fee));
  add("transaction count", std::to_string(quorum.tx_count), std::to_string(own.tx_count));
  return out;
}

void Block::encode(core::Writer& w) const {
  header.encode(w);
  w.vector(txs, kBlockTxsMax, [](core::Writer& out, const Transaction& tx) { tx.encode(out); });
}

core::Result<Block> Block::decode(core::Reader& r) {
  Block b;
  MN_TRY_ASSIGN(b.header, Header::decode(r));
  MN_TRY_ASSIGN(b.txs, r.vector<Transaction>(kBlockTxsMax, Transaction::decode));
  if (b.txs.size() != b.header.tx_count) {
    return core::make_error(core::ErrorCode::kDecodeInvalidValue, "block holds " + std::to_string(b.txs.size()) +
                                                                      " transactions, its header says " +
                                                                      std::to_string(b.header.tx_count));
  }
  return b;
}

void Event::encode(core::Writer& w) const {
  w.string(module, kModuleNameBytesMax);
  w.string(kind, kPayloadKindBytesMax);
  w.bytes(data, kEventDataBytesMax);
}

core::Result<Event> Event::decode(core::Reader& r) {
  Event e;
  MN_TRY_ASSIGN(e.module, r.string(kModuleNameBytesMax));
  MN_TRY_ASSIGN(e.kind, r.string(kPayloadKindBytesMax));
  MN_TRY_ASSIGN(e.data, r.bytes(kEventDataBytesMax));
  return e;
}

void Receipt::encode(core::Writer& w) const {
  w.array(tx_hash);
  w.u8(static_cast<std::uint8_t>(status));
  w.u64(fee_paid);
  w.u16(error_code);
  w.string(error_message, kErrorMessageBytesMax);
  w.vector(events, kEventsPerReceiptMax, [](core::Writer& out, const Event& e) { e.encode(out); });
}

core::Result<Receipt> Receipt::decode(core::Reader& r) {
  Receipt rc;
  MN_TRY_ASSIGN(rc.tx_hash, r.array<32>());
  MN_TRY_ASSIGN(const std::uint8_t status, r.u8());
  if (status > 1) return core::make_error(core::ErrorCode::kDecodeInvalidValue, "receipt status " + std::to_string(status));
  rc.status = static_cast<ReceiptStatus>(status);
  MN_TRY_ASSIGN(rc.fee_paid, r.u64());
  MN_TRY_ASSIGN(rc.error_code, r.u16());
  MN_TRY_ASSIGN(rc.error_message, r.string(kErrorMessageBytesMax));
  MN_TRY_ASSIGN(rc.events, r.vector<Event>(kEventsPerReceiptMax, Event::decode));
  return rc;
}

core::Hash32 Receipt::hash() const {
  // Everything but the error message: the code is the outcome; the English text is for people
  // and may change between versions without changing any root.
  core::Writer w(128);
  w.array(tx_hash);
  w.u8(static_cast<std::uint8_t>(status));
  w.u64(fee_paid);
  w.u16(error_code);
  w.vector(events, kEventsPerReceiptMax, [](core::Writer& out, const Event& e) { e.encode(out); });
  return core::hash(core::Domain::Receipt, w.data());
}

core::Hash32 CommitCertificate::signing_digest(const core::Hash32& genesis_digest, std::uint64_t height,
                                               const core::Hash32& block_hash) {
  core::Writer w(72);
  w.array(genesis_digest);
  w.u64(height);
  w.array(block_hash);
  return core::hash(core::Domain::Vote, w.data());
}

void CommitCertificate::encode(core::Writer& w) const {
  w.u64(height);
  w.array(block_hash);
  w.vector(signatures, kCertificateSignersMax, [](core::Writer& out, const crypto::SignerSignature& s) { s.encode(out); });
}

core::Result<CommitCertificate> CommitCertificate::decode(core::Reader& r) {
  CommitCertificate c;
  MN_TRY_ASSIGN(c.height, r.u64());
  MN_TRY_ASSIGN(c.block_hash, r.array<32>());
  MN_TRY_ASSIGN(c.signatures, r.vector<crypto::SignerSignature>(kCertificateSignersMax, crypto::SignerSignature::decode));
  return c;
}

core::Status verify_commit(const CommitCertificate& cert, const core::Hash32& genesis_digest,
                           const std::vector<crypto::PublicKey>& validators, std::size_t quorum) {
  const core::Hash32 digest = cert.signing_digest(genesis_digest);
  std::set<crypto::PublicKey> signers;
  for (const auto& s : cert.signatures) {
    if (std::find(validators.begin(), validators.end(), s.signer) == validators.end()) {
      return core::make_error(core::ErrorCode::kBlockInvalid, "commit signed by non-validator " + s.signer.to_hex());
    }
    if (!signers.insert(s.signer).second) {
      return core::make_error(core::ErrorCode::kBlockInvalid, "commit signed twice by " + s.signer.to_hex());
    }
    if (!crypto::verify_digest(s.signer, digest, s.signature)) {
      return core::make_error(core::ErrorCode::kBlockInvalid,
                              "commit signature of " + s.signer.to_hex() + " does not verify");
    }
  }
  if (signers.size() < quorum) {
    return core::make_error(core::ErrorCode::kBlockInvalid, "commit has " + std::to_string(signers.size()) +
                                                                " signatures, quorum is " + std::to_string(quorum));
  }
  return {};
}

}  // namespace metanode::ledger
