#include "modules/econ/delegation.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "modules/econ/econ.hpp"

namespace metanode::modules {
namespace {

using core::ErrorCode;
using core::make_error;
using nlohmann::json;
__extension__ typedef unsigned __int128 U128;

constexpr std::string_view kPoolPrefix = "dpool:";
constexpr std::string_view kDelegationPrefix = "delegation:";
constexpr std::string_view kSumPrefix = "dsum:";

core::Bytes key_of(std::string_view prefix, std::initializer_list<core::ByteView> parts) {
  core::Bytes key(prefix.begin(), prefix.end());
  for (const auto part : parts) key.insert(key.end(), part.begin(), part.end());
  return key;
}

void write_sum(core::Writer& w, RewardSum v) {
  w.u64(static_cast<std::uint64_t>(v >> 64));
  w.u64(static_cast<std::uint64_t>(v));
}
core::Result<RewardSum> read_sum(core::Reader& r) {
  MN_TRY_ASSIGN(const std::uint64_t hi, r.u64());
  MN_TRY_ASSIGN(const std::uint64_t lo, r.u64());
  return (RewardSum(hi) << 64) | lo;
}
std::string sum_text(RewardSum v) {
  std::string out;
  do {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return out;
}

std::uint64_t mul_div(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return c == 0 ? 0 : static_cast<std::uint64_t>(U128(a) * b / c);
}
// What `shares` earned while the sum went from `from` to `to`. shares * (to - from) < 2^128:
// every increment is a reward over shares counting these, and rewards never reach 2^64.
std::uint64_t earned(std::uint64_t shares, RewardSum from, RewardSum to) {
  return static_cast<std::uint64_t>((U128(shares) * (to - from)) >> 64);
}

template <typename T>
core::Result<std::optional<T>> read_as(const EconReader& get, const core::Bytes& key, std::string_view what) {
  MN_TRY_ASSIGN(auto bytes, get(key));
  if (!bytes) return std::optional<T>{};
  auto value = core::decode<T>(*bytes);
  if (!value.ok()) {
    return make_error(ErrorCode::kStateCorrupt, "econ " + std::string(what) + " does not decode: " + value.error().to_string());
  }
  return std::optional<T>{std::move(value).value()};
}

}  // namespace

void DelegationPool::encode(core::Writer& w) const {
  w.u64(shares);
  w.u64(tokens);
  w.u64(next_shares);
  w.u64(next_tokens);
  w.u64(changed_epoch);
  w.u8(changed ? 1 : 0);
  write_sum(w, sum);
  w.u64(owed);
  w.u64(unbonding_tokens);
  w.u64(unbonding_shares);
  w.u64(delegations);
}
core::Result<DelegationPool> DelegationPool::decode(core::Reader& r) {
  DelegationPool p;
  MN_TRY_ASSIGN(p.shares, r.u64());
  MN_TRY_ASSIGN(p.tokens, r.u64());
  MN_TRY_ASSIGN(p.next_shares, r.u64());
  MN_TRY_ASSIGN(p.next_tokens, r.u64());
  MN_TRY_ASSIGN(p.changed_epoch, r.u64());
  MN_TRY_ASSIGN(const std::uint8_t changed, r.u8());
  if (changed > 1) return make_error(ErrorCode::kDecodeInvalidValue, "delegation pool: changed must be 0 or 1");
  p.changed = changed == 1;
  MN_TRY_ASSIGN(p.sum, read_sum(r));
  MN_TRY_ASSIGN(p.owed, r.u64());
  MN_TRY_ASSIGN(p.unbonding_tokens, r.u64());
  MN_TRY_ASSIGN(p.unbonding_shares, r.u64());
  MN_TRY_ASSIGN(p.delegations, r.u64());
  return p;
}
json DelegationPool::to_json() const {
  return {{"shares", ledger::u64_to_json(shares)},
          {"tokens", ledger::u64_to_json(tokens)},
          {"next_shares", ledger::u64_to_json(next_shares)},
          {"next_tokens", ledger::u64_to_json(next_tokens)},
          {"reward_sum", sum_text(sum)},
          {"owed", ledger::u64_to_json(owed)},
          {"unbonding_tokens", ledger::u64_to_json(unbonding_tokens)},
          {"unbonding_shares", ledger::u64_to_json(unbonding_shares)},
          {"delegations", delegations}};
}

void Delegation::encode(core::Writer& w) const {
  w.u64(shares);
  w.u64(next_shares);
  w.u64(changed_epoch);
  write_sum(w, start);
  w.u64(rewards);
  w.u64(claimed_total);
  w.vector(unbonding, kDelegationUnbondingsMax, [](core::Writer& out, const DelegationUnbonding& u) {
    out.u64(u.release_height);
    out.u64(u.shares);
  });
}
core::Result<Delegation> Delegation::decode(core::Reader& r) {
  Delegation d;
  MN_TRY_ASSIGN(d.shares, r.u64());
  MN_TRY_ASSIGN(d.next_shares, r.u64());
  MN_TRY_ASSIGN(d.changed_epoch, r.u64());
  MN_TRY_ASSIGN(d.start, read_sum(r));
  MN_TRY_ASSIGN(d.rewards, r.u64());
  MN_TRY_ASSIGN(d.claimed_total, r.u64());
  MN_TRY_ASSIGN(d.unbonding, r.vector<DelegationUnbonding>(kDelegationUnbondingsMax, [](core::Reader& in) -> core::Result<DelegationUnbonding> {
    DelegationUnbonding u;
    MN_TRY_ASSIGN(u.release_height, in.u64());
    MN_TRY_ASSIGN(u.shares, in.u64());
    return u;
  }));
  return d;
}
json Delegation::to_json() const {
  json unbondings = json::array();
  for (const auto& u : unbonding) unbondings.push_back({{"release_height", u.release_height}, {"shares", ledger::u64_to_json(u.shares)}});
  return {{"shares", ledger::u64_to_json(shares)},
          {"next_shares", ledger::u64_to_json(next_shares)},
          {"changed_epoch", changed_epoch},
          {"reward_sum_start", sum_text(start)},
          {"rewards_settled", ledger::u64_to_json(rewards)},
          {"claimed_total", ledger::u64_to_json(claimed_total)},
          {"unbonding", unbondings}};
}

void DelegationChange::encode(core::Writer& w) const {
  validator.encode(w);
  w.u64(amount);
}
core::Result<DelegationChange> DelegationChange::decode(core::Reader& r) {
  DelegationChange c;
  MN_TRY_ASSIGN(c.validator, crypto::Address::decode(r));
  MN_TRY_ASSIGN(c.amount, r.u64());
  return c;
}
core::Result<DelegationClaim> DelegationClaim::decode(core::Reader& r) {
  DelegationClaim c;
  MN_TRY_ASSIGN(c.validator, crypto::Address::decode(r));
  return c;
}
ledger::Payload delegate_payload(const crypto::Address& validator, std::uint64_t amount) {
  return {std::string(kEconModule), std::string(kDelegateKind), core::encode(DelegationChange{validator, amount})};
}
ledger::Payload undelegate_payload(const crypto::Address& validator, std::uint64_t amount) {
  return {std::string(kEconModule), std::string(kUndelegateKind), core::encode(DelegationChange{validator, amount})};
}
ledger::Payload claim_payload(const crypto::Address& validator) {
  return {std::string(kEconModule), std::string(kClaimKind), core::encode(DelegationClaim{validator})};
}

core::Bytes econ_pool_key(const crypto::Address& validator) { return key_of(kPoolPrefix, {validator.bytes}); }
core::Bytes econ_delegation_key(const crypto::Address& validator, const crypto::Address& delegator) {
  return key_of(kDelegationPrefix, {validator.bytes, delegator.bytes});
}
core::Bytes econ_sum_key(const crypto::Address& validator, std::uint64_t epoch) {
  core::Bytes be(8);
  for (int i = 7; i >= 0; --i, epoch >>= 8) be[static_cast<std::size_t>(i)] = static_cast<core::Byte>(epoch & 0xff);
  return key_of(kSumPrefix, {validator.bytes, be});
}

core::Result<std::optional<DelegationPool>> read_pool_from(const EconReader& get, const crypto::Address& validator) {
  return read_as<DelegationPool>(get, econ_pool_key(validator), "delegation pool");
}
core::Result<std::optional<Delegation>> read_delegation_from(const EconReader& get, const crypto::Address& validator,
                                                             const crypto::Address& delegator) {
  return read_as<Delegation>(get, econ_delegation_key(validator, delegator), "delegation");
}

core::Status settle(const EconReader& get, const crypto::Address& validator, const DelegationPool& pool, Delegation& d,
                    std::uint64_t epoch) {
  if (d.next_shares != d.shares && d.changed_epoch < epoch) {
    // The change took effect at the end of changed_epoch: what the old shares earned until then.
    MN_TRY_ASSIGN(auto bytes, get(econ_sum_key(validator, d.changed_epoch)));
    if (!bytes) {
      return make_error(ErrorCode::kStateCorrupt, "econ has no reward sum of validator " + validator.to_string() +
                                                       " at the end of epoch " + std::to_string(d.changed_epoch));
    }
    core::Reader r(*bytes);
    MN_TRY_ASSIGN(const RewardSum at_change, read_sum(r));
    d.rewards += earned(d.shares, d.start, at_change);
    d.shares = d.next_shares;
    d.start = at_change;
  }
  d.rewards += earned(d.shares, d.start, pool.sum);
  d.start = pool.sum;
  return {};
}

std::uint64_t unbonding_value(const DelegationPool& pool, const Delegation& d, std::uint64_t height, bool matured_only) {
  std::uint64_t total = 0;
  for (const auto& u : d.unbonding) {
    if (matured_only && u.release_height > height) continue;
    total += mul_div(u.shares, pool.unbonding_tokens, pool.unbonding_shares);
  }
  return total;
}

std::uint64_t delegation_value(const DelegationPool& pool, const Delegation& d) {
  return mul_div(d.next_shares, pool.next_tokens, pool.next_shares);
}

namespace {

// What rounding left in a pool that no share or delegation can claim goes to the treasury.
core::Status sweep(const ledger::TxContext& tx, DelegationPool& pool, EconSupply& supply) {
  std::uint64_t dust = 0;
  if (pool.next_shares == 0 && pool.next_tokens > 0) {
    dust += pool.next_tokens;
    supply.delegated -= pool.next_tokens;
    pool.next_tokens = 0;
  }
  if (pool.unbonding_shares == 0 && pool.unbonding_tokens > 0) {
    dust += pool.unbonding_tokens;
    supply.delegation_unbonding -= pool.unbonding_tokens;
    pool.unbonding_tokens = 0;
  }
  if (pool.delegations == 0 && pool.owed > 0) {
    dust += pool.owed;
    supply.delegator_owed -= pool.owed;
    pool.owed = 0;
  }
  if (dust == 0) return {};
  supply.treasury += dust;
  return tx.tokens->credit(treasury_address(), dust);
}

core::Status store(ledger::ModuleState& state, const crypto::Address& validator, const crypto::Address& delegator,
                   DelegationPool& pool, const Delegation& d, bool existed) {
  const bool empty = d.shares == 0 && d.next_shares == 0 && d.rewards == 0 && d.unbonding.empty();
  const core::Bytes key = econ_delegation_key(validator, delegator);
  if (empty) {
    if (existed) {
      MN_TRY(state.erase(key));
      pool.delegations -= 1;
    }
  } else {
    MN_TRY(state.put_as(key, d));
    if (!existed) pool.delegations += 1;
  }
  return {};
}

core::Status delegate(const ledger::TxContext& tx, DelegationPool& pool, Delegation& d, std::uint64_t amount,
                      EconSupply& supply, std::uint64_t epoch) {
  // Shares at the pool's rate (1:1 for an empty pool; slashing makes a share cheaper).
  const std::uint64_t shares = pool.next_shares == 0 ? amount : mul_div(amount, pool.next_shares, pool.next_tokens);
  if (shares == 0) {
    return make_error(ErrorCode::kInvalidArgument, "delegate " + std::to_string(amount) + ": too little to buy one share at the pool's rate (" +
                                                       std::to_string(pool.next_tokens) + " tokens for " +
                                                       std::to_string(pool.next_shares) + " shares)");
  }
  MN_TRY(tx.tokens->debit(tx.sender, amount));
  d.next_shares += shares;
  d.changed_epoch = epoch;
  pool.next_shares += shares;
  pool.next_tokens += amount;  // bounded by the supply, which fits u64
  supply.delegated += amount;
  return {};
}

core::Status undelegate(DelegationPool& pool, Delegation& d, std::uint64_t amount,
                        EconSupply& supply, std::uint64_t epoch, std::uint64_t release_height) {
  const std::uint64_t value = delegation_value(pool, d);
  if (amount > value) {
    return make_error(ErrorCode::kEconUnbondTooMuch,
                      "undelegate " + std::to_string(amount) + " of a delegation worth " + std::to_string(value));
  }
  if (d.unbonding.size() >= kDelegationUnbondingsMax) {
    return make_error(ErrorCode::kEconUnbondingFull, std::to_string(kDelegationUnbondingsMax) +
                                                         " undelegations wait already; claim those that are released first");
  }
  // All of it sells every share; part of it the shares worth at least `amount` (rounding favours the pool).
  const std::uint64_t sold = amount == value ? d.next_shares
                                             : std::min<std::uint64_t>(d.next_shares, static_cast<std::uint64_t>(
                                                   (U128(amount) * pool.next_shares + pool.next_tokens - 1) / pool.next_tokens));
  const std::uint64_t bought = pool.unbonding_shares == 0 ? amount : mul_div(amount, pool.unbonding_shares, pool.unbonding_tokens);
  if (bought == 0) {
    return make_error(ErrorCode::kEconUnbondTooMuch, "undelegate " + std::to_string(amount) + ": too little for one unbonding share");
  }
  d.next_shares -= sold;
  d.changed_epoch = epoch;
  d.unbonding.push_back(DelegationUnbonding{release_height, bought});
  pool.next_shares -= sold;
  pool.next_tokens -= amount;
  pool.unbonding_shares += bought;
  pool.unbonding_tokens += amount;
  supply.delegated -= amount;
  supply.delegation_unbonding += amount;
  return {};
}

core::Status claim(const ledger::TxContext& tx, DelegationPool& pool, Delegation& d, EconSupply& supply) {
  std::uint64_t released = 0;
  bool any = false;
  std::optional<std::uint64_t> next_release;
  for (auto it = d.unbonding.begin(); it != d.unbonding.end();) {
    if (it->release_height > tx.block.height) {
      next_release = std::min(next_release.value_or(it->release_height), it->release_height);
      ++it;
      continue;
    }
    const std::uint64_t tokens = mul_div(it->shares, pool.unbonding_tokens, pool.unbonding_shares);
    pool.unbonding_tokens -= tokens;
    pool.unbonding_shares -= it->shares;
    released += tokens;
    any = true;
    it = d.unbonding.erase(it);
  }
  if (!any && d.rewards == 0) {
    return make_error(ErrorCode::kEconNothingToClaim,
                      "nothing to claim: no rewards settled" +
                          (next_release ? ", the next undelegation is released at height " + std::to_string(*next_release)
                                        : std::string(" and no undelegation waits")));
  }
  const std::uint64_t rewards = d.rewards;
  pool.owed -= rewards;
  supply.delegator_owed -= rewards;
  supply.delegation_unbonding -= released;
  d.claimed_total += rewards;
  d.rewards = 0;
  if (rewards + released == 0) return {};
  return tx.tokens->credit(tx.sender, rewards + released);
}

}  // namespace

core::Status apply_delegation(const ledger::TxContext& tx, ledger::ModuleState& state, EconSupply& supply,
                              std::uint64_t unbonding_blocks) {
  const std::string& kind = tx.tx.payload.kind;
  crypto::Address validator;
  std::uint64_t amount = 0;
  if (kind == kClaimKind) {
    validator = core::decode<DelegationClaim>(tx.tx.payload.data).value().validator;  // check_payload decoded it
  } else {
    const auto change = core::decode<DelegationChange>(tx.tx.payload.data).value();
    validator = change.validator;
    amount = change.amount;
  }
  MN_TRY_ASSIGN(auto record, state.get_as<ValidatorEcon>(econ_validator_key(validator)));
  if (!record) {
    return make_error(ErrorCode::kEconNotValidator, validator.to_string() + " is not a validator: delegations go to a validator");
  }
  const EconReader get = [&state](core::ByteView key) { return state.get(key); };
  MN_TRY_ASSIGN(auto pool_record, read_pool_from(get, validator));
  MN_TRY_ASSIGN(auto existing, read_delegation_from(get, validator, tx.sender));
  if (kind != kDelegateKind && !existing) {
    return make_error(ErrorCode::kEconNoDelegation, tx.sender.to_string() + " has no delegation with " + validator.to_string());
  }
  if (kind == kDelegateKind && record->slashed) {
    return make_error(ErrorCode::kEconSlashed, validator.to_string() + " was slashed for equivocation: it takes no delegations");
  }
  DelegationPool pool = pool_record.value_or(DelegationPool{});
  Delegation d = existing.value_or(Delegation{});
  if (!existing) d.start = pool.sum;
  MN_TRY(settle(get, validator, pool, d, supply.epoch));
  const DelegationPool before = pool;
  if (kind == kDelegateKind) {
    MN_TRY(delegate(tx, pool, d, amount, supply, supply.epoch));
  } else if (kind == kUndelegateKind) {
    MN_TRY(undelegate(pool, d, amount, supply, supply.epoch, tx.block.height + unbonding_blocks));
  } else {
    MN_TRY(claim(tx, pool, d, supply));
  }
  if (pool.next_shares != before.next_shares) {
    pool.changed = true;
    pool.changed_epoch = supply.epoch;
  }
  MN_TRY(store(state, validator, tx.sender, pool, d, existing.has_value()));
  MN_TRY(sweep(tx, pool, supply));
  const bool pool_empty = pool.delegations == 0 && pool.shares == 0 && pool.next_shares == 0 && pool.owed == 0 &&
                          pool.unbonding_shares == 0 && pool.next_tokens == 0 && pool.unbonding_tokens == 0;
  if (pool_empty) return pool_record ? state.erase(econ_pool_key(validator)) : core::Status{};
  return state.put_as(econ_pool_key(validator), pool);
}

core::Result<std::uint64_t> pay_and_roll_pool(ledger::ModuleState& state, const crypto::Address& validator,
                                              DelegationPool& pool, std::uint64_t reward, std::uint64_t epoch) {
  std::uint64_t unpaid = 0;
  if (reward > 0) {
    if (pool.shares == 0) {
      unpaid = reward;
    } else {
      pool.sum += (U128(reward) << 64) / pool.shares;
      pool.owed += reward;
    }
  }
  if (pool.changed && pool.changed_epoch == epoch) {
    core::Writer w;
    write_sum(w, pool.sum);
    MN_TRY(state.put(econ_sum_key(validator, epoch), std::move(w).take()));
  }
  pool.shares = pool.next_shares;
  pool.tokens = pool.next_tokens;
  MN_TRY(state.put_as(econ_pool_key(validator), pool));
  return unpaid;
}

PoolCut slash_pool(DelegationPool& pool, std::uint32_t bps) {
  PoolCut cut;
  cut.held = mul_div(pool.next_tokens, bps, kBasisPoints);
  cut.unbonding = mul_div(pool.unbonding_tokens, bps, kBasisPoints);
  pool.next_tokens -= cut.held;
  pool.unbonding_tokens -= cut.unbonding;
  return cut;
}

}  // namespace metanode::modules
