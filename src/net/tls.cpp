#include "net/tls.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace metanode::net {
namespace {
using core::ErrorCode;
using core::make_error;

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// Self-signed certificates fail chain validation by design; identity is checked after the
// handshake against the allowed keys. Everything else OpenSSL checks (the handshake signature
// proving possession of the key) still applies.
int accept_self_signed(int /*preverify*/, X509_STORE_CTX* /*ctx*/) { return 1; }
}  // namespace

core::Result<SslCtxPtr> make_tls_context(const TlsIdentity& identity, bool server) {
  SslCtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!ctx) return make_error(ErrorCode::kInternal, "SSL_CTX_new: " + openssl_error());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_self_signed);
  BIO* cert_bio = BIO_new_mem_buf(identity.certificate_pem.data(), static_cast<int>(identity.certificate_pem.size()));
  X509* cert = cert_bio ? PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(cert_bio);
  BIO* key_bio = BIO_new_mem_buf(identity.private_key_pem.data(), static_cast<int>(identity.private_key_pem.size()));
  EVP_PKEY* key = key_bio ? PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(key_bio);
  const bool ok = cert && key && SSL_CTX_use_certificate(ctx.get(), cert) == 1 &&
                  SSL_CTX_use_PrivateKey(ctx.get(), key) == 1 && SSL_CTX_check_private_key(ctx.get()) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!ok) return make_error(ErrorCode::kInvalidKey, "TLS identity refused: " + openssl_error());
  return ctx;
}

core::Result<crypto::PublicKey> peer_key(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return make_error(ErrorCode::kInvalidKey, "peer presented no certificate");
  EVP_PKEY* key = X509_get0_pubkey(cert);
  crypto::PublicKey out;
  std::size_t len = out.bytes.size();
  const bool ok = key && EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 &&
                  EVP_PKEY_get_raw_public_key(key, out.bytes.data(), &len) == 1 && len == out.bytes.size();
  X509_free(cert);
  if (!ok) return make_error(ErrorCode::kInvalidKey, "peer certificate key is not Ed25519");
  return out;
}

core::Status PeerPolicy::check(const crypto::PublicKey& key) const {
  if (!allowed_.contains(key) && !(admit_ && admit_(key))) {
    return make_error(ErrorCode::kConsensusUnknownSigner,
                      "peer key " + key.to_hex().substr(0, 16) +
                          "… is neither a validator, nor a configured full node, nor holds the role 'node' on chain");
  }
  return {};
}

core::Result<core::Hash32> export_session_secret(SSL* ssl) {
  static constexpr char kLabel[] = "EXPORTER-metanode-xtmp";
  core::Hash32 out{};
  if (SSL_export_keying_material(ssl, out.data(), out.size(), kLabel, sizeof kLabel - 1, nullptr, 0, 0) != 1) {
    return make_error(ErrorCode::kInternal, "TLS exporter failed: " + openssl_error());
  }
  return out;
}

}  // namespace metanode::net
