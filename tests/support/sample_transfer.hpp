// A transaction-shaped struct for codec tests, property tests, the codec fuzzer and benchmarks:
// integers, fixed arrays, length-prefixed bytes and strings, a tagged payload and a vector of
// signatures, with the same limits a real transaction has.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/codec.hpp"
#include "crypto/multisig.hpp"

namespace metanode::testing {

struct SampleTransfer {
  static constexpr std::size_t kChainIdMax = 64;
  static constexpr std::size_t kMemoMax = 256;
  static constexpr std::size_t kDataMax = 4096;

  std::string chain_id;
  crypto::PublicKey sender;
  std::uint64_t nonce = 0;
  std::uint64_t max_fee = 0;
  std::uint64_t bid = 0;
  std::uint8_t payload_kind = 0;  // 0 = transfer, 1 = data
  crypto::Address to;
  std::uint64_t amount = 0;
  core::Bytes data;
  std::string memo;
  bool urgent = false;
  std::vector<crypto::SignerSignature> signatures;

  bool operator==(const SampleTransfer&) const = default;

  void encode(core::Writer& w) const {
    w.string(chain_id, kChainIdMax);
    sender.encode(w);
    w.u64(nonce);
    w.u64(max_fee);
    w.u64(bid);
    w.u8(payload_kind);
    if (payload_kind == 0) {
      to.encode(w);
      w.u64(amount);
    } else {
      w.bytes(data, kDataMax);
    }
    w.string(memo, kMemoMax);
    w.boolean(urgent);
    crypto::encode_signer_signatures(w, signatures);
  }

  static core::Result<SampleTransfer> decode(core::Reader& r) {
    SampleTransfer t;
    MN_TRY_ASSIGN(t.chain_id, r.string(kChainIdMax));
    MN_TRY_ASSIGN(t.sender, crypto::PublicKey::decode(r));
    MN_TRY_ASSIGN(t.nonce, r.u64());
    MN_TRY_ASSIGN(t.max_fee, r.u64());
    MN_TRY_ASSIGN(t.bid, r.u64());
    MN_TRY_ASSIGN(t.payload_kind, r.u8());
    if (t.payload_kind == 0) {
      MN_TRY_ASSIGN(t.to, crypto::Address::decode(r));
      MN_TRY_ASSIGN(t.amount, r.u64());
    } else if (t.payload_kind == 1) {
      MN_TRY_ASSIGN(t.data, r.bytes(kDataMax));
    } else {
      return core::make_error(core::ErrorCode::kDecodeInvalidValue,
                              "payload kind " + std::to_string(t.payload_kind) + " is unknown");
    }
    MN_TRY_ASSIGN(t.memo, r.string(kMemoMax));
    MN_TRY_ASSIGN(t.urgent, r.boolean());
    MN_TRY_ASSIGN(t.signatures, crypto::decode_signer_signatures(r));
    return t;
  }
};

// A typical transfer: one signature, short memo.
inline SampleTransfer typical_transfer() {
  SampleTransfer t;
  t.chain_id = "metanode-devnet";
  t.sender.bytes.fill(0x11);
  t.nonce = 42;
  t.max_fee = 1000;
  t.bid = 25;
  t.to.bytes.fill(0x22);
  t.amount = 1'000'000;
  t.memo = "invoice 2026-11";
  crypto::SignerSignature s;
  s.signer = t.sender;
  s.signature.bytes.fill(0x33);
  t.signatures.push_back(s);
  return t;
}

}  // namespace metanode::testing
