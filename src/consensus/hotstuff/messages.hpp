// Chained HotStuff wire messages: proposals (a block and, after a failed view, the timeout
// certificate that let its leader take over), votes to the next leader, pacemaker timeouts, and
// fetching a block by id.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "consensus/types.hpp"

namespace metanode::consensus::hotstuff {

enum class MessageType : std::uint8_t {
  kProposal = 1,
  kVote = 2,
  kTimeout = 3,
  kBlockRequest = 4,
  kBlockResponse = 5,
  kViewSync = 6,
};

struct Proposal {
  Block block;                    // block.justify: QC of its parent
  std::optional<QuorumCert> tc;   // timeout certificate of view block.round - 1, when the QC is older
  VoteSignature signature;        // by the leader of block.round, over the block id

  static core::Hash32 signing_digest(const core::Hash32& chain_id, const core::Hash32& block_id);
  void encode(core::Writer& w) const;
  static core::Result<Proposal> decode(core::Reader& r);
};

struct Vote {
  SignedVote vote;
};

// "View `round` failed for me": a signed VoteData{kTimeout, 0, view, 0} plus the sender's highest
// QC, so the next leader builds on the highest certified block anyone knows.
struct Timeout {
  SignedVote vote;
  QuorumCert high_qc;
};

struct BlockRequest {
  core::Hash32 block_id{};
};
struct BlockResponse {
  Block block;
};

// The answer to a timeout for a view we already left: the certificates that moved us on, so a
// validator that restarted or was cut off catches up instead of timing out alone.
struct ViewSync {
  QuorumCert high_qc;
  std::optional<QuorumCert> tc;
};

using Message = std::variant<Proposal, Vote, Timeout, BlockRequest, BlockResponse, ViewSync>;

core::Bytes encode_message(const Message& message);
core::Result<Message> decode_message(core::ByteView bytes);
std::string describe_message(core::ByteView bytes);

}  // namespace metanode::consensus::hotstuff
