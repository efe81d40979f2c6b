// Ed25519 keys and signatures (libsodium). Signatures always cover a domain-tagged digest:
// sign(domain, message) signs hash(domain, message), so a signature made for one purpose can
// never be replayed as another.
#pragma once

#include <compare>
#include <string>

#include "core/bytes.hpp"
#include "core/codec.hpp"
#include "core/hash.hpp"
#include "core/result.hpp"

namespace metanode::crypto {

using Seed = core::ByteArray<32>;

struct PublicKey {
  core::ByteArray<32> bytes{};

  auto operator<=>(const PublicKey&) const = default;
  std::string to_hex() const { return core::to_hex(bytes); }
  static core::Result<PublicKey> from_hex(std::string_view text);
  void encode(core::Writer& w) const { w.array(bytes); }
  static core::Result<PublicKey> decode(core::Reader& r);
};

struct Signature {
  core::ByteArray<64> bytes{};

  auto operator<=>(const Signature&) const = default;
  std::string to_hex() const { return core::to_hex(bytes); }
  static core::Result<Signature> from_hex(std::string_view text);
  void encode(core::Writer& w) const { w.array(bytes); }
  static core::Result<Signature> decode(core::Reader& r);
};

class KeyPair {
 public:
  static KeyPair generate();
  static KeyPair from_seed(const Seed& seed);

  KeyPair(const KeyPair& other) = default;
  KeyPair& operator=(const KeyPair& other) = default;
  ~KeyPair();

  const PublicKey& public_key() const { return public_key_; }
  // The 32-byte seed the key was made from (secret).
  Seed seed() const;

  Signature sign(core::Domain domain, core::ByteView message) const;
  Signature sign_digest(const core::Hash32& digest) const;
  // Signs `message` itself, with no domain: only for standards that define the signed bytes
  // themselves (RFC 9421 HTTP message signatures, whose signature base names what it is).
  Signature sign_raw(core::ByteView message) const;

 private:
  KeyPair() = default;
  core::ByteArray<64> secret_{};  // libsodium form: seed || public key
  PublicKey public_key_;
};

// Checks `signature` over hash(domain, message); kBadSignature when it does not verify.
core::Status verify(const PublicKey& key, core::Domain domain, core::ByteView message, const Signature& signature);
// Ed25519 verifications this process has done (a metric: each signature should be checked
// once per node).
std::uint64_t verifications_total();
bool verify_digest(const PublicKey& key, const core::Hash32& digest, const Signature& signature);
// The counterpart of KeyPair::sign_raw.
bool verify_raw(const PublicKey& key, core::ByteView message, const Signature& signature);

}  // namespace metanode::crypto
