// The audit module ("audit"): each node's audit log (storage/audit_log.hpp) anchored on chain.
// A node sends, every few blocks, the size and root of its newest signed checkpoint with a
// consistency proof from the size it anchored last; the module keeps the anchor only if that
// proof shows the new tree extends the old one. So the chain holds, per node, a root that any
// later log must contain: a node that rewrites or truncates its history can no longer anchor,
// and `metanode audit verify` finds the log it serves disagreeing with the chain.
//
// The anchor is keyed by the transaction's sender, so only a node's own key anchors its log
// (the origin "<chain>/<address>/audit" names the same address). Anchors pay fees like any
// transaction.
//
// State (keys in the "audit" namespace; the text form GET /v1/state takes is in brackets):
//   "anchor:" address (32)    [anchor:ADDRESS]    AnchorRecord: the node's newest anchor
#pragma once

#include <optional>
#include <vector>

#include "ledger/module.hpp"

namespace metanode::modules {

inline constexpr std::string_view kAuditModule = "audit";
inline constexpr std::string_view kAuditAnchorKind = "anchor";
// A consistency proof between two trees of up to 2^64 leaves has at most about 2 * 64 hashes.
inline constexpr std::size_t kAnchorProofHashesMax = 130;

// Payload of kind "anchor".
struct AuditAnchor {
  std::uint64_t size = 0;            // events in the anchored checkpoint (at least 1)
  core::Hash32 root{};               // its tree's root
  std::int64_t checkpoint_unix_ms = 0;  // the checkpoint's time (its metanode-time line)
  // From the sender's previous anchor (its size) to this one; empty for a first anchor.
  std::vector<core::Hash32> consistency;
  void encode(core::Writer& w) const;
  static core::Result<AuditAnchor> decode(core::Reader& r);
};

// A node's newest anchor as stored.
struct AnchorRecord {
  std::uint64_t size = 0;
  core::Hash32 root{};
  std::int64_t checkpoint_unix_ms = 0;
  std::uint64_t height = 0;  // the block it was anchored in
  std::uint64_t count = 0;   // anchors this node has made
  void encode(core::Writer& w) const;
  static core::Result<AnchorRecord> decode(core::Reader& r);
  nlohmann::json to_json() const;
};

ledger::Payload audit_anchor_payload(const AuditAnchor& anchor);
core::Bytes audit_anchor_key(const crypto::Address& node);
// The node's newest anchor at this state (nullopt: it never anchored).
core::Result<std::optional<AnchorRecord>> read_anchor(const ledger::StateReader& state, const crypto::Address& node);

class AuditModule final : public ledger::Module {
 public:
  std::string_view name() const override { return kAuditModule; }
  std::vector<std::string_view> payload_kinds() const override { return {kAuditAnchorKind}; }
  // The genesis section registers the audit logs of components other than validators
  // (ledger/audit_proofs.hpp, registered_audit_logs): a malformed one refuses the genesis.
  core::Status init_genesis(const ledger::Genesis& genesis, ledger::ModuleState& state) const override;
  core::Status check_payload(const ledger::Payload& payload, const crypto::Address& sender) const override;
  // audit_anchor_stale: not larger than the stored anchor; audit_anchor_inconsistent: the proof
  // does not show the stored anchor's tree inside the new one (or a first anchor carries one).
  core::Status apply(const ledger::TxContext& tx, ledger::ModuleState& state,
                     std::vector<ledger::Event>& events) const override;

  core::Result<core::Bytes> payload_from_json(std::string_view kind, const nlohmann::json& fields) const override;
  nlohmann::json payload_to_json(const ledger::Payload& payload) const override;
  nlohmann::json event_to_json(const ledger::Event& event) const override;
  core::Result<core::Bytes> key_from_text(std::string_view text) const override;
  nlohmann::json value_to_json(core::ByteView key, core::ByteView value) const override;
};

}  // namespace metanode::modules
