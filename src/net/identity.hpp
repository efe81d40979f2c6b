// A validator's TLS identity is its consensus key: a self-signed X.509 certificate whose key is
// the validator's own Ed25519 key (TLS 1.3 signs handshakes with Ed25519 directly). A peer is
// who its certificate's key says, and that key must be in the validator set (or the configured
// full-node list); there is no certificate authority to trust or to compromise.
#pragma once

#include <string>

#include "core/result.hpp"
#include "crypto/ed25519.hpp"

namespace metanode::net {

struct TlsIdentity {
  std::string certificate_pem;
  std::string private_key_pem;  // secret
};

// The certificate and key for `seed` (the validator's Ed25519 seed). Deterministic apart from
// the validity period.
core::Result<TlsIdentity> make_tls_identity(const crypto::Seed& seed, std::string_view common_name);

// The Ed25519 key a PEM certificate carries; refuses other key types and certificates whose
// self-signature does not verify.
core::Result<crypto::PublicKey> certificate_key(std::string_view certificate_pem);

}  // namespace metanode::net
