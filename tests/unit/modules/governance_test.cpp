// The governance module through the real executor: genesis sections (and the refused ones), the
// m-of-n rule with every refusal's stable code, expiry, revocation, custom roles, a proposal whose
// effect fails, and the text keys the state API takes.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "ledger/executor.hpp"
#include "modules/bank.hpp"
#include "modules/governance/governance.hpp"
#include "modules/module_set.hpp"
#include "support/map_state.hpp"

namespace metanode::modules {
namespace {

using core::ErrorCode;
using nlohmann::json;

const core::Hash32 kGenesisDigest = core::hash(core::Domain::Test, core::as_bytes("gov genesis"));

using testing::MapState;

crypto::Address addr(const crypto::KeyPair& k) { return crypto::Address::from_public_key(k.public_key()); }

// A chain with a 2-of-3 council (a, b, c), an outsider, and every key funded.
struct GovChain {
  ledger::Executor executor{standard_modules()};
  MapState state;
  crypto::KeyPair a = crypto::KeyPair::generate(), b = crypto::KeyPair::generate(), c = crypto::KeyPair::generate();
  crypto::KeyPair outsider = crypto::KeyPair::generate();
  crypto::Address subject = addr(crypto::KeyPair::generate());
  std::map<crypto::Address, std::uint64_t> nonces;
  std::uint64_t height = 0;

  explicit GovChain(std::uint32_t threshold = 2, json extra = json::object()) {
    ledger::Genesis g;
    for (const auto* k : {&a, &b, &c, &outsider}) g.accounts.push_back({addr(*k), 1'000'000});
    json section{{"council", {{"threshold", threshold}, {"members", {addr(a).to_string(), addr(b).to_string(), addr(c).to_string()}}}}};
    section.update(extra);
    g.modules["gov"] = section.dump();
    EXPECT_TRUE(genesis(g).ok());
  }

  core::Status genesis(const ledger::Genesis& g) { return state.init_genesis(executor.modules(), g); }

  ledger::Transaction tx(const crypto::KeyPair& key, ledger::Payload payload) {
    ledger::Transaction t;
    t.chain_id = "gov";
    t.nonce = nonces[addr(key)]++;
    t.max_fee = 10;
    t.bid = 1;
    t.payload = std::move(payload);
    t.sign_single(key, kGenesisDigest);
    return t;
  }

  // One block with these transactions; returns its receipts.
  std::vector<ledger::Receipt> block(std::vector<ledger::Transaction> txs) {
    ledger::BlockContext ctx;
    ctx.chain = {"gov", kGenesisDigest};
    ctx.height = ++height;
    ctx.base_fee = 1;
    ctx.proposer = addr(a);
    auto r = executor.execute(state, std::move(txs), ctx, ledger::ExecutionMode::kVerify);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    if (!r.ok()) return {};
    state.apply(r->changed);
    return r->receipts;
  }

  ledger::Receipt one(const crypto::KeyPair& key, ledger::Payload payload) {
    auto receipts = block({tx(key, std::move(payload))});
    EXPECT_EQ(receipts.size(), 1u);
    return receipts.empty() ? ledger::Receipt{} : receipts[0];
  }

  std::vector<std::string> roles(const crypto::Address& who) const { return roles_of(state, who).value(); }
  ProposalRecord proposal(std::uint64_t id) const { return read_proposal(state, id).value().value(); }
};

GovProposal grant(std::string role, const crypto::Address& to, std::uint64_t expiry = 100) {
  return GovProposal{GovAction::kGrant, std::move(role), to, "", expiry, "", {}, {}, {}, {}};
}

ErrorCode code_of(const ledger::Receipt& r) { return static_cast<ErrorCode>(r.error_code); }

std::vector<std::string> event_kinds(const ledger::Receipt& r) {
  std::vector<std::string> kinds;
  for (const auto& e : r.events) {
    if (e.module == "gov") kinds.push_back(e.kind);
  }
  return kinds;
}

TEST(Governance, GenesisSeedsBuiltInRolesCouncilAndGrants) {
  crypto::Address admin = addr(crypto::KeyPair::generate());
  GovChain g(2, json{{"grants", {{admin.to_string(), {"admin", "auditor"}}}}, {"roles", {{"compliance", "reads reports"}}}});
  auto names = role_names(g.state).value();
  EXPECT_EQ(names, (std::vector<std::string>{"admin", "auditor", "compliance", "node", "operator", "oracle", "user", "validator"}));
  auto council = read_council(g.state).value().value();
  EXPECT_EQ(council.threshold, 2u);
  EXPECT_EQ(council.members.size(), 3u);
  EXPECT_EQ(g.roles(admin), (std::vector<std::string>{"admin", "auditor"}));
  EXPECT_EQ(read_role(g.state, "admin").value()->holders, std::vector<crypto::Address>{admin});
  EXPECT_TRUE(read_role(g.state, "compliance").value().has_value());
  EXPECT_EQ(next_proposal_id(g.state).value(), 1u);
}

TEST(Governance, RefusesBadGenesisSections) {
  const std::string m = addr(crypto::KeyPair::generate()).to_string();
  for (const json& bad : {json{{"council", {{"threshold", 0}, {"members", {m}}}}},
                          json{{"council", {{"threshold", 2}, {"members", {m}}}}},
                          json{{"council", {{"threshold", 1}, {"members", {m, m}}}}},
                          json{{"council", {{"threshold", 1}, {"members", json::array()}}}},
                          json{{"council", {{"threshold", 1}, {"members", {"not-an-address"}}}}},
                          json{{"council", {{"threshold", 1}, {"members", {m}}}}, {"grants", {{m, {"nonexistent"}}}}},
                          json{{"council", {{"threshold", 1}, {"members", {m}}}}, {"roles", {{"admin", "again"}}}},
                          json{{"council", {{"threshold", 1}, {"members", {m}}}}, {"roles", {{"Bad Name", "x"}}}},
                          json{{"council", {{"threshold", 1}, {"members", {m}}}}, {"surprise", 1}}}) {
    GovChain fresh(1);
    ledger::Genesis g;
    g.modules["gov"] = bad.dump();
    MapState empty;
    fresh.state = empty;
    const auto st = fresh.genesis(g);
    ASSERT_FALSE(st.ok()) << bad.dump();
    EXPECT_EQ(st.error().code, ErrorCode::kGenesisInvalid) << bad.dump();
  }
}

TEST(Governance, TwoOfThreeGrantTakesEffectOnTheSecondApprovalAndEveryRefusalHasItsCode) {
  GovChain g;
  const auto proposed = g.one(g.a, gov_propose_payload(grant("auditor", g.subject)));
  ASSERT_EQ(proposed.status, ledger::ReceiptStatus::kSuccess) << proposed.error_message;
  EXPECT_EQ(event_kinds(proposed), std::vector<std::string>{"proposed"});
  EXPECT_EQ(g.proposal(1).status_at(g.height), "open");
  EXPECT_TRUE(g.roles(g.subject).empty()) << "one approval of two";

  const auto stranger = g.one(g.outsider, gov_approve_payload(1));
  EXPECT_EQ(code_of(stranger), ErrorCode::kGovNotCouncilMember);
  const auto again = g.one(g.a, gov_approve_payload(1));
  EXPECT_EQ(code_of(again), ErrorCode::kGovDuplicateApproval);
  const auto unknown = g.one(g.b, gov_approve_payload(7));
  EXPECT_EQ(code_of(unknown), ErrorCode::kGovUnknownProposal);
  EXPECT_TRUE(g.roles(g.subject).empty());

  const auto second = g.one(g.b, gov_approve_payload(1));
  ASSERT_EQ(second.status, ledger::ReceiptStatus::kSuccess) << second.error_message;
  EXPECT_EQ(event_kinds(second), (std::vector<std::string>{"approved", "executed"}));
  EXPECT_EQ(g.roles(g.subject), std::vector<std::string>{"auditor"});
  EXPECT_EQ(g.proposal(1).status_at(g.height), "executed");
  EXPECT_EQ(g.proposal(1).approvals, (std::vector<crypto::Address>{addr(g.a), addr(g.b)}));

  const auto late = g.one(g.c, gov_approve_payload(1));
  EXPECT_EQ(code_of(late), ErrorCode::kGovProposalClosed);
  // The refused ones paid their fee and changed nothing else.
  EXPECT_EQ(late.status, ledger::ReceiptStatus::kFailed);
  EXPECT_GT(late.fee_paid, 0u);
}

// Jurisdiction tags of an account or a service: set by the council's m-of-n like a role, replaced
// by the next proposal, cleared by an empty one; each a state entry; bad tags never reach a chain.
TEST(Governance, JurisdictionsOfAccountsAndServicesAreSetByTheCouncil) {
  GovChain g;
  GovProposal tags{GovAction::kSetJurisdictions, "", g.subject, "", 100, "", {"DE", "EU"}, {}, {}, {}};
  ASSERT_EQ(g.one(g.a, gov_propose_payload(tags)).status, ledger::ReceiptStatus::kSuccess);
  EXPECT_TRUE(jurisdictions_of(g.state, g.subject).value().empty()) << "one approval of two";
  const auto second = g.one(g.b, gov_approve_payload(1));
  ASSERT_EQ(second.status, ledger::ReceiptStatus::kSuccess) << second.error_message;
  EXPECT_EQ(event_kinds(second), (std::vector<std::string>{"approved", "executed"}));
  EXPECT_EQ(jurisdictions_of(g.state, g.subject).value(), (std::vector<std::string>{"DE", "EU"}));

  GovProposal service{GovAction::kSetJurisdictions, "", {}, "", 100, "ledger", {"US-NY"}, {}, {}, {}};
  ASSERT_EQ(g.one(g.a, gov_propose_payload(service)).status, ledger::ReceiptStatus::kSuccess);
  ASSERT_EQ(g.one(g.c, gov_approve_payload(2)).status, ledger::ReceiptStatus::kSuccess);
  EXPECT_EQ(service_jurisdictions(g.state, "ledger").value(), std::vector<std::string>{"US-NY"});
  EXPECT_TRUE(service_jurisdictions(g.state, "proofs").value().empty());

  GovProposal clear{GovAction::kSetJurisdictions, "", g.subject, "", 100, "", {}, {}, {}, {}};
  ASSERT_EQ(g.one(g.a, gov_propose_payload(clear)).status, ledger::ReceiptStatus::kSuccess);
  ASSERT_EQ(g.one(g.b, gov_approve_payload(3)).status, ledger::ReceiptStatus::kSuccess);
  EXPECT_TRUE(jurisdictions_of(g.state, g.subject).value().empty());
  EXPECT_EQ(code_of(g.one(g.outsider, gov_propose_payload(tags))), ErrorCode::kGovNotCouncilMember);

  const Governance gov;
  const auto refused = [&](GovProposal p) { return gov.check_payload(gov_propose_payload(p), addr(g.a)).error().code; };
  EXPECT_EQ(refused({GovAction::kSetJurisdictions, "", g.subject, "", 100, "", {"eu"}, {}, {}, {}}), ErrorCode::kTxMalformed);
  EXPECT_EQ(refused({GovAction::kSetJurisdictions, "", g.subject, "", 100, "", {"EU", "DE"}, {}, {}, {}}), ErrorCode::kTxMalformed);
  EXPECT_EQ(refused({GovAction::kSetJurisdictions, "", g.subject, "", 100, "ledger", {"EU"}, {}, {}, {}}), ErrorCode::kTxMalformed);
  EXPECT_EQ(refused({GovAction::kSetJurisdictions, "", {}, "", 100, "", {"EU"}, {}, {}, {}}), ErrorCode::kTxMalformed);
  EXPECT_EQ(refused({GovAction::kSetJurisdictions, "auditor", g.subject, "", 100, "", {"EU"}, {}, {}, {}}), ErrorCode::kTxMalformed);
  // Over the length limit a tag cannot even be encoded: the JSON form refuses it first.
  EXPECT_EQ(gov.payload_from_json("propose", json{{"action", "set_jurisdictions"}, {"subject", g.subject.to_string()},
                                                  {"jurisdictions", {"THIS-TAG-IS-TOO-LONG"}}})
                .error()
                .code,
            ErrorCode::kTxMalformed);
  // JSON both ways (tags sorted and made distinct on the way in), and the state keys' text forms.
  const auto bytes = gov.payload_from_json(
      "propose", json{{"action", "set_jurisdictions"}, {"subject", g.subject.to_string()}, {"jurisdictions", {"EU", "DE", "EU"}}, {"expiry_blocks", 100}});
  ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
  EXPECT_EQ(*bytes, gov_propose_payload(tags).data);
  EXPECT_EQ(gov.key_from_text("jurisdiction:" + g.subject.to_string()).value(), gov_jurisdiction_key(g.subject));
  EXPECT_EQ(gov.key_from_text("service_jurisdiction:ledger").value(), gov_service_jurisdiction_key("ledger"));
}

TEST(Governance, ApprovalsAfterTheExpiryHeightAreRefused) {
  GovChain g;
  ASSERT_EQ(g.one(g.a, gov_propose_payload(grant("operator", g.subject, 2))).status, ledger::ReceiptStatus::kSuccess);
  const std::uint64_t expiry = g.proposal(1).expiry_height;  // proposed at height 1: approvals count through 3
  EXPECT_EQ(expiry, 3u);
  g.block({});
  g.block({});
  EXPECT_EQ(g.proposal(1).status_at(g.height), "open");
  EXPECT_EQ(g.proposal(1).status_at(g.height + 1), "expired");
  const auto late = g.one(g.b, gov_approve_payload(1));  // height 4
  EXPECT_EQ(code_of(late), ErrorCode::kGovProposalExpired);
  EXPECT_TRUE(g.roles(g.subject).empty());
}

TEST(Governance, ProposalsComeOnlyFromTheCouncilAndNameAnExistingRole) {
  GovChain g;
  EXPECT_EQ(code_of(g.one(g.outsider, gov_propose_payload(grant("auditor", g.subject)))), ErrorCode::kGovNotCouncilMember);
  EXPECT_EQ(code_of(g.one(g.a, gov_propose_payload(grant("janitor", g.subject)))), ErrorCode::kGovUnknownRole);
  EXPECT_EQ(code_of(g.one(g.a, gov_propose_payload(GovProposal{GovAction::kCreateRole, "auditor", {}, "dup", 10, "", {}, {}, {}, {}}))),
            ErrorCode::kGovRoleExists);
  EXPECT_EQ(next_proposal_id(g.state).value(), 1u) << "refused proposals take no id";
}

TEST(Governance, RevokeTakesARoleAwayAndCustomRolesCanBeCreatedAndGranted) {
  GovChain g(1);  // 1-of-3: each proposal takes effect at once
  ASSERT_EQ(g.one(g.a, gov_propose_payload(grant("auditor", g.subject))).status, ledger::ReceiptStatus::kSuccess);
  EXPECT_EQ(g.roles(g.subject), std::vector<std::string>{"auditor"});
  const auto revoked = g.one(g.b, gov_propose_payload(GovProposal{GovAction::kRevoke, "auditor", g.subject, "", 10, "", {}, {}, {}, {}}));
  ASSERT_EQ(revoked.status, ledger::ReceiptStatus::kSuccess) << revoked.error_message;
  EXPECT_TRUE(g.roles(g.subject).empty());
  EXPECT_FALSE(g.state.get(ledger::state_tree_key("gov", gov_holder_key(g.subject))).value().has_value())
      << "an address without roles has no holder entry";
  EXPECT_TRUE(read_role(g.state, "auditor").value()->holders.empty());

  ASSERT_EQ(g.one(g.c, gov_propose_payload(GovProposal{GovAction::kCreateRole, "compliance", {}, "reads reports", 10, "", {}, {}, {}, {}})).status,
            ledger::ReceiptStatus::kSuccess);
  EXPECT_EQ(read_role(g.state, "compliance").value()->description, "reads reports");
  ASSERT_EQ(g.one(g.a, gov_propose_payload(grant("compliance", g.subject))).status, ledger::ReceiptStatus::kSuccess);
  EXPECT_EQ(g.roles(g.subject), std::vector<std::string>{"compliance"});
}

// Two proposals grant the same role; the second reaches its threshold after the first took
// effect: it is recorded as failed, with the reason, and its approval still counts as a success.
TEST(Governance, AProposalWhoseEffectNoLongerAppliesIsRecordedAsFailed) {
  GovChain g;
  ASSERT_EQ(g.one(g.a, gov_propose_payload(grant("auditor", g.subject))).status, ledger::ReceiptStatus::kSuccess);
  ASSERT_EQ(g.one(g.a, gov_propose_payload(grant("auditor", g.subject))).status, ledger::ReceiptStatus::kSuccess);
  ASSERT_EQ(g.one(g.b, gov_approve_payload(1)).status, ledger::ReceiptStatus::kSuccess);
  const auto second = g.one(g.c, gov_approve_payload(2));
  ASSERT_EQ(second.status, ledger::ReceiptStatus::kSuccess) << second.error_message;
  EXPECT_EQ(event_kinds(second), (std::vector<std::string>{"approved", "failed"}));
  const ProposalRecord p = g.proposal(2);
  EXPECT_EQ(p.status_at(g.height), "failed");
  EXPECT_NE(p.failure.find("gov_role_already_held"), std::string::npos) << p.failure;
  EXPECT_EQ(g.roles(g.subject), std::vector<std::string>{"auditor"});
}

TEST(Governance, MalformedPayloadsAreRefusedBeforeTheyReachAChain) {
  const Governance gov;
  const crypto::Address who = addr(crypto::KeyPair::generate());
  auto code = [&](const ledger::Payload& p) {
    auto st = gov.check_payload(p, who);
    return st.ok() ? ErrorCode::kInternal : st.error().code;
  };
  EXPECT_EQ(code(gov_propose_payload(grant("Auditor", who))), ErrorCode::kTxMalformed);
  EXPECT_EQ(code(gov_propose_payload(grant("auditor", who, 0))), ErrorCode::kTxMalformed);
  EXPECT_EQ(code(gov_propose_payload(grant("auditor", who, kProposalExpiryBlocksMax + 1))), ErrorCode::kTxMalformed);
  EXPECT_EQ(code(gov_propose_payload(grant("auditor", crypto::Address{}))), ErrorCode::kTxMalformed);
  EXPECT_EQ(code(gov_propose_payload(GovProposal{GovAction::kCreateRole, "x1", who, "", 5, "", {}, {}, {}, {}})), ErrorCode::kTxMalformed);
  EXPECT_EQ(code(gov_approve_payload(0)), ErrorCode::kTxMalformed);
  EXPECT_EQ(code(ledger::Payload{"gov", "veto", {}}), ErrorCode::kTxUnknownPayload);
  ledger::Payload truncated = gov_approve_payload(3);
  truncated.data.pop_back();
  EXPECT_EQ(code(truncated), ErrorCode::kTxMalformed);
  ledger::Payload bad_action = gov_propose_payload(grant("auditor", who));
  bad_action.data[0] = 9;
  EXPECT_EQ(code(bad_action), ErrorCode::kTxMalformed);
  EXPECT_TRUE(gov.check_payload(gov_propose_payload(grant("auditor", who)), who).ok());
}

TEST(Governance, StateKeysHaveATextFormAndValuesAJsonForm) {
  GovChain g(1);
  ASSERT_EQ(g.one(g.a, gov_propose_payload(grant("auditor", g.subject))).status, ledger::ReceiptStatus::kSuccess);
  const Governance gov;
  auto value_json = [&](std::string_view text) {
    const core::Bytes key = gov.key_from_text(text).value();
    auto value = g.state.get(ledger::state_tree_key("gov", key)).value();
    return value ? gov.value_to_json(key, *value) : json(nullptr);
  };
  EXPECT_EQ(value_json("holder:" + g.subject.to_string())["roles"], json({"auditor"}));
  EXPECT_EQ(value_json("role:auditor")["holders"], json({g.subject.to_string()}));
  EXPECT_EQ(value_json("council")["threshold"], 1);
  EXPECT_EQ(value_json("proposal:1")["status"], "executed");
  EXPECT_EQ(value_json("next_proposal")["next_proposal"], 2);
  EXPECT_EQ(value_json("roles")["roles"].size(), 7u);
  for (std::string_view bad : {"", "holder:nope", "proposal:x", "proposal:", "role:Bad", "whatever"}) {
    EXPECT_FALSE(gov.key_from_text(bad).ok()) << bad;
  }
  // JSON payloads map to the same bytes as the typed ones.
  const auto bytes = gov.payload_from_json("propose", json{{"action", "grant"}, {"role", "auditor"}, {"subject", g.subject.to_string()},
                                                           {"expiry_blocks", 100}});
  ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
  EXPECT_EQ(*bytes, gov_propose_payload(grant("auditor", g.subject)).data);
  EXPECT_FALSE(gov.payload_from_json("propose", json{{"action", "abolish"}, {"role", "auditor"}}).ok());
}

}  // namespace
}  // namespace metanode::modules

namespace metanode::modules {
namespace {

TEST(Governance, TheCouncilSetsTheEconomicsRatiosWhichApplyFromTheEpochsEnd) {
  GovChain g;
  const EconRatios before = read_params(g.state).value().ratios();
  GovProposal p;
  p.action = GovAction::kSetEconRatios;
  p.econ = EconRatios{4, Split{5000, 1000, 2000, 2000}, Split{0, 0, 5000, 5000}, Split{0, 1000, 4500, 4500}};
  const auto proposed = g.one(g.a, gov_propose_payload(p));
  ASSERT_EQ(proposed.status, ledger::ReceiptStatus::kSuccess) << proposed.error_message;
  EXPECT_EQ(read_params(g.state).value().ratios(), before);  // one approval of two: nothing yet
  const auto approved = g.one(g.b, gov_approve_payload(1));
  ASSERT_EQ(approved.status, ledger::ReceiptStatus::kSuccess) << approved.error_message;
  EXPECT_EQ(g.proposal(1).status, ProposalStatus::kExecuted);
  // The epoch in progress (one block long until now) ended with that block: the new ratios rule
  // from there, and the next epoch ends 4 blocks later.
  EXPECT_EQ(read_params(g.state).value().ratios(), p.econ);
  EXPECT_EQ(read_supply(g.state).value().epoch_end, g.height + 4);
  EXPECT_EQ(read_params(g.state).value().block_reward, 0u);  // the issuance schedule is genesis's alone

  // Ratios that do not add up, or that burn the reward, are refused before anything is stored.
  const Governance gov;
  GovProposal bad = p;
  bad.econ.tip_split.proposer = 4000;
  auto refused = gov.check_payload(gov_propose_payload(bad), crypto::Address{});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("tip_split adds up to 9000"), std::string::npos) << refused.error().message;
  bad = p;
  bad.econ.reward_split = Split{1000, 0, 4500, 4500};
  EXPECT_FALSE(gov.check_payload(gov_propose_payload(bad), crypto::Address{}).ok());
  bad = p;
  bad.econ.epoch_blocks = 0;
  EXPECT_FALSE(gov.check_payload(gov_propose_payload(bad), crypto::Address{}).ok());
  // Only the council proposes.
  EXPECT_EQ(code_of(g.one(g.outsider, gov_propose_payload(p))), ErrorCode::kGovNotCouncilMember);
  // The JSON form round-trips (the CLI and POST /v1/txs take it).
  auto from_json = gov.payload_from_json("propose", json{{"action", "set_econ_ratios"}, {"ratios", p.econ.to_json()}});
  ASSERT_TRUE(from_json.ok()) << from_json.error().to_string();
  EXPECT_EQ(core::decode<GovProposal>(*from_json).value().econ, p.econ);
  EXPECT_FALSE(gov.payload_from_json("propose", json{{"action", "set_econ_ratios"}}).ok());
}

}  // namespace
}  // namespace metanode::modules
