#include "crypto/keystore.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/codec.hpp"
#include "crypto/aead.hpp"
#include "crypto/random.hpp"

namespace metanode::crypto {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kFormatVersion = 1;
constexpr std::size_t kSaltBytes = crypto_pwhash_SALTBYTES;
constexpr std::uint64_t kOpsLimitMax = 64;                 // refuse files that would hang us
constexpr std::uint64_t kMemLimitMaxBytes = 4ull << 30;    // or exhaust memory
constexpr std::size_t kKeyFileBytesMax = 64 * 1024;
constexpr std::size_t kSecretsBytes = 1 + 32 + kMldsaSeedBytes;

core::Error io_error(const std::string& what, const fs::path& path) {
  return core::make_error(core::ErrorCode::kIo, what + " " + path.string() + ": " + std::strerror(errno));
}

core::Error corrupt(const fs::path& path, const std::string& why) {
  return core::make_error(core::ErrorCode::kKeystoreCorrupt, path.string() + ": " + why);
}

// Associated data: everything public in the file, so none of it can be changed unnoticed.
core::Hash32 associated_data(std::string_view name, const PublicKey& ed, const MldsaPublicKey& pq,
                             std::int64_t created_unix_ms) {
  core::Writer w;
  w.u8(kFormatVersion);
  w.string(name, 64);
  ed.encode(w);
  pq.encode(w);
  w.i64(created_unix_ms);
  return core::hash(core::Domain::KeystoreAad, w.data());
}

core::Result<AesKey> derive_key(std::string_view passphrase, const core::ByteArray<kSaltBytes>& salt,
                                const KdfParams& kdf) {
  ensure_sodium();
  AesKey key{};
  if (crypto_pwhash(key.data(), key.size(), passphrase.data(), passphrase.size(), salt.data(), kdf.ops_limit,
                    static_cast<std::size_t>(kdf.mem_limit_bytes), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return core::make_error(core::ErrorCode::kInternal, "Argon2id failed (out of memory?)");
  }
  return key;
}

// Writes `text` to `path` atomically: a temporary file in the same directory (0600), fsync,
// rename, fsync of the directory. A crash leaves either no key or the whole key.
core::Status write_file_atomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", tmp);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      auto err = io_error("cannot write", tmp);
      ::close(fd);
      return err;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, 0600) != 0 || ::fsync(fd) != 0) {
    auto err = io_error("cannot sync", tmp);
    ::close(fd);
    return err;
  }
  ::close(fd);
  // link() fails if the name exists, so a concurrent create of the same name cannot overwrite.
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    if (saved == EEXIST) {
      return core::make_error(core::ErrorCode::kKeyExists, "a key file already exists at " + path.string());
    }
    errno = saved;
    return io_error("cannot link", path);
  }
  ::unlink(tmp.c_str());
  const int dir_fd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return {};
}

struct KeyFile {
  KeyInfo info;
  KdfParams kdf;
  core::ByteArray<kSaltBytes> salt{};
  AesNonce nonce{};
  core::Bytes ciphertext;
};

core::Result<KeyFile> read_key_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!fs::exists(path)) {
      return core::make_error(core::ErrorCode::kKeyNotFound, "no key file at " + path.string());
    }
    return io_error("cannot read", path);
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > kKeyFileBytesMax) return corrupt(path, "file larger than " + std::to_string(kKeyFileBytesMax));
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return corrupt(path, "not a JSON object");
  try {
    if (doc.at("version").get<int>() != kFormatVersion) {
      return corrupt(path, "format version " + std::to_string(doc.at("version").get<int>()) + " is not supported");
    }
    KeyFile file;
    file.info.name = doc.at("name").get<std::string>();
    MN_TRY_ASSIGN(file.info.address, Address::parse(doc.at("address").get<std::string>()));
    MN_TRY_ASSIGN(file.info.ed25519_public_key, PublicKey::from_hex(doc.at("ed25519_public_key").get<std::string>()));
    MN_TRY_ASSIGN(auto pq, core::array_from_hex<kMldsaPublicKeyBytes>(doc.at("mldsa65_public_key").get<std::string>()));
    file.info.mldsa_public_key.bytes = pq;
    file.info.created_unix_ms = doc.at("created_unix_ms").get<std::int64_t>();
    const json& kdf = doc.at("kdf");
    if (kdf.at("algorithm").get<std::string>() != "argon2id") return corrupt(path, "unknown KDF");
    file.kdf.ops_limit = kdf.at("ops_limit").get<std::uint64_t>();
    file.kdf.mem_limit_bytes = kdf.at("mem_limit_bytes").get<std::uint64_t>();
    if (file.kdf.ops_limit < crypto_pwhash_OPSLIMIT_MIN || file.kdf.ops_limit > kOpsLimitMax ||
        file.kdf.mem_limit_bytes < crypto_pwhash_MEMLIMIT_MIN || file.kdf.mem_limit_bytes > kMemLimitMaxBytes) {
      return corrupt(path, "KDF parameters out of range");
    }
    MN_TRY_ASSIGN(file.salt, core::array_from_hex<kSaltBytes>(kdf.at("salt").get<std::string>()));
    const json& cipher = doc.at("cipher");
    if (cipher.at("algorithm").get<std::string>() != "aes-256-gcm") return corrupt(path, "unknown cipher");
    MN_TRY_ASSIGN(file.nonce, core::array_from_hex<kAesNonceBytes>(cipher.at("nonce").get<std::string>()));
    MN_TRY_ASSIGN(file.ciphertext, core::from_hex(cipher.at("ciphertext").get<std::string>()));
    if (Address::from_public_key(file.info.ed25519_public_key) != file.info.address) {
      return corrupt(path, "address does not match the public key");
    }
    return file;
  } catch (const json::exception& e) {
    return corrupt(path, std::string("missing or mistyped field: ") + e.what());
  }
}

}  // namespace

KeySecrets::~KeySecrets() {
  wipe(ed25519_seed);
  wipe(mldsa_seed);
}

KeySecrets KeySecrets::generate() {
  KeySecrets s;
  random_bytes(s.ed25519_seed);
  random_bytes(s.mldsa_seed);
  return s;
}

Keystore::Keystore(fs::path dir, KdfParams kdf) : dir_(std::move(dir)), kdf_(kdf) {}

core::Status Keystore::validate_name(std::string_view name) {
  const bool chars_ok = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  });
  if (name.empty() || name.size() > 64 || !chars_ok || name.front() == '.') {
    return core::make_error(core::ErrorCode::kInvalidArgument,
                            "key name '" + std::string(name) +
                                "' must be 1-64 characters of letters, digits, '_', '-', '.' and not start with '.'");
  }
  return {};
}

fs::path Keystore::path_of(std::string_view name) const { return dir_ / (std::string(name) + ".key.json"); }

core::Result<KeyInfo> Keystore::create(std::string_view name, std::string_view passphrase, std::int64_t now_unix_ms) {
  return import(name, passphrase, KeySecrets::generate(), now_unix_ms);
}

core::Result<KeyInfo> Keystore::import(std::string_view name, std::string_view passphrase, const KeySecrets& secrets,
                                       std::int64_t now_unix_ms) {
  MN_TRY(validate_name(name));
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return core::make_error(core::ErrorCode::kIo, "cannot create key store " + dir_.string() + ": " + ec.message());
  ::chmod(dir_.c_str(), 0700);
  if (fs::exists(path_of(name))) {
    return core::make_error(core::ErrorCode::kKeyExists, "a key named '" + std::string(name) + "' already exists in " +
                                                             dir_.string());
  }

  KeyInfo info;
  info.name = std::string(name);
  info.ed25519_public_key = secrets.ed25519().public_key();
  info.mldsa_public_key = secrets.mldsa().public_key();
  info.address = Address::from_public_key(info.ed25519_public_key);
  info.created_unix_ms = now_unix_ms;

  const auto salt = random_array<kSaltBytes>();
  MN_TRY_ASSIGN(AesKey key, derive_key(passphrase, salt, kdf_));
  core::Bytes plain;
  plain.reserve(kSecretsBytes);
  plain.push_back(1);  // secrets layout version
  plain.insert(plain.end(), secrets.ed25519_seed.begin(), secrets.ed25519_seed.end());
  plain.insert(plain.end(), secrets.mldsa_seed.begin(), secrets.mldsa_seed.end());
  const AesNonce nonce = random_array<kAesNonceBytes>();
  const core::Hash32 aad =
      associated_data(info.name, info.ed25519_public_key, info.mldsa_public_key, info.created_unix_ms);
  const core::Bytes ciphertext = aes256gcm_encrypt(key, nonce, plain, aad);
  wipe(plain);
  wipe(key);

  json doc = {
      {"version", kFormatVersion},
      {"name", info.name},
      {"address", info.address.to_string()},
      {"ed25519_public_key", info.ed25519_public_key.to_hex()},
      {"mldsa65_public_key", core::to_hex(info.mldsa_public_key.bytes)},
      {"created_unix_ms", info.created_unix_ms},
      {"kdf",
       {{"algorithm", "argon2id"},
        {"ops_limit", kdf_.ops_limit},
        {"mem_limit_bytes", kdf_.mem_limit_bytes},
        {"salt", core::to_hex(salt)}}},
      {"cipher", {{"algorithm", "aes-256-gcm"}, {"nonce", core::to_hex(nonce)}, {"ciphertext", core::to_hex(ciphertext)}}},
  };
  MN_TRY(write_file_atomically(path_of(name), doc.dump(2) + "\n"));
  return info;
}

core::Result<std::vector<KeyInfo>> Keystore::list() const {
  std::vector<KeyInfo> out;
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return out;
  constexpr std::string_view kSuffix = ".key.json";
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string file = entry.path().filename().string();
    if (file.size() <= kSuffix.size() || file.compare(file.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
      continue;
    }
    MN_TRY_ASSIGN(auto key_file, read_key_file(entry.path()));
    out.push_back(std::move(key_file.info));
  }
  if (ec) return core::make_error(core::ErrorCode::kIo, "cannot list " + dir_.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const KeyInfo& a, const KeyInfo& b) { return a.name < b.name; });
  return out;
}

namespace {
// The key file of `name`, checked to hold that key; a missing file is "no key named …".
core::Result<KeyFile> read_named_key_file(const Keystore& store, std::string_view name) {
  MN_TRY(Keystore::validate_name(name));
  auto file = read_key_file(store.path_of(name));
  if (!file.ok()) {
    if (file.error().code == core::ErrorCode::kKeyNotFound) {
      return core::make_error(core::ErrorCode::kKeyNotFound,
                              "no key named '" + std::string(name) + "' in " + store.dir().string());
    }
    return std::move(file).error();
  }
  if (file->info.name != name) return corrupt(store.path_of(name), "file holds key '" + file->info.name + "'");
  return file;
}
}  // namespace

core::Result<KeyInfo> Keystore::info(std::string_view name) const {
  MN_TRY_ASSIGN(KeyFile file, read_named_key_file(*this, name));
  return std::move(file.info);
}

core::Result<KeySecrets> Keystore::unlock(std::string_view name, std::string_view passphrase) const {
  MN_TRY_ASSIGN(auto file, read_named_key_file(*this, name));
  MN_TRY_ASSIGN(AesKey key, derive_key(passphrase, file.salt, file.kdf));
  const core::Hash32 aad = associated_data(file.info.name, file.info.ed25519_public_key,
                                           file.info.mldsa_public_key, file.info.created_unix_ms);
  auto plain = aes256gcm_decrypt(key, file.nonce, file.ciphertext, aad);
  wipe(key);
  if (!plain.ok()) {
    return core::make_error(core::ErrorCode::kWrongPassphrase,
                            "wrong passphrase for key '" + std::string(name) + "' (or its file was altered)");
  }
  if (plain->size() != kSecretsBytes || (*plain)[0] != 1) {
    wipe(*plain);
    return corrupt(path_of(name), "decrypted secrets have an unknown layout");
  }
  KeySecrets secrets;
  std::copy_n(plain->begin() + 1, 32, secrets.ed25519_seed.begin());
  std::copy_n(plain->begin() + 33, kMldsaSeedBytes, secrets.mldsa_seed.begin());
  wipe(*plain);
  if (secrets.ed25519().public_key() != file.info.ed25519_public_key ||
      secrets.mldsa().public_key() != file.info.mldsa_public_key) {
    return corrupt(path_of(name), "secrets do not match the stored public keys");
  }
  return secrets;
}

}  // namespace metanode::crypto
