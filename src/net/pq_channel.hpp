// The post-quantum layer of an XTMP link. Right after the TLS 1.3 handshake the client offers an
// ephemeral ML-KEM-768 key, the server encapsulates to it, and both mix the ML-KEM secret with
// the TLS exporter secret (and the KEM transcript) into two AES-256-GCM keys, one per direction,
// that seal every later frame inside TLS. Traffic recorded today stays secret unless an attacker
// breaks both the TLS key exchange (X25519, classical) and ML-KEM-768.
#pragma once

#include <memory>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/aead.hpp"
#include "crypto/mlkem.hpp"
#include "net/frame.hpp"

namespace metanode::net {

struct ChannelKeys {
  crypto::AesKey send{};
  crypto::AesKey receive{};
};

// Client side: holds the ephemeral ML-KEM key pair between offer and reply.
class KemInitiator {
 public:
  KemInitiator();
  // Payload of the kKemOffer frame: the ML-KEM-768 encapsulation key.
  core::Bytes offer() const;
  // From the kKemReply payload (the ciphertext) and this session's TLS exporter secret.
  core::Result<ChannelKeys> finish(core::ByteView reply, const core::Hash32& tls_secret) const;

 private:
  std::unique_ptr<crypto::MlkemKeyPair> kem_;
};

struct KemResponse {
  core::Bytes reply;  // payload of the kKemReply frame
  ChannelKeys keys;
};

// Server side: encapsulates to the client's offer.
core::Result<KemResponse> kem_respond(core::ByteView offer, const core::Hash32& tls_secret);

// Seals and opens frame payloads with per-direction counters as nonces (TLS delivers in order, so
// a replayed, dropped or reordered frame fails to open). The frame type and stream are bound as
// associated data.
class SealedChannel {
 public:
  explicit SealedChannel(const ChannelKeys& keys) : keys_(keys) {}
  core::Bytes seal(FrameType type, std::uint32_t stream, core::ByteView payload);
  core::Result<core::Bytes> open(FrameType type, std::uint32_t stream, core::ByteView sealed);

 private:
  ChannelKeys keys_;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
};

}  // namespace metanode::net
