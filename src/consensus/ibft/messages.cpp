#include "consensus/ibft/messages.hpp"

namespace metanode::consensus::ibft {
namespace {
using core::ErrorCode;
using core::make_error;

template <typename T>
void encode_optional(core::Writer& w, const std::optional<T>& v) {
  w.boolean(v.has_value());
  if (v) v->encode(w);
}

template <typename T>
core::Result<std::optional<T>> decode_optional(core::Reader& r) {
  MN_TRY_ASSIGN(bool present, r.boolean());
  if (!present) return std::optional<T>{};
  MN_TRY_ASSIGN(T v, T::decode(r));
  return std::optional<T>{std::move(v)};
}

std::string vote_text(const char* name, const SignedVote& v) {
  return std::string(name) + " h=" + std::to_string(v.data.height) + " r=" + std::to_string(v.data.round) +
         " b=" + short_hex(v.data.block_id) + " by " + std::to_string(v.signature.signer);
}
}  // namespace

void encode_claim(core::Writer& w, const std::optional<PreparedClaim>& claim) {
  w.boolean(claim.has_value());
  if (claim) {
    w.u64(claim->round);
    w.array(claim->block_id);
  }
}

core::Result<std::optional<PreparedClaim>> decode_claim(core::Reader& r) {
  MN_TRY_ASSIGN(bool present, r.boolean());
  if (!present) return std::optional<PreparedClaim>{};
  PreparedClaim c;
  MN_TRY_ASSIGN(c.round, r.u64());
  MN_TRY_ASSIGN(c.block_id, r.array<32>());
  return std::optional<PreparedClaim>{c};
}

core::Hash32 RoundChange::signing_digest(const core::Hash32& chain_id) const {
  core::Writer w(96);
  w.array(chain_id);
  w.string("round-change", 32);
  w.u64(height);
  w.u64(round);
  encode_claim(w, prepared);
  return core::hash(core::Domain::ConsensusMessage, w.data());
}

RoundChange RoundChange::without_proof() const {
  RoundChange copy{height, round, prepared, signature, std::nullopt, std::nullopt};
  return copy;
}

void RoundChange::encode(core::Writer& w) const {
  w.u64(height);
  w.u64(round);
  encode_claim(w, prepared);
  signature.encode(w);
  encode_optional(w, prepared_qc);
  encode_optional(w, prepared_block);
}

core::Result<RoundChange> RoundChange::decode(core::Reader& r) {
  RoundChange m;
  MN_TRY_ASSIGN(m.height, r.u64());
  MN_TRY_ASSIGN(m.round, r.u64());
  MN_TRY_ASSIGN(m.prepared, decode_claim(r));
  MN_TRY_ASSIGN(m.signature, VoteSignature::decode(r));
  MN_TRY_ASSIGN(m.prepared_qc, decode_optional<QuorumCert>(r));
  MN_TRY_ASSIGN(m.prepared_block, decode_optional<Block>(r));
  return m;
}

core::Hash32 PrePrepare::signing_digest(const core::Hash32& chain_id, const core::Hash32& block_id) const {
  return crypto::ibft_pre_prepare_digest(chain_id, height, round, block_id);
}

void PrePrepare::encode(core::Writer& w) const {
  w.u64(height);
  w.u64(round);
  block.encode(w);
  w.vector(justification, kValidatorsMax, [](core::Writer& out, const RoundChange& rc) { rc.encode(out); });
  encode_optional(w, prepared_qc);
  signature.encode(w);
}

core::Result<PrePrepare> PrePrepare::decode(core::Reader& r) {
  PrePrepare m;
  MN_TRY_ASSIGN(m.height, r.u64());
  MN_TRY_ASSIGN(m.round, r.u64());
  MN_TRY_ASSIGN(m.block, Block::decode(r));
  MN_TRY_ASSIGN(m.justification, r.vector<RoundChange>(kValidatorsMax, RoundChange::decode));
  MN_TRY_ASSIGN(m.prepared_qc, decode_optional<QuorumCert>(r));
  MN_TRY_ASSIGN(m.signature, VoteSignature::decode(r));
  return m;
}

core::Bytes encode_message(const Message& message) {
  core::Writer w(256);
  std::visit(
      [&w](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, PrePrepare>) {
          w.u8(static_cast<std::uint8_t>(MessageType::kPrePrepare));
          m.encode(w);
        } else if constexpr (std::is_same_v<T, Prepare>) {
          w.u8(static_cast<std::uint8_t>(MessageType::kPrepare));
          m.vote.encode(w);
        } else if constexpr (std::is_same_v<T, Commit>) {
          w.u8(static_cast<std::uint8_t>(MessageType::kCommit));
          m.vote.encode(w);
        } else {
          w.u8(static_cast<std::uint8_t>(MessageType::kRoundChange));
          m.encode(w);
        }
      },
      message);
  return std::move(w).take();
}

core::Result<Message> decode_message(core::ByteView bytes) {
  if (bytes.size() > kMessageBytesMax) return make_error(ErrorCode::kDecodeOverLimit, "ibft message too large");
  core::Reader r(bytes);
  MN_TRY_ASSIGN(std::uint8_t tag, r.u8());
  Message out;
  switch (static_cast<MessageType>(tag)) {
    case MessageType::kPrePrepare: {
      MN_TRY_ASSIGN(auto m, PrePrepare::decode(r));
      out = std::move(m);
      break;
    }
    case MessageType::kPrepare: {
      MN_TRY_ASSIGN(auto v, SignedVote::decode(r));
      if (v.data.kind != VoteKind::kPrepare) return make_error(ErrorCode::kDecodeInvalidValue, "prepare carries another vote kind");
      out = Prepare{std::move(v)};
      break;
    }
    case MessageType::kCommit: {
      MN_TRY_ASSIGN(auto v, SignedVote::decode(r));
      if (v.data.kind != VoteKind::kCommit) return make_error(ErrorCode::kDecodeInvalidValue, "commit carries another vote kind");
      out = Commit{std::move(v)};
      break;
    }
    case MessageType::kRoundChange: {
      MN_TRY_ASSIGN(auto m, RoundChange::decode(r));
      out = std::move(m);
      break;
    }
    default:
      return make_error(ErrorCode::kDecodeInvalidValue, "unknown ibft message type " + std::to_string(tag));
  }
  MN_TRY(r.finish());
  return out;
}

std::string describe_message(core::ByteView bytes) {
  auto decoded = decode_message(bytes);
  if (!decoded.ok()) return "undecodable (" + decoded.error().to_string() + ")";
  return std::visit(
      [](const auto& m) -> std::string {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, PrePrepare>) {
          return "pre-prepare h=" + std::to_string(m.height) + " r=" + std::to_string(m.round) +
                 " b=" + short_hex(m.block.id()) + " by " + std::to_string(m.signature.signer) +
                 (m.justification.empty() ? "" : " rc=" + std::to_string(m.justification.size()));
        } else if constexpr (std::is_same_v<T, Prepare>) {
          return vote_text("prepare", m.vote);
        } else if constexpr (std::is_same_v<T, Commit>) {
          return vote_text("commit", m.vote);
        } else {
          return "round-change h=" + std::to_string(m.height) + " r=" + std::to_string(m.round) +
                 (m.prepared ? " prepared=" + std::to_string(m.prepared->round) + "/" + short_hex(m.prepared->block_id)
                             : std::string(" prepared=none")) +
                 " by " + std::to_string(m.signature.signer);
        }
      },
      *decoded);
}

}  // namespace metanode::consensus::ibft
