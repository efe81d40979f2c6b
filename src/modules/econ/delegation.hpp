// Delegation: any account stakes tokens with a validator and shares its part of each epoch's
// validators' pool, with the cost of an epoch's end independent of how many delegate.
//
// A validator's delegations are a pool of shares (DelegationPool). `delegate` buys shares at the
// pool's rate (tokens per share: 1 at first, lowered only by slashing, which cuts the pool's
// tokens and never touches a delegation record); `undelegate` sells them into the pool's
// unbonding pool, a second share pool the same slash cuts, released to the delegator by `claim`
// once the unbonding period is over. Like a validator's own bond, a change counts from the end of
// the epoch in progress: the pool's tokens in force weigh the validator's share of the epoch's
// pool beside its own stake, and the delegators' part is added to a running sum of rewards per
// share (the F1 fee distribution of Cosmos, without per-block periods: here the only periods are
// epochs). A delegation settles what it earned, from that sum, whenever it is touched; `claim`
// pays it out. So an epoch's end touches one pool per validator, never a delegation.
//
// Integer arithmetic only: the sum is in units of 2^-64 token per share (U128), what a
// delegation settles is rounded down, and what rounding leaves in a pool (owed to no one) goes to
// the treasury when its last delegation is gone.
//
// State (econ namespace; text form for GET /v1/state in brackets):
//   "dpool:" validator (32)                    [dpool:VALIDATOR]              DelegationPool
//   "delegation:" validator (32) delegator (32) [delegation:VALIDATOR:ADDRESS] Delegation
//   "dsum:" validator (32) epoch (u64 BE)        [dsum:VALIDATOR:EPOCH]         the sum at that epoch's end
//                                                (kept only for epochs in which the pool changed)
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "crypto/address.hpp"
#include "ledger/module.hpp"

namespace metanode::modules {

__extension__ typedef unsigned __int128 RewardSum;  // rewards per share, in units of 2^-64 token

inline constexpr std::string_view kDelegateKind = "delegate";
inline constexpr std::string_view kUndelegateKind = "undelegate";
inline constexpr std::string_view kClaimKind = "claim";
inline constexpr std::size_t kDelegationUnbondingsMax = 16;

struct DelegationPool {
  std::uint64_t shares = 0;       // earning this epoch
  std::uint64_t tokens = 0;       // in force this epoch: weighs the validator's share of the pool
  std::uint64_t next_shares = 0;  // from the next epoch on
  std::uint64_t next_tokens = 0;  // held: what the shares are worth now (slashing lowers it)
  std::uint64_t changed_epoch = 0;      // the last epoch in which next_* changed
  bool changed = false;                 // next_* changed at all since the pool began
  RewardSum sum = 0;                    // rewards per share since the pool began
  std::uint64_t owed = 0;               // credited to the delegators and not claimed (rounding included)
  std::uint64_t unbonding_tokens = 0;   // the unbonding pool: what its shares are worth
  std::uint64_t unbonding_shares = 0;
  std::uint64_t delegations = 0;        // delegation records
  void encode(core::Writer& w) const;
  static core::Result<DelegationPool> decode(core::Reader& r);
  nlohmann::json to_json() const;
};

struct DelegationUnbonding {
  std::uint64_t release_height = 0;  // claimable from this height
  std::uint64_t shares = 0;          // of the validator's unbonding pool
  bool operator==(const DelegationUnbonding&) const = default;
};

struct Delegation {
  std::uint64_t shares = 0;         // earning this epoch
  std::uint64_t next_shares = 0;    // from the end of changed_epoch on
  std::uint64_t changed_epoch = 0;
  RewardSum start = 0;              // the pool's sum when `shares` last settled
  std::uint64_t rewards = 0;        // settled, not claimed
  std::uint64_t claimed_total = 0;
  std::vector<DelegationUnbonding> unbonding;  // at most kDelegationUnbondingsMax
  void encode(core::Writer& w) const;
  static core::Result<Delegation> decode(core::Reader& r);
  nlohmann::json to_json() const;
};

// Payloads: "delegate" and "undelegate" {validator, amount (tokens)}; "claim" {validator}.
struct DelegationChange {
  crypto::Address validator;
  std::uint64_t amount = 0;
  void encode(core::Writer& w) const;
  static core::Result<DelegationChange> decode(core::Reader& r);
};
struct DelegationClaim {
  crypto::Address validator;
  void encode(core::Writer& w) const { validator.encode(w); }
  static core::Result<DelegationClaim> decode(core::Reader& r);
};
ledger::Payload delegate_payload(const crypto::Address& validator, std::uint64_t amount);
ledger::Payload undelegate_payload(const crypto::Address& validator, std::uint64_t amount);
ledger::Payload claim_payload(const crypto::Address& validator);

core::Bytes econ_pool_key(const crypto::Address& validator);
core::Bytes econ_delegation_key(const crypto::Address& validator, const crypto::Address& delegator);
core::Bytes econ_sum_key(const crypto::Address& validator, std::uint64_t epoch);

// Reads from any source of the econ namespace's entries (a ModuleState, committed state).
using EconReader = std::function<core::Result<std::optional<core::Bytes>>(core::ByteView key)>;
core::Result<std::optional<DelegationPool>> read_pool_from(const EconReader& get, const crypto::Address& validator);
core::Result<std::optional<Delegation>> read_delegation_from(const EconReader& get, const crypto::Address& validator,
                                                             const crypto::Address& delegator);
// `d` with everything it earned up to the pool's sum now settled into d.rewards, and a change
// from an ended epoch in force (kStateCorrupt when that epoch's sum is missing). `epoch` is the
// epoch in progress.
core::Status settle(const EconReader& get, const crypto::Address& validator, const DelegationPool& pool, Delegation& d,
                    std::uint64_t epoch);
// What a delegation's unbonding entries are worth now (the pool's rate), and of them what is
// claimable at `height`.
std::uint64_t unbonding_value(const DelegationPool& pool, const Delegation& d, std::uint64_t height, bool matured_only);
// What the delegation's next shares are worth now.
std::uint64_t delegation_value(const DelegationPool& pool, const Delegation& d);

struct EconSupply;
// The three payload kinds (the Econ module checked the payload). A slashed validator takes no
// new delegations (econ_slashed).
core::Status apply_delegation(const ledger::TxContext& tx, ledger::ModuleState& state, EconSupply& supply,
                              std::uint64_t unbonding_blocks);

// At an epoch's end, per validator with a pool: credit `reward` to its delegators (returns what
// could not be: the pool has no shares earning), then let the changes of `epoch` take effect.
core::Result<std::uint64_t> pay_and_roll_pool(ledger::ModuleState& state, const crypto::Address& validator,
                                              DelegationPool& pool, std::uint64_t reward, std::uint64_t epoch);
// Slashing burns `bps` of the pool's held and unbonding tokens; what it burned of each.
struct PoolCut {
  std::uint64_t held = 0;
  std::uint64_t unbonding = 0;
};
PoolCut slash_pool(DelegationPool& pool, std::uint32_t bps);

}  // namespace metanode::modules
