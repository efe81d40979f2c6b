// Types shared by the consensus engines: the validator set and its quorum, votes, quorum
// certificates, consensus blocks, and the verifier that checks signatures (with a cache, since
// every validator checks the same votes).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/bytes.hpp"
#include "core/codec.hpp"
#include "core/hash.hpp"
#include "core/result.hpp"
#include "crypto/consensus_vote.hpp"
#include "crypto/ed25519.hpp"

namespace metanode::consensus {

using ValidatorIndex = std::uint32_t;

// Limits (TIGER_STYLE: a limit on everything a peer can make us hold).
inline constexpr std::size_t kValidatorsMax = 256;
inline constexpr std::size_t kPayloadBytesMax = 16u << 20;
inline constexpr std::size_t kMessageBytesMax = kPayloadBytesMax + (1u << 20);

// The ordered validators of an epoch. Leader rotation and quorum arithmetic live here so both
// engines agree on them. Quorum is floor(2n/3)+1 for any n (not only n = 3f+1): any two quorums
// then share at least f+1 validators, so at least one honest one.
class ValidatorSet {
 public:
  // Refuses an empty set, more than kValidatorsMax members and duplicate keys.
  static core::Result<ValidatorSet> create(std::vector<crypto::PublicKey> keys);

  std::size_t size() const { return keys_.size(); }
  std::size_t quorum() const { return quorum_; }
  // The most faulty validators the set tolerates: f = floor((n-1)/3).
  std::size_t max_faulty() const { return (keys_.size() - 1) / 3; }
  const crypto::PublicKey& key(ValidatorIndex index) const { return keys_.at(index); }
  const std::vector<crypto::PublicKey>& keys() const { return keys_; }
  std::optional<ValidatorIndex> index_of(const crypto::PublicKey& key) const;
  bool contains(ValidatorIndex index) const { return index < keys_.size(); }
  // Round-robin: the leader of (height, round) for IBFT, of view v (height 0) for HotStuff.
  ValidatorIndex leader(std::uint64_t height, std::uint64_t round) const {
    return static_cast<ValidatorIndex>((height + round) % keys_.size());
  }
  core::Hash32 digest() const;

  // A deliberately broken copy whose quorum is `quorum` instead of floor(2n/3)+1. Only the
  // simulator's "the checker can fail" tests use it.
  ValidatorSet with_unsafe_quorum_for_testing(std::size_t quorum) const;

 private:
  std::vector<crypto::PublicKey> keys_;
  std::size_t quorum_ = 0;
};

// The vote's signed content lives below the modules (crypto/consensus_vote.hpp), where the
// economics module checks equivocation evidence with the same encoding.
using crypto::CommitTarget;
using crypto::VoteData;
using crypto::VoteKind;
using crypto::vote_kind_name;
using crypto::votes_conflict;

struct VoteSignature {
  ValidatorIndex signer = 0;
  crypto::Signature signature;
  bool operator==(const VoteSignature&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<VoteSignature> decode(core::Reader& r);
};

struct SignedVote {
  VoteData data;
  VoteSignature signature;
  void encode(core::Writer& w) const;
  static core::Result<SignedVote> decode(core::Reader& r);
};

// A quorum of signatures over one VoteData. Signers are strictly ascending (one canonical form).
// A QC with no signatures is the genesis QC: valid only for the genesis block (see HotStuff).
struct QuorumCert {
  VoteData data;
  std::vector<VoteSignature> signatures;

  bool operator==(const QuorumCert&) const = default;
  bool is_genesis() const { return signatures.empty(); }
  void encode(core::Writer& w) const;
  static core::Result<QuorumCert> decode(core::Reader& r);
};

struct Hash32Hash {
  std::size_t operator()(const core::Hash32& h) const {
    std::size_t v = 0;
    for (std::size_t i = 0; i < sizeof(v); ++i) v |= static_cast<std::size_t>(h[i]) << (8 * i);
    return v;
  }
};

// Checks signatures; every engine goes through one so the runtime can share a cache. Pure: the
// answer depends only on the arguments, which is what makes caching and sharing sound.
class SignatureVerifier {
 public:
  virtual ~SignatureVerifier() = default;
  virtual bool verify(const crypto::PublicKey& key, const core::Hash32& digest, const crypto::Signature& signature) = 0;
};

// Ed25519 verification that remembers the last `capacity` successes (each validator sees the same
// vote many times: in its own message, in QCs, in round-change justifications).
class CachingVerifier final : public SignatureVerifier {
 public:
  explicit CachingVerifier(std::size_t capacity = 1 << 16) : capacity_(capacity) {}
  bool verify(const crypto::PublicKey& key, const core::Hash32& digest, const crypto::Signature& signature) override;
  std::uint64_t verified() const { return verified_; }
  std::uint64_t cache_hits() const { return hits_; }

 private:
  std::size_t capacity_;
  std::unordered_set<core::Hash32, Hash32Hash> seen_;
  std::uint64_t verified_ = 0;
  std::uint64_t hits_ = 0;
};

// Checks a QC: distinct signers in ascending order, all in the set, at least a quorum, and
// every signature valid over the data. The genesis QC (no signatures) is refused here; engines
// accept it only where the genesis block is meant.
core::Status verify_quorum_cert(const QuorumCert& qc, const ValidatorSet& validators, const core::Hash32& chain_id,
                                SignatureVerifier& verifier);
core::Status verify_vote(const SignedVote& vote, const ValidatorSet& validators, const core::Hash32& chain_id,
                         SignatureVerifier& verifier);

// Collects votes over identical data until a quorum; then builds the QC.
class VoteCollector {
 public:
  // Adds one (already verified) vote. Returns the QC the first time a quorum is reached.
  std::optional<QuorumCert> add(const SignedVote& vote, std::size_t quorum);
  // A vote of the same signer, kind, height and round already collected for other data: the
  // signer equivocated.
  std::optional<SignedVote> conflicting(const SignedVote& vote) const;
  std::size_t count(const core::Hash32& digest) const;
  void clear() { groups_.clear(); }

 private:
  struct Group {
    VoteData data;
    std::vector<VoteSignature> signatures;  // kept sorted by signer
    bool done = false;
  };
  std::vector<std::pair<core::Hash32, Group>> groups_;
};

// A block as consensus sees it: the payload is opaque (the node puts a ledger block there).
// In HotStuff `round` is the view and `justify` the QC of the parent; in IBFT `round` is 0 (a
// value prepared in one round is re-proposed unchanged in a later one) and there is no justify.
struct Block {
  std::uint64_t height = 0;
  std::uint64_t round = 0;
  core::Hash32 parent_id{};
  ValidatorIndex proposer = 0;
  core::Bytes payload;
  std::optional<QuorumCert> justify;

  bool operator==(const Block&) const = default;
  // hash(ConsensusBlock, height || round || parent || proposer || payload hash || justify).
  core::Hash32 id() const;
  core::Bytes id_preimage() const;  // what id() hashes (equivocation evidence carries it)
  core::Hash32 payload_hash() const;
  void encode(core::Writer& w) const;
  static core::Result<Block> decode(core::Reader& r);
};

// The first block every chain builds on: height 0, id = hash of the chain id.
Block genesis_block(const core::Hash32& chain_id);

// A commit certificate says "the block with this id at this height is final": a valid QC whose
// commit target names it. A HotStuff block committed as an ancestor of a certified block is
// final through that descendant's certificate and the parent links between them.
core::Status verify_commit_certificate(const QuorumCert& cert, std::uint64_t height, const core::Hash32& block_id,
                                       const ValidatorSet& validators, const core::Hash32& chain_id,
                                       SignatureVerifier& verifier);

std::string short_hex(const core::Hash32& h);

}  // namespace metanode::consensus
