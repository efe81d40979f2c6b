#include "crypto/address.hpp"

#include <gtest/gtest.h>

#include <random>

namespace metanode::crypto {
namespace {

TEST(Address, RoundTripsThroughText) {
  for (int i = 0; i < 20; ++i) {
    const Address a = Address::from_public_key(KeyPair::generate().public_key());
    const std::string text = a.to_string();
    EXPECT_EQ(text.substr(0, 3), "mn1");
    EXPECT_EQ(text.size(), 2 + 1 + 52 + 6u);
    auto parsed = Address::parse(text);
    ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
    EXPECT_EQ(*parsed, a);
    // Upper case is the same address; mixed case is not accepted.
    std::string upper = text;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(*Address::parse(upper), a);
  }
}

TEST(Address, EveryMistypedCharacterIsRejected) {
  const Address a = Address::from_public_key(KeyPair::generate().public_key());
  const std::string text = a.to_string();
  const std::string alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  std::size_t tried = 0;
  for (std::size_t pos = 3; pos < text.size(); ++pos) {
    for (char c : alphabet) {
      if (c == text[pos]) continue;
      std::string typo = text;
      typo[pos] = c;
      auto parsed = Address::parse(typo);
      ASSERT_FALSE(parsed.ok()) << typo;
      EXPECT_EQ(parsed.error().code, core::ErrorCode::kInvalidAddress);
      ++tried;
    }
  }
  EXPECT_GT(tried, 1000u);
}

TEST(Address, TranspositionsAndTruncationAreRejected) {
  const std::string text = Address::from_public_key(KeyPair::generate().public_key()).to_string();
  for (std::size_t pos = 3; pos + 1 < text.size(); ++pos) {
    if (text[pos] == text[pos + 1]) continue;
    std::string swapped = text;
    std::swap(swapped[pos], swapped[pos + 1]);
    EXPECT_FALSE(Address::parse(swapped).ok()) << swapped;
  }
  EXPECT_FALSE(Address::parse(text.substr(0, text.size() - 1)).ok());
  EXPECT_FALSE(Address::parse(text + "q").ok());
}

TEST(Address, RejectsWrongPrefixMixedCaseAndGarbage) {
  const std::string text = Address::from_public_key(KeyPair::generate().public_key()).to_string();
  EXPECT_NE(Address::parse("bc" + text.substr(2)).error().message.find("prefix"), std::string::npos);
  std::string mixed = text;
  mixed[5] = static_cast<char>(std::toupper(static_cast<unsigned char>(mixed[5])));
  if (mixed != text) {
    EXPECT_NE(Address::parse(mixed).error().message.find("mixes"), std::string::npos);
  }
  EXPECT_FALSE(Address::parse("").ok());
  EXPECT_FALSE(Address::parse("mn1").ok());
  EXPECT_FALSE(Address::parse("mn1bbbbbbbbbbbbbbbbbbbbb").ok());
  EXPECT_FALSE(Address::parse(std::string(200, 'q')).ok());
  // A valid bech32m string of the wrong length is not an address.
  EXPECT_NE(Address::parse(bech32m_encode("mn", core::Bytes(20, 1))).error().message.find("20 bytes"),
            std::string::npos);
}

TEST(Bech32m, MatchesBip350TestVector) {
  // BIP-350 valid bech32m test string.
  auto data = bech32m_decode("a", "a1lqfn3a");
  ASSERT_TRUE(data.ok()) << data.error().to_string();
  EXPECT_TRUE(data->empty());
  // And the classic bech32 (not m) form of the same data is refused.
  EXPECT_FALSE(bech32m_decode("a", "a12uel5l").ok());
}

TEST(Address, KeysAndPoliciesLiveInSeparateSpaces) {
  const PublicKey key = KeyPair::generate().public_key();
  EXPECT_NE(Address::from_kind(kAddressKindEd25519, key.bytes), Address::from_kind(kAddressKindMultisig, key.bytes));
}

}  // namespace
}  // namespace metanode::crypto
