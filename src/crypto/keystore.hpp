// The encrypted key store: one file per key under a directory (mode 0700; files 0600). A key's
// secrets (its Ed25519 and ML-DSA-65 seeds) are encrypted with AES-256-GCM under a key derived
// from the passphrase by Argon2id; the public part (name, address, public keys) stays readable
// so keys can be listed without the passphrase, and is bound into the ciphertext as associated
// data so it cannot be swapped or altered unnoticed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "crypto/address.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/hybrid.hpp"
#include "crypto/mldsa.hpp"

namespace metanode::crypto {

// Argon2id cost. The defaults are libsodium's "interactive" limits (about 0.1 s, 64 MiB here);
// each file records the parameters it was made with.
struct KdfParams {
  std::uint64_t ops_limit = 2;
  std::uint64_t mem_limit_bytes = 64ull << 20;
};

struct KeyInfo {
  std::string name;
  Address address;
  PublicKey ed25519_public_key;
  MldsaPublicKey mldsa_public_key;
  std::int64_t created_unix_ms = 0;
};

// What a key file protects. Both seeds are secret.
struct KeySecrets {
  Seed ed25519_seed{};
  core::ByteArray<kMldsaSeedBytes> mldsa_seed{};

  KeySecrets() = default;
  KeySecrets(const KeySecrets&) = default;
  KeySecrets& operator=(const KeySecrets&) = default;
  ~KeySecrets();
  static KeySecrets generate();
  KeyPair ed25519() const { return KeyPair::from_seed(ed25519_seed); }
  MldsaKeyPair mldsa() const { return MldsaKeyPair::from_seed(mldsa_seed); }
  HybridKeyPair hybrid() const { return HybridKeyPair(ed25519(), mldsa()); }
};

class Keystore {
 public:
  explicit Keystore(std::filesystem::path dir, KdfParams kdf = {});

  const std::filesystem::path& dir() const { return dir_; }

  // Names: 1-64 characters of [A-Za-z0-9_.-], not starting with '.'.
  static core::Status validate_name(std::string_view name);

  // Creates the directory if needed and writes a new key; kKeyExists if the name is taken.
  core::Result<KeyInfo> create(std::string_view name, std::string_view passphrase, std::int64_t now_unix_ms);
  core::Result<KeyInfo> import(std::string_view name, std::string_view passphrase, const KeySecrets& secrets,
                               std::int64_t now_unix_ms);

  // Public information; no passphrase needed. list() is sorted by name.
  core::Result<std::vector<KeyInfo>> list() const;
  core::Result<KeyInfo> info(std::string_view name) const;

  // kWrongPassphrase when the passphrase is wrong (or the file was altered).
  core::Result<KeySecrets> unlock(std::string_view name, std::string_view passphrase) const;

  std::filesystem::path path_of(std::string_view name) const;

 private:
  std::filesystem::path dir_;
  KdfParams kdf_;
};

}  // namespace metanode::crypto
