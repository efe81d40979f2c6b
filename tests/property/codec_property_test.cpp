// Property tests for the canonical codec: every value round-trips; decoding arbitrary bytes
// never crashes, and whatever it accepts re-encodes to exactly those bytes (so it never accepts
// trailing bytes or a second encoding of a value).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "crypto/hybrid.hpp"
#include "crypto/multisig.hpp"
#include "support/sample_transfer.hpp"

namespace metanode {
namespace {

using testing::SampleTransfer;

template <std::size_t N>
core::ByteArray<N> gen_array() {
  core::ByteArray<N> out{};
  const auto bytes = *rc::gen::container<std::vector<std::uint8_t>>(N, rc::gen::arbitrary<std::uint8_t>());
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

std::string gen_string(std::size_t max) {
  const auto size = *rc::gen::inRange<std::size_t>(0, max + 1);
  return *rc::gen::container<std::string>(size, rc::gen::arbitrary<char>());
}

SampleTransfer gen_transfer() {
  SampleTransfer t;
  t.chain_id = gen_string(SampleTransfer::kChainIdMax);
  t.sender.bytes = gen_array<32>();
  t.nonce = *rc::gen::arbitrary<std::uint64_t>();
  t.max_fee = *rc::gen::arbitrary<std::uint64_t>();
  t.bid = *rc::gen::arbitrary<std::uint64_t>();
  t.payload_kind = *rc::gen::inRange<std::uint8_t>(0, 2);
  if (t.payload_kind == 0) {
    t.to.bytes = gen_array<32>();
    t.amount = *rc::gen::arbitrary<std::uint64_t>();
  } else {
    const auto size = *rc::gen::inRange<std::size_t>(0, SampleTransfer::kDataMax + 1);
    t.data = *rc::gen::container<core::Bytes>(size, rc::gen::arbitrary<std::uint8_t>());
  }
  t.memo = gen_string(SampleTransfer::kMemoMax);
  t.urgent = *rc::gen::arbitrary<bool>();
  const auto sigs = *rc::gen::inRange<std::size_t>(0, crypto::kMultisigSignersMax + 1);
  for (std::size_t i = 0; i < sigs; ++i) {
    t.signatures.push_back({crypto::PublicKey{gen_array<32>()}, crypto::Signature{gen_array<64>()}});
  }
  return t;
}

// decode(bytes) either fails cleanly or yields a value whose encoding is exactly `bytes`.
template <typename T>
void check_decode_is_canonical(const core::Bytes& bytes) {
  auto decoded = core::decode<T>(bytes);
  if (decoded.ok()) {
    RC_ASSERT(core::encode(*decoded) == bytes);
  } else {
    RC_ASSERT(!decoded.error().message.empty());
  }
}

RC_GTEST_PROP(CodecProperty, TransferRoundTrips, ()) {
  const SampleTransfer t = gen_transfer();
  const core::Bytes bytes = core::encode(t);
  auto back = core::decode<SampleTransfer>(bytes);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == t);
}

RC_GTEST_PROP(CodecProperty, TrailingBytesAreAlwaysRejected, ()) {
  core::Bytes bytes = core::encode(gen_transfer());
  const auto extra = *rc::gen::nonEmpty(rc::gen::arbitrary<core::Bytes>());
  bytes.insert(bytes.end(), extra.begin(), extra.end());
  auto back = core::decode<SampleTransfer>(bytes);
  RC_ASSERT(!back.ok());
  RC_ASSERT(back.error().code == core::ErrorCode::kDecodeTrailingBytes);
}

RC_GTEST_PROP(CodecProperty, TruncationIsAlwaysRejected, ()) {
  const core::Bytes bytes = core::encode(gen_transfer());
  const auto cut = *rc::gen::inRange<std::size_t>(0, bytes.size());
  RC_ASSERT(!core::decode<SampleTransfer>(core::ByteView(bytes).first(cut)).ok());
}

RC_GTEST_PROP(CodecProperty, RandomBytesNeverCrashAndNeverDecodeNonCanonically, (const core::Bytes& bytes)) {
  check_decode_is_canonical<SampleTransfer>(bytes);
  check_decode_is_canonical<crypto::MultisigPolicy>(bytes);
  check_decode_is_canonical<crypto::PublicKey>(bytes);
}

RC_GTEST_PROP(CodecProperty, MutatedEncodingsNeverDecodeNonCanonically, ()) {
  // Random bytes rarely get past the first field; mutating a valid encoding probes deeper.
  core::Bytes bytes = core::encode(gen_transfer());
  const auto flips = *rc::gen::inRange(1, 4);
  for (int i = 0; i < flips; ++i) {
    const auto at = *rc::gen::inRange<std::size_t>(0, bytes.size());
    bytes[at] = *rc::gen::arbitrary<std::uint8_t>();
  }
  check_decode_is_canonical<SampleTransfer>(bytes);
}

RC_GTEST_PROP(CodecProperty, IntegersRoundTrip, (std::uint64_t a, std::uint32_t b, std::uint16_t c, std::int64_t d)) {
  core::Writer w;
  w.u64(a);
  w.u32(b);
  w.u16(c);
  w.i64(d);
  RC_ASSERT(w.size() == 22u);
  core::Reader r(w.data());
  RC_ASSERT(*r.u64() == a);
  RC_ASSERT(*r.u32() == b);
  RC_ASSERT(*r.u16() == c);
  RC_ASSERT(*r.i64() == d);
  RC_ASSERT(r.finish().ok());
}

}  // namespace
}  // namespace metanode
