// Crash safety of the real node process. The node runs as a child process (the `metanode`
// binary) while this test streams signed transfers into it over HTTP; it is killed with SIGKILL
// at random instants and restarted, over and over. Every transaction the node had reported
// committed must still be committed at the same height after each restart, the chain must
// re-execute from genesis to its stored state root (`metanode verify`), and the token supply
// must be conserved. A second test stops the node with SIGTERM: it exits 0 promptly and keeps
// everything it reported.
//
// What this can and cannot catch. SIGKILL ends the process, not the kernel: bytes the node has
// handed to the OS survive it even if never synced. So the test fails when the node reports a
// commit (a transaction's status, or its head height) before the block's one batch has reached
// the OS: a head or index updated in memory first, a write queued to another thread, a RocksDB
// WAL that is disabled or flushed by hand (the memtable dies with the process), or a block
// written as several batches (a kill between them leaves a half-written block, which the
// restart, the per-height checks or `verify` refuse). Half of the kills land the instant after
// the test sees a fresh commit, so a report that runs ahead of the write is caught at once
// rather than only when a random kill happens to fall inside that window. What it cannot see is
// a missing fsync: that needs the page cache to be lost too (power loss, or a fault-injecting
// file system), which no process-level test gets.
//
// METANODE_CRASH_SEED=<n> replays a run's choices (stream, kill delays, kill modes); the node's
// own timing still differs between runs.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "services/ledger/ledger_json.hpp"
#include "api/http/http_client.hpp"
#include "crypto/encoding.hpp"
#include "crypto/keystore.hpp"
#include "ledger/account.hpp"
#include "ledger/audit_proofs.hpp"
#include "ledger/chain.hpp"
#include "ledger/genesis.hpp"
#include "merkle/sparse_merkle_tree.hpp"
#include "storage/audit_log.hpp"
#include "storage/cue_db.hpp"
#include "storage/write_batch.hpp"
#include "ledger/transaction.hpp"
#include "support/json_u64.hpp"
#include "system/audit_rewrite.hpp"
#include "system/process_support.hpp"
#include "modules/bank.hpp"
#include "modules/module_set.hpp"

namespace metanode {
namespace {

using namespace system_testing;
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Limits: every wait in this file is bounded by one of these.
constexpr milliseconds kHttpTimeout{5'000};
constexpr milliseconds kStartTimeout{20'000};   // process start until /health answers
constexpr milliseconds kReapTimeout{10'000};    // a SIGKILLed process is gone
constexpr milliseconds kTermTimeout{5'000};     // SIGTERM to exit: "within a few seconds"
constexpr milliseconds kStillAnsweringMax{10'000};  // a signalled node that keeps answering is a failure
constexpr milliseconds kCommandTimeout{60'000};  // init, verify
constexpr std::size_t kKills = 20;
constexpr int kKillDelayMinMs = 100;
constexpr int kKillDelayMaxMs = 800;
constexpr std::uint32_t kBlockIntervalMs = 100;
constexpr std::size_t kSubmitPerRound = 3;
constexpr std::uint64_t kInFlightMax = 400;  // submitted, not yet seen committed (mempool allows 1000 ahead)
constexpr std::size_t kPollsPerRound = 64;
constexpr milliseconds kRoundPause{8};
constexpr std::size_t kRecipients = 3;
constexpr std::uint64_t kMaxFeeOverBid = 1'000;  // base fee starts at 1 and stays near it here

std::uint64_t seed_of_run() {
  if (const char* text = std::getenv("METANODE_CRASH_SEED")) return std::strtoull(text, nullptr, 10);
  return (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
}

// Runs a command to completion (bounded); returns its wait status, or nullopt on a timeout.
std::optional<int> run_command(const std::vector<std::string>& args, const fs::path& log) {
  const pid_t pid = spawn(args, log);
  if (pid < 0) return std::nullopt;
  auto status = wait_exit(pid, kCommandTimeout);
  if (!status) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  return status;
}

struct Reply {
  bool reached = false;  // false: no HTTP answer at all (refused, reset, timed out)
  unsigned status = 0;
  json body;
  std::string text;
};

Reply http(const std::string& url, const std::string& method, const std::string& target, const std::string& body = "",
           const std::string& content_type = "application/json") {
  auto reply = api::http_request(url, method, target, body, content_type, kHttpTimeout);
  Reply r;
  if (!reply.ok()) {
    r.text = reply.error().message;
    return r;
  }
  r.reached = true;
  r.status = reply->status;
  r.text = reply->body;
  r.body = json::parse(reply->body, nullptr, false);
  return r;
}

// One signed transfer of the stream, in both submission forms.
struct StreamTx {
  ledger::Transaction tx;
  std::string hash;
  std::string binary;  // core::encode(tx)
  std::string json_text;
};

// What the node reported about a committed transaction.
struct Reported {
  std::uint64_t height = 0;
  std::string tx_root;
};

enum class Stop {
  kKillAtRandomInstant,  // SIGKILL from another thread: lands anywhere, mid-request included
  kKillOnFreshReport,    // SIGKILL right after the test sees a new commit or a new head
  kTerm,                 // SIGTERM at a random instant
};

const char* stop_name(Stop s) {
  switch (s) {
    case Stop::kKillAtRandomInstant: return "kill-random";
    case Stop::kKillOnFreshReport: return "kill-on-report";
    case Stop::kTerm: return "term";
  }
  return "?";
}

class NodeProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = seed_of_run();
    rng_.seed(seed_);
    std::printf("[ seed     ] METANODE_CRASH_SEED=%llu\n", static_cast<unsigned long long>(seed_));
    home_ = fs::temp_directory_path() / ("metanode-system-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(home_);
    fs::create_directories(home_);
    node_log_ = home_ / "node.log";

    const std::uint16_t port = free_port();
    ASSERT_NE(port, 0) << "no free port";
    url_ = "http://127.0.0.1:" + std::to_string(port);
    const auto init = run_command({METANODE_BINARY, "init", "--dir", (home_ / "node").string(), "--port-base",
                                   std::to_string(port - 1), "--block-interval-ms", std::to_string(kBlockIntervalMs)},
                                  home_ / "init.log");
    ASSERT_TRUE(init.has_value() && WIFEXITED(*init) && WEXITSTATUS(*init) == 0) << tail_of(home_ / "init.log");
    config_ = home_ / "node" / "config.toml";

    auto genesis = ledger::Genesis::load(home_ / "node" / "genesis.json");
    ASSERT_TRUE(genesis.ok()) << genesis.error().to_string();
    chain_id_ = genesis->chain_id;
    genesis_digest_ = genesis->digest();
    for (const auto& account : genesis->accounts) supply_ += account.balance;

    std::string passphrase = read_file(home_ / "node" / "passphrase");
    while (!passphrase.empty() && (passphrase.back() == '\n' || passphrase.back() == '\r')) passphrase.pop_back();
    crypto::Keystore store(home_ / "node" / "keys");
    auto dev = store.unlock("dev", passphrase);
    ASSERT_TRUE(dev.ok()) << dev.error().to_string();
    dev_key_ = dev->ed25519();
    dev_address_ = crypto::Address::from_public_key(dev_key_->public_key());
    auto validator = store.info("validator");
    ASSERT_TRUE(validator.ok()) << validator.error().to_string();
    validator_address_ = validator->address;
    for (const auto& account : genesis->accounts) {
      if (account.address == validator_address_) validator_genesis_balance_ = account.balance;
    }
    for (std::size_t i = 0; i < kRecipients; ++i) {
      crypto::Seed seed{};
      seed.fill(static_cast<core::Byte>(0xA0 + i));
      recipients_.push_back(crypto::Address::from_public_key(crypto::KeyPair::from_seed(seed).public_key()));
    }
    extend_stream(2'000);
  }

  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (HasFailure()) {
      std::printf("[ kept     ] %s\n[ node log ]\n%s\n", home_.string().c_str(), tail_of(node_log_).c_str());
    } else {
      fs::remove_all(home_);
    }
  }

  // Signs the stream further: one transfer per dev nonce, fixed by the seed, so a transaction the
  // node lost is resubmitted byte for byte (same hash).
  void extend_stream(std::size_t length) {
    std::uniform_int_distribution<std::uint64_t> amount(1, 1'000'000);
    std::uniform_int_distribution<std::uint64_t> bid(0, 40);
    std::uniform_int_distribution<std::size_t> to(0, kRecipients - 1);
    while (stream_.size() < length) {
      StreamTx s;
      s.tx.chain_id = chain_id_;
      s.tx.nonce = stream_.size();
      s.tx.bid = bid(rng_);
      s.tx.max_fee = s.tx.bid + kMaxFeeOverBid;
      s.tx.payload = modules::transfer_payload(recipients_[to(rng_)], amount(rng_));
      s.tx.memo = "crash " + std::to_string(s.tx.nonce);
      s.tx.sign_single(*dev_key_, genesis_digest_);
      s.hash = core::to_hex(s.tx.hash());
      s.binary = std::string(core::as_chars(core::encode(s.tx)));
      s.json_text = services::to_json(s.tx, modules::standard_modules()).dump();
      stream_.push_back(std::move(s));
    }
  }

  void start_node() {
    ASSERT_LT(pid_, 0);
    pid_ = spawn({METANODE_BINARY, "node", "--config", config_.string()}, node_log_);
    ASSERT_GT(pid_, 0) << "fork failed";
    ++starts_;
    const auto deadline = Clock::now() + kStartTimeout;
    while (true) {
      const Reply health = http(url_, "GET", "/health");
      if (health.reached && health.status == 200) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL() << "node exited while starting (" << describe_status(status) << "):\n" << tail_of(node_log_);
      }
      ASSERT_LT(Clock::now(), deadline) << "node did not answer /health within " << kStartTimeout.count() << " ms:\n"
                                        << tail_of(node_log_);
      std::this_thread::sleep_for(milliseconds(20));
    }
  }

  // Stops the node with SIGTERM; it must exit 0 within kTermTimeout.
  void stop_node_cleanly() {
    ASSERT_GT(pid_, 0);
    ::kill(pid_, SIGTERM);
    const auto status = wait_exit(pid_, kTermTimeout);
    if (!status) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
      FAIL() << "node did not exit within " << kTermTimeout.count() << " ms of SIGTERM:\n" << tail_of(node_log_);
    }
    pid_ = -1;
    ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << "SIGTERM: " << describe_status(*status) << "\n" << tail_of(node_log_);
  }

  // Records the node's "committed" answer for stream nonce `nonce`.
  void record_commit(std::uint64_t nonce, const json& doc) {
    Reported r;
    r.height = doc.at("height").get<std::uint64_t>();
    r.tx_root = doc.at("tx_root").get<std::string>();
    EXPECT_EQ(doc.at("receipt").at("status"), "success") << doc.dump();
    EXPECT_EQ(testing::u64_field(doc.at("tx"), "nonce", 0), nonce);
    const auto it = root_at_height_.emplace(r.height, r.tx_root).first;
    EXPECT_EQ(it->second, r.tx_root) << "two tx roots reported for height " << r.height;
    reported_max_height_ = std::max(reported_max_height_, r.height);
    reported_[nonce] = std::move(r);
  }

  // Streams transfers into the running node and polls their status until the node stops
  // answering after `stop` is delivered `delay` from now (SIGTERM: `delay` after the first
  // commit this phase sees, so there is always something to keep). Returns false if the node
  // failed before it was signalled.
  bool run_until_stopped(Stop stop, milliseconds delay) {
    // When the signal is due at the latest (SIGTERM may first wait up to kStartTimeout for a commit).
    const auto signal_at = Clock::now() + delay + (stop == Stop::kTerm ? kStartTimeout : milliseconds(0));
    const int signal_number = stop == Stop::kTerm ? SIGTERM : SIGKILL;
    const pid_t pid = pid_;
    std::atomic<bool> signalled{false};
    std::mutex mutex;
    std::condition_variable cancel_cv;
    bool cancelled = false;
    bool committed = false;  // guarded by mutex
    const std::uint64_t confirmed_at_start = confirmed_;
    std::thread signaller;
    if (stop != Stop::kKillOnFreshReport) {
      signaller = std::thread([&, stop] {
        std::unique_lock lock(mutex);
        auto at = Clock::now() + delay;
        if (stop == Stop::kTerm) {
          if (cancel_cv.wait_for(lock, kStartTimeout, [&] { return cancelled || committed; }) && cancelled) return;
          at = Clock::now() + delay;
        }
        if (cancel_cv.wait_until(lock, at, [&] { return cancelled; })) return;
        signalled = true;
        ::kill(pid, signal_number);
      });
    }
    struct Joiner {
      std::thread& t;
      std::mutex& m;
      std::condition_variable& cv;
      bool& cancelled;
      ~Joiner() {
        {
          std::lock_guard lock(m);
          cancelled = true;
        }
        cv.notify_all();
        if (t.joinable()) t.join();
      }
    } joiner{signaller, mutex, cancel_cv, cancelled};

    auto kill_now_if_due = [&] {
      if (stop != Stop::kKillOnFreshReport || Clock::now() < signal_at || signalled) return;
      signalled = true;
      ::kill(pid, SIGKILL);
    };
    // A failed request ends the phase: expected once the signal is out, a failure before it.
    auto ended = [&](const Reply& reply, const std::string& what) {
      if (signalled) return true;
      ADD_FAILURE() << "node stopped answering before it was signalled (" << what << "): HTTP " << reply.status << " "
                    << reply.text << "\n" << tail_of(node_log_);
      return false;
    };

    while (true) {
      if (Clock::now() > signal_at + kStillAnsweringMax) {
        ADD_FAILURE() << "node still answering " << kStillAnsweringMax.count() << " ms after " << stop_name(stop);
        return false;
      }
      for (std::size_t i = 0; i < kSubmitPerRound && next_submit_ - confirmed_ < kInFlightMax; ++i) {
        if (next_submit_ + 1 >= stream_.size()) extend_stream(stream_.size() + 1'000);
        const StreamTx& s = stream_[next_submit_];
        const bool binary = s.tx.nonce % 2 == 0;  // both submission forms
        attempted_ = std::max(attempted_, next_submit_ + 1);
        const Reply r = http(url_, "POST", "/v1/txs", binary ? s.binary : s.json_text,
                             binary ? "application/octet-stream" : "application/json");
        if (r.reached && r.status == 409 && r.body.contains("error") &&
            r.body["error"].value("code", "") == "tx_nonce_too_low") {
          // Consensus keeps a proposal that was prepared before the kill and commits it after
          // the restart: its transactions are committed although the mempool started empty.
          const Reply status = http(url_, "GET", "/v1/txs/" + s.hash);
          if (status.reached && status.status == 200 && status.body.value("status", "") == "committed") {
            ++next_submit_;
            ++committed_from_prepared_;
            continue;
          }
        }
        if (!r.reached || r.status != 202) return ended(r, "submit nonce " + std::to_string(s.tx.nonce));
        EXPECT_EQ(r.body.value("hash", ""), s.hash);
        ++next_submit_;
        ++submissions_;
      }
      const Reply health = http(url_, "GET", "/health");
      if (!health.reached || health.status != 200) return ended(health, "health");
      const std::uint64_t head = health.body.value("height", std::uint64_t{0});
      if (head > head_seen_max_) {
        head_seen_max_ = head;
        kill_now_if_due();
      }
      for (std::size_t polls = 0; polls < kPollsPerRound && confirmed_ < next_submit_; ++polls) {
        const Reply r = http(url_, "GET", "/v1/txs/" + stream_[confirmed_].hash);
        if (r.reached && r.status == 404) {
          // A live node forgets an accepted transaction only with a restart; it must otherwise
          // always know it as pending, committed or dropped.
          ADD_FAILURE() << "nonce " << confirmed_ << " was accepted (202) but is now unknown: " << r.text;
          return false;
        }
        if (!r.reached || r.status != 200) return ended(r, "tx status");
        const std::string state = r.body.value("status", "");
        if (state == "pending") break;
        if (state != "committed") {
          ADD_FAILURE() << "nonce " << confirmed_ << ": unexpected answer " << r.text;
          return false;
        }
        record_commit(confirmed_, r.body);
        ++confirmed_;
        if (confirmed_ == confirmed_at_start + 1) {
          {
            std::lock_guard lock(mutex);
            committed = true;
          }
          cancel_cv.notify_all();
        }
        kill_now_if_due();
      }
      if (signalled && stop == Stop::kKillOnFreshReport) return true;
      std::this_thread::sleep_for(kRoundPause);
    }
  }

  // After a stop, reaps the process and checks how it ended.
  void reap(Stop stop) {
    const auto status = wait_exit(pid_, stop == Stop::kTerm ? kTermTimeout : kReapTimeout);
    if (!status) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
      FAIL() << "node did not exit after " << stop_name(stop) << ":\n" << tail_of(node_log_);
    }
    pid_ = -1;
    if (stop == Stop::kTerm) {
      ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
          << "SIGTERM: " << describe_status(*status) << "\n" << tail_of(node_log_);
    } else {
      ASSERT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL)
          << "expected death by SIGKILL: " << describe_status(*status) << "\n" << tail_of(node_log_);
    }
  }

  // Run right after a restart, before anything new is submitted.
  void check_after_restart() {
    const Reply health = http(url_, "GET", "/health");
    ASSERT_TRUE(health.reached && health.status == 200) << health.text;
    const std::uint64_t head = health.body.at("height").get<std::uint64_t>();
    // Nothing the node said was committed may be gone: not a transaction, not a head height.
    ASSERT_GE(head, reported_max_height_) << "head went back below a reported commit";
    ASSERT_GE(head, head_seen_max_) << "head went back below a height /health had reported";

    const Reply account = http(url_, "GET", "/v1/accounts/" + dev_address_.to_string());
    ASSERT_TRUE(account.reached && account.status == 200) << account.text;
    const std::uint64_t nonce = testing::u64_field(account.body, "nonce", 0);
    // The mempool starts empty, so the next nonce is the committed one.
    ASSERT_EQ(testing::u64_field(account.body, "next_nonce", 0), nonce);
    ASSERT_GE(nonce, confirmed_) << "the dev account's nonce went back below reported commits";
    ASSERT_LE(nonce, attempted_) << "more transactions committed than were ever sent";

    // The commits reported since the last restart are the ones this kill could have lost.
    for (std::uint64_t n = checked_upto_; n < confirmed_; ++n) {
      const Reply r = http(url_, "GET", "/v1/txs/" + stream_[n].hash);
      ASSERT_TRUE(r.reached && r.status == 200) << "nonce " << n << " reported committed, now: " << r.text;
      ASSERT_EQ(r.body.value("status", ""), "committed") << "nonce " << n << " lost: " << r.text;
      ASSERT_EQ(r.body.at("height").get<std::uint64_t>(), reported_.at(n).height) << "nonce " << n << " moved";
      ASSERT_EQ(r.body.at("tx_root").get<std::string>(), reported_.at(n).tx_root) << "nonce " << n;
      ++commits_rechecked_;
    }
    // Every block a commit was reported in still holds the same transactions.
    for (const auto& [height, tx_root] : root_at_height_) {
      const Reply r = http(url_, "GET", "/v1/blocks/" + std::to_string(height));
      ASSERT_TRUE(r.reached && r.status == 200) << "block " << height << ": " << r.text;
      ASSERT_EQ(r.body.at("header").at("tx_root").get<std::string>(), tx_root) << "block " << height << " changed";
    }
    // Committed after the last poll, before the kill: never reported, but on the chain now.
    for (std::uint64_t n = confirmed_; n < nonce; ++n) {
      const Reply r = http(url_, "GET", "/v1/txs/" + stream_[n].hash);
      ASSERT_TRUE(r.reached && r.status == 200) << r.text;
      ASSERT_EQ(r.body.value("status", ""), "committed") << "nonce " << n << " consumed but not found: " << r.text;
      record_commit(n, r.body);
      ++committed_unreported_;
    }
    // The rest was in the lost mempool (allowed): resubmit from the chain's nonce on.
    lost_ += next_submit_ > nonce ? next_submit_ - nonce : 0;
    confirmed_ = nonce;
    next_submit_ = nonce;
    checked_upto_ = nonce;
  }

  // With the node running and idle: walks the whole chain and checks that it holds exactly the
  // stream's transfers in nonce order, at the heights reported, and that balances add up.
  void audit_chain() {
    const Reply health = http(url_, "GET", "/health");
    ASSERT_TRUE(health.reached && health.status == 200) << health.text;
    const std::uint64_t head = health.body.at("height").get<std::uint64_t>();
    std::map<std::string, std::uint64_t> received;  // recipient address -> amount
    std::uint64_t burned = 0;
    std::uint64_t tips = 0;
    std::uint64_t anchor_fees = 0;  // paid by the validator itself
    std::uint64_t next_nonce = 0;
    for (std::uint64_t height = 1; height <= head; ++height) {
      const Reply r = http(url_, "GET", "/v1/blocks/" + std::to_string(height) + "?full=true");
      ASSERT_TRUE(r.reached && r.status == 200) << "block " << height << ": " << r.text;
      const std::uint64_t base_fee = testing::u64_field(r.body.at("header"), "base_fee", 0);
      const json& txs = r.body.at("txs");
      ASSERT_EQ(txs.size(), r.body.at("header").at("tx_count").get<std::size_t>());
      for (const json& tx : txs) {
        if (tx.value("sender", std::string()) == validator_address_.to_string()) {
          // The node anchoring its audit log (modules/audit): its fee is burned and tipped like any.
          const std::uint64_t max_fee = testing::u64_field(tx, "max_fee", 0);
          const std::uint64_t fee = std::min(max_fee, base_fee + testing::u64_field(tx, "bid", 0));
          burned += base_fee;
          tips += fee - base_fee;
          anchor_fees += fee;
          continue;
        }
        const std::uint64_t nonce = testing::u64_field(tx, "nonce", UINT64_MAX);
        ASSERT_EQ(nonce, next_nonce) << "block " << height << ": the stream is not on the chain in nonce order";
        ASSERT_LT(nonce, stream_.size());
        ASSERT_EQ(tx.at("hash").get<std::string>(), stream_[nonce].hash) << "nonce " << nonce;
        if (auto it = reported_.find(nonce); it != reported_.end()) {
          ASSERT_EQ(it->second.height, height) << "nonce " << nonce << " reported at another height";
        }
        const auto transfer = modules::transfer_of(stream_[nonce].tx.payload).value();
        received[transfer.to.to_string()] += transfer.amount;
        const auto fee = ledger::fee_for(stream_[nonce].tx, base_fee);
        ASSERT_TRUE(fee.has_value());
        burned += base_fee;
        tips += *fee - base_fee;
        ++next_nonce;
      }
      ++blocks_;
    }
    ASSERT_GE(next_nonce, reported_.size()) << "every recorded commit is on the chain";
    // Beyond those: only transactions of a proposal prepared before the last kill, which
    // consensus committed after check_after_restart had read the account.
    ASSERT_LE(next_nonce, attempted_) << "more transactions committed than were ever sent";

    auto balance_of = [&](const crypto::Address& address) -> std::uint64_t {
      // At the height walked: the idle node keeps committing blocks (its audit anchors among them).
      const Reply r = http(url_, "GET", "/v1/accounts/" + address.to_string() + "?height=" + std::to_string(head));
      EXPECT_TRUE(r.reached && r.status == 200) << r.text;
      return testing::u64_field(r.body, "balance", 0);
    };
    std::uint64_t total = balance_of(dev_address_) + balance_of(validator_address_) + burned;
    for (const auto& recipient : recipients_) {
      const std::uint64_t balance = balance_of(recipient);
      EXPECT_EQ(balance, received[recipient.to_string()]) << recipient.to_string();
      total += balance;
    }
    EXPECT_EQ(balance_of(validator_address_), validator_genesis_balance_ + tips - anchor_fees)
        << "the proposer earns exactly the tips (and pays for its audit anchors)";
    EXPECT_EQ(total, supply_) << "dev + recipients + validator + burned base fees != genesis supply";
  }

  void verify_offline() {
    const fs::path log = home_ / "verify.log";
    const auto status = run_command({METANODE_BINARY, "verify", "--config", config_.string()}, log);
    ASSERT_TRUE(status.has_value()) << "verify did not finish within " << kCommandTimeout.count() << " ms";
    const std::string out = read_file(log);
    ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << describe_status(*status) << "\n" << out;
    ASSERT_NE(out.find("ok: "), std::string::npos) << out;
    // One validator: its own signature is the quorum, and a block whose certificate a kill lost is
    // signed again at the next start, so every block ends up certified.
    std::smatch m;
    ASSERT_TRUE(std::regex_search(out, m, std::regex(R"((\d+) of (\d+) blocks carry a header certificate)"))) << out;
    EXPECT_EQ(m[1].str(), m[2].str()) << out;
  }

  std::uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  fs::path home_;
  fs::path config_;
  fs::path node_log_;
  std::string url_;
  pid_t pid_ = -1;
  std::string chain_id_;
  core::Hash32 genesis_digest_{};
  std::uint64_t supply_ = 0;
  std::uint64_t validator_genesis_balance_ = 0;
  std::optional<crypto::KeyPair> dev_key_;
  crypto::Address dev_address_;
  crypto::Address validator_address_;
  std::vector<crypto::Address> recipients_;
  std::vector<StreamTx> stream_;

  // The stream's progress, by dev nonce: [0, confirmed_) reported committed; [confirmed_,
  // next_submit_) submitted to the running node; attempted_ bounds what was ever sent.
  std::uint64_t confirmed_ = 0;
  std::uint64_t next_submit_ = 0;
  std::uint64_t attempted_ = 0;
  std::uint64_t checked_upto_ = 0;
  std::map<std::uint64_t, Reported> reported_;
  std::map<std::uint64_t, std::string> root_at_height_;
  std::uint64_t reported_max_height_ = 0;
  std::uint64_t head_seen_max_ = 0;

  std::size_t starts_ = 0;
  std::uint64_t submissions_ = 0;
  std::uint64_t lost_ = 0;
  std::uint64_t commits_rechecked_ = 0;
  std::uint64_t committed_unreported_ = 0;
  std::uint64_t committed_from_prepared_ = 0;
  std::uint64_t blocks_ = 0;
};

TEST_F(NodeProcessTest, EveryReportedCommitSurvivesSigkill) {
  const auto started = Clock::now();
  ASSERT_NO_FATAL_FAILURE(start_node());
  std::uniform_int_distribution<int> delay_ms(kKillDelayMinMs, kKillDelayMaxMs);
  std::bernoulli_distribution on_report(0.5);
  std::size_t kills_on_report = 0;
  for (std::size_t kill = 0; kill < kKills; ++kill) {
    const Stop stop = on_report(rng_) ? Stop::kKillOnFreshReport : Stop::kKillAtRandomInstant;
    const milliseconds delay(delay_ms(rng_));
    if (stop == Stop::kKillOnFreshReport) ++kills_on_report;
    ASSERT_TRUE(run_until_stopped(stop, delay)) << "kill " << kill << " (" << stop_name(stop) << " after "
                                                << delay.count() << " ms)";
    ASSERT_NO_FATAL_FAILURE(reap(stop)) << "kill " << kill;
    ASSERT_NO_FATAL_FAILURE(start_node()) << "restart after kill " << kill;
    ASSERT_NO_FATAL_FAILURE(check_after_restart()) << "after kill " << kill << " (" << stop_name(stop) << " after "
                                                   << delay.count() << " ms)";
  }
  ASSERT_GT(confirmed_, 0u) << "nothing was ever committed: the test exercised nothing";
  ASSERT_NO_FATAL_FAILURE(audit_chain());
  ASSERT_NO_FATAL_FAILURE(stop_node_cleanly());
  ASSERT_NO_FATAL_FAILURE(verify_offline());
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::printf("[ summary  ] seed %llu: %zu kills (%zu on a fresh report), %zu starts, %llu submissions, "
              "%llu commits reported, %llu rechecked after a kill, %llu committed unseen before a kill, "
              "%llu lost from the mempool and resubmitted (%llu of them committed from a proposal prepared before "
              "the kill), %llu blocks, verify ok, %.1f s\n",
              static_cast<unsigned long long>(seed_), kKills, kills_on_report, starts_,
              static_cast<unsigned long long>(submissions_), static_cast<unsigned long long>(confirmed_),
              static_cast<unsigned long long>(commits_rechecked_),
              static_cast<unsigned long long>(committed_unreported_), static_cast<unsigned long long>(lost_),
              static_cast<unsigned long long>(committed_from_prepared_), static_cast<unsigned long long>(blocks_), seconds);
}

// Four clients ask `url` as fast as they can, each request distinct (`prefix` + N); the process
// `pid` is killed with SIGKILL mid-storm (0.4 to 1.2 s in). The Cage's request digests of the
// requests that got an answer.
std::vector<std::string> storm_then_kill(const std::string& url, const std::string& prefix, pid_t pid, std::mt19937_64& rng) {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> next{0};
  std::mutex mutex;
  std::vector<std::string> answered;
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      while (!stop) {
        const std::string target = prefix + std::to_string(next++);
        const Reply r = http(url, "GET", target);
        if (!r.reached) return;  // killed
        if (r.status != 200) continue;
        const std::string digest = core::to_hex(crypto::sha256(core::as_bytes("GET " + target + "\n")));
        std::lock_guard lock(mutex);
        answered.push_back(digest);
      }
    });
  }
  std::uniform_int_distribution<int> delay_ms(400, 1'200);
  std::this_thread::sleep_for(milliseconds(delay_ms(rng)));
  ::kill(pid, SIGKILL);
  stop = true;
  for (auto& t : clients) t.join();
  return answered;
}

// The request digests of every http.request event in the audit column of the stopped database at `dir`.
void read_request_digests(const fs::path& dir, const std::string& chain_id, std::set<std::string>& out) {
  storage::OpenOptions open;
  open.chain_id = chain_id;
  open.read_only = true;
  open.create_if_missing = false;
  auto db = storage::CueDb::open(dir, open);
  ASSERT_TRUE(db.ok()) << db.error().to_string();
  ASSERT_TRUE(storage::for_each_audit_event(**db, [&](std::uint64_t, const storage::AuditEvent& e, core::ByteView) {
                if (e.action == "http.request") out.insert(e.digest);
                return true;
              }).ok());
}

// The audit trail under SIGKILL: four clients ask as fast as they can, each request distinct
// (GET /health?probe=N); the node is killed mid-storm. Every request that got an answer must have
// its event in the log (the Cage holds an answer until its event is synced), the node must start
// again over the log it left, and `metanode audit verify` must pass over all of it.
TEST_F(NodeProcessTest, EveryAnsweredRequestHasItsAuditEventAfterSigkill) {
  ASSERT_NO_FATAL_FAILURE(start_node());
  const std::vector<std::string> answered = storm_then_kill(url_, "/health?probe=", pid_, rng_);
  ASSERT_NO_FATAL_FAILURE(reap(Stop::kKillAtRandomInstant));
  ASSERT_GT(answered.size(), 20u) << "the storm got too few answers to test anything";

  // Restarted over what the kill left, then stopped cleanly: a final checkpoint signs it all.
  ASSERT_NO_FATAL_FAILURE(start_node());
  ASSERT_NO_FATAL_FAILURE(stop_node_cleanly());
  std::set<std::string> recorded;
  ASSERT_NO_FATAL_FAILURE(read_request_digests(home_ / "node" / "data", chain_id_, recorded));
  std::size_t missing = 0;
  for (const auto& digest : answered) missing += recorded.contains(digest) ? 0 : 1;
  EXPECT_EQ(missing, 0u) << missing << " of " << answered.size() << " answered requests have no audit event";
  const fs::path log = home_ / "audit-verify.log";
  const auto status = run_command({METANODE_BINARY, "audit", "verify", "--config", config_.string()}, log);
  ASSERT_TRUE(status.has_value());
  const std::string out = read_file(log);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << out;
  EXPECT_NE(out.find("Ed25519 and ML-DSA-65"), std::string::npos) << out;
  std::printf("[ summary  ] %zu answered requests, %zu request events in the audit log\n", answered.size(),
              recorded.size());

  // History rewritten on disk (one refusal made to look allowed) is named by `audit verify`, and
  // the node refuses to start over it.
  {
    auto genesis = ledger::Genesis::load(home_ / "node" / "genesis.json");
    ASSERT_TRUE(genesis.ok());
    auto st = rewrite_audit_event(home_ / "node" / "data", genesis->chain_id, 3, /*forget_checkpoints=*/false);
    ASSERT_TRUE(st.ok()) << st.error().to_string();
  }
  const auto rewritten = run_command({METANODE_BINARY, "audit", "verify", "--config", config_.string()}, log);
  ASSERT_TRUE(rewritten.has_value());
  const std::string named = read_file(log);
  EXPECT_TRUE(WIFEXITED(*rewritten) && WEXITSTATUS(*rewritten) != 0) << named;
  EXPECT_NE(named.find("was changed or removed"), std::string::npos) << named;
  pid_ = spawn({METANODE_BINARY, "node", "--config", config_.string()}, node_log_);
  const auto refused = wait_exit(pid_, kStartTimeout);
  pid_ = -1;
  ASSERT_TRUE(refused.has_value()) << "the node started over a rewritten audit log";
  EXPECT_TRUE(WIFEXITED(*refused) && WEXITSTATUS(*refused) != 0);
  EXPECT_NE(read_file(node_log_).find("audit log"), std::string::npos) << tail_of(node_log_);
}

// BPCI's own audit trail under SIGKILL: the same storm against the console's Cage (GET
// /v1/fleet?probe=N), BPCI killed mid-storm. Every answered request has its event in BPCI's log;
// restarted, BPCI anchors its log on chain through the node; `metanode audit verify` checks it
// over HTTP (with the anchor, proven) and offline, with the genesis that registers BPCI's key.
TEST_F(NodeProcessTest, EveryRequestBpciAnsweredHasItsAuditEventAfterSigkillAndItsLogIsAnchored) {
  // BPCI's key, registered (and funded) in the genesis before the chain starts.
  const fs::path bpci_dir = home_ / "bpci";
  std::string passphrase = read_file(home_ / "node" / "passphrase");
  while (!passphrase.empty() && (passphrase.back() == '\n' || passphrase.back() == '\r')) passphrase.pop_back();
  {
    fs::create_directories(bpci_dir);
    std::ofstream(bpci_dir / "passphrase") << passphrase << "\n";
    crypto::Keystore store(bpci_dir / "keys");
    auto key = store.create("bpci", passphrase, 1);
    ASSERT_TRUE(key.ok()) << key.error().to_string();
    auto genesis = ledger::Genesis::load(home_ / "node" / "genesis.json");
    ASSERT_TRUE(genesis.ok());
    genesis->modules["audit"] =
        ledger::audit_logs_section({{"bpci", key->ed25519_public_key, key->mldsa_public_key}}).dump();
    genesis->accounts.push_back({key->address, 1'000'000'000});
    ASSERT_TRUE(genesis->save(home_ / "node" / "genesis.json").ok());
  }
  ASSERT_NO_FATAL_FAILURE(start_node());
  std::ofstream(home_ / "fleet.toml") << "genesis = \"node/genesis.json\"\n[[nodes]]\nname = \"node\"\napi = \"" << url_
                                      << "\"\n";
  fs::create_directories(home_ / "web");
  std::ofstream(home_ / "web" / "index.html") << "<!doctype html><title>console</title>";
  const std::uint16_t port = free_port();
  ASSERT_NE(port, 0);
  const std::string bpci_url = "http://127.0.0.1:" + std::to_string(port);
  const fs::path bpci_log = home_ / "bpci.log";
  pid_t bpci = -1;
  const auto start_bpci = [&] {
    bpci = spawn({METANODE_BINARY, "bpci", "--fleet", (home_ / "fleet.toml").string(), "--port", std::to_string(port),
                  "--web", (home_ / "web").string(), "--data-dir", bpci_dir.string(), "--anchor-interval-s", "1",
                  "--checkpoint-interval-ms", "200"},
                 bpci_log);
    ASSERT_GT(bpci, 0);
    const auto deadline = Clock::now() + kStartTimeout;
    while (!http(bpci_url, "GET", "/health").reached) {
      ASSERT_LT(Clock::now(), deadline) << tail_of(bpci_log);
      std::this_thread::sleep_for(milliseconds(20));
    }
  };
  ASSERT_NO_FATAL_FAILURE(start_bpci());

  const std::vector<std::string> answered = storm_then_kill(bpci_url, "/v1/fleet?probe=", bpci, rng_);
  ASSERT_TRUE(wait_exit(bpci, kTermTimeout).has_value());
  ASSERT_GT(answered.size(), 20u) << "the storm got too few answers to test anything";
  std::set<std::string> recorded;
  ASSERT_NO_FATAL_FAILURE(read_request_digests(bpci_dir / "db", chain_id_, recorded));
  std::size_t missing = 0;
  for (const auto& digest : answered) missing += recorded.contains(digest) ? 0 : 1;
  EXPECT_EQ(missing, 0u) << missing << " of " << answered.size() << " answered requests have no event in BPCI's log";

  // Restarted over what the kill left: it anchors its log on chain (a transaction through the
  // node), and `audit verify` over HTTP finds the anchor, proven, inside the log.
  ASSERT_NO_FATAL_FAILURE(start_bpci());
  const fs::path log = home_ / "bpci-verify.log";
  std::string out;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  for (;;) {
    fs::remove(log);
    const auto status = run_command({METANODE_BINARY, "audit", "verify", "--node", bpci_url + "/bpci", "--home",
                                     (home_ / "node").string(), "--as", "dev"},
                                    log);
    out = read_file(log);
    ASSERT_TRUE(status.has_value());
    ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << out;
    if (out.find("anchored on chain: not yet") == std::string::npos) break;
    ASSERT_LT(Clock::now(), deadline) << "BPCI's log was never anchored:\n" << out << tail_of(bpci_log);
    std::this_thread::sleep_for(milliseconds(500));
  }
  EXPECT_NE(out.find("(bpci) checks"), std::string::npos) << out;
  EXPECT_NE(out.find("Ed25519 and ML-DSA-65"), std::string::npos) << out;
  EXPECT_NE(out.find("contained in the log"), std::string::npos) << out;
  ::kill(bpci, SIGTERM);
  const auto stopped = wait_exit(bpci, kTermTimeout);
  ASSERT_TRUE(stopped.has_value() && WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0) << tail_of(bpci_log);
  fs::remove(log);
  const auto offline = run_command({METANODE_BINARY, "audit", "verify", "--data-dir", (bpci_dir / "db").string(),
                                    "--genesis", (home_ / "node" / "genesis.json").string()},
                                   log);
  ASSERT_TRUE(offline.has_value());
  EXPECT_TRUE(WIFEXITED(*offline) && WEXITSTATUS(*offline) == 0) << read_file(log);
  std::printf("[ summary  ] BPCI: %zu answered requests, %zu request events in its audit log\n", answered.size(),
              recorded.size());
  ASSERT_NO_FATAL_FAILURE(stop_node_cleanly());
}

TEST_F(NodeProcessTest, SigtermExitsZeroAndKeepsReportedCommits) {
  ASSERT_NO_FATAL_FAILURE(start_node());
  std::uniform_int_distribution<int> delay_ms(300, 800);
  const milliseconds delay(delay_ms(rng_));
  ASSERT_TRUE(run_until_stopped(Stop::kTerm, delay));
  ASSERT_NO_FATAL_FAILURE(reap(Stop::kTerm));
  ASSERT_GT(confirmed_, 0u) << "nothing was committed before SIGTERM: the test exercised nothing";
  ASSERT_NO_FATAL_FAILURE(start_node());
  ASSERT_NO_FATAL_FAILURE(check_after_restart());
  ASSERT_NO_FATAL_FAILURE(audit_chain());
  ASSERT_NO_FATAL_FAILURE(stop_node_cleanly());
  ASSERT_NO_FATAL_FAILURE(verify_offline());
  std::printf("[ summary  ] seed %llu: SIGTERM after %lld ms, %llu commits reported, %llu blocks, verify ok\n",
              static_cast<unsigned long long>(seed_), static_cast<long long>(delay.count()),
              static_cast<unsigned long long>(confirmed_), static_cast<unsigned long long>(blocks_));
}


// A damaged state node (one flipped byte in the recipient's leaf, as a bad disk sector would do):
// the transfer that reads it must not commit as a failed transaction. The node stops with exit
// code 3, its chain is exactly as before, and once the byte is repaired it runs and commits again.
TEST_F(NodeProcessTest, AStorageFaultStopsTheNodeWithNothingCommittedAndItRunsAgainOnceRepaired) {
  const crypto::Address to = recipients_[1];
  const auto transfer = [&](std::uint64_t nonce) {
    ledger::Transaction tx;
    tx.chain_id = chain_id_;
    tx.nonce = nonce;
    tx.bid = 1;
    tx.max_fee = 1 + kMaxFeeOverBid;
    tx.payload = modules::transfer_payload(to, 7);
    tx.sign_single(*dev_key_, genesis_digest_);
    return tx;
  };
  const auto submit = [&](const ledger::Transaction& tx) {
    return http(url_, "POST", "/v1/txs", services::to_json(tx, modules::standard_modules()).dump());
  };
  const auto committed = [&](const ledger::Transaction& tx) {
    const auto deadline = Clock::now() + milliseconds(15'000);
    while (Clock::now() < deadline) {
      const Reply r = http(url_, "GET", "/v1/txs/" + core::to_hex(tx.hash()));
      if (r.reached && r.status == 200 && r.body.value("status", "") == "committed") return true;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  };
  ASSERT_NO_FATAL_FAILURE(start_node());
  const ledger::Transaction first = transfer(0);
  ASSERT_EQ(submit(first).status, 202u);
  ASSERT_TRUE(committed(first)) << tail_of(node_log_);
  ASSERT_NO_FATAL_FAILURE(stop_node_cleanly());

  // Flip one byte of the recipient's stored leaf.
  auto genesis = ledger::Genesis::load(home_ / "node" / "genesis.json");
  ASSERT_TRUE(genesis.ok());
  const fs::path data = home_ / "node" / "data";
  core::Hash32 leaf_id{};
  core::Bytes original;
  std::uint64_t height_before = 0;
  {
    auto chain = ledger::Chain::open(data, *genesis, modules::standard_modules());
    ASSERT_TRUE(chain.ok()) << chain.error().to_string();
    height_before = (*chain)->head().height;
    auto account = (*chain)->account(to);
    ASSERT_TRUE(account.ok() && account->balance == 7);
    leaf_id = merkle::SparseMerkleTree::leaf_hash(ledger::account_tree_key(to),
                                                  merkle::SparseMerkleTree::value_hash(core::encode(*account)));
    auto stored = (*chain)->db().get(storage::Column::kStateNodes, core::ByteView(leaf_id));
    ASSERT_TRUE(stored.ok() && stored->has_value()) << "the recipient's leaf is not stored under its id";
    original = **stored;
    core::Bytes damaged = original;
    damaged[damaged.size() / 2] ^= 0x10;
    storage::WriteBatch batch;
    batch.put(storage::Column::kStateNodes, core::ByteView(leaf_id), damaged);
    ASSERT_TRUE((*chain)->db().write(std::move(batch), /*sync=*/true).ok());
  }

  ASSERT_NO_FATAL_FAILURE(start_node());
  ASSERT_EQ(submit(transfer(1)).status, 202u);  // admission reads only the sender
  const auto status = wait_exit(pid_, milliseconds(20'000));
  ASSERT_TRUE(status.has_value()) << "the node did not stop on the fault:\n" << tail_of(node_log_);
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 3) << describe_status(*status) << "\n" << tail_of(node_log_);
  const std::string log = read_file(node_log_);
  EXPECT_NE(log.find("environment fault"), std::string::npos) << tail_of(node_log_);
  EXPECT_NE(log.find("state_corrupt"), std::string::npos) << tail_of(node_log_);
  {
    auto chain = ledger::Chain::open(data, *genesis, modules::standard_modules());
    ASSERT_TRUE(chain.ok()) << chain.error().to_string();
    EXPECT_EQ((*chain)->head().height, height_before) << "a block was committed from the faulted execution";
    storage::WriteBatch batch;  // the repair: the byte as it was
    batch.put(storage::Column::kStateNodes, core::ByteView(leaf_id), original);
    ASSERT_TRUE((*chain)->db().write(std::move(batch), /*sync=*/true).ok());
  }
  ASSERT_NO_FATAL_FAILURE(start_node());
  const ledger::Transaction again = transfer(1);
  ASSERT_EQ(submit(again).status, 202u);
  ASSERT_TRUE(committed(again)) << tail_of(node_log_);
  EXPECT_EQ(testing::u64_field(http(url_, "GET", "/v1/accounts/" + to.to_string()).body, "balance", 0), 14u);
  ASSERT_NO_FATAL_FAILURE(stop_node_cleanly());
  ASSERT_NO_FATAL_FAILURE(verify_offline());
}

// A full disk (the data directory on a 48 MB tmpfs, filled up under load): the node stops by
// itself with exit code 4 and a clear message, without a RocksDB abort, and once space is freed it
// starts again with every transaction it had answered "committed". Needs root to mount the tmpfs.
TEST_F(NodeProcessTest, AFullDiskStopsTheNodeCleanlyAndNothingAcknowledgedIsLost) {
  const fs::path data = home_ / "node" / "data";
  fs::create_directories(data);
  if (::geteuid() != 0 || ::mount("tmpfs", data.c_str(), "tmpfs", 0, "size=48m") != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs here (needs root): " << std::strerror(errno);
  }
  struct Unmount {
    fs::path at;
    ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } unmount{data};
  ASSERT_NO_FATAL_FAILURE(start_node());
  // Transfers flow, each one the node answers "committed" recorded; after ten, the disk fills.
  std::vector<std::string> committed;
  const fs::path filler = data / "filler.bin";
  std::optional<int> status;
  for (std::size_t n = 0; n < stream_.size() && !status; ++n) {
    if (committed.size() == 10 && !fs::exists(filler)) {
      std::ofstream out(filler, std::ios::binary);
      const std::string block(1 << 20, '\0');
      while (out.write(block.data(), static_cast<std::streamsize>(block.size())) && out.flush()) {
      }
    }
    if (http(url_, "POST", "/v1/txs", stream_[n].json_text).status == 202) {
      for (int i = 0; i < 40; ++i) {
        const Reply poll = http(url_, "GET", "/v1/txs/" + stream_[n].hash);
        if (!poll.reached) break;
        if (poll.status == 200 && poll.body.value("status", "") == "committed") {
          committed.push_back(stream_[n].hash);
          break;
        }
        std::this_thread::sleep_for(milliseconds(25));
      }
    }
    status = wait_exit(pid_, milliseconds(1));
  }
  ASSERT_GE(committed.size(), 10u) << tail_of(node_log_);
  if (!status) status = wait_exit(pid_, milliseconds(20'000));
  ASSERT_TRUE(status.has_value()) << "the node kept running on a full disk:\n" << tail_of(node_log_);
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 4) << describe_status(*status) << "\n" << tail_of(node_log_);
  EXPECT_NE(read_file(node_log_).find("the disk is full"), std::string::npos) << tail_of(node_log_);

  fs::remove(filler);
  ASSERT_NO_FATAL_FAILURE(start_node());
  for (const auto& hash : committed) {
    const Reply r = http(url_, "GET", "/v1/txs/" + hash);
    EXPECT_EQ(r.body.value("status", ""), "committed") << hash << " was answered committed before the disk filled";
  }
  ASSERT_NO_FATAL_FAILURE(stop_node_cleanly());
  ASSERT_NO_FATAL_FAILURE(verify_offline());
}

// The CLI as a user runs it: twenty `metanode tx transfer` commands fired back to back from one
// account all go through (each asks for the next nonce, which counts pending transactions),
// and the query commands read the result.
TEST_F(NodeProcessTest, TwentyCliTransfersInARowAllCommit) {
  ASSERT_NO_FATAL_FAILURE(start_node());
  const std::string home = (home_ / "node").string();
  const std::string to = recipients_[0].to_string();
  for (int i = 1; i <= 20; ++i) {
    std::vector<std::string> args = {METANODE_BINARY, "tx", "transfer", "--home", home, "--to", to,
                                     "--amount", "1", "--bid", std::to_string(i)};
    if (i == 20) args.push_back("--wait");
    const auto status = run_command(args, home_ / "cli.log");
    ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << "transfer " << i << ":\n" << tail_of(home_ / "cli.log");
  }
  // --wait on the last one returned once it was committed; the nineteen before it precede it in
  // nonce order, so they are committed too.
  const Reply dev = http(url_, "GET", "/v1/accounts/" + dev_address_.to_string());
  ASSERT_EQ(dev.status, 200u) << dev.text;
  EXPECT_EQ(testing::u64_field(dev.body, "nonce", 0), 20u);
  const Reply recipient = http(url_, "GET", "/v1/accounts/" + to);
  EXPECT_EQ(testing::u64_field(recipient.body, "balance", 0), 20u);
  const std::string log = read_file(home_ / "cli.log");
  EXPECT_NE(log.find("committed "), std::string::npos) << log;

  // Any module's payload through `tx send`: as the module's JSON fields, and as raw bytes.
  const std::string fields = "{\"to\":\"" + to + "\",\"amount\":2}";
  const std::string data = core::to_hex(core::encode(modules::Transfer{recipients_[0], 3}));
  for (const std::vector<std::string>& send :
       {std::vector<std::string>{METANODE_BINARY, "tx", "send", "--home", home, "--module", "bank", "--kind", "transfer",
                                 "--fields", fields, "--bid", "1", "--wait"},
        std::vector<std::string>{METANODE_BINARY, "tx", "send", "--home", home, "--module", "bank", "--kind", "transfer",
                                 "--data", data, "--bid", "1", "--wait"}}) {
    const auto status = run_command(send, home_ / "send.log");
    ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << tail_of(home_ / "send.log");
  }
  EXPECT_EQ(testing::u64_field(http(url_, "GET", "/v1/accounts/" + to).body, "balance", 0), 25u);
  // A module this chain does not run is refused by the node, with its code.
  const auto unknown = run_command({METANODE_BINARY, "tx", "send", "--home", home, "--module", "nosuchmodule", "--kind",
                                    "report", "--data", "00", "--bid", "1"},
                                   home_ / "unknown.log");
  ASSERT_TRUE(unknown && WIFEXITED(*unknown));
  EXPECT_EQ(WEXITSTATUS(*unknown), 1);
  EXPECT_NE(read_file(home_ / "unknown.log").find("tx_unknown_payload"), std::string::npos) << read_file(home_ / "unknown.log");

  // A bid at the top of u64: the default max fee saturates instead of wrapping to a small cap, so
  // the node judges the fee the sender can pay, not a bid over a wrapped max fee.
  const auto greedy = run_command({METANODE_BINARY, "tx", "transfer", "--home", home, "--to", to, "--amount", "1",
                                   "--bid", "18446744073709551615"},
                                  home_ / "greedy.log");
  ASSERT_TRUE(greedy && WIFEXITED(*greedy));
  EXPECT_EQ(WEXITSTATUS(*greedy), 1);
  const std::string greedy_log = read_file(home_ / "greedy.log");
  EXPECT_EQ(greedy_log.find("exceeds max_fee"), std::string::npos) << greedy_log;
  EXPECT_NE(greedy_log.find("tx_insufficient_balance"), std::string::npos) << greedy_log;

  // --genesis names the chain the key signs for: a node that serves another genesis (here one that
  // differs in one field) gets nothing signed.
  auto twin = ledger::Genesis::load(home_ / "node" / "genesis.json");
  ASSERT_TRUE(twin.ok()) << twin.error().to_string();
  twin->block_txs_target += 1;
  ASSERT_TRUE(twin->save(home_ / "twin-genesis.json").ok());
  const auto refused = run_command({METANODE_BINARY, "tx", "transfer", "--home", home, "--genesis",
                                    (home_ / "twin-genesis.json").string(), "--to", to, "--amount", "1", "--bid", "1"},
                                   home_ / "twin.log");
  ASSERT_TRUE(refused && WIFEXITED(*refused));
  EXPECT_EQ(WEXITSTATUS(*refused), 1);
  EXPECT_NE(read_file(home_ / "twin.log").find("not signing"), std::string::npos) << read_file(home_ / "twin.log");
  EXPECT_EQ(testing::u64_field(http(url_, "GET", "/v1/accounts/" + to).body, "balance", 0), 25u);

  // `metanode reset` refuses while the node runs on the directory.
  const auto reset = run_command({METANODE_BINARY, "reset", "--config", config_.string(), "--force"}, home_ / "reset.log");
  ASSERT_TRUE(reset && WIFEXITED(*reset));
  EXPECT_EQ(WEXITSTATUS(*reset), 1);
  EXPECT_NE(read_file(home_ / "reset.log").find("a node is running"), std::string::npos) << read_file(home_ / "reset.log");
  EXPECT_TRUE(fs::exists(home_ / "node" / "data"));

  for (const std::vector<std::string>& query :
       {std::vector<std::string>{METANODE_BINARY, "query", "account", to, "--home", home},
        std::vector<std::string>{METANODE_BINARY, "query", "block", "latest", "--home", home, "--json"}}) {
    const auto status = run_command(query, home_ / "query.log");
    ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << tail_of(home_ / "query.log");
  }
  EXPECT_NE(read_file(home_ / "query.log").find("\"tx_root\""), std::string::npos);
  ASSERT_NO_FATAL_FAILURE(stop_node_cleanly());
}

}  // namespace
}  // namespace metanode
