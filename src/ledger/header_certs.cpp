#include "ledger/header_certs.hpp"

#include <algorithm>

namespace metanode::ledger {

void HeaderSignature::encode(core::Writer& w) const {
  w.u64(height);
  w.array(block_hash);
  signature.encode(w);
}

core::Result<HeaderSignature> HeaderSignature::decode(core::Reader& r) {
  HeaderSignature s;
  MN_TRY_ASSIGN(s.height, r.u64());
  MN_TRY_ASSIGN(s.block_hash, r.array<32>());
  MN_TRY_ASSIGN(s.signature, crypto::SignerSignature::decode(r));
  return s;
}

core::Bytes encode_header_signatures(const std::vector<HeaderSignature>& signatures) {
  core::Writer w(4 + signatures.size() * 144);
  w.vector(signatures, kHeaderSignaturesPerMessageMax, [](core::Writer& out, const HeaderSignature& s) { s.encode(out); });
  return std::move(w).take();
}

core::Result<std::vector<HeaderSignature>> decode_header_signatures(core::ByteView bytes) {
  core::Reader r(bytes);
  MN_TRY_ASSIGN(auto signatures, r.vector<HeaderSignature>(kHeaderSignaturesPerMessageMax, HeaderSignature::decode));
  MN_TRY(r.finish());
  return signatures;
}

core::Bytes encode_certificates(const std::vector<CommitCertificate>& certificates) {
  core::Writer w;
  w.vector(certificates, kCertificatesPerMessageMax, [](core::Writer& out, const CommitCertificate& c) { c.encode(out); });
  return std::move(w).take();
}

core::Result<std::vector<CommitCertificate>> decode_certificates(core::ByteView bytes) {
  core::Reader r(bytes);
  MN_TRY_ASSIGN(auto certificates, r.vector<CommitCertificate>(kCertificatesPerMessageMax, CommitCertificate::decode));
  MN_TRY(r.finish());
  return certificates;
}

HeaderSignature sign_header(const crypto::KeyPair& key, const core::Hash32& genesis_digest, std::uint64_t height,
                            const core::Hash32& block_hash) {
  HeaderSignature s;
  s.height = height;
  s.block_hash = block_hash;
  s.signature.signer = key.public_key();
  s.signature.signature = key.sign_digest(CommitCertificate::signing_digest(genesis_digest, height, block_hash));
  return s;
}

HeaderCertCollector::HeaderCertCollector(const core::Hash32& genesis_digest, std::vector<crypto::PublicKey> validators)
    : genesis_digest_(genesis_digest),
      validators_at_([keys = std::move(validators)](std::uint64_t) { return keys; }) {}

HeaderCertCollector::HeaderCertCollector(const core::Hash32& genesis_digest, ValidatorsAt validators_at)
    : genesis_digest_(genesis_digest), validators_at_(std::move(validators_at)) {}

bool HeaderCertCollector::is_settled(std::uint64_t height) const {
  if (height <= floor_) return true;
  if (height > applied_max_) return false;
  const auto it = pending_.find(height);
  return it == pending_.end() || !it->second.own.has_value();
}

HeaderCertCollector::Outcome HeaderCertCollector::on_applied(std::uint64_t height, const core::Hash32& block_hash) {
  if (height <= floor_) return {};
  applied_max_ = std::max(applied_max_, height);
  Pending& pending = pending_[height];
  pending.own = block_hash;
  // Bounded: forget the oldest applied heights that never got a certificate.
  while (pending_.size() > kPendingHeightsMax) pending_.erase(pending_.begin());
  return settle(height, pending);
}

core::Result<HeaderCertCollector::Outcome> HeaderCertCollector::add(const HeaderSignature& signature) {
  const auto refuse = [this](std::string why) {
    ++refused_;
    return core::make_error(core::ErrorCode::kBlockInvalid, std::move(why));
  };
  const std::uint64_t height = signature.height;
  if (height == 0) return refuse("block 0 is not signed");
  if (is_settled(height)) return Outcome{};  // late: the certificate is complete
  if (height > applied_max_ + kHeightsAheadMax) {
    return refuse("height " + std::to_string(height) + " is too far ahead of this node (" + std::to_string(applied_max_) + ")");
  }
  const crypto::PublicKey& signer = signature.signature.signer;
  const std::vector<crypto::PublicKey> validators = validators_at_(height);
  if (std::find(validators.begin(), validators.end(), signer) == validators.end()) {
    return refuse("header signed by " + signer.to_hex() + ", not a validator");
  }
  auto it = pending_.find(height);
  if (it != pending_.end() && it->second.signers.contains(signer)) return Outcome{};  // counted already
  const core::Hash32 digest = CommitCertificate::signing_digest(genesis_digest_, height, signature.block_hash);
  if (!crypto::verify_digest(signer, digest, signature.signature.signature)) {
    return refuse("header signature of " + signer.to_hex() + " at height " + std::to_string(height) + " does not verify");
  }
  if (it == pending_.end()) it = pending_.emplace(height, Pending{}).first;
  Pending& pending = it->second;
  pending.signers.insert(signer);
  pending.by_hash[signature.block_hash].push_back(signature.signature);
  return settle(height, pending);
}

HeaderCertCollector::Outcome HeaderCertCollector::settle(std::uint64_t height, Pending& pending) {
  Outcome outcome;
  if (!pending.own.has_value()) return outcome;  // not applied here yet: nothing to compare with
  const std::size_t quorum = quorum_of(validators_at_(height).size());
  for (auto& [hash, signatures] : pending.by_hash) {
    if (signatures.size() < quorum) continue;
    if (hash != *pending.own) {
      Divergence d;
      d.height = height;
      d.quorum_hash = hash;
      d.own_hash = *pending.own;
      for (const auto& s : signatures) d.signers.push_back(s.signer);
      d.message = std::to_string(signatures.size()) + " validators signed header " + core::to_hex(hash) + " at height " +
                  std::to_string(height) + "; this node computed " + core::to_hex(*pending.own);
      outcome.diverged = std::move(d);
      return outcome;
    }
    CommitCertificate cert;
    cert.height = height;
    cert.block_hash = hash;
    cert.signatures = std::move(signatures);
    // One canonical order, whatever order the signatures arrived in.
    std::sort(cert.signatures.begin(), cert.signatures.end(),
              [](const crypto::SignerSignature& a, const crypto::SignerSignature& b) { return a.signer < b.signer; });
    outcome.certified = std::move(cert);
    mark_certified(height);  // erases `pending`
    return outcome;
  }
  return outcome;
}

void HeaderCertCollector::mark_certified(std::uint64_t height) { pending_.erase(height); }

void HeaderCertCollector::skip_through(std::uint64_t height) {
  floor_ = std::max(floor_, height);
  applied_max_ = std::max(applied_max_, height);
  pending_.erase(pending_.begin(), pending_.upper_bound(height));
}

std::vector<std::uint64_t> HeaderCertCollector::uncertified(std::size_t count_max) const {
  std::vector<std::uint64_t> out;
  for (const auto& [height, pending] : pending_) {
    if (out.size() == count_max) break;
    if (pending.own.has_value()) out.push_back(height);
  }
  return out;
}

}  // namespace metanode::ledger
