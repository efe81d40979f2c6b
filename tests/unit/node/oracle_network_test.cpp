// The oracle end to end on four loopback validators (IBFT), each node's key an operator (role
// "oracle"): a local HTTP price source the test serves and changes; the council creates the feed;
// the nodes fetch, sign, exchange their observations over XTMP and a report closes each round
// with the right median. One operator lies (a fixed value far from the others, through the fetch
// a test injects) and does not move the median; with one node stopped rounds still close (its
// leadership passes to the others after the grace period). The sources' fetcher and its limits
// are tested here too against the same local server.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/http/http_server.hpp"
#include "modules/governance/governance.hpp"
#include "modules/oracle/oracle.hpp"
#include "node/node.hpp"
#include "node/oracle/fetcher.hpp"
#include "support/loopback_nodes.hpp"
#include "support/ports.hpp"
#include "support/wait.hpp"

namespace metanode::node {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::eventually;

constexpr std::size_t kValidators = 4;
constexpr std::chrono::milliseconds kHangGuard = 60s;  // only to catch hangs

// A price source: GET /price answers {"data": {"price": P}} with P as the test sets it (text, so
// "64123.45" travels exactly); GET /big answers more than any limit; GET /slow never in time.
class PriceSource {
 public:
  PriceSource() {
    router_.add("GET", "/price", [this](const api::Request&) {
      return api::Response{200, "application/json", R"({"data": {"price": )" + price() + "}}", {}};
    });
    router_.add("GET", "/text", [this](const api::Request&) {
      return api::Response{200, "application/json", R"({"price": ")" + price() + "\"}", {}};
    });
    router_.add("GET", "/big", [](const api::Request&) { return api::Response{200, "application/json", std::string(200'000, ' ') + "1", {}}; });
    router_.add("GET", "/missing", [](const api::Request&) { return api::Response{404, "application/json", "{}", {}}; });
    server_.emplace(io_, router_, api::HttpLimits{}, metrics_);
    EXPECT_TRUE(server_->listen("127.0.0.1", 0).ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~PriceSource() {
    server_->stop();
    io_.stop();
    thread_.join();
  }
  void set(std::string price) {
    std::lock_guard lock(mutex_);
    price_ = std::move(price);
  }
  std::string price() const {
    std::lock_guard lock(mutex_);
    return price_;
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(server_->port()) + path; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  api::Router router_;
  api::HttpMetrics metrics_;
  std::optional<api::HttpServer> server_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::string price_ = "100.00";
};

TEST(OracleFetcher, ReadsTheNumberAtAPointerExactlyAndRefusesWhatIsNotOne) {
  PriceSource source;
  source.set("64123.456");
  auto body = fetch_url(source.url("/price"), {});
  ASSERT_TRUE(body.ok()) << body.error().to_string();
  EXPECT_EQ(read_scaled(*body, "/data/price", 2).value(), 6'412'346);  // rounded half away from zero
  EXPECT_EQ(read_scaled(fetch_url(source.url("/text"), {}).value(), "/price", 0).value(), 64'123);
  EXPECT_EQ(scale_decimal("-1.005", 2).value(), -101);
  EXPECT_EQ(scale_decimal("7", 3).value(), 7'000);
  EXPECT_FALSE(scale_decimal("1e5", 0).ok());
  EXPECT_FALSE(scale_decimal("99999999999999999999", 0).ok());
  EXPECT_FALSE(read_scaled(*body, "/data/none", 2).ok());
  EXPECT_FALSE(read_scaled("not json", "/x", 2).ok());
  EXPECT_FALSE(read_scaled(R"({"x": true})", "/x", 2).ok());
  // Bounded: more than the limit, a status other than 200, nobody listening, not http(s).
  const auto big = fetch_url(source.url("/big"), FetchLimits{2'000ms, 1'024});
  ASSERT_FALSE(big.ok()) << big->size();
  EXPECT_NE(big.error().message.find("more than 1024 bytes"), std::string::npos) << big.error().message;
  EXPECT_FALSE(fetch_url(source.url("/missing"), {}).ok());
  EXPECT_FALSE(fetch_url("http://127.0.0.1:1/price", {}).ok());
  EXPECT_EQ(fetch_url("ftp://127.0.0.1/price", {}).error().code, core::ErrorCode::kInvalidArgument);
}

class OracleNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "metanode-oracle-net-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    for (std::size_t i = 0; i < kValidators; ++i) keys_.push_back(crypto::KeyPair::generate());
    genesis_.chain_id = "oracle-net-test";
    genesis_.genesis_time_unix_ms = 1'000;
    genesis_.base_fee_initial = 2;
    genesis_.base_fee_min = 1;
    genesis_.consensus = "ibft";
    nlohmann::json grants = nlohmann::json::object();
    for (std::size_t i = 0; i < kValidators; ++i) {
      genesis_.validators.push_back({"v" + std::to_string(i), keys_[i].public_key(), crypto::MldsaKeyPair::generate().public_key()});
      genesis_.accounts.push_back({crypto::Address::from_public_key(keys_[i].public_key()), 1'000'000});
      grants[crypto::Address::from_public_key(keys_[i].public_key()).to_string()] = {"oracle"};
    }
    genesis_.accounts.push_back({crypto::Address::from_public_key(council_.public_key()), 1'000'000});
    genesis_.modules[std::string(modules::kGovModule)] =
        nlohmann::json{{"council", {{"threshold", 1}, {"members", {crypto::Address::from_public_key(council_.public_key()).to_string()}}}},
                       {"grants", grants}}
            .dump();
    ASSERT_TRUE(genesis_.validate().ok());
    for (std::size_t i = 0; i < kValidators; ++i) bases_.push_back(ports_.base());
    for (std::size_t i = 0; i < kValidators; ++i) {
      NodeConfig config = testing::loopback_config(dir_ / ("v" + std::to_string(i)), "validator", bases_[i], keys_, bases_);
      config.oracle_interval_ms = 300;
      NodePlugins plugins = testing::standard_plugins();
      if (i == kLiar) {
        plugins.oracle_fetch = [](const modules::FeedSpec&) -> core::Result<std::int64_t> { return 999'999'00; };
      }
      auto node = Node::open(config, genesis_, keys_[i], std::move(plugins));
      ASSERT_TRUE(node.ok()) << node.error().to_string();
      nodes_.push_back(std::move(node).value());
    }
    for (auto& node : nodes_) ASSERT_TRUE(node->start().ok());
    ASSERT_TRUE(testing::network_formed(nodes_, 2, kHangGuard)) << "the network did not form and commit";
  }

  void TearDown() override {
    for (auto& node : nodes_) {
      if (node) node->stop();
    }
    nodes_.clear();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // The feed's latest state as node `i` has it.
  std::optional<modules::FeedState> latest(std::size_t i) {
    auto s = modules::read_feed_state(nodes_[i]->chain(), "btc-usd");
    return s.ok() ? *s : std::nullopt;
  }

  static constexpr std::size_t kLiar = 3;
  std::size_t reader_ = 0;
  PriceSource source_;
  ledger::Genesis genesis_;
  crypto::KeyPair council_ = crypto::KeyPair::generate();
  std::vector<crypto::KeyPair> keys_;
  testing::PortPicker ports_;
  std::vector<std::uint16_t> bases_;
  std::vector<std::unique_ptr<Node>> nodes_;
  fs::path dir_;
};

TEST_F(OracleNetworkTest, RoundsCloseWithTheHonestMedianWhileALiarAndThenADownNodeChangeNothing) {
  modules::GovProposal create;
  create.action = modules::GovAction::kCreateFeed;
  create.feed.id = "btc-usd";
  create.feed.sources = {{source_.url("/price"), "/data/price"}};
  create.feed.decimals = 2;
  create.feed.deviation_bps = 100;
  create.feed.heartbeat_ms = 600'000;  // rounds here come from price moves only
  create.feed.max_age_ms = 30'000;
  create.feed.min_value = 1;
  ledger::Transaction tx;
  tx.chain_id = genesis_.chain_id;
  tx.max_fee = 1'000;
  tx.bid = 5;
  tx.payload = modules::gov_propose_payload(create);
  tx.sign_single(council_, genesis_.digest());
  ASSERT_TRUE(nodes_[0]->tx_pool().admit({tx}, TxPool::Source::kClient).at(0).ok());

  // Round 1: the three honest operators see 100.00, the liar says 999,999.00: the median of the
  // quorum the report carries is an honest value whichever three or four observations it holds.
  const auto why = [&] {
    const OracleCounters c = nodes_[0]->oracle().counters();
    auto ids = modules::read_feed_ids(nodes_[0]->chain());
    return "feeds " + std::to_string(ids.ok() ? ids->size() : 0) + ", height " + std::to_string(nodes_[0]->chain().head().height) +
           ", signed " + std::to_string(c.observations_signed) + ", received " + std::to_string(c.observations_received) +
           ", refused " + std::to_string(c.observations_refused) + ", fetch failures " + std::to_string(c.fetch_failures) +
           ", reports " + std::to_string(c.reports_submitted) + " (refused " + std::to_string(c.reports_refused) + ")";
  };
  ASSERT_TRUE(eventually([&] { return latest(0) && latest(0)->round >= 1; }, kHangGuard)) << "no round closed: " << why();
  EXPECT_EQ(latest(0)->median, 100'00);
  const auto round1 = modules::read_round(nodes_[0]->chain(), "btc-usd", 1).value().value();
  EXPECT_GE(round1.observations.size(), 3u);

  // The price moves 5%: a new round with the new median.
  source_.set("105.00");
  ASSERT_TRUE(eventually([&] { return latest(0) && latest(0)->median == 105'00; }, kHangGuard))
      << "the move closed no round (latest " << (latest(0) ? latest(0)->median : -1) << ")";
  const std::uint64_t after_move = latest(0)->round;

  // The next round's leader down: after the grace period another operator submits, and the
  // median of the three left (two honest and the liar, or three honest) is still honest.
  auto operators = modules::read_oracle_operators(nodes_[0]->chain()).value();
  const crypto::Address leader = operators[(after_move + 1) % operators.size()];
  std::size_t down = 0;
  while (crypto::Address::from_public_key(keys_[down].public_key()) != leader) ++down;
  if (down == 0) {
    // Node 0 is the one this test reads from: read from another instead.
    reader_ = 1;
  }
  nodes_[down]->stop();
  source_.set("110.00");
  ASSERT_TRUE(eventually([&] { return latest(reader_) && latest(reader_)->median == 110'00; }, kHangGuard))
      << "no round with the leader down (latest " << (latest(reader_) ? latest(reader_)->median : -1) << ")";
  EXPECT_GT(latest(reader_)->round, after_move);
  const auto closed = modules::read_round(nodes_[reader_]->chain(), "btc-usd", latest(reader_)->round).value().value();
  EXPECT_NE(closed.reporter, leader);  // a backup submitted it
  const OracleCounters c = nodes_[reader_]->oracle().counters();
  EXPECT_GT(c.observations_signed, 0u);
  EXPECT_GT(c.observations_received, 0u);
  EXPECT_EQ(c.fetch_failures, 0u);
}

}  // namespace
}  // namespace metanode::node
