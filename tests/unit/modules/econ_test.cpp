// The economics module through the real executor: the genesis section's checks, the default
// split (base fees burned, tips to the proposer), a configured split with issuance and epochs
// paid by stake against an independent computation, and a long randomized run after every
// block of which the supply invariant holds to the unit.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "ledger/executor.hpp"
#include "modules/bank.hpp"
#include "modules/econ/econ.hpp"
#include "modules/governance/governance.hpp"
#include "modules/module_set.hpp"
#include "support/map_state.hpp"

namespace metanode::modules {
namespace {

using nlohmann::json;
using testing::MapState;
__extension__ typedef unsigned __int128 U128;

const core::Hash32 kGenesisDigest = core::hash(core::Domain::Test, core::as_bytes("econ genesis"));
crypto::Address addr(const crypto::KeyPair& k) { return crypto::Address::from_public_key(k.public_key()); }
constexpr std::uint64_t kValidatorFunds = 1'000'000;  // each validator's genesis balance (to bond from)

// A chain of `validators` validators (stakes 1, 2, 3, ...) and `users` funded users.
struct EconChain {
  ledger::Executor executor{standard_modules()};
  MapState state;
  ledger::Genesis genesis;
  std::vector<crypto::KeyPair> validators, users;
  std::map<crypto::Address, std::uint64_t> nonces;
  std::uint64_t height = 0;

  // With `council`: the governance council is users[0] alone (threshold 1).
  EconChain(std::size_t validator_count, std::size_t user_count, json section, bool stakes = true, bool council = false) {
    genesis.chain_id = "econ";
    for (std::size_t i = 0; i < validator_count; ++i) {
      validators.push_back(crypto::KeyPair::generate());
      genesis.validators.push_back({"v" + std::to_string(i), validators.back().public_key(), {}});
      genesis.accounts.push_back({addr(validators.back()), kValidatorFunds});
      if (stakes) section["stakes"]["v" + std::to_string(i)] = i + 1;
    }
    for (std::size_t i = 0; i < user_count; ++i) {
      users.push_back(crypto::KeyPair::generate());
      genesis.accounts.push_back({addr(users.back()), 1'000'000});
    }
    if (!section.empty()) genesis.modules["econ"] = section.dump();
    if (council) {
      GovGenesis gov;
      gov.council.threshold = 1;
      gov.council.members.push_back(addr(users.at(0)));
      genesis.modules[std::string(kGovModule)] = gov.to_json().dump();
    }
    auto st = state.init_genesis(executor.modules(), genesis);
    EXPECT_TRUE(st.ok()) << st.error().to_string();
  }

  ledger::Transaction transfer(const crypto::KeyPair& from, const crypto::Address& to, std::uint64_t amount,
                               std::uint64_t bid, std::uint64_t max_fee) {
    ledger::Transaction t;
    t.chain_id = "econ";
    t.nonce = nonces[addr(from)]++;
    t.bid = bid;
    t.max_fee = max_fee;
    t.payload = transfer_payload(to, amount);
    t.sign_single(from, kGenesisDigest);
    return t;
  }

  ledger::Transaction stake_tx(const crypto::KeyPair& from, ledger::Payload payload) {
    ledger::Transaction t;
    t.chain_id = "econ";
    t.nonce = nonces[addr(from)]++;
    t.bid = 1;
    t.max_fee = 1'000;
    t.payload = std::move(payload);
    t.sign_single(from, kGenesisDigest);
    return t;
  }

  ledger::ExecutionResult block(std::vector<ledger::Transaction> txs, const crypto::Address& proposer, std::uint64_t base_fee) {
    ledger::BlockContext ctx;
    ctx.chain = {"econ", kGenesisDigest};
    ctx.height = ++height;
    ctx.base_fee = base_fee;
    ctx.proposer = proposer;
    auto r = executor.execute(state, std::move(txs), ctx, ledger::ExecutionMode::kVerify);
    if (!r.ok()) {
      ADD_FAILURE() << "block " << height << ": " << r.error().to_string();
      return {};
    }
    state.apply(r->changed);
    return std::move(r).value();
  }

  std::uint64_t balance(const crypto::Address& a) const { return ledger::read_account(state, a).value().balance; }
  EconSupply supply() const { return read_supply(state).value(); }
  ValidatorEcon record(std::size_t v) const { return read_validator_econ(state, addr(validators[v])).value().value(); }

  // Every balance there can be: users, validators, the treasury.
  std::uint64_t balances() const {
    std::uint64_t sum = balance(treasury_address());
    for (const auto& k : validators) sum += balance(addr(k));
    for (const auto& k : users) sum += balance(addr(k));
    return sum;
  }
};

TEST(Econ, TheGenesisSectionIsCheckedAndNamesWhatIsWrong) {
  const auto refused = [](json section, const std::string& says) {
    ledger::Genesis g;
    g.chain_id = "econ";
    g.validators.push_back({"v0", crypto::KeyPair::generate().public_key(), {}});
    g.modules["econ"] = section.dump();
    auto r = econ_genesis(g);
    ASSERT_FALSE(r.ok()) << section.dump();
    EXPECT_EQ(r.error().code, core::ErrorCode::kGenesisInvalid);
    EXPECT_NE(r.error().message.find(says), std::string::npos) << r.error().message;
  };
  refused({{"base_fee_split", {{"burn", 5000}, {"treasury", 4000}}}}, "adds up to 9000");
  refused({{"tip_split", {{"proposer", 10001}}}}, "0 to 10000");
  refused({{"tip_split", {{"miners", 10000}}}}, "unknown field 'miners'");
  refused({{"reward_split", {{"burn", 10000}}}}, "burn must be 0");
  refused({{"epoch_blocks", 0}}, "epoch_blocks");
  refused({{"stakes", {{"v9", 5}}}}, "no genesis validator");
  refused({{"stakes", {{"v0", 0}}}}, "positive");
  refused({{"inflation", 3}}, "unknown field 'inflation'");
  refused(json::array(), "object");
}

TEST(Econ, WithoutASectionBaseFeesBurnAndTipsGoToTheProposerEveryBlock) {
  EconChain c(2, 2, json::object(), /*stakes=*/false);
  const crypto::Address proposer = addr(c.validators[0]);
  const std::uint64_t before = c.balances();
  auto r = c.block({c.transfer(c.users[0], addr(c.users[1]), 100, 3, 10), c.transfer(c.users[1], addr(c.users[0]), 5, 2, 10)},
                   proposer, 4);
  EXPECT_EQ(r.fees.base_fees, 8u);
  EXPECT_EQ(r.fees.tips, 5u);
  EXPECT_EQ(c.balance(proposer), kValidatorFunds + 5);  // paid in this block (epochs of one block)
  EXPECT_EQ(c.supply().burned, 8u);
  EXPECT_EQ(c.supply().accrued, 0u);
  EXPECT_EQ(c.balance(treasury_address()), 0u);
  EXPECT_EQ(c.balances(), before - 8);
  EXPECT_EQ(c.supply().bonded, 2u);  // a stake of 1 each, part of the genesis supply
  EXPECT_TRUE(check_supply(c.supply(), c.balances()).ok());
  ASSERT_TRUE(read_payout(c.state, 0).value().has_value());
  EXPECT_EQ(c.supply().epoch, 1u);
}

TEST(Econ, AConfiguredSplitIssuesAccruesAndPaysEachEpochByStake) {
  const json section{{"epoch_blocks", 3},
                     {"base_fee_split", {{"burn", 5000}, {"treasury", 1000}, {"proposer", 2000}, {"validators", 2000}}},
                     {"tip_split", {{"proposer", 5000}, {"validators", 5000}}},
                     {"block_reward", 1001},
                     {"halving_blocks", 2},
                     {"reward_split", {{"treasury", 1000}, {"proposer", 4500}, {"validators", 4500}}}};
  EconChain c(3, 2, section);  // stakes 1, 2, 3
  const auto& u = c.users;
  // Independent bookkeeping: what each validator is owed, the pool, the treasury, the burn.
  std::uint64_t pool = 0, treasury = 0, burned = 0, issued = 0;
  std::vector<std::uint64_t> proposer_owed(3, 0);
  const auto expect_block = [&](std::uint64_t base, std::uint64_t tips, std::uint64_t reward, std::size_t proposer) {
    const auto part = [](std::uint64_t amount, std::uint64_t bps) { return static_cast<std::uint64_t>(U128(amount) * bps / 10'000); };
    const std::uint64_t b_burn = part(base, 5000), b_prop = part(base, 2000), b_val = part(base, 2000);
    const std::uint64_t t_prop = part(tips, 5000), t_val = part(tips, 5000);
    const std::uint64_t r_prop = part(reward, 4500), r_val = part(reward, 4500);
    burned += b_burn;
    issued += reward;
    proposer_owed[proposer] += b_prop + t_prop + r_prop;
    pool += b_val + t_val + r_val;
    treasury += (base - b_burn - b_prop - b_val) + (tips - t_prop - t_val) + (reward - r_prop - r_val);
  };
  // Block 1 (reward 1001), block 2 (1001), block 3 (500: halved after 2 blocks) ends epoch 0.
  c.block({c.transfer(u[0], addr(u[1]), 10, 7, 20)}, addr(c.validators[0]), 9);
  expect_block(9, 7, 1001, 0);
  EXPECT_EQ(c.record(0).accrued, proposer_owed[0]);
  EXPECT_EQ(c.supply().epoch_pool, pool);
  EXPECT_EQ(c.balance(treasury_address()), treasury);
  c.block({c.transfer(u[1], addr(u[0]), 10, 3, 20), c.transfer(u[0], addr(u[1]), 1, 11, 20)}, addr(c.validators[2]), 8);
  expect_block(16, 3 + 11, 1001, 2);
  EXPECT_EQ(c.supply().accrued, pool + proposer_owed[0] + proposer_owed[2]);
  c.block({}, addr(c.validators[1]), 8);
  expect_block(0, 0, 500, 1);
  // The payout: pool * stake / 6 each (floor), plus what each proposed; the rest to the treasury.
  std::uint64_t pool_paid = 0;
  for (std::size_t v = 0; v < 3; ++v) {
    const std::uint64_t from_pool = static_cast<std::uint64_t>(U128(pool) * (v + 1) / 6);
    pool_paid += from_pool;
    EXPECT_EQ(c.balance(addr(c.validators[v])), kValidatorFunds + from_pool + proposer_owed[v]) << "validator " << v;
    EXPECT_EQ(c.record(v).paid_total, from_pool + proposer_owed[v]);
    EXPECT_EQ(c.record(v).accrued, 0u);
  }
  treasury += pool - pool_paid;
  EXPECT_EQ(c.balance(treasury_address()), treasury);
  const EconSupply s = c.supply();
  EXPECT_EQ(s.issued, issued);
  EXPECT_EQ(s.burned, burned);
  EXPECT_EQ(s.accrued, 0u);
  EXPECT_EQ(s.epoch, 1u);
  const EpochPayout payout = read_payout(c.state, 0).value().value();
  EXPECT_EQ(payout.height, 3u);
  EXPECT_EQ(payout.validators_pool, pool);
  EXPECT_EQ(payout.to_treasury, pool - pool_paid);
  EXPECT_TRUE(check_supply(s, c.balances()).ok());
  // The reward keeps halving: block 5 issues 250, block 129 nothing.
  EXPECT_EQ(read_params(c.state).value().reward_at(5), 250u);
  EXPECT_EQ(read_params(c.state).value().reward_at(2 * 64 + 1), 0u);
}

TEST(Econ, BondedStakeCountsFromTheNextEpochAndUnbondedStakeReturnsAfterTheUnbondingPeriod) {
  EconChain c(2, 1, json{{"epoch_blocks", 3}, {"unbonding_blocks", 4},
                         {"base_fee_split", {{"burn", 0}, {"treasury", 0}, {"proposer", 0}, {"validators", 10000}}}});
  const crypto::Address v0 = addr(c.validators[0]);
  const auto fee_of = [](const ledger::ExecutionResult& r) { return r.receipts.at(0).fee_paid; };
  // Bond 500 in block 1: the tokens leave the account now; the stake counts from epoch 1 (block 4).
  const std::uint64_t before = c.balance(v0);
  auto r = c.block({c.stake_tx(c.validators[0], bond_payload(500))}, addr(c.validators[1]), 2);
  ASSERT_EQ(r.receipts.at(0).status, ledger::ReceiptStatus::kSuccess) << r.receipts.at(0).error_message;
  EXPECT_EQ(c.balance(v0), before - 500 - fee_of(r));
  EXPECT_EQ(c.record(0).stake, 1u);
  EXPECT_EQ(c.record(0).next_stake, 501u);
  EXPECT_EQ(c.supply().bonded, 1u + 2u + 500u);
  EXPECT_TRUE(check_supply(c.supply(), c.balances()).ok());
  c.block({}, v0, 2);
  c.block({}, v0, 2);  // block 3 ends epoch 0, paid by the old stakes (1 and 2): validator 0 gets a third
  EXPECT_EQ(c.record(0).stake, 501u);
  // Unbond 200 at block 4 (release at 8): the stake falls from epoch 2 on, the tokens come back at
  // the first epoch end at or after block 8 (block 9).
  r = c.block({c.stake_tx(c.validators[0], unbond_payload(200))}, v0, 2);
  ASSERT_EQ(r.receipts.at(0).status, ledger::ReceiptStatus::kSuccess) << r.receipts.at(0).error_message;
  EXPECT_EQ(c.record(0).next_stake, 301u);
  EXPECT_EQ(c.supply().unbonding, 200u);
  const std::uint64_t held = c.balance(v0);
  for (int i = 0; i < 4; ++i) c.block({}, addr(c.validators[1]), 1);  // blocks 5-8
  EXPECT_EQ(c.record(0).stake, 301u);
  EXPECT_EQ(c.record(0).unbonding.size(), 1u);
  EXPECT_GE(c.balance(v0), held);  // rewards only, not the unbonded stake yet
  EXPECT_LT(c.balance(v0), held + 200);
  c.block({}, addr(c.validators[1]), 1);  // block 9 ends epoch 2: released
  EXPECT_TRUE(c.record(0).unbonding.empty());
  EXPECT_EQ(c.supply().unbonding, 0u);
  EXPECT_GE(c.balance(v0), held + 200);
  EXPECT_TRUE(check_supply(c.supply(), c.balances()).ok());

  // Refusals with stable codes: keeping no stake, a non-validator, more than the balance.
  r = c.block({c.stake_tx(c.validators[0], unbond_payload(301))}, v0, 1);
  EXPECT_EQ(static_cast<core::ErrorCode>(r.receipts.at(0).error_code), core::ErrorCode::kEconUnbondTooMuch);
  r = c.block({c.stake_tx(c.users[0], bond_payload(1))}, v0, 1);
  EXPECT_EQ(static_cast<core::ErrorCode>(r.receipts.at(0).error_code), core::ErrorCode::kEconNotValidator);
  r = c.block({c.stake_tx(c.validators[1], bond_payload(10'000'000))}, v0, 1);
  EXPECT_EQ(static_cast<core::ErrorCode>(r.receipts.at(0).error_code), core::ErrorCode::kTxInsufficientBalance);
  EXPECT_TRUE(check_supply(c.supply(), c.balances()).ok());
  // Stateless: a zero amount is malformed.
  EXPECT_EQ(Econ().check_payload(bond_payload(0), v0).error().code, core::ErrorCode::kTxMalformed);
}

// The validator sets consensus runs are published in state: set 0 at genesis (the genesis
// validators, open-ended); a new one only when the members change, at a payout epoch's end, to
// begin kSetActivationBlocksMin (8) or a payout epoch later. A candidate the council admitted
// (admit_validator) bonds like a validator and is a member of the next set; a key nobody
// admitted cannot bond; stake changes alone publish nothing.
TEST(Econ, AValidatorSetIsPublishedWhenItsMembersChangeAndAnAdmittedCandidateThatBondsJoins) {
  EconChain c(2, 2, json{{"epoch_blocks", 3}}, /*stakes=*/true, /*council=*/true);
  const crypto::Address v0 = addr(c.validators[0]);
  const auto set_of = [&c](std::uint64_t n) { return read_epoch_set(c.state, n).value(); };
  const auto zero = set_of(0).value();
  EXPECT_EQ(zero.first_height, 1u);
  EXPECT_EQ(zero.last_height, kSetOpenEnded);
  ASSERT_EQ(zero.members.size(), 2u);
  EXPECT_EQ(zero.members[0].key, c.validators[0].public_key());
  EXPECT_EQ(zero.members[0].name, "v0");
  EXPECT_EQ(zero.members[1].stake, 2u);
  EXPECT_EQ(read_latest_epoch_set(c.state).value(), 0u);

  // users[1] is the candidate: not admitted, it cannot bond.
  const crypto::KeyPair& candidate = c.users[1];
  auto r = c.block({c.stake_tx(candidate, bond_payload(10))}, v0, 1);
  EXPECT_EQ(static_cast<core::ErrorCode>(r.receipts.at(0).error_code), core::ErrorCode::kEconNotValidator);
  // The council admits it, with its keys; then it bonds 100.
  GovProposal admit;
  admit.action = GovAction::kAdmitValidator;
  admit.candidate = ValidatorCandidate{"newcomer", candidate.public_key(), crypto::MldsaKeyPair::generate().public_key()};
  admit.subject = addr(candidate);
  r = c.block({c.stake_tx(c.users[0], gov_propose_payload(admit))}, v0, 1);
  ASSERT_EQ(r.receipts.at(0).status, ledger::ReceiptStatus::kSuccess) << r.receipts.at(0).error_message;
  r = c.block({c.stake_tx(candidate, bond_payload(100))}, v0, 1);  // block 3 ends payout epoch 0
  ASSERT_EQ(r.receipts.at(0).status, ledger::ReceiptStatus::kSuccess) << r.receipts.at(0).error_message;
  ASSERT_EQ(read_latest_epoch_set(c.state).value(), 1u);
  const auto one = set_of(1).value();
  EXPECT_EQ(one.number, 1u);
  EXPECT_EQ(one.first_height, 3u + 1u + kSetActivationBlocksMin);  // 8 > an epoch of 3
  EXPECT_EQ(one.last_height, kSetOpenEnded);
  EXPECT_EQ(set_of(0)->last_height, 3u + kSetActivationBlocksMin);
  ASSERT_EQ(one.members.size(), 3u);
  EXPECT_EQ(one.members[0], zero.members[0]);  // the old members first, in their order
  EXPECT_EQ(one.members[1], zero.members[1]);
  EXPECT_EQ(one.members[2].key, candidate.public_key());
  EXPECT_EQ(one.members[2].name, "newcomer");
  EXPECT_EQ(one.members[2].stake, 100u);
  EXPECT_EQ(read_validator_addresses(c.state).value().size(), 3u);
  EXPECT_TRUE(check_supply(c.supply(), c.balances()).ok());

  // A bond changes no member: nothing is published, before or after set 1 begins.
  r = c.block({c.stake_tx(c.validators[0], bond_payload(7))}, v0, 1);
  ASSERT_EQ(r.receipts.at(0).status, ledger::ReceiptStatus::kSuccess) << r.receipts.at(0).error_message;
  while (c.height < 20) c.block({}, v0, 1);
  EXPECT_EQ(read_latest_epoch_set(c.state).value(), 1u);
  EXPECT_EQ(c.record(0).stake, 8u);
  EXPECT_TRUE(check_supply(c.supply(), c.balances()).ok());

  // Governance refuses a proposal whose subject is not the candidate's key, or a bad name.
  admit.subject = v0;
  EXPECT_EQ(Governance().check_payload(gov_propose_payload(admit), v0).error().code, core::ErrorCode::kTxMalformed);
  admit.subject = addr(candidate);
  admit.candidate.name = "has space";
  EXPECT_EQ(Governance().check_payload(gov_propose_payload(admit), v0).error().code, core::ErrorCode::kTxMalformed);
}

// Two votes `key` signed in epoch `epoch` for one kind, height and round: for blocks a and b.
EquivocationEvidence equivocation(const crypto::KeyPair& key, std::uint64_t epoch, std::uint64_t height, std::uint64_t round,
                                  const crypto::KeyPair& second_signer) {
  const core::Hash32 chain_id = crypto::epoch_chain_id(crypto::consensus_chain_id(kGenesisDigest), epoch);
  EquivocationEvidence e;
  e.epoch = epoch;
  e.offender = key.public_key();
  e.first = crypto::VoteData{crypto::VoteKind::kPrepare, height, round, core::hash(core::Domain::Test, core::as_bytes("a")), std::nullopt};
  e.second = e.first;
  e.second.block_id = core::hash(core::Domain::Test, core::as_bytes("b"));
  e.first_signature = key.sign_digest(e.first.signing_digest(chain_id));
  e.second_signature = second_signer.sign_digest(e.second.signing_digest(chain_id));
  return e;
}

core::ErrorCode code_of(const ledger::ExecutionResult& r) { return static_cast<core::ErrorCode>(r.receipts.at(0).error_code); }

TEST(Econ, ProvenEquivocationSlashesOnceAndTheValidatorLeavesTheNextSet) {
  EconChain c(3, 2, json{{"epoch_blocks", 3}, {"unbonding_blocks", 20}, {"slash_bps", 2'500}});
  const crypto::Address v0 = addr(c.validators[0]);
  const crypto::KeyPair& offender = c.validators[1];
  const crypto::KeyPair& reporter = c.users[1];
  ASSERT_EQ(read_params(c.state)->slash_bps, 2'500u);
  // Stake to lose: 1002 bonded, then 200 of it unbonding.
  ASSERT_EQ(c.block({c.stake_tx(offender, bond_payload(1'000))}, v0, 1).receipts.at(0).status, ledger::ReceiptStatus::kSuccess);
  ASSERT_EQ(c.block({c.stake_tx(offender, unbond_payload(200))}, v0, 1).receipts.at(0).status, ledger::ReceiptStatus::kSuccess);
  const EconSupply before = c.supply();

  // What is not evidence is refused (votes that do not conflict before any state is read, at
  // admission), and slashes nothing.
  EquivocationEvidence same = equivocation(offender, 0, 2, 0, offender);
  same.second = same.first;
  same.second_signature = same.first_signature;
  EXPECT_EQ(Econ().check_payload(evidence_payload(same), addr(reporter)).error().code, core::ErrorCode::kEconEvidenceInvalid);
  EXPECT_EQ(code_of(c.block({c.stake_tx(reporter, evidence_payload(equivocation(offender, 0, 2, 0, c.validators[2])))}, v0, 1)),
            core::ErrorCode::kEconEvidenceInvalid);  // the second vote is another validator's signature
  EXPECT_EQ(code_of(c.block({c.stake_tx(reporter, evidence_payload(equivocation(offender, 1, 2, 0, offender)))}, v0, 1)),
            core::ErrorCode::kEconEvidenceInvalid);  // epoch 1 never began
  EXPECT_EQ(code_of(c.block({c.stake_tx(reporter, evidence_payload(equivocation(c.users[0], 0, 2, 0, c.users[0])))}, v0, 1)),
            core::ErrorCode::kEconEvidenceInvalid);  // not a member
  EquivocationEvidence timeouts = equivocation(offender, 0, 2, 0, offender);
  timeouts.first.kind = timeouts.second.kind = crypto::VoteKind::kTimeout;
  EXPECT_EQ(Econ().check_payload(evidence_payload(timeouts), addr(reporter)).error().code, core::ErrorCode::kEconEvidenceInvalid);
  EXPECT_EQ(c.record(1).next_stake, 802u);
  EXPECT_FALSE(c.record(1).slashed);

  // Real evidence, from anyone: a quarter of the bonded and of the unbonding stake is burned.
  const std::uint64_t height_of_slash = c.height + 1;
  auto r = c.block({c.stake_tx(reporter, evidence_payload(equivocation(offender, 0, 2, 0, offender)))}, v0, 1);
  ASSERT_EQ(r.receipts.at(0).status, ledger::ReceiptStatus::kSuccess) << r.receipts.at(0).error_message;
  const ValidatorEcon slashed = c.record(1);
  EXPECT_TRUE(slashed.slashed);
  EXPECT_EQ(slashed.next_stake, 802u - 200u);
  ASSERT_EQ(slashed.unbonding.size(), 1u);
  EXPECT_EQ(slashed.unbonding[0].amount, 150u);
  const auto record = read_slash(c.state, addr(offender)).value();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->amount, 250u);
  EXPECT_EQ(record->height, height_of_slash);
  EXPECT_EQ(record->vote_height, 2u);
  EXPECT_EQ(record->reporter, addr(reporter));
  EXPECT_GE(c.supply().burned, before.burned + 250);
  EXPECT_EQ(c.supply().bonded, before.bonded - 200);
  EXPECT_EQ(c.supply().unbonding, before.unbonding - 50);
  EXPECT_TRUE(check_supply(c.supply(), c.balances()).ok());
  bool event = false;
  for (const auto& e : r.receipts.at(0).events) event = event || (e.module == "econ" && e.kind == "slashed");
  EXPECT_TRUE(event);

  // Once: more evidence against it is a duplicate; it bonds no more, and may unbond everything.
  EXPECT_EQ(code_of(c.block({c.stake_tx(reporter, evidence_payload(equivocation(offender, 0, 3, 1, offender)))}, v0, 1)),
            core::ErrorCode::kEconEvidenceDuplicate);
  EXPECT_EQ(code_of(c.block({c.stake_tx(offender, bond_payload(5))}, v0, 1)), core::ErrorCode::kEconSlashed);
  r = c.block({c.stake_tx(offender, unbond_payload(600))}, v0, 1);
  ASSERT_EQ(r.receipts.at(0).status, ledger::ReceiptStatus::kSuccess) << r.receipts.at(0).error_message;

  // At the next payout epoch's end the set without it is published.
  while (c.height < 24) c.block({}, v0, 1);
  ASSERT_EQ(read_latest_epoch_set(c.state).value(), 1u);
  const auto one = read_epoch_set(c.state, 1).value().value();
  ASSERT_EQ(one.members.size(), 2u);
  for (const auto& m : one.members) EXPECT_NE(m.key, offender.public_key());
  EXPECT_TRUE(check_supply(c.supply(), c.balances()).ok());

  // Evidence older than the unbonding period is refused: the stake may be gone by then.
  EXPECT_EQ(code_of(c.block({c.stake_tx(reporter, evidence_payload(equivocation(c.validators[2], 0, 2, 0, c.validators[2])))}, v0, 1)),
            core::ErrorCode::kEconEvidenceTooOld);
  EXPECT_FALSE(c.record(2).slashed);
}

// A leader's two proposals for one round: IBFT's signed form names height, round and block id;
// HotStuff's only the block id, whose preimage (height, view, parent, proposer, payload hash,
// justify) the evidence carries.
crypto::SignedProposal proposal(const crypto::KeyPair& key, crypto::ProposalForm form, std::uint64_t epoch, std::uint64_t height,
                                std::uint64_t round, std::string_view payload) {
  const core::Hash32 chain_id = crypto::epoch_chain_id(crypto::consensus_chain_id(kGenesisDigest), epoch);
  crypto::SignedProposal p;
  p.height = height;
  p.round = round;
  if (form == crypto::ProposalForm::kIbftPrePrepare) {
    p.block_id = core::hash(core::Domain::Test, core::as_bytes(payload));
    p.signature = key.sign_digest(crypto::ibft_pre_prepare_digest(chain_id, height, round, p.block_id));
    return p;
  }
  core::Writer w;
  w.u64(height);
  w.u64(round);
  w.array(core::Hash32{});
  w.u32(1);
  w.array(core::hash(core::Domain::Test, core::as_bytes(payload)));
  w.boolean(false);
  p.block_preimage = std::move(w).take();
  p.block_id = crypto::consensus_block_id(p.block_preimage);
  p.signature = key.sign_digest(crypto::hotstuff_proposal_digest(chain_id, p.block_id));
  return p;
}

TEST(Econ, ALeaderThatProposesTwoBlocksForOneRoundIsSlashedInEitherEngineForm) {
  EconChain c(4, 1, json{{"epoch_blocks", 3}, {"slash_bps", 5'000}});
  const crypto::Address v0 = addr(c.validators[0]);
  const crypto::KeyPair& reporter = c.users[0];
  for (const auto form : {crypto::ProposalForm::kIbftPrePrepare, crypto::ProposalForm::kHotStuff}) {
    const crypto::KeyPair& leader = c.validators[form == crypto::ProposalForm::kHotStuff ? 2 : 1];
    ProposalEvidence e{0, leader.public_key(), form, proposal(leader, form, 0, 3, 1, "a"), proposal(leader, form, 0, 3, 1, "b")};
    // The same block twice, or two rounds, is no equivocation; nor is a forged preimage.
    ProposalEvidence same = e;
    same.second = same.first;
    EXPECT_EQ(Econ().check_payload(proposal_evidence_payload(same), addr(reporter)).error().code, core::ErrorCode::kEconEvidenceInvalid);
    ProposalEvidence rounds = e;
    rounds.second = proposal(leader, form, 0, 3, 2, "b");
    EXPECT_EQ(Econ().check_payload(proposal_evidence_payload(rounds), addr(reporter)).error().code, core::ErrorCode::kEconEvidenceInvalid);
    if (form == crypto::ProposalForm::kHotStuff) {
      ProposalEvidence forged = e;
      forged.second.block_preimage.back() = 1;  // claims a justify the id does not hash
      EXPECT_EQ(code_of(c.block({c.stake_tx(reporter, proposal_evidence_payload(forged))}, v0, 1)),
                core::ErrorCode::kEconEvidenceInvalid);
    }
    const std::uint64_t stake = c.record(form == crypto::ProposalForm::kHotStuff ? 2 : 1).next_stake;
    auto r = c.block({c.stake_tx(reporter, proposal_evidence_payload(e))}, v0, 1);
    ASSERT_EQ(r.receipts.at(0).status, ledger::ReceiptStatus::kSuccess) << r.receipts.at(0).error_message;
    const auto record = read_slash(c.state, addr(leader)).value();
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->kind, kSlashForProposals);
    EXPECT_EQ(record->to_json().value("kind", ""), "proposal");
    EXPECT_EQ(record->amount, stake / 2);
    EXPECT_TRUE(check_supply(c.supply(), c.balances()).ok());
    // Its JSON maps back to the same evidence.
    EXPECT_EQ(ProposalEvidence::from_json(e.to_json()).value(), e);
  }
}

// The evidence's JSON (what a node logs, what `metanode econ evidence` reads) maps both ways,
// and bad input names the field.
TEST(Econ, EvidenceJsonRoundTripsAndNamesWhatIsWrong) {
  const auto key = crypto::KeyPair::generate();
  EquivocationEvidence e = equivocation(key, 3, 10, 2, key);
  e.first.kind = e.second.kind = crypto::VoteKind::kCommit;
  e.first.commit = crypto::CommitTarget{10, e.first.block_id};
  e.second.commit = crypto::CommitTarget{10, e.second.block_id};
  const json j = e.to_json();
  auto back = EquivocationEvidence::from_json(j);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, e);
  const Econ econ;
  auto bytes = econ.payload_from_json(kEvidenceKind, j);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(core::decode<EquivocationEvidence>(*bytes).value(), e);
  for (const auto& [field, bad] : std::vector<std::pair<std::string, json>>{
           {"payload.epoch", json{{"epoch", -1}}},
           {"payload.offender", json{{"offender", "zz"}}},
           {"payload.first.kind", json{{"first", {{"kind", "vote2"}}}}},
           {"payload.second.block_id", json{{"second", {{"block_id", "00"}}}}},
           {"payload.first.signature", json{{"first", {{"signature", 7}}}}},
           {"unknown field 'extra'", json{{"extra", 1}}}}) {
    json broken = j;
    broken.merge_patch(bad);
    auto r = EquivocationEvidence::from_json(broken);
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().message;
  }
}

// Delegation (delegation.hpp): an account's tokens join a validator's pool at the end of the
// epoch in progress, the delegators' part of the validator's share of each epoch's pool is
// divided by shares, and claim pays it out to the unit (checked against an independent
// computation of the running sum); a delegation made during an epoch earns nothing in it.
std::uint64_t part_of(std::uint64_t amount, std::uint64_t part, std::uint64_t whole) {
  return static_cast<std::uint64_t>(U128(amount) * part / whole);
}
ledger::ReceiptStatus status_of(const ledger::ExecutionResult& r) { return r.receipts.at(0).status; }

TEST(Econ, DelegatorsEarnFromTheEpochAfterTheyDelegateAndClaimTheirShareToTheUnit) {
  EconChain c(2, 3, json{{"epoch_blocks", 3}, {"unbonding_blocks", 4}, {"block_reward", 1000},
                         {"reward_split", {{"treasury", 0}, {"proposer", 0}, {"validators", 10000}}},
                         {"base_fee_split", {{"burn", 10000}, {"treasury", 0}, {"proposer", 0}, {"validators", 0}}},
                         {"tip_split", {{"burn", 10000}, {"treasury", 0}, {"proposer", 0}, {"validators", 0}}}});
  const crypto::Address v0 = addr(c.validators[0]), v1 = addr(c.validators[1]);
  const auto& u = c.users;
  // Block 1 (epoch 0): 300 and 100 delegated to validator 0 (stake 1); they count from epoch 1.
  auto r = c.block({c.stake_tx(u[0], delegate_payload(v0, 300)), c.stake_tx(u[1], delegate_payload(v0, 100))}, v1, 1);
  ASSERT_EQ(r.receipts.at(0).status, ledger::ReceiptStatus::kSuccess) << r.receipts.at(0).error_message;
  ASSERT_EQ(r.receipts.at(1).status, ledger::ReceiptStatus::kSuccess) << r.receipts.at(1).error_message;
  EXPECT_EQ(c.supply().delegated, 400u);
  EXPECT_TRUE(check_supply(c.supply(), c.balances()).ok());
  c.block({}, v1, 1);
  c.block({}, v1, 1);  // block 3 ends epoch 0: 3000 by stakes 1 and 2 alone
  EXPECT_EQ(read_payout(c.state, 0).value()->to_delegators, 0u);
  EXPECT_EQ(c.balance(v0), kValidatorFunds + 1000);
  const auto get = [&c](core::ByteView key) { return c.state.get(ledger::state_tree_key(kEconModule, key)); };
  DelegationPool pool = read_pool_from(get, v0).value().value();
  EXPECT_EQ(pool.shares, 400u);
  EXPECT_EQ(pool.tokens, 400u);
  EXPECT_EQ(pool.sum, 0u);

  // Block 4 (epoch 1): 1000 more from a third account, earning from epoch 2 only.
  ASSERT_EQ(status_of(c.block({c.stake_tx(u[2], delegate_payload(v0, 1000))}, v1, 1)), ledger::ReceiptStatus::kSuccess);
  c.block({}, v1, 1);
  c.block({}, v1, 1);  // block 6 ends epoch 1: validator 0 weighs 1 + 400 of 403
  const EpochPayout one = read_payout(c.state, 1).value().value();
  EXPECT_EQ(one.validators_pool, 3000u);
  const std::uint64_t weighted = part_of(3000, 401, 403);
  const std::uint64_t to_delegators = part_of(weighted, 400, 401);
  EXPECT_EQ(one.to_delegators, to_delegators);
  EXPECT_EQ(c.balance(v0), kValidatorFunds + 1000 + (weighted - to_delegators));
  const RewardSum sum1 = (RewardSum(to_delegators) << 64) / 400;
  EXPECT_EQ(read_pool_from(get, v0).value()->sum, sum1);
  EXPECT_EQ(c.supply().delegator_owed, to_delegators);

  // Block 7 (epoch 2): each claims exactly its shares times the sum; the newcomer has nothing yet.
  const auto claim = [&](std::size_t who) {
    const std::uint64_t before = c.balance(addr(u[who]));
    auto result = c.block({c.stake_tx(u[who], claim_payload(v0))}, v1, 1);
    EXPECT_EQ(status_of(result), ledger::ReceiptStatus::kSuccess) << result.receipts.at(0).error_message;
    return c.balance(addr(u[who])) + result.receipts.at(0).fee_paid - before;
  };
  const auto earned = [](std::uint64_t shares, RewardSum sum) { return static_cast<std::uint64_t>((U128(shares) * sum) >> 64); };
  EXPECT_EQ(claim(0), earned(300, sum1));
  EXPECT_EQ(claim(1), earned(100, sum1));
  EXPECT_GE(earned(300, sum1) + earned(100, sum1) + 1, to_delegators);  // rounding leaves at most a unit per delegation
  r = c.block({c.stake_tx(u[2], claim_payload(v0))}, v1, 1);
  EXPECT_EQ(code_of(r), core::ErrorCode::kEconNothingToClaim);  // block 9 ends epoch 2 after it
  // Epoch 2: all 1400 shares earned; the newcomer gets 1000 / 1400 of the delegators' part.
  const EpochPayout two = read_payout(c.state, 2).value().value();
  const std::uint64_t weighted2 = part_of(two.validators_pool, 1401, 1403);
  const std::uint64_t to_delegators2 = part_of(weighted2, 1400, 1401);
  EXPECT_EQ(two.to_delegators, to_delegators2);
  const RewardSum sum2 = sum1 + (RewardSum(to_delegators2) << 64) / 1400;
  EXPECT_EQ(claim(2), earned(1000, sum2 - sum1));
  EXPECT_TRUE(check_supply(c.supply(), c.balances()).ok());
  // The rewards endpoint's view: what a delegation is worth and has settled, from state alone.
  Delegation d = read_delegation_from(get, v0, addr(u[0])).value().value();
  ASSERT_TRUE(settle(get, v0, read_pool_from(get, v0).value().value(), d, c.supply().epoch).ok());
  EXPECT_EQ(d.rewards, earned(300, sum2 - sum1));
  EXPECT_EQ(delegation_value(read_pool_from(get, v0).value().value(), d), 300u);
}

TEST(Econ, UndelegatedTokensWaitTheUnbondingPeriodAndTheLastClaimLeavesNothingBehind) {
  EconChain c(2, 2, json{{"epoch_blocks", 3}, {"unbonding_blocks", 4}, {"block_reward", 999},
                         {"reward_split", {{"treasury", 1}, {"proposer", 0}, {"validators", 9999}}}});
  const crypto::Address v0 = addr(c.validators[0]), v1 = addr(c.validators[1]);
  const crypto::KeyPair& holder = c.users[0];
  const auto get = [&c](core::ByteView key) { return c.state.get(ledger::state_tree_key(kEconModule, key)); };
  const auto check = [&] {
    const auto st = check_supply(c.supply(), c.balances());
    EXPECT_TRUE(st.ok()) << "block " << c.height << ": " << st.error().to_string();
  };
  ASSERT_EQ(status_of(c.block({c.stake_tx(holder, delegate_payload(v0, 500))}, v1, 1)), ledger::ReceiptStatus::kSuccess);
  while (c.height < 3) c.block({}, v1, 1);
  // Block 4: 200 of it undelegated, released at height 8 (claim pays it, not the epoch's end).
  auto r = c.block({c.stake_tx(holder, undelegate_payload(v0, 200))}, v1, 1);
  ASSERT_EQ(status_of(r), ledger::ReceiptStatus::kSuccess) << r.receipts.at(0).error_message;
  EXPECT_EQ(c.supply().delegated, 300u);
  EXPECT_EQ(c.supply().delegation_unbonding, 200u);
  check();
  r = c.block({c.stake_tx(holder, claim_payload(v0))}, v1, 1);
  EXPECT_EQ(code_of(r), core::ErrorCode::kEconNothingToClaim);
  EXPECT_NE(r.receipts.at(0).error_message.find("height 8"), std::string::npos) << r.receipts.at(0).error_message;
  // Refusals: more than it is worth, no delegation, not a validator, zero (stateless).
  EXPECT_EQ(code_of(c.block({c.stake_tx(holder, undelegate_payload(v0, 301))}, v1, 1)), core::ErrorCode::kEconUnbondTooMuch);
  EXPECT_EQ(code_of(c.block({c.stake_tx(holder, undelegate_payload(v1, 1))}, v1, 1)), core::ErrorCode::kEconNoDelegation);
  EXPECT_EQ(code_of(c.block({c.stake_tx(holder, claim_payload(v1))}, v1, 1)), core::ErrorCode::kEconNoDelegation);
  EXPECT_EQ(code_of(c.block({c.stake_tx(holder, delegate_payload(addr(c.users[1]), 5))}, v1, 1)), core::ErrorCode::kEconNotValidator);
  EXPECT_EQ(code_of(c.block({c.stake_tx(holder, delegate_payload(v0, 10'000'000))}, v1, 1)), core::ErrorCode::kTxInsufficientBalance);
  EXPECT_EQ(Econ().check_payload(delegate_payload(v0, 0), v1).error().code, core::ErrorCode::kTxMalformed);
  EXPECT_EQ(Econ().check_payload(ledger::Payload{"econ", "claim", {1, 2, 3}}, v1).error().code, core::ErrorCode::kTxMalformed);
  check();
  ASSERT_GE(c.height, 8u);
  std::uint64_t before = c.balance(addr(holder));
  r = c.block({c.stake_tx(holder, claim_payload(v0))}, v1, 1);
  ASSERT_EQ(status_of(r), ledger::ReceiptStatus::kSuccess) << r.receipts.at(0).error_message;
  EXPECT_GE(c.balance(addr(holder)) + r.receipts.at(0).fee_paid, before + 200);
  EXPECT_EQ(c.supply().delegation_unbonding, 0u);
  // All the rest out; once released and claimed, the delegation and the pool are gone, and what
  // rounding left in the pool went to the treasury.
  r = c.block({c.stake_tx(holder, undelegate_payload(v0, 300))}, v1, 1);
  ASSERT_EQ(status_of(r), ledger::ReceiptStatus::kSuccess) << r.receipts.at(0).error_message;
  const std::uint64_t release = c.height + 4;
  while (c.height < release + 3) c.block({}, v1, 1);
  r = c.block({c.stake_tx(holder, claim_payload(v0))}, v1, 1);
  ASSERT_EQ(status_of(r), ledger::ReceiptStatus::kSuccess) << r.receipts.at(0).error_message;
  EXPECT_FALSE(read_delegation_from(get, v0, addr(holder)).value().has_value());
  EXPECT_FALSE(read_pool_from(get, v0).value().has_value());
  const EconSupply s = c.supply();
  EXPECT_EQ(s.delegated + s.delegation_unbonding + s.delegator_owed, 0u);
  check();
}

TEST(Econ, SlashingAValidatorCutsItsDelegationsBondedAndUnbondingAndItTakesNoMore) {
  EconChain c(3, 2, json{{"epoch_blocks", 3}, {"unbonding_blocks", 20}, {"slash_bps", 1'000}});
  const crypto::Address v0 = addr(c.validators[0]);
  const crypto::KeyPair& offender = c.validators[1];
  const crypto::Address off = addr(offender);
  const auto get = [&c](core::ByteView key) { return c.state.get(ledger::state_tree_key(kEconModule, key)); };
  ASSERT_EQ(status_of(c.block({c.stake_tx(c.users[0], delegate_payload(off, 1'000))}, v0, 1)), ledger::ReceiptStatus::kSuccess);
  ASSERT_EQ(status_of(c.block({c.stake_tx(c.users[0], undelegate_payload(off, 400))}, v0, 1)), ledger::ReceiptStatus::kSuccess);
  const EconSupply before = c.supply();
  auto r = c.block({c.stake_tx(c.users[1], evidence_payload(equivocation(offender, 0, 2, 0, offender)))}, v0, 1);
  ASSERT_EQ(status_of(r), ledger::ReceiptStatus::kSuccess) << r.receipts.at(0).error_message;
  const DelegationPool pool = read_pool_from(get, off).value().value();
  EXPECT_EQ(pool.next_tokens, 540u);      // 600 less a tenth
  EXPECT_EQ(pool.unbonding_tokens, 360u);  // 400 less a tenth
  EXPECT_EQ(c.supply().delegated, before.delegated - 60);
  EXPECT_EQ(c.supply().delegation_unbonding, before.delegation_unbonding - 40);
  EXPECT_EQ(read_slash(c.state, off).value()->amount, 100u);  // its own stake of 2 loses nothing at 10%
  const Delegation d = read_delegation_from(get, off, addr(c.users[0])).value().value();
  EXPECT_EQ(delegation_value(pool, d), 540u);
  EXPECT_EQ(unbonding_value(pool, d, c.height, false), 360u);
  EXPECT_EQ(code_of(c.block({c.stake_tx(c.users[1], delegate_payload(off, 10))}, v0, 1)), core::ErrorCode::kEconSlashed);
  // Leaving is still possible.
  ASSERT_EQ(status_of(c.block({c.stake_tx(c.users[0], undelegate_payload(off, 540))}, v0, 1)), ledger::ReceiptStatus::kSuccess);
  EXPECT_TRUE(check_supply(c.supply(), c.balances()).ok());
}

TEST(Econ, DelegationPayloadsAndStateKeysHaveJsonForms) {
  const Econ econ;
  const crypto::Address v = addr(crypto::KeyPair::generate());
  const json fields{{"validator", v.to_string()}, {"amount", "25"}};
  const auto bytes = econ.payload_from_json("delegate", fields).value();
  EXPECT_EQ(bytes, delegate_payload(v, 25).data);
  EXPECT_EQ(econ.payload_to_json(delegate_payload(v, 25)), (json{{"validator", v.to_string()}, {"amount", "25"}}));
  EXPECT_EQ(econ.payload_from_json("claim", {{"validator", v.to_string()}}).value(), claim_payload(v).data);
  EXPECT_EQ(econ.payload_from_json("undelegate", {{"validator", "nope"}, {"amount", 1}}).error().code, core::ErrorCode::kTxMalformed);
  EXPECT_EQ(econ.payload_from_json("delegate", {{"validator", v.to_string()}}).error().code, core::ErrorCode::kTxMalformed);
  EXPECT_EQ(econ.key_from_text("dpool:" + v.to_string()).value(), econ_pool_key(v));
  EXPECT_EQ(econ.key_from_text("delegation:" + v.to_string() + ":" + v.to_string()).value(), econ_delegation_key(v, v));
  EXPECT_EQ(econ.key_from_text("dsum:" + v.to_string() + ":7").value(), econ_sum_key(v, 7));
  EXPECT_EQ(econ.key_from_text("delegation:" + v.to_string()).error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(econ.key_from_text("dsum:" + v.to_string() + ":x").error().code, core::ErrorCode::kInvalidArgument);
}

TEST(Econ, TheSupplyInvariantHoldsAfterEveryBlockOfALongRandomizedRun) {
  std::mt19937_64 rng(20261202);
  const json section{{"epoch_blocks", 7},
                     {"base_fee_split", {{"burn", 3333}, {"treasury", 1111}, {"proposer", 2222}, {"validators", 3334}}},
                     {"tip_split", {{"burn", 1}, {"treasury", 2}, {"proposer", 6000}, {"validators", 3997}}},
                     {"block_reward", 997},
                     {"halving_blocks", 101},
                     {"reward_split", {{"treasury", 17}, {"proposer", 4983}, {"validators", 5000}}}};
  EconChain c(5, 8, section);
  std::uniform_int_distribution<std::size_t> pick_user(0, c.users.size() - 1), pick_validator(0, c.validators.size() - 1);
  std::uniform_int_distribution<std::uint64_t> small(0, 50), txs_per_block(0, 6);
  std::uint64_t payouts_seen = 0;
  for (int b = 0; b < 400; ++b) {
    const std::uint64_t base_fee = 1 + small(rng) % 13;
    std::vector<ledger::Transaction> txs;
    for (std::uint64_t i = txs_per_block(rng); i > 0; --i) {
      const std::size_t from = pick_user(rng);
      std::size_t to = pick_user(rng);
      if (to == from) to = (to + 1) % c.users.size();
      // Some max fees leave less than the bid (the tip is capped), some all of it.
      const std::uint64_t bid = small(rng);
      txs.push_back(c.transfer(c.users[from], addr(c.users[to]), 1 + small(rng), bid, std::max(bid, base_fee + small(rng))));
    }
    // Now and then a validator bonds or unbonds (some unbonds too large: refused, still paying the fee).
    if (small(rng) < 8) {
      const std::size_t v = pick_validator(rng);
      txs.push_back(c.stake_tx(c.validators[v], small(rng) % 2 == 0 ? bond_payload(1 + small(rng)) : unbond_payload(1 + small(rng) % 4)));
    }
    // And users delegate, undelegate (some more than they hold: refused) and claim.
    for (std::uint64_t i = small(rng) % 4; i > 0; --i) {
      const auto& user = c.users[pick_user(rng)];
      const crypto::Address v = addr(c.validators[pick_validator(rng)]);
      const std::uint64_t what = small(rng) % 3;
      txs.push_back(c.stake_tx(user, what == 0 ? delegate_payload(v, 1 + small(rng) * 7)
                                     : what == 1 ? undelegate_payload(v, 1 + small(rng))
                                                 : claim_payload(v)));
    }
    const std::uint64_t epoch_before = c.supply().epoch;
    c.block(std::move(txs), addr(c.validators[pick_validator(rng)]), base_fee);
    const EconSupply s = c.supply();
    const auto st = check_supply(s, c.balances());
    ASSERT_TRUE(st.ok()) << "after block " << c.height << ": " << st.error().to_string();
    ASSERT_EQ(s.accrued, [&] {
      std::uint64_t owed = s.epoch_pool;
      for (std::size_t v = 0; v < c.validators.size(); ++v) owed += c.record(v).accrued;
      return owed;
    }()) << "after block " << c.height;
    payouts_seen += s.epoch - epoch_before;
  }
  EXPECT_EQ(payouts_seen, 400u / 7);
  EXPECT_GT(c.supply().delegated, 0u);
  EXPECT_GT(c.supply().delegator_owed, 0u);
  EXPECT_GT(c.supply().issued, 0u);
  EXPECT_GT(c.supply().burned, 0u);
  EXPECT_GT(c.balance(treasury_address()), 0u);
}

}  // namespace
}  // namespace metanode::modules
