// The node's one signature-check path: every signature is checked once, failures are reported per
// transaction, a success is remembered, and the asynchronous form stops at the first failure.
#include "node/signature_checks.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <thread>
#include <mutex>

#include "crypto/ed25519.hpp"
#include "modules/bank.hpp"

namespace metanode::node {
namespace {

const core::Hash32 kGenesisDigest = core::hash(core::Domain::Test, core::as_bytes("sig-test genesis"));

std::vector<ledger::Transaction> signed_transfers(std::size_t count) {
  const crypto::KeyPair key = crypto::KeyPair::generate();
  std::vector<ledger::Transaction> txs;
  for (std::size_t i = 0; i < count; ++i) {
    ledger::Transaction tx;
    tx.chain_id = "sig-test";
    tx.nonce = i;
    tx.max_fee = 10;
    tx.payload = modules::transfer_payload(crypto::Address::from_public_key(crypto::KeyPair::generate().public_key()), 1);
    tx.sign_single(key, kGenesisDigest);
    txs.push_back(std::move(tx));
  }
  return txs;
}

std::vector<SignatureChecks::Item> items_of(const std::vector<ledger::Transaction>& txs) {
  std::vector<SignatureChecks::Item> items;
  for (std::size_t i = 0; i < txs.size(); ++i) items.push_back({i, SignatureChecks::key_of(txs[i])});
  return items;
}

TEST(SignatureChecks, ABatchIsCheckedOnceWithEachFailureReportedAndEachSuccessRemembered) {
  SignatureChecks checks;
  auto txs = signed_transfers(300);  // many chunks on the pool
  txs[7].signature.bytes[0] ^= 1;
  txs[250].signature.bytes[5] ^= 1;
  const auto items = items_of(txs);
  const std::uint64_t before = crypto::verifications_total();
  const auto results = checks.verify_and_wait(SignatureChecks::Lane::kAdmission, kGenesisDigest, txs, items);
  EXPECT_EQ(crypto::verifications_total() - before, 300u);
  for (std::size_t i = 0; i < txs.size(); ++i) {
    EXPECT_EQ(results[i].ok(), i != 7 && i != 250) << i;
    EXPECT_EQ(checks.verified(items[i].key), i != 7 && i != 250) << i;
  }
  EXPECT_EQ(results[7].error().code, core::ErrorCode::kBadSignature);
  // Checked again: only the two that failed cost a verification.
  const std::uint64_t again = crypto::verifications_total();
  checks.verify_and_wait(SignatureChecks::Lane::kConsensus, kGenesisDigest, txs, items);
  EXPECT_EQ(crypto::verifications_total() - again, 2u);
}

TEST(SignatureChecks, SignaturesForAnotherGenesisAreRefused) {
  SignatureChecks checks;
  const auto txs = signed_transfers(40);
  const auto items = items_of(txs);
  const core::Hash32 other = core::hash(core::Domain::Test, core::as_bytes("another genesis"));
  const auto results = checks.verify_and_wait(SignatureChecks::Lane::kAdmission, other, txs, items);
  for (std::size_t i = 0; i < txs.size(); ++i) {
    ASSERT_FALSE(results[i].ok()) << i;
    EXPECT_EQ(results[i].error().code, core::ErrorCode::kBadSignature);
    EXPECT_FALSE(checks.verified(items[i].key));
  }
}

TEST(SignatureChecks, TheAsynchronousFormReportsTheFirstFailureOnce) {
  SignatureChecks checks;
  auto txs = std::make_shared<std::vector<ledger::Transaction>>(signed_transfers(200));
  (*txs)[150].signature.bytes[1] ^= 1;
  std::mutex mutex;
  std::condition_variable done;
  int calls = 0;
  std::string failure;
  checks.verify_async(SignatureChecks::Lane::kConsensus, kGenesisDigest, txs, items_of(*txs), [&](const std::string& why) {
    std::lock_guard lock(mutex);
    ++calls;
    failure = why;
    done.notify_all();
  });
  std::unique_lock lock(mutex);
  ASSERT_TRUE(done.wait_for(lock, std::chrono::seconds(30), [&] { return calls > 0; }));
  EXPECT_NE(failure.find(core::to_hex((*txs)[150].hash()).substr(0, 16)), std::string::npos) << failure;
  lock.unlock();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls, 1);

  // Nothing to check: done is still called, with no failure.
  std::atomic<bool> empty_done{false};
  checks.verify_async(SignatureChecks::Lane::kAdmission, kGenesisDigest, txs, {}, [&](const std::string& why) {
    EXPECT_TRUE(why.empty());
    empty_done = true;
  });
  for (int i = 0; i < 1000 && !empty_done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(empty_done.load());
}

}  // namespace
}  // namespace metanode::node
