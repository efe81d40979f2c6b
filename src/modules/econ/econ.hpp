// The economics module ("econ"): where every unit of every fee and block reward goes.
//
// The bank charges each transaction's fee into the block's fee pool (base fees and tips,
// ledger::FeeTotals). At the end of each block this module splits the pool and the block's
// reward (an issuance schedule fixed in genesis) by ratios in basis points between burn, the
// treasury, the block's proposer and all validators by stake. The treasury (a module account no
// key signs for, treasury_address()) is credited at once; the proposer's part accrues on its
// validator record, the validators' part in the epoch's pool; at the last block of each epoch
// (every epoch_blocks blocks) the pool is divided by stake and everything accrued is paid into
// the validators' accounts, with an on-chain payout record. Integer arithmetic only; every
// rounding remainder goes to the treasury. Invariant, after every block:
//   sum of all balances + accrued + bonded + unbonding == genesis supply + issued - burned
// (`metanode verify` checks it at the head; the randomized executor test after every block).
//
// Stake is tokens: a genesis validator starts with its genesis stake bonded (1 unless the section
// says otherwise; part of the genesis supply), `bond` moves tokens from the validator's account
// into its stake and `unbond` back out, released after the unbonding period. A change takes effect
// at the end of the epoch in progress, so an epoch's rewards are divided by the stake of the whole
// epoch.
//
// Without an "econ" genesis section the split is what the chain always did: base fees burned,
// tips to the proposer, paid every block. The admin council changes the ratios and the epoch
// length by a governance proposal (set_econ_ratios); the new ones apply from the next epoch.
//
// State (keys in the "econ" namespace; the text form GET /v1/state takes is in brackets):
//   "params"                  [params]              EconParams
//   "supply"                  [supply]              EconSupply: genesis, issued, burned, accrued, epoch
//   "validator:" address (32) [validator:ADDRESS]   ValidatorEcon: stake, accrued proposer share, paid
//   "vset:" page (u32 BE)     [vset:N]              up to 64 validator addresses (sorted overall)
//   "payout:" epoch (u64 BE)  [payout:EPOCH]        EpochPayout: what the epoch paid
//   "epoch_set:" n (u64 BE)   [epoch_set:N]         EpochSet: a validator set and its heights
//   "epoch_set_latest"        [epoch_set_latest]    the newest set's number
//   "slash:" address (32)     [slash:ADDRESS]       SlashRecord: the evidence that slashed a validator
//
// Slashing: anyone may submit two conflicting votes one member of an epoch's set signed (kind
// "evidence", EquivocationEvidence). Verified against that epoch's set and chain id, it burns
// slash_bps of the member's bonded and unbonding stake, once: the member is marked slashed, later
// evidence against it is refused (econ_evidence_duplicate), it bonds no more and leaves the set at
// the next published one. Evidence whose votes are older than the unbonding period is refused
// (econ_evidence_too_old): by then the stake may be gone.
#pragma once

#include <functional>
#include <limits>
#include <optional>
#include <vector>

#include "crypto/consensus_vote.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/mldsa.hpp"
#include "ledger/module.hpp"
#include "modules/econ/delegation.hpp"

namespace metanode::modules {

inline constexpr std::string_view kEconModule = "econ";
inline constexpr std::uint32_t kBasisPoints = 10'000;
inline constexpr std::size_t kValidatorsPerPage = 64;
inline constexpr std::string_view kBondKind = "bond";
inline constexpr std::string_view kUnbondKind = "unbond";
inline constexpr std::string_view kEvidenceKind = "evidence";
inline constexpr std::string_view kProposalEvidenceKind = "proposal_evidence";
inline constexpr std::uint32_t kSlashBpsDefault = 1'000;  // 10 % of the stake
inline constexpr std::size_t kUnbondingEntriesMax = 16;

// How one pool is divided, in basis points summing to kBasisPoints.
struct Split {
  std::uint32_t burn = 0;
  std::uint32_t treasury = 0;
  std::uint32_t proposer = 0;
  std::uint32_t validators = 0;
  bool operator==(const Split&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<Split> decode(core::Reader& r);
  nlohmann::json to_json() const;
};

// What governance may change (modules/governance, action set_econ_ratios): the split ratios and
// the epoch length, never the issuance schedule genesis fixed. A change takes effect at the end
// of the epoch in progress.
struct EconRatios {
  std::uint64_t epoch_blocks = 1;
  Split base_fee_split;
  Split tip_split;
  Split reward_split;
  std::uint32_t slash_bps = kSlashBpsDefault;  // of a slashed validator's stake, burned
  bool operator==(const EconRatios&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<EconRatios> decode(core::Reader& r);
  nlohmann::json to_json() const;
  // {"epoch_blocks", "base_fee_split", "tip_split", "reward_split"} required, "slash_bps"
  // optional (kSlashBpsDefault when absent); kTxMalformed naming what is wrong.
  static core::Result<EconRatios> from_json(const nlohmann::json& fields);
  // Each split adds up to 10000 basis points, the reward is never burned, the epoch is 1 to
  // 10,000,000 blocks, slash_bps is at most 10000 (kTxMalformed naming what is wrong).
  core::Status check() const;
};

struct EconParams {
  std::uint64_t epoch_blocks = 1;                      // payouts at every multiple of this height
  Split base_fee_split{kBasisPoints, 0, 0, 0};          // default: base fees are burned
  Split tip_split{0, 0, kBasisPoints, 0};               // default: tips go to the proposer
  std::uint64_t block_reward = 0;                       // issued per block in the first era
  std::uint64_t halving_blocks = 0;                     // the reward halves every this many blocks (0: never)
  Split reward_split{0, 0, kBasisPoints / 2, kBasisPoints / 2};  // never burned
  std::uint64_t unbonding_blocks = 100;                 // unbonded stake is released this much later (genesis)
  std::uint32_t slash_bps = kSlashBpsDefault;           // burned of a validator's stake on proven equivocation
  bool operator==(const EconParams&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<EconParams> decode(core::Reader& r);
  nlohmann::json to_json() const;
  // The reward of the block at `height` (>= 1) by the schedule.
  std::uint64_t reward_at(std::uint64_t height) const;
  EconRatios ratios() const { return {epoch_blocks, base_fee_split, tip_split, reward_split, slash_bps}; }
  void set_ratios(const EconRatios& r) {
    epoch_blocks = r.epoch_blocks;
    base_fee_split = r.base_fee_split;
    tip_split = r.tip_split;
    reward_split = r.reward_split;
    slash_bps = r.slash_bps;
  }
};

struct EconSupply {
  std::uint64_t genesis = 0;   // the genesis accounts' balances together
  std::uint64_t issued = 0;    // block rewards so far
  std::uint64_t burned = 0;
  std::uint64_t accrued = 0;   // owed to validators, not yet paid: proposer shares and the epoch's pool
  std::uint64_t epoch_pool = 0;  // the validators' share of this epoch so far (part of accrued)
  std::uint64_t epoch = 0;       // the epoch in progress (0 from genesis)
  std::uint64_t epoch_end = 0;   // the height of its last block (payouts are made there)
  std::uint64_t treasury = 0;    // credited to the treasury so far
  std::uint64_t bonded = 0;      // stake: tokens held by the module for the validators (genesis stakes included)
  std::uint64_t unbonding = 0;   // unbonded, released at the end of the first epoch past the unbonding period
  std::uint64_t delegated = 0;   // delegations' tokens (delegation.hpp), held by the module
  std::uint64_t delegation_unbonding = 0;  // undelegated, claimable after the unbonding period
  std::uint64_t delegator_owed = 0;        // rewards credited to delegations, not claimed
  void encode(core::Writer& w) const;
  static core::Result<EconSupply> decode(core::Reader& r);
  nlohmann::json to_json() const;
  // What the module holds: accrued + stake + delegations, unbonding or not, + delegators' rewards.
  std::uint64_t held() const { return accrued + bonded + unbonding + delegated + delegation_unbonding + delegator_owed; }
  // genesis + issued - burned: what every balance and held() add up to.
  std::uint64_t total() const { return genesis + issued - burned; }
};

struct Unbonding {
  std::uint64_t release_height = 0;  // released at the first epoch's end at or after it
  std::uint64_t amount = 0;
  bool operator==(const Unbonding&) const = default;
};

struct ValidatorEcon {
  std::uint64_t stake = 1;         // in force this epoch: its rewards and (with set changes) its voting power
  std::uint64_t next_stake = 1;    // from the next epoch on (bond and unbond change it)
  std::vector<Unbonding> unbonding;  // at most kUnbondingEntriesMax
  std::uint64_t accrued = 0;       // proposer shares since the last payout
  std::uint64_t paid_total = 0;
  std::uint64_t last_paid = 0;     // the last payout
  std::uint64_t last_paid_epoch = 0;
  bool slashed = false;            // proven to equivocate: bonds no more, leaves the next published set
  void encode(core::Writer& w) const;
  static core::Result<ValidatorEcon> decode(core::Reader& r);
  nlohmann::json to_json() const;
};

struct EpochPayout {
  std::uint64_t epoch = 0;
  std::uint64_t height = 0;          // the block that paid it
  std::uint64_t validators_pool = 0;  // divided by stake
  std::uint64_t proposer_shares = 0;
  std::uint64_t paid = 0;            // into validators' accounts
  std::uint64_t to_treasury = 0;     // the pool's rounding remainder
  std::uint32_t validators = 0;
  std::uint64_t to_delegators = 0;   // the delegators' part of the pool (delegation.hpp), credited to their pools
  void encode(core::Writer& w) const;
  static core::Result<EpochPayout> decode(core::Reader& r);
  nlohmann::json to_json() const;
};

// The validator set of one consensus epoch (consensus/epochs.hpp). Set 0 is genesis's. A new one
// is published only when the members change: at the end of a payout epoch, if an admitted
// candidate bonded or a member holds no stake any more, to begin kSetActivationBlocksMin or one
// payout epoch later, whichever is more (so every node learns it well before the height, while
// consensus still decides the blocks before it); the set before it then gets its last height.
// Every node, and a light client with a state proof, so reads the same set for the same
// heights. Members keep the order they were published in (genesis order, then joiners by
// address): a member's index is its place here. Each counts one vote; its stake (as of the
// publication) weighs its rewards.
// Stored as a header ("epoch_set:" n: number, heights, member count) and pages of
// kEpochMembersPerPage members ("epoch_set:" n page (u32 BE)), each within a state value's limit.
// Consensus and header certificates use the Ed25519 keys; a member's ML-DSA key is in its
// genesis entry or its candidate record.
struct EpochMember {
  std::string name;
  crypto::PublicKey key;
  std::uint64_t stake = 0;
  bool operator==(const EpochMember&) const = default;
};
struct EpochSet {
  std::uint64_t number = 0;
  std::uint64_t first_height = 1;
  std::uint64_t last_height = 0;  // inclusive; open-ended (kSetOpenEnded) until the next is published
  std::vector<EpochMember> members;
  bool operator==(const EpochSet&) const = default;
  nlohmann::json to_json() const;
};
inline constexpr std::size_t kEpochMembersPerPage = 32;
inline constexpr std::size_t kEpochMembersMax = 256;  // consensus::kValidatorsMax
inline constexpr std::uint64_t kSetActivationBlocksMin = 8;
inline constexpr std::uint64_t kSetOpenEnded = std::numeric_limits<std::uint64_t>::max();
inline constexpr std::string_view kEpochSetLatestKey = "epoch_set_latest";
struct EpochNumber {
  std::uint64_t number = 0;
  void encode(core::Writer& w) const;
  static core::Result<EpochNumber> decode(core::Reader& r);
};
// The newest published set's number (it may not have begun yet: compare its first_height).
core::Result<std::uint64_t> read_latest_epoch_set(const ledger::StateReader& state);

// A validator candidate governance admitted (admit_validator): its name and keys, kept in the
// governance namespace under "validator_candidate:" address. It bonds stake like a validator and
// joins the set at the next epoch end at which it holds a stake; until then it votes on nothing.
struct ValidatorCandidate {
  std::string name;
  crypto::PublicKey key;
  crypto::MldsaPublicKey mldsa;
  bool operator==(const ValidatorCandidate&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<ValidatorCandidate> decode(core::Reader& r);
  nlohmann::json to_json() const;
  core::Status check() const;  // a name of 1-64 printable ASCII characters
};
inline constexpr std::string_view kGovCandidatePrefix = "validator_candidate:";
core::Bytes gov_candidate_key(const crypto::Address& candidate);  // in the governance namespace
core::Bytes econ_epoch_set_key(std::uint64_t epoch);
core::Result<std::optional<EpochSet>> read_epoch_set(const ledger::StateReader& state, std::uint64_t epoch);
// The same from any source of the econ namespace's entries (`get` takes a key in that namespace):
// a light client reads a set from entries it proved against a certified header.
using EconGetter = std::function<core::Result<std::optional<core::Bytes>>(core::ByteView key)>;
core::Result<std::optional<EpochSet>> read_epoch_set_from(const EconGetter& get, std::uint64_t epoch);
// Every econ key set `set.number` is stored under (its header, then each page), for proofs.
std::vector<core::Bytes> econ_epoch_set_keys(const EpochSet& set);

// Evidence of equivocation: two votes `offender`, a member of epoch `epoch`'s set, signed for the
// same kind, height and round with different content (crypto::votes_conflict), each with its
// Ed25519 signature over VoteData::signing_digest(epoch_chain_id(consensus_chain_id(genesis
// digest), epoch)). The consensus engines report exactly this (consensus::EquivocationSeen).
struct EquivocationEvidence {
  std::uint64_t epoch = 0;
  crypto::PublicKey offender;
  crypto::VoteData first;
  crypto::Signature first_signature;
  crypto::VoteData second;
  crypto::Signature second_signature;
  bool operator==(const EquivocationEvidence&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<EquivocationEvidence> decode(core::Reader& r);
  nlohmann::json to_json() const;
  static core::Result<EquivocationEvidence> from_json(const nlohmann::json& fields);
  // Both signatures verify for the epoch's chain id, and the votes conflict (kEconEvidenceInvalid
  // saying which part fails otherwise). The offender's membership is the module's to check.
  core::Status verify(const core::Hash32& genesis_digest) const;
};
ledger::Payload evidence_payload(const EquivocationEvidence& evidence);

// Evidence of a leader's equivocation: two proposals `offender`, a member of epoch `epoch`'s set,
// signed for the same height and round (IBFT) or view (HotStuff) naming different blocks
// (crypto::proposals_conflict), in the form its engine signs (crypto::SignedProposal).
struct ProposalEvidence {
  std::uint64_t epoch = 0;
  crypto::PublicKey offender;
  crypto::ProposalForm form = crypto::ProposalForm::kIbftPrePrepare;
  crypto::SignedProposal first;
  crypto::SignedProposal second;
  bool operator==(const ProposalEvidence&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<ProposalEvidence> decode(core::Reader& r);
  nlohmann::json to_json() const;
  static core::Result<ProposalEvidence> from_json(const nlohmann::json& fields);
  core::Status verify(const core::Hash32& genesis_digest) const;
};
ledger::Payload proposal_evidence_payload(const ProposalEvidence& evidence);

// What slashing a validator did (kept under "slash:" address; one per validator: it is slashed once).
struct SlashRecord {
  std::uint64_t epoch = 0;        // the evidence's epoch
  std::uint8_t kind = 1;          // a crypto::VoteKind, or kSlashForProposals
  std::uint64_t vote_height = 0;  // the conflicting votes' (or proposals') height and round (view)
  std::uint64_t vote_round = 0;
  std::uint64_t height = 0;       // the block that slashed it
  std::uint64_t amount = 0;       // burned
  crypto::Address reporter;       // who submitted the evidence
  core::Hash32 evidence{};        // hash of the evidence payload
  void encode(core::Writer& w) const;
  static core::Result<SlashRecord> decode(core::Reader& r);
  nlohmann::json to_json() const;
};
inline constexpr std::uint8_t kSlashForProposals = 5;
core::Bytes econ_slash_key(const crypto::Address& validator);
core::Result<std::optional<SlashRecord>> read_slash(const ledger::StateReader& state, const crypto::Address& validator);

// The treasury's account: a module account (crypto::Address::from_kind), no key can sign for it.
crypto::Address treasury_address();

core::Bytes econ_validator_key(const crypto::Address& validator);
core::Bytes econ_payout_key(std::uint64_t epoch);
inline constexpr std::string_view kEconParamsKey = "params";
inline constexpr std::string_view kEconSupplyKey = "supply";

// Reads (committed state, the API and `metanode verify`).
core::Result<EconSupply> read_supply(const ledger::StateReader& state);
// The supply's bookkeeping adds up: balances (summed by the caller over every holder) + accrued +
// bonded + unbonding == genesis + issued - burned; kStateCorrupt saying by how much otherwise.
core::Status check_supply(const EconSupply& supply, std::uint64_t balances);
core::Result<EconParams> read_params(const ledger::StateReader& state);
core::Result<std::optional<ValidatorEcon>> read_validator_econ(const ledger::StateReader& state,
                                                              const crypto::Address& validator);
core::Result<std::vector<crypto::Address>> read_validator_addresses(const ledger::StateReader& state);
core::Result<std::optional<EpochPayout>> read_payout(const ledger::StateReader& state, std::uint64_t epoch);
// Every validator's stake together, with the delegations in force of those with a stake of their
// own: what the epoch's pool is divided by (kStateCorrupt when a validator has no record).
core::Result<std::uint64_t> read_total_stake(const ledger::StateReader& state);

// The genesis section's parameters and stakes (kGenesisInvalid naming what is wrong):
//   "econ": {"epoch_blocks": N, "base_fee_split": {"burn": BPS, "treasury": BPS, "proposer": BPS,
//            "validators": BPS}, "tip_split": {...}, "block_reward": N, "halving_blocks": N,
//            "reward_split": {...: burn must be 0}, "unbonding_blocks": N, "slash_bps": BPS,
//            "stakes": {"VALIDATOR NAME": N, ...}}
// Payload of kinds "bond" and "unbond": the amount, from or to the sender's account (a validator).
struct StakeChange {
  std::uint64_t amount = 0;
  void encode(core::Writer& w) const { w.u64(amount); }
  static core::Result<StakeChange> decode(core::Reader& r);
};
ledger::Payload bond_payload(std::uint64_t amount);
ledger::Payload unbond_payload(std::uint64_t amount);

struct EconGenesis {
  EconParams params;
  std::vector<std::pair<crypto::Address, std::uint64_t>> stakes;  // every genesis validator, sorted by address
};
core::Result<EconGenesis> econ_genesis(const ledger::Genesis& genesis);

class Econ final : public ledger::Module {
 public:
  std::string_view name() const override { return kEconModule; }
  std::vector<std::string_view> payload_kinds() const override {
    return {kBondKind, kUnbondKind, kEvidenceKind, kProposalEvidenceKind, kDelegateKind, kUndelegateKind, kClaimKind};
  }
  core::Status check_payload(const ledger::Payload& payload, const crypto::Address& sender) const override;
  // econ_not_validator: the sender has no validator record; econ_unbond_too_much: a validator keeps
  // a stake of at least 1 (leaving the set is governance's) unless it was slashed; econ_unbonding_full:
  // 16 unbondings wait already; tx_insufficient_balance: bond more than the balance; econ_slashed:
  // a slashed validator bonds. Evidence: econ_evidence_invalid (a signature, no conflict, not a
  // member of that epoch's set, an epoch not yet begun), econ_evidence_duplicate (slashed
  // already), econ_evidence_too_old (older than the unbonding period).
  core::Status apply(const ledger::TxContext& tx, ledger::ModuleState& state,
                     std::vector<ledger::Event>& events) const override;
  core::Status init_genesis(const ledger::Genesis& genesis, ledger::ModuleState& state) const override;
  core::Status end_block(const ledger::BlockEnd& end, ledger::ModuleState& state) const override;

  core::Result<core::Bytes> payload_from_json(std::string_view kind, const nlohmann::json& fields) const override;
  nlohmann::json payload_to_json(const ledger::Payload& payload) const override;
  core::Result<core::Bytes> key_from_text(std::string_view text) const override;
  nlohmann::json value_to_json(core::ByteView key, core::ByteView value) const override;
};

}  // namespace metanode::modules
