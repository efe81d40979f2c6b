#include "crypto/ed25519.hpp"

#include <sodium.h>

#include <atomic>
#include <cstring>

#include "crypto/random.hpp"

namespace metanode::crypto {

core::Result<PublicKey> PublicKey::from_hex(std::string_view text) {
  auto bytes = core::array_from_hex<32>(text);
  if (!bytes.ok()) return core::make_error(core::ErrorCode::kInvalidKey, "public key: " + bytes.error().message);
  return PublicKey{*bytes};
}

core::Result<PublicKey> PublicKey::decode(core::Reader& r) {
  auto bytes = r.array<32>();
  if (!bytes.ok()) return std::move(bytes).error();
  return PublicKey{*bytes};
}

core::Result<Signature> Signature::from_hex(std::string_view text) {
  auto bytes = core::array_from_hex<64>(text);
  if (!bytes.ok()) return core::make_error(core::ErrorCode::kBadSignature, "signature: " + bytes.error().message);
  return Signature{*bytes};
}

core::Result<Signature> Signature::decode(core::Reader& r) {
  auto bytes = r.array<64>();
  if (!bytes.ok()) return std::move(bytes).error();
  return Signature{*bytes};
}

KeyPair KeyPair::generate() {
  Seed seed = random_array<32>();
  KeyPair pair = from_seed(seed);
  wipe(seed);
  return pair;
}

KeyPair KeyPair::from_seed(const Seed& seed) {
  ensure_sodium();
  KeyPair pair;
  crypto_sign_ed25519_seed_keypair(pair.public_key_.bytes.data(), pair.secret_.data(), seed.data());
  return pair;
}

KeyPair::~KeyPair() { wipe(secret_); }

Seed KeyPair::seed() const {
  Seed seed;
  std::memcpy(seed.data(), secret_.data(), seed.size());
  return seed;
}

Signature KeyPair::sign(core::Domain domain, core::ByteView message) const {
  return sign_digest(core::hash(domain, message));
}

Signature KeyPair::sign_digest(const core::Hash32& digest) const {
  Signature signature;
  crypto_sign_ed25519_detached(signature.bytes.data(), nullptr, digest.data(), digest.size(), secret_.data());
  return signature;
}

Signature KeyPair::sign_raw(core::ByteView message) const {
  Signature signature;
  crypto_sign_ed25519_detached(signature.bytes.data(), nullptr, message.data(), message.size(), secret_.data());
  return signature;
}

namespace {
std::atomic<std::uint64_t> verifications{0};
}  // namespace

bool verify_raw(const PublicKey& key, core::ByteView message, const Signature& signature) {
  ensure_sodium();
  verifications.fetch_add(1, std::memory_order_relaxed);
  return crypto_sign_ed25519_verify_detached(signature.bytes.data(), message.data(), message.size(), key.bytes.data()) == 0;
}

std::uint64_t verifications_total() { return verifications.load(std::memory_order_relaxed); }

bool verify_digest(const PublicKey& key, const core::Hash32& digest, const Signature& signature) {
  ensure_sodium();
  verifications.fetch_add(1, std::memory_order_relaxed);
  return crypto_sign_ed25519_verify_detached(signature.bytes.data(), digest.data(), digest.size(),
                                             key.bytes.data()) == 0;
}

core::Status verify(const PublicKey& key, core::Domain domain, core::ByteView message, const Signature& signature) {
  if (!verify_digest(key, core::hash(domain, message), signature)) {
    return core::make_error(core::ErrorCode::kBadSignature, "Ed25519 signature does not verify for key " +
                                                                key.to_hex().substr(0, 16) + "… in domain " +
                                                                std::string(core::domain_name(domain)));
  }
  return {};
}

}  // namespace metanode::crypto
