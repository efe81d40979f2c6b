#include "ledger/chain.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "modules/bank.hpp"
#include "modules/module_set.hpp"
#include "storage/keys.hpp"
#include "storage/write_batch.hpp"
#include "support/wait.hpp"

namespace metanode::ledger {
namespace {

namespace fs = std::filesystem;

class ChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("metanode-chain-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    genesis_.chain_id = "chain-test";
    genesis_.genesis_time_unix_ms = 1'000;
    genesis_.base_fee_initial = 2;
    genesis_.base_fee_min = 1;
    genesis_.validators.push_back({"v0", validator_.public_key(), crypto::MldsaKeyPair::generate().public_key()});
    genesis_.accounts.push_back({address(alice_), 1'000'000});
  }
  void TearDown() override { fs::remove_all(dir_); }

  static crypto::Address address(const crypto::KeyPair& k) { return crypto::Address::from_public_key(k.public_key()); }
  Transaction transfer(std::uint64_t nonce, std::uint64_t amount) const {
    Transaction tx;
    tx.chain_id = genesis_.chain_id;
    tx.nonce = nonce;
    tx.max_fee = 100;
    tx.bid = 5;
    tx.payload = modules::transfer_payload(bob_, amount);
    tx.sign_single(alice_, genesis_.digest());
    return tx;
  }
  std::unique_ptr<Chain> open() {
    auto chain = Chain::open(dir_, genesis_, modules::standard_modules());
    EXPECT_TRUE(chain.ok()) << chain.error().to_string();
    return chain.ok() ? std::move(chain).value() : nullptr;
  }

  fs::path dir_;
  Genesis genesis_;
  crypto::KeyPair validator_ = crypto::KeyPair::generate();
  crypto::KeyPair alice_ = crypto::KeyPair::generate();
  crypto::Address bob_ = crypto::Address::from_public_key(crypto::KeyPair::generate().public_key());
};

TEST_F(ChainTest, GenesisStateAndReopen) {
  auto chain = open();
  EXPECT_EQ(chain->head().height, 0u);
  EXPECT_EQ(chain->account(address(alice_))->balance, 1'000'000u);
  EXPECT_EQ(chain->account(bob_)->balance, 0u);
  auto produced = chain->produce_block({transfer(0, 10)}, 5'000, validator_, false);
  ASSERT_TRUE(produced.ok()) << produced.error().to_string();
  const ChainHead head = chain->head();
  chain.reset();
  chain = open();
  EXPECT_EQ(chain->head(), head);
  EXPECT_EQ(chain->account(bob_)->balance, 10u);
}

TEST_F(ChainTest, AnotherGenesisIsRefused) {
  open();
  genesis_.accounts[0].balance = 5;
  auto chain = Chain::open(dir_, genesis_, modules::standard_modules());
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.error().code, core::ErrorCode::kGenesisInvalid);
  genesis_.chain_id = "other-chain";
  EXPECT_EQ(Chain::open(dir_, genesis_, modules::standard_modules()).error().code, core::ErrorCode::kStorageWrongChain);
}

TEST_F(ChainTest, ProducedBlocksCarryProofs) {
  auto chain = open();
  auto produced = chain->produce_block({transfer(0, 10), transfer(1, 20), transfer(2, 30)}, 5'000, validator_, false);
  ASSERT_TRUE(produced.ok()) << produced.error().to_string();
  const Block& block = produced->stored.block;
  EXPECT_EQ(block.header.height, 1u);
  EXPECT_EQ(block.header.tx_count, 3u);
  EXPECT_EQ(block.header.base_fee, 2u);
  EXPECT_EQ(chain->header(1).value(), block.header);  // the header alone, as stored
  EXPECT_FALSE(chain->header(9).value().has_value());
  EXPECT_TRUE(verify_commit(produced->stored.commit, genesis_.digest(), genesis_.validator_keys(), 1).ok());

  auto record = chain->find_tx(block.txs[1].hash());
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->height, 1u);
  EXPECT_EQ((*record)->index, 1u);
  EXPECT_EQ((*record)->receipt.status, ReceiptStatus::kSuccess);
  EXPECT_TRUE(merkle::verify_inclusion(merkle::leaf_hash(block.txs[1].hash()), (*record)->proof, block.header.tx_root).ok());
  EXPECT_FALSE(merkle::verify_inclusion(merkle::leaf_hash(block.txs[0].hash()), (*record)->proof, block.header.tx_root).ok());
  EXPECT_FALSE(chain->find_tx(core::Hash32{})->has_value());

  auto account = chain->account_with_proof(bob_);
  ASSERT_TRUE(account.ok());
  EXPECT_EQ(account->account.balance, 60u);
  EXPECT_EQ(account->state_root, block.header.state_root);
  // Accounts are the bank's entries: the proof is for the tree key hash(state-key, "bank" || address).
  EXPECT_EQ(account->tree_key, account_tree_key(bob_));
  EXPECT_EQ(account->tree_key, state_tree_key("bank", bob_.bytes));
  EXPECT_TRUE(merkle::SparseMerkleTree::verify_proof(account->state_root, account->tree_key,
                                                     core::encode(account->account), account->proof)
                  .ok());
  EXPECT_FALSE(merkle::SparseMerkleTree::verify_proof(account->state_root, bob_.bytes, core::encode(account->account),
                                                      account->proof)
                   .ok());
  const crypto::Address nobody = crypto::Address::from_public_key(crypto::KeyPair::generate().public_key());
  auto absent = chain->account_with_proof(nobody);
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->exists);
  EXPECT_TRUE(
      merkle::SparseMerkleTree::verify_proof(absent->state_root, account_tree_key(nobody), std::nullopt, absent->proof).ok());

  EXPECT_EQ(chain->receipts(1)->size(), 3u);
  EXPECT_EQ(chain->verify_all().value(), 1u);
}

TEST_F(ChainTest, InvalidCandidatesAreLeftOutAndNothingIsApplied) {
  auto chain = open();
  Transaction bad_sig = transfer(0, 10);
  bad_sig.signature.bytes[3] ^= 1;
  Transaction wrong_chain = transfer(0, 10);
  wrong_chain.chain_id = "elsewhere";
  wrong_chain.sign_single(alice_, genesis_.digest());
  auto produced = chain->produce_block({bad_sig, wrong_chain, transfer(1, 10)}, 5'000, validator_, false);
  ASSERT_TRUE(produced.ok());
  EXPECT_EQ(produced->stored.block.txs.size(), 0u);
  EXPECT_EQ(produced->rejected.size(), 3u);
  EXPECT_EQ(chain->account(address(alice_))->balance, 1'000'000u);
  // A replayed transaction is refused once its nonce is used.
  const Transaction tx = transfer(0, 10);
  ASSERT_EQ(chain->produce_block({tx}, 6'000, validator_, false)->stored.block.txs.size(), 1u);
  auto replay = chain->produce_block({tx}, 7'000, validator_, false);
  ASSERT_TRUE(replay.ok());
  EXPECT_TRUE(replay->stored.block.txs.empty());
  ASSERT_EQ(replay->rejected.size(), 1u);
  EXPECT_EQ(replay->rejected[0].second.code, core::ErrorCode::kTxNonceTooLow);
}

TEST_F(ChainTest, CorruptBlockOnDiskIsDetected) {
  auto chain = open();
  ASSERT_TRUE(chain->produce_block({transfer(0, 10)}, 5'000, validator_, false).ok());
  ASSERT_TRUE(chain->produce_block({transfer(1, 10)}, 6'000, validator_, false).ok());
  EXPECT_EQ(chain->verify_all().value(), 2u);
  // Alter one byte of block 1 as stored: its hash check fails and verification says where.
  auto raw = chain->db().get(storage::Column::kBlocks, storage::height_key(1));
  ASSERT_TRUE(raw.ok() && raw->has_value());
  core::Bytes altered = **raw;
  altered[20] ^= 1;  // inside the parent hash
  storage::WriteBatch batch;
  batch.put(storage::Column::kBlocks, storage::height_key(1), altered);
  ASSERT_TRUE(chain->db().write(std::move(batch)).ok());
  auto block = chain->block(1);
  ASSERT_FALSE(block.ok());
  EXPECT_EQ(block.error().code, core::ErrorCode::kBlockCorrupt);
  auto verified = chain->verify_all();
  ASSERT_FALSE(verified.ok());
  EXPECT_NE(verified.error().message.find("block 1"), std::string::npos);
  // Garbage that does not even decode.
  storage::WriteBatch garbage;
  garbage.put(storage::Column::kBlocks, storage::height_key(2), core::Bytes{1, 2, 3});
  ASSERT_TRUE(chain->db().write(std::move(garbage)).ok());
  EXPECT_EQ(chain->block(2).error().code, core::ErrorCode::kBlockCorrupt);
}

TEST_F(ChainTest, BaseFeeFollowsTheRule) {
  auto chain = open();
  ASSERT_TRUE(chain->produce_block({}, 5'000, validator_, false).ok());  // empty: fee falls to the minimum
  EXPECT_EQ(chain->head().base_fee_next, 1u);
  EXPECT_EQ(chain->verify_all().value(), 1u);
}

}  // namespace
}  // namespace metanode::ledger

namespace metanode::ledger {
namespace {

TEST_F(ChainTest, BlockZeroCommitsToTheWholeGenesis) {
  auto chain = open();
  const auto block0 = chain->block(0).value();
  ASSERT_TRUE(block0.has_value());
  EXPECT_EQ(block0->block.header.parent_hash, genesis_.digest());
  EXPECT_EQ(chain->genesis_digest(), genesis_.digest());
  chain.reset();
  // A genesis that differs only in a parameter the old block 0 did not cover is another chain.
  fs::remove_all(dir_);
  genesis_.block_txs_target += 1;
  auto other = open();
  EXPECT_NE(other->block(0).value()->block.hash(), block0->block.hash());
}

TEST_F(ChainTest, HeaderCertificatesAreCheckedAgainstTheGenesisAndTheHeldBlock) {
  std::vector<crypto::KeyPair> keys{crypto::KeyPair::generate(), crypto::KeyPair::generate(),
                                    crypto::KeyPair::generate(), crypto::KeyPair::generate()};
  genesis_.validators.clear();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    genesis_.validators.push_back({"v" + std::to_string(i), keys[i].public_key(), crypto::MldsaKeyPair::generate().public_key()});
  }
  auto chain = open();
  auto produced = chain->apply_committed({transfer(0, 10)}, 5'000, keys[0].public_key(), core::Bytes{1}, false);
  ASSERT_TRUE(produced.ok()) << produced.error().to_string();
  const core::Hash32 hash = produced->stored.block.hash();
  EXPECT_FALSE(chain->certificate(1).value().has_value());  // consensus blocks are certified afterwards

  const auto cert_by = [&](std::vector<int> signers, const core::Hash32& block_hash, const core::Hash32& chain_digest) {
    CommitCertificate cert{1, block_hash, {}};
    for (int i : signers) {
      cert.signatures.push_back({keys[i].public_key(), keys[i].sign_digest(cert.signing_digest(chain_digest))});
    }
    return cert;
  };
  EXPECT_EQ(chain->store_certificate(cert_by({0, 1}, hash, genesis_.digest())).error().code, core::ErrorCode::kBlockInvalid);
  core::Hash32 other_chain = genesis_.digest();
  other_chain[5] ^= 1;
  EXPECT_EQ(chain->store_certificate(cert_by({0, 1, 2}, hash, other_chain)).error().code, core::ErrorCode::kBlockInvalid);
  core::Hash32 other_block = hash;
  other_block[0] ^= 1;
  // A valid quorum for another block: this node's chain is not the network's.
  EXPECT_EQ(chain->store_certificate(cert_by({0, 1, 2}, other_block, genesis_.digest())).error().code,
            core::ErrorCode::kStateCorrupt);
  EXPECT_EQ(chain->store_certificate(CommitCertificate{7, hash, {}}).error().code, core::ErrorCode::kNotFound);

  const CommitCertificate good = cert_by({3, 1, 2}, hash, genesis_.digest());
  ASSERT_TRUE(chain->store_certificate(good).ok());
  EXPECT_EQ(chain->certificate(1).value(), good);
  chain.reset();
  chain = open();
  EXPECT_EQ(chain->certificate(1).value(), good);  // kept across a restart
}

}  // namespace
}  // namespace metanode::ledger

namespace metanode::ledger {
namespace {

// The newest write-ahead log file of the chain's database.
fs::path newest_wal(const fs::path& dir) {
  fs::path newest;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".log" && fs::file_size(entry.path()) > 0 &&
        (newest.empty() || entry.path().filename() > newest.filename())) {
      newest = entry.path();
    }
  }
  return newest;
}

class ChainDamageTest : public ChainTest {
 protected:
  // Twenty committed blocks, all still in the write-ahead log (nothing flushed), then closed.
  std::uint64_t commit_twenty() {
    auto chain = open();
    for (std::uint64_t n = 0; n < 20; ++n) {
      auto produced = chain->produce_block({transfer(n, 1)}, 5'000 + static_cast<std::int64_t>(n), validator_, false);
      EXPECT_TRUE(produced.ok()) << produced.error().to_string();
    }
    return chain->head().height;
  }
};

// A byte flipped in the middle of the log: the open fails, naming the damage, instead of
// recovering to the record before it with fewer blocks than were committed.
TEST_F(ChainDamageTest, AFlippedByteInTheMiddleOfTheLogIsRefusedNotTruncated) {
  ASSERT_EQ(commit_twenty(), 20u);
  const fs::path wal = newest_wal(dir_);
  ASSERT_FALSE(wal.empty());
  std::fstream f(wal, std::ios::in | std::ios::out | std::ios::binary);
  const auto size = static_cast<std::streamoff>(fs::file_size(wal));
  f.seekg(size / 2);
  char byte = 0;
  f.read(&byte, 1);
  byte = static_cast<char>(byte ^ 0x40);
  f.seekp(size / 2);
  f.write(&byte, 1);
  f.close();
  auto reopened = Chain::open(dir_, genesis_, modules::standard_modules());
  ASSERT_FALSE(reopened.ok()) << "opened with " << (*reopened)->head().height << " of 20 blocks";
  EXPECT_EQ(reopened.error().code, core::ErrorCode::kStorageCorrupt) << reopened.error().to_string();
  // Refused by the log replay itself (not only by the head mark after a shorter recovery).
  EXPECT_EQ(reopened.error().message.find("committed height"), std::string::npos) << reopened.error().message;
}

// The last record cut short, as a crash mid-write would leave it, but this one was a synced,
// committed block: the head mark says so, and the open refuses instead of coming back shorter.
TEST_F(ChainDamageTest, ALostCommittedBlockAtTheEndOfTheLogIsRefused) {
  ASSERT_EQ(commit_twenty(), 20u);
  const fs::path wal = newest_wal(dir_);
  ASSERT_FALSE(wal.empty());
  fs::resize_file(wal, fs::file_size(wal) - 40);
  auto reopened = Chain::open(dir_, genesis_, modules::standard_modules());
  ASSERT_FALSE(reopened.ok()) << "opened with " << (*reopened)->head().height << " of 20 blocks";
  EXPECT_EQ(reopened.error().code, core::ErrorCode::kStorageCorrupt) << reopened.error().to_string();
  EXPECT_NE(reopened.error().message.find("committed height 20"), std::string::npos) << reopened.error().message;
}

// A torn record that was never acknowledged (the crash came before its sync returned) is still
// dropped, and the chain opens at its last committed block.
TEST_F(ChainDamageTest, ATornUnacknowledgedTailIsDropped) {
  ASSERT_EQ(commit_twenty(), 20u);
  const fs::path wal = newest_wal(dir_);
  ASSERT_FALSE(wal.empty());
  std::ofstream(wal, std::ios::app | std::ios::binary) << std::string("\x12\x34\x56\x78\x9a", 5);  // half a header
  auto reopened = Chain::open(dir_, genesis_, modules::standard_modules());
  ASSERT_TRUE(reopened.ok()) << reopened.error().to_string();
  EXPECT_EQ((*reopened)->head().height, 20u);
}

}  // namespace
}  // namespace metanode::ledger

namespace metanode::ledger {
namespace {

using testing::flip_byte;

// One flipped byte in any table file (flushed blocks, index, receipts, tree nodes, meta): either
// the chain refuses to open (it reads the meta column at once) or the checksum pass of `metanode
// verify` names the column and the file. Never "ok".
TEST_F(ChainDamageTest, AFlippedByteInAnyTableFileIsNamedWithItsColumn) {
  ASSERT_EQ(commit_twenty(), 20u);
  {
    auto chain = open();
    ASSERT_TRUE(chain->db().flush().ok());
  }
  std::vector<fs::path> tables;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    if (entry.path().extension() == ".sst") tables.push_back(entry.path());
  }
  ASSERT_GE(tables.size(), 4u) << "expected table files for blocks, index, receipts, tree nodes and meta";
  std::set<std::string> named;
  for (const auto& table : tables) {
    const auto at = fs::file_size(table) / 3;  // inside the data blocks, before the index and footer
    flip_byte(table, at);
    auto chain = Chain::open(dir_, genesis_, modules::standard_modules());
    std::string refusal;
    if (!chain.ok()) {
      refusal = chain.error().message;
    } else {
      auto st = (*chain)->db().verify_checksums();
      ASSERT_FALSE(st.ok()) << table.filename() << ": a flipped byte passed the checksum pass";
      EXPECT_EQ(st.error().code, core::ErrorCode::kStorageCorrupt);
      refusal = st.error().message;
    }
    chain = core::make_error(core::ErrorCode::kInternal, "closed");  // close before repairing
    const auto column = refusal.find("column ");
    ASSERT_NE(column, std::string::npos) << table.filename() << ": " << refusal;
    named.insert(refusal.substr(column + 7, refusal.find_first_of(",: ", column + 7) - column - 7));
    flip_byte(table, at);  // repaired: the next file is damaged alone
  }
  for (const char* column : {"blocks", "tx_index", "receipts", "state_nodes"}) {
    EXPECT_TRUE(named.contains(column)) << "no damaged file was named as column " << column;
  }
  auto chain = open();
  EXPECT_TRUE(chain->db().verify_checksums().ok());
  EXPECT_TRUE(chain->verify_all().ok());
}

// Stored bytes that still pass their checksums but differ from what re-execution recomputes (a
// tree node, an index entry, a receipt): verify_all names the block and the column.
TEST_F(ChainDamageTest, VerifyComparesEveryStoredNodeIndexEntryAndReceipt) {
  ASSERT_EQ(commit_twenty(), 20u);
  auto chain = open();
  ASSERT_TRUE(chain->verify_all().ok());
  auto block7 = chain->block(7);
  ASSERT_TRUE(block7.ok() && block7->has_value());
  const core::Hash32 tx_hash = (*block7)->block.txs[0].hash();
  const auto damage_and_verify = [&](storage::Column column, const core::Bytes& key, const std::string& expected) {
    auto original = chain->db().get(column, key);
    ASSERT_TRUE(original.ok() && original->has_value());
    core::Bytes altered = **original;
    altered.back() ^= 1;
    storage::WriteBatch damage;
    damage.put(column, key, altered);
    ASSERT_TRUE(chain->db().write(std::move(damage)).ok());
    auto verified = chain->verify_all();
    ASSERT_FALSE(verified.ok()) << expected;
    EXPECT_NE(verified.error().message.find(expected), std::string::npos) << verified.error().message;
    storage::WriteBatch repair;
    repair.put(column, key, **original);
    ASSERT_TRUE(chain->db().write(std::move(repair)).ok());
  };
  damage_and_verify(storage::Column::kTxIndex, core::to_bytes(tx_hash), "block 7: transaction 0: its entry in the transaction index");
  const auto height7 = storage::height_key(7);
  core::Bytes receipt_key(height7.begin(), height7.end());
  receipt_key.insert(receipt_key.end(), 4, core::Byte{0});  // transaction 0
  damage_and_verify(storage::Column::kReceipts, receipt_key, "block 7: transaction 0: its stored receipt");
  // Bob's leaf as block 7 left it (balance 7 after seven transfers of 1).
  const auto leaf = merkle::SparseMerkleTree::leaf_hash(
      account_tree_key(bob_), merkle::SparseMerkleTree::value_hash(core::encode(Account{7, 0})));
  damage_and_verify(storage::Column::kStateNodes, core::to_bytes(leaf), "(column state_nodes) differs");
  EXPECT_TRUE(chain->verify_all().ok());
}

}  // namespace
}  // namespace metanode::ledger
