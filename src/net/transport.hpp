// The XTMP transport: keeps one authenticated, post-quantum-keyed TLS 1.3 link per peer over
// TCP (Boost.Asio), reconnects with jittered capped backoff, pings idle links and drops silent
// ones, and bounds every peer's send queue. All link state lives on the transport's one io
// thread; send() and broadcast() may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/ed25519.hpp"
#include "net/frame.hpp"

namespace metanode::net {

struct PeerEndpoint {
  crypto::PublicKey key;
  std::string host;
  std::uint16_t port = 0;
};

struct TransportConfig {
  crypto::Seed seed;  // this node's Ed25519 seed: its TLS identity (secret)
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 0;  // 0: the OS picks one (tests); port() tells
  bool listen = true;             // false for a pure client
  // Links to keep up (validators). Of each pair, the peer with the smaller key dials.
  std::vector<PeerEndpoint> peers;
  // Who may connect at all (validators and configured full nodes/clients).
  std::set<crypto::PublicKey> allowed;
  // Keys outside `allowed` that may connect too when this says so (a validator asks its chain
  // whether governance admitted the key as a full node). Called on the transport's thread.
  std::function<bool(const crypto::PublicKey&)> admit;
  // A full node dials every listed peer: validators do not list it, so they never dial it.
  bool dial_all_peers = false;
  // ML-KEM-768 inner layer; false only to measure its cost (both ends must agree).
  bool post_quantum = true;
  std::uint32_t frame_body_max = kFrameBodyMaxDefault;
  // Per peer: sends beyond this many queued bytes are refused (back-pressure).
  std::size_t queued_bytes_max = 64u << 20;
  // Reconnect delay: equal-jitter exponential backoff from base, capped.
  std::uint32_t backoff_base_ms = 100, backoff_cap_ms = 3000;
  // Ping a link nothing was sent on for keepalive_ms; drop a link silent for idle_timeout_ms.
  std::uint32_t keepalive_ms = 1000, idle_timeout_ms = 6000;
  // From TCP connect (or accept) to a keyed link.
  std::uint32_t handshake_timeout_ms = 5000;
};

struct PeerStatus {
  crypto::PublicKey key;
  bool connected = false;  // a keyed link is up
  bool outbound = false;   // we dialed it
  std::size_t queued_bytes = 0;
  std::uint64_t frames_sent = 0, frames_received = 0, frames_refused_queue_full = 0;
  std::uint64_t reconnects = 0;  // links that came up after the first one
};

using FrameHandler = std::function<void(const crypto::PublicKey& peer, Frame frame)>;

struct TransportHandler {
  // On the transport thread, in order per link. kPing/kPong/kKem* are handled internally. Each
  // part of a node registers the frame types it handles (consensus, gossip, sync, client
  // requests); a frame of a type nobody registered goes to on_frame, or is counted and dropped.
  std::map<FrameType, FrameHandler> by_type;
  FrameHandler on_frame;  // optional
  std::function<void(const crypto::PublicKey& peer)> on_connected;     // optional
  std::function<void(const crypto::PublicKey& peer)> on_disconnected;  // optional
};

class Transport {
 public:
  Transport(TransportConfig config, TransportHandler handler);
  ~Transport();  // stops
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Binds (an error if the address is taken), starts the io thread and starts dialing.
  core::Status start();
  // Idempotent; closes every link and joins the io thread. Not from a handler callback.
  // Handlers are not called for links closed by stop().
  void stop();
  std::uint16_t port() const;

  // Thread-safe. Queues one frame to a peer with an authenticated, keyed link. False when there
  // is no such link, the frame is larger than frame_body_max allows, or the peer's queue would
  // exceed queued_bytes_max (the frame is dropped and counted).
  bool send(const crypto::PublicKey& peer, FrameType type, std::uint32_t stream, core::ByteView payload);
  // To every connected peer in config.peers; how many accepted it.
  std::size_t broadcast(FrameType type, std::uint32_t stream, core::ByteView payload);

  std::vector<PeerStatus> peers() const;
  std::size_t connected_count() const;
  // Frames that arrived with a type no handler takes.
  std::uint64_t frames_unhandled() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace metanode::net
