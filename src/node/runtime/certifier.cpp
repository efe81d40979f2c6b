// The certifier: after this node applies a committed block it signs the ledger header it
// computed and sends the signature to the other validators; a quorum of equal signatures is the
// block's header certificate (ledger/header_certs.hpp), stored beside the block so that one
// certificate plus one Merkle proof proves a transaction, receipt or state entry to a light
// client. A quorum that signed another header than this node computed means this node's state
// is not the network's: it stops voting (fail closed). Certificates this node missed (it was
// down, or synced) are fetched from peers.
#include <boost/asio/post.hpp>

#include <algorithm>
#include <spdlog/spdlog.h>

#include "node/runtime/consensus_runtime.hpp"

namespace metanode::node {
namespace {

constexpr std::uint64_t kCertifierTickMs = 1000;
constexpr std::uint64_t kStartHeightsMax = 256;  // heights below head-256 keep what they have at start

core::Bytes encode_heights(const std::vector<std::uint64_t>& heights) {
  core::Writer w(4 + 8 * heights.size());
  w.vector(heights, ledger::kCertificatesPerMessageMax, [](core::Writer& out, std::uint64_t h) { out.u64(h); });
  return std::move(w).take();
}

core::Result<std::vector<std::uint64_t>> decode_heights(core::ByteView bytes) {
  core::Reader r(bytes);
  MN_TRY_ASSIGN(auto heights, r.vector<std::uint64_t>(ledger::kCertificatesPerMessageMax, [](core::Reader& in) { return in.u64(); }));
  MN_TRY(r.finish());
  return heights;
}

}  // namespace

void ConsensusRuntime::start_certifier() {
  certifier_.emplace(chain_.genesis_digest(), [this](std::uint64_t height) {
    auto keys = sets_.keys_at(height);
    return keys.ok() ? std::move(keys).value() : std::vector<crypto::PublicKey>{};
  });
  const std::uint64_t head = chain_.head().height;
  const std::uint64_t floor = head > kStartHeightsMax ? head - kStartHeightsMax : 0;
  certifier_->skip_through(floor);
  std::vector<ledger::HeaderSignature> own;
  for (std::uint64_t h = floor + 1; h <= head; ++h) {
    auto stored = chain_.block(h);
    if (!stored.ok() || !stored->has_value()) break;
    const core::Hash32 hash = (*stored)->block.hash();
    certifier_->on_applied(h, hash);
    auto cert = chain_.certificate(h);
    if (cert.ok() && cert->has_value()) {
      certifier_->mark_certified(h);
    } else if (!full_node_) {
      // Sent before a crash, perhaps; again does no harm and helps a peer that missed it.
      own.push_back(ledger::sign_header(*key_, chain_.genesis_digest(), h, hash));
      handle_certifier(certifier_->add(own.back()));
    }
  }
  for (std::size_t i = 0; i < own.size(); i += ledger::kHeaderSignaturesPerMessageMax) {
    const std::vector<ledger::HeaderSignature> part(
        own.begin() + static_cast<std::ptrdiff_t>(i),
        own.begin() + static_cast<std::ptrdiff_t>(std::min(own.size(), i + ledger::kHeaderSignaturesPerMessageMax)));
    transport_->broadcast(net::FrameType::kHeaderSignatures, 0, ledger::encode_header_signatures(part));
  }
  arm_certifier_timer();
}

void ConsensusRuntime::certify_applied(std::uint64_t height, const core::Hash32& block_hash) {
  handle_certifier(certifier_->on_applied(height, block_hash));
  if (full_node_) return;  // a full node gathers the validators' signatures; it signs none
  const auto own = ledger::sign_header(*key_, chain_.genesis_digest(), height, block_hash);
  handle_certifier(certifier_->add(own));
  transport_->broadcast(net::FrameType::kHeaderSignatures, 0, ledger::encode_header_signatures({own}));
}

void ConsensusRuntime::handle_certifier(const core::Result<ledger::HeaderCertCollector::Outcome>& outcome) {
  if (!outcome.ok()) {
    ++header_signatures_refused_;
    spdlog::debug("header signature refused: {}", outcome.error().message);
    return;
  }
  if (outcome->diverged) {
    stop_diverged(*outcome->diverged);
    return;
  }
  if (!outcome->certified) return;
  const auto& cert = *outcome->certified;
  if (auto st = chain_.store_certificate(cert, /*signatures_verified=*/true); !st.ok()) {
    spdlog::error("header certificate of height {} could not be stored: {}", cert.height, st.error().to_string());
    return;
  }
  certified_height_ = std::max(certified_height_.load(), cert.height);
  ++certificates_gathered_;
}

void ConsensusRuntime::on_header_signatures(const crypto::PublicKey& peer, net::Frame frame) {
  boost::asio::post(ctx_, [this, peer, bytes = std::move(frame.payload)] {
    if (failed_ || !certifier_) return;
    auto signatures = ledger::decode_header_signatures(bytes);
    if (!signatures.ok()) {
      ++header_signatures_refused_;
      spdlog::warn("header signatures from {} malformed: {}", peer.to_hex().substr(0, 12), signatures.error().message);
      return;
    }
    for (const auto& s : *signatures) handle_certifier(certifier_->add(s));
  });
}

void ConsensusRuntime::arm_certifier_timer() {
  certifier_timer_.expires_after(std::chrono::milliseconds(kCertifierTickMs));
  certifier_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || failed_) return;
    request_missing_certificates();
    arm_certifier_timer();
  });
}

void ConsensusRuntime::request_missing_certificates() {
  // The newest heights are still gathering their signatures: ask only for older ones.
  const std::uint64_t head = chain_.head().height;
  std::vector<std::uint64_t> missing;
  for (std::uint64_t h : certifier_->uncertified(ledger::kCertificatesPerMessageMax)) {
    if (h + 2 <= head) missing.push_back(h);
  }
  const consensus::ValidatorSet& set = validators();
  if (missing.empty() || set.size() < 2) return;
  // One peer per tick, in turn.
  const auto self = set.index_of(key_->public_key());  // none on a full node
  cert_request_peer_ = (cert_request_peer_ + 1) % set.size();
  if (self && cert_request_peer_ == *self) cert_request_peer_ = (cert_request_peer_ + 1) % set.size();
  transport_->send(set.key(static_cast<consensus::ValidatorIndex>(cert_request_peer_)), net::FrameType::kCertRequest,
                   0, encode_heights(missing));
}

void ConsensusRuntime::answer_cert_request(const crypto::PublicKey& peer, std::uint32_t stream, core::ByteView request) {
  auto heights = decode_heights(request);
  if (!heights.ok()) {
    spdlog::warn("certificate request from {} malformed: dropped", peer.to_hex().substr(0, 12));
    return;
  }
  std::vector<ledger::CommitCertificate> found;
  for (std::uint64_t h : *heights) {
    auto cert = chain_.certificate(h);
    if (cert.ok() && cert->has_value()) found.push_back(std::move(**cert));
  }
  if (!found.empty()) transport_->send(peer, net::FrameType::kCertReply, stream, ledger::encode_certificates(found));
}

void ConsensusRuntime::on_cert_reply(const crypto::PublicKey& peer, core::ByteView reply) {
  if (failed_ || !certifier_) return;
  auto certs = ledger::decode_certificates(reply);
  if (!certs.ok()) {
    spdlog::warn("certificate reply from {} malformed: {}", peer.to_hex().substr(0, 12), certs.error().message);
    return;
  }
  for (const auto& cert : *certs) {
    if (certifier_->is_settled(cert.height)) continue;
    // Checked in full: the signatures, and that it names the block this node holds.
    if (auto st = chain_.store_certificate(cert); !st.ok()) {
      if (st.error().code == core::ErrorCode::kStateCorrupt) {
        ledger::HeaderCertCollector::Divergence d;
        d.height = cert.height;
        d.quorum_hash = cert.block_hash;
        if (auto own = chain_.block(cert.height); own.ok() && own->has_value()) d.own_hash = (*own)->block.hash();
        for (const auto& s : cert.signatures) d.signers.push_back(s.signer);
        d.message = st.error().message;
        stop_diverged(std::move(d));
        return;
      }
      ++header_signatures_refused_;
      spdlog::warn("certificate of height {} from {} refused: {}", cert.height, peer.to_hex().substr(0, 12),
                   st.error().to_string());
      continue;
    }
    certifier_->mark_certified(cert.height);
    certified_height_ = std::max(certified_height_.load(), cert.height);
    ++certificates_gathered_;
  }
}

}  // namespace metanode::node

namespace metanode::node {

void ConsensusRuntime::stop_diverged(ledger::HeaderCertCollector::Divergence divergence) {
  if (failed_) return;
  // Halt first: nothing more is voted on or applied on top of a state the network does not share.
  failed_ = true;
  failed_flag_ = true;
  spdlog::error("{}: this node's state differs from a quorum of validators; halted, asking them for their header",
                divergence.message);
  core::Writer w(8);
  w.u64(divergence.height);
  const core::Bytes request = std::move(w).take();
  for (const auto& signer : divergence.signers) {
    if (signer != key_->public_key()) transport_->send(signer, net::FrameType::kHeaderRequest, 0, request);
  }
  divergence_ = std::move(divergence);
  divergence_timer_.expires_after(std::chrono::milliseconds(kDivergenceWaitMs));
  divergence_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !divergence_) return;
    fail(core::make_error(core::ErrorCode::kStateCorrupt,
                          divergence_->message + " (no signer sent its header to compare within " +
                              std::to_string(kDivergenceWaitMs) + " ms): this node's state differs from a quorum of validators"));
  });
}

void ConsensusRuntime::answer_header_request(const crypto::PublicKey& peer, std::uint32_t stream, core::ByteView request) {
  core::Reader r(request);
  auto height = r.u64();
  if (!height.ok() || !r.finish().ok()) {
    spdlog::warn("header request from {} malformed: dropped", peer.to_hex().substr(0, 12));
    return;
  }
  auto stored = chain_.block(*height);
  if (!stored.ok() || !stored->has_value()) return;  // not here: the asker tries the other signers
  transport_->send(peer, net::FrameType::kHeaderReply, stream, core::encode((*stored)->block.header));
}

void ConsensusRuntime::on_header_reply(const crypto::PublicKey& peer, core::ByteView reply) {
  if (!divergence_ || fault_reported_) return;  // not asked, or answered already
  auto header = core::decode<ledger::Header>(reply);
  // Only the header the quorum signed is believed: its hash is what the signatures cover.
  if (!header.ok() || header->height != divergence_->height || header->hash() != divergence_->quorum_hash) {
    spdlog::warn("header reply from {} is not the header the quorum signed: ignored", peer.to_hex().substr(0, 12));
    return;
  }
  std::string differs = "its header could not be read back";
  if (auto own = chain_.block(divergence_->height); own.ok() && own->has_value()) {
    differs = ledger::header_differences((*own)->block.header, *header);
  }
  fail(core::make_error(core::ErrorCode::kStateCorrupt,
                        "block " + std::to_string(divergence_->height) + " differs from the header a quorum of validators signed: " +
                            differs + " (" + divergence_->message + "): this node's state differs from the network's"));
}

}  // namespace metanode::node
