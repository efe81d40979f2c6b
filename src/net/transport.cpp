#include "net/transport.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "crypto/aead.hpp"
#include "net/identity.hpp"
#include "net/pq_channel.hpp"
#include "net/tls.hpp"

namespace metanode::net {
namespace {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using core::ErrorCode;
using core::make_error;

// Unauthenticated inbound connections held at once: a flood of half-open TLS handshakes costs
// at most this many sockets and handshake states until handshake_timeout_ms frees them.
constexpr std::size_t kInboundHandshakingMax = 64;
// One read's worth of bytes: bounds the work done per read completion.
constexpr std::size_t kReadChunkBytes = 64u << 10;
// A write buffer larger than this is released after use instead of kept for the next batch.
constexpr std::size_t kWriteBufferKeepBytes = 1u << 20;

std::string short_key(const crypto::PublicKey& key) { return key.to_hex().substr(0, 16); }

// Counters one peer keeps across its links; read by any thread, written on the io thread except
// queued_bytes, which send() reserves from the caller's thread so back-pressure is immediate.
struct PeerCounters {
  std::atomic<bool> up{false};
  std::atomic<bool> outbound{false};
  std::atomic<std::size_t> queued_bytes{0};
  std::atomic<std::uint64_t> frames_sent{0}, frames_received{0}, frames_refused_queue_full{0};
  std::atomic<std::uint64_t> links_up{0};
};
}  // namespace

struct Transport::Impl {
  enum class State { kConnecting, kHandshaking, kKeying, kUp, kClosed };

  // One TCP+TLS connection. Owned by the shared_ptrs its pending operations hold (and by the
  // maps below while open); touched only on the io thread.
  struct Link {
    Link(asio::io_context& io, tcp::socket socket, asio::ssl::context& ctx, bool is_outbound, std::uint32_t body_max)
        : stream(std::move(socket), ctx), timer(io), outbound(is_outbound), reader(body_max), read_buffer(kReadChunkBytes) {}

    asio::ssl::stream<tcp::socket> stream;
    asio::steady_timer timer;  // handshake deadline, then the keep-alive tick
    bool outbound;
    State state = State::kConnecting;
    crypto::PublicKey key{};  // outbound: the key dialed, checked after the handshake
    std::string remote;       // for logs
    bool counted_handshaking = false;
    FrameReader reader;
    core::Bytes read_buffer;
    core::Hash32 tls_secret{};
    std::optional<KemInitiator> kem;
    std::optional<SealedChannel> channel;
    std::shared_ptr<PeerCounters> counters;
    // Batched writes: one async_write in flight (writing); frames queued meanwhile go to pending.
    core::Bytes writing, pending;
    std::size_t writing_charged = 0, pending_charged = 0;  // bytes reserved by send()
    std::uint64_t writing_frames = 0, pending_frames = 0;  // caller frames (not pings/KEM)
    bool write_in_flight = false;
    bool pong_pending = false;  // at most one unsent pong, whatever a peer's ping rate
    Clock::time_point last_received{}, last_sent{}, up_since{};
  };
  using LinkPtr = std::shared_ptr<Link>;

  struct Dialer {
    Dialer(asio::io_context& io, PeerEndpoint ep) : endpoint(std::move(ep)), retry(io), resolver(io) {}
    PeerEndpoint endpoint;
    asio::steady_timer retry;
    tcp::resolver resolver;
    std::uint32_t attempt = 0;
    LinkPtr link;
  };

  Impl(TransportConfig c, TransportHandler h)
      : config(std::move(c)),
        handler(std::move(h)),
        self(crypto::KeyPair::from_seed(config.seed).public_key()),
        policy(config.allowed, config.admit),
        rng(std::random_device{}()) {}

  const TransportConfig config;
  const TransportHandler handler;
  std::atomic<std::uint64_t> frames_unhandled{0};
  const crypto::PublicKey self;
  const PeerPolicy policy;

  // The SSL contexts outlive the io_context (declared first), so any stream destroyed while the
  // io_context shuts down still has its context.
  std::optional<asio::ssl::context> server_ctx, client_ctx;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  std::thread thread;
  std::atomic<bool> running{false};
  std::atomic<std::uint16_t> bound_port{0};

  mutable std::mutex counters_mutex;
  std::map<crypto::PublicKey, std::shared_ptr<PeerCounters>> counters;  // guarded by counters_mutex

  // io thread only.
  bool stopping = false;
  std::map<crypto::PublicKey, std::unique_ptr<Dialer>> dialers;  // peers we dial
  std::map<crypto::PublicKey, LinkPtr> links;                     // authenticated link per key
  std::map<Link*, LinkPtr> open_links;                            // every link not yet closed
  std::size_t inbound_handshaking = 0;
  std::mt19937_64 rng;

  bool sealed() const { return config.post_quantum; }

  std::shared_ptr<PeerCounters> counters_of(const crypto::PublicKey& key) {
    std::lock_guard lock(counters_mutex);
    auto& c = counters[key];
    if (!c) c = std::make_shared<PeerCounters>();
    return c;
  }

  // ---- start / stop ----

  core::Status start() {
    if (running.load() || thread.joinable() || stopping) {
      return make_error(ErrorCode::kInvalidArgument, "a transport starts once; make a new one to start again");
    }
    MN_TRY_ASSIGN(TlsIdentity identity, make_tls_identity(config.seed, "metanode-" + short_key(self)));
    MN_TRY_ASSIGN(SslCtxPtr server, make_tls_context(identity, /*server=*/true));
    MN_TRY_ASSIGN(SslCtxPtr client, make_tls_context(identity, /*server=*/false));
    server_ctx.emplace(server.release());
    client_ctx.emplace(client.release());

    if (config.listen) {
      boost::system::error_code ec;
      const auto address = asio::ip::make_address(config.listen_host, ec);
      if (ec) return make_error(ErrorCode::kInvalidArgument, "listen_host '" + config.listen_host + "' is not an IP address");
      const tcp::endpoint endpoint(address, config.listen_port);
      const std::string where = config.listen_host + ":" + std::to_string(config.listen_port);
      acceptor.open(endpoint.protocol(), ec);
      // Rebinding right after a restart must not wait for TIME_WAIT connections to expire.
      if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
      if (!ec) acceptor.bind(endpoint, ec);
      if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) {
        boost::system::error_code ignored;
        acceptor.close(ignored);
        return make_error(ErrorCode::kIo, "cannot listen on " + where + ": " + ec.message());
      }
      bound_port = acceptor.local_endpoint(ec).port();
    }
    for (const PeerEndpoint& peer : config.peers) {
      if (peer.key == self) continue;
      counters_of(peer.key);
      // Of each pair, the smaller key dials: exactly one link per pair, no simultaneous-open races.
      if (self < peer.key || config.dial_all_peers) dialers.emplace(peer.key, std::make_unique<Dialer>(io, peer));
    }
    work.emplace(asio::make_work_guard(io));
    running = true;
    asio::post(io, [this] {
      if (acceptor.is_open()) accept_next();
      for (auto& [key, dialer] : dialers) dial(*dialer);
    });
    thread = std::thread([this] { io.run(); });
    return {};
  }

  void stop() {
    running = false;
    if (!thread.joinable()) return;
    assert(std::this_thread::get_id() != thread.get_id() && "Transport::stop() from a handler callback");
    asio::post(io, [this] { shut_down(); });
    work.reset();
    // run() returns once every operation the shutdown cancelled has completed.
    thread.join();
    stopping = true;  // also when start() never ran the loop: no second start
  }

  void shut_down() {
    stopping = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    accept_retry.cancel();
    for (auto& [key, dialer] : dialers) {
      dialer->retry.cancel();
      dialer->resolver.cancel();
    }
    std::vector<LinkPtr> all;
    for (auto& [raw, link] : open_links) all.push_back(link);
    for (auto& link : all) close(link, spdlog::level::debug, "transport stopping");
  }

  // ---- accepting and dialing ----

  void accept_next() {
    acceptor.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (stopping || ec == asio::error::operation_aborted) return;
      if (ec) {
        // Out of descriptors and the like: retry soon rather than spin.
        spdlog::warn("xtmp: accept failed: {}", ec.message());
        accept_retry.expires_after(milliseconds(100));
        accept_retry.async_wait([this](const boost::system::error_code& wait_ec) {
          if (!wait_ec && !stopping) accept_next();
        });
        return;
      }
      boost::system::error_code remote_ec;
      const auto remote = socket.remote_endpoint(remote_ec);
      const std::string remote_text = remote_ec ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
      if (inbound_handshaking >= kInboundHandshakingMax) {
        spdlog::warn("xtmp: refused {}: {} handshakes already in progress", remote_text, inbound_handshaking);
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        auto link = std::make_shared<Link>(io, std::move(socket), *server_ctx, /*is_outbound=*/false, config.frame_body_max);
        link->remote = remote_text;
        link->counted_handshaking = true;
        ++inbound_handshaking;
        open_links.emplace(link.get(), link);
        arm_timer(link, milliseconds(config.handshake_timeout_ms));
        begin_handshake(link);
      }
      accept_next();
    });
  }

  // Equal jitter: half the capped exponential delay, plus a random part of the other half, so
  // peers that lost a link together do not reconnect in lockstep, and never with a zero delay.
  milliseconds backoff(std::uint32_t attempt) {
    const std::uint64_t base = std::max<std::uint32_t>(config.backoff_base_ms, 1);
    const std::uint64_t ceiling = std::min<std::uint64_t>(config.backoff_cap_ms, base << std::min<std::uint32_t>(attempt, 20));
    const std::uint64_t half = ceiling / 2;
    std::uniform_int_distribution<std::uint64_t> jitter(0, ceiling - half);
    return milliseconds(static_cast<std::int64_t>(half + jitter(rng)));
  }

  void schedule_dial(Dialer& dialer) {
    if (stopping) return;
    dialer.retry.expires_after(backoff(dialer.attempt));
    if (dialer.attempt < 32) ++dialer.attempt;
    dialer.retry.async_wait([this, &dialer](const boost::system::error_code& ec) {
      if (!ec && !stopping) dial(dialer);
    });
  }

  void dial(Dialer& dialer) {
    auto link = std::make_shared<Link>(io, tcp::socket(io), *client_ctx, /*is_outbound=*/true, config.frame_body_max);
    link->key = dialer.endpoint.key;
    link->remote = dialer.endpoint.host + ":" + std::to_string(dialer.endpoint.port);
    dialer.link = link;
    open_links.emplace(link.get(), link);
    arm_timer(link, milliseconds(config.handshake_timeout_ms));
    dialer.resolver.async_resolve(
        dialer.endpoint.host, std::to_string(dialer.endpoint.port),
        [this, link](const boost::system::error_code& ec, const tcp::resolver::results_type& results) {
          if (link->state == State::kClosed) return;
          if (ec) return close(link, spdlog::level::warn, "cannot resolve: " + ec.message());
          asio::async_connect(link->stream.next_layer(), results,
                              [this, link](const boost::system::error_code& connect_ec, const tcp::endpoint&) {
                                if (link->state == State::kClosed) return;
                                // Refused while the peer is down: expected, retried quietly.
                                if (connect_ec) return close(link, spdlog::level::debug, "connect failed: " + connect_ec.message());
                                begin_handshake(link);
                              });
        });
  }

  // ---- handshake, authentication, post-quantum keying ----

  void begin_handshake(const LinkPtr& link) {
    link->state = State::kHandshaking;
    boost::system::error_code ignored;
    link->stream.next_layer().set_option(tcp::no_delay(true), ignored);
    const auto side = link->outbound ? asio::ssl::stream_base::client : asio::ssl::stream_base::server;
    link->stream.async_handshake(side, [this, link](const boost::system::error_code& ec) {
      if (link->state == State::kClosed) return;
      // Not TLS, TLS 1.2 or older, no or a bad certificate, a key that proves nothing.
      if (ec) return close(link, spdlog::level::warn, "TLS handshake failed: " + ec.message());
      authenticate(link);
    });
  }

  void authenticate(const LinkPtr& link) {
    SSL* ssl = link->stream.native_handle();
    auto key = peer_key(ssl);
    if (!key.ok()) return close(link, spdlog::level::warn, "refused: " + key.error().message);
    if (auto allowed = policy.check(*key); !allowed.ok()) return close(link, spdlog::level::warn, "refused: unknown key: " + allowed.error().message);
    if (link->outbound) {
      if (*key != link->key) {
        return close(link, spdlog::level::warn, "refused: wrong key: dialed " + short_key(link->key) + "…, it presented " + short_key(*key) + "…");
      }
    } else {
      if (*key == self) return close(link, spdlog::level::warn, "refused: it presented our own key");
      if (dialers.contains(*key)) return close(link, spdlog::level::warn, "refused: " + short_key(*key) + "… dialed us, but we dial it (smaller key)");
      link->key = *key;
      link->counted_handshaking = false;
      --inbound_handshaking;
    }
    // One link per key: a new authenticated link replaces the old one (the peer restarted and
    // the old socket has not noticed yet).
    if (auto it = links.find(link->key); it != links.end() && it->second != link) {
      close(it->second, spdlog::level::info, "replaced by a new link from the same key");
    }
    links[link->key] = link;
    link->counters = counters_of(link->key);
    link->last_received = Clock::now();
    if (!sealed()) {
      mark_up(link);
      return read_next(link);
    }
    auto secret = export_session_secret(ssl);
    if (!secret.ok()) return close(link, spdlog::level::warn, secret.error().message);
    link->tls_secret = *secret;
    link->state = State::kKeying;
    if (link->outbound) {
      link->kem.emplace();
      queue_frame(link, FrameType::kKemOffer, 0, link->kem->offer(), 0, false);
    }
    read_next(link);
  }

  void mark_up(const LinkPtr& link) {
    link->state = State::kUp;
    link->up_since = Clock::now();
    link->last_received = link->up_since;
    if (!link->write_in_flight) link->last_sent = link->up_since;
    link->counters->outbound = link->outbound;
    link->counters->up = true;
    ++link->counters->links_up;
    spdlog::debug("xtmp: link to {}… ({}) up", short_key(link->key), link->remote);
    arm_timer(link, tick_period());
    if (handler.on_connected) handler.on_connected(link->key);
  }

  // Before the link is keyed only the KEM exchange may arrive; anything else ends the link.
  void on_keying_frame(const LinkPtr& link, Frame frame) {
    if (link->outbound) {
      if (frame.type != FrameType::kKemReply) return close(link, spdlog::level::warn, "expected kem-reply, got " + std::string(frame_type_name(frame.type)));
      auto keys = link->kem->finish(frame.payload, link->tls_secret);
      if (!keys.ok()) return close(link, spdlog::level::warn, "bad kem-reply: " + keys.error().message);
      link->channel.emplace(*keys);
      link->kem.reset();
    } else {
      if (frame.type != FrameType::kKemOffer) return close(link, spdlog::level::warn, "expected kem-offer, got " + std::string(frame_type_name(frame.type)));
      auto response = kem_respond(frame.payload, link->tls_secret);
      if (!response.ok()) return close(link, spdlog::level::warn, "bad kem-offer: " + response.error().message);
      queue_frame(link, FrameType::kKemReply, 0, response->reply, 0, false);  // plain: keys start after it
      link->channel.emplace(response->keys);
    }
    mark_up(link);
  }

  // ---- reading ----

  void read_next(const LinkPtr& link) {
    link->stream.async_read_some(asio::buffer(link->read_buffer), [this, link](const boost::system::error_code& ec, std::size_t n) {
      if (link->state == State::kClosed) return;
      if (ec) {
        const bool closed_by_peer = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
        if (closed_by_peer && link->state == State::kUp) return close(link, spdlog::level::info, "closed by the peer");
        return close(link, spdlog::level::warn, (closed_by_peer ? "closed by the peer before keying" : "read failed: " + ec.message()));
      }
      link->last_received = Clock::now();
      link->reader.feed(core::ByteView(link->read_buffer.data(), n));
      for (;;) {
        auto next = link->reader.next();
        if (!next.ok()) return close(link, spdlog::level::warn, "bad frame: " + next.error().message);
        if (!next->has_value()) break;
        Frame frame = std::move(**next);
        if (link->state == State::kKeying) {
          on_keying_frame(link, std::move(frame));
        } else {
          on_frame(link, std::move(frame));
        }
        if (link->state == State::kClosed) return;
      }
      read_next(link);
    });
  }

  void on_frame(const LinkPtr& link, Frame frame) {
    if (link->channel) {
      auto plain = link->channel->open(frame.type, frame.stream, frame.payload);
      if (!plain.ok()) return close(link, spdlog::level::warn, std::string(frame_type_name(frame.type)) + " frame: " + plain.error().message);
      frame.payload = std::move(plain).value();
    }
    switch (frame.type) {
      case FrameType::kKemOffer:
      case FrameType::kKemReply:
        return close(link, spdlog::level::warn, "unexpected " + std::string(frame_type_name(frame.type)) + " on a keyed link");
      case FrameType::kPing:
        if (!link->pong_pending) {
          link->pong_pending = true;
          queue_frame(link, FrameType::kPong, frame.stream, {}, 0, false);
        }
        return;
      case FrameType::kPong:
        return;
      default: {
        ++link->counters->frames_received;
        if (auto it = handler.by_type.find(frame.type); it != handler.by_type.end()) return it->second(link->key, std::move(frame));
        if (handler.on_frame) return handler.on_frame(link->key, std::move(frame));
        ++frames_unhandled;
        spdlog::debug("xtmp: {} frame from {} has no handler: dropped", frame_type_name(frame.type),
                      link->key.to_hex().substr(0, 12));
      }
    }
  }

  // ---- writing ----

  // `charged`: bytes send() reserved for this frame, released once written or dropped.
  void queue_frame(const LinkPtr& link, FrameType type, std::uint32_t stream, core::ByteView payload, std::size_t charged, bool counted) {
    assert(link->state != State::kClosed);
    if (link->channel) {
      append_frame(link->pending, type, stream, link->channel->seal(type, stream, payload));
    } else {
      append_frame(link->pending, type, stream, payload);
    }
    link->pending_charged += charged;
    if (counted) ++link->pending_frames;
    if (!link->write_in_flight) write_pending(link);
  }

  void write_pending(const LinkPtr& link) {
    assert(!link->write_in_flight && !link->pending.empty());
    std::swap(link->writing, link->pending);
    link->pending.clear();
    link->writing_charged = std::exchange(link->pending_charged, 0);
    link->writing_frames = std::exchange(link->pending_frames, 0);
    link->write_in_flight = true;
    link->pong_pending = false;
    link->last_sent = Clock::now();
    asio::async_write(link->stream, asio::buffer(link->writing), [this, link](const boost::system::error_code& ec, std::size_t) {
      if (link->state == State::kClosed) return;
      if (ec) return close(link, spdlog::level::warn, "write failed: " + ec.message());
      link->write_in_flight = false;
      if (link->counters) {
        link->counters->queued_bytes -= link->writing_charged;
        link->counters->frames_sent += link->writing_frames;
      }
      link->writing_charged = 0;
      link->writing_frames = 0;
      if (link->writing.capacity() > kWriteBufferKeepBytes) {
        core::Bytes().swap(link->writing);
      } else {
        link->writing.clear();
      }
      if (!link->pending.empty()) write_pending(link);
    });
  }

  // Runs on the io thread for a frame send() accepted: the link it was meant for may have gone.
  void deliver_send(const crypto::PublicKey& key, FrameType type, std::uint32_t stream, const core::Bytes& payload,
                    std::size_t charged, const std::shared_ptr<PeerCounters>& peer_counters) {
    auto it = links.find(key);
    if (it == links.end() || it->second->state != State::kUp) {
      peer_counters->queued_bytes -= charged;
      return;
    }
    queue_frame(it->second, type, stream, payload, charged, true);
  }

  // ---- timers ----

  milliseconds tick_period() const {
    const std::uint32_t shortest = std::min(config.keepalive_ms, config.idle_timeout_ms);
    return milliseconds(std::max<std::uint32_t>(shortest / 4, 5));
  }

  void arm_timer(const LinkPtr& link, milliseconds after) {
    link->timer.expires_after(after);
    link->timer.async_wait([this, link](const boost::system::error_code& ec) {
      if (ec || link->state == State::kClosed) return;
      if (link->state != State::kUp) return close(link, spdlog::level::warn, "handshake timed out");
      const auto now = Clock::now();
      const auto silent = std::chrono::duration_cast<milliseconds>(now - link->last_received);
      if (silent.count() >= config.idle_timeout_ms) {
        return close(link, spdlog::level::warn, "silent for " + std::to_string(silent.count()) + " ms");
      }
      if (!link->write_in_flight && link->pending.empty() && now - link->last_sent >= milliseconds(config.keepalive_ms)) {
        queue_frame(link, FrameType::kPing, 0, {}, 0, false);
      }
      arm_timer(link, tick_period());
    });
  }

  // ---- closing ----

  // By value: the caller's pointer may be the map entry this erases.
  void close(LinkPtr link, spdlog::level::level_enum level, const std::string& reason) {
    if (link->state == State::kClosed) return;
    const bool was_up = link->state == State::kUp;
    link->state = State::kClosed;
    const std::string who = link->outbound || link->counters ? short_key(link->key) + "… " : std::string();
    spdlog::log(level, "xtmp: {} link {}({}) closed: {}", link->outbound ? "outbound" : "inbound", who, link->remote, reason);
    boost::system::error_code ignored;
    link->stream.next_layer().close(ignored);
    link->timer.cancel();
    if (link->counted_handshaking) {
      link->counted_handshaking = false;
      --inbound_handshaking;
    }
    if (link->counters) link->counters->queued_bytes -= link->writing_charged + link->pending_charged;
    link->writing_charged = link->pending_charged = 0;
    core::Bytes().swap(link->writing);
    core::Bytes().swap(link->pending);
    open_links.erase(link.get());
    if (auto it = links.find(link->key); it != links.end() && it->second == link) {
      links.erase(it);
      link->counters->up = false;
      if (was_up && !stopping && handler.on_disconnected) handler.on_disconnected(link->key);
    }
    if (link->outbound) {
      auto it = dialers.find(link->key);
      if (it != dialers.end() && it->second->link == link) {
        Dialer& dialer = *it->second;
        dialer.link.reset();
        // A link that stayed up for a while proves the peer is back: start over from the base delay.
        if (was_up && Clock::now() - link->up_since >= milliseconds(config.backoff_cap_ms)) dialer.attempt = 0;
        schedule_dial(dialer);
      }
    }
  }

  // ---- the caller's side ----

  bool send(const crypto::PublicKey& peer, FrameType type, std::uint32_t stream, core::ByteView payload) {
    if (!running.load()) return false;
    const std::size_t body = kFrameBodyMinBytes + payload.size() + (sealed() ? crypto::kAesTagBytes : 0);
    if (body > config.frame_body_max) {
      spdlog::warn("xtmp: refused to send a {} frame of {} bytes: over the limit of {}", frame_type_name(type), body, config.frame_body_max);
      return false;
    }
    std::shared_ptr<PeerCounters> c;
    {
      std::lock_guard lock(counters_mutex);
      auto it = counters.find(peer);
      if (it == counters.end()) return false;
      c = it->second;
    }
    if (!c->up.load()) return false;
    const std::size_t charged = 4 + body;
    std::size_t queued = c->queued_bytes.load();
    do {
      if (queued + charged > config.queued_bytes_max) {
        ++c->frames_refused_queue_full;
        return false;
      }
    } while (!c->queued_bytes.compare_exchange_weak(queued, queued + charged));
    asio::post(io, [this, peer, type, stream, data = core::to_bytes(payload), charged, c] {
      deliver_send(peer, type, stream, data, charged, c);
    });
    return true;
  }
};

Transport::Transport(TransportConfig config, TransportHandler handler)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(handler))) {}

Transport::~Transport() { stop(); }

core::Status Transport::start() { return impl_->start(); }

void Transport::stop() { impl_->stop(); }

std::uint16_t Transport::port() const { return impl_->bound_port.load(); }

bool Transport::send(const crypto::PublicKey& peer, FrameType type, std::uint32_t stream, core::ByteView payload) {
  return impl_->send(peer, type, stream, payload);
}

std::size_t Transport::broadcast(FrameType type, std::uint32_t stream, core::ByteView payload) {
  std::size_t accepted = 0;
  for (const PeerEndpoint& peer : impl_->config.peers) {
    if (peer.key != impl_->self && send(peer.key, type, stream, payload)) ++accepted;
  }
  return accepted;
}

std::vector<PeerStatus> Transport::peers() const {
  std::lock_guard lock(impl_->counters_mutex);
  std::vector<PeerStatus> out;
  out.reserve(impl_->counters.size());
  for (const auto& [key, c] : impl_->counters) {
    PeerStatus s;
    s.key = key;
    s.connected = c->up.load();
    s.outbound = c->outbound.load();
    s.queued_bytes = c->queued_bytes.load();
    s.frames_sent = c->frames_sent.load();
    s.frames_received = c->frames_received.load();
    s.frames_refused_queue_full = c->frames_refused_queue_full.load();
    const std::uint64_t up = c->links_up.load();
    s.reconnects = up > 0 ? up - 1 : 0;
    out.push_back(s);
  }
  return out;
}

std::uint64_t Transport::frames_unhandled() const { return impl_->frames_unhandled.load(); }

std::size_t Transport::connected_count() const {
  std::lock_guard lock(impl_->counters_mutex);
  return static_cast<std::size_t>(
      std::count_if(impl_->counters.begin(), impl_->counters.end(), [](const auto& entry) { return entry.second->up.load(); }));
}

}  // namespace metanode::net
