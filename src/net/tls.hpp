// TLS 1.3 with mutual authentication for XTMP links: both sides present their validator
// certificate (net/identity.hpp), only TLS 1.3 is spoken, and after the handshake the peer is
// identified by its certificate's Ed25519 key, which must be one the node allows.
#pragma once

#include <openssl/ssl.h>

#include <functional>
#include <memory>
#include <set>

#include "core/result.hpp"
#include "crypto/ed25519.hpp"
#include "net/identity.hpp"

namespace metanode::net {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// An SSL_CTX for one side of XTMP links. Chain validation is not used (every certificate is
// self-signed): a peer is accepted when the handshake proves it holds the key in its
// certificate, and that key passes the node's policy (check_peer below).
core::Result<SslCtxPtr> make_tls_context(const TlsIdentity& identity, bool server);

// The Ed25519 key the peer authenticated with in a completed handshake.
core::Result<crypto::PublicKey> peer_key(SSL* ssl);

// Which keys may connect: the validator set of the current epoch, configured full nodes, and
// the keys `admit` accepts (full nodes governance admitted).
class PeerPolicy {
 public:
  explicit PeerPolicy(std::set<crypto::PublicKey> allowed, std::function<bool(const crypto::PublicKey&)> admit = {})
      : allowed_(std::move(allowed)), admit_(std::move(admit)) {}
  // kConsensusUnknownSigner for a key outside the set.
  core::Status check(const crypto::PublicKey& key) const;

 private:
  std::set<crypto::PublicKey> allowed_;
  std::function<bool(const crypto::PublicKey&)> admit_;  // keys the chain admits besides allowed_
};

// 32 bytes both ends of one TLS session derive alike (RFC 8446 exporter, label
// "EXPORTER-metanode-xtmp"): binds the post-quantum layer to this very handshake.
core::Result<core::Hash32> export_session_secret(SSL* ssl);

}  // namespace metanode::net
