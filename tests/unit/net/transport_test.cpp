// The XTMP transport over loopback: a mesh of three keeps exactly one link per pair and delivers
// frames intact and in order (with and without the post-quantum layer); strangers, impostors,
// garbage, TLS 1.2, oversized frames and frames that do not open are refused without hurting
// good peers; a restarted peer comes back; a peer that stops reading meets back-pressure; a
// silent peer is dropped. Raw clients are built from the same pieces the transport uses.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "net/pq_channel.hpp"
#include "net/tls.hpp"
#include "net/transport.hpp"
#include "unit/net/raw_xtmp_client.hpp"

namespace metanode::net {
namespace {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using testing::RawXtmpClient;

crypto::Seed seed_of(int i) {
  crypto::Seed s{};
  s[0] = static_cast<core::Byte>(i);
  s[31] = 0x5a;
  return s;
}
crypto::PublicKey key_of(const crypto::Seed& seed) { return crypto::KeyPair::from_seed(seed).public_key(); }

// Seeds 1..n ordered by their public keys (the smaller key dials).
std::vector<crypto::Seed> ordered_seeds(int n) {
  std::vector<crypto::Seed> seeds;
  for (int i = 1; i <= n; ++i) seeds.push_back(seed_of(i));
  std::sort(seeds.begin(), seeds.end(), [](const auto& a, const auto& b) { return key_of(a) < key_of(b); });
  return seeds;
}

// Polls `done` until it holds or the generous limit passes (only to catch hangs).
template <typename F>
bool eventually(F done, std::chrono::milliseconds limit = 5000ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

core::Bytes pattern(std::size_t size, int salt) {
  core::Bytes b(size);
  for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<core::Byte>((i * 131 + static_cast<std::size_t>(salt) * 7) & 0xff);
  return b;
}

// What a transport handed to its owner.
struct Inbox {
  mutable std::mutex mutex;
  std::vector<std::pair<crypto::PublicKey, Frame>> frames;
  int connected = 0, disconnected = 0;

  TransportHandler handler() {
    TransportHandler h;
    h.on_frame = [this](const crypto::PublicKey& peer, Frame frame) {
      std::lock_guard lock(mutex);
      frames.emplace_back(peer, std::move(frame));
    };
    h.on_connected = [this](const crypto::PublicKey&) {
      std::lock_guard lock(mutex);
      ++connected;
    };
    h.on_disconnected = [this](const crypto::PublicKey&) {
      std::lock_guard lock(mutex);
      ++disconnected;
    };
    return h;
  }
  std::vector<Frame> from(const crypto::PublicKey& peer) const {
    std::lock_guard lock(mutex);
    std::vector<Frame> out;
    for (const auto& [k, f] : frames) {
      if (k == peer) out.push_back(f);
    }
    return out;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex);
    return frames.size();
  }
  int connects() const {
    std::lock_guard lock(mutex);
    return connected;
  }
  int disconnects() const {
    std::lock_guard lock(mutex);
    return disconnected;
  }
};

TransportConfig base_config(const crypto::Seed& seed, bool post_quantum) {
  TransportConfig c;
  c.seed = seed;
  c.post_quantum = post_quantum;
  c.backoff_base_ms = 20;
  c.backoff_cap_ms = 200;
  c.handshake_timeout_ms = 2000;
  return c;
}

std::optional<PeerStatus> status_of(const Transport& t, const crypto::PublicKey& key) {
  for (const auto& s : t.peers()) {
    if (s.key == key) return s;
  }
  return std::nullopt;
}

// A mesh of validators on ephemeral ports. Larger keys start first so that each dialer knows
// the port of every peer it dials.
struct Mesh {
  std::vector<crypto::Seed> seeds;
  std::vector<crypto::PublicKey> keys;
  std::vector<std::uint16_t> ports;
  std::vector<std::unique_ptr<Inbox>> inboxes;
  std::vector<std::unique_ptr<Transport>> nodes;
  bool post_quantum;

  Mesh(int n, bool pq) : seeds(ordered_seeds(n)), ports(static_cast<std::size_t>(n), 0), post_quantum(pq) {
    for (const auto& s : seeds) keys.push_back(key_of(s));
    for (int i = 0; i < n; ++i) inboxes.push_back(std::make_unique<Inbox>());
    nodes.resize(static_cast<std::size_t>(n));
    for (int i = n - 1; i >= 0; --i) start_node(static_cast<std::size_t>(i));
  }
  TransportConfig config_of(std::size_t i) const {
    TransportConfig c = base_config(seeds[i], post_quantum);
    c.listen_port = ports[i];
    for (std::size_t j = 0; j < seeds.size(); ++j) {
      c.allowed.insert(keys[j]);
      if (j != i) c.peers.push_back({keys[j], "127.0.0.1", ports[j]});
    }
    return c;
  }
  void start_node(std::size_t i) {
    nodes[i] = std::make_unique<Transport>(config_of(i), inboxes[i]->handler());
    auto st = nodes[i]->start();
    ASSERT_TRUE(st.ok()) << st.error().to_string();
    ports[i] = nodes[i]->port();
  }
  bool all_connected() const {
    for (const auto& n : nodes) {
      if (n->connected_count() != nodes.size() - 1) return false;
    }
    return true;
  }
};


// ---- 1. mesh ----

void mesh_delivers_in_order(bool post_quantum) {
  Mesh mesh(3, post_quantum);
  ASSERT_TRUE(eventually([&] { return mesh.all_connected(); })) << "mesh did not form";
  // Exactly one link per pair: the smaller key dialed it, the larger accepted it.
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 3; ++j) {
      if (i == j) continue;
      auto s = status_of(*mesh.nodes[i], mesh.keys[j]);
      ASSERT_TRUE(s && s->connected);
      EXPECT_EQ(s->outbound, i < j) << i << "->" << j;
    }
  }
  const std::vector<std::pair<FrameType, std::size_t>> kinds = {
      {FrameType::kConsensus, 0},   {FrameType::kTxGossip, 200},        {FrameType::kSyncRequest, 1},
      {FrameType::kRequest, 65536}, {FrameType::kSyncResponse, 1 << 20}, {FrameType::kResponse, 3000}};
  std::vector<Frame> sent;
  for (int round = 0; round < 3; ++round) {
    for (std::size_t k = 0; k < kinds.size(); ++k) {
      const auto stream = static_cast<std::uint32_t>(round * 100 + static_cast<int>(k));
      Frame f{kinds[k].first, stream, pattern(kinds[k].second, round * 10 + static_cast<int>(k))};
      EXPECT_EQ(mesh.nodes[0]->broadcast(f.type, f.stream, f.payload), 2u);
      ASSERT_TRUE(mesh.nodes[2]->send(mesh.keys[1], f.type, f.stream, f.payload));
      sent.push_back(std::move(f));
    }
  }
  ASSERT_TRUE(eventually([&] { return mesh.inboxes[1]->count() == 2 * sent.size() && mesh.inboxes[2]->count() == sent.size(); }));
  EXPECT_EQ(mesh.inboxes[1]->from(mesh.keys[0]), sent);
  EXPECT_EQ(mesh.inboxes[1]->from(mesh.keys[2]), sent);
  EXPECT_EQ(mesh.inboxes[2]->from(mesh.keys[0]), sent);
  EXPECT_EQ(mesh.inboxes[0]->count(), 0u);
  EXPECT_TRUE(eventually([&] { return status_of(*mesh.nodes[0], mesh.keys[1])->frames_sent == sent.size(); }));
  EXPECT_EQ(status_of(*mesh.nodes[1], mesh.keys[0])->frames_received, sent.size());
  EXPECT_EQ(status_of(*mesh.nodes[0], mesh.keys[1])->queued_bytes, 0u);
}

TEST(XtmpTransport, MeshOfThreeDeliversFramesIntactAndInOrder) { mesh_delivers_in_order(true); }
TEST(XtmpTransport, MeshWithoutPostQuantumLayerDeliversToo) { mesh_delivers_in_order(false); }

TEST(XtmpTransport, StartReportsABusyPort) {
  Mesh mesh(1, true);
  TransportConfig c = base_config(seed_of(7), true);
  c.listen_port = mesh.ports[0];
  Transport second(c, {});
  auto st = second.start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, core::ErrorCode::kIo);
  EXPECT_NE(st.error().message.find(std::to_string(mesh.ports[0])), std::string::npos) << st.error().message;
}

// ---- 2. who may connect ----

TEST(XtmpTransport, UnknownKeyAndWrongExpectedKeyAreRefused) {
  auto seeds = ordered_seeds(4);  // by key: k0 < k1 < k2 < k3
  const auto k0 = key_of(seeds[0]), k1 = key_of(seeds[1]), k2 = key_of(seeds[2]), k3 = key_of(seeds[3]);
  // The server (largest key) allows k1, not k0.
  Inbox server_inbox;
  TransportConfig sc = base_config(seeds[3], true);
  sc.allowed = {k1, k3};
  Transport server(sc, server_inbox.handler());
  ASSERT_TRUE(server.start().ok());

  // k0 is not allowed: the server refuses it after the handshake.
  Inbox stranger_inbox;
  TransportConfig stranger = base_config(seeds[0], true);
  stranger.allowed = {k0, k3};
  stranger.peers = {{k3, "127.0.0.1", server.port()}};
  Transport t0(stranger, stranger_inbox.handler());
  ASSERT_TRUE(t0.start().ok());

  // k1 is allowed but expects k2 at the server's address: it refuses the k3 it reaches.
  Inbox confused_inbox;
  TransportConfig confused = base_config(seeds[1], true);
  confused.allowed = {k1, k2, k3};
  confused.peers = {{k2, "127.0.0.1", server.port()}};
  auto t1 = std::make_unique<Transport>(confused, confused_inbox.handler());
  ASSERT_TRUE(t1->start().ok());

  std::this_thread::sleep_for(600ms);  // several reconnect attempts each
  EXPECT_EQ(server.connected_count(), 0u);
  EXPECT_EQ(t0.connected_count(), 0u);
  EXPECT_EQ(t1->connected_count(), 0u);
  EXPECT_FALSE(t0.send(k3, FrameType::kConsensus, 1, pattern(10, 1)));
  EXPECT_FALSE(t1->send(k2, FrameType::kConsensus, 1, pattern(10, 1)));
  EXPECT_EQ(server_inbox.count(), 0u);
  EXPECT_EQ(server_inbox.connects(), 0);
  EXPECT_EQ(confused_inbox.connects(), 0);

  // The control: the same server accepts k1 once k1 expects the right key.
  t1.reset();
  Inbox good_inbox;
  TransportConfig good = confused;
  good.peers = {{k3, "127.0.0.1", server.port()}};
  Transport t1_good(good, good_inbox.handler());
  ASSERT_TRUE(t1_good.start().ok());
  ASSERT_TRUE(eventually([&] { return server.connected_count() == 1 && t1_good.connected_count() == 1; }));
  ASSERT_TRUE(t1_good.send(k3, FrameType::kConsensus, 1, pattern(10, 1)));
  ASSERT_TRUE(eventually([&] { return server_inbox.count() == 1; }));
  EXPECT_EQ(server_inbox.from(k1).size(), 1u);
  EXPECT_EQ(t0.connected_count(), 0u);
}

// ---- 3. not XTMP at all ----

TEST(XtmpTransport, GarbageAndTls12AreDroppedAndGoodPeersKeepWorking) {
  Mesh mesh(2, true);
  ASSERT_TRUE(eventually([&] { return mesh.all_connected(); }));
  const std::uint16_t port = mesh.ports[1];  // the acceptor of the pair
  {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    asio::write(socket, asio::buffer(http));
    std::array<char, 256> buf;
    boost::system::error_code ec;
    for (int i = 0; i < 100 && !ec; ++i) socket.read_some(asio::buffer(buf), ec);  // an alert, then the end
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  }
  {
    RawXtmpClient old;
    auto id = make_tls_identity(mesh.seeds[0], "old");
    auto native = make_tls_context(*id, false);
    SSL_CTX_set_min_proto_version(native->get(), TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(native->get(), TLS1_2_VERSION);
    asio::ssl::context ctx(native->release());
    asio::ssl::stream<tcp::socket> ssl(old.io, ctx);
    ssl.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    boost::system::error_code ec;
    ssl.handshake(asio::ssl::stream_base::client, ec);
    EXPECT_TRUE(ec) << "a TLS 1.2 handshake succeeded";
  }
  EXPECT_EQ(mesh.inboxes[1]->count(), 0u);
  EXPECT_EQ(mesh.nodes[1]->connected_count(), 1u);
  ASSERT_TRUE(mesh.nodes[0]->send(mesh.keys[1], FrameType::kTxGossip, 5, pattern(100, 5)));
  ASSERT_TRUE(eventually([&] { return mesh.inboxes[1]->count() == 1; }));
}

// ---- 4. authenticated but misbehaving ----

struct ServerWithClient {
  crypto::Seed server_seed = seed_of(40), client_seed = seed_of(41);
  Inbox inbox;
  std::unique_ptr<Transport> server;

  explicit ServerWithClient(std::function<void(TransportConfig&)> tune = {}) {
    TransportConfig c = base_config(server_seed, true);
    c.allowed = {key_of(server_seed), key_of(client_seed)};
    if (tune) tune(c);
    server = std::make_unique<Transport>(c, inbox.handler());
    auto st = server->start();
    EXPECT_TRUE(st.ok());
  }
  crypto::PublicKey client_key() const { return key_of(client_seed); }
};

TEST(XtmpTransport, OversizedFrameEndsTheLink) {
  ServerWithClient s([](TransportConfig& c) { c.frame_body_max = 4096; });
  RawXtmpClient raw;
  ASSERT_TRUE(raw.connect(s.server->port(), s.client_seed));
  // The control: the largest frame the limit allows arrives (a client outside `peers` is served).
  const std::size_t largest = 4096 - kFrameBodyMinBytes - crypto::kAesTagBytes;
  raw.send_sealed(FrameType::kRequest, 1, pattern(largest, 1));
  ASSERT_TRUE(eventually([&] { return s.inbox.count() == 1; }));
  EXPECT_EQ(s.inbox.from(s.client_key()).at(0).payload, pattern(largest, 1));
  // The server answers on the same link (request/response path).
  ASSERT_TRUE(s.server->send(s.client_key(), FrameType::kResponse, 1, pattern(50, 2)));
  auto answer = raw.read_frame(3000ms);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->type, FrameType::kResponse);
  EXPECT_EQ(answer->payload, pattern(50, 2));
  // A ping is answered with a pong carrying its stream id, and neither reaches the handler.
  raw.send_sealed(FrameType::kPing, 77, {});
  auto pong = raw.read_frame(3000ms);
  while (pong && pong->type == FrameType::kPing) pong = raw.read_frame(3000ms);  // the server's own pings
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->type, FrameType::kPong);
  EXPECT_EQ(pong->stream, 77u);
  // One byte over the limit: only the header is needed to refuse it.
  raw.send_sealed(FrameType::kRequest, 2, pattern(largest + 1, 3));
  EXPECT_TRUE(raw.closed_within(3000ms));
  EXPECT_EQ(s.inbox.count(), 1u);
  EXPECT_TRUE(eventually([&] { return s.inbox.disconnects() == 1 && s.server->connected_count() == 0; }));
  // Still serving: the same client comes back.
  RawXtmpClient again;
  ASSERT_TRUE(again.connect(s.server->port(), s.client_seed));
  again.send_sealed(FrameType::kRequest, 3, pattern(10, 4));
  EXPECT_TRUE(eventually([&] { return s.inbox.count() == 2; }));
}

TEST(XtmpTransport, FrameThatDoesNotOpenEndsTheLink) {
  ServerWithClient s;
  RawXtmpClient raw;
  ASSERT_TRUE(raw.connect(s.server->port(), s.client_seed));
  raw.send_sealed(FrameType::kConsensus, 1, pattern(64, 1));
  ASSERT_TRUE(eventually([&] { return s.inbox.count() == 1; }));
  // Sealed for stream 2, sent as stream 3: the associated data does not match.
  core::Bytes sealed = raw.channel->seal(FrameType::kConsensus, 2, pattern(64, 2));
  raw.write_frame(FrameType::kConsensus, 3, sealed);
  EXPECT_TRUE(raw.closed_within(3000ms));
  EXPECT_EQ(s.inbox.count(), 1u);

  // A plain frame before keying is refused too.
  RawXtmpClient unkeyed;
  ASSERT_TRUE(unkeyed.connect(s.server->port(), s.client_seed, /*post_quantum=*/false));
  unkeyed.write_frame(FrameType::kConsensus, 1, pattern(64, 3));
  EXPECT_TRUE(unkeyed.closed_within(3000ms));

  RawXtmpClient good;
  ASSERT_TRUE(good.connect(s.server->port(), s.client_seed));
  good.send_sealed(FrameType::kConsensus, 4, pattern(64, 4));
  EXPECT_TRUE(eventually([&] { return s.inbox.count() == 2; }));
}

TEST(XtmpTransport, NewLinkFromTheSameKeyReplacesTheOld) {
  ServerWithClient s;
  RawXtmpClient first;
  ASSERT_TRUE(first.connect(s.server->port(), s.client_seed));
  ASSERT_TRUE(eventually([&] { return s.server->connected_count() == 1; }));
  RawXtmpClient second;
  ASSERT_TRUE(second.connect(s.server->port(), s.client_seed));
  EXPECT_TRUE(first.closed_within(3000ms));
  second.send_sealed(FrameType::kRequest, 9, pattern(30, 9));
  ASSERT_TRUE(eventually([&] { return s.inbox.count() == 1; }));
  ASSERT_TRUE(s.server->send(s.client_key(), FrameType::kResponse, 9, pattern(30, 10)));
  auto answer = second.read_frame(3000ms);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->payload, pattern(30, 10));
}

// ---- 5. restart ----

TEST(XtmpTransport, RestartedPeersReconnect) {
  Mesh mesh(3, true);
  ASSERT_TRUE(eventually([&] { return mesh.all_connected(); }));
  // Node 1 dials node 2 and is dialed by node 0: both roles come back.
  mesh.nodes[1].reset();
  ASSERT_TRUE(eventually([&] { return mesh.nodes[0]->connected_count() == 1 && mesh.nodes[2]->connected_count() == 1; }));
  std::this_thread::sleep_for(150ms);  // node 0 retries against a closed port meanwhile
  mesh.start_node(1);                  // same key, same port
  ASSERT_TRUE(eventually([&] { return mesh.all_connected(); }));
  EXPECT_GE(status_of(*mesh.nodes[0], mesh.keys[1])->reconnects, 1u);
  EXPECT_GE(status_of(*mesh.nodes[2], mesh.keys[1])->reconnects, 1u);
  ASSERT_TRUE(mesh.nodes[0]->send(mesh.keys[1], FrameType::kConsensus, 1, pattern(99, 1)));
  ASSERT_TRUE(mesh.nodes[2]->send(mesh.keys[1], FrameType::kConsensus, 2, pattern(99, 2)));
  ASSERT_TRUE(mesh.nodes[1]->send(mesh.keys[2], FrameType::kConsensus, 3, pattern(99, 3)));
  ASSERT_TRUE(eventually([&] { return mesh.inboxes[1]->count() == 2 && mesh.inboxes[2]->count() == 1; }));
  EXPECT_EQ(mesh.inboxes[1]->from(mesh.keys[0]).at(0).payload, pattern(99, 1));
}

// ---- 6. back-pressure ----

TEST(XtmpTransport, PeerThatStopsReadingMeetsBackPressure) {
  constexpr std::size_t kQueueMax = 1u << 20;
  ServerWithClient s([](TransportConfig& c) {
    c.queued_bytes_max = kQueueMax;
    c.idle_timeout_ms = 60000;  // this client is silent on purpose
  });
  RawXtmpClient raw;
  ASSERT_TRUE(raw.connect(s.server->port(), s.client_seed));
  ASSERT_TRUE(eventually([&] { return s.server->connected_count() == 1; }));
  // The client never reads: kernel buffers fill, then the per-peer queue. Refusals that persist
  // while the io thread has time to drain mean the queue is stuck, not merely busy.
  const core::Bytes payload = pattern(64 << 10, 1);
  int accepted = 0, refused_in_a_row = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (refused_in_a_row < 50 && std::chrono::steady_clock::now() < deadline) {
    if (s.server->send(s.client_key(), FrameType::kSyncResponse, static_cast<std::uint32_t>(accepted), payload)) {
      ++accepted;
      refused_in_a_row = 0;
    } else {
      ++refused_in_a_row;
      std::this_thread::sleep_for(2ms);
    }
  }
  ASSERT_EQ(refused_in_a_row, 50) << accepted << " frames of 64 KiB accepted for a peer that reads nothing";
  // Stuck, not merely busy: after a pause the queue is still full and sends are still refused.
  std::this_thread::sleep_for(300ms);
  auto st = status_of(*s.server, s.client_key());
  ASSERT_TRUE(st && st->connected);
  EXPECT_GT(st->queued_bytes, kQueueMax / 2);
  EXPECT_LE(st->queued_bytes, kQueueMax);
  EXPECT_FALSE(s.server->send(s.client_key(), FrameType::kSyncResponse, 0, payload));
  EXPECT_GE(status_of(*s.server, s.client_key())->frames_refused_queue_full, 51u);
  EXPECT_LT(status_of(*s.server, s.client_key())->frames_sent, static_cast<std::uint64_t>(accepted));
  // The queue is released with the link.
  raw.ssl->next_layer().close();
  EXPECT_TRUE(eventually([&] { return s.server->connected_count() == 0; }));
  EXPECT_EQ(status_of(*s.server, s.client_key())->queued_bytes, 0u);
}

// ---- 7. keep-alive ----

TEST(XtmpTransport, SilentPeerIsDroppedWhilePingedLinksStayUp) {
  ServerWithClient s([](TransportConfig& c) {
    c.keepalive_ms = 40;
    c.idle_timeout_ms = 300;
  });
  RawXtmpClient raw;
  ASSERT_TRUE(raw.connect(s.server->port(), s.client_seed));
  ASSERT_TRUE(eventually([&] { return s.server->connected_count() == 1; }));
  // The transport pings an idle link...
  auto ping = raw.read_frame(2000ms);
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->type, FrameType::kPing);
  // ...and drops one that stays silent (a stopped process) after the idle timeout.
  EXPECT_TRUE(raw.closed_within(3000ms));
  EXPECT_TRUE(eventually([&] { return s.inbox.disconnects() == 1; }));

  // Two transports with the same timers keep their idle link up through pings and pongs.
  auto seeds = ordered_seeds(2);
  Inbox inbox;
  std::vector<std::unique_ptr<Transport>> pair;
  std::uint16_t port = 0;
  for (int i = 1; i >= 0; --i) {
    TransportConfig c = base_config(seeds[static_cast<std::size_t>(i)], true);
    c.keepalive_ms = 40;
    c.idle_timeout_ms = 300;
    c.allowed = {key_of(seeds[0]), key_of(seeds[1])};
    c.peers = {{key_of(seeds[static_cast<std::size_t>(1 - i)]), "127.0.0.1", port}};
    pair.push_back(std::make_unique<Transport>(c, inbox.handler()));
    ASSERT_TRUE(pair.back()->start().ok());
    port = pair.back()->port();
  }
  ASSERT_TRUE(eventually([&] { return pair[0]->connected_count() == 1 && pair[1]->connected_count() == 1; }));
  std::this_thread::sleep_for(900ms);  // three idle timeouts
  EXPECT_EQ(inbox.disconnects(), 0);
  EXPECT_EQ(status_of(*pair[0], key_of(seeds[0]))->reconnects, 0u);
}

}  // namespace
}  // namespace metanode::net
