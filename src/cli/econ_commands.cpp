#include "cli/econ_commands.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "cli/chain_client.hpp"
#include "cli/json_u64.hpp"
#include "modules/econ/econ.hpp"
#include "node/config.hpp"
#include "services/proofs/proof_check.hpp"

namespace metanode::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct EconOptions {
  ClientOptions client;
  std::string address;
  std::uint32_t blocks = 20;
};

core::Result<json> get(const EconOptions& opts, const std::string& target) {
  return call(service_url_of(opts.client, 7), "GET", target, "", nullptr);
}

core::Status verify_proofs(const EconOptions& opts, const std::vector<const json*>& proofs, Io& io) {
  return verify_state_proofs(opts.client, proofs, io);
}

std::string amount(const json& v) { return std::to_string(u64_of(v)); }

int run_supply(Io& io, const EconOptions& opts) {
  auto doc = get(opts, "/v1/econ/supply");
  if (!doc.ok()) return fail(io, doc.error());
  if (opts.client.json_output) {
    io.out << doc->dump(2) << "\n";
  } else {
    io.out << fmt::format("supply at height {} (epoch {})\n", doc->value("height", 0), doc->value("epoch", 0));
    for (const char* field : {"genesis", "issued", "burned", "total", "accrued", "epoch_pool", "bonded", "unbonding",
                              "circulating"}) {
      io.out << fmt::format("  {:<12} {:>24}\n", field, amount((*doc)[field]));
    }
    io.out << fmt::format("  {:<12} {:>24}  ({})\n", "treasury", amount((*doc)["treasury"]["balance"]),
                          (*doc)["treasury"].value("address", ""));
    io.out << "  total = genesis + issued - burned = balances + accrued + bonded + unbonding\n";
  }
  if (auto st = verify_proofs(opts, {&(*doc)["proof"], &(*doc)["treasury"]["proof"]}, io); !st.ok()) return fail(io, st.error());
  return kExitOk;
}

int run_fees(Io& io, const EconOptions& opts) {
  auto doc = get(opts, fmt::format("/v1/econ/fees?blocks={}", opts.blocks));
  if (!doc.ok()) return fail(io, doc.error());
  if (opts.client.json_output) {
    io.out << doc->dump(2) << "\n";
    return kExitOk;
  }
  io.out << fmt::format("{:>8} {:>10} {:>6} {:>12} {:>12} {:>8} {:>8} {:>8}\n", "height", "base fee", "txs", "fees", "tips",
                        "tip min", "median", "max");
  const auto opt = [](const json& v) { return v.is_null() ? std::string("-") : amount(v); };
  for (const json& b : (*doc)["blocks"]) {
    io.out << fmt::format("{:>8} {:>10} {:>6} {:>12} {:>12} {:>8} {:>8} {:>8}\n", b.value("height", 0), amount(b["base_fee"]),
                          b.value("txs", 0), amount(b["fees"]), amount(b["tips"]), opt(b["tip_min"]), opt(b["tip_median"]),
                          opt(b["tip_max"]));
  }
  io.out << "next block's base fee: " << amount((*doc)["base_fee_next"]) << "\n";
  return kExitOk;
}

int run_validators(Io& io, const EconOptions& opts) {
  auto doc = get(opts, "/v1/econ/validators");
  if (!doc.ok()) return fail(io, doc.error());
  std::vector<const json*> proofs;
  for (const json& v : (*doc)["validators"]) proofs.push_back(&v["proof"]);
  if (opts.client.json_output) {
    io.out << doc->dump(2) << "\n";
  } else {
    io.out << fmt::format("epoch {}, total stake {}\n", doc->value("epoch", 0), amount((*doc)["total_stake"]));
    io.out << fmt::format("{:<14} {:<64} {:>10} {:>10} {:>7} {:>7} {:>12} {:>12} {:>14}\n", "name", "address", "stake",
                          "delegated", "votes", "reward", "accrued", "pool share", "paid");
    for (const json& v : (*doc)["validators"]) {
      io.out << fmt::format("{:<14} {:<64} {:>10} {:>10} {:>6.2f}% {:>6.2f}% {:>12} {:>12} {:>14}\n", v.value("name", ""),
                            v.value("address", ""), amount(v["stake"]), amount(v["delegated"]), v.value("voting_power_bps", 0) / 100.0,
                            v.value("reward_weight_bps", 0) / 100.0, amount(v["accrued"]),
                            amount(v["epoch_pool_share"]), amount(v["paid_total"]));
    }
    for (const json& set : doc->value("sets", json::array())) {
      std::string names;
      for (const json& m : set["validators"]) names += (names.empty() ? "" : ", ") + m.value("name", std::string("?"));
      const std::string last = set["last_height"].is_null() ? std::string("on") : "to " + std::to_string(set["last_height"].get<std::uint64_t>());
      io.out << fmt::format("validator set {} ({}): heights {} {}; {} members: {}\n", set.value("epoch", 0),
                            set.value("status", std::string()), set.value("first_height", 0), last,
                            set["validators"].size(), names);
    }
  }
  if (auto st = verify_proofs(opts, proofs, io); !st.ok()) return fail(io, st.error());
  return kExitOk;
}

void print_delegations(Io& io, const json& doc) {
  const json& list = doc["delegations"];
  if (list.empty()) return;
  io.out << fmt::format("  delegations ({}):\n", list.size());
  for (const json& d : list) {
    io.out << fmt::format("    to {}  worth {}{}, rewards to claim {}, claimed {}\n", d.value("validator", ""), amount(d["value"]),
                          d.value("earning", false) ? "" : " (earning from the next epoch)", amount(d["rewards"]),
                          amount(d["claimed_total"]));
    for (const json& u : d["unbonding"]) {
      io.out << fmt::format("      undelegated {} {}\n", amount(u["amount"]),
                            u.value("claimable", false) ? std::string("(claimable now: metanode econ claim)")
                                                        : "(claimable from block " + std::to_string(u.value("release_height", 0)) + ")");
    }
  }
}

int run_rewards(Io& io, const EconOptions& opts) {
  auto doc = get(opts, "/v1/econ/rewards/" + opts.address);
  if (!doc.ok()) return fail(io, doc.error());
  std::vector<const json*> proofs{&(*doc)["proof"]};
  for (json& d : (*doc)["delegations"]) {
    proofs.push_back(&d["proof"]);
    proofs.push_back(&d["pool_proof"]);
  }
  if (opts.client.json_output) {
    io.out << doc->dump(2) << "\n";
  } else if (!doc->value("validator", false)) {
    io.out << opts.address << " is not a validator (balance " << amount((*doc)["balance"]) << ")";
    io.out << ((*doc)["delegations"].empty() ? std::string(" and delegates to none: it earns no rewards\n") : std::string("\n"));
    print_delegations(io, *doc);
  } else {
    io.out << fmt::format("{} at height {} (epoch {})\n", opts.address, doc->value("height", 0), doc->value("epoch", 0));
    io.out << fmt::format("  stake            {:>20}  (from the next epoch: {})\n", amount((*doc)["stake"]),
                          amount((*doc)["next_stake"]));
    for (const json& u : (*doc)["unbonding"]) {
      io.out << fmt::format("  unbonding        {:>20}  (released at the first epoch's end from block {})\n",
                            amount(u["amount"]), u.value("release_height", 0));
    }
    io.out << fmt::format("  pending          {:>20}  (proposer shares {} + epoch pool share {}; paid at the epoch's end)\n",
                          amount((*doc)["pending"]), amount((*doc)["accrued"]), amount((*doc)["epoch_pool_share"]));
    io.out << fmt::format("  last paid        {:>20}  (epoch {})\n", amount((*doc)["last_paid"]), doc->value("last_paid_epoch", 0));
    io.out << fmt::format("  paid in total    {:>20}\n", amount((*doc)["paid_total"]));
    io.out << fmt::format("  balance          {:>20}\n", amount((*doc)["balance"]));
    print_delegations(io, *doc);
  }
  if (auto st = verify_proofs(opts, proofs, io); !st.ok()) return fail(io, st.error());
  return kExitOk;
}

int run_slashes(Io& io, const EconOptions& opts) {
  auto doc = get(opts, "/v1/econ/slashes");
  if (!doc.ok()) return fail(io, doc.error());
  std::vector<const json*> proofs;
  for (const json& s : (*doc)["slashes"]) proofs.push_back(&s["proof"]);
  if (opts.client.json_output) {
    io.out << doc->dump(2) << "\n";
  } else if ((*doc)["slashes"].empty()) {
    io.out << fmt::format("no validator was slashed (height {}; a slash burns {:.2f}% of the stake)\n", doc->value("height", 0),
                          doc->value("slash_bps", 0) / 100.0);
  } else {
    io.out << fmt::format("{:<64} {:>6} {:>8} {:>10} {:>8} {:>8} {:>12}  {}\n", "validator", "epoch", "votes", "at height",
                          "round", "block", "burned", "reported by");
    for (const json& s : (*doc)["slashes"]) {
      io.out << fmt::format("{:<64} {:>6} {:>8} {:>10} {:>8} {:>8} {:>12}  {}\n", s.value("validator", ""), s.value("epoch", 0),
                            s.value("kind", ""), s.value("vote_height", 0), s.value("vote_round", 0), s.value("height", 0),
                            amount(s["amount"]), s.value("reporter", ""));
    }
  }
  if (auto st = verify_proofs(opts, proofs, io); !st.ok()) return fail(io, st.error());
  return kExitOk;
}

void add_options(CLI::App* cmd, EconOptions& o) {
  cmd->add_option("--node", o.client.node_url,
                  "The economics service's URL (default: --home's config, port base + 7; else http://127.0.0.1:9007)");
  cmd->add_option("--home", o.client.home, "A node home (its config names the port, its genesis is what --verify trusts)");
  cmd->add_option("--genesis", o.client.genesis_file, "The genesis --verify trusts (default: --home's)");
  cmd->add_flag("--verify", o.client.verify, "Check every value that is state against its proof and a signed header");
  cmd->add_flag("--json", o.client.json_output, "Print the service's JSON");
}

struct StakeOptions {
  SendOptions send;
  std::uint64_t amount = 0;
};

struct DelegationOptions {
  SendOptions send;
  std::string validator;
  std::uint64_t amount = 0;
};

struct EvidenceOptions {
  SendOptions send;
  std::string file;
};

// The evidence file: the JSON a node logs when it cannot pay to submit it, or a transaction's
// payload as GET /v1/txs shows it ({"epoch", "offender", "first", "second"}).
int run_evidence(Io& io, const EvidenceOptions& o) {
  std::ifstream in(o.file);
  if (!in) return fail(io, core::make_error(core::ErrorCode::kNotFound, "cannot read " + o.file));
  const json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, o.file + " is not JSON"));
  if (doc.is_object() && doc.contains("form")) {  // a leader's two proposals
    auto evidence = modules::ProposalEvidence::from_json(doc);
    if (!evidence.ok()) return fail(io, core::make_error(evidence.error().code, o.file + ": " + evidence.error().message));
    if (!crypto::proposals_conflict(evidence->form, evidence->first, evidence->second)) {
      return fail(io, core::make_error(core::ErrorCode::kEconEvidenceInvalid,
                                       o.file + ": the two proposals do not conflict (one height and round, or one view; different blocks)"));
    }
    return run_send(io, o.send, modules::proposal_evidence_payload(*evidence));
  }
  auto evidence = modules::EquivocationEvidence::from_json(doc);
  if (!evidence.ok()) return fail(io, core::make_error(evidence.error().code, o.file + ": " + evidence.error().message));
  if (!crypto::votes_conflict(evidence->first, evidence->second)) {
    return fail(io, core::make_error(core::ErrorCode::kEconEvidenceInvalid,
                                     o.file + ": the two votes do not conflict (one kind, height and round; different content)"));
  }
  return run_send(io, o.send, modules::evidence_payload(*evidence));
}

}  // namespace

void add_econ_commands(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  CLI::App* econ = app.add_subcommand("econ", "The economics service: supply, fee market, validators, rewards, staking and delegation");
  econ->require_subcommand(1);
  const auto add = [&](const char* name, const char* help, int (*run)(Io&, const EconOptions&)) {
    auto o = std::make_shared<EconOptions>();
    CLI::App* cmd = econ->add_subcommand(name, help);
    add_options(cmd, *o);
    cmd->callback([&io, &dispatch, o, run] { dispatch = [&io, o, run] { return run(io, *o); }; });
    return std::make_pair(cmd, o);
  };
  add("supply", "Genesis, issued, burned, accrued, treasury and total supply (with --verify: proven)", run_supply);
  auto [fees, fees_opts] = add("fees", "The fee market per block: base fee, transactions, fees and tips", run_fees);
  fees->add_option("--blocks", fees_opts->blocks, "How many of the newest blocks")->capture_default_str()->check(CLI::Range(1, 1000));
  add("validators", "Each validator's stake, voting power, accrued and paid rewards", run_validators);
  add("slashes", "Every validator slashed for equivocation: the votes, the block, the amount burned (with --verify: proven)",
      run_slashes);
  {
    auto o = std::make_shared<EvidenceOptions>();
    CLI::App* cmd = econ->add_subcommand(
        "evidence", "Submit evidence that a validator signed two conflicting votes or proposals: it is slashed once and leaves the set");
    add_send_options(cmd, o->send, /*bid_required=*/false);
    cmd->add_option("--file", o->file,
                    "The evidence as JSON (what a node logs): {\"epoch\", \"offender\", \"first\", \"second\"} for votes, with "
                    "\"form\" (ibft or hotstuff) for proposals")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->callback([&io, &dispatch, o] { dispatch = [&io, o] { return run_evidence(io, *o); }; });
  }
  auto [rewards, rewards_opts] =
      add("rewards", "What one validator is owed and was paid, and what an address's delegations earned", run_rewards);
  rewards->add_option("address", rewards_opts->address, "The validator's or delegator's address (mn1…)")->required();
  struct DelegationCommand {
    const char* name;
    const char* help;
    bool amount;
  };
  for (const DelegationCommand& c :
       {DelegationCommand{"delegate", "Delegate tokens to a validator: they earn its delegators' share of each epoch's pool from the next epoch", true},
        DelegationCommand{"undelegate", "Undelegate tokens: they stop earning at the epoch's end and are claimable after the unbonding period", true},
        DelegationCommand{"claim", "Claim a delegation's rewards and its undelegated tokens that were released", false}}) {
    auto o = std::make_shared<DelegationOptions>();
    CLI::App* cmd = econ->add_subcommand(c.name, c.help);
    add_send_options(cmd, o->send, /*bid_required=*/false);
    cmd->add_option("--validator", o->validator, "The validator's address (mn1…)")->required();
    if (c.amount) cmd->add_option("--amount", o->amount, "How many tokens")->required()->check(CLI::PositiveNumber);
    const std::string kind = c.name;
    cmd->callback([&io, &dispatch, o, kind] {
      dispatch = [&io, o, kind]() -> int {
        auto validator = crypto::Address::parse(o->validator);
        if (!validator.ok()) {
          return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, "--validator: " + validator.error().message));
        }
        if (kind == "claim") return run_send(io, o->send, modules::claim_payload(*validator));
        return run_send(io, o->send, kind == "delegate" ? modules::delegate_payload(*validator, o->amount)
                                                        : modules::undelegate_payload(*validator, o->amount));
      };
    });
  }
  for (const bool bond : {true, false}) {
    auto o = std::make_shared<StakeOptions>();
    CLI::App* cmd = econ->add_subcommand(
        bond ? "stake" : "unstake",
        bond ? "Bond tokens from a validator's account into its stake (in force from the next epoch)"
             : "Unbond stake: in force from the next epoch, the tokens back in the account after the unbonding period");
    add_send_options(cmd, o->send, /*bid_required=*/false);
    cmd->add_option("--amount", o->amount, "How many tokens")->required()->check(CLI::PositiveNumber);
    cmd->callback([&io, &dispatch, o, bond] {
      dispatch = [&io, o, bond] {
        return run_send(io, o->send, bond ? modules::bond_payload(o->amount) : modules::unbond_payload(o->amount));
      };
    });
  }
}

}  // namespace metanode::cli
