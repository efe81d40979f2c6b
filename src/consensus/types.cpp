#include "consensus/types.hpp"

#include <algorithm>
#include <set>

namespace metanode::consensus {
namespace {
using core::ErrorCode;
using core::make_error;
}  // namespace

void VoteSignature::encode(core::Writer& w) const {
  w.u32(signer);
  signature.encode(w);
}

core::Result<VoteSignature> VoteSignature::decode(core::Reader& r) {
  VoteSignature s;
  MN_TRY_ASSIGN(s.signer, r.u32());
  MN_TRY_ASSIGN(s.signature, crypto::Signature::decode(r));
  return s;
}

core::Result<ValidatorSet> ValidatorSet::create(std::vector<crypto::PublicKey> keys) {
  if (keys.empty()) return make_error(ErrorCode::kInvalidArgument, "validator set is empty");
  if (keys.size() > kValidatorsMax) {
    return make_error(ErrorCode::kInvalidArgument, "validator set has " + std::to_string(keys.size()) +
                                                        " members, at most " + std::to_string(kValidatorsMax));
  }
  std::set<crypto::PublicKey> unique(keys.begin(), keys.end());
  if (unique.size() != keys.size()) return make_error(ErrorCode::kInvalidArgument, "validator set has a duplicate key");
  ValidatorSet set;
  set.keys_ = std::move(keys);
  set.quorum_ = 2 * set.keys_.size() / 3 + 1;  // ledger::quorum_of is the same rule
  return set;
}

std::optional<ValidatorIndex> ValidatorSet::index_of(const crypto::PublicKey& key) const {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return static_cast<ValidatorIndex>(i);
  }
  return std::nullopt;
}

core::Hash32 ValidatorSet::digest() const {
  core::Writer w;
  w.vector(keys_, kValidatorsMax, [](core::Writer& out, const crypto::PublicKey& k) { k.encode(out); });
  return core::hash(core::Domain::ValidatorSet, w.data());
}

ValidatorSet ValidatorSet::with_unsafe_quorum_for_testing(std::size_t quorum) const {
  ValidatorSet copy = *this;
  copy.quorum_ = quorum;
  return copy;
}

void SignedVote::encode(core::Writer& w) const {
  data.encode(w);
  signature.encode(w);
}

core::Result<SignedVote> SignedVote::decode(core::Reader& r) {
  SignedVote v;
  MN_TRY_ASSIGN(v.data, VoteData::decode(r));
  MN_TRY_ASSIGN(v.signature, VoteSignature::decode(r));
  return v;
}

void QuorumCert::encode(core::Writer& w) const {
  data.encode(w);
  w.vector(signatures, kValidatorsMax, [](core::Writer& out, const VoteSignature& sig) { sig.encode(out); });
}

core::Result<QuorumCert> QuorumCert::decode(core::Reader& r) {
  QuorumCert qc;
  MN_TRY_ASSIGN(qc.data, VoteData::decode(r));
  MN_TRY_ASSIGN(qc.signatures, r.vector<VoteSignature>(kValidatorsMax, VoteSignature::decode));
  return qc;
}

bool CachingVerifier::verify(const crypto::PublicKey& key, const core::Hash32& digest,
                             const crypto::Signature& signature) {
  core::Hasher h(core::Domain::SignatureCache);
  h.update(key.bytes).update(digest).update(signature.bytes);
  const core::Hash32 entry = h.finalize();
  if (seen_.contains(entry)) {
    ++hits_;
    return true;
  }
  if (!crypto::verify_digest(key, digest, signature)) return false;
  ++verified_;
  // Bounded: forgetting everything at capacity is crude but keeps memory fixed and only costs
  // re-verification.
  if (seen_.size() >= capacity_) seen_.clear();
  seen_.insert(entry);
  return true;
}

core::Status verify_vote(const SignedVote& vote, const ValidatorSet& validators, const core::Hash32& chain_id,
                         SignatureVerifier& verifier) {
  if (!validators.contains(vote.signature.signer)) {
    return make_error(ErrorCode::kConsensusUnknownSigner,
                      "vote signer " + std::to_string(vote.signature.signer) + " is not a validator");
  }
  if (!verifier.verify(validators.key(vote.signature.signer), vote.data.signing_digest(chain_id),
                       vote.signature.signature)) {
    return make_error(ErrorCode::kBadSignature,
                      "vote signature of validator " + std::to_string(vote.signature.signer) + " does not verify");
  }
  return {};
}

core::Status verify_quorum_cert(const QuorumCert& qc, const ValidatorSet& validators, const core::Hash32& chain_id,
                                SignatureVerifier& verifier) {
  if (qc.signatures.size() < validators.quorum()) {
    return make_error(ErrorCode::kConsensusBadCertificate, "certificate has " + std::to_string(qc.signatures.size()) +
                                                               " signatures, quorum is " +
                                                               std::to_string(validators.quorum()));
  }
  const core::Hash32 digest = qc.data.signing_digest(chain_id);
  for (std::size_t i = 0; i < qc.signatures.size(); ++i) {
    const VoteSignature& s = qc.signatures[i];
    if (i > 0 && s.signer <= qc.signatures[i - 1].signer) {
      return make_error(ErrorCode::kConsensusBadCertificate, "certificate signers are repeated or out of order");
    }
    if (!validators.contains(s.signer)) {
      return make_error(ErrorCode::kConsensusUnknownSigner,
                        "certificate signer " + std::to_string(s.signer) + " is not a validator");
    }
    if (!verifier.verify(validators.key(s.signer), digest, s.signature)) {
      return make_error(ErrorCode::kBadSignature,
                        "certificate signature of validator " + std::to_string(s.signer) + " does not verify");
    }
  }
  return {};
}

std::optional<QuorumCert> VoteCollector::add(const SignedVote& vote, std::size_t quorum) {
  const core::Hash32 digest = core::hash(core::Domain::ConsensusVote, core::encode(vote.data));
  auto it = std::find_if(groups_.begin(), groups_.end(), [&](const auto& g) { return g.first == digest; });
  if (it == groups_.end()) {
    groups_.push_back({digest, Group{vote.data, {}, false}});
    it = std::prev(groups_.end());
  }
  Group& g = it->second;
  auto pos = std::lower_bound(g.signatures.begin(), g.signatures.end(), vote.signature.signer,
                              [](const VoteSignature& s, ValidatorIndex signer) { return s.signer < signer; });
  if (pos != g.signatures.end() && pos->signer == vote.signature.signer) return std::nullopt;
  g.signatures.insert(pos, vote.signature);
  if (g.done || g.signatures.size() < quorum) return std::nullopt;
  g.done = true;
  return QuorumCert{g.data, g.signatures};
}

std::optional<SignedVote> VoteCollector::conflicting(const SignedVote& vote) const {
  for (const auto& [digest, g] : groups_) {
    if (g.data == vote.data || g.data.kind != vote.data.kind || g.data.height != vote.data.height ||
        g.data.round != vote.data.round) {
      continue;
    }
    for (const auto& s : g.signatures) {
      if (s.signer == vote.signature.signer) return SignedVote{g.data, s};
    }
  }
  return std::nullopt;
}

std::size_t VoteCollector::count(const core::Hash32& digest) const {
  for (const auto& [d, g] : groups_) {
    if (d == digest) return g.signatures.size();
  }
  return 0;
}

core::Hash32 Block::payload_hash() const { return core::hash(core::Domain::ConsensusPayload, payload); }

core::Bytes Block::id_preimage() const {
  core::Writer w(256);
  w.u64(height);
  w.u64(round);
  w.array(parent_id);
  w.u32(proposer);
  w.array(payload_hash());
  w.boolean(justify.has_value());
  if (justify) justify->encode(w);
  return std::move(w).take();
}

core::Hash32 Block::id() const { return crypto::consensus_block_id(id_preimage()); }

void Block::encode(core::Writer& w) const {
  w.u64(height);
  w.u64(round);
  w.array(parent_id);
  w.u32(proposer);
  w.bytes(payload, kPayloadBytesMax);
  w.boolean(justify.has_value());
  if (justify) justify->encode(w);
}

core::Result<Block> Block::decode(core::Reader& r) {
  Block b;
  MN_TRY_ASSIGN(b.height, r.u64());
  MN_TRY_ASSIGN(b.round, r.u64());
  MN_TRY_ASSIGN(b.parent_id, r.array<32>());
  MN_TRY_ASSIGN(b.proposer, r.u32());
  MN_TRY_ASSIGN(b.payload, r.bytes(kPayloadBytesMax));
  MN_TRY_ASSIGN(bool has_justify, r.boolean());
  if (has_justify) {
    MN_TRY_ASSIGN(auto qc, QuorumCert::decode(r));
    b.justify = std::move(qc);
  }
  return b;
}

Block genesis_block(const core::Hash32& chain_id) {
  Block b;
  b.height = 0;
  b.round = 0;
  b.parent_id = chain_id;
  return b;
}

core::Status verify_commit_certificate(const QuorumCert& cert, std::uint64_t height, const core::Hash32& block_id,
                                       const ValidatorSet& validators, const core::Hash32& chain_id,
                                       SignatureVerifier& verifier) {
  if (!cert.data.commit || cert.data.commit->height != height || cert.data.commit->block_id != block_id) {
    return make_error(ErrorCode::kConsensusBadCertificate,
                      "certificate does not commit block " + short_hex(block_id) + " at height " + std::to_string(height));
  }
  if (cert.data.kind != VoteKind::kCommit && cert.data.kind != VoteKind::kHotStuff) {
    return make_error(ErrorCode::kConsensusBadCertificate, "certificate is not made of commit votes");
  }
  return verify_quorum_cert(cert, validators, chain_id, verifier);
}

std::string short_hex(const core::Hash32& h) { return core::to_hex(core::ByteView(h.data(), 4)); }

}  // namespace metanode::consensus
