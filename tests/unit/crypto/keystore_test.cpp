#include "crypto/keystore.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace metanode::crypto {
namespace {

namespace fs = std::filesystem;

// Argon2id at libsodium's minimum cost keeps these tests fast; the file records the cost, and
// one test below uses the real default.
constexpr KdfParams kFastKdf{1, 8 * 1024};

class KeystoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("metanode-ks-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(KeystoreTest, CreateUnlockSign) {
  Keystore store(dir_, kFastKdf);
  auto info = store.create("alice", "correct horse", 1700000000000);
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  EXPECT_EQ(info->address, Address::from_public_key(info->ed25519_public_key));
  auto secrets = store.unlock("alice", "correct horse");
  ASSERT_TRUE(secrets.ok()) << secrets.error().to_string();
  EXPECT_EQ(secrets->ed25519().public_key(), info->ed25519_public_key);
  EXPECT_EQ(secrets->mldsa().public_key(), info->mldsa_public_key);
  const core::Bytes msg = {1};
  EXPECT_TRUE(hybrid_verify(HybridPublicKey{info->ed25519_public_key, info->mldsa_public_key}, core::Domain::Test, msg,
                            secrets->hybrid().sign(core::Domain::Test, msg))
                  .ok());
}

TEST_F(KeystoreTest, FilesArePrivate) {
  Keystore store(dir_, kFastKdf);
  ASSERT_TRUE(store.create("alice", "pw", 0).ok());
  struct stat st{};
  ASSERT_EQ(::stat(store.path_of("alice").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // No secret appears in the file in clear.
  auto secrets = store.unlock("alice", "pw");
  std::ifstream in(store.path_of("alice"));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find(core::to_hex(secrets->ed25519_seed)), std::string::npos);
  EXPECT_EQ(text.find(core::to_hex(secrets->mldsa_seed)), std::string::npos);
}

TEST_F(KeystoreTest, WrongPassphraseIsAClearError) {
  Keystore store(dir_, kFastKdf);
  ASSERT_TRUE(store.create("alice", "right", 0).ok());
  auto secrets = store.unlock("alice", "wrong");
  ASSERT_FALSE(secrets.ok());
  EXPECT_EQ(secrets.error().code, core::ErrorCode::kWrongPassphrase);
  EXPECT_NE(secrets.error().message.find("wrong passphrase"), std::string::npos);
}

TEST_F(KeystoreTest, DuplicateNamesAndBadNamesAreRefused) {
  Keystore store(dir_, kFastKdf);
  ASSERT_TRUE(store.create("alice", "pw", 0).ok());
  EXPECT_EQ(store.create("alice", "pw", 0).error().code, core::ErrorCode::kKeyExists);
  for (const char* bad : {"", ".hidden", "a/b", "../up", "with space"}) {
    EXPECT_EQ(store.create(bad, "pw", 0).error().code, core::ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(store.create(std::string(65, 'a'), "pw", 0).error().code, core::ErrorCode::kInvalidArgument);
}

TEST_F(KeystoreTest, ListAndInfoNeedNoPassphrase) {
  Keystore store(dir_, kFastKdf);
  EXPECT_TRUE(store.list()->empty());
  ASSERT_TRUE(store.create("bob", "pw1", 0).ok());
  ASSERT_TRUE(store.create("alice", "pw2", 0).ok());
  auto all = store.list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "alice");
  EXPECT_EQ((*all)[1].name, "bob");
  EXPECT_EQ(store.info("carol").error().code, core::ErrorCode::kKeyNotFound);
  EXPECT_EQ(store.unlock("carol", "x").error().code, core::ErrorCode::kKeyNotFound);
}

TEST_F(KeystoreTest, AlteredPublicFieldsAreDetected) {
  Keystore store(dir_, kFastKdf);
  ASSERT_TRUE(store.create("alice", "pw", 0).ok());
  std::ifstream in(store.path_of("alice"));
  nlohmann::json doc = nlohmann::json::parse(in);
  in.close();
  doc["created_unix_ms"] = 5;  // bound into the AEAD's associated data
  std::ofstream(store.path_of("alice")) << doc.dump();
  EXPECT_EQ(store.unlock("alice", "pw").error().code, core::ErrorCode::kWrongPassphrase);

  // A swapped public key no longer matches the address.
  doc["created_unix_ms"] = 0;
  doc["ed25519_public_key"] = KeyPair::generate().public_key().to_hex();
  std::ofstream(store.path_of("alice")) << doc.dump();
  EXPECT_EQ(store.info("alice").error().code, core::ErrorCode::kKeystoreCorrupt);

  std::ofstream(store.path_of("alice")) << "{ not json";
  EXPECT_EQ(store.info("alice").error().code, core::ErrorCode::kKeystoreCorrupt);
}

TEST_F(KeystoreTest, ImportIsDeterministicAndDefaultKdfWorks) {
  Keystore store(dir_);  // the real default cost (Argon2id, 64 MiB)
  KeySecrets secrets = KeySecrets::generate();
  auto info = store.import("carol", "pw", secrets, 0);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->ed25519_public_key, secrets.ed25519().public_key());
  auto back = store.unlock("carol", "pw");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->ed25519_seed, secrets.ed25519_seed);
  EXPECT_EQ(back->mldsa_seed, secrets.mldsa_seed);
}

}  // namespace
}  // namespace metanode::crypto
