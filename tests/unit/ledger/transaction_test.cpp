#include "ledger/transaction.hpp"
#include "modules/bank.hpp"
#include "modules/module_set.hpp"

#include <gtest/gtest.h>

namespace metanode::ledger {
namespace {

// The chain these tests sign for, and one whose genesis differs (same name).
const ChainBinding kChain{"test-chain", core::hash(core::Domain::Test, core::as_bytes("genesis of test-chain"))};
const ChainBinding kTwin{"test-chain", core::hash(core::Domain::Test, core::as_bytes("another genesis, same name"))};

// A transfer from the threshold-of-n account of `members`, not signed yet.
Transaction unsigned_multisig_transfer(const std::vector<crypto::KeyPair>& members, std::uint8_t threshold) {
  Transaction tx;
  tx.chain_id = "test-chain";
  tx.sender_kind = SenderKind::kMultisig;
  tx.sender_policy.threshold = threshold;
  for (const auto& m : members) tx.sender_policy.signers.push_back(m.public_key());
  tx.max_fee = 10;
  tx.payload = modules::transfer_payload(crypto::Address::from_public_key(crypto::KeyPair::generate().public_key()), 1);
  return tx;
}

Transaction transfer(const crypto::KeyPair& key, std::uint64_t nonce = 0) {
  Transaction tx;
  tx.chain_id = "test-chain";
  tx.nonce = nonce;
  tx.max_fee = 100;
  tx.bid = 10;
  tx.payload = modules::transfer_payload(crypto::Address::from_public_key(crypto::KeyPair::generate().public_key()), 5);
  tx.sign_single(key, kChain.genesis_digest);
  return tx;
}

TEST(Transaction, SignedTransferPassesStatelessChecks) {
  const auto key = crypto::KeyPair::generate();
  const Transaction tx = transfer(key);
  EXPECT_TRUE(tx.check_stateless(kChain).ok());
  EXPECT_EQ(tx.sender(), crypto::Address::from_public_key(key.public_key()));
}

TEST(Transaction, AMemoMustBeUtf8Text) {
  const auto key = crypto::KeyPair::generate();
  Transaction tx = transfer(key);
  tx.memo = "r\xc3\xa9" "f\xc3\xa9" "rence \xe2\x84\x96 7";
  tx.sign_single(key, kChain.genesis_digest);
  EXPECT_TRUE(tx.check_stateless(kChain).ok());
  tx.memo = std::string("\xff\xfe", 2);
  tx.sign_single(key, kChain.genesis_digest);
  const auto st = tx.check_stateless(kChain);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, core::ErrorCode::kTxMalformed);
}

// decode() seals what it decodes: the id and sender come from the bytes as they arrived, equal to
// a fresh computation, and one that is being built is not sealed until asked to be.
TEST(Transaction, DecodedTransactionsAreSealedWithTheSameIdAndSender) {
  const auto key = crypto::KeyPair::generate();
  Transaction built = transfer(key, 3);
  EXPECT_FALSE(built.sealed());
  auto back = core::decode<Transaction>(core::encode(built));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->sealed());
  EXPECT_EQ(back->hash(), core::hash(core::Domain::Tx, built.body()));
  EXPECT_EQ(back->sender(), crypto::Address::from_public_key(key.public_key()));
  EXPECT_EQ(*back, built);  // the memo is not part of equality
  // Signing again (another key) changes the body, so it drops the memo.
  const auto other = crypto::KeyPair::generate();
  Transaction resigned = *back;
  resigned.sign_single(other, kChain.genesis_digest);
  EXPECT_FALSE(resigned.sealed());
  EXPECT_NE(resigned.hash(), back->hash());
  EXPECT_EQ(resigned.sender(), crypto::Address::from_public_key(other.public_key()));
  EXPECT_TRUE(resigned.check_signatures(kChain.genesis_digest).ok());
  built.seal();
  EXPECT_TRUE(built.sealed());
  EXPECT_EQ(built.hash(), back->hash());
}

TEST(Transaction, CodecRoundTripAndHashExcludesSignature) {
  const auto key = crypto::KeyPair::generate();
  const Transaction tx = transfer(key, 3);
  const core::Bytes bytes = core::encode(tx);
  auto back = core::decode<Transaction>(bytes);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, tx);
  EXPECT_EQ(back->hash(), tx.hash());
  Transaction resigned = tx;
  resigned.signature.bytes[0] ^= 1;
  EXPECT_EQ(resigned.hash(), tx.hash());
  Transaction other = tx;
  other.nonce = 4;
  EXPECT_NE(other.hash(), tx.hash());
  // Trailing and truncated bytes are refused.
  core::Bytes longer = bytes;
  longer.push_back(0);
  EXPECT_EQ(core::decode<Transaction>(longer).error().code, core::ErrorCode::kDecodeTrailingBytes);
  EXPECT_FALSE(core::decode<Transaction>(core::ByteView(bytes).first(bytes.size() - 1)).ok());
}

TEST(Transaction, RejectsWrongChainBadSignatureAndMalformed) {
  const auto key = crypto::KeyPair::generate();
  Transaction tx = transfer(key);
  EXPECT_EQ(tx.check_stateless(ChainBinding{"other-chain", kChain.genesis_digest}).error().code, core::ErrorCode::kTxWrongChain);
  Transaction bad_sig = tx;
  bad_sig.signature.bytes[10] ^= 1;
  EXPECT_EQ(bad_sig.check_stateless(kChain).error().code, core::ErrorCode::kBadSignature);
  EXPECT_TRUE(bad_sig.check_stateless_without_signatures("test-chain").ok());
  const crypto::Address to = modules::transfer_of(tx.payload).value().to;
  Transaction altered = tx;
  altered.payload = modules::transfer_payload(to, 6);  // signed amount was 5
  EXPECT_EQ(altered.check_stateless(kChain).error().code, core::ErrorCode::kBadSignature);
  // The payload's own checks are its module's: the set runs both.
  const ModuleSet set = modules::standard_modules();
  EXPECT_TRUE(set.check_stateless(tx, kChain).ok());
  EXPECT_EQ(set.check_stateless(altered, kChain).error().code, core::ErrorCode::kBadSignature);
  Transaction zero = tx;
  zero.payload = modules::transfer_payload(to, 0);
  zero.sign_single(key, kChain.genesis_digest);
  EXPECT_TRUE(zero.check_stateless(kChain).ok());
  EXPECT_EQ(set.check_stateless(zero, kChain).error().code, core::ErrorCode::kTxMalformed);
  Transaction self = tx;
  self.payload = modules::transfer_payload(tx.sender(), 5);
  self.sign_single(key, kChain.genesis_digest);
  EXPECT_EQ(set.check_stateless(self, kChain).error().code, core::ErrorCode::kTxMalformed);
  Transaction short_data = tx;
  short_data.payload.data.pop_back();
  short_data.sign_single(key, kChain.genesis_digest);
  EXPECT_EQ(set.check_stateless(short_data, kChain).error().code, core::ErrorCode::kTxMalformed);
  Transaction unknown_module = tx;
  unknown_module.payload.module = "mint";
  unknown_module.sign_single(key, kChain.genesis_digest);
  EXPECT_EQ(set.check_stateless(unknown_module, kChain).error().code, core::ErrorCode::kTxUnknownPayload);
  Transaction unknown_kind = tx;
  unknown_kind.payload.kind = "mint";
  unknown_kind.sign_single(key, kChain.genesis_digest);
  EXPECT_EQ(set.check_stateless(unknown_kind, kChain).error().code, core::ErrorCode::kTxUnknownPayload);
  Transaction bad_name = tx;
  bad_name.payload.module = "Bank";
  EXPECT_EQ(bad_name.check_stateless_without_signatures("test-chain").error().code, core::ErrorCode::kTxMalformed);
  Transaction greedy = tx;
  greedy.bid = 101;
  greedy.sign_single(key, kChain.genesis_digest);
  EXPECT_EQ(greedy.check_stateless(kChain).error().code, core::ErrorCode::kTxMalformed);
}

TEST(Transaction, DecodeRefusesPayloadNamesThatAreNotCanonical) {
  const auto key = crypto::KeyPair::generate();
  Transaction tx = transfer(key);
  tx.payload.kind = "Transfer";  // upper case: not a name
  core::Writer w;
  tx.encode(w);
  const auto decoded = core::decode<Transaction>(w.data());
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, core::ErrorCode::kDecodeInvalidValue);
}

TEST(Transaction, MultisigSender) {
  std::vector<crypto::KeyPair> members = {crypto::KeyPair::generate(), crypto::KeyPair::generate(),
                                          crypto::KeyPair::generate()};
  Transaction tx = unsigned_multisig_transfer(members, 2);
  tx.add_multisig_signature(members[0], kChain.genesis_digest);
  EXPECT_EQ(tx.check_stateless(kChain).error().code, core::ErrorCode::kMultisigTooFewSignatures);
  tx.add_multisig_signature(members[2], kChain.genesis_digest);
  EXPECT_TRUE(tx.check_stateless(kChain).ok());
  EXPECT_EQ(tx.sender(), tx.sender_policy.address());
  auto back = core::decode<Transaction>(core::encode(tx));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->check_stateless(kChain).ok());
  tx.add_multisig_signature(members[0], kChain.genesis_digest);
  EXPECT_EQ(tx.check_stateless(kChain).error().code, core::ErrorCode::kMultisigDuplicateSigner);
}

TEST(Transaction, FeeIsBaseFeePlusBidCappedAtMaxFee) {
  Transaction tx;
  tx.max_fee = 100;
  tx.bid = 30;
  EXPECT_EQ(fee_for(tx, 50), 80u);
  EXPECT_EQ(fee_for(tx, 90), 100u);  // only 10 of the bid fits
  EXPECT_EQ(fee_for(tx, 100), 100u);
  EXPECT_FALSE(fee_for(tx, 101).has_value());
}

}  // namespace
}  // namespace metanode::ledger

namespace metanode::ledger {
namespace {

TEST(Transaction, ASignatureHoldsOnlyOnTheChainOfItsGenesis) {
  const auto key = crypto::KeyPair::generate();
  const Transaction tx = transfer(key);
  EXPECT_TRUE(tx.check_stateless(kChain).ok());
  // Same chain id, a genesis that differs: the signature is refused, not the chain id.
  const auto st = tx.check_stateless(kTwin);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, core::ErrorCode::kBadSignature);
  EXPECT_EQ(tx.check_signatures(kTwin.genesis_digest).error().code, core::ErrorCode::kBadSignature);
  // What is signed: hash("tx-signature", genesis digest || transaction hash), and not the
  // transaction hash alone (the transaction's id, which stays chain-independent).
  EXPECT_EQ(tx.signing_digest(kChain.genesis_digest),
            core::hash(core::Domain::TxSignature, kChain.genesis_digest, tx.hash()));
  EXPECT_TRUE(crypto::verify_digest(key.public_key(), tx.signing_digest(kChain.genesis_digest), tx.signature));
  EXPECT_FALSE(crypto::verify_digest(key.public_key(), tx.hash(), tx.signature));
  Transaction for_twin = tx;
  for_twin.sign_single(key, kTwin.genesis_digest);
  EXPECT_EQ(for_twin.hash(), tx.hash());
  EXPECT_TRUE(for_twin.check_stateless(kTwin).ok());
  EXPECT_EQ(for_twin.check_stateless(kChain).error().code, core::ErrorCode::kBadSignature);
}

TEST(Transaction, AMultisigApprovalHoldsOnlyOnTheChainOfItsGenesis) {
  std::vector<crypto::KeyPair> members = {crypto::KeyPair::generate(), crypto::KeyPair::generate()};
  Transaction tx = unsigned_multisig_transfer(members, 2);
  tx.add_multisig_signature(members[0], kChain.genesis_digest);
  tx.add_multisig_signature(members[1], kTwin.genesis_digest);  // signed for the other chain
  EXPECT_FALSE(tx.check_stateless(kChain).ok());
  EXPECT_FALSE(tx.check_stateless(kTwin).ok());
  tx.multisig_signatures.pop_back();
  tx.add_multisig_signature(members[1], kChain.genesis_digest);
  EXPECT_TRUE(tx.check_stateless(kChain).ok());
  EXPECT_FALSE(tx.check_stateless(kTwin).ok());
}

}  // namespace
}  // namespace metanode::ledger
