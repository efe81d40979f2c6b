#include "net/frame.hpp"

#include <string>

namespace metanode::net {
namespace {
using core::ErrorCode;
using core::make_error;

bool known_type(std::uint8_t t) { return t >= 1 && t <= static_cast<std::uint8_t>(FrameType::kOracleObservation); }
}  // namespace

std::string_view frame_type_name(FrameType type) {
  switch (type) {
    case FrameType::kKemOffer: return "kem-offer";
    case FrameType::kKemReply: return "kem-reply";
    case FrameType::kConsensus: return "consensus";
    case FrameType::kTxGossip: return "tx-gossip";
    case FrameType::kSyncRequest: return "sync-request";
    case FrameType::kSyncResponse: return "sync-response";
    case FrameType::kRequest: return "request";
    case FrameType::kResponse: return "response";
    case FrameType::kPing: return "ping";
    case FrameType::kPong: return "pong";
    case FrameType::kHeaderSignatures: return "header-signatures";
    case FrameType::kCertRequest: return "cert-request";
    case FrameType::kCertReply: return "cert-reply";
    case FrameType::kHeaderRequest: return "header-request";
    case FrameType::kHeaderReply: return "header-reply";
    case FrameType::kAuditCosignRequest: return "audit-cosign-request";
    case FrameType::kOracleObservation: return "oracle-observation";
    case FrameType::kAuditCosignReply: return "audit-cosign-reply";
  }
  return "unknown";
}

void append_frame(core::Bytes& out, FrameType type, std::uint32_t stream, core::ByteView payload) {
  const auto body = static_cast<std::uint32_t>(kFrameBodyMinBytes + payload.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<core::Byte>(body >> (8 * i)));
  out.push_back(static_cast<core::Byte>(type));
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<core::Byte>(stream >> (8 * i)));
  out.insert(out.end(), payload.begin(), payload.end());
}

void FrameReader::feed(core::ByteView bytes) {
  if (failed_) return;
  // Compact before growing: consumed bytes are never kept around.
  if (offset_ > 0 && offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ > (1u << 20)) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(offset_));
    offset_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

core::Result<std::optional<Frame>> FrameReader::next() {
  if (failed_) return *failed_;
  const std::size_t available = buffer_.size() - offset_;
  if (available < 4) return std::optional<Frame>{};
  const core::Byte* p = buffer_.data() + offset_;
  const std::uint32_t body = static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
                             static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
  if (body < kFrameBodyMinBytes) {
    failed_ = make_error(ErrorCode::kDecodeInvalidValue, "frame body of " + std::to_string(body) + " bytes is too short");
    return *failed_;
  }
  if (body > body_bytes_max_) {
    failed_ = make_error(ErrorCode::kDecodeOverLimit, "frame of " + std::to_string(body) + " bytes exceeds the limit of " +
                                                          std::to_string(body_bytes_max_));
    return *failed_;
  }
  if (available < 5) return std::optional<Frame>{};  // the type byte has not arrived yet
  if (!known_type(p[4])) {
    failed_ = make_error(ErrorCode::kDecodeInvalidValue, "unknown frame type " + std::to_string(p[4]));
    return *failed_;
  }
  if (available < 4 + static_cast<std::size_t>(body)) return std::optional<Frame>{};
  Frame f;
  f.type = static_cast<FrameType>(p[4]);
  f.stream = static_cast<std::uint32_t>(p[5]) | static_cast<std::uint32_t>(p[6]) << 8 | static_cast<std::uint32_t>(p[7]) << 16 |
             static_cast<std::uint32_t>(p[8]) << 24;
  f.payload.assign(p + kFrameHeaderBytes, p + 4 + body);
  offset_ += 4 + body;
  return std::optional<Frame>{std::move(f)};
}

}  // namespace metanode::net
