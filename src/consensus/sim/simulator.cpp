#include "consensus/sim/simulator.hpp"

#include "consensus/reputation.hpp"
#include "consensus/sync.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>

#include "consensus/engine.hpp"
#include "consensus/epochs.hpp"
#include "consensus/hotstuff/hotstuff_engine.hpp"
#include "consensus/hotstuff/messages.hpp"
#include "consensus/ibft/ibft_engine.hpp"
#include "consensus/ibft/messages.hpp"
#include "consensus/sim/lock_attack.hpp"

namespace metanode::consensus::sim {

std::string_view engine_name(EngineKind kind) { return kind == EngineKind::kIbft ? "ibft" : "hotstuff"; }

std::string_view broken_name(Broken broken) {
  switch (broken) {
    case Broken::kNone: return "none";
    case Broken::kQuorum: return "quorum";
    case Broken::kLock: return "lock";
    case Broken::kNoPersist: return "no-persist";
    case Broken::kPreviousSet: return "previous-set";
  }
  return "none";
}

bool parse_engine(std::string_view text, EngineKind& out) {
  if (text == "ibft") out = EngineKind::kIbft;
  else if (text == "hotstuff") out = EngineKind::kHotStuff;
  else return false;
  return true;
}

bool parse_broken(std::string_view text, Broken& out) {
  for (Broken b : {Broken::kNone, Broken::kQuorum, Broken::kLock, Broken::kNoPersist, Broken::kPreviousSet}) {
    if (broken_name(b) == text) {
      out = b;
      return true;
    }
  }
  return false;
}

void FaultCounts::add(const FaultCounts& o) {
  byzantine_silent += o.byzantine_silent;
  byzantine_equivocating += o.byzantine_equivocating;
  byzantine_double_voting += o.byzantine_double_voting;
  twins += o.twins;
  byzantine_lock_attackers += o.byzantine_lock_attackers;
  lock_attacks_launched += o.lock_attacks_launched;
  crashes += o.crashes;
  restarts += o.restarts;
  partitions += o.partitions;
  dropped += o.dropped;
  duplicated += o.duplicated;
  invalid_payloads += o.invalid_payloads;
  equivocations_reported += o.equivocations_reported;
  proposal_equivocations_reported += o.proposal_equivocations_reported;
  epochs += o.epochs;
  joins += o.joins;
  leaves += o.leaves;
}

namespace {

enum class Role { kHonest, kSilent, kEquivocate, kDoubleVote, kTwin, kLockAttacker };

std::string_view role_name(Role r) {
  switch (r) {
    case Role::kHonest: return "honest";
    case Role::kSilent: return "silent";
    case Role::kEquivocate: return "equivocating leader";
    case Role::kDoubleVote: return "double voter";
    case Role::kTwin: return "twin";
    case Role::kLockAttacker: return "lock attacker";
  }
  return "?";
}

struct Committed {
  Block block;
  core::Hash32 id{};
  QuorumCert cert;
  std::vector<Block> suffix;
};

// Block sync is the node's own (consensus/sync.hpp): requests and replies cross the fake network
// as the bytes the node sends over XTMP.
constexpr std::uint64_t kSyncRetryMs = 300;

// An instance runs one member's key (its `index` in the pool of keys; with one epoch, its index
// in the one validator set). Twins are two instances of one member.
struct Instance {
  ValidatorIndex index = 0;
  Role role = Role::kHonest;
  std::unique_ptr<EpochEngine> engine;
  bool up = false;
  std::optional<core::Bytes> persisted;
  std::map<core::Hash32, Block> stored_blocks;
  std::vector<Committed> chain;
  std::uint64_t timer_generation = 0;
  std::map<std::uint64_t, core::Hash32> expected_targets;  // height -> id a certificate promised
  SyncClient sync{kSyncRetryMs};
  std::uint64_t timed_out_at_gst = 0;
  // Byzantine memory: block ids seen per (height, round).
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::vector<core::Hash32>> seen_blocks;
  std::map<std::uint64_t, QuorumCert> seen_qcs;  // HotStuff: QCs by view, for stale proposals
  bool crashed_for_good = false;  // a clean run's failover: down from its crash to the end
  bool honest() const { return role == Role::kHonest && !crashed_for_good; }
};

enum class EventType { kDeliver, kTimer, kPayload, kVerdict, kCrash, kRestart, kPartition, kHeal, kSyncRequest, kSyncReply, kGst };

struct Event {
  std::uint64_t time = 0;
  std::uint64_t seq = 0;
  EventType type = EventType::kDeliver;
  std::size_t inst = 0;
  ValidatorIndex from = 0;  // the sending member (kSyncRequest: the asking instance)
  std::uint64_t epoch = 0;  // kDeliver: the epoch the message belongs to
  SharedBytes bytes;
  std::uint64_t number = 0;  // timer generation, height, or sync start height
  core::Hash32 id{};
  bool valid = true;
  bool for_good = false;  // kCrash: never restarted
  std::vector<int> groups;
};

struct Later {
  bool operator()(const Event& a, const Event& b) const {
    return a.time != b.time ? a.time > b.time : a.seq > b.seq;
  }
};

// A signed statement an honest validator may make only once: (kind, height, round) -> block.
struct Claim {
  int kind = 0;
  std::uint64_t height = 0;
  std::uint64_t round = 0;
  core::Hash32 id{};
};

class Simulation {
 public:
  explicit Simulation(const SimConfig& cfg) : cfg_(cfg), rng_(cfg.seed * 0x9E3779B97F4A7C15ull + 0x5EED) {}

  SimResult run();

 private:
  std::uint64_t uniform(std::uint64_t lo, std::uint64_t hi) { return lo + rng_() % (hi - lo + 1); }
  bool chance(std::uint64_t num, std::uint64_t den) { return num > 0 && rng_() % den < num; }

  void setup();
  void plan_faults();
  std::unique_ptr<EpochEngine> make_engine(ValidatorIndex index);
  // Epochs: each one's set, drawn from the seed when first needed (every instance gets the same).
  struct EpochPlan {
    Epoch epoch;                          // with the set engines must run with
    std::vector<ValidatorIndex> members;  // pool indices, ascending
  };
  const EpochPlan& epoch_plan(std::uint64_t number);
  std::uint64_t epoch_of_height(std::uint64_t height) const {
    return cfg_.epoch_blocks == 0 || height == 0 ? 0 : (height - 1) / cfg_.epoch_blocks;
  }
  // What the engines of `number` get: its plan, or the previous epoch's set (Broken::kPreviousSet).
  Epoch engine_epoch(std::uint64_t number);
  ValidatorIndex member_of(const crypto::PublicKey& key) const { return members_by_key_.at(key); }
  void on_epoch_end(std::size_t i);
  void on_equivocation(std::size_t i, const EquivocationSeen& e);
  void on_proposal_equivocation(std::size_t i, const ProposalEquivocationSeen& e);
  void start_instance(std::size_t i);
  void push(Event e) {
    e.seq = seq_++;
    queue_.push(std::move(e));
  }
  void process(std::size_t i, Actions& actions);
  void handle_event(const Event& e);
  void link(std::size_t from, std::size_t to, Event e);
  void send_engine_message(std::size_t from, std::optional<ValidatorIndex> to, SharedBytes bytes);
  void send_byzantine(std::size_t from, std::optional<ValidatorIndex> to, const SharedBytes& bytes);
  void send_from_instance(std::size_t i, std::optional<ValidatorIndex> to, const SharedBytes& bytes);
  void attack_observe(std::size_t from, std::optional<ValidatorIndex> to, const core::Bytes& bytes);
  void check_honest_claims(std::size_t i, const core::Bytes& bytes);
  std::vector<Claim> claims_of(const core::Bytes& bytes) const;
  void on_commit(std::size_t i, const CommitBlock& c);
  void remember_block(std::size_t i, const core::Bytes& bytes);
  std::string describe(const core::Bytes& bytes) const {
    return cfg_.engine == EngineKind::kIbft ? ibft::describe_message(bytes) : hotstuff::describe_message(bytes);
  }
  void trace(const std::string& line) {
    if (cfg_.trace && result_.trace.size() < 500'000) result_.trace.push_back("t=" + std::to_string(now_) + " " + line);
  }
  void violate(const std::string& what) {
    if (!result_.ok) return;
    result_.ok = false;
    result_.violation = what;
    trace("VIOLATION " + what);
  }
  std::uint64_t honest_min_height() const;
  std::uint64_t honest_max_height() const;

  SimConfig cfg_;
  std::mt19937_64 rng_;
  SimResult result_;
  std::uint64_t now_ = 0;
  std::uint64_t seq_ = 0;
  std::priority_queue<Event, std::vector<Event>, Later> queue_;

  core::Hash32 chain_id_{};
  core::Hash32 genesis_id_{};
  std::map<std::uint64_t, EpochPlan> epochs_;
  std::map<crypto::PublicKey, ValidatorIndex> members_by_key_;
  std::vector<std::shared_ptr<const crypto::KeyPair>> keys_;
  std::shared_ptr<CachingVerifier> verifier_;
  std::vector<Instance> instances_;
  std::optional<LockAttack> attack_;  // HotStuff seeds with a lock attacker
  std::size_t attacker_instance_ = 0;  // with attack_: the attacker's instance

  // Network model before GST.
  std::uint64_t gst_ms_ = 0;
  std::uint64_t drop_per_mille_ = 0;
  std::uint64_t dup_per_mille_ = 0;
  std::vector<int> partition_;  // group per instance; empty: none
  bool after_gst_ = false;
  std::uint64_t target_height_ = 0;

  std::map<std::uint64_t, std::pair<core::Hash32, std::size_t>> decided_;  // height -> (id, first instance)
  // (member, epoch, kind, height, round) -> what it signed
  std::map<std::tuple<ValidatorIndex, std::uint64_t, int, std::uint64_t, std::uint64_t>, core::Hash32> honest_claims_;
  std::map<std::uint64_t, std::uint64_t> proposed_at_;  // clean runs: height -> payload time
  std::uint64_t latency_sum_ms_ = 0;
  std::uint64_t last_decided_ms_ = 0;  // the newest height's first commit (failover gaps)
  std::uint64_t latency_count_ = 0;
};

void Simulation::setup() {
  core::Writer w;
  w.u64(cfg_.seed);
  w.string(engine_name(cfg_.engine), 16);
  chain_id_ = core::hash(core::Domain::Test, w.data());
  genesis_id_ = genesis_block(chain_id_).id();
  const std::size_t pool = cfg_.validators + (cfg_.epoch_blocks > 0 ? SimConfig::kSpareMembers : 0);
  for (std::size_t i = 0; i < pool; ++i) {
    crypto::Seed seed{};
    seed[0] = static_cast<core::Byte>(i);
    seed[1] = static_cast<core::Byte>(i >> 8);
    seed[31] = 0x5A;
    keys_.push_back(std::make_shared<const crypto::KeyPair>(crypto::KeyPair::from_seed(seed)));
    members_by_key_.emplace(keys_.back()->public_key(), static_cast<ValidatorIndex>(i));
  }
  (void)epoch_plan(0);
  verifier_ = std::make_shared<CachingVerifier>();
  for (std::size_t i = 0; i < pool; ++i) {
    Instance inst;
    inst.index = static_cast<ValidatorIndex>(i);
    instances_.push_back(std::move(inst));
  }
}

// Longer than a screen: the seeded fault plan (crashes, restarts, partitions, Byzantine roles)
// drawn in one place so a seed replays exactly.
void Simulation::plan_faults() {
  FaultCounts& fc = result_.faults;
  if (!cfg_.faults) {
    gst_ms_ = 0;
    for (std::size_t k = 0; k < cfg_.crashed_for_good && k < instances_.size(); ++k) {
      Event crash;
      crash.time = cfg_.crash_at_ms;
      crash.type = EventType::kCrash;
      crash.inst = instances_.size() - 1 - k;
      crash.for_good = true;
      push(crash);
    }
    return;
  }
  const std::size_t n = cfg_.validators;
  const std::size_t f = (n - 1) / 3;
  // Byzantine validators: up to f, each with one behaviour; a twin pair counts as one.
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  for (std::size_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng_() % (i + 1)]);
  const std::size_t byzantine = uniform(0, f);
  const std::uint64_t behaviours = cfg_.engine == EngineKind::kHotStuff ? 5 : 4;
  for (std::size_t k = 0; k < byzantine; ++k) {
    Instance& inst = instances_[order[k]];
    switch (rng_() % behaviours) {
      case 0: inst.role = Role::kSilent; ++fc.byzantine_silent; break;
      case 1: inst.role = Role::kEquivocate; ++fc.byzantine_equivocating; break;
      case 2: inst.role = Role::kDoubleVote; ++fc.byzantine_double_voting; break;
      case 4:
        if (attack_ || cfg_.epoch_blocks > 0) {  // one schedule per seed; its schedule knows one set
          inst.role = Role::kSilent;
          ++fc.byzantine_silent;
          break;
        }
        inst.role = Role::kLockAttacker;
        attack_.emplace(inst.index, keys_[inst.index], chain_id_, epoch_plan(0).epoch.validators.quorum());
        attacker_instance_ = order[k];
        ++fc.byzantine_lock_attackers;
        break;
      default: {
        inst.role = Role::kTwin;
        Instance twin;
        twin.index = inst.index;
        twin.role = Role::kTwin;
        instances_.push_back(std::move(twin));
        ++fc.twins;
        break;
      }
    }
  }
  gst_ms_ = uniform(300, 5000);
  drop_per_mille_ = std::array<std::uint64_t, 4>{0, 20, 100, 300}[rng_() % 4];
  dup_per_mille_ = std::array<std::uint64_t, 3>{0, 20, 100}[rng_() % 3];
  // Crashes of honest validators, each restarted from its persisted state before GST.
  const std::uint64_t crashes = uniform(0, n);
  for (std::uint64_t c = 0; c < crashes; ++c) {
    const std::size_t i = rng_() % instances_.size();
    if (!instances_[i].honest()) continue;
    const std::uint64_t at = uniform(0, gst_ms_ - 1);
    const std::uint64_t back = std::min(gst_ms_, at + uniform(20, 1500));
    Event crash;
    crash.time = at;
    crash.type = EventType::kCrash;
    crash.inst = i;
    push(crash);
    Event restart;
    restart.time = back;
    restart.type = EventType::kRestart;
    restart.inst = i;
    push(restart);
  }
  // Partitions: the instances split in two groups for a while (twins usually land apart).
  const std::uint64_t partitions = uniform(0, 3);
  for (std::uint64_t p = 0; p < partitions; ++p) {
    Event e;
    e.type = EventType::kPartition;
    e.time = uniform(0, gst_ms_ - 1);
    for (std::size_t i = 0; i < instances_.size(); ++i) e.groups.push_back(static_cast<int>(rng_() % 2));
    push(e);
    Event heal;
    heal.type = EventType::kHeal;
    heal.time = std::min(gst_ms_, e.time + uniform(50, 1500));
    push(heal);
  }
  // Twins (Bayan et al., "Twins: BFT Systems Made Robust"): what makes a twin dangerous is a
  // partition that gives each copy of the key its own audience for several views. Most seeds with
  // twins get one such split.
  for (std::size_t i = 0; i < n; ++i) {
    if (instances_[i].role != Role::kTwin || !chance(3, 4)) continue;
    std::size_t other = i;
    for (std::size_t j = n; j < instances_.size(); ++j) {
      if (instances_[j].index == instances_[i].index) other = j;
    }
    Event e;
    e.type = EventType::kPartition;
    e.time = uniform(0, gst_ms_ / 2);
    for (std::size_t k = 0; k < instances_.size(); ++k) e.groups.push_back(static_cast<int>(rng_() % 2));
    e.groups[i] = 0;
    e.groups[other] = 1;
    push(e);
    Event heal;
    heal.type = EventType::kHeal;
    heal.time = std::min(gst_ms_, e.time + uniform(500, 4000));
    push(heal);
  }
  Event gst;
  gst.type = EventType::kGst;
  gst.time = gst_ms_;
  push(gst);
}

const Simulation::EpochPlan& Simulation::epoch_plan(std::uint64_t number) {
  if (auto it = epochs_.find(number); it != epochs_.end()) return it->second;
  EpochPlan plan;
  plan.epoch.number = number;
  if (cfg_.epoch_blocks > 0) {
    plan.epoch.first_height = number * cfg_.epoch_blocks + 1;
    plan.epoch.last_height = (number + 1) * cfg_.epoch_blocks;
  }
  if (number == 0) {
    for (std::size_t i = 0; i < cfg_.validators; ++i) plan.members.push_back(static_cast<ValidatorIndex>(i));
  } else {
    // Its own generator (seed, epoch): when an epoch is first needed does not change the draw.
    std::mt19937_64 rng(cfg_.seed * 0x2545F4914F6CDD1Dull + number * 0x9E3779B97F4A7C15ull);
    std::vector<ValidatorIndex> byzantine, honest;
    for (std::size_t m = 0; m < keys_.size(); ++m) {
      const bool bad = m < cfg_.validators && instances_.size() > m && instances_[m].role != Role::kHonest;
      (bad ? byzantine : honest).push_back(static_cast<ValidatorIndex>(m));
    }
    const std::size_t low = std::min(keys_.size(), std::max<std::size_t>(4, 3 * byzantine.size() + 1));
    const std::vector<ValidatorIndex>& before = epoch_plan(number - 1).members;
    for (int draw = 0; draw < 16 && (plan.members.empty() || plan.members == before); ++draw) {
      const std::size_t size = low + rng() % (keys_.size() - low + 1);
      std::vector<ValidatorIndex> pick = honest;
      for (std::size_t k = pick.size() - 1; k > 0; --k) std::swap(pick[k], pick[rng() % (k + 1)]);
      pick.resize(size - byzantine.size());
      pick.insert(pick.end(), byzantine.begin(), byzantine.end());
      std::sort(pick.begin(), pick.end());
      plan.members = std::move(pick);
    }
    const std::vector<ValidatorIndex>& previous = epoch_plan(number - 1).members;
    for (ValidatorIndex m : plan.members) {
      if (!std::binary_search(previous.begin(), previous.end(), m)) ++result_.faults.joins;
    }
    for (ValidatorIndex m : previous) {
      if (!std::binary_search(plan.members.begin(), plan.members.end(), m)) ++result_.faults.leaves;
    }
  }
  std::vector<crypto::PublicKey> keys;
  for (ValidatorIndex m : plan.members) keys.push_back(keys_[m]->public_key());
  plan.epoch.validators = ValidatorSet::create(keys).value();
  if (cfg_.broken == Broken::kQuorum) {
    plan.epoch.validators = plan.epoch.validators.with_unsafe_quorum_for_testing(plan.epoch.validators.max_faulty() + 1);
  }
  std::string names;
  for (ValidatorIndex m : plan.members) names += " " + std::to_string(m);
  trace("EPOCH " + std::to_string(number) + " heights " + std::to_string(plan.epoch.first_height) + ".." +
        (cfg_.epoch_blocks > 0 ? std::to_string(plan.epoch.last_height) : std::string("")) + " members" + names);
  return epochs_.emplace(number, std::move(plan)).first->second;
}

Epoch Simulation::engine_epoch(std::uint64_t number) {
  Epoch epoch = epoch_plan(number).epoch;
  if (cfg_.broken == Broken::kPreviousSet && number > 0) epoch.validators = epoch_plan(number - 1).epoch.validators;
  return epoch;
}

std::unique_ptr<EpochEngine> Simulation::make_engine(ValidatorIndex index) {
  EngineConfig ec{chain_id_, ValidatorSet{}, 0, keys_[index], verifier_, TimerPolicy{}, UnsafeForTesting{}};
  ec.timers = cfg_.faults ? TimerPolicy{200, 1600} : TimerPolicy{1000, 8000};
  ec.unsafe.ignore_lock = cfg_.broken == Broken::kLock;
  ec.leader_reputation = cfg_.leader_reputation;
  const EngineKind kind = cfg_.engine;
  return std::make_unique<EpochEngine>(std::move(ec), [kind](EngineConfig config) -> std::unique_ptr<Engine> {
    if (kind == EngineKind::kIbft) return std::make_unique<ibft::IbftEngine>(std::move(config));
    return std::make_unique<hotstuff::HotStuffEngine>(std::move(config));
  });
}

// What an honest engine reports as equivocation must be one: two valid signatures of one
// validator over conflicting votes of one kind, height and round, and never an honest validator's.
void Simulation::on_equivocation(std::size_t i, const EquivocationSeen& e) {
  const Instance& inst = instances_[i];
  if (!inst.honest()) return;
  const VoteData& a = e.first.data;
  const VoteData& b = e.second.data;
  const ValidatorSet& set = inst.engine->epoch().validators;
  if (a == b || a.kind != b.kind || a.height != b.height || a.round != b.round ||
      e.first.signature.signer != e.second.signature.signer || !set.contains(e.first.signature.signer)) {
    return violate("evidence: validator " + std::to_string(inst.index) + " reported votes that do not conflict");
  }
  for (const SignedVote* vote : {&e.first, &e.second}) {
    if (auto st = verify_vote(*vote, set, inst.engine->chain_id(), *verifier_); !st.ok()) {
      return violate("evidence: a reported vote does not verify: " + st.error().to_string());
    }
  }
  const ValidatorIndex member = member_of(set.key(e.first.signature.signer));
  if (instances_[member].role == Role::kHonest) {
    return violate("evidence: honest validator " + std::to_string(member) + " reported as equivocating at height " +
                   std::to_string(a.height) + " round " + std::to_string(a.round));
  }
  ++result_.faults.equivocations_reported;
  if (cfg_.trace) {
    trace("n" + std::to_string(i) + " saw validator " + std::to_string(member) + " equivocate: " +
          std::string(vote_kind_name(a.kind)) + " h=" + std::to_string(a.height) + " r=" + std::to_string(a.round));
  }
}

// The same for two proposals of one leader: both signed by it, conflicting, never an honest one's.
void Simulation::on_proposal_equivocation(std::size_t i, const ProposalEquivocationSeen& e) {
  const Instance& inst = instances_[i];
  if (!inst.honest()) return;
  const ValidatorSet& set = inst.engine->epoch().validators;
  if (!set.contains(e.signer) || !crypto::proposals_conflict(e.form, e.first, e.second)) {
    return violate("evidence: validator " + std::to_string(inst.index) + " reported proposals that do not conflict");
  }
  for (const crypto::SignedProposal* p : {&e.first, &e.second}) {
    auto digest = p->signing_digest(e.form, inst.engine->chain_id());
    if (!digest.ok() || !crypto::verify_digest(set.key(e.signer), *digest, p->signature)) {
      return violate("evidence: a reported proposal does not verify");
    }
  }
  const ValidatorIndex member = member_of(set.key(e.signer));
  if (instances_[member].role == Role::kHonest) {
    return violate("evidence: honest validator " + std::to_string(member) + " reported as proposing twice in round " +
                   std::to_string(e.first.round));
  }
  ++result_.faults.equivocations_reported;
  ++result_.faults.proposal_equivocations_reported;
  if (cfg_.trace) trace("n" + std::to_string(i) + " saw leader " + std::to_string(member) + " propose twice in round " + std::to_string(e.first.round));
}

void Simulation::on_epoch_end(std::size_t i) {
  Instance& inst = instances_[i];
  const std::uint64_t next = inst.engine->epoch().number + 1;
  trace("n" + std::to_string(i) + " epoch " + std::to_string(next - 1) + " over at height " +
        std::to_string(inst.chain.size()));
  Actions actions;
  inst.engine->begin_epoch(engine_epoch(next), inst.chain.back().block, now_, actions);
  process(i, actions);
}

void Simulation::start_instance(std::size_t i) {
  Instance& inst = instances_[i];
  inst.engine = make_engine(inst.index);
  inst.up = true;
  inst.sync.reset();
  EngineStart start;
  start.now_ms = now_;
  const Epoch epoch = engine_epoch(epoch_of_height(inst.chain.size() + 1));
  if (inst.chain.empty()) {
    start.committed = genesis_block(chain_id_);
  } else {
    start.committed = inst.chain.back().block;
    start.committed_cert = inst.chain.back().cert;
    start.epoch_root = inst.chain.size() + 1 == epoch.first_height;
    // Only the epoch's own blocks: an earlier epoch's indices name other validators.
    const std::size_t in_epoch = inst.chain.size() - (epoch.first_height - 1);
    const std::size_t history = std::min(in_epoch == 0 ? 0 : in_epoch - 1, LeaderReputation::window_for(epoch.validators.size()) + 32);
    for (std::size_t k = inst.chain.size() - 1 - history; k + 1 < inst.chain.size(); ++k) {
      start.history.push_back(inst.chain[k].block);
    }
  }
  if (cfg_.broken != Broken::kNoPersist) {
    start.persisted = inst.persisted;
    for (const auto& [id, b] : inst.stored_blocks) start.stored_blocks.push_back(b);
  }
  Actions actions;
  inst.engine->start(epoch, start, actions);
  process(i, actions);
}

void Simulation::link(std::size_t from, std::size_t to, Event e) {
  e.inst = to;
  if (attack_ && !after_gst_ &&
      !attack_->delivers(instances_[from].index, instances_[to].index,
                         e.type == EventType::kDeliver ? e.bytes.get() : nullptr)) {
    ++result_.faults.dropped;
    return;
  }
  if (cfg_.faults && !after_gst_) {
    if (!partition_.empty() && partition_[from] != partition_[to]) {
      ++result_.faults.dropped;
      return;
    }
    if (chance(drop_per_mille_, 1000)) {
      ++result_.faults.dropped;
      return;
    }
    // Mostly quick, sometimes very late: the reordering comes from the spread.
    auto delay = [this] { return chance(85, 100) ? uniform(1, 40) : uniform(40, 1200); };
    if (chance(dup_per_mille_, 1000)) {
      ++result_.faults.duplicated;
      Event copy = e;
      copy.time = now_ + delay();
      push(std::move(copy));
    }
    e.time = now_ + delay();
  } else if (cfg_.faults) {
    e.time = now_ + uniform(1, 20);  // after GST: every message arrives within 20 ms
  } else {
    e.time = now_ + cfg_.fixed_delay_ms;
  }
  push(std::move(e));
}

void Simulation::send_engine_message(std::size_t from, std::optional<ValidatorIndex> to, SharedBytes bytes) {
  const ValidatorIndex self = instances_[from].index;
  for (std::size_t j = 0; j < instances_.size(); ++j) {
    if (j == from || instances_[j].index == self) continue;
    if (to && instances_[j].index != *to) continue;
    Event e;
    e.type = EventType::kDeliver;
    e.from = self;
    e.epoch = instances_[from].engine->epoch().number;
    e.bytes = bytes;
    link(from, j, std::move(e));
  }
}

std::vector<Claim> Simulation::claims_of(const core::Bytes& bytes) const {
  std::vector<Claim> out;
  if (cfg_.engine == EngineKind::kIbft) {
    auto m = ibft::decode_message(bytes);
    if (!m.ok()) return out;
    if (auto* p = std::get_if<ibft::PrePrepare>(&*m)) out.push_back({0, p->height, p->round, p->block.id()});
    if (auto* p = std::get_if<ibft::Prepare>(&*m)) out.push_back({1, p->vote.data.height, p->vote.data.round, p->vote.data.block_id});
    if (auto* p = std::get_if<ibft::Commit>(&*m)) out.push_back({2, p->vote.data.height, p->vote.data.round, p->vote.data.block_id});
  } else {
    auto m = hotstuff::decode_message(bytes);
    if (!m.ok()) return out;
    if (auto* p = std::get_if<hotstuff::Proposal>(&*m)) out.push_back({0, 0, p->block.round, p->block.id()});
    if (auto* p = std::get_if<hotstuff::Vote>(&*m)) out.push_back({1, 0, p->vote.data.round, p->vote.data.block_id});
  }
  return out;
}

// The persistence contract, checked: an honest validator never signs two different proposals or
// votes for one (height, round), across any number of crashes and restarts.
void Simulation::check_honest_claims(std::size_t i, const core::Bytes& bytes) {
  const ValidatorIndex v = instances_[i].index;
  const std::uint64_t epoch = instances_[i].engine->epoch().number;
  for (const Claim& c : claims_of(bytes)) {
    auto key = std::make_tuple(v, epoch, c.kind, c.height, c.round);
    auto [it, fresh] = honest_claims_.emplace(key, c.id);
    if (!fresh && it->second != c.id) {
      static const char* kinds[] = {"proposals", "votes", "commit seals"};
      violate("persistence: honest validator " + std::to_string(v) + " signed two different " + kinds[c.kind] +
              " for height " + std::to_string(c.height) + " round " + std::to_string(c.round) + " (" +
              short_hex(it->second) + " and " + short_hex(c.id) + ")");
    }
  }
}

void Simulation::remember_block(std::size_t i, const core::Bytes& bytes) {
  Instance& inst = instances_[i];
  if (cfg_.engine == EngineKind::kIbft) {
    auto m = ibft::decode_message(bytes);
    if (m.ok()) {
      if (auto* p = std::get_if<ibft::PrePrepare>(&*m)) {
        auto& ids = inst.seen_blocks[{p->height, p->round}];
        const core::Hash32 id = p->block.id();
        if (std::find(ids.begin(), ids.end(), id) == ids.end() && ids.size() < 8) ids.push_back(id);
      }
    }
  } else {
    auto m = hotstuff::decode_message(bytes);
    if (m.ok()) {
      if (auto* p = std::get_if<hotstuff::Proposal>(&*m)) {
        if (p->block.justify && inst.seen_qcs.size() < 4096) inst.seen_qcs.emplace(p->block.justify->data.round, *p->block.justify);
        auto& ids = inst.seen_blocks[{p->block.height, p->block.round}];
        const core::Hash32 id = p->block.id();
        if (std::find(ids.begin(), ids.end(), id) == ids.end() && ids.size() < 8) ids.push_back(id);
      }
    }
  }
}

// Byzantine behaviour is a rewrite of what the (real) engine wanted to send, signed with the
// validator's own key, so every lie is well-formed and correctly signed.
// Longer than a screen: one case per Byzantine behaviour (equivocation, double votes, silence,
// twins), each building its messages by hand.
void Simulation::send_byzantine(std::size_t from, std::optional<ValidatorIndex> to, const SharedBytes& bytes) {
  Instance& inst = instances_[from];
  const crypto::KeyPair& key = *keys_[inst.index];
  const core::Hash32 chain_id = inst.engine->chain_id();
  remember_block(from, *bytes);
  auto split_send = [&](const SharedBytes& a, const SharedBytes& b) {
    for (std::size_t j = 0; j < instances_.size(); ++j) {
      if (j == from || instances_[j].index == inst.index) continue;
      Event e;
      e.type = EventType::kDeliver;
      e.from = inst.index;
      e.epoch = inst.engine->epoch().number;
      e.bytes = (rng_() % 2 == 0) ? a : b;
      link(from, j, std::move(e));
    }
  };
  auto mutate_payload = [&](core::Bytes& payload) {
    payload.push_back(static_cast<core::Byte>(rng_()));
    if (chance(1, 4)) {
      payload[0] = 0xFF;  // an invalid payload: honest validators must refuse it
      ++result_.faults.invalid_payloads;
    }
  };
  if (cfg_.engine == EngineKind::kIbft) {
    auto m = ibft::decode_message(*bytes);
    if (!m.ok()) return send_engine_message(from, to, bytes);
    if (auto* p = std::get_if<ibft::PrePrepare>(&*m); p && inst.role == Role::kEquivocate && !to) {
      ibft::PrePrepare other = *p;
      mutate_payload(other.block.payload);
      const core::Hash32 id = other.block.id();
      other.signature.signature = key.sign_digest(other.signing_digest(chain_id, id));
      auto other_bytes = std::make_shared<const core::Bytes>(ibft::encode_message(other));
      remember_block(from, *other_bytes);
      trace("n" + std::to_string(from) + " equivocates: " + describe(*bytes) + " / " + describe(*other_bytes));
      return split_send(bytes, other_bytes);
    }
    send_engine_message(from, to, bytes);
    const SignedVote* vote = nullptr;
    if (auto* p = std::get_if<ibft::Prepare>(&*m)) vote = &p->vote;
    if (auto* c = std::get_if<ibft::Commit>(&*m)) vote = &c->vote;
    if (!vote) return;
    for (const auto& id : inst.seen_blocks[{vote->data.height, vote->data.round}]) {
      if (id == vote->data.block_id) continue;
      SignedVote other = *vote;
      other.data.block_id = id;
      if (other.data.commit) other.data.commit->block_id = id;
      other.signature.signature = key.sign_digest(other.data.signing_digest(chain_id));
      const ibft::Message msg = std::holds_alternative<ibft::Prepare>(*m) ? ibft::Message{ibft::Prepare{other}}
                                                                          : ibft::Message{ibft::Commit{other}};
      auto other_bytes = std::make_shared<const core::Bytes>(ibft::encode_message(msg));
      trace("n" + std::to_string(from) + " double-votes: " + describe(*other_bytes));
      split_send(other_bytes, bytes);
    }
    return;
  }
  auto m = hotstuff::decode_message(*bytes);
  if (!m.ok()) return send_engine_message(from, to, bytes);
  if (auto* p = std::get_if<hotstuff::Proposal>(&*m); p && inst.role == Role::kEquivocate && !to) {
    hotstuff::Proposal other = *p;
    mutate_payload(other.block.payload);
    // Half the time the second proposal also forks off an older certified block: a stale QC
    // that honest validators' locks must refuse (only a timeout certificate lets a proposal skip
    // views, so this needs a view entered by one).
    const std::uint64_t justify_view = p->block.justify ? p->block.justify->data.round : 0;
    if (p->tc && justify_view >= 3 && chance(1, 2)) {
      auto stale = inst.seen_qcs.lower_bound(justify_view - 2);  // three views back: below what it committed
      if (stale != inst.seen_qcs.begin()) {
        --stale;
        other.block.justify = stale->second;
        other.block.parent_id = stale->second.data.block_id;
        other.block.height = stale->second.data.height + 1;
      }
    }
    const core::Hash32 id = other.block.id();
    other.signature.signature = key.sign_digest(hotstuff::Proposal::signing_digest(chain_id, id));
    auto other_bytes = std::make_shared<const core::Bytes>(hotstuff::encode_message(other));
    remember_block(from, *other_bytes);
    trace("n" + std::to_string(from) + " equivocates: " + describe(*bytes) + " / " + describe(*other_bytes));
    return split_send(bytes, other_bytes);
  }
  send_engine_message(from, to, bytes);
  if (auto* v = std::get_if<hotstuff::Vote>(&*m)) {
    for (const auto& id : inst.seen_blocks[{v->vote.data.height, v->vote.data.round}]) {
      if (id == v->vote.data.block_id) continue;
      SignedVote other = v->vote;
      other.data.block_id = id;
      other.signature.signature = key.sign_digest(other.data.signing_digest(chain_id));
      auto other_bytes = std::make_shared<const core::Bytes>(hotstuff::encode_message(hotstuff::Vote{other}));
      trace("n" + std::to_string(from) + " double-votes: " + describe(*other_bytes));
      send_engine_message(from, to, other_bytes);
    }
  }
}

void Simulation::send_from_instance(std::size_t i, std::optional<ValidatorIndex> to, const SharedBytes& bytes) {
  const Instance& inst = instances_[i];
  if (inst.honest()) check_honest_claims(i, *bytes);
  if (inst.role == Role::kEquivocate || inst.role == Role::kDoubleVote) return send_byzantine(i, to, bytes);
  // While its schedule runs, the lock attacker's engine says nothing: the schedule speaks for it.
  if (inst.role == Role::kLockAttacker && attack_->running()) return;
  send_engine_message(i, to, bytes);
  if (attack_ && inst.honest()) attack_observe(i, to, *bytes);
}

// The lock attacker watches what honest validators send (it sees the whole network before GST)
// and answers with what its schedule calls for, delivered promptly to everyone but the victim.
void Simulation::attack_observe(std::size_t from, std::optional<ValidatorIndex> to, const core::Bytes& bytes) {
  const std::size_t attacker = attacker_instance_;
  if (!instances_[attacker].up) return;
  const auto* engine = dynamic_cast<const hotstuff::HotStuffEngine*>(instances_[attacker].engine->engine());
  if (!engine) return;
  const bool was_launched = attack_->launched();
  std::vector<LockAttack::Send> sends;
  attack_->observe(instances_[from].index, to, bytes, *engine, !after_gst_ && now_ + 2'000 < gst_ms_, sends);
  if (!was_launched && attack_->launched()) {
    ++result_.faults.lock_attacks_launched;
    trace(attack_->describe());
  }
  for (const auto& send : sends) {
    if (cfg_.trace) trace("n" + std::to_string(attacker) + " (attack) -> " + (send.to ? std::to_string(*send.to) : "all") + " " + describe(*send.bytes));
    for (std::size_t j = 0; j < instances_.size(); ++j) {
      const ValidatorIndex index = instances_[j].index;
      if (index == attack_->attacker() || index == attack_->victim() || (send.to && index != *send.to)) continue;
      Event e;
      e.type = EventType::kDeliver;
      e.inst = j;
      e.from = attack_->attacker();
      e.bytes = send.bytes;
      e.time = now_ + uniform(1, 20);
      push(std::move(e));
    }
  }
}

void Simulation::process(std::size_t i, Actions& actions) {
  // Actions may append more actions only through nested engine calls, which take their own list.
  for (std::size_t k = 0; k < actions.size(); ++k) {
    Instance& inst = instances_[i];
    if (!inst.up) return;
    Action& action = actions[k];
    if (auto* persist = std::get_if<PersistState>(&action)) {
      if (cfg_.broken != Broken::kNoPersist) inst.persisted = persist->state;
    } else if (auto* store = std::get_if<StoreBlock>(&action)) {
      inst.stored_blocks.emplace(store->block_id, store->block);
    } else if (auto* send_to = std::get_if<SendTo>(&action)) {
      const ValidatorIndex to = member_of(inst.engine->epoch().validators.key(send_to->to));
      if (cfg_.trace) trace("n" + std::to_string(i) + " -> " + std::to_string(to) + " " + describe(*send_to->message));
      send_from_instance(i, to, send_to->message);
    } else if (auto* bcast = std::get_if<Broadcast>(&action)) {
      if (cfg_.trace) trace("n" + std::to_string(i) + " -> all " + describe(*bcast->message));
      send_from_instance(i, std::nullopt, bcast->message);
    } else if (auto* timer = std::get_if<SetTimer>(&action)) {
      Event e;
      e.type = EventType::kTimer;
      e.inst = i;
      e.number = ++inst.timer_generation;
      e.time = std::max(now_, timer->deadline_ms);
      push(std::move(e));
    } else if (std::get_if<CancelTimer>(&action)) {
      ++inst.timer_generation;
    } else if (auto* payload_req = std::get_if<RequestPayload>(&action)) {
      Event e;
      e.type = EventType::kPayload;
      e.inst = i;
      e.number = payload_req->height;
      e.time = now_ + (cfg_.faults ? uniform(5, 60) : 0);
      push(std::move(e));
    } else if (auto* validate = std::get_if<ValidatePayload>(&action)) {
      Event e;
      e.type = EventType::kVerdict;
      e.inst = i;
      e.id = validate->block_id;
      e.valid = !validate->payload->empty() && (*validate->payload)[0] != 0xFF;
      e.time = now_ + (cfg_.faults ? uniform(0, 5) : 0);
      push(std::move(e));
    } else if (auto* commit = std::get_if<CommitBlock>(&action)) {
      on_commit(i, *commit);
    } else if (auto* equivocation = std::get_if<EquivocationSeen>(&action)) {
      on_equivocation(i, *equivocation);
    } else if (auto* proposals = std::get_if<ProposalEquivocationSeen>(&action)) {
      on_proposal_equivocation(i, *proposals);
    } else if (auto* sync = std::get_if<SyncNeeded>(&action)) {
      const ValidatorIndex peer = member_of(inst.engine->epoch().validators.key(sync->peer));
      if (peer == inst.index || !inst.sync.should_request(peer, sync->height, inst.chain.size(), now_)) continue;
      if (cfg_.trace) {
        trace("n" + std::to_string(i) + " sync from " + std::to_string(peer) + " (it is at " + std::to_string(sync->height) + ")");
      }
      for (std::size_t j = 0; j < instances_.size(); ++j) {
        if (instances_[j].index != peer || j == i) continue;
        Event e;
        e.type = EventType::kSyncRequest;
        e.from = static_cast<ValidatorIndex>(i);  // instance, not validator: the reply goes back here
        e.bytes = std::make_shared<const core::Bytes>(encode_sync_request(inst.chain.size() + 1));
        link(i, j, std::move(e));
        break;
      }
    }
  }
  // The epoch's last block is committed (and, here, applied at once): the next epoch begins.
  if (instances_[i].up && instances_[i].engine && instances_[i].engine->ended()) on_epoch_end(i);
}

void Simulation::on_commit(std::size_t i, const CommitBlock& c) {
  Instance& inst = instances_[i];
  const std::uint64_t height = c.block.height;
  if (cfg_.trace) trace("n" + std::to_string(i) + " COMMIT h=" + std::to_string(height) + " b=" + short_hex(c.block_id));
  if (inst.honest()) {
    const core::Hash32 last_id = inst.chain.empty() ? genesis_id_ : inst.chain.back().id;
    if (height != inst.chain.size() + 1 || c.block.parent_id != last_id || c.block.id() != c.block_id) {
      violate("chain: validator " + std::to_string(inst.index) + " committed height " + std::to_string(height) +
              " that does not extend its height " + std::to_string(inst.chain.size()));
    }
    // Checked against the set of the height's own epoch (what the chain says), whatever set the
    // engines ran with.
    const EpochPlan& plan = epoch_plan(epoch_of_height(height));
    const auto& target = c.certificate.data.commit;
    if (height > plan.epoch.last_height) {
      violate("epoch: height " + std::to_string(height) + " committed in an epoch that ended at " +
              std::to_string(plan.epoch.last_height));
    } else if (!c.suffix.empty() && height != plan.epoch.last_height) {
      violate("epoch: height " + std::to_string(height) + " has a suffix but does not end its epoch");
    }
    core::Hash32 suffix_parent = c.block_id;
    for (std::size_t k = 0; k < c.suffix.size(); ++k) {
      if (c.suffix[k].height != height + 1 + k || c.suffix[k].parent_id != suffix_parent || !c.suffix[k].payload.empty()) {
        violate("epoch: the suffix of height " + std::to_string(height) + " is not a chain of empty blocks on it");
      }
      suffix_parent = c.suffix[k].id();
    }
    if (!target || target->height < height) {
      violate("certificate: height " + std::to_string(height) + " committed without a certificate that covers it");
    } else if (auto st = verify_commit_certificate(c.certificate, target->height, target->block_id, plan.epoch.validators,
                                                   epoch_chain_id(chain_id_, plan.epoch.number), *verifier_);
               !st.ok()) {
      violate("certificate: height " + std::to_string(height) + " (epoch " + std::to_string(plan.epoch.number) +
              "): " + st.error().to_string());
    } else if (target->height == height && target->block_id != c.block_id) {
      violate("certificate: height " + std::to_string(height) + " certificate names another block");
    } else if (!c.suffix.empty() && (target->height != c.suffix.back().height || target->block_id != suffix_parent)) {
      violate("certificate: height " + std::to_string(height) + " certificate does not commit the end of its suffix");
    } else if (target->height > height && target->height <= plan.epoch.last_height) {
      // (A target past the epoch is in its last block's suffix, checked there.)
      inst.expected_targets.emplace(target->height, target->block_id);
    }
    if (auto it = inst.expected_targets.find(height); it != inst.expected_targets.end()) {
      if (it->second != c.block_id) {
        violate("certificate: height " + std::to_string(height) + " is not the block its descendant's certificate committed");
      }
      inst.expected_targets.erase(it);
    }
    if (c.block.payload.empty() || c.block.payload[0] == 0xFF) {
      violate("validity: validator " + std::to_string(inst.index) + " committed an invalid payload at height " +
              std::to_string(height));
    }
    auto [it, fresh] = decided_.emplace(height, std::make_pair(c.block_id, i));
    if (!fresh && it->second.first != c.block_id) {
      violate("agreement: validators " + std::to_string(instances_[it->second.second].index) + " and " +
              std::to_string(inst.index) + " committed different blocks at height " + std::to_string(height) + " (" +
              short_hex(it->second.first) + " vs " + short_hex(c.block_id) + ")");
    }
    if (fresh && !cfg_.faults) {
      if (cfg_.crashed_for_good > 0) {
        if (now_ >= cfg_.crash_at_ms) {
          result_.longest_gap_after_crash_ms = std::max(result_.longest_gap_after_crash_ms, now_ - last_decided_ms_);
        }
        last_decided_ms_ = now_;
      }
      if (auto p = proposed_at_.find(height); p != proposed_at_.end()) {
        latency_sum_ms_ += now_ - p->second;
        ++latency_count_;
      }
    }
  }
  inst.chain.push_back(Committed{c.block, c.block_id, c.certificate, c.suffix});
  for (auto it = inst.stored_blocks.begin(); it != inst.stored_blocks.end();) {
    it = it->second.height <= height ? inst.stored_blocks.erase(it) : std::next(it);
  }
}

std::uint64_t Simulation::honest_min_height() const {
  std::uint64_t h = UINT64_MAX;
  for (const auto& inst : instances_) {
    if (inst.honest()) h = std::min<std::uint64_t>(h, inst.chain.size());
  }
  return h == UINT64_MAX ? 0 : h;
}

std::uint64_t Simulation::honest_max_height() const {
  std::uint64_t h = 0;
  for (const auto& inst : instances_) {
    if (inst.honest()) h = std::max<std::uint64_t>(h, inst.chain.size());
  }
  return h;
}

// Longer than a screen: one switch over the simulator's event kinds, each case a few lines, kept
// together so the order of delivery, crash and restart handling reads in one place.
void Simulation::handle_event(const Event& e) {
  switch (e.type) {
    case EventType::kDeliver: {
      Instance& inst = instances_[e.inst];
      if (!inst.up) return;
      ++result_.messages;
      if (cfg_.trace) trace("n" + std::to_string(e.inst) + " <- " + std::to_string(e.from) + " " + describe(*e.bytes));
      if (inst.role == Role::kEquivocate || inst.role == Role::kDoubleVote) remember_block(e.inst, *e.bytes);
      Actions actions;
      auto st = inst.engine->on_message(keys_[e.from]->public_key(), e.epoch, *e.bytes, now_, actions);
      if (!st.ok() && cfg_.trace) trace("n" + std::to_string(e.inst) + " refused: " + st.error().to_string());
      process(e.inst, actions);
      return;
    }
    case EventType::kTimer: {
      Instance& inst = instances_[e.inst];
      if (!inst.up || e.number != inst.timer_generation) return;
      Actions actions;
      inst.engine->on_tick(now_, actions);
      if (cfg_.trace) {
        const EngineStatus s = inst.engine->status();
        trace("n" + std::to_string(e.inst) + " timer: h=" + std::to_string(s.height) + " r=" + std::to_string(s.round));
      }
      process(e.inst, actions);
      return;
    }
    case EventType::kPayload: {
      Instance& inst = instances_[e.inst];
      if (!inst.up) return;
      core::Bytes payload(uniform(16, 64));
      for (auto& b : payload) b = static_cast<core::Byte>(rng_());
      if (payload[0] == 0xFF) payload[0] = 0;
      if (inst.role == Role::kEquivocate && chance(1, 4)) {
        payload[0] = 0xFF;
        ++result_.faults.invalid_payloads;
      }
      proposed_at_.emplace(e.number, now_);
      Actions actions;
      inst.engine->on_payload(e.number, std::move(payload), now_, actions);
      process(e.inst, actions);
      return;
    }
    case EventType::kVerdict: {
      Instance& inst = instances_[e.inst];
      if (!inst.up) return;
      Actions actions;
      inst.engine->on_payload_verdict(e.id, e.valid, now_, actions);
      process(e.inst, actions);
      return;
    }
    case EventType::kCrash: {
      Instance& inst = instances_[e.inst];
      if (!inst.up) return;
      inst.up = false;
      inst.crashed_for_good = e.for_good;
      inst.engine.reset();
      ++inst.timer_generation;
      ++result_.faults.crashes;
      trace("n" + std::to_string(e.inst) + " CRASH");
      return;
    }
    case EventType::kRestart: {
      if (instances_[e.inst].up) return;
      ++result_.faults.restarts;
      trace("n" + std::to_string(e.inst) + " RESTART at height " + std::to_string(instances_[e.inst].chain.size()));
      start_instance(e.inst);
      return;
    }
    case EventType::kPartition: {
      partition_ = e.groups;
      ++result_.faults.partitions;
      std::string groups;
      for (int g : partition_) groups += std::to_string(g);
      trace("PARTITION groups " + groups);
      return;
    }
    case EventType::kHeal:
      partition_.clear();
      trace("HEAL");
      return;
    case EventType::kGst: {
      after_gst_ = true;
      if (attack_ && attack_->running()) {
        trace(attack_->describe() + "; ends at GST");
        attack_->end();
      }
      partition_.clear();
      for (std::size_t i = 0; i < instances_.size(); ++i) {
        Instance& inst = instances_[i];
        if (inst.honest() && !inst.up) start_instance(i);
        if (inst.honest() && inst.engine) inst.timed_out_at_gst = inst.engine->status().rounds_timed_out;
      }
      // With epochs, past two epoch changes: the new sets must make progress too.
      target_height_ = honest_max_height() + std::max(cfg_.progress_heights, 2 * cfg_.epoch_blocks + 1);
      trace("GST: network stable from now; every honest validator must reach height " + std::to_string(target_height_));
      return;
    }
    case EventType::kSyncRequest: {
      const Instance& inst = instances_[e.inst];
      if (!inst.up) return;
      auto from = decode_sync_request(*e.bytes);
      if (!from.ok()) return violate("a sync request does not decode: " + from.error().to_string());
      const auto committed_at = [&inst](std::uint64_t h) -> std::optional<CommittedBlock> {
        if (h == 0 || h > inst.chain.size()) return std::nullopt;
        return CommittedBlock{inst.chain[h - 1].block, inst.chain[h - 1].cert, inst.chain[h - 1].suffix};
      };
      Event r;
      r.type = EventType::kSyncReply;
      r.bytes = std::make_shared<const core::Bytes>(
          encode_sync_reply(answer_sync(*from, inst.chain.size(), committed_at, SyncLimits{})));
      const std::size_t asker = e.from;
      r.from = inst.index;  // the validator that answers, as the asker checks
      link(e.inst, asker, std::move(r));
      return;
    }
    case EventType::kSyncReply: {
      Instance& inst = instances_[e.inst];
      if (!inst.up || !inst.sync.take_reply(e.from)) return;
      auto runs = decode_sync_reply(*e.bytes);
      if (!runs.ok()) return violate("a sync reply does not decode: " + runs.error().to_string());
      const std::uint64_t before = inst.chain.size();
      const auto outcome = SyncClient::apply(
          *inst.engine, *runs, [&inst] { return static_cast<std::uint64_t>(inst.chain.size()); }, now_,
          [this, &e](Actions& actions) { process(e.inst, actions); });
      if (outcome.refused) trace("n" + std::to_string(e.inst) + " sync refused: " + outcome.refused->to_string());
      if (inst.chain.size() > before) trace("n" + std::to_string(e.inst) + " synced to height " + std::to_string(inst.chain.size()));
      return;
    }
  }
}

SimResult Simulation::run() {
  setup();
  plan_faults();
  result_.gst_ms = gst_ms_;
  if (!cfg_.faults) after_gst_ = true;
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    if (instances_[i].role != Role::kSilent) start_instance(i);
  }
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    if (instances_[i].role != Role::kHonest) {
      trace("n" + std::to_string(i) + " is validator " + std::to_string(instances_[i].index) + ", " +
            std::string(role_name(instances_[i].role)));
    }
  }
  const std::uint64_t deadline = cfg_.faults ? gst_ms_ + cfg_.liveness_window_ms : 3'600'000;
  std::uint64_t steps = 0;
  while (!queue_.empty() && result_.ok) {
    Event e = queue_.top();
    queue_.pop();
    now_ = e.time;
    if (now_ > deadline) break;
    handle_event(e);
    if (++steps > 2'000'000) {
      violate("runaway: more than 2,000,000 events (a message storm)");
      break;
    }
    if (after_gst_ && cfg_.faults && honest_min_height() >= target_height_) break;
    if (!cfg_.faults && honest_min_height() >= cfg_.heights) break;
  }
  result_.sim_time_ms = now_;
  result_.committed_height = honest_min_height();
  if (result_.ok && cfg_.faults) {
    if (result_.committed_height < target_height_) {
      std::string behind;
      for (std::size_t i = 0; i < instances_.size(); ++i) {
        if (instances_[i].honest() && instances_[i].chain.size() < target_height_) {
          behind += " " + std::to_string(instances_[i].index) + "@" + std::to_string(instances_[i].chain.size());
        }
      }
      violate("liveness: " + std::to_string(cfg_.liveness_window_ms) + " ms after GST, validators" + behind +
              " are still below height " + std::to_string(target_height_));
    } else {
      result_.recovery_ms = now_ - gst_ms_;
    }
  }
  if (!cfg_.faults && result_.committed_height < cfg_.heights) violate("liveness: clean run stalled");
  for (const auto& inst : instances_) {
    if (inst.honest() && inst.engine) {
      result_.rounds_timed_out = std::max(result_.rounds_timed_out, inst.engine->status().rounds_timed_out - inst.timed_out_at_gst);
    }
  }
  std::uint64_t epochs = UINT64_MAX;
  for (const auto& inst : instances_) {
    if (inst.honest() && inst.engine) epochs = std::min(epochs, inst.engine->epoch().number);
  }
  result_.faults.epochs = epochs == UINT64_MAX ? 0 : epochs;
  result_.signatures_verified = verifier_->verified();
  if (latency_count_ > 0) result_.mean_commit_latency_ms = static_cast<double>(latency_sum_ms_) / static_cast<double>(latency_count_);
  result_.replay_command = "metanode sim --engine " + std::string(engine_name(cfg_.engine)) + " --validators " +
                           std::to_string(cfg_.validators) + " --seed " + std::to_string(cfg_.seed) +
                           (cfg_.broken != Broken::kNone ? " --broken " + std::string(broken_name(cfg_.broken)) : "") +
                           (cfg_.epoch_blocks > 0 ? " --epoch-blocks " + std::to_string(cfg_.epoch_blocks) : "") +
                           (cfg_.faults ? "" : " --no-faults") + " --trace";
  return std::move(result_);
}

}  // namespace

SimResult run_simulation(const SimConfig& config) {
  Simulation sim(config);
  return sim.run();
}

}  // namespace metanode::consensus::sim
