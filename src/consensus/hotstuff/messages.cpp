#include "consensus/hotstuff/messages.hpp"

namespace metanode::consensus::hotstuff {
namespace {
using core::ErrorCode;
using core::make_error;

}  // namespace

core::Hash32 Proposal::signing_digest(const core::Hash32& chain_id, const core::Hash32& block_id) {
  return crypto::hotstuff_proposal_digest(chain_id, block_id);
}

void Proposal::encode(core::Writer& w) const {
  block.encode(w);
  w.boolean(tc.has_value());
  if (tc) tc->encode(w);
  signature.encode(w);
}

core::Result<Proposal> Proposal::decode(core::Reader& r) {
  Proposal p;
  MN_TRY_ASSIGN(p.block, Block::decode(r));
  MN_TRY_ASSIGN(bool has_tc, r.boolean());
  if (has_tc) {
    MN_TRY_ASSIGN(auto tc, QuorumCert::decode(r));
    p.tc = std::move(tc);
  }
  MN_TRY_ASSIGN(p.signature, VoteSignature::decode(r));
  return p;
}

core::Bytes encode_message(const Message& message) {
  core::Writer w(256);
  std::visit(
      [&w](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Proposal>) {
          w.u8(static_cast<std::uint8_t>(MessageType::kProposal));
          m.encode(w);
        } else if constexpr (std::is_same_v<T, Vote>) {
          w.u8(static_cast<std::uint8_t>(MessageType::kVote));
          m.vote.encode(w);
        } else if constexpr (std::is_same_v<T, Timeout>) {
          w.u8(static_cast<std::uint8_t>(MessageType::kTimeout));
          m.vote.encode(w);
          m.high_qc.encode(w);
        } else if constexpr (std::is_same_v<T, BlockRequest>) {
          w.u8(static_cast<std::uint8_t>(MessageType::kBlockRequest));
          w.array(m.block_id);
        } else if constexpr (std::is_same_v<T, ViewSync>) {
          w.u8(static_cast<std::uint8_t>(MessageType::kViewSync));
          m.high_qc.encode(w);
          w.boolean(m.tc.has_value());
          if (m.tc) m.tc->encode(w);
        } else {
          w.u8(static_cast<std::uint8_t>(MessageType::kBlockResponse));
          m.block.encode(w);
        }
      },
      message);
  return std::move(w).take();
}

core::Result<Message> decode_message(core::ByteView bytes) {
  if (bytes.size() > kMessageBytesMax) return make_error(ErrorCode::kDecodeOverLimit, "hotstuff message too large");
  core::Reader r(bytes);
  MN_TRY_ASSIGN(std::uint8_t tag, r.u8());
  Message out;
  switch (static_cast<MessageType>(tag)) {
    case MessageType::kProposal: {
      MN_TRY_ASSIGN(auto p, Proposal::decode(r));
      out = std::move(p);
      break;
    }
    case MessageType::kVote: {
      MN_TRY_ASSIGN(auto v, SignedVote::decode(r));
      if (v.data.kind != VoteKind::kHotStuff) return make_error(ErrorCode::kDecodeInvalidValue, "vote of another kind");
      out = Vote{std::move(v)};
      break;
    }
    case MessageType::kTimeout: {
      MN_TRY_ASSIGN(auto v, SignedVote::decode(r));
      if (v.data.kind != VoteKind::kTimeout) return make_error(ErrorCode::kDecodeInvalidValue, "timeout of another kind");
      MN_TRY_ASSIGN(auto qc, QuorumCert::decode(r));
      out = Timeout{std::move(v), std::move(qc)};
      break;
    }
    case MessageType::kBlockRequest: {
      MN_TRY_ASSIGN(auto id, r.array<32>());
      out = BlockRequest{id};
      break;
    }
    case MessageType::kBlockResponse: {
      MN_TRY_ASSIGN(auto b, Block::decode(r));
      out = BlockResponse{std::move(b)};
      break;
    }
    case MessageType::kViewSync: {
      ViewSync v;
      MN_TRY_ASSIGN(v.high_qc, QuorumCert::decode(r));
      MN_TRY_ASSIGN(bool has_tc, r.boolean());
      if (has_tc) {
        MN_TRY_ASSIGN(auto tc, QuorumCert::decode(r));
        v.tc = std::move(tc);
      }
      out = std::move(v);
      break;
    }
    default:
      return make_error(ErrorCode::kDecodeInvalidValue, "unknown hotstuff message type " + std::to_string(tag));
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
        if constexpr (std::is_same_v<T, Proposal>) {
          return "proposal v=" + std::to_string(m.block.round) + " h=" + std::to_string(m.block.height) +
                 " b=" + short_hex(m.block.id()) + " justify=v" + std::to_string(m.block.justify ? m.block.justify->data.round : 0) +
                 (m.tc ? " tc=v" + std::to_string(m.tc->data.round) : std::string()) + " by " +
                 std::to_string(m.signature.signer);
        } else if constexpr (std::is_same_v<T, Vote>) {
          return "vote v=" + std::to_string(m.vote.data.round) + " h=" + std::to_string(m.vote.data.height) +
                 " b=" + short_hex(m.vote.data.block_id) +
                 (m.vote.data.commit ? " commits h=" + std::to_string(m.vote.data.commit->height) : std::string()) +
                 " by " + std::to_string(m.vote.signature.signer);
        } else if constexpr (std::is_same_v<T, Timeout>) {
          return "timeout v=" + std::to_string(m.vote.data.round) + " high_qc=v" + std::to_string(m.high_qc.data.round) +
                 " by " + std::to_string(m.vote.signature.signer);
        } else if constexpr (std::is_same_v<T, BlockRequest>) {
          return "block-request b=" + short_hex(m.block_id);
        } else if constexpr (std::is_same_v<T, ViewSync>) {
          return "view-sync high_qc=v" + std::to_string(m.high_qc.data.round) +
                 (m.tc ? " tc=v" + std::to_string(m.tc->data.round) : std::string());
        } else {
          return "block-response h=" + std::to_string(m.block.height) + " b=" + short_hex(m.block.id());
        }
      },
      *decoded);
}

}  // namespace metanode::consensus::hotstuff
