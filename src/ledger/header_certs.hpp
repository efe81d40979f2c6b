// Gathering header certificates under BFT consensus. Consensus finalises a payload before it is
// executed, so what the validators voted for does not cover the state root. After applying a
// committed block each validator therefore signs the header it computed (a HeaderSignature) and
// sends it to the others; a quorum of equal signatures is the block's CommitCertificate, which a
// light client checks with only the genesis (light_client.hpp). Execution stays off the
// consensus path: both engines keep pipelining, and neither engine's safety rules change.
//
// Sans-IO: the runtime feeds it what it applied and the signatures that arrive, and stores what
// it returns. It also tells when a quorum signed another header than this node computed: then
// this node's state is not the network's, and it must stop (fail closed) rather than serve it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/codec.hpp"
#include "core/hash.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/multisig.hpp"
#include "ledger/block.hpp"

namespace metanode::ledger {

struct HeaderSignature {
  std::uint64_t height = 0;
  core::Hash32 block_hash{};
  crypto::SignerSignature signature;

  bool operator==(const HeaderSignature&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<HeaderSignature> decode(core::Reader& r);
};

inline constexpr std::size_t kHeaderSignaturesPerMessageMax = 1024;
core::Bytes encode_header_signatures(const std::vector<HeaderSignature>& signatures);
core::Result<std::vector<HeaderSignature>> decode_header_signatures(core::ByteView bytes);

inline constexpr std::size_t kCertificatesPerMessageMax = 64;
core::Bytes encode_certificates(const std::vector<CommitCertificate>& certificates);
core::Result<std::vector<CommitCertificate>> decode_certificates(core::ByteView bytes);

// Signs the header this validator computed for `height`.
HeaderSignature sign_header(const crypto::KeyPair& key, const core::Hash32& genesis_digest, std::uint64_t height,
                            const core::Hash32& block_hash);

class HeaderCertCollector {
 public:
  // Signatures for heights more than this far above the newest applied one are dropped (a peer
  // cannot make this node hold signatures for heights it may never reach).
  static constexpr std::uint64_t kHeightsAheadMax = 256;
  // Applied heights waiting for a certificate; beyond this the oldest stop being tracked (a node
  // that synced a long way without peers' certificates keeps the newest ones).
  static constexpr std::size_t kPendingHeightsMax = std::size_t{1} << 16;

  // A quorum signed a header other than the one this node computed at that height.
  struct Divergence {
    std::uint64_t height = 0;
    core::Hash32 quorum_hash{};
    core::Hash32 own_hash{};
    std::vector<crypto::PublicKey> signers;  // of quorum_hash: the peers to ask for their header
    std::string message;                     // names the height and both hashes
  };
  struct Outcome {
    std::optional<CommitCertificate> certified;  // a quorum signed the header this node computed
    std::optional<Divergence> diverged;          // a quorum signed another header: stop
  };

  // The validators whose signatures count at a height (they change between epochs).
  using ValidatorsAt = std::function<std::vector<crypto::PublicKey>(std::uint64_t height)>;
  HeaderCertCollector(const core::Hash32& genesis_digest, std::vector<crypto::PublicKey> validators);
  HeaderCertCollector(const core::Hash32& genesis_digest, ValidatorsAt validators_at);

  // This node applied `height` and computed `block_hash` (its own signature comes through add).
  // Heights are applied in order.
  Outcome on_applied(std::uint64_t height, const core::Hash32& block_hash);
  // One signature from the network (or this node's own). Checks the signer and the signature;
  // a refusal (kBlockInvalid) names why, and the signature is not counted.
  core::Result<Outcome> add(const HeaderSignature& signature);
  // The height got its certificate some other way (fetched from a peer, or found stored).
  void mark_certified(std::uint64_t height);
  // Heights up to `height` are not tracked (at start: older blocks keep what they have).
  void skip_through(std::uint64_t height);

  // Applied heights still without a certificate, oldest first, at most `count_max`.
  std::vector<std::uint64_t> uncertified(std::size_t count_max) const;
  // Certified, or no longer tracked: signatures for it are ignored.
  bool is_settled(std::uint64_t height) const;
  std::uint64_t signatures_refused() const { return refused_; }

 private:
  struct Pending {
    std::optional<core::Hash32> own;  // this node's header, once applied
    std::map<core::Hash32, std::vector<crypto::SignerSignature>> by_hash;
    std::set<crypto::PublicKey> signers;  // each validator counts once per height
  };
  Outcome settle(std::uint64_t height, Pending& pending);

  core::Hash32 genesis_digest_;
  ValidatorsAt validators_at_;
  // Every height up to applied_max_ was applied here; those not in pending_ with `own` set are
  // settled. Above it, pending_ holds signatures that arrived before this node applied.
  std::uint64_t applied_max_ = 0;
  std::uint64_t floor_ = 0;  // not tracked at or below
  std::map<std::uint64_t, Pending> pending_;
  std::uint64_t refused_ = 0;
};

}  // namespace metanode::ledger
