#include "services/econ/econ_service.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "modules/econ/econ.hpp"
#include "services/ledger/ledger_json.hpp"

namespace metanode::services {
namespace {

using api::Request;
using api::Response;
using nlohmann::json;
__extension__ typedef unsigned __int128 U128;

Response ok(const json& doc) {
  return Response{200, "application/json", doc.dump(-1, ' ', false, json::error_handler_t::replace), {}};
}

// ?name=N within [lo, hi], `fallback` when absent.
core::Result<std::uint64_t> number(const Request& req, std::string_view name, std::uint64_t fallback, std::uint64_t lo,
                                   std::uint64_t hi) {
  const auto text = req.query_param(name);
  if (!text) return fallback;
  std::uint64_t n = 0;
  const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || ptr != text->data() + text->size() || n < lo || n > hi) {
    return core::make_error(core::ErrorCode::kInvalidArgument, std::string(name) + " must be a number from " +
                                                                   std::to_string(lo) + " to " + std::to_string(hi));
  }
  return n;
}

// A validator's weight in the epoch's pool: its stake in force, and its delegations' if it has one.
std::uint64_t weight_of(const modules::ValidatorEcon& v, const std::optional<modules::DelegationPool>& pool) {
  return v.stake + (v.stake > 0 && pool ? pool->tokens : 0);
}

}  // namespace

modules::EconReader EconService::econ_reader() const {
  return [this](core::ByteView key) { return chain_.get(ledger::state_tree_key(modules::kEconModule, key)); };
}

void EconService::add_routes(api::Router& router) {
  router.add("GET", "/v1/econ/supply", [this](const Request& r) { return supply(r); });
  router.add("GET", "/v1/econ/params", [this](const Request& r) { return params(r); });
  router.add("GET", "/v1/econ/validators", [this](const Request& r) { return validators(r); });
  router.add("GET", "/v1/econ/rewards/{address}", [this](const Request& r) { return rewards(r); });
  router.add("GET", "/v1/econ/payouts", [this](const Request& r) { return payouts(r); });
  router.add("GET", "/v1/econ/fees", [this](const Request& r) { return fees(r); });
  router.add("GET", "/v1/econ/slashes", [this](const Request& r) { return slashes(r); });
}

Response EconService::supply(const Request&) const {
  const ledger::Module* econ = chain_.modules().find(modules::kEconModule);
  const std::uint64_t height = chain_.head().height;
  auto s = modules::read_supply(chain_);
  if (!s.ok()) return api::error_response(s.error());
  auto proof = state_answer(chain_, *econ, core::as_bytes(modules::kEconSupplyKey), height);
  if (!proof.ok()) return api::error_response(proof.error());
  auto treasury = ledger::read_account(chain_, modules::treasury_address());
  if (!treasury.ok()) return api::error_response(treasury.error());
  auto treasury_proof = state_answer(chain_, chain_.modules().accounts(), modules::treasury_address().bytes, height);
  if (!treasury_proof.ok()) return api::error_response(treasury_proof.error());
  auto stake = modules::read_total_stake(chain_);
  if (!stake.ok()) return api::error_response(stake.error());
  json doc = s->to_json();
  doc["height"] = height;
  doc["treasury"] = {{"address", modules::treasury_address().to_string()},
                     {"balance", ledger::u64_to_json(treasury->balance)},
                     {"proof", *treasury_proof}};
  // In accounts other than the treasury's: not owed, not staked.
  doc["circulating"] = ledger::u64_to_json(s->total() - s->held() - treasury->balance);
  doc["stake"] = ledger::u64_to_json(*stake);
  doc["proof"] = *proof;
  return ok(doc);
}

Response EconService::params(const Request&) const {
  const ledger::Module* econ = chain_.modules().find(modules::kEconModule);
  auto p = modules::read_params(chain_);
  if (!p.ok()) return api::error_response(p.error());
  auto proof = state_answer(chain_, *econ, core::as_bytes(modules::kEconParamsKey));
  if (!proof.ok()) return api::error_response(proof.error());
  json doc = p->to_json();
  doc["block_reward_now"] = ledger::u64_to_json(p->reward_at(chain_.head().height + 1));
  doc["proof"] = *proof;
  return ok(doc);
}

Response EconService::validators(const Request&) const {
  const ledger::Module* econ = chain_.modules().find(modules::kEconModule);
  const std::uint64_t height = chain_.head().height;
  auto supply = modules::read_supply(chain_);
  if (!supply.ok()) return api::error_response(supply.error());
  auto addresses = modules::read_validator_addresses(chain_);
  if (!addresses.ok()) return api::error_response(addresses.error());
  std::vector<modules::ValidatorEcon> records;
  std::vector<std::optional<modules::DelegationPool>> pools;
  std::uint64_t total = 0;
  for (const auto& a : *addresses) {
    auto v = modules::read_validator_econ(chain_, a);
    if (!v.ok()) return api::error_response(v.error());
    if (!*v) {
      return api::error_response(core::make_error(core::ErrorCode::kStateCorrupt,
                                                  "econ has no record of validator " + a.to_string()));
    }
    records.push_back(**v);
    auto pool = modules::read_pool_from(econ_reader(), a);
    if (!pool.ok()) return api::error_response(pool.error());
    pools.push_back(*pool);
    total += weight_of(records.back(), pools.back());
  }
  // The validator sets consensus runs: the one in force at the next height, and one published to
  // begin later (an admitted candidate that bonded joins, a member without stake leaves).
  auto latest_number = modules::read_latest_epoch_set(chain_);
  if (!latest_number.ok()) return api::error_response(latest_number.error());
  auto latest = modules::read_epoch_set(chain_, *latest_number);
  if (!latest.ok()) return api::error_response(latest.error());
  const std::optional<modules::EpochSet>& latest_set = *latest;
  json sets = json::array();
  std::vector<crypto::Address> in_force;  // the members that vote at the next height
  for (std::uint64_t n = *latest_number;; --n) {
    auto set = modules::read_epoch_set(chain_, n);
    if (!set.ok()) return api::error_response(set.error());
    if (!*set) break;
    json item = (*set)->to_json();
    const bool now = (*set)->first_height <= height + 1;
    item["status"] = now ? "in force" : "scheduled";
    sets.push_back(std::move(item));
    if (now) {
      for (const auto& m : (*set)->members) in_force.push_back(crypto::Address::from_public_key(m.key));
    }
    if (now || n == 0) break;
  }
  json list = json::array();
  for (std::size_t i = 0; i < addresses->size(); ++i) {
    const crypto::Address& a = (*addresses)[i];
    const modules::ValidatorEcon& v = records[i];
    std::string name;
    for (const auto& gv : chain_.genesis().validators) {
      if (crypto::Address::from_public_key(gv.ed25519_public_key) == a) name = gv.name;
    }
    if (latest_set) {
      for (const auto& m : latest_set->members) {
        if (crypto::Address::from_public_key(m.key) == a) name = m.name;
      }
    }
    auto proof = state_answer(chain_, *econ, modules::econ_validator_key(a), height);
    if (!proof.ok()) return api::error_response(proof.error());
    json item = v.to_json();
    item["address"] = a.to_string();
    item["name"] = name;
    const std::uint64_t weight = weight_of(v, pools[i]);
    // Consensus counts one vote per member of the set in force; stake (with delegations) weighs rewards.
    const bool votes = std::find(in_force.begin(), in_force.end(), a) != in_force.end();
    item["voting_power_bps"] = votes ? 10'000 / in_force.size() : 0;
    item["reward_weight_bps"] = total == 0 ? 0 : static_cast<std::uint64_t>(U128(weight) * 10'000 / total);
    const auto pool_share = total == 0 ? 0 : static_cast<std::uint64_t>(U128(supply->epoch_pool) * weight / total);
    item["epoch_pool_share"] = ledger::u64_to_json(pool_share);
    item["delegated"] = ledger::u64_to_json(pools[i] ? pools[i]->next_tokens : 0);
    item["delegated_in_force"] = ledger::u64_to_json(weight - v.stake);
    item["delegations"] = pools[i] ? pools[i]->delegations : 0;
    item["proof"] = *proof;
    if (pools[i]) {
      auto pool_proof = state_answer(chain_, *econ, modules::econ_pool_key(a), height);
      if (!pool_proof.ok()) return api::error_response(pool_proof.error());
      item["pool"] = pools[i]->to_json();
      item["pool"]["proof"] = *pool_proof;
    }
    list.push_back(std::move(item));
  }
  return ok({{"height", height},
             {"epoch", supply->epoch},
             {"total_stake", ledger::u64_to_json(total)},
             {"validators", list},
             {"sets", sets}});
}

Response EconService::rewards(const Request& req) const {
  auto address = crypto::Address::parse(req.params.at("address"));
  if (!address.ok()) return api::error_response(400, "invalid_argument", "address: " + address.error().message);
  const ledger::Module* econ = chain_.modules().find(modules::kEconModule);
  const std::uint64_t height = chain_.head().height;
  auto record = modules::read_validator_econ(chain_, *address);
  if (!record.ok()) return api::error_response(record.error());
  auto supply = modules::read_supply(chain_);
  if (!supply.ok()) return api::error_response(supply.error());
  auto proof = state_answer(chain_, *econ, modules::econ_validator_key(*address), height);
  if (!proof.ok()) return api::error_response(proof.error());
  auto account = ledger::read_account(chain_, *address);
  if (!account.ok()) return api::error_response(account.error());
  json doc = {{"address", address->to_string()},
              {"height", height},
              {"epoch", supply->epoch},
              {"validator", record->has_value()},
              {"balance", ledger::u64_to_json(account->balance)},
              {"proof", *proof}};
  auto total_stake = modules::read_total_stake(chain_);
  if (!total_stake.ok()) return api::error_response(total_stake.error());
  const std::uint64_t total = *total_stake;
  if (*record) {
    const modules::ValidatorEcon& v = **record;
    auto pool = modules::read_pool_from(econ_reader(), *address);
    if (!pool.ok()) return api::error_response(pool.error());
    const std::uint64_t weight = weight_of(v, *pool);
    const auto weighted = total == 0 ? 0 : static_cast<std::uint64_t>(U128(supply->epoch_pool) * weight / total);
    const auto to_delegators = weight == 0 ? 0 : static_cast<std::uint64_t>(U128(weighted) * (weight - v.stake) / weight);
    const std::uint64_t pool_share = weighted - to_delegators;
    doc.update(v.to_json());
    doc["epoch_pool_share"] = ledger::u64_to_json(pool_share);
    // Paid at the epoch's last block: what is owed now (the pool share is the epoch so far).
    doc["pending"] = ledger::u64_to_json(v.accrued + pool_share);
  }
  // Its delegations: what each is worth, has earned and not claimed, and what waits to be released.
  auto addresses = modules::read_validator_addresses(chain_);
  if (!addresses.ok()) return api::error_response(addresses.error());
  json delegations = json::array();
  for (const auto& validator : *addresses) {
    auto d = modules::read_delegation_from(econ_reader(), validator, *address);
    if (!d.ok()) return api::error_response(d.error());
    if (!*d) continue;
    auto pool = modules::read_pool_from(econ_reader(), validator);
    if (!pool.ok()) return api::error_response(pool.error());
    if (!*pool) return api::error_response(core::make_error(core::ErrorCode::kStateCorrupt, "a delegation without its pool"));
    modules::Delegation settled = **d;
    if (auto st = modules::settle(econ_reader(), validator, **pool, settled, supply->epoch); !st.ok()) return api::error_response(st.error());
    auto d_proof = state_answer(chain_, *econ, modules::econ_delegation_key(validator, *address), height);
    if (!d_proof.ok()) return api::error_response(d_proof.error());
    auto pool_proof = state_answer(chain_, *econ, modules::econ_pool_key(validator), height);
    if (!pool_proof.ok()) return api::error_response(pool_proof.error());
    json unbonding = json::array();
    for (const auto& u : settled.unbonding) {
      modules::Delegation one;
      one.unbonding = {u};
      unbonding.push_back({{"release_height", u.release_height},
                           {"amount", ledger::u64_to_json(modules::unbonding_value(**pool, one, height, false))},
                           {"claimable", u.release_height <= height + 1}});
    }
    delegations.push_back({{"validator", validator.to_string()},
                           {"value", ledger::u64_to_json(modules::delegation_value(**pool, settled))},
                           {"earning", settled.shares > 0},
                           {"rewards", ledger::u64_to_json(settled.rewards)},
                           {"claimed_total", ledger::u64_to_json(settled.claimed_total)},
                           {"unbonding", unbonding},
                           {"record", (*d)->to_json()},
                           {"proof", *d_proof},
                           {"pool", (*pool)->to_json()},
                           {"pool_proof", *pool_proof}});
  }
  doc["delegations"] = delegations;
  return ok(doc);
}

Response EconService::slashes(const Request&) const {
  const ledger::Module* econ = chain_.modules().find(modules::kEconModule);
  const std::uint64_t height = chain_.head().height;
  auto addresses = modules::read_validator_addresses(chain_);
  if (!addresses.ok()) return api::error_response(addresses.error());
  json list = json::array();
  for (const auto& a : *addresses) {
    auto slash = modules::read_slash(chain_, a);
    if (!slash.ok()) return api::error_response(slash.error());
    if (!*slash) continue;
    auto proof = state_answer(chain_, *econ, modules::econ_slash_key(a), height);
    if (!proof.ok()) return api::error_response(proof.error());
    json item = (*slash)->to_json();
    item["validator"] = a.to_string();
    item["proof"] = *proof;
    list.push_back(std::move(item));
  }
  std::sort(list.begin(), list.end(), [](const json& x, const json& y) { return x["height"] > y["height"]; });
  auto params = modules::read_params(chain_);
  if (!params.ok()) return api::error_response(params.error());
  return ok({{"height", height}, {"slash_bps", params->slash_bps}, {"slashes", list}});
}

Response EconService::payouts(const Request& req) const {
  auto supply = modules::read_supply(chain_);
  if (!supply.ok()) return api::error_response(supply.error());
  auto limit = number(req, "limit", 20, 1, 200);
  if (!limit.ok()) return api::error_response(400, "invalid_argument", limit.error().message);
  auto before = number(req, "before", supply->epoch, 0, supply->epoch);
  if (!before.ok()) return api::error_response(400, "invalid_argument", before.error().message);
  const ledger::Module* econ = chain_.modules().find(modules::kEconModule);
  const std::uint64_t height = chain_.head().height;
  json list = json::array();
  std::uint64_t epoch = *before;
  for (; epoch > 0 && list.size() < *limit; --epoch) {
    auto payout = modules::read_payout(chain_, epoch - 1);
    if (!payout.ok()) return api::error_response(payout.error());
    if (!*payout) continue;
    auto proof = state_answer(chain_, *econ, modules::econ_payout_key(epoch - 1), height);
    if (!proof.ok()) return api::error_response(proof.error());
    json item = (*payout)->to_json();
    item["proof"] = *proof;
    list.push_back(std::move(item));
  }
  return ok({{"height", height},
             {"epoch", supply->epoch},
             {"payouts", list},
             {"next_before", epoch > 0 ? json(epoch) : json(nullptr)}});
}

Response EconService::fees(const Request& req) const {
  auto blocks = number(req, "blocks", 100, 1, 1'000);
  if (!blocks.ok()) return api::error_response(400, "invalid_argument", blocks.error().message);
  const std::uint64_t head = chain_.head().height;
  const std::uint64_t from = head >= *blocks ? head - *blocks + 1 : 1;
  json list = json::array();
  for (std::uint64_t h = from; h <= head; ++h) {
    auto header = chain_.header(h);
    if (!header.ok()) return api::error_response(header.error());
    if (!*header) continue;
    auto receipts = chain_.receipts(h);
    if (!receipts.ok()) return api::error_response(receipts.error());
    std::uint64_t fees_paid = 0;
    std::vector<std::uint64_t> tips;
    tips.reserve(receipts->size());
    for (const auto& r : *receipts) {
      fees_paid += r.fee_paid;
      tips.push_back(r.fee_paid - std::min(r.fee_paid, (*header)->base_fee));
    }
    std::sort(tips.begin(), tips.end());
    std::uint64_t tips_total = 0;
    for (auto t : tips) tips_total += t;
    list.push_back({{"height", h},
                    {"unix_ms", (*header)->timestamp_unix_ms},
                    {"base_fee", ledger::u64_to_json((*header)->base_fee)},
                    {"txs", (*header)->tx_count},
                    {"fees", ledger::u64_to_json(fees_paid)},
                    {"tips", ledger::u64_to_json(tips_total)},
                    {"tip_min", tips.empty() ? json(nullptr) : ledger::u64_to_json(tips.front())},
                    {"tip_median", tips.empty() ? json(nullptr) : ledger::u64_to_json(tips[tips.size() / 2])},
                    {"tip_max", tips.empty() ? json(nullptr) : ledger::u64_to_json(tips.back())}});
  }
  return ok({{"head", head}, {"base_fee_next", ledger::u64_to_json(chain_.head().base_fee_next)}, {"blocks", list}});
}

json EconService::health() const {
  auto s = modules::read_supply(chain_);
  json doc = {{"status", s.ok() ? "ok" : "degraded"}, {"height", chain_.head().height}};
  if (s.ok()) {
    doc["epoch"] = s->epoch;
    doc["supply"] = ledger::u64_to_json(s->total());
  } else {
    doc["error"] = s.error().message;
  }
  return doc;
}

std::string EconService::metrics_text() const {
  auto s = modules::read_supply(chain_);
  if (!s.ok()) return {};
  std::ostringstream out;
  const auto gauge = [&out](const char* name, const char* help, std::uint64_t value) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n" << name << " " << value << "\n";
  };
  gauge("metanode_econ_supply", "Genesis + issued - burned, at the head.", s->total());
  gauge("metanode_econ_issued", "Block rewards issued so far.", s->issued);
  gauge("metanode_econ_burned", "Fees burned so far.", s->burned);
  gauge("metanode_econ_accrued", "Owed to validators, paid at the epoch's end.", s->accrued);
  gauge("metanode_econ_treasury_credited", "Credited to the treasury so far.", s->treasury);
  gauge("metanode_econ_epoch", "The epoch in progress.", s->epoch);
  gauge("metanode_econ_base_fee_next", "The next block's base fee.", chain_.head().base_fee_next);
  return out.str();
}

json EconService::openapi_paths() const {
  const json err = openapi_error_response();
  const auto get = [&err](const std::string& summary, json parameters = json::array()) {
    return json{{"get",
                 {{"summary", summary},
                  {"parameters", std::move(parameters)},
                  {"responses", {{"200", openapi_json_response("the answer", {{"type", "object"}})}, {"400", err}}}}}};
  };
  const auto query = [](const char* name, const char* description) {
    return json{{"name", name}, {"in", "query"}, {"required", false}, {"description", description},
                {"schema", {{"type", "integer"}}}};
  };
  return {
      {"/v1/econ/supply",
       get("Supply at the head: genesis, issued, burned, accrued to validators, the epoch's pool, the treasury, "
           "bonded and unbonding stake, circulating, the stake in force this epoch; `proof` is the econ supply entry proven "
           "to a signed header")},
      {"/v1/econ/params", get("The split of base fees, tips and rewards (basis points), the issuance schedule and the "
                              "epoch length, with its proof")},
      {"/v1/econ/validators", get("Each validator: stake, voting power (basis points: one vote per member of "
                                  "the set in force), reward weight (its share of the epoch's pool in basis points, "
                                  "stake with its delegations), delegated tokens and delegations, accrued proposer shares, its "
                                  "share of the epoch's pool so far, paid total and last payout, each with its proof; "
                                  "and `sets`: the validator set in force (number, first and last height, members) and "
                                  "one scheduled to begin later, newest first")},
      {"/v1/econ/rewards/{address}",
       get("What one address is owed (pending = accrued + its share of the epoch's pool) and was paid, with its proof; "
           "and its delegations: each one's value, rewards settled and not claimed, undelegated tokens waiting for "
           "release, with the delegation's and the validator pool's proofs",
           json::array({{{"name", "address"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}}))},
      {"/v1/econ/slashes", get("Every validator slashed for equivocation: the evidence's epoch, votes' height and round, "
                               "the block that slashed it, the amount burned, who reported it; each with its proof",
                               json::array())},
      {"/v1/econ/payouts", get("The epochs' payouts, newest first, each with its proof",
                               json::array({query("before", "epochs before this one (default: the current)"),
                                            query("limit", "1-200 (default 20)")}))},
      {"/v1/econ/fees", get("The fee market per block, oldest first: base fee, transactions, fees paid, tips (total, "
                            "min, median, max); and the next block's base fee",
                            json::array({query("blocks", "the newest N blocks, 1-1000 (default 100)")}))},
  };
}

}  // namespace metanode::services
