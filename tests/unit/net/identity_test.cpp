// TLS identities: the certificate's key is exactly the validator's Ed25519 key, and anything else
// (another key type, a tampered certificate, garbage) is refused.
#include <gtest/gtest.h>

#include "net/identity.hpp"

namespace metanode::net {
namespace {

crypto::Seed seed_of(int i) {
  crypto::Seed s{};
  s[0] = static_cast<core::Byte>(i);
  s[31] = 0x42;
  return s;
}

TEST(TlsIdentity, CertificateCarriesTheValidatorKey) {
  for (int i = 1; i <= 3; ++i) {
    auto id = make_tls_identity(seed_of(i), "validator-" + std::to_string(i));
    ASSERT_TRUE(id.ok()) << id.error().to_string();
    EXPECT_NE(id->certificate_pem.find("BEGIN CERTIFICATE"), std::string::npos);
    EXPECT_NE(id->private_key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
    auto key = certificate_key(id->certificate_pem);
    ASSERT_TRUE(key.ok()) << key.error().to_string();
    EXPECT_EQ(*key, crypto::KeyPair::from_seed(seed_of(i)).public_key());
  }
  EXPECT_NE(*certificate_key(make_tls_identity(seed_of(1), "a")->certificate_pem),
            *certificate_key(make_tls_identity(seed_of(2), "a")->certificate_pem));
}

TEST(TlsIdentity, RefusesGarbageAndTamperedCertificates) {
  EXPECT_EQ(certificate_key("not a certificate").error().code, core::ErrorCode::kInvalidKey);
  EXPECT_FALSE(certificate_key("").ok());
  auto id = make_tls_identity(seed_of(1), "validator-1");
  ASSERT_TRUE(id.ok());
  // Flip one base64 character inside the body: either unparsable or the signature fails.
  std::string tampered = id->certificate_pem;
  const std::size_t body = tampered.find('\n') + 40;
  tampered[body] = tampered[body] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(certificate_key(tampered).ok());
}

}  // namespace
}  // namespace metanode::net
