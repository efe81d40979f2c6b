#include "core/codec.hpp"

#include <gtest/gtest.h>

#include "support/sample_transfer.hpp"

namespace metanode::core {
namespace {

TEST(Codec, IntegersAreFixedWidthLittleEndian) {
  Writer w;
  w.u8(0x01);
  w.u16(0x0203);
  w.u32(0x04050607);
  w.u64(0x08090a0b0c0d0e0fULL);
  w.i64(-2);
  w.boolean(true);
  EXPECT_EQ(to_hex(w.data()), "01" "0302" "07060504" "0f0e0d0c0b0a0908" "feffffffffffffff" "01");
  Reader r(w.data());
  EXPECT_EQ(*r.u8(), 0x01);
  EXPECT_EQ(*r.u16(), 0x0203);
  EXPECT_EQ(*r.u32(), 0x04050607u);
  EXPECT_EQ(*r.u64(), 0x08090a0b0c0d0e0fULL);
  EXPECT_EQ(*r.i64(), -2);
  EXPECT_TRUE(*r.boolean());
  EXPECT_TRUE(r.finish().ok());
}

TEST(Codec, LengthPrefixedBytesAndStrings) {
  Writer w;
  w.bytes(Bytes{1, 2, 3}, 8);
  w.string("hi", 8);
  EXPECT_EQ(to_hex(w.data()), "03000000010203" "020000006869");
  Reader r(w.data());
  EXPECT_EQ(*r.bytes(8), (Bytes{1, 2, 3}));
  EXPECT_EQ(*r.string(8), "hi");
  EXPECT_TRUE(r.finish().ok());
}

TEST(Codec, RejectsTruncation) {
  const Bytes encoded = encode(testing::typical_transfer());
  for (std::size_t cut = 0; cut < encoded.size(); ++cut) {
    auto decoded = decode<testing::SampleTransfer>(ByteView(encoded).first(cut));
    ASSERT_FALSE(decoded.ok()) << "accepted a prefix of " << cut << " bytes";
    EXPECT_EQ(decoded.error().code, ErrorCode::kDecodeTruncated) << decoded.error().to_string();
  }
}

TEST(Codec, RejectsTrailingBytes) {
  Bytes encoded = encode(testing::typical_transfer());
  encoded.push_back(0);
  auto decoded = decode<testing::SampleTransfer>(encoded);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, ErrorCode::kDecodeTrailingBytes);
}

TEST(Codec, RejectsOverLimitLengthBeforeAllocating) {
  Writer w;
  w.u32(0xffffffffu);  // claims 4 GiB
  Reader r(w.data());
  auto b = r.bytes(1024);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, ErrorCode::kDecodeOverLimit);

  Writer w2;
  w2.u32(100);  // within the limit, but only 2 bytes follow
  w2.u8(1);
  w2.u8(2);
  Reader r2(w2.data());
  EXPECT_EQ(r2.bytes(1024).error().code, ErrorCode::kDecodeTruncated);
}

TEST(Codec, RejectsOverLimitVectors) {
  Writer w;
  w.u32(17);  // one more signature than multisig allows
  Reader r(w.data());
  auto v = crypto::decode_signer_signatures(r);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, ErrorCode::kDecodeOverLimit);
}

TEST(Codec, RejectsNonCanonicalBooleans) {
  const Bytes two = {2};
  Reader r(two);
  EXPECT_EQ(r.boolean().error().code, ErrorCode::kDecodeInvalidValue);
}

TEST(Codec, RejectsUnknownTags) {
  auto t = testing::typical_transfer();
  Bytes encoded = encode(t);
  // payload_kind follows chain_id (4 + 15), sender (32), nonce, max_fee, bid (24).
  encoded[4 + t.chain_id.size() + 32 + 24] = 7;
  EXPECT_EQ(decode<testing::SampleTransfer>(encoded).error().code, ErrorCode::kDecodeInvalidValue);
}

TEST(Codec, RoundTripsTypicalTransfer) {
  const auto t = testing::typical_transfer();
  const Bytes encoded = encode(t);
  auto decoded = decode<testing::SampleTransfer>(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(*decoded, t);
  EXPECT_EQ(encode(*decoded), encoded);
}

}  // namespace
}  // namespace metanode::core
