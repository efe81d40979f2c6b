// Bad peers against the node runtime, over real XTMP links on loopback. Four validators are in
// genesis: three run as Nodes, and the test holds the fourth key and speaks XTMP itself
// through a net::Transport, so it is an authenticated validator that misbehaves. Strangers,
// garbage, bad certificates, oversized frames, votes with bad signatures, sync replies with
// forged certificates, gossiped transactions with bad signatures and a proposal carrying one
// must each be refused visibly (a runtime counter or a log line) and leave the honest nodes
// committing blocks, with the same chain, and committing a good transaction submitted afterwards.
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/ports.hpp"
#include "support/wait.hpp"
#include "unit/net/raw_xtmp_client.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <string>
#include <thread>
#include <vector>

#include "consensus/finality.hpp"
#include "consensus/ibft/messages.hpp"
#include "consensus/types.hpp"
#include "core/clock.hpp"
#include "core/codec.hpp"
#include "crypto/mldsa.hpp"
#include "net/frame.hpp"
#include "net/pq_channel.hpp"
#include "net/tls.hpp"
#include "net/transport.hpp"
#include "node/node.hpp"
#include "modules/bank.hpp"

namespace metanode::node {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using consensus::consensus_chain_id;
using consensus::ConsensusPayload;
using consensus::Finality;

// Waits use testing::eventually (tests/support/wait.hpp): a 15 s hang guard; with 300 ms rounds
// the network commits several blocks a second.

constexpr std::size_t kHonest = 3;
constexpr consensus::ValidatorIndex kByzantine = 3;  // the validator the test plays
constexpr std::uint64_t kFunded = 1'000'000;
constexpr std::uint64_t kMaxFee = 100;
constexpr std::uint64_t kBid = 5;

using testing::eventually;

crypto::Seed seed_of(int i) {
  crypto::Seed s{};
  s[0] = static_cast<core::Byte>(i);
  s[1] = 0xb9;
  s[31] = 0x3c;
  return s;
}

crypto::Address address_of(const crypto::KeyPair& key) { return crypto::Address::from_public_key(key.public_key()); }

core::Bytes random_bytes(std::size_t size, std::uint32_t salt) {
  std::mt19937 rng(salt);
  core::Bytes b(size);
  for (auto& byte : b) byte = static_cast<core::Byte>(rng() & 0xff);
  return b;
}

core::Hash32 random_hash(std::uint32_t salt) {
  core::Hash32 h{};
  const core::Bytes b = random_bytes(h.size(), salt);
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}

using testing::PortPicker;

// ---- what the runtime logs, kept so a test can see a refusal was reported ----

class CapturedLog final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::size_t count(std::string_view needle) {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(
        std::count_if(lines_.begin(), lines_.end(), [&](const std::string& l) { return l.find(needle) != std::string::npos; }));
  }
  std::size_t count_all(std::string_view a, std::string_view b) {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count_if(lines_.begin(), lines_.end(), [&](const std::string& l) {
      return l.find(a) != std::string::npos && l.find(b) != std::string::npos;
    }));
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (lines_.size() < 100'000) lines_.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

 public:
  // The last `n` lines, for a failing test's report.
  std::string tail(std::size_t n) {
    std::lock_guard lock(mutex_);
    std::string out;
    for (std::size_t i = lines_.size() > n ? lines_.size() - n : 0; i < lines_.size(); ++i) out += "  " + lines_[i] + "\n";
    return out;
  }

 private:
  std::vector<std::string> lines_;
};

// ---- the Byzantine validator's side of the links ----

struct Received {
  crypto::PublicKey peer;
  net::Frame frame;
};

struct ByzantineInbox {
  std::mutex mutex;
  std::vector<Received> frames;  // everything but consensus traffic (counted only)
  std::size_t consensus_frames = 0;
  std::size_t connects = 0;

  net::TransportHandler handler() {
    net::TransportHandler h;
    h.on_frame = [this](const crypto::PublicKey& peer, net::Frame frame) {
      std::lock_guard lock(mutex);
      if (frame.type == net::FrameType::kConsensus) {
        ++consensus_frames;
      } else {
        frames.push_back({peer, std::move(frame)});
      }
    };
    h.on_connected = [this](const crypto::PublicKey&) {
      std::lock_guard lock(mutex);
      ++connects;
    };
    return h;
  }
  // Removes and returns the frames of `type` from `peer`.
  std::vector<net::Frame> take(const crypto::PublicKey& peer, net::FrameType type) {
    std::lock_guard lock(mutex);
    std::vector<net::Frame> out;
    std::erase_if(frames, [&](Received& r) {
      if (r.peer != peer || r.frame.type != type) return false;
      out.push_back(std::move(r.frame));
      return true;
    });
    return out;
  }
  std::size_t total() {
    std::lock_guard lock(mutex);
    return frames.size() + consensus_frames;
  }
  std::size_t connected_count() {
    std::lock_guard lock(mutex);
    return connects;
  }
};

using net::testing::RawXtmpClient;


// True when the peer ends a plain TCP or TLS stream within `limit` (reads and discards meanwhile).
template <typename Stream>
bool stream_closed_within(asio::io_context& io, Stream& stream, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    std::array<char, 4096> buf;
    bool done = false;
    boost::system::error_code result;
    stream.async_read_some(asio::buffer(buf), [&](const boost::system::error_code& ec, std::size_t) {
      done = true;
      result = ec;
    });
    io.restart();
    const auto left = end - std::chrono::steady_clock::now();
    io.run_for(left > 0ms ? std::chrono::duration_cast<std::chrono::milliseconds>(left) : 0ms);
    if (!done) {
      boost::system::error_code ignored;
      stream.lowest_layer().cancel(ignored);
      io.restart();
      io.run();
      return false;
    }
    if (result) return true;
  }
}

// A well-formed self-signed X.509 certificate over a P-256 key: not an Ed25519 validator identity.
bool use_p256_identity(SSL_CTX* ctx) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  bool ok = key != nullptr && cert != nullptr;
  if (ok) {
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    static constexpr unsigned char kCommonName[] = "impostor";
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, kCommonName, -1, -1, 0);
    X509_set_issuer_name(cert, name);
    ok = X509_sign(cert, key, EVP_sha256()) > 0 && SSL_CTX_use_certificate(ctx, cert) == 1 &&
         SSL_CTX_use_PrivateKey(ctx, key) == 1;
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

// One bounded HTTP GET; the status (0 when there was no answer).
unsigned http_get_status(std::uint16_t port, const std::string& target) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  http::request<http::empty_body> req(http::verb::get, target, 11);
  req.set(http::field::host, "127.0.0.1");
  http::response<http::string_body> res;
  beast::error_code read_ec = asio::error::would_block;
  stream.expires_after(5s);
  stream.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), [&](beast::error_code ec) {
    if (ec) {
      read_ec = ec;
      return;
    }
    http::async_write(stream, req, [&](beast::error_code write_ec, std::size_t) {
      if (write_ec) {
        read_ec = write_ec;
        return;
      }
      http::async_read(stream, buffer, res, [&](beast::error_code ec2, std::size_t) { read_ec = ec2; });
    });
  });
  io.run_for(7s);
  return read_ec ? 0u : res.result_int();
}

// ---- the network ----

class BadPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Log capture first: no other thread logs until the nodes start.
    log_ = std::make_shared<CapturedLog>();
    auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    console->set_level(spdlog::level::err);
    auto logger = std::make_shared<spdlog::logger>("bad-peer-test", spdlog::sinks_init_list{log_, console});
    logger->set_level(spdlog::level::info);
    previous_logger_ = spdlog::default_logger();
    spdlog::set_default_logger(logger);

    std::string pattern = (fs::temp_directory_path() / "metanode-bad-peer-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;

    for (int i = 0; i < 4; ++i) validator_keys_.push_back(crypto::KeyPair::from_seed(seed_of(i + 1)));
    genesis_.chain_id = "bad-peer-test";
    genesis_.genesis_time_unix_ms = 1'000;
    genesis_.base_fee_initial = 2;
    genesis_.base_fee_min = 1;
    genesis_.consensus = "ibft";
    for (std::size_t i = 0; i < validator_keys_.size(); ++i) {
      genesis_.validators.push_back(
          {"v" + std::to_string(i), validator_keys_[i].public_key(), crypto::MldsaKeyPair::generate().public_key()});
    }
    genesis_.accounts.push_back({address_of(alice_), kFunded});
    genesis_.accounts.push_back({address_of(bob_), kFunded});

    PortPicker ports;
    for (std::size_t i = 0; i < kHonest; ++i) {
      bases_.push_back(ports.base());
      ASSERT_NE(bases_.back(), 0);
    }
    byzantine_port_ = ports.single();
    ASSERT_NE(byzantine_port_, 0);

    // The Byzantine validator listens first, so the honest nodes that dial it find it at once.
    start_byzantine();

    for (std::size_t i = 0; i < kHonest; ++i) {
      NodeConfig config;
      config.config_dir = dir_ / ("node" + std::to_string(i));
      fs::create_directories(config.config_dir);
      config.port_base = bases_[i];
      config.ephemeral_ports = false;
      config.round_timeout_ms = 300;
      config.round_timeout_cap_ms = 1200;
      config.leader_reputation = false;  // the Byzantine peer must keep its turns as leader
      config.http_threads = 2;
      for (std::size_t j = 0; j < kHonest; ++j) {
        config.peers.push_back(honest_key(j).to_hex() + "@127.0.0.1:" + std::to_string(xtmp_port(j)));
      }
      config.peers.push_back(byzantine_key().public_key().to_hex() + "@127.0.0.1:" + std::to_string(byzantine_port_));
      // Node 0 also serves one full node (the raw client of the garbage test).
      if (i == 0) config.full_nodes.push_back(full_node_key_.public_key().to_hex());
      auto node = Node::open(config, genesis_, validator_keys_[i]);
      ASSERT_TRUE(node.ok()) << node.error().to_string();
      nodes_.push_back(std::move(node).value());
    }
    for (auto& node : nodes_) {
      auto st = node->start();
      ASSERT_TRUE(st.ok()) << st.error().to_string();
    }
    ASSERT_TRUE(eventually([&] {
      for (const auto& node : nodes_) {
        if (node->runtime_status().peers_connected != kHonest || node->chain().head().height < 2) return false;
      }
      return byzantine_->connected_count() == kHonest;
    })) << "the network did not form and commit: " << describe();

    auto block0 = nodes_[0]->chain().block(0);
    ASSERT_TRUE(block0.ok() && block0->has_value());
    chain_id_ = consensus_chain_id(genesis_.digest());
  }

  void start_byzantine() {
    net::TransportConfig t;
    t.seed = byzantine_key().seed();
    t.listen_port = byzantine_port_;
    t.backoff_base_ms = 20;
    t.backoff_cap_ms = 200;
    for (const auto& k : validator_keys_) t.allowed.insert(k.public_key());
    for (std::size_t i = 0; i < kHonest; ++i) t.peers.push_back({honest_key(i), "127.0.0.1", xtmp_port(i)});
    byzantine_ = std::make_unique<net::Transport>(t, byzantine_inbox_.handler());
    auto started = byzantine_->start();
    ASSERT_TRUE(started.ok()) << started.error().to_string();
  }

  void TearDown() override {
    if (byzantine_) byzantine_->stop();
    for (auto& node : nodes_) node->stop();
    nodes_.clear();
    byzantine_.reset();
    if (log_ && (HasFailure() || std::getenv("METANODE_TEST_LOG") != nullptr)) {
      std::fprintf(stderr, "node log (last 300 lines):\n%s", log_->tail(300).c_str());
    }
    spdlog::set_default_logger(previous_logger_);
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  const crypto::KeyPair& byzantine_key() const { return validator_keys_[kByzantine]; }
  const crypto::PublicKey& honest_key(std::size_t i) const { return validator_keys_[i].public_key(); }
  std::uint16_t xtmp_port(std::size_t i) const { return static_cast<std::uint16_t>(bases_[i] + 4); }
  std::uint16_t api_port(std::size_t i) const { return static_cast<std::uint16_t>(bases_[i] + 1); }

  std::string describe() const {
    std::string out;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const auto s = nodes_[i]->runtime_status();
      out += "node " + std::to_string(i) + ": height " + std::to_string(nodes_[i]->chain().head().height) + ", round " +
             std::to_string(s.round) + ", peers " + std::to_string(s.peers_connected) + ", refused " +
             std::to_string(s.messages_refused) + ", syncs refused " + std::to_string(s.syncs_refused) +
             (s.failed ? ", FAILED" : "") + "; ";
    }
    return out;
  }

  ledger::Transaction transfer(const crypto::KeyPair& from, std::uint64_t nonce, std::uint64_t amount,
                               const crypto::Address& to, std::string memo) const {
    ledger::Transaction tx;
    tx.chain_id = genesis_.chain_id;
    tx.nonce = nonce;
    tx.max_fee = kMaxFee;
    tx.bid = kBid;
    tx.payload = modules::transfer_payload(to, amount);
    tx.memo = std::move(memo);
    tx.sign_single(from, genesis_.digest());
    return tx;
  }
  std::uint64_t committed_nonce(std::size_t node, const crypto::KeyPair& key) const {
    auto account = nodes_[node]->chain().account(address_of(key));
    EXPECT_TRUE(account.ok());
    return account.ok() ? account->nonce : 0;
  }
  std::optional<ledger::TxRecord> find_tx(std::size_t node, const core::Hash32& hash) const {
    auto record = nodes_[node]->chain().find_tx(hash);
    EXPECT_TRUE(record.ok()) << record.error().to_string();
    return record.ok() ? *record : std::nullopt;
  }

  // The id of the consensus block node `node` committed at `height` (0: the genesis block).
  core::Hash32 consensus_id(std::size_t node, std::uint64_t height) const {
    if (height == 0) return consensus::genesis_block(chain_id_).id();
    auto stored = nodes_[node]->chain().block(height);
    EXPECT_TRUE(stored.ok() && stored->has_value()) << "no block " << height;
    if (!stored.ok() || !stored->has_value()) return {};
    auto finality = core::decode<Finality>((*stored)->finality);
    EXPECT_TRUE(finality.ok());
    return finality.ok() ? finality->block.id() : core::Hash32{};
  }
  std::optional<Finality> finality_of(std::size_t node, std::uint64_t height) const {
    auto stored = nodes_[node]->chain().block(height);
    if (!stored.ok() || !stored->has_value()) return std::nullopt;
    auto finality = core::decode<Finality>((*stored)->finality);
    if (!finality.ok()) return std::nullopt;
    return *finality;
  }

  bool send_from_byzantine(std::size_t to, net::FrameType type, std::uint32_t stream, core::ByteView payload) {
    return byzantine_->send(honest_key(to), type, stream, payload);
  }

  // The honest chains hold the same block at every height they share.
  void expect_chains_agree() {
    std::uint64_t common = nodes_[0]->chain().head().height;
    for (const auto& node : nodes_) common = std::min(common, node->chain().head().height);
    for (std::uint64_t h = 1; h <= common; ++h) {
      auto reference = nodes_[0]->chain().block(h);
      ASSERT_TRUE(reference.ok() && reference->has_value());
      for (std::size_t i = 1; i < nodes_.size(); ++i) {
        auto other = nodes_[i]->chain().block(h);
        ASSERT_TRUE(other.ok() && other->has_value());
        EXPECT_EQ((*other)->block.hash(), (*reference)->block.hash()) << "node " << i << " differs at height " << h;
      }
    }
  }

  // The network still works: every honest node commits more blocks, a good transaction
  // submitted to `via` commits on all of them, the chains agree and no node stopped.
  void expect_network_keeps_working(std::size_t via, const std::string& context) {
    std::vector<std::uint64_t> before;
    for (const auto& node : nodes_) before.push_back(node->chain().head().height);
    EXPECT_TRUE(eventually([&] {
      for (std::size_t i = 0; i < nodes_.size(); ++i) {
        if (nodes_[i]->chain().head().height < before[i] + 2) return false;
      }
      return true;
    })) << context << ": blocks stopped: " << describe();

    auto next = nodes_[via]->backend().next_nonce(address_of(alice_));
    ASSERT_TRUE(next.ok());
    const auto tx = transfer(alice_, *next, 17, address_of(bob_), "good after " + context);
    auto admitted = nodes_[via]->backend().submit(tx);
    ASSERT_TRUE(admitted.ok()) << context << ": " << admitted.error().to_string();
    EXPECT_TRUE(eventually([&] {
      for (std::size_t i = 0; i < nodes_.size(); ++i) {
        if (!find_tx(i, tx.hash())) return false;
      }
      return true;
    })) << context << ": the good transaction did not commit everywhere: " << describe();
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (auto record = find_tx(i, tx.hash())) {
        EXPECT_EQ(record->receipt.status, ledger::ReceiptStatus::kSuccess);
      }
    }
    expect_chains_agree();
    for (const auto& node : nodes_) EXPECT_FALSE(node->runtime_status().failed) << context;
  }

  std::filesystem::path dir_;
  std::shared_ptr<CapturedLog> log_;
  std::shared_ptr<spdlog::logger> previous_logger_;
  std::vector<crypto::KeyPair> validator_keys_;
  crypto::KeyPair alice_ = crypto::KeyPair::from_seed(seed_of(50));
  crypto::KeyPair bob_ = crypto::KeyPair::from_seed(seed_of(51));
  crypto::KeyPair full_node_key_ = crypto::KeyPair::from_seed(seed_of(60));
  ledger::Genesis genesis_;
  core::Hash32 chain_id_{};
  std::vector<std::uint16_t> bases_;
  std::uint16_t byzantine_port_ = 0;
  ByzantineInbox byzantine_inbox_;
  std::unique_ptr<net::Transport> byzantine_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

std::vector<std::uint64_t> refused_counts(const std::vector<std::unique_ptr<Node>>& nodes) {
  std::vector<std::uint64_t> out;
  for (const auto& node : nodes) out.push_back(node->runtime_status().messages_refused);
  return out;
}

// ---- 1. a key outside genesis ----

TEST_F(BadPeerTest, PeerWithUnknownKeyCannotLink) {
  // A stranger whose key is smaller than every honest key, so by the transport's rule it is the
  // one that dials each of them (a larger key would only wait to be dialed).
  crypto::Seed stranger_seed{};
  crypto::PublicKey smallest = honest_key(0);
  for (std::size_t i = 1; i < kHonest; ++i) smallest = std::min(smallest, honest_key(i));
  for (int i = 100;; ++i) {
    ASSERT_LT(i, 1000);
    if (crypto::KeyPair::from_seed(seed_of(i)).public_key() < smallest) {
      stranger_seed = seed_of(i);
      break;
    }
  }
  const auto stranger_key = crypto::KeyPair::from_seed(stranger_seed).public_key();
  const auto refused_before = refused_counts(nodes_);

  ByzantineInbox stranger_inbox;  // same bookkeeping: frames and connects
  net::TransportConfig t;
  t.seed = stranger_seed;
  t.listen = false;
  t.backoff_base_ms = 20;
  t.backoff_cap_ms = 100;
  t.allowed.insert(stranger_key);
  for (std::size_t i = 0; i < kHonest; ++i) {
    t.allowed.insert(honest_key(i));
    t.peers.push_back({honest_key(i), "127.0.0.1", xtmp_port(i)});
  }
  net::Transport stranger(t, stranger_inbox.handler());
  ASSERT_TRUE(stranger.start().ok());

  // Every node turns it away after the handshake, and says so; the stranger keeps retrying.
  EXPECT_TRUE(eventually([&] { return log_->count_all("inbound link", "refused: unknown key") >= 2 * kHonest; }))
      << log_->count_all("inbound link", "refused: unknown key") << " refusals logged";
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(stranger.connected_count(), 0u);
  EXPECT_EQ(stranger_inbox.connected_count(), 0u);
  EXPECT_EQ(stranger_inbox.total(), 0u) << "a node delivered frames to a stranger";
  for (std::size_t i = 0; i < kHonest; ++i) {
    EXPECT_FALSE(stranger.send(honest_key(i), net::FrameType::kConsensus, 0, random_bytes(64, 1)));
    EXPECT_FALSE(stranger.send(honest_key(i), net::FrameType::kTxGossip, 0, random_bytes(64, 2)));
    EXPECT_EQ(nodes_[i]->runtime_status().peers_connected, kHonest) << "node " << i;
  }
  EXPECT_EQ(refused_counts(nodes_), refused_before) << "a frame from the stranger reached a runtime";
  EXPECT_EQ(log_->count("xtmp: linked with " + stranger_key.to_hex().substr(0, 12)), 0u);

  expect_network_keeps_working(1, "a stranger dialing");
  stranger.stop();
  for (std::size_t i = 0; i < kHonest; ++i) EXPECT_EQ(nodes_[i]->runtime_status().peers_connected, kHonest);
}

// ---- 2. not XTMP, or XTMP that breaks the rules ----

TEST_F(BadPeerTest, GarbageBadCertificatesAndOversizedFramesAreDropped) {
  const std::uint16_t port = xtmp_port(0);
  const auto refused_before = refused_counts(nodes_);

  // Garbage bytes over plain TCP (not even TLS): the node ends the connection.
  for (std::uint32_t salt : {1u, 2u}) {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
    const core::Bytes garbage = random_bytes(salt == 1 ? 4096 : 9, salt);
    boost::system::error_code ec;
    asio::write(socket, asio::buffer(garbage), ec);
    EXPECT_TRUE(stream_closed_within(io, socket, 5000ms)) << "garbage connection " << salt << " left open";
  }
  // An HTTP request on the XTMP port.
  {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
    const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    boost::system::error_code ec;
    asio::write(socket, asio::buffer(request), ec);
    EXPECT_TRUE(stream_closed_within(io, socket, 5000ms));
  }
  // TLS 1.3 without a client certificate (mutual authentication is required), then with a
  // well-formed certificate whose key is not Ed25519: no link either way.
  const auto tls_attempt = [&](bool with_p256_certificate) {
    asio::io_context io;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_3_VERSION);
    ctx.set_verify_mode(asio::ssl::verify_none);
    if (with_p256_certificate) {
      ASSERT_TRUE(use_p256_identity(ctx.native_handle()));
    }
    asio::ssl::stream<tcp::socket> ssl(io, ctx);
    ssl.next_layer().connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
    boost::system::error_code ec;
    ssl.handshake(asio::ssl::stream_base::client, ec);
    // In TLS 1.3 the client finishes first; the server's refusal arrives as an alert or the end.
    if (!ec) {
      EXPECT_TRUE(stream_closed_within(io, ssl, 5000ms)) << "TLS link without a validator identity left open";
    }
  };
  tls_attempt(false);
  tls_attempt(true);
  EXPECT_TRUE(eventually([&] {
    return log_->count("TLS handshake failed: peer did not return a certificate") >= 1 &&
           log_->count("refused: peer certificate key is not Ed25519") >= 1;
  })) << log_->tail(20);

  EXPECT_EQ(nodes_[0]->runtime_status().peers_connected, kHonest);
  EXPECT_EQ(refused_counts(nodes_), refused_before);

  // An authenticated full node (allowed on node 0, not a validator): its consensus frame reaches
  // the runtime and is refused there; then a frame header over the size limit ends its link.
  RawXtmpClient client;
  ASSERT_TRUE(client.connect(port, full_node_key_.seed()));
  ASSERT_TRUE(eventually([&] { return nodes_[0]->runtime_status().peers_connected == kHonest + 1; }));
  client.send_sealed(net::FrameType::kConsensus, 0, random_bytes(80, 3));
  EXPECT_TRUE(eventually([&] { return nodes_[0]->runtime_status().messages_refused == refused_before[0] + 1; }));
  EXPECT_GE(log_->count("which is not a validator: dropped"), 1u);
  core::Bytes header;
  const std::uint32_t oversized = net::kFrameBodyMaxDefault + 1;
  for (int i = 0; i < 4; ++i) header.push_back(static_cast<core::Byte>((oversized >> (8 * i)) & 0xff));
  header.push_back(static_cast<core::Byte>(net::FrameType::kConsensus));
  for (int i = 0; i < 4; ++i) header.push_back(0);
  client.write_bytes(header);
  EXPECT_TRUE(client.closed_within(5000ms)) << "an oversized frame did not end the link";
  EXPECT_TRUE(eventually([&] { return nodes_[0]->runtime_status().peers_connected == kHonest; }));
  EXPECT_GE(log_->count("bad frame"), 1u);
  EXPECT_EQ(nodes_[0]->runtime_status().messages_refused, refused_before[0] + 1);

  expect_network_keeps_working(0, "garbage on the XTMP port");
}

// ---- 3. votes with bad signatures from an authenticated validator ----

class BadPeerVotesTest : public BadPeerTest {
 protected:
  // Sends what `make` builds for the height node `target` is deciding until every message of one
  // batch was refused there. A message for a height decided meanwhile is ignored as old, not
  // refused, so a batch that raced a commit is sent again for the new height.
  void expect_all_refused(std::size_t target, const std::function<std::vector<core::Bytes>(std::uint64_t height)>& make,
                          const std::string& what) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      const std::uint64_t before = nodes_[target]->runtime_status().messages_refused;
      const std::uint64_t height = nodes_[target]->chain().head().height + 1;
      const auto messages = make(height);
      for (const auto& m : messages) ASSERT_TRUE(send_from_byzantine(target, net::FrameType::kConsensus, 0, m));
      if (eventually([&] { return nodes_[target]->runtime_status().messages_refused >= before + messages.size(); }, 1500ms)) {
        return;
      }
    }
    ADD_FAILURE() << what << ": not refused: " << describe();
  }

  consensus::SignedVote signed_vote(consensus::VoteData data, consensus::ValidatorIndex claimed_signer) const {
    consensus::SignedVote v;
    v.signature = consensus::VoteSignature{claimed_signer, byzantine_key().sign_digest(data.signing_digest(chain_id_))};
    v.data = std::move(data);
    return v;
  }
};

TEST_F(BadPeerVotesTest, ConsensusMessagesWithBadSignaturesAreRefused) {
  namespace ibft = consensus::ibft;
  const std::size_t target = 0;
  const auto others_before = refused_counts(nodes_);

  // Bytes that are no IBFT message at all.
  expect_all_refused(target, [](std::uint64_t) { return std::vector<core::Bytes>{random_bytes(120, 7)}; }, "garbage");

  // A PREPARE for the current height and round 0, correctly shaped and signed by the Byzantine
  // key, with one bit of the signature flipped.
  expect_all_refused(
      target,
      [&](std::uint64_t height) {
        auto vote = signed_vote({consensus::VoteKind::kPrepare, height, 0, random_hash(11), std::nullopt}, kByzantine);
        vote.signature.signature.bytes[5] ^= 0x01;
        return std::vector<core::Bytes>{ibft::encode_message(ibft::Prepare{vote})};
      },
      "prepare with a flipped signature bit");

  // COMMIT seals for a made-up block in the names of the three honest validators (signed with the
  // Byzantine key). Were they accepted, with the Byzantine validator's own valid seal they would
  // be a commit quorum.
  const core::Hash32 bogus = random_hash(12);
  expect_all_refused(
      target,
      [&](std::uint64_t height) {
        std::vector<core::Bytes> out;
        const consensus::VoteData data{consensus::VoteKind::kCommit, height, 0, bogus, consensus::CommitTarget{height, bogus}};
        for (consensus::ValidatorIndex signer = 0; signer < kHonest; ++signer) {
          out.push_back(ibft::encode_message(ibft::Commit{signed_vote(data, signer)}));
        }
        return out;
      },
      "commit seals impersonating honest validators");
  // The Byzantine validator's own seal for it is valid (and alone harmless): not refused.
  {
    const std::uint64_t before = nodes_[target]->runtime_status().messages_refused;
    const std::uint64_t height = nodes_[target]->chain().head().height + 1;
    const consensus::VoteData data{consensus::VoteKind::kCommit, height, 0, bogus, consensus::CommitTarget{height, bogus}};
    ASSERT_TRUE(send_from_byzantine(target, net::FrameType::kConsensus, 0,
                                    ibft::encode_message(ibft::Commit{signed_vote(data, kByzantine)})));
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(nodes_[target]->runtime_status().messages_refused, before) << "a valid commit seal was refused";
  }

  // A ROUND-CHANGE for the next round with a corrupted signature.
  expect_all_refused(
      target,
      [&](std::uint64_t height) {
        ibft::RoundChange rc;
        rc.height = height;
        rc.round = nodes_[target]->runtime_status().round + 1;
        rc.signature = consensus::VoteSignature{kByzantine, byzantine_key().sign_digest(rc.signing_digest(chain_id_))};
        rc.signature.signature.bytes[63] ^= 0x80;
        return std::vector<core::Bytes>{ibft::encode_message(rc)};
      },
      "round change with a corrupted signature");

  // Only the target was sent anything: the others refused nothing from it.
  for (std::size_t i = 1; i < kHonest; ++i) EXPECT_EQ(nodes_[i]->runtime_status().messages_refused, others_before[i]);
  // No block the honest validators did not make: the made-up block is nowhere.
  for (std::size_t i = 0; i < kHonest; ++i) {
    const std::uint64_t head = nodes_[i]->chain().head().height;
    for (std::uint64_t h = 1; h <= head; ++h) EXPECT_NE(consensus_id(i, h), bogus);
  }
  expect_network_keeps_working(target, "votes with bad signatures");
}

// ---- 4. block sync replies with forged certificates ----

TEST_F(BadPeerTest, SyncReplyWithForgedCertificateIsRefused) {
  const std::size_t target = 0;
  const auto sync_before = nodes_[target]->runtime_status();

  // A transaction Alice really signed, which the forged blocks carry: only the certificate is fake.
  const std::uint64_t alice_nonce = committed_nonce(target, alice_);
  const auto stolen = transfer(alice_, alice_nonce, kFunded / 2, address_of(byzantine_key()), "forged block");

  struct Forgery {
    std::string name;
    std::function<consensus::QuorumCert(std::uint64_t height, const core::Hash32& block_id)> cert;
  };
  const auto commit_data = [](std::uint64_t height, const core::Hash32& block_id) {
    return consensus::VoteData{consensus::VoteKind::kCommit, height, 0, block_id, consensus::CommitTarget{height, block_id}};
  };
  const auto seal = [&](const consensus::VoteData& data, consensus::ValidatorIndex signer) {
    return consensus::VoteSignature{signer, byzantine_key().sign_digest(data.signing_digest(chain_id_))};
  };
  const std::vector<Forgery> forgeries = {
      {"the Byzantine validator's seal alone",
       [&](std::uint64_t height, const core::Hash32& id) {
         consensus::QuorumCert qc{commit_data(height, id), {}};
         qc.signatures.push_back(seal(qc.data, kByzantine));
         return qc;
       }},
      {"a quorum of seals, two of them forged in honest validators' names",
       [&](std::uint64_t height, const core::Hash32& id) {
         consensus::QuorumCert qc{commit_data(height, id), {}};
         qc.signatures.push_back(seal(qc.data, 0));
         qc.signatures.push_back(seal(qc.data, 1));
         qc.signatures.push_back(seal(qc.data, kByzantine));
         return qc;
       }},
      {"a quorum of random bytes",
       [&](std::uint64_t height, const core::Hash32& id) {
         consensus::QuorumCert qc{commit_data(height, id), {}};
         for (consensus::ValidatorIndex s : {0u, 1u, 2u}) {
           consensus::VoteSignature sig{s, {}};
           const auto b = random_bytes(64, 100 + s);
           std::copy(b.begin(), b.end(), sig.signature.bytes.begin());
           qc.signatures.push_back(sig);
         }
         return qc;
       }},
      {"a genuine certificate of the previous block, replayed",
       [&](std::uint64_t height, const core::Hash32&) {
         auto previous = finality_of(target, height - 1);
         return previous ? previous->cert : consensus::QuorumCert{};
       }},
  };

  std::vector<core::Hash32> forged_ids;
  const auto forged_reply = [&](std::uint64_t from, const Forgery& forgery) {
    consensus::Block block;
    block.height = from;
    block.round = 0;
    block.parent_id = consensus_id(target, from - 1);
    block.proposer = kByzantine;
    ConsensusPayload payload;
    payload.timestamp_unix_ms = core::SystemClock().now_unix_ms();
    payload.txs.push_back(stolen);
    block.payload = core::encode(payload);
    forged_ids.push_back(block.id());
    // kSyncResponse: runs of {blocks, certificate} (encode_sync_reply in consensus_runtime.cpp).
    core::Writer w;
    w.u32(1);
    w.u32(1);
    block.encode(w);
    forgery.cert(from, block.id()).encode(w);
    return std::move(w).take();
  };

  std::uint64_t refused = sync_before.syncs_refused;
  std::uint64_t ahead_step = 0;  // each lure names a new height, so the engine asks again at once
  for (const auto& forgery : forgeries) {
    bool done = false;
    for (int attempt = 0; attempt < 10 && !done; ++attempt) {
      ++ahead_step;
      // Make the target ask the Byzantine validator for blocks: a message from a height ahead of
      // its own is evidence of a longer chain (its signature is not checked for that).
      const std::uint64_t head = nodes_[target]->chain().head().height;
      const consensus::VoteData ahead{consensus::VoteKind::kPrepare, head + 4 + ahead_step, 0,
                                      random_hash(40), std::nullopt};
      consensus::SignedVote vote{ahead, seal(ahead, kByzantine)};
      ASSERT_TRUE(send_from_byzantine(target, net::FrameType::kConsensus, 0,
                                      consensus::ibft::encode_message(consensus::ibft::Prepare{vote})));
      std::vector<net::Frame> requests;
      ASSERT_TRUE(eventually([&] {
        requests = byzantine_inbox_.take(honest_key(target), net::FrameType::kSyncRequest);
        return !requests.empty();
      }, 3000ms)) << "the target never asked the Byzantine validator for blocks";
      const net::Frame& request = requests.back();
      core::Reader r(request.payload);
      auto from = r.u64();
      ASSERT_TRUE(from.ok() && r.finish().ok());
      ASSERT_GE(*from, 1u);
      ASSERT_TRUE(send_from_byzantine(target, net::FrameType::kSyncResponse, request.stream, forged_reply(*from, forgery)));
      // A reply that starts below the head (the target committed meanwhile) is skipped, not refused:
      // then the target asks again and the next attempt forges for the new height.
      done = eventually([&] { return nodes_[target]->runtime_status().syncs_refused > refused; }, 1500ms);
    }
    ASSERT_TRUE(done) << forgery.name << ": not refused: " << describe();
    refused = nodes_[target]->runtime_status().syncs_refused;
  }
  EXPECT_EQ(refused, sync_before.syncs_refused + forgeries.size());
  EXPECT_GE(log_->count("sync reply from " + byzantine_key().public_key().to_hex().substr(0, 12) + " refused"),
            forgeries.size());
  EXPECT_EQ(nodes_[target]->runtime_status().syncs_applied, sync_before.syncs_applied);

  // Nothing forged was applied: the stolen transfer is on no chain, no honest chain holds a forged
  // block, and Alice's account is where the honest chain left it.
  expect_network_keeps_working(target, "forged sync replies");
  for (std::size_t i = 0; i < kHonest; ++i) {
    EXPECT_FALSE(find_tx(i, stolen.hash()).has_value()) << "node " << i << " applied the forged block's transaction";
    const std::uint64_t head = nodes_[i]->chain().head().height;
    for (std::uint64_t h = 1; h <= head; ++h) {
      const auto id = consensus_id(i, h);
      EXPECT_EQ(std::count(forged_ids.begin(), forged_ids.end(), id), 0) << "node " << i << " holds a forged block at " << h;
    }
    auto byz_account = nodes_[i]->chain().account(address_of(byzantine_key()));
    ASSERT_TRUE(byz_account.ok());
    EXPECT_EQ(byz_account->balance, 0u) << "node " << i;
  }
}

// ---- 5. gossiped transactions with bad signatures ----

TEST_F(BadPeerTest, GossipedTransactionWithBadSignatureIsNotAdmitted) {
  const std::size_t target = 2;
  const std::uint64_t alice_nonce = committed_nonce(target, alice_);
  const std::uint64_t bob_nonce = committed_nonce(target, bob_);
  // The bad transaction is a real one with one signature bit flipped. Signatures are not part of
  // a transaction's hash, so it has the hash of its correctly signed twin.
  const ledger::Transaction twin = transfer(alice_, alice_nonce, 1'000, address_of(bob_), "twin");
  ledger::Transaction bad = twin;
  bad.signature.bytes[10] ^= 0x04;
  ASSERT_FALSE(bad.check_stateless(ledger::ChainBinding{genesis_.chain_id, genesis_.digest()}).ok());
  ASSERT_EQ(bad.hash(), twin.hash());
  // The control, in the same frame after it: gossip itself works, and once the control is in,
  // the bad transaction before it was judged.
  const ledger::Transaction control = transfer(bob_, bob_nonce, 5, address_of(alice_), "gossiped control");

  core::Writer w;
  w.u32(2);
  bad.encode(w);
  control.encode(w);
  ASSERT_TRUE(send_from_byzantine(target, net::FrameType::kTxGossip, 0, w.data()));
  ASSERT_TRUE(eventually([&] { return nodes_[target]->backend().pending(control.hash()) || find_tx(target, control.hash()); }))
      << "the gossiped control transaction was not admitted";
  EXPECT_FALSE(nodes_[target]->backend().pending(bad.hash()).has_value());
  EXPECT_EQ(http_get_status(api_port(target), "/v1/txs/" + core::to_hex(bad.hash())), 404u);

  // Malformed gossip (a count beyond the batch limit; a truncated transaction) is dropped and logged.
  const std::size_t malformed_before = log_->count("tx gossip from");
  {
    core::Writer huge;
    huge.u32(1'000'000);
    ASSERT_TRUE(send_from_byzantine(target, net::FrameType::kTxGossip, 0, huge.data()));
    core::Writer truncated;
    truncated.u32(1);
    const core::Bytes encoded = core::encode(control);
    truncated.fixed(core::ByteView(encoded.data(), encoded.size() / 2));
    ASSERT_TRUE(send_from_byzantine(target, net::FrameType::kTxGossip, 0, truncated.data()));
  }
  EXPECT_TRUE(eventually([&] { return log_->count("tx gossip from") >= malformed_before + 2; }));

  // The control commits everywhere; the bad one nowhere, and Alice's nonce is still free for her
  // real transaction (expect_network_keeps_working sends it).
  EXPECT_TRUE(eventually([&] {
    for (std::size_t i = 0; i < kHonest; ++i) {
      if (!find_tx(i, control.hash())) return false;
    }
    return true;
  }));
  for (std::size_t i = 0; i < kHonest; ++i) {
    EXPECT_FALSE(nodes_[i]->backend().pending(bad.hash()).has_value()) << "node " << i;
    EXPECT_FALSE(find_tx(i, bad.hash()).has_value()) << "node " << i;
  }
  EXPECT_EQ(committed_nonce(target, alice_), alice_nonce) << "the bad transaction used Alice's nonce";

  // The refused copy leaves nothing behind under its hash: the correctly signed twin, submitted
  // now, is admitted and commits everywhere with its own signature.
  auto admitted = nodes_[target]->backend().submit(twin);
  ASSERT_TRUE(admitted.ok()) << admitted.error().to_string();
  EXPECT_TRUE(eventually([&] {
    for (std::size_t i = 0; i < kHonest; ++i) {
      if (!find_tx(i, twin.hash())) return false;
    }
    return true;
  })) << describe();
  for (std::size_t i = 0; i < kHonest; ++i) {
    if (auto record = find_tx(i, twin.hash())) {
      EXPECT_EQ(record->tx.signature, twin.signature) << "node " << i;
    }
  }
  expect_network_keeps_working(target, "gossip with a bad signature");
  EXPECT_EQ(committed_nonce(target, alice_), alice_nonce + 2);
}

// A validator whose link was down when a transaction was admitted gets it when the link comes
// back: the node hands its pending pool to every peer that links. (Gossip alone reaches only the
// peers linked at the time: what a node admitted just after a restart, before its links formed,
// was lost with it if it died again.) The transaction has a nonce gap, so it stays pending.
TEST_F(BadPeerTest, APeerThatLinksLaterIsHandedThePendingPool) {
  byzantine_->stop();
  byzantine_.reset();
  ASSERT_TRUE(eventually([&] { return nodes_[0]->runtime_status().peers_connected == kHonest - 1; })) << describe();
  const ledger::Transaction waiting = transfer(alice_, committed_nonce(0, alice_) + 5, 7, address_of(bob_), "waits for a gap");
  auto admitted = nodes_[0]->backend().submit(waiting);
  ASSERT_TRUE(admitted.ok()) << admitted.error().to_string();
  (void)byzantine_inbox_.take(honest_key(0), net::FrameType::kTxGossip);  // anything from before

  start_byzantine();
  const auto handed = [&] {
    for (const net::Frame& frame : byzantine_inbox_.take(honest_key(0), net::FrameType::kTxGossip)) {
      core::Reader r(frame.payload);
      auto count = r.u32();
      for (std::uint32_t i = 0; count.ok() && i < *count; ++i) {
        auto tx = ledger::Transaction::decode(r);
        if (!tx.ok()) break;
        if (tx->hash() == waiting.hash() && tx->signature == waiting.signature) return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(eventually(handed)) << "node 0 did not hand its pending transaction to the peer that linked";
}

// ---- 6. a proposal carrying a transaction with a bad signature ----

// The Byzantine validator, in its own turn as leader, proposes a block holding the bad-signature
// twin of a transaction pending at every honest node (same hash, one signature bit flipped). A
// node that took "pending under this hash" for "signatures verified" would vote for it; each
// must check the signatures, refuse the proposal and move on to the next round's leader.
TEST_F(BadPeerTest, ProposalWithBadSignatureTwinOfPendingTransactionIsRefused) {
  namespace ibft = consensus::ibft;
  bool refused_everywhere = false;
  std::uint64_t height = 0;
  std::string which_refused;
  ledger::Transaction good;
  for (int attempt = 0; attempt < 5 && !refused_everywhere; ++attempt) {
    // Wait for the Byzantine validator's turn: height h with h % 4 == 3 leads with validator 3.
    std::uint64_t head = 0;
    ASSERT_TRUE(eventually([&] {
      head = nodes_[0]->chain().head().height;
      if (head % genesis_.validators.size() != kByzantine - 1) return false;
      for (const auto& node : nodes_) {
        if (node->chain().head().height != head || node->runtime_status().round != 0) return false;
      }
      return true;
    })) << describe();
    height = head + 1;
    // A good transaction, pending everywhere while the honest nodes wait for the leader.
    auto nonce = nodes_[0]->backend().next_nonce(address_of(alice_));
    ASSERT_TRUE(nonce.ok());
    good = transfer(alice_, *nonce, 33, address_of(bob_), "pending when the twin is proposed");
    ASSERT_TRUE(nodes_[0]->backend().submit(good).ok());
    ASSERT_TRUE(eventually([&] {
      for (const auto& node : nodes_) {
        if (!node->backend().pending(good.hash())) return false;
      }
      return true;
    }, 2000ms));
    ledger::Transaction twin = good;
    twin.signature.bytes[3] ^= 0x10;

    consensus::Block block;
    block.height = height;
    block.round = 0;
    block.parent_id = consensus_id(0, head);
    block.proposer = kByzantine;
    if (head > 0) {  // IBFT blocks carry their parent's commit certificate
      auto parent = finality_of(0, head);
      ASSERT_TRUE(parent.has_value());
      block.justify = parent->cert;
    }
    ConsensusPayload payload;
    payload.timestamp_unix_ms = core::SystemClock().now_unix_ms();
    payload.txs.push_back(twin);
    block.payload = core::encode(payload);
    ibft::PrePrepare proposal;
    proposal.height = height;
    proposal.round = 0;
    proposal.block = block;
    proposal.signature = consensus::VoteSignature{kByzantine, byzantine_key().sign_digest(proposal.signing_digest(chain_id_, block.id()))};
    const core::Bytes message = ibft::encode_message(proposal);
    for (std::size_t i = 0; i < kHonest; ++i) ASSERT_TRUE(send_from_byzantine(i, net::FrameType::kConsensus, 0, message));
    // Each node logs its refusal, naming the transaction. If the round ended before the proposal
    // arrived (a slow machine), it is ignored as stale: try again at the next turn.
    const std::string refusal = "proposal for height " + std::to_string(height) + " refused";
    const std::string which = "transaction " + core::to_hex(good.hash()).substr(0, 16);
    refused_everywhere = eventually([&] { return log_->count_all(refusal, which) >= kHonest; }, 2000ms);
    which_refused = which;
  }
  ASSERT_TRUE(refused_everywhere) << describe() << "\n" << log_->tail(30);
  EXPECT_GE(log_->count_all(which_refused, "transaction signature does not verify"), kHonest) << log_->tail(30);

  // The good transaction commits (under a later round's honest leader) with its own signature,
  // and no node holds a block of the Byzantine validator at that height.
  ASSERT_TRUE(eventually([&] {
    for (std::size_t i = 0; i < kHonest; ++i) {
      if (!find_tx(i, good.hash())) return false;
    }
    return true;
  })) << describe();
  for (std::size_t i = 0; i < kHonest; ++i) {
    EXPECT_EQ(find_tx(i, good.hash())->tx.signature, good.signature) << "node " << i;
    auto finality = finality_of(i, height);
    ASSERT_TRUE(finality.has_value());
    EXPECT_NE(finality->block.proposer, kByzantine) << "node " << i << " committed the Byzantine proposal";
  }
  expect_network_keeps_working(1, "a proposal with a bad signature twin");
}

}  // namespace
}  // namespace metanode::node

// ---- the client request/response path ----

namespace metanode::node {
namespace {

using namespace std::chrono_literals;

TEST_F(BadPeerTest, AuthenticatedClientGetsStatusOverXtmp) {
  // A configured full node asks node 0 for its status over XTMP; the stream id pairs the answer
  // with the question, and an unknown method gets an error, not a dropped link.
  const std::uint16_t port = nodes_[0]->xtmp_port();
  RawXtmpClient client;
  ASSERT_TRUE(client.connect(port, full_node_key_.seed()));
  client.send_sealed(net::FrameType::kRequest, 7, core::as_bytes(std::string_view("status")));
  std::optional<net::Frame> reply;
  for (int i = 0; i < 20 && !(reply && reply->type == net::FrameType::kResponse); ++i) reply = client.read_frame(1000ms);
  ASSERT_TRUE(reply && reply->type == net::FrameType::kResponse) << "no response";
  EXPECT_EQ(reply->stream, 7u);
  const auto doc = nlohmann::json::parse(std::string(reply->payload.begin(), reply->payload.end()));
  EXPECT_EQ(doc.at("chain_id").get<std::string>(), genesis_.chain_id);
  EXPECT_GE(doc.at("height").get<std::uint64_t>(), 1u);
  EXPECT_EQ(doc.at("block_hash").get<std::string>().size(), 64u);

  client.send_sealed(net::FrameType::kRequest, 8, core::as_bytes(std::string_view("no-such-method")));
  reply.reset();
  for (int i = 0; i < 20 && !(reply && reply->type == net::FrameType::kResponse); ++i) reply = client.read_frame(1000ms);
  ASSERT_TRUE(reply && reply->type == net::FrameType::kResponse);
  EXPECT_EQ(reply->stream, 8u);
  const auto error = nlohmann::json::parse(std::string(reply->payload.begin(), reply->payload.end()));
  EXPECT_EQ(error.at("error").at("code").get<std::string>(), "invalid_argument");
}

}  // namespace
}  // namespace metanode::node
