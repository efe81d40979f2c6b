#include "modules/econ/econ.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <nlohmann/json.hpp>

#include "core/arith.hpp"
#include "modules/governance/governance.hpp"

namespace metanode::modules {
namespace {
using core::ErrorCode;
using core::make_error;
using nlohmann::json;
__extension__ typedef unsigned __int128 U128;

constexpr std::string_view kValidatorPrefix = "validator:";
constexpr std::string_view kVsetPrefix = "vset:";
constexpr std::string_view kPayoutPrefix = "payout:";
constexpr std::string_view kEpochSetPrefix = "epoch_set:";
constexpr std::string_view kSlashPrefix = "slash:";
constexpr std::size_t kMemberNameBytesMax = 64;
constexpr core::Byte kAddressKindModule = 2;  // beside crypto's kAddressKindEd25519 (0), kAddressKindMultisig (1)
constexpr std::uint64_t kEpochBlocksMax = 10'000'000;
const std::string kKindList = "bond, unbond, evidence, proposal_evidence, delegate, undelegate, claim";

core::Bytes key_of(std::string_view prefix, core::ByteView rest = {}) {
  core::Bytes key(prefix.begin(), prefix.end());
  key.insert(key.end(), rest.begin(), rest.end());
  return key;
}

core::Bytes be64(std::uint64_t v) {
  core::Bytes out(8);
  for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<std::size_t>(i)] = static_cast<core::Byte>(v & 0xff);
  return out;
}

core::Bytes vset_key(std::uint32_t page) {
  core::Bytes b = be64(page);
  return key_of(kVsetPrefix, core::ByteView(b).subspan(4));
}

bool starts_with(core::ByteView key, std::string_view prefix) {
  return key.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), key.begin());
}

// floor(amount * part / whole) without overflow (part <= whole).
std::uint64_t share(std::uint64_t amount, std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 0 : static_cast<std::uint64_t>(static_cast<U128>(amount) * part / whole);
}

core::Error genesis_invalid(const std::string& why) { return make_error(ErrorCode::kGenesisInvalid, "modules.econ: " + why); }
core::Error malformed(const std::string& why) { return make_error(ErrorCode::kTxMalformed, why); }

core::Result<Split> split_from_json(const json& j, std::string_view name, bool burn_allowed,
                                    core::Error (*invalid)(const std::string&) = genesis_invalid) {
  const std::string where = std::string(name);
  if (!j.is_object()) return invalid(where + " must be {\"burn\", \"treasury\", \"proposer\", \"validators\"} in basis points");
  Split s;
  std::uint64_t sum = 0;
  for (const auto& [field, value] : j.items()) {
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() > kBasisPoints) {
      return invalid(where + "." + field + " must be 0 to 10000 basis points");
    }
    const auto bps = static_cast<std::uint32_t>(value.get<std::uint64_t>());
    if (field == "burn") s.burn = bps;
    else if (field == "treasury") s.treasury = bps;
    else if (field == "proposer") s.proposer = bps;
    else if (field == "validators") s.validators = bps;
    else return invalid(where + ": unknown field '" + field + "'");
    sum += bps;
  }
  if (sum != kBasisPoints) return invalid(where + " adds up to " + std::to_string(sum) + " basis points, not 10000");
  if (!burn_allowed && s.burn != 0) return invalid(where + ".burn must be 0 (issuing to burn is no issuance)");
  return s;
}

// Where one pool goes.
struct Parts {
  std::uint64_t burn = 0;
  std::uint64_t treasury = 0;
  std::uint64_t proposer = 0;
  std::uint64_t validators = 0;
};

void add_split(Parts& parts, std::uint64_t pool, const Split& s) {
  const std::uint64_t burn = share(pool, s.burn, kBasisPoints);
  const std::uint64_t proposer = share(pool, s.proposer, kBasisPoints);
  const std::uint64_t validators = share(pool, s.validators, kBasisPoints);
  // The treasury's part takes every rounding remainder.
  const std::uint64_t treasury = pool - burn - proposer - validators;
  parts.burn += burn;
  parts.treasury += treasury;
  parts.proposer += proposer;
  parts.validators += validators;
}

core::Result<std::vector<crypto::Address>> read_addresses(const std::function<core::Result<std::optional<core::Bytes>>(core::ByteView)>& get) {
  std::vector<crypto::Address> out;
  for (std::uint32_t page = 0;; ++page) {
    MN_TRY_ASSIGN(auto bytes, get(vset_key(page)));
    if (!bytes) break;
    core::Reader r(*bytes);
    MN_TRY_ASSIGN(auto addresses, r.vector<crypto::Address>(kValidatorsPerPage, [](core::Reader& in) { return crypto::Address::decode(in); }));
    MN_TRY(r.finish());
    out.insert(out.end(), addresses.begin(), addresses.end());
  }
  return out;
}

// The sorted validator addresses, in pages of kValidatorsPerPage.
core::Status write_addresses(ledger::ModuleState& state, const std::vector<crypto::Address>& addresses) {
  for (std::size_t at = 0; at < addresses.size(); at += kValidatorsPerPage) {
    std::vector<crypto::Address> page(addresses.begin() + static_cast<std::ptrdiff_t>(at),
                                      addresses.begin() + static_cast<std::ptrdiff_t>(std::min(addresses.size(), at + kValidatorsPerPage)));
    core::Writer w;
    w.vector(page, kValidatorsPerPage, [](core::Writer& out, const crypto::Address& a) { a.encode(out); });
    MN_TRY(state.put(vset_key(static_cast<std::uint32_t>(at / kValidatorsPerPage)), std::move(w).take()));
  }
  return {};
}

core::Error corrupt(std::string_view what, const core::Error& e) {
  return make_error(ErrorCode::kStateCorrupt, "econ " + std::string(what) + " does not decode: " + e.to_string());
}

template <typename T>
core::Result<std::optional<T>> read_as(const ledger::StateReader& state, core::ByteView key, std::string_view what) {
  MN_TRY_ASSIGN(auto bytes, state.get(ledger::state_tree_key(kEconModule, key)));
  if (!bytes) return std::optional<T>{};
  auto value = core::decode<T>(*bytes);
  if (!value.ok()) return corrupt(what, value.error());
  return std::optional<T>{std::move(value).value()};
}

}  // namespace

void Split::encode(core::Writer& w) const {
  w.u32(burn);
  w.u32(treasury);
  w.u32(proposer);
  w.u32(validators);
}
core::Result<Split> Split::decode(core::Reader& r) {
  Split s;
  MN_TRY_ASSIGN(s.burn, r.u32());
  MN_TRY_ASSIGN(s.treasury, r.u32());
  MN_TRY_ASSIGN(s.proposer, r.u32());
  MN_TRY_ASSIGN(s.validators, r.u32());
  return s;
}
json Split::to_json() const {
  return {{"burn", burn}, {"treasury", treasury}, {"proposer", proposer}, {"validators", validators}};
}

void EconRatios::encode(core::Writer& w) const {
  w.u64(epoch_blocks);
  base_fee_split.encode(w);
  tip_split.encode(w);
  reward_split.encode(w);
  w.u32(slash_bps);
}
core::Result<EconRatios> EconRatios::decode(core::Reader& r) {
  EconRatios x;
  MN_TRY_ASSIGN(x.epoch_blocks, r.u64());
  MN_TRY_ASSIGN(x.base_fee_split, Split::decode(r));
  MN_TRY_ASSIGN(x.tip_split, Split::decode(r));
  MN_TRY_ASSIGN(x.reward_split, Split::decode(r));
  MN_TRY_ASSIGN(x.slash_bps, r.u32());
  return x;
}
json EconRatios::to_json() const {
  return {{"epoch_blocks", epoch_blocks},
          {"base_fee_split", base_fee_split.to_json()},
          {"tip_split", tip_split.to_json()},
          {"reward_split", reward_split.to_json()},
          {"slash_bps", slash_bps}};
}
core::Result<EconRatios> EconRatios::from_json(const json& fields) {
  if (!fields.is_object()) return malformed("payload.ratios must be an object");
  for (const auto& [field, value] : fields.items()) {
    if (field != "epoch_blocks" && field != "base_fee_split" && field != "tip_split" && field != "reward_split" &&
        field != "slash_bps") {
      return malformed("payload.ratios: unknown field '" + field + "'");
    }
  }
  for (const char* field : {"epoch_blocks", "base_fee_split", "tip_split", "reward_split"}) {
    if (!fields.contains(field)) return malformed(std::string("payload.ratios.") + field + " is missing");
  }
  EconRatios x;
  const json& epoch = fields.at("epoch_blocks");
  if (!epoch.is_number_unsigned()) return malformed("payload.ratios.epoch_blocks must be a number of blocks");
  x.epoch_blocks = epoch.get<std::uint64_t>();
  MN_TRY_ASSIGN(x.base_fee_split, split_from_json(fields.at("base_fee_split"), "payload.ratios.base_fee_split", true, malformed));
  MN_TRY_ASSIGN(x.tip_split, split_from_json(fields.at("tip_split"), "payload.ratios.tip_split", true, malformed));
  MN_TRY_ASSIGN(x.reward_split, split_from_json(fields.at("reward_split"), "payload.ratios.reward_split", false, malformed));
  if (fields.contains("slash_bps")) {
    const json& slash = fields.at("slash_bps");
    if (!slash.is_number_unsigned() || slash.get<std::uint64_t>() > kBasisPoints) {
      return malformed("payload.ratios.slash_bps must be 0 to 10000 basis points");
    }
    x.slash_bps = slash.get<std::uint32_t>();
  }
  MN_TRY(x.check());
  return x;
}
core::Status EconRatios::check() const {
  if (epoch_blocks < 1 || epoch_blocks > kEpochBlocksMax) {
    return malformed("epoch_blocks must be 1 to " + std::to_string(kEpochBlocksMax));
  }
  const auto sum = [](const Split& x) {
    return std::uint64_t{x.burn} + x.treasury + x.proposer + x.validators;
  };
  for (const auto& [name, split] : {std::pair<const char*, const Split*>{"base_fee_split", &base_fee_split},
                                    {"tip_split", &tip_split}, {"reward_split", &reward_split}}) {
    if (sum(*split) != kBasisPoints) {
      return malformed(std::string(name) + " adds up to " + std::to_string(sum(*split)) + " basis points, not 10000");
    }
  }
  if (reward_split.burn != 0) return malformed("reward_split.burn must be 0 (issuing to burn is no issuance)");
  if (slash_bps > kBasisPoints) return malformed("slash_bps must be 0 to 10000 basis points");
  return {};
}

void EconParams::encode(core::Writer& w) const {
  w.u64(epoch_blocks);
  base_fee_split.encode(w);
  tip_split.encode(w);
  w.u64(block_reward);
  w.u64(halving_blocks);
  reward_split.encode(w);
  w.u64(unbonding_blocks);
  w.u32(slash_bps);
}
core::Result<EconParams> EconParams::decode(core::Reader& r) {
  EconParams p;
  MN_TRY_ASSIGN(p.epoch_blocks, r.u64());
  MN_TRY_ASSIGN(p.base_fee_split, Split::decode(r));
  MN_TRY_ASSIGN(p.tip_split, Split::decode(r));
  MN_TRY_ASSIGN(p.block_reward, r.u64());
  MN_TRY_ASSIGN(p.halving_blocks, r.u64());
  MN_TRY_ASSIGN(p.reward_split, Split::decode(r));
  MN_TRY_ASSIGN(p.unbonding_blocks, r.u64());
  MN_TRY_ASSIGN(p.slash_bps, r.u32());
  if (p.slash_bps > kBasisPoints) return make_error(ErrorCode::kDecodeInvalidValue, "slash_bps past 10000");
  return p;
}
json EconParams::to_json() const {
  return {{"epoch_blocks", epoch_blocks},       {"base_fee_split", base_fee_split.to_json()},
          {"tip_split", tip_split.to_json()},   {"block_reward", ledger::u64_to_json(block_reward)},
          {"halving_blocks", halving_blocks},   {"reward_split", reward_split.to_json()},
          {"unbonding_blocks", unbonding_blocks}, {"slash_bps", slash_bps}};
}
std::uint64_t EconParams::reward_at(std::uint64_t height) const {
  if (block_reward == 0 || height == 0) return 0;
  if (halving_blocks == 0) return block_reward;
  const std::uint64_t halvings = (height - 1) / halving_blocks;
  return halvings >= 64 ? 0 : block_reward >> halvings;
}

void EconSupply::encode(core::Writer& w) const {
  w.u64(genesis);
  w.u64(issued);
  w.u64(burned);
  w.u64(accrued);
  w.u64(epoch_pool);
  w.u64(epoch);
  w.u64(epoch_end);
  w.u64(treasury);
  w.u64(bonded);
  w.u64(unbonding);
  w.u64(delegated);
  w.u64(delegation_unbonding);
  w.u64(delegator_owed);
}
core::Result<EconSupply> EconSupply::decode(core::Reader& r) {
  EconSupply s;
  MN_TRY_ASSIGN(s.genesis, r.u64());
  MN_TRY_ASSIGN(s.issued, r.u64());
  MN_TRY_ASSIGN(s.burned, r.u64());
  MN_TRY_ASSIGN(s.accrued, r.u64());
  MN_TRY_ASSIGN(s.epoch_pool, r.u64());
  MN_TRY_ASSIGN(s.epoch, r.u64());
  MN_TRY_ASSIGN(s.epoch_end, r.u64());
  MN_TRY_ASSIGN(s.treasury, r.u64());
  MN_TRY_ASSIGN(s.bonded, r.u64());
  MN_TRY_ASSIGN(s.unbonding, r.u64());
  MN_TRY_ASSIGN(s.delegated, r.u64());
  MN_TRY_ASSIGN(s.delegation_unbonding, r.u64());
  MN_TRY_ASSIGN(s.delegator_owed, r.u64());
  return s;
}
json EconSupply::to_json() const {
  return {{"genesis", ledger::u64_to_json(genesis)},     {"issued", ledger::u64_to_json(issued)},
          {"burned", ledger::u64_to_json(burned)},       {"accrued", ledger::u64_to_json(accrued)},
          {"epoch_pool", ledger::u64_to_json(epoch_pool)}, {"epoch", epoch}, {"epoch_end", epoch_end},
          {"treasury_credited", ledger::u64_to_json(treasury)}, {"bonded", ledger::u64_to_json(bonded)},
          {"unbonding", ledger::u64_to_json(unbonding)}, {"delegated", ledger::u64_to_json(delegated)},
          {"delegation_unbonding", ledger::u64_to_json(delegation_unbonding)},
          {"delegator_owed", ledger::u64_to_json(delegator_owed)}, {"total", ledger::u64_to_json(total())}};
}

void ValidatorEcon::encode(core::Writer& w) const {
  w.u64(stake);
  w.u64(next_stake);
  w.u64(accrued);
  w.u64(paid_total);
  w.u64(last_paid);
  w.u64(last_paid_epoch);
  w.vector(unbonding, kUnbondingEntriesMax, [](core::Writer& out, const Unbonding& u) {
    out.u64(u.release_height);
    out.u64(u.amount);
  });
  w.boolean(slashed);
}
core::Result<ValidatorEcon> ValidatorEcon::decode(core::Reader& r) {
  ValidatorEcon v;
  MN_TRY_ASSIGN(v.stake, r.u64());
  MN_TRY_ASSIGN(v.next_stake, r.u64());
  MN_TRY_ASSIGN(v.accrued, r.u64());
  MN_TRY_ASSIGN(v.paid_total, r.u64());
  MN_TRY_ASSIGN(v.last_paid, r.u64());
  MN_TRY_ASSIGN(v.last_paid_epoch, r.u64());
  MN_TRY_ASSIGN(v.unbonding, r.vector<Unbonding>(kUnbondingEntriesMax, [](core::Reader& in) -> core::Result<Unbonding> {
    Unbonding u;
    MN_TRY_ASSIGN(u.release_height, in.u64());
    MN_TRY_ASSIGN(u.amount, in.u64());
    return u;
  }));
  MN_TRY_ASSIGN(v.slashed, r.boolean());
  return v;
}
json ValidatorEcon::to_json() const {
  json entries = json::array();
  for (const auto& u : unbonding) entries.push_back({{"release_height", u.release_height}, {"amount", ledger::u64_to_json(u.amount)}});
  return {{"stake", ledger::u64_to_json(stake)},          {"next_stake", ledger::u64_to_json(next_stake)},
          {"accrued", ledger::u64_to_json(accrued)},      {"paid_total", ledger::u64_to_json(paid_total)},
          {"last_paid", ledger::u64_to_json(last_paid)},  {"last_paid_epoch", last_paid_epoch},
          {"unbonding", entries},                         {"slashed", slashed}};
}

core::Result<StakeChange> StakeChange::decode(core::Reader& r) {
  StakeChange c;
  MN_TRY_ASSIGN(c.amount, r.u64());
  return c;
}
ledger::Payload bond_payload(std::uint64_t amount) {
  return ledger::Payload{std::string(kEconModule), std::string(kBondKind), core::encode(StakeChange{amount})};
}
ledger::Payload unbond_payload(std::uint64_t amount) {
  return ledger::Payload{std::string(kEconModule), std::string(kUnbondKind), core::encode(StakeChange{amount})};
}

namespace {

core::Error evidence_invalid(const std::string& why) { return make_error(ErrorCode::kEconEvidenceInvalid, "evidence: " + why); }

json vote_to_json(const crypto::VoteData& v, const crypto::Signature& signature) {
  json j = {{"kind", std::string(crypto::vote_kind_name(v.kind))},
            {"height", v.height},
            {"round", v.round},
            {"block_id", core::to_hex(v.block_id)},
            {"signature", signature.to_hex()}};
  j["commit"] = v.commit ? json{{"height", v.commit->height}, {"block_id", core::to_hex(v.commit->block_id)}} : json(nullptr);
  return j;
}

core::Result<std::pair<crypto::VoteData, crypto::Signature>> vote_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) return malformed(where + " must be an object (kind, height, round, block_id, commit, signature)");
  for (const char* field : {"kind", "height", "round", "block_id", "signature"}) {
    if (!j.contains(field)) return malformed(where + "." + field + " is missing");
  }
  crypto::VoteData v;
  const json& kind = j.at("kind");
  if (!kind.is_string()) return malformed(where + ".kind must be prepare, commit, vote or timeout");
  bool known = false;
  for (const auto k : {crypto::VoteKind::kPrepare, crypto::VoteKind::kCommit, crypto::VoteKind::kHotStuff, crypto::VoteKind::kTimeout}) {
    if (kind.get<std::string>() == crypto::vote_kind_name(k)) {
      v.kind = k;
      known = true;
    }
  }
  if (!known) return malformed(where + ".kind must be prepare, commit, vote or timeout");
  for (const char* field : {"height", "round"}) {
    if (!j.at(field).is_number_unsigned()) return malformed(where + "." + field + " must be a non-negative integer");
  }
  v.height = j.at("height").get<std::uint64_t>();
  v.round = j.at("round").get<std::uint64_t>();
  const auto hash = [&](const json& text, const std::string& name) -> core::Result<core::Hash32> {
    if (!text.is_string()) return malformed(name + " must be 64 hex characters");
    auto h = core::array_from_hex<32>(text.get<std::string>());
    if (!h.ok()) return malformed(name + ": " + h.error().message);
    return *h;
  };
  MN_TRY_ASSIGN(v.block_id, hash(j.at("block_id"), where + ".block_id"));
  if (j.contains("commit") && !j.at("commit").is_null()) {
    const json& c = j.at("commit");
    if (!c.is_object() || !c.contains("height") || !c.at("height").is_number_unsigned() || !c.contains("block_id")) {
      return malformed(where + ".commit must be {height, block_id} or null");
    }
    crypto::CommitTarget t;
    t.height = c.at("height").get<std::uint64_t>();
    MN_TRY_ASSIGN(t.block_id, hash(c.at("block_id"), where + ".commit.block_id"));
    v.commit = t;
  }
  if (!j.at("signature").is_string()) return malformed(where + ".signature must be 128 hex characters");
  auto signature = crypto::Signature::from_hex(j.at("signature").get<std::string>());
  if (!signature.ok()) return malformed(where + ".signature: " + signature.error().message);
  return std::pair{v, *signature};
}

}  // namespace

void EquivocationEvidence::encode(core::Writer& w) const {
  w.u64(epoch);
  offender.encode(w);
  first.encode(w);
  first_signature.encode(w);
  second.encode(w);
  second_signature.encode(w);
}
core::Result<EquivocationEvidence> EquivocationEvidence::decode(core::Reader& r) {
  EquivocationEvidence e;
  MN_TRY_ASSIGN(e.epoch, r.u64());
  MN_TRY_ASSIGN(e.offender, crypto::PublicKey::decode(r));
  MN_TRY_ASSIGN(e.first, crypto::VoteData::decode(r));
  MN_TRY_ASSIGN(e.first_signature, crypto::Signature::decode(r));
  MN_TRY_ASSIGN(e.second, crypto::VoteData::decode(r));
  MN_TRY_ASSIGN(e.second_signature, crypto::Signature::decode(r));
  return e;
}
json EquivocationEvidence::to_json() const {
  return {{"epoch", epoch},
          {"offender", offender.to_hex()},
          {"offender_address", crypto::Address::from_public_key(offender).to_string()},
          {"first", vote_to_json(first, first_signature)},
          {"second", vote_to_json(second, second_signature)}};
}
core::Result<EquivocationEvidence> EquivocationEvidence::from_json(const json& fields) {
  if (!fields.is_object()) return malformed("payload must be an object (epoch, offender, first, second)");
  for (const auto& [field, value] : fields.items()) {
    // module and kind: the transaction JSON's payload carries them beside the fields.
    if (field != "epoch" && field != "offender" && field != "offender_address" && field != "first" && field != "second" &&
        field != "module" && field != "kind") {
      return malformed("payload: unknown field '" + field + "'");
    }
  }
  for (const char* field : {"epoch", "offender", "first", "second"}) {
    if (!fields.contains(field)) return malformed(std::string("payload.") + field + " is missing");
  }
  EquivocationEvidence e;
  if (!fields.at("epoch").is_number_unsigned()) return malformed("payload.epoch must be a non-negative integer");
  e.epoch = fields.at("epoch").get<std::uint64_t>();
  if (!fields.at("offender").is_string()) return malformed("payload.offender must be an Ed25519 public key in hex");
  auto offender = crypto::PublicKey::from_hex(fields.at("offender").get<std::string>());
  if (!offender.ok()) return malformed("payload.offender: " + offender.error().message);
  e.offender = *offender;
  MN_TRY_ASSIGN(auto first, vote_from_json(fields.at("first"), "payload.first"));
  MN_TRY_ASSIGN(auto second, vote_from_json(fields.at("second"), "payload.second"));
  e.first = first.first;
  e.first_signature = first.second;
  e.second = second.first;
  e.second_signature = second.second;
  return e;
}
core::Status EquivocationEvidence::verify(const core::Hash32& genesis_digest) const {
  if (!crypto::votes_conflict(first, second)) {
    return evidence_invalid("the votes do not conflict (equivocation is two different votes of one kind, height and round; timeouts never conflict)");
  }
  const core::Hash32 chain_id = crypto::epoch_chain_id(crypto::consensus_chain_id(genesis_digest), epoch);
  if (!crypto::verify_digest(offender, first.signing_digest(chain_id), first_signature)) {
    return evidence_invalid("the first vote's signature does not verify for the offender's key in epoch " + std::to_string(epoch));
  }
  if (!crypto::verify_digest(offender, second.signing_digest(chain_id), second_signature)) {
    return evidence_invalid("the second vote's signature does not verify for the offender's key in epoch " + std::to_string(epoch));
  }
  return {};
}
ledger::Payload evidence_payload(const EquivocationEvidence& evidence) {
  return ledger::Payload{std::string(kEconModule), std::string(kEvidenceKind), core::encode(evidence)};
}

namespace {
json proposal_to_json(const crypto::SignedProposal& p) {
  return {{"height", p.height},
          {"round", p.round},
          {"block_id", core::to_hex(p.block_id)},
          {"block_preimage", core::to_hex(p.block_preimage)},
          {"signature", p.signature.to_hex()}};
}
core::Result<crypto::SignedProposal> proposal_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) return malformed(where + " must be an object (height, round, block_id, block_preimage, signature)");
  for (const char* field : {"height", "round", "block_id", "block_preimage", "signature"}) {
    if (!j.contains(field)) return malformed(where + "." + field + " is missing");
  }
  crypto::SignedProposal p;
  for (const char* field : {"height", "round"}) {
    if (!j.at(field).is_number_unsigned()) return malformed(where + "." + field + " must be a non-negative integer");
  }
  p.height = j.at("height").get<std::uint64_t>();
  p.round = j.at("round").get<std::uint64_t>();
  if (!j.at("block_id").is_string()) return malformed(where + ".block_id must be 64 hex characters");
  auto id = core::array_from_hex<32>(j.at("block_id").get<std::string>());
  if (!id.ok()) return malformed(where + ".block_id: " + id.error().message);
  p.block_id = *id;
  if (!j.at("block_preimage").is_string()) return malformed(where + ".block_preimage must be hex");
  auto preimage = core::from_hex(j.at("block_preimage").get<std::string>());
  if (!preimage.ok() || preimage->size() > crypto::kBlockPreimageBytesMax) return malformed(where + ".block_preimage must be hex of at most 64 KiB");
  p.block_preimage = std::move(preimage).value();
  if (!j.at("signature").is_string()) return malformed(where + ".signature must be 128 hex characters");
  auto signature = crypto::Signature::from_hex(j.at("signature").get<std::string>());
  if (!signature.ok()) return malformed(where + ".signature: " + signature.error().message);
  p.signature = *signature;
  return p;
}
}  // namespace

void ProposalEvidence::encode(core::Writer& w) const {
  w.u64(epoch);
  offender.encode(w);
  w.u8(static_cast<std::uint8_t>(form));
  first.encode(w);
  second.encode(w);
}
core::Result<ProposalEvidence> ProposalEvidence::decode(core::Reader& r) {
  ProposalEvidence e;
  MN_TRY_ASSIGN(e.epoch, r.u64());
  MN_TRY_ASSIGN(e.offender, crypto::PublicKey::decode(r));
  MN_TRY_ASSIGN(auto form, r.u8());
  if (form < 1 || form > 2) return make_error(ErrorCode::kDecodeInvalidValue, "unknown proposal form " + std::to_string(form));
  e.form = static_cast<crypto::ProposalForm>(form);
  MN_TRY_ASSIGN(e.first, crypto::SignedProposal::decode(r));
  MN_TRY_ASSIGN(e.second, crypto::SignedProposal::decode(r));
  return e;
}
json ProposalEvidence::to_json() const {
  return {{"epoch", epoch},
          {"offender", offender.to_hex()},
          {"offender_address", crypto::Address::from_public_key(offender).to_string()},
          {"form", form == crypto::ProposalForm::kHotStuff ? "hotstuff" : "ibft"},
          {"first", proposal_to_json(first)},
          {"second", proposal_to_json(second)}};
}
core::Result<ProposalEvidence> ProposalEvidence::from_json(const json& fields) {
  if (!fields.is_object()) return malformed("payload must be an object (epoch, offender, form, first, second)");
  for (const auto& [field, value] : fields.items()) {
    if (field != "epoch" && field != "offender" && field != "offender_address" && field != "form" && field != "first" &&
        field != "second" && field != "module" && field != "kind") {
      return malformed("payload: unknown field '" + field + "'");
    }
  }
  for (const char* field : {"epoch", "offender", "form", "first", "second"}) {
    if (!fields.contains(field)) return malformed(std::string("payload.") + field + " is missing");
  }
  ProposalEvidence e;
  if (!fields.at("epoch").is_number_unsigned()) return malformed("payload.epoch must be a non-negative integer");
  e.epoch = fields.at("epoch").get<std::uint64_t>();
  if (!fields.at("offender").is_string()) return malformed("payload.offender must be an Ed25519 public key in hex");
  auto offender = crypto::PublicKey::from_hex(fields.at("offender").get<std::string>());
  if (!offender.ok()) return malformed("payload.offender: " + offender.error().message);
  e.offender = *offender;
  const json& form = fields.at("form");
  if (form == "ibft") {
    e.form = crypto::ProposalForm::kIbftPrePrepare;
  } else if (form == "hotstuff") {
    e.form = crypto::ProposalForm::kHotStuff;
  } else {
    return malformed("payload.form must be ibft or hotstuff");
  }
  MN_TRY_ASSIGN(e.first, proposal_from_json(fields.at("first"), "payload.first"));
  MN_TRY_ASSIGN(e.second, proposal_from_json(fields.at("second"), "payload.second"));
  return e;
}
core::Status ProposalEvidence::verify(const core::Hash32& genesis_digest) const {
  if (!crypto::proposals_conflict(form, first, second)) {
    return evidence_invalid("the proposals do not conflict (equivocation is two blocks for one height and round, or one view)");
  }
  const core::Hash32 chain_id = crypto::epoch_chain_id(crypto::consensus_chain_id(genesis_digest), epoch);
  for (const auto& [which, p] : {std::pair<const char*, const crypto::SignedProposal*>{"first", &first}, {"second", &second}}) {
    auto digest = p->signing_digest(form, chain_id);
    if (!digest.ok()) return evidence_invalid(std::string("the ") + which + " proposal: " + digest.error().message);
    if (!crypto::verify_digest(offender, *digest, p->signature)) {
      return evidence_invalid(std::string("the ") + which + " proposal's signature does not verify for the offender's key in epoch " +
                              std::to_string(epoch));
    }
  }
  return {};
}
ledger::Payload proposal_evidence_payload(const ProposalEvidence& evidence) {
  return ledger::Payload{std::string(kEconModule), std::string(kProposalEvidenceKind), core::encode(evidence)};
}

void SlashRecord::encode(core::Writer& w) const {
  w.u64(epoch);
  w.u8(kind);
  w.u64(vote_height);
  w.u64(vote_round);
  w.u64(height);
  w.u64(amount);
  reporter.encode(w);
  w.array(evidence);
}
core::Result<SlashRecord> SlashRecord::decode(core::Reader& r) {
  SlashRecord x;
  MN_TRY_ASSIGN(x.epoch, r.u64());
  MN_TRY_ASSIGN(x.kind, r.u8());
  if (x.kind < 1 || x.kind > kSlashForProposals) return make_error(ErrorCode::kDecodeInvalidValue, "unknown slash kind " + std::to_string(x.kind));
  MN_TRY_ASSIGN(x.vote_height, r.u64());
  MN_TRY_ASSIGN(x.vote_round, r.u64());
  MN_TRY_ASSIGN(x.height, r.u64());
  MN_TRY_ASSIGN(x.amount, r.u64());
  MN_TRY_ASSIGN(x.reporter, crypto::Address::decode(r));
  MN_TRY_ASSIGN(x.evidence, r.array<32>());
  return x;
}
json SlashRecord::to_json() const {
  return {{"epoch", epoch},
          {"kind", kind == kSlashForProposals ? std::string("proposal") : std::string(crypto::vote_kind_name(static_cast<crypto::VoteKind>(kind)))},
          {"vote_height", vote_height},
          {"vote_round", vote_round},
          {"height", height},
          {"amount", ledger::u64_to_json(amount)},
          {"reporter", reporter.to_string()},
          {"evidence", core::to_hex(evidence)}};
}
core::Bytes econ_slash_key(const crypto::Address& validator) { return key_of(kSlashPrefix, validator.bytes); }
core::Result<std::optional<SlashRecord>> read_slash(const ledger::StateReader& state, const crypto::Address& validator) {
  return read_as<SlashRecord>(state, econ_slash_key(validator), "slash record");
}

core::Status check_supply(const EconSupply& supply, std::uint64_t balances) {
  const U128 held = U128(balances) + supply.accrued + supply.bonded + supply.unbonding + supply.delegated +
                    supply.delegation_unbonding + supply.delegator_owed;
  if (held == supply.total()) return {};
  const auto text = [](U128 v) {
    std::string out;
    do {
      out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
      v /= 10;
    } while (v != 0);
    return out;
  };
  return make_error(ErrorCode::kStateCorrupt,
                    "the supply does not add up: balances " + std::to_string(balances) + " + accrued " +
                        std::to_string(supply.accrued) + " + bonded " + std::to_string(supply.bonded) + " + unbonding " +
                        std::to_string(supply.unbonding) + " + delegated " + std::to_string(supply.delegated) +
                        " + delegation unbonding " + std::to_string(supply.delegation_unbonding) + " + delegators' rewards " +
                        std::to_string(supply.delegator_owed) + " = " + text(held) + ", but genesis " +
                        std::to_string(supply.genesis) + " + issued " + std::to_string(supply.issued) + " - burned " +
                        std::to_string(supply.burned) + " = " + std::to_string(supply.total()));
}

void EpochPayout::encode(core::Writer& w) const {
  w.u64(epoch);
  w.u64(height);
  w.u64(validators_pool);
  w.u64(proposer_shares);
  w.u64(paid);
  w.u64(to_treasury);
  w.u32(validators);
  w.u64(to_delegators);
}
core::Result<EpochPayout> EpochPayout::decode(core::Reader& r) {
  EpochPayout p;
  MN_TRY_ASSIGN(p.epoch, r.u64());
  MN_TRY_ASSIGN(p.height, r.u64());
  MN_TRY_ASSIGN(p.validators_pool, r.u64());
  MN_TRY_ASSIGN(p.proposer_shares, r.u64());
  MN_TRY_ASSIGN(p.paid, r.u64());
  MN_TRY_ASSIGN(p.to_treasury, r.u64());
  MN_TRY_ASSIGN(p.validators, r.u32());
  MN_TRY_ASSIGN(p.to_delegators, r.u64());
  return p;
}
json EpochPayout::to_json() const {
  return {{"epoch", epoch},
          {"height", height},
          {"validators_pool", ledger::u64_to_json(validators_pool)},
          {"proposer_shares", ledger::u64_to_json(proposer_shares)},
          {"paid", ledger::u64_to_json(paid)},
          {"to_treasury", ledger::u64_to_json(to_treasury)},
          {"to_delegators", ledger::u64_to_json(to_delegators)},
          {"validators", validators}};
}

namespace {

struct EpochSetHeader {
  std::uint64_t number = 0;
  std::uint64_t first_height = 0;
  std::uint64_t last_height = 0;
  std::uint32_t members = 0;
  void encode(core::Writer& w) const {
    w.u64(number);
    w.u64(first_height);
    w.u64(last_height);
    w.u32(members);
  }
  static core::Result<EpochSetHeader> decode(core::Reader& r) {
    EpochSetHeader h;
    MN_TRY_ASSIGN(h.number, r.u64());
    MN_TRY_ASSIGN(h.first_height, r.u64());
    MN_TRY_ASSIGN(h.last_height, r.u64());
    MN_TRY_ASSIGN(h.members, r.u32());
    if (h.members == 0 || h.members > kEpochMembersMax) return make_error(ErrorCode::kDecodeInvalidValue, "member count");
    return h;
  }
};

void encode_member(core::Writer& out, const EpochMember& m) {
  out.string(m.name, kMemberNameBytesMax);
  m.key.encode(out);
  out.u64(m.stake);
}

core::Result<EpochMember> decode_member(core::Reader& in) {
  EpochMember m;
  MN_TRY_ASSIGN(m.name, in.string(kMemberNameBytesMax));
  MN_TRY_ASSIGN(m.key, crypto::PublicKey::decode(in));
  MN_TRY_ASSIGN(m.stake, in.u64());
  return m;
}

core::Bytes epoch_page_key(std::uint64_t epoch, std::uint32_t page) {
  core::Bytes key = econ_epoch_set_key(epoch);
  for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<core::Byte>(page >> shift));
  return key;
}

core::Status write_epoch_set(ledger::ModuleState& state, const EpochSet& set) {
  MN_TRY(state.put_as(econ_epoch_set_key(set.number),
                      EpochSetHeader{set.number, set.first_height, set.last_height, static_cast<std::uint32_t>(set.members.size())}));
  for (std::size_t at = 0; at < set.members.size(); at += kEpochMembersPerPage) {
    const std::vector<EpochMember> page(set.members.begin() + static_cast<std::ptrdiff_t>(at),
                                        set.members.begin() + static_cast<std::ptrdiff_t>(std::min(set.members.size(), at + kEpochMembersPerPage)));
    core::Writer w;
    w.vector(page, kEpochMembersPerPage, encode_member);
    MN_TRY(state.put(epoch_page_key(set.number, static_cast<std::uint32_t>(at / kEpochMembersPerPage)), std::move(w).take()));
  }
  return {};
}

using Getter = std::function<core::Result<std::optional<core::Bytes>>(core::ByteView)>;

core::Result<std::optional<EpochSet>> load_epoch_set(const Getter& get, std::uint64_t number) {
  MN_TRY_ASSIGN(auto header_bytes, get(econ_epoch_set_key(number)));
  if (!header_bytes) return std::optional<EpochSet>{};
  auto header = core::decode<EpochSetHeader>(*header_bytes);
  if (!header.ok()) return make_error(ErrorCode::kStateCorrupt, "econ validator set " + std::to_string(number) + ": " + header.error().message);
  EpochSet set;
  set.number = header->number;
  set.first_height = header->first_height;
  set.last_height = header->last_height;
  for (std::uint32_t page = 0; set.members.size() < header->members; ++page) {
    MN_TRY_ASSIGN(auto bytes, get(epoch_page_key(number, page)));
    if (!bytes) return make_error(ErrorCode::kStateCorrupt, "econ validator set " + std::to_string(number) + " lacks a page");
    core::Reader r(*bytes);
    auto members = r.vector<EpochMember>(kEpochMembersPerPage, decode_member);
    if (!members.ok() || members->empty()) {
      return make_error(ErrorCode::kStateCorrupt, "econ validator set " + std::to_string(number) + " has a bad page");
    }
    for (auto& m : *members) set.members.push_back(std::move(m));
  }
  if (set.members.size() != header->members) {
    return make_error(ErrorCode::kStateCorrupt, "econ validator set " + std::to_string(number) + " has too many members");
  }
  return std::optional<EpochSet>(std::move(set));
}

}  // namespace

json EpochSet::to_json() const {
  json list = json::array();
  for (const auto& m : members) {
    list.push_back({{"name", m.name},
                    {"address", crypto::Address::from_public_key(m.key).to_string()},
                    {"public_key", m.key.to_hex()},
                    {"stake", ledger::u64_to_json(m.stake)}});
  }
  return {{"epoch", number},
          {"first_height", first_height},
          {"last_height", last_height == kSetOpenEnded ? json(nullptr) : json(last_height)},
          {"validators", list}};
}

void ValidatorCandidate::encode(core::Writer& w) const {
  w.string(name, kMemberNameBytesMax);
  key.encode(w);
  mldsa.encode(w);
}

core::Result<ValidatorCandidate> ValidatorCandidate::decode(core::Reader& r) {
  ValidatorCandidate c;
  MN_TRY_ASSIGN(c.name, r.string(kMemberNameBytesMax));
  MN_TRY_ASSIGN(c.key, crypto::PublicKey::decode(r));
  MN_TRY_ASSIGN(c.mldsa, crypto::MldsaPublicKey::decode(r));
  return c;
}

json ValidatorCandidate::to_json() const {
  return {{"name", name},
          {"address", crypto::Address::from_public_key(key).to_string()},
          {"public_key", key.to_hex()},
          {"mldsa_public_key", core::to_hex(mldsa.bytes)}};
}

core::Status ValidatorCandidate::check() const {
  if (name.empty() || name.size() > kMemberNameBytesMax ||
      !std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 0x7f; })) {
    return malformed("a validator's name is 1-64 printable characters without spaces");
  }
  return {};
}

core::Bytes gov_candidate_key(const crypto::Address& candidate) { return key_of(kGovCandidatePrefix, candidate.bytes); }

core::Bytes econ_epoch_set_key(std::uint64_t epoch) { return key_of(kEpochSetPrefix, be64(epoch)); }

core::Result<std::optional<EpochSet>> read_epoch_set_from(const EconGetter& get, std::uint64_t epoch) {
  return load_epoch_set(get, epoch);
}

std::vector<core::Bytes> econ_epoch_set_keys(const EpochSet& set) {
  std::vector<core::Bytes> keys{econ_epoch_set_key(set.number)};
  for (std::size_t at = 0; at < set.members.size(); at += kEpochMembersPerPage) {
    keys.push_back(epoch_page_key(set.number, static_cast<std::uint32_t>(at / kEpochMembersPerPage)));
  }
  return keys;
}

core::Result<std::optional<EpochSet>> read_epoch_set(const ledger::StateReader& state, std::uint64_t epoch) {
  return load_epoch_set([&state](core::ByteView key) { return state.get(ledger::state_tree_key(kEconModule, key)); }, epoch);
}

void EpochNumber::encode(core::Writer& w) const { w.u64(number); }
core::Result<EpochNumber> EpochNumber::decode(core::Reader& r) {
  EpochNumber n;
  MN_TRY_ASSIGN(n.number, r.u64());
  return n;
}

core::Result<std::uint64_t> read_latest_epoch_set(const ledger::StateReader& state) {
  MN_TRY_ASSIGN(auto n, read_as<EpochNumber>(state, key_of(kEpochSetLatestKey), "latest epoch set"));
  return n ? n->number : 0;
}

crypto::Address treasury_address() {
  static const crypto::Address address = crypto::Address::from_kind(kAddressKindModule, core::as_bytes("econ/treasury"));
  return address;
}

core::Bytes econ_validator_key(const crypto::Address& validator) { return key_of(kValidatorPrefix, validator.bytes); }
core::Bytes econ_payout_key(std::uint64_t epoch) { return key_of(kPayoutPrefix, be64(epoch)); }

core::Result<EconSupply> read_supply(const ledger::StateReader& state) {
  MN_TRY_ASSIGN(auto supply, read_as<EconSupply>(state, core::as_bytes(kEconSupplyKey), "supply"));
  if (!supply) return make_error(ErrorCode::kStateCorrupt, "econ supply record is missing");
  return *supply;
}
core::Result<EconParams> read_params(const ledger::StateReader& state) {
  MN_TRY_ASSIGN(auto params, read_as<EconParams>(state, core::as_bytes(kEconParamsKey), "params"));
  if (!params) return make_error(ErrorCode::kStateCorrupt, "econ params record is missing");
  return *params;
}
core::Result<std::optional<ValidatorEcon>> read_validator_econ(const ledger::StateReader& state,
                                                              const crypto::Address& validator) {
  return read_as<ValidatorEcon>(state, econ_validator_key(validator), "validator record");
}
core::Result<std::vector<crypto::Address>> read_validator_addresses(const ledger::StateReader& state) {
  return read_addresses([&state](core::ByteView key) { return state.get(ledger::state_tree_key(kEconModule, key)); });
}
core::Result<std::optional<EpochPayout>> read_payout(const ledger::StateReader& state, std::uint64_t epoch) {
  return read_as<EpochPayout>(state, econ_payout_key(epoch), "payout record");
}

core::Result<std::uint64_t> read_total_stake(const ledger::StateReader& state) {
  MN_TRY_ASSIGN(const auto addresses, read_validator_addresses(state));
  std::uint64_t total = 0;
  for (const auto& a : addresses) {
    MN_TRY_ASSIGN(const auto record, read_validator_econ(state, a));
    if (!record) return make_error(ErrorCode::kStateCorrupt, "econ has no record of validator " + a.to_string());
    total += record->stake;
    if (record->stake == 0) continue;
    MN_TRY_ASSIGN(const auto pool, read_pool_from([&state](core::ByteView key) {
      return state.get(ledger::state_tree_key(kEconModule, key));
    }, a));
    if (pool) total += pool->tokens;
  }
  return total;
}

core::Result<EconGenesis> econ_genesis(const ledger::Genesis& genesis) {
  EconGenesis g;
  json section = json::object();
  genesis.module_section(kEconModule, section);
  if (!section.is_object()) return genesis_invalid("must be an object");
  std::map<std::string, std::uint64_t> stakes;
  for (const auto& [field, value] : section.items()) {
    if (field == "epoch_blocks") {
      if (!value.is_number_unsigned() || value.get<std::uint64_t>() < 1 || value.get<std::uint64_t>() > kEpochBlocksMax) {
        return genesis_invalid("epoch_blocks must be 1 to " + std::to_string(kEpochBlocksMax));
      }
      g.params.epoch_blocks = value.get<std::uint64_t>();
    } else if (field == "base_fee_split") {
      MN_TRY_ASSIGN(g.params.base_fee_split, split_from_json(value, field, true));
    } else if (field == "tip_split") {
      MN_TRY_ASSIGN(g.params.tip_split, split_from_json(value, field, true));
    } else if (field == "reward_split") {
      MN_TRY_ASSIGN(g.params.reward_split, split_from_json(value, field, false));
    } else if (field == "block_reward" || field == "halving_blocks" || field == "unbonding_blocks") {
      auto n = ledger::u64_from_json(value, "modules.econ." + field);
      if (!n.ok()) return genesis_invalid(n.error().message);
      if (field == "unbonding_blocks" && *n > kEpochBlocksMax) {
        return genesis_invalid("unbonding_blocks must be at most " + std::to_string(kEpochBlocksMax));
      }
      (field == "block_reward" ? g.params.block_reward : field == "halving_blocks" ? g.params.halving_blocks
                                                                                    : g.params.unbonding_blocks) = *n;
    } else if (field == "slash_bps") {
      if (!value.is_number_unsigned() || value.get<std::uint64_t>() > kBasisPoints) {
        return genesis_invalid("slash_bps must be 0 to 10000 basis points");
      }
      g.params.slash_bps = value.get<std::uint32_t>();
    } else if (field == "stakes") {
      if (!value.is_object()) return genesis_invalid("stakes must map validator names to stakes");
      for (const auto& [name, stake] : value.items()) {
        auto n = ledger::u64_from_json(stake, "modules.econ.stakes." + name);
        if (!n.ok() || *n == 0) return genesis_invalid("stakes." + name + " must be a positive integer");
        stakes[name] = *n;
      }
    } else {
      return genesis_invalid("unknown field '" + field + "'");
    }
  }
  for (const auto& v : genesis.validators) {
    const auto it = stakes.find(v.name);
    g.stakes.emplace_back(crypto::Address::from_public_key(v.ed25519_public_key), it == stakes.end() ? 1 : it->second);
    if (it != stakes.end()) stakes.erase(it);
  }
  if (!stakes.empty()) return genesis_invalid("stakes names '" + stakes.begin()->first + "', which is no genesis validator");
  std::sort(g.stakes.begin(), g.stakes.end());
  std::uint64_t total = 0;
  for (const auto& a : genesis.accounts) total += a.balance;  // Genesis::validate bounds it
  for (const auto& [address, stake] : g.stakes) {
    if (stake > std::numeric_limits<std::uint64_t>::max() - total) {
      return genesis_invalid("the stakes and the accounts add up past 2^64");
    }
    total += stake;
  }
  return g;
}

core::Status Econ::check_payload(const ledger::Payload& payload, const crypto::Address&) const {
  if (payload.kind == kProposalEvidenceKind) {
    auto evidence = core::decode<ProposalEvidence>(payload.data);
    if (!evidence.ok()) return malformed("econ proposal_evidence payload: " + evidence.error().to_string());
    if (!crypto::proposals_conflict(evidence->form, evidence->first, evidence->second)) {
      return make_error(ErrorCode::kEconEvidenceInvalid,
                        "evidence: the proposals do not conflict (two blocks for one height and round, or one view)");
    }
    return {};
  }
  if (payload.kind == kEvidenceKind) {
    auto evidence = core::decode<EquivocationEvidence>(payload.data);
    if (!evidence.ok()) return malformed("econ evidence payload: " + evidence.error().to_string());
    if (!crypto::votes_conflict(evidence->first, evidence->second)) {
      return make_error(ErrorCode::kEconEvidenceInvalid,
                        "evidence: the votes do not conflict (equivocation is two different votes of one kind, height and round)");
    }
    return {};
  }
  if (payload.kind == kClaimKind) {
    auto claim = core::decode<DelegationClaim>(payload.data);
    if (!claim.ok()) return malformed("econ claim payload: " + claim.error().to_string());
    return {};
  }
  if (payload.kind == kDelegateKind || payload.kind == kUndelegateKind) {
    auto change = core::decode<DelegationChange>(payload.data);
    if (!change.ok()) return malformed("econ " + payload.kind + " payload: " + change.error().to_string());
    if (change->amount == 0) return malformed(payload.kind + " amount is zero");
    return {};
  }
  if (payload.kind != kBondKind && payload.kind != kUnbondKind) {
    return make_error(ErrorCode::kTxUnknownPayload, "the econ module has no payload kind '" + payload.kind + "' (it has: " + kKindList + ")");
  }
  auto change = core::decode<StakeChange>(payload.data);
  if (!change.ok()) return malformed("econ " + payload.kind + " payload: " + change.error().to_string());
  if (change->amount == 0) return malformed(payload.kind + " amount is zero");
  return {};
}

namespace {

// Verified evidence burns params.slash_bps of the offender's bonded and unbonding stake, once.
// What both kinds of evidence name, and the check of their signatures.
struct Offence {
  std::uint64_t epoch = 0;
  crypto::PublicKey offender;
  std::uint8_t kind = 0;  // SlashRecord::kind
  std::uint64_t height = 0;
  std::uint64_t round = 0;
  std::function<core::Status(const core::Hash32& genesis_digest)> verify;
};

Offence offence_of(const ledger::Payload& payload) {
  // check_payload decoded it
  if (payload.kind == kProposalEvidenceKind) {
    auto e = std::make_shared<const ProposalEvidence>(core::decode<ProposalEvidence>(payload.data).value());
    return Offence{e->epoch, e->offender, kSlashForProposals, std::min(e->first.height, e->second.height), e->first.round,
                   [e](const core::Hash32& digest) { return e->verify(digest); }};
  }
  auto e = std::make_shared<const EquivocationEvidence>(core::decode<EquivocationEvidence>(payload.data).value());
  return Offence{e->epoch, e->offender, static_cast<std::uint8_t>(e->first.kind), std::min(e->first.height, e->second.height),
                 e->first.round, [e](const core::Hash32& digest) { return e->verify(digest); }};
}

core::Status apply_evidence(const ledger::TxContext& tx, ledger::ModuleState& state, std::vector<ledger::Event>& events) {
  const Offence evidence = offence_of(tx.tx.payload);
  MN_TRY_ASSIGN(auto set, load_epoch_set([&state](core::ByteView key) { return state.get(key); }, evidence.epoch));
  if (!set || set->first_height > tx.block.height) {
    return make_error(ErrorCode::kEconEvidenceInvalid, "evidence: epoch " + std::to_string(evidence.epoch) + " has not begun on this chain");
  }
  const bool member = std::any_of(set->members.begin(), set->members.end(), [&](const EpochMember& m) { return m.key == evidence.offender; });
  if (!member) {
    return make_error(ErrorCode::kEconEvidenceInvalid, "evidence: the offender is no member of epoch " + std::to_string(evidence.epoch) + "'s set");
  }
  MN_TRY_ASSIGN(auto params, state.get_as<EconParams>(core::as_bytes(kEconParamsKey)));
  MN_TRY_ASSIGN(auto supply, state.get_as<EconSupply>(core::as_bytes(kEconSupplyKey)));
  if (!supply || !params) return make_error(ErrorCode::kStateCorrupt, "econ params or supply record is missing");
  const std::uint64_t vote_height = evidence.height;
  if (core::saturating_add(vote_height, params->unbonding_blocks) < tx.block.height) {
    return make_error(ErrorCode::kEconEvidenceTooOld, "evidence: votes of height " + std::to_string(vote_height) +
                                                          " are older than the unbonding period (" +
                                                          std::to_string(params->unbonding_blocks) + " blocks) at height " +
                                                          std::to_string(tx.block.height));
  }
  const crypto::Address offender = crypto::Address::from_public_key(evidence.offender);
  const core::Bytes key = econ_validator_key(offender);
  MN_TRY_ASSIGN(auto record, state.get_as<ValidatorEcon>(key));
  if (!record) return make_error(ErrorCode::kStateCorrupt, "econ has no record of set member " + offender.to_string());
  if (record->slashed) {
    return make_error(ErrorCode::kEconEvidenceDuplicate, "evidence: validator " + offender.to_string() + " was slashed already");
  }
  MN_TRY(evidence.verify(tx.block.chain.genesis_digest));
  ValidatorEcon& v = *record;
  const std::uint64_t from_stake = share(v.next_stake, params->slash_bps, kBasisPoints);
  std::uint64_t from_unbonding = 0;
  for (auto& u : v.unbonding) {
    const std::uint64_t cut = share(u.amount, params->slash_bps, kBasisPoints);
    u.amount -= cut;
    from_unbonding += cut;
  }
  v.next_stake -= from_stake;
  v.slashed = true;
  supply->bonded -= from_stake;
  supply->unbonding -= from_unbonding;
  supply->burned += from_stake + from_unbonding;
  // Its delegations are cut by the same fraction, bonded and unbonding (one pool: no delegation is touched).
  MN_TRY_ASSIGN(auto pool, read_pool_from([&state](core::ByteView k) { return state.get(k); }, offender));
  PoolCut cut;
  if (pool) {
    cut = slash_pool(*pool, params->slash_bps);
    supply->delegated -= cut.held;
    supply->delegation_unbonding -= cut.unbonding;
    supply->burned += cut.held + cut.unbonding;
    MN_TRY(state.put_as(econ_pool_key(offender), *pool));
  }
  SlashRecord slash;
  slash.epoch = evidence.epoch;
  slash.kind = evidence.kind;
  slash.vote_height = evidence.height;
  slash.vote_round = evidence.round;
  slash.height = tx.block.height;
  slash.amount = from_stake + from_unbonding + cut.held + cut.unbonding;
  slash.reporter = tx.sender;
  slash.evidence = core::hash(core::Domain::SlashEvidence, tx.tx.payload.data);
  MN_TRY(state.put_as(key, v));
  MN_TRY(state.put_as(econ_slash_key(offender), slash));
  core::Writer w;
  offender.encode(w);
  slash.encode(w);
  events.push_back(ledger::Event{std::string(kEconModule), "slashed", std::move(w).take()});
  return state.put_as(core::as_bytes(kEconSupplyKey), *supply);
}

}  // namespace

core::Status Econ::apply(const ledger::TxContext& tx, ledger::ModuleState& state, std::vector<ledger::Event>& events) const {
  MN_TRY(check_payload(tx.tx.payload, tx.sender));
  const std::string& kind = tx.tx.payload.kind;
  if (kind == kEvidenceKind || kind == kProposalEvidenceKind) return apply_evidence(tx, state, events);
  if (kind == kDelegateKind || kind == kUndelegateKind || kind == kClaimKind) {
    MN_TRY_ASSIGN(auto supply, state.get_as<EconSupply>(core::as_bytes(kEconSupplyKey)));
    MN_TRY_ASSIGN(auto params, state.get_as<EconParams>(core::as_bytes(kEconParamsKey)));
    if (!supply || !params) return make_error(ErrorCode::kStateCorrupt, "econ params or supply record is missing");
    MN_TRY(apply_delegation(tx, state, *supply, params->unbonding_blocks));
    return state.put_as(core::as_bytes(kEconSupplyKey), *supply);
  }
  const std::uint64_t amount = core::decode<StakeChange>(tx.tx.payload.data).value().amount;
  const core::Bytes key = econ_validator_key(tx.sender);
  MN_TRY_ASSIGN(auto record, state.get_as<ValidatorEcon>(key));
  if (!record && tx.tx.payload.kind == kBondKind) {
    // A candidate governance admitted: its first bond makes it a validator of the next epoch.
    MN_TRY_ASSIGN(auto candidate, state.get_in(kGovModule, gov_candidate_key(tx.sender)));
    if (candidate) {
      MN_TRY_ASSIGN(auto addresses, read_addresses([&state](core::ByteView k) { return state.get(k); }));
      if (addresses.size() >= kEpochMembersMax) {
        return make_error(ErrorCode::kEconNotValidator, "the validator set is full (" + std::to_string(kEpochMembersMax) + ")");
      }
      addresses.insert(std::lower_bound(addresses.begin(), addresses.end(), tx.sender), tx.sender);
      MN_TRY(write_addresses(state, addresses));
      ValidatorEcon fresh;
      fresh.stake = 0;  // nothing bonded yet: every unit of stake is one it bonds
      fresh.next_stake = 0;
      record = fresh;
    }
  }
  if (!record) {
    return make_error(ErrorCode::kEconNotValidator,
                      tx.sender.to_string() + " is not a validator: only validators, and candidates governance " +
                          "admitted (admit_validator), bond and unbond stake");
  }
  MN_TRY_ASSIGN(auto supply, state.get_as<EconSupply>(core::as_bytes(kEconSupplyKey)));
  MN_TRY_ASSIGN(auto params, state.get_as<EconParams>(core::as_bytes(kEconParamsKey)));
  if (!supply || !params) return make_error(ErrorCode::kStateCorrupt, "econ params or supply record is missing");
  ValidatorEcon& v = *record;
  if (tx.tx.payload.kind == kBondKind) {
    if (v.slashed) {
      return make_error(ErrorCode::kEconSlashed, tx.sender.to_string() + " was slashed for equivocation: it may unbond, never bond again");
    }
    MN_TRY(tx.tokens->debit(tx.sender, amount));
    v.next_stake += amount;  // bounded by the supply, which fits u64
    supply->bonded += amount;
  } else {
    if (amount > v.next_stake || (amount == v.next_stake && !v.slashed)) {
      return make_error(ErrorCode::kEconUnbondTooMuch,
                        "unbond " + std::to_string(amount) + " of a stake of " + std::to_string(v.next_stake) +
                            ": a validator keeps a stake of at least 1 (leaving the set is governance's)");
    }
    if (v.unbonding.size() >= kUnbondingEntriesMax) {
      return make_error(ErrorCode::kEconUnbondingFull, std::to_string(kUnbondingEntriesMax) +
                                                           " unbondings wait already; the next is possible once one is released");
    }
    v.next_stake -= amount;
    v.unbonding.push_back(Unbonding{tx.block.height + params->unbonding_blocks, amount});
    supply->bonded -= amount;
    supply->unbonding += amount;
  }
  MN_TRY(state.put_as(key, v));
  return state.put_as(core::as_bytes(kEconSupplyKey), *supply);
}

core::Status Econ::init_genesis(const ledger::Genesis& genesis, ledger::ModuleState& state) const {
  MN_TRY_ASSIGN(const EconGenesis g, econ_genesis(genesis));
  MN_TRY(state.put_as(core::as_bytes(kEconParamsKey), g.params));
  EconSupply supply;
  for (const auto& a : genesis.accounts) supply.genesis += a.balance;  // Genesis::validate bounds it
  for (const auto& [address, stake] : g.stakes) supply.bonded += stake;  // econ_genesis bounds both together
  supply.genesis += supply.bonded;
  supply.epoch_end = g.params.epoch_blocks;
  MN_TRY(state.put_as(core::as_bytes(kEconSupplyKey), supply));
  std::vector<crypto::Address> addresses;
  for (const auto& [address, stake] : g.stakes) addresses.push_back(address);
  MN_TRY(write_addresses(state, addresses));
  for (const auto& [address, stake] : g.stakes) {
    ValidatorEcon v;
    v.stake = stake;
    v.next_stake = stake;
    MN_TRY(state.put_as(econ_validator_key(address), v));
  }
  // Set 0 is the genesis validators, in genesis order, until a change is published.
  EpochSet first;
  first.number = 0;
  first.first_height = 1;
  first.last_height = kSetOpenEnded;
  for (const auto& v : genesis.validators) {
    const auto address = crypto::Address::from_public_key(v.ed25519_public_key);
    const auto it = std::find_if(g.stakes.begin(), g.stakes.end(), [&](const auto& s) { return s.first == address; });
    first.members.push_back(EpochMember{v.name, v.ed25519_public_key, it->second});
  }
  if (first.members.empty()) return {};  // a chain without validators (tests of single modules)
  MN_TRY(write_epoch_set(state, first));
  return state.put_as(key_of(kEpochSetLatestKey), EpochNumber{0});
}

namespace {

// At the end of a payout epoch (height `height`, stakes of the next epoch in `records`): when the
// members change (a bonded candidate joins, a member without stake leaves), the next validator
// set is published, to begin kSetActivationBlocksMin or an epoch later, whichever is more, and
// the latest set gets its last height. None while a published set has not begun yet.
core::Status publish_next_set(ledger::ModuleState& state, std::uint64_t height, const EconParams& params,
                              const std::vector<crypto::Address>& addresses, const std::vector<ValidatorEcon>& records) {
  MN_TRY_ASSIGN(auto latest_bytes, state.get(key_of(kEpochSetLatestKey)));
  std::uint64_t latest = 0;
  if (latest_bytes) {
    auto n = core::decode<EpochNumber>(*latest_bytes);
    if (!n.ok()) return corrupt("latest epoch set", n.error());
    latest = n->number;
  }
  MN_TRY_ASSIGN(auto current, load_epoch_set([&state](core::ByteView key) { return state.get(key); }, latest));
  if (!current) return {};  // no validators in genesis: no set to change
  if (current->first_height > height + 1) return {};  // the latest set has not begun: changes wait for it
  const auto record_of = [&](const crypto::Address& a) -> const ValidatorEcon* {
    const auto at = std::lower_bound(addresses.begin(), addresses.end(), a);
    if (at == addresses.end() || *at != a) return nullptr;
    return &records[static_cast<std::size_t>(at - addresses.begin())];
  };
  const auto stake_of = [&](const crypto::Address& a) -> std::optional<std::uint64_t> {
    const ValidatorEcon* v = record_of(a);
    return v ? std::optional(v->stake) : std::nullopt;
  };
  const auto slashed_of = [&](const crypto::Address& a) {
    const ValidatorEcon* v = record_of(a);
    return v && v->slashed;
  };
  EpochSet next;
  next.number = latest + 1;
  next.first_height = height + 1 + std::max(params.epoch_blocks, kSetActivationBlocksMin);
  next.last_height = kSetOpenEnded;
  std::set<crypto::Address> members;  // the current members' addresses (one hash each)
  for (const auto& m : current->members) {
    const crypto::Address address = crypto::Address::from_public_key(m.key);
    members.insert(address);
    const auto stake = stake_of(address);
    if (!stake || *stake == 0 || slashed_of(address)) continue;
    EpochMember member = m;
    member.stake = *stake;
    next.members.push_back(std::move(member));
  }
  // Admitted candidates that bonded join, in address order, while the set has room.
  for (std::size_t i = 0; i < addresses.size() && next.members.size() < kEpochMembersMax; ++i) {
    if (records[i].stake == 0 || records[i].slashed || members.contains(addresses[i])) continue;
    MN_TRY_ASSIGN(auto bytes, state.get_in(kGovModule, gov_candidate_key(addresses[i])));
    if (!bytes) continue;  // every validator without a candidate record is a genesis member
    auto candidate = core::decode<ValidatorCandidate>(*bytes);
    if (!candidate.ok()) return corrupt("validator candidate", candidate.error());
    next.members.push_back(EpochMember{candidate->name, candidate->key, records[i].stake});
  }
  const auto keys = [](const EpochSet& set) {
    std::vector<crypto::PublicKey> out;
    for (const auto& m : set.members) out.push_back(m.key);
    return out;
  };
  if (next.members.empty() || keys(next) == keys(*current)) return {};
  current->last_height = next.first_height - 1;
  MN_TRY(write_epoch_set(state, *current));
  MN_TRY(write_epoch_set(state, next));
  return state.put_as(key_of(kEpochSetLatestKey), EpochNumber{next.number});
}

}  // namespace

core::Status Econ::end_block(const ledger::BlockEnd& end, ledger::ModuleState& state) const {
  MN_TRY_ASSIGN(auto params_record, state.get_as<EconParams>(core::as_bytes(kEconParamsKey)));
  MN_TRY_ASSIGN(auto supply_record, state.get_as<EconSupply>(core::as_bytes(kEconSupplyKey)));
  if (!params_record || !supply_record) return make_error(ErrorCode::kStateCorrupt, "econ params or supply record is missing");
  EconParams params = *params_record;
  EconSupply supply = *supply_record;
  const std::uint64_t height = end.block.height;

  // Issuance never takes the supply past 2^64 - 1.
  std::uint64_t reward = params.reward_at(height);
  reward = std::min(reward, std::numeric_limits<std::uint64_t>::max() - supply.total());

  Parts parts;
  add_split(parts, end.fees.base_fees, params.base_fee_split);
  add_split(parts, end.fees.tips, params.tip_split);
  add_split(parts, reward, params.reward_split);
  supply.issued += reward;
  supply.burned += parts.burn;

  if (parts.proposer > 0) {
    MN_TRY_ASSIGN(auto proposer, state.get_as<ValidatorEcon>(econ_validator_key(end.block.proposer)));
    if (proposer) {
      proposer->accrued += parts.proposer;
      supply.accrued += parts.proposer;
      MN_TRY(state.put_as(econ_validator_key(end.block.proposer), *proposer));
    } else {
      // A proposer outside the reward set (none today) is paid at once.
      MN_TRY(end.tokens.credit(end.block.proposer, parts.proposer));
    }
  }
  supply.epoch_pool += parts.validators;
  supply.accrued += parts.validators;

  if (height >= supply.epoch_end) {
    // The epoch's last block: the pool by stake, and everything accrued, into the accounts.
    MN_TRY_ASSIGN(const auto addresses,
                  read_addresses([&state](core::ByteView key) { return state.get(key); }));
    std::vector<ValidatorEcon> records;
    std::vector<std::optional<DelegationPool>> pools;
    std::vector<std::uint64_t> weights;  // own stake, and the delegations of a validator with one
    records.reserve(addresses.size());
    pools.reserve(addresses.size());
    weights.reserve(addresses.size());
    std::uint64_t total_stake = 0;
    for (const auto& address : addresses) {
      MN_TRY_ASSIGN(auto record, state.get_as<ValidatorEcon>(econ_validator_key(address)));
      if (!record) return make_error(ErrorCode::kStateCorrupt, "econ has no record of validator " + address.to_string());
      MN_TRY_ASSIGN(auto pool, read_pool_from([&state](core::ByteView key) { return state.get(key); }, address));
      const std::uint64_t weight = record->stake + (record->stake > 0 && pool ? pool->tokens : 0);
      total_stake += weight;  // every token counted is held by the module: the sum fits u64
      records.push_back(*record);
      pools.push_back(std::move(pool));
      weights.push_back(weight);
    }
    EpochPayout payout;
    payout.epoch = supply.epoch;
    payout.height = height;
    payout.validators_pool = supply.epoch_pool;
    payout.validators = static_cast<std::uint32_t>(addresses.size());
    std::uint64_t pool_paid = 0;
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      ValidatorEcon& v = records[i];
      const std::uint64_t weighted = share(supply.epoch_pool, weights[i], total_stake);
      pool_paid += weighted;
      // The delegators' part by their tokens in force; what the validator keeps is the rest.
      const std::uint64_t to_delegators = pools[i] ? share(weighted, weights[i] - v.stake, weights[i]) : 0;
      const std::uint64_t from_pool = weighted - to_delegators;
      if (pools[i]) {
        MN_TRY_ASSIGN(const std::uint64_t unpaid, pay_and_roll_pool(state, addresses[i], *pools[i], to_delegators, supply.epoch));
        payout.to_delegators += to_delegators - unpaid;
        supply.delegator_owed += to_delegators - unpaid;
        parts.treasury += unpaid;
        payout.to_treasury += unpaid;
      }
      const std::uint64_t amount = from_pool + v.accrued;
      payout.proposer_shares += v.accrued;
      bool changed = false;
      if (amount > 0) {
        MN_TRY(end.tokens.credit(addresses[i], amount));
        payout.paid += amount;
        v.paid_total += amount;
        v.last_paid = amount;
        v.last_paid_epoch = supply.epoch;
        v.accrued = 0;
        changed = true;
      }
      // Bonds and unbonds made during the epoch take effect from the next one; unbonded stake
      // past its unbonding period goes back to the validator's account.
      if (v.stake != v.next_stake) {
        v.stake = v.next_stake;
        changed = true;
      }
      for (auto it = v.unbonding.begin(); it != v.unbonding.end();) {
        if (it->release_height > height) {
          ++it;
          continue;
        }
        MN_TRY(end.tokens.credit(addresses[i], it->amount));
        supply.unbonding -= it->amount;
        it = v.unbonding.erase(it);
        changed = true;
      }
      if (changed) MN_TRY(state.put_as(econ_validator_key(addresses[i]), v));
    }
    payout.to_treasury += supply.epoch_pool - pool_paid;
    parts.treasury += supply.epoch_pool - pool_paid;
    if (supply.accrued != supply.epoch_pool + payout.proposer_shares) {
      return make_error(ErrorCode::kStateCorrupt, "econ accrued " + std::to_string(supply.accrued) +
                                                       " is not the epoch pool plus the proposer shares");
    }
    supply.accrued = 0;
    supply.epoch_pool = 0;
    MN_TRY(state.put_as(econ_payout_key(supply.epoch), payout));
    supply.epoch += 1;
    // Ratios the council set by governance apply from the next epoch on.
    MN_TRY_ASSIGN(auto governed, state.get_in(kGovModule, core::as_bytes(kGovEconRatiosKey)));
    if (governed) {
      auto ratios = core::decode<EconRatios>(*governed);
      if (!ratios.ok()) return corrupt("governed ratios", ratios.error());
      if (*ratios != params.ratios()) {
        params.set_ratios(*ratios);
        MN_TRY(state.put_as(core::as_bytes(kEconParamsKey), params));
      }
    }
    supply.epoch_end = height + params.epoch_blocks;
    MN_TRY(publish_next_set(state, height, params, addresses, records));
  }
  if (parts.treasury > 0) {
    MN_TRY(end.tokens.credit(treasury_address(), parts.treasury));
    supply.treasury += parts.treasury;
  }
  return state.put_as(core::as_bytes(kEconSupplyKey), supply);
}

core::Result<core::Bytes> Econ::payload_from_json(std::string_view kind, const json& fields) const {
  if (kind == kEvidenceKind) {
    MN_TRY_ASSIGN(const auto evidence, EquivocationEvidence::from_json(fields));
    return core::encode(evidence);
  }
  if (kind == kProposalEvidenceKind) {
    MN_TRY_ASSIGN(const auto evidence, ProposalEvidence::from_json(fields));
    return core::encode(evidence);
  }
  if (kind == kDelegateKind || kind == kUndelegateKind || kind == kClaimKind) {
    if (!fields.contains("validator") || !fields.at("validator").is_string()) return malformed("payload.validator (an address) is missing");
    auto validator = crypto::Address::parse(fields.at("validator").get<std::string>());
    if (!validator.ok()) return malformed("payload.validator: " + validator.error().message);
    if (kind == kClaimKind) return core::encode(DelegationClaim{*validator});
    if (!fields.contains("amount")) return malformed("payload.amount is missing");
    MN_TRY_ASSIGN(const std::uint64_t amount, ledger::u64_from_json(fields.at("amount"), "payload.amount"));
    return core::encode(DelegationChange{*validator, amount});
  }
  if (kind != kBondKind && kind != kUnbondKind) {
    return make_error(ErrorCode::kTxUnknownPayload, "the econ module has no payload kind '" + std::string(kind) + "' (it has: " + kKindList + ")");
  }
  if (!fields.contains("amount")) return malformed("payload.amount is missing");
  MN_TRY_ASSIGN(const std::uint64_t amount, ledger::u64_from_json(fields.at("amount"), "payload.amount"));
  return core::encode(StakeChange{amount});
}

json Econ::payload_to_json(const ledger::Payload& payload) const {
  if (payload.kind == kEvidenceKind) {
    if (auto e = core::decode<EquivocationEvidence>(payload.data); e.ok()) return e->to_json();
    return {{"data", core::to_hex(payload.data)}};
  }
  if (payload.kind == kProposalEvidenceKind) {
    if (auto e = core::decode<ProposalEvidence>(payload.data); e.ok()) return e->to_json();
    return {{"data", core::to_hex(payload.data)}};
  }
  if (payload.kind == kClaimKind) {
    if (auto c = core::decode<DelegationClaim>(payload.data); c.ok()) return {{"validator", c->validator.to_string()}};
    return {{"data", core::to_hex(payload.data)}};
  }
  if (payload.kind == kDelegateKind || payload.kind == kUndelegateKind) {
    if (auto c = core::decode<DelegationChange>(payload.data); c.ok()) {
      return {{"validator", c->validator.to_string()}, {"amount", ledger::u64_to_json(c->amount)}};
    }
    return {{"data", core::to_hex(payload.data)}};
  }
  if (auto c = core::decode<StakeChange>(payload.data); c.ok()) return {{"amount", ledger::u64_to_json(c->amount)}};
  return {{"data", core::to_hex(payload.data)}};
}

core::Result<core::Bytes> Econ::key_from_text(std::string_view text) const {
  if (text == kEconParamsKey || text == kEconSupplyKey || text == kEpochSetLatestKey) return key_of(text);
  const auto address_at = [&text](std::string_view part) -> core::Result<crypto::Address> {
    auto address = crypto::Address::parse(part);
    if (!address.ok()) return make_error(ErrorCode::kInvalidArgument, "econ key '" + std::string(text.substr(0, 160)) + "': " + address.error().message);
    return address;
  };
  if (text.starts_with("dpool:")) {
    MN_TRY_ASSIGN(const auto validator, address_at(text.substr(6)));
    return econ_pool_key(validator);
  }
  if (text.starts_with("delegation:") || text.starts_with("dsum:")) {
    const bool delegation = text.starts_with("delegation:");
    const std::string_view rest = text.substr(delegation ? 11 : 5);
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos) {
      return make_error(ErrorCode::kInvalidArgument, "econ key '" + std::string(text.substr(0, 160)) +
                                                         (delegation ? "': delegation:VALIDATOR:DELEGATOR" : "': dsum:VALIDATOR:EPOCH"));
    }
    MN_TRY_ASSIGN(const auto validator, address_at(rest.substr(0, colon)));
    const std::string_view second = rest.substr(colon + 1);
    if (delegation) {
      MN_TRY_ASSIGN(const auto delegator, address_at(second));
      return econ_delegation_key(validator, delegator);
    }
    std::uint64_t epoch = 0;
    const auto [ptr, ec] = std::from_chars(second.data(), second.data() + second.size(), epoch);
    if (ec != std::errc() || ptr != second.data() + second.size() || second.empty()) {
      return make_error(ErrorCode::kInvalidArgument, "econ key '" + std::string(text.substr(0, 160)) + "': not an epoch number after the validator");
    }
    return econ_sum_key(validator, epoch);
  }
  for (const auto prefix : {kValidatorPrefix, kSlashPrefix}) {
    if (!text.starts_with(prefix)) continue;
    auto address = crypto::Address::parse(text.substr(prefix.size()));
    if (!address.ok()) return make_error(ErrorCode::kInvalidArgument, "econ key '" + std::string(text.substr(0, 80)) + "': " + address.error().message);
    return prefix == kSlashPrefix ? econ_slash_key(*address) : econ_validator_key(*address);
  }
  const auto number = [&](std::string_view prefix, std::uint64_t max) -> core::Result<std::uint64_t> {
    const std::string_view digits = text.substr(prefix.size());
    std::uint64_t n = 0;
    if (digits.empty() || digits.size() > 19 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return make_error(ErrorCode::kInvalidArgument, "econ key '" + std::string(text.substr(0, 80)) + "': not a number after '" + std::string(prefix) + "'");
    }
    for (char c : digits) n = n * 10 + static_cast<std::uint64_t>(c - '0');
    if (n > max) return make_error(ErrorCode::kInvalidArgument, "econ key '" + std::string(text) + "' is out of range");
    return n;
  };
  if (text.starts_with(kPayoutPrefix)) {
    MN_TRY_ASSIGN(const std::uint64_t epoch, number(kPayoutPrefix, std::numeric_limits<std::int64_t>::max()));
    return econ_payout_key(epoch);
  }
  if (text.starts_with(kEpochSetPrefix)) {
    MN_TRY_ASSIGN(const std::uint64_t epoch, number(kEpochSetPrefix, std::numeric_limits<std::int64_t>::max()));
    return econ_epoch_set_key(epoch);
  }
  if (text.starts_with(kVsetPrefix)) {
    MN_TRY_ASSIGN(const std::uint64_t page, number(kVsetPrefix, 1'000));
    return vset_key(static_cast<std::uint32_t>(page));
  }
  return make_error(ErrorCode::kInvalidArgument, "econ key '" + std::string(text.substr(0, 80)) +
                                                     "': keys are params, supply, validator:ADDRESS, slash:ADDRESS, payout:EPOCH, epoch_set:N, epoch_set_latest, vset:PAGE, "
                                                     "dpool:VALIDATOR, delegation:VALIDATOR:DELEGATOR, dsum:VALIDATOR:EPOCH");
}

json Econ::value_to_json(core::ByteView key, core::ByteView value) const {
  const auto as = [&value]<typename T>(T*) -> json {
    auto decoded = core::decode<T>(value);
    return decoded.ok() ? decoded->to_json() : json(nullptr);
  };
  if (key.size() == kEconParamsKey.size() && starts_with(key, kEconParamsKey)) return as(static_cast<EconParams*>(nullptr));
  if (key.size() == kEconSupplyKey.size() && starts_with(key, kEconSupplyKey)) return as(static_cast<EconSupply*>(nullptr));
  if (starts_with(key, kValidatorPrefix)) return as(static_cast<ValidatorEcon*>(nullptr));
  if (starts_with(key, kPayoutPrefix)) return as(static_cast<EpochPayout*>(nullptr));
  if (starts_with(key, kSlashPrefix)) return as(static_cast<SlashRecord*>(nullptr));
  if (starts_with(key, "dpool:")) return as(static_cast<DelegationPool*>(nullptr));
  if (starts_with(key, "delegation:")) return as(static_cast<Delegation*>(nullptr));
  if (key.size() == kEpochSetLatestKey.size() && starts_with(key, kEpochSetLatestKey)) {
    auto n = core::decode<EpochNumber>(value);
    return n.ok() ? json(n->number) : json(nullptr);
  }
  if (starts_with(key, kEpochSetPrefix)) {
    core::Reader r(value);
    if (key.size() == kEpochSetPrefix.size() + 8) {
      auto h = EpochSetHeader::decode(r);
      if (!h.ok()) return nullptr;
      return {{"epoch", h->number},
              {"first_height", h->first_height},
              {"last_height", h->last_height == kSetOpenEnded ? json(nullptr) : json(h->last_height)},
              {"members", h->members}};
    }
    auto members = r.vector<EpochMember>(kEpochMembersPerPage, decode_member);
    if (!members.ok()) return nullptr;
    EpochSet page;
    page.members = std::move(*members);
    return page.to_json()["validators"];
  }
  if (starts_with(key, kVsetPrefix)) {
    core::Reader r(value);
    auto addresses = r.vector<crypto::Address>(kValidatorsPerPage, [](core::Reader& in) { return crypto::Address::decode(in); });
    if (!addresses.ok()) return nullptr;
    json list = json::array();
    for (const auto& a : *addresses) list.push_back(a.to_string());
    return list;
  }
  return nullptr;
}

}  // namespace metanode::modules
