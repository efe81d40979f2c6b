#include "crypto/aead.hpp"

#include <gtest/gtest.h>

#include "crypto/random.hpp"

namespace metanode::crypto {
namespace {

TEST(Aes256Gcm, NistTestVector) {
  // NIST GCM test case 14 (AES-256, zero key, zero IV, one zero block).
  AesKey key{};
  AesNonce nonce{};
  const core::Bytes plain(16, 0);
  const core::Bytes sealed = aes256gcm_encrypt(key, nonce, plain, {});
  EXPECT_EQ(core::to_hex(sealed), "cea7403d4d606b6e074ec5d3baf39d18" "d0d1c8a799996bf0265b98b5d48ab919");
  EXPECT_EQ(*aes256gcm_decrypt(key, nonce, sealed, {}), plain);
}

TEST(Aes256Gcm, DetectsTamperingAndWrongKeyOrAad) {
  const AesKey key = random_array<32>();
  const core::Bytes plain = {1, 2, 3, 4, 5};
  const core::Bytes aad = {9};
  const core::Bytes sealed = aes256gcm_seal(key, plain, aad);
  EXPECT_EQ(*aes256gcm_open(key, sealed, aad), plain);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    core::Bytes bad = sealed;
    bad[i] ^= 0x80;
    auto opened = aes256gcm_open(key, bad, aad);
    ASSERT_FALSE(opened.ok()) << "flip at " << i;
    EXPECT_EQ(opened.error().code, core::ErrorCode::kDecryptionFailed);
  }
  EXPECT_FALSE(aes256gcm_open(random_array<32>(), sealed, aad).ok());
  EXPECT_FALSE(aes256gcm_open(key, sealed, core::Bytes{8}).ok());
  EXPECT_FALSE(aes256gcm_open(key, core::ByteView(sealed).first(20), aad).ok());
}

TEST(Aes256Gcm, EmptyPlaintext) {
  const AesKey key = random_array<32>();
  const core::Bytes sealed = aes256gcm_seal(key, {}, {});
  EXPECT_EQ(sealed.size(), kAesNonceBytes + kAesTagBytes);
  EXPECT_TRUE(aes256gcm_open(key, sealed, {})->empty());
}

}  // namespace
}  // namespace metanode::crypto
