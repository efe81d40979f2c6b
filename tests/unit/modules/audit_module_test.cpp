// The audit module through the real executor: a node's first anchor, anchors that extend it with
// a consistency proof, and the refusals that make a rewritten or truncated log unanchorable.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ledger/executor.hpp"
#include "merkle/merkle_tree.hpp"
#include "modules/audit/audit.hpp"
#include "modules/module_set.hpp"
#include "support/map_state.hpp"

namespace metanode::modules {
namespace {

using core::ErrorCode;
using testing::MapState;

const core::Hash32 kGenesisDigest = core::hash(core::Domain::Test, core::as_bytes("audit genesis"));

core::Hash32 leaf(std::uint64_t i, std::string_view flavour = "") {
  return merkle::leaf_hash(core::as_bytes("event " + std::to_string(i) + std::string(flavour)));
}

struct AnchorChain {
  ledger::Executor executor{standard_modules()};
  MapState state;
  crypto::KeyPair node = crypto::KeyPair::generate();
  crypto::Address address = crypto::Address::from_public_key(node.public_key());
  std::uint64_t nonce = 0, height = 0;

  AnchorChain() {
    EXPECT_TRUE(state.init_genesis(executor.modules(), ledger::Genesis{}).ok());
    state.set(address, ledger::Account{1'000'000, 0});
  }

  ledger::Receipt anchor(const AuditAnchor& a, const crypto::KeyPair* key = nullptr) {
    const crypto::KeyPair& signer = key ? *key : node;
    ledger::Transaction t;
    t.chain_id = "audit";
    t.nonce = key ? 0 : nonce++;
    t.max_fee = 10;
    t.bid = 1;
    t.payload = audit_anchor_payload(a);
    t.sign_single(signer, kGenesisDigest);
    ledger::BlockContext ctx;
    ctx.chain = {"audit", kGenesisDigest};
    ctx.height = ++height;
    ctx.base_fee = 1;
    ctx.proposer = address;
    auto r = executor.execute(state, {t}, ctx, ledger::ExecutionMode::kVerify);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    if (!r.ok() || r->receipts.empty()) return {};
    state.apply(r->changed);
    return r->receipts[0];
  }
  std::optional<AnchorRecord> stored() const { return read_anchor(state, address).value(); }
};

// A log of `n` leaves; `flavour` changes leaf k onward (a rewritten history).
merkle::MerkleLog log_of(std::uint64_t n, std::uint64_t k = ~0ull, std::string_view flavour = "") {
  merkle::MerkleLog log;
  for (std::uint64_t i = 0; i < n; ++i) EXPECT_TRUE(log.append(leaf(i, i >= k ? flavour : "")).ok());
  return log;
}

AuditAnchor anchor_of(const merkle::MerkleLog& log, std::uint64_t size, std::uint64_t from = 0) {
  AuditAnchor a{size, log.root_at(size).value(), 1'700'000'000'000, {}};
  if (from > 0) a.consistency = log.consistency_proof(from, size).value().path;
  return a;
}

ErrorCode code_of(const ledger::Receipt& r) { return static_cast<ErrorCode>(r.error_code); }

TEST(AuditModule, AnchorsExtendOnlyByAConsistencyProof) {
  AnchorChain chain;
  const auto log = log_of(1000);
  auto r = chain.anchor(anchor_of(log, 10));
  ASSERT_EQ(r.status, ledger::ReceiptStatus::kSuccess) << r.error_message;
  ASSERT_FALSE(r.events.empty());
  EXPECT_EQ(r.events.back().module, "audit");
  EXPECT_EQ(r.events.back().kind, "anchored");
  EXPECT_EQ(chain.stored()->size, 10u);
  EXPECT_EQ(chain.stored()->count, 1u);

  r = chain.anchor(anchor_of(log, 377, 10));
  ASSERT_EQ(r.status, ledger::ReceiptStatus::kSuccess) << r.error_message;
  EXPECT_EQ(chain.stored()->size, 377u);
  EXPECT_EQ(chain.stored()->root, log.root_at(377).value());
  EXPECT_EQ(chain.stored()->count, 2u);
  EXPECT_EQ(chain.stored()->height, 2u);

  // The same tree again, or a smaller one: stale.
  EXPECT_EQ(code_of(chain.anchor(anchor_of(log, 377, 10))), ErrorCode::kAuditAnchorStale);
  EXPECT_EQ(code_of(chain.anchor(anchor_of(log, 200, 10))), ErrorCode::kAuditAnchorStale);
  // A larger tree whose proof starts at the wrong size.
  EXPECT_EQ(code_of(chain.anchor(anchor_of(log, 900, 10))), ErrorCode::kAuditAnchorInconsistent);
  EXPECT_EQ(chain.stored()->size, 377u);
}

TEST(AuditModule, ARewrittenOrTruncatedHistoryCannotBeAnchored) {
  AnchorChain chain;
  const auto honest = log_of(500);
  ASSERT_EQ(chain.anchor(anchor_of(honest, 300)).status, ledger::ReceiptStatus::kSuccess);

  // Event 120 rewritten: the tree of 500 no longer contains the anchored tree of 300, and no proof
  // can say otherwise (neither the honest tree's proof nor the rewritten tree's own).
  const auto rewritten = log_of(500, 120, "rewritten");
  AuditAnchor forged = anchor_of(rewritten, 500);
  forged.consistency = honest.consistency_proof(300, 500).value().path;
  EXPECT_EQ(code_of(chain.anchor(forged)), ErrorCode::kAuditAnchorInconsistent);
  EXPECT_EQ(code_of(chain.anchor(anchor_of(rewritten, 500, 300))), ErrorCode::kAuditAnchorInconsistent);
  // A proof of the right shape with one hash changed.
  AuditAnchor tampered = anchor_of(honest, 500, 300);
  tampered.consistency[0][0] ^= 1;
  EXPECT_EQ(code_of(chain.anchor(tampered)), ErrorCode::kAuditAnchorInconsistent);
  EXPECT_EQ(chain.stored()->size, 300u);
  // The honest extension still goes.
  EXPECT_EQ(chain.anchor(anchor_of(honest, 500, 300)).status, ledger::ReceiptStatus::kSuccess);
}

TEST(AuditModule, EachNodeAnchorsOnlyItsOwnLogAndBadPayloadsAreMalformed) {
  AnchorChain chain;
  const auto log = log_of(50);
  ASSERT_EQ(chain.anchor(anchor_of(log, 50)).status, ledger::ReceiptStatus::kSuccess);
  // Another key's anchor lands under its own address, never over this node's.
  const crypto::KeyPair other = crypto::KeyPair::generate();
  chain.state.set(crypto::Address::from_public_key(other.public_key()), ledger::Account{1'000, 0});
  const auto other_log = log_of(60, 0, "other");
  ASSERT_EQ(chain.anchor(anchor_of(other_log, 60), &other).status, ledger::ReceiptStatus::kSuccess);
  EXPECT_EQ(chain.stored()->root, log.root());
  EXPECT_EQ(read_anchor(chain.state, crypto::Address::from_public_key(other.public_key())).value()->size, 60u);
  // A first anchor carrying a proof.
  AnchorChain fresh;
  AuditAnchor with_proof = anchor_of(log, 50, 10);
  EXPECT_EQ(code_of(fresh.anchor(with_proof)), ErrorCode::kAuditAnchorInconsistent);

  const AuditModule module;
  const crypto::Address sender{};
  EXPECT_EQ(module.check_payload(audit_anchor_payload(AuditAnchor{0, {}, 0, {}}), sender).error().code,
            ErrorCode::kTxMalformed);
  ledger::Payload junk = audit_anchor_payload(anchor_of(log, 5));
  junk.data.push_back(0);
  EXPECT_EQ(module.check_payload(junk, sender).error().code, ErrorCode::kTxMalformed);
  EXPECT_EQ(module.check_payload({"audit", "erase", {}}, sender).error().code, ErrorCode::kTxUnknownPayload);
  // JSON both ways, and the state key's text form.
  const auto json = module.payload_to_json(audit_anchor_payload(anchor_of(log, 20, 5)));
  const auto bytes = module.payload_from_json("anchor", json);
  ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
  EXPECT_EQ(*bytes, audit_anchor_payload(anchor_of(log, 20, 5)).data);
  EXPECT_FALSE(module.payload_from_json("anchor", {{"size", 3}, {"root", "abc"}}).ok());
  EXPECT_EQ(module.key_from_text("anchor:" + chain.address.to_string()).value(), audit_anchor_key(chain.address));
  EXPECT_FALSE(module.key_from_text("anchors").ok());
}

}  // namespace
}  // namespace metanode::modules
