#include "ledger/block.hpp"
#include "modules/bank.hpp"

#include <gtest/gtest.h>

namespace metanode::ledger {
namespace {

Block sample_block(const crypto::KeyPair& proposer, int txs) {
  Block b;
  b.header.height = 7;
  b.header.parent_hash.fill(1);
  b.header.timestamp_unix_ms = 1'700'000'000'000;
  b.header.proposer = proposer.public_key();
  b.header.base_fee = 3;
  const auto sender = crypto::KeyPair::generate();
  for (int i = 0; i < txs; ++i) {
    Transaction tx;
    tx.chain_id = "c";
    tx.nonce = static_cast<std::uint64_t>(i);
    tx.max_fee = 10;
    tx.payload = modules::transfer_payload(crypto::Address::from_public_key(proposer.public_key()), 1);
    tx.sign_single(sender, core::hash(core::Domain::Test, core::as_bytes("c")));
    b.txs.push_back(tx);
  }
  b.header.tx_count = static_cast<std::uint32_t>(b.txs.size());
  return b;
}

TEST(Block, HeaderDifferencesNameEachDifferingFieldWithBothValues) {
  const auto proposer = crypto::KeyPair::generate();
  const Header quorum = sample_block(proposer, 0).header;
  EXPECT_EQ(header_differences(quorum, quorum), "");
  Header own = quorum;
  own.state_root.fill(0xab);
  EXPECT_EQ(header_differences(own, quorum),
            "state root (quorum " + core::to_hex(quorum.state_root).substr(0, 16) + ", this node abababababababab)");
  own.receipts_root.fill(0xcd);
  own.tx_count = 9;
  const std::string both = header_differences(own, quorum);
  EXPECT_NE(both.find("receipts root (quorum"), std::string::npos) << both;
  EXPECT_NE(both.find("state root (quorum"), std::string::npos) << both;
  EXPECT_NE(both.find("transaction count (quorum 0, this node 9)"), std::string::npos) << both;
  EXPECT_EQ(both.find("transaction root"), std::string::npos) << both;
}

TEST(Block, CodecRoundTripAndHash) {
  const auto proposer = crypto::KeyPair::generate();
  const Block b = sample_block(proposer, 3);
  auto back = core::decode<Block>(core::encode(b));
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, b);
  EXPECT_EQ(back->hash(), b.hash());
  Block changed = b;
  changed.header.state_root[0] ^= 1;
  EXPECT_NE(changed.hash(), b.hash());
}

TEST(Block, TxCountMustMatch) {
  const auto proposer = crypto::KeyPair::generate();
  Block b = sample_block(proposer, 2);
  b.header.tx_count = 3;
  EXPECT_EQ(core::decode<Block>(core::encode(b)).error().code, core::ErrorCode::kDecodeInvalidValue);
}

TEST(Receipt, CodecRoundTrip) {
  Receipt r;
  r.tx_hash.fill(9);
  r.status = ReceiptStatus::kFailed;
  r.fee_paid = 12;
  r.error_code = static_cast<std::uint16_t>(core::ErrorCode::kTxInsufficientBalance);
  r.error_message = "too poor";
  r.events.push_back(Event{"bank", "transfer", core::Bytes{1, 2}});
  auto back = core::decode<Receipt>(core::encode(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
  core::Bytes bad = core::encode(r);
  bad[32] = 2;  // status byte
  EXPECT_FALSE(core::decode<Receipt>(bad).ok());
}

TEST(CommitCertificate, VerifiesQuorumOfDistinctValidators) {
  std::vector<crypto::KeyPair> keys = {crypto::KeyPair::generate(), crypto::KeyPair::generate(),
                                       crypto::KeyPair::generate(), crypto::KeyPair::generate()};
  std::vector<crypto::PublicKey> validators;
  for (const auto& k : keys) validators.push_back(k.public_key());
  core::Hash32 chain{};
  chain.fill(7);  // the genesis digest the signatures are bound to
  CommitCertificate cert;
  cert.height = 5;
  cert.block_hash.fill(3);
  for (int i = 0; i < 3; ++i) {
    cert.signatures.push_back({keys[i].public_key(), keys[i].sign_digest(cert.signing_digest(chain))});
  }
  EXPECT_TRUE(verify_commit(cert, chain, validators, 3).ok());
  EXPECT_FALSE(verify_commit(cert, chain, validators, 4).ok());
  CommitCertificate dup = cert;
  dup.signatures[2] = dup.signatures[0];
  EXPECT_FALSE(verify_commit(dup, chain, validators, 2).ok());
  CommitCertificate forged = cert;
  forged.block_hash[0] ^= 1;  // signatures were over another block
  EXPECT_FALSE(verify_commit(forged, chain, validators, 1).ok());
  const auto outsider = crypto::KeyPair::generate();
  CommitCertificate foreign = cert;
  foreign.signatures.push_back({outsider.public_key(), outsider.sign_digest(cert.signing_digest(chain))});
  EXPECT_FALSE(verify_commit(foreign, chain, validators, 3).ok());
  core::Hash32 other_chain = chain;
  other_chain[0] ^= 1;
  EXPECT_FALSE(verify_commit(cert, other_chain, validators, 3).ok());  // no replay onto another chain
  auto back = core::decode<CommitCertificate>(core::encode(cert));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, cert);
}

}  // namespace
}  // namespace metanode::ledger
