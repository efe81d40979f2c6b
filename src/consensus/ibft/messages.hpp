// IBFT (QBFT form) wire messages: PRE-PREPARE, PREPARE, COMMIT, ROUND-CHANGE. One tag byte, then
// the canonical encoding. Every message is signed by its sender.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "consensus/types.hpp"

namespace metanode::consensus::ibft {

enum class MessageType : std::uint8_t { kPrePrepare = 1, kPrepare = 2, kCommit = 3, kRoundChange = 4 };

// "I prepared block_id in round": a signed claim inside a ROUND-CHANGE.
struct PreparedClaim {
  std::uint64_t round = 0;
  core::Hash32 block_id{};
  bool operator==(const PreparedClaim&) const = default;
};

// An optional claim's canonical form (flag, then round and block id): in ROUND-CHANGEs and in
// the persisted safety state.
void encode_claim(core::Writer& w, const std::optional<PreparedClaim>& claim);
core::Result<std::optional<PreparedClaim>> decode_claim(core::Reader& r);

// ROUND-CHANGE(height, round, prepared). The signature covers height, round and the claim; the
// proof of the claim (the PREPARE quorum and the block) travels alongside when broadcast and is
// left out when the message is carried as justification inside a PRE-PREPARE.
struct RoundChange {
  std::uint64_t height = 0;
  std::uint64_t round = 0;
  std::optional<PreparedClaim> prepared;
  VoteSignature signature;
  std::optional<QuorumCert> prepared_qc;
  std::optional<Block> prepared_block;

  core::Hash32 signing_digest(const core::Hash32& chain_id) const;
  RoundChange without_proof() const;
  void encode(core::Writer& w) const;
  static core::Result<RoundChange> decode(core::Reader& r);
};

// PRE-PREPARE(height, round, block) from the round's leader. In rounds after the first it carries
// a quorum of ROUND-CHANGEs and, when one of them claims a prepared block, the PREPARE quorum of
// the highest claim: the proof that `block` is the value the protocol allows.
struct PrePrepare {
  std::uint64_t height = 0;
  std::uint64_t round = 0;
  Block block;
  std::vector<RoundChange> justification;
  std::optional<QuorumCert> prepared_qc;
  VoteSignature signature;

  core::Hash32 signing_digest(const core::Hash32& chain_id, const core::Hash32& block_id) const;
  void encode(core::Writer& w) const;
  static core::Result<PrePrepare> decode(core::Reader& r);
};

struct Prepare {
  SignedVote vote;
};
struct Commit {
  SignedVote vote;  // its signature is the commit seal
};

using Message = std::variant<PrePrepare, Prepare, Commit, RoundChange>;

core::Bytes encode_message(const Message& message);
core::Result<Message> decode_message(core::ByteView bytes);
std::string describe_message(core::ByteView bytes);

}  // namespace metanode::consensus::ibft
