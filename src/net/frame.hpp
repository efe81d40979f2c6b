// XTMP framing: every message on a validator link is a frame of
//   u32 body length (little-endian) | u8 type | u32 stream id | payload
// with a hard limit on the body length checked before anything is buffered, so a peer cannot
// make us hold more than one frame's worth of its bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace metanode::net {

enum class FrameType : std::uint8_t {
  kKemOffer = 1,       // ML-KEM-768 encapsulation key (client, right after the TLS handshake)
  kKemReply = 2,       // ML-KEM-768 ciphertext (server)
  kConsensus = 3,      // a consensus engine message
  kTxGossip = 4,       // admitted transactions
  kSyncRequest = 5,    // committed blocks from a height
  kSyncResponse = 6,   // blocks with their commit certificates
  kRequest = 7,        // client request (stream id pairs it with its response)
  kResponse = 8,
  kPing = 9,           // keep-alive
  kPong = 10,
  kHeaderSignatures = 11,  // validators' signatures over the ledger headers they computed
  kCertRequest = 12,       // header certificates of these heights, please
  kCertReply = 13,
  kHeaderRequest = 14,     // the ledger header this node stored at a height (a diverged peer asks)
  kHeaderReply = 15,
  kAuditCosignRequest = 16,  // a validator's audit checkpoint, for another validator to witness
  kAuditCosignReply = 17,
  kOracleObservation = 18,  // an oracle operator's signed observation, for the other operators
};
std::string_view frame_type_name(FrameType type);

inline constexpr std::size_t kFrameHeaderBytes = 4 + 1 + 4;
inline constexpr std::uint32_t kFrameBodyMinBytes = 1 + 4;
inline constexpr std::uint32_t kFrameBodyMaxDefault = (16u << 20) + (1u << 20);

struct Frame {
  FrameType type = FrameType::kPing;
  std::uint32_t stream = 0;
  core::Bytes payload;
  bool operator==(const Frame&) const = default;
};

// Appends the encoding of one frame to `out` (batched writes: many frames, one buffer).
void append_frame(core::Bytes& out, FrameType type, std::uint32_t stream, core::ByteView payload);

// Reassembles frames from a byte stream read in arbitrary pieces. The first malformed or
// oversized frame makes the reader fail for good: the connection must be dropped.
class FrameReader {
 public:
  explicit FrameReader(std::uint32_t body_bytes_max = kFrameBodyMaxDefault) : body_bytes_max_(body_bytes_max) {}

  void feed(core::ByteView bytes);
  // The next complete frame, nothing when more bytes are needed, or the error that ends the link.
  core::Result<std::optional<Frame>> next();
  std::size_t buffered_bytes() const { return buffer_.size() - offset_; }

 private:
  std::uint32_t body_bytes_max_;
  core::Bytes buffer_;
  std::size_t offset_ = 0;
  std::optional<core::Error> failed_;
};

}  // namespace metanode::net
