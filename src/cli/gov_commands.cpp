#include "cli/gov_commands.hpp"

#include <fstream>
#include <charconv>
#include <tuple>
#include <algorithm>
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/chain_client.hpp"
#include "cli/json_u64.hpp"
#include "modules/governance/governance.hpp"

namespace metanode::cli {
namespace {

using nlohmann::json;

struct ProposeOptions {
  SendOptions send;
  std::string role;
  std::string subject;
  std::string description;
  std::uint64_t expiry_blocks = modules::kProposalExpiryBlocksDefault;
  std::string service;                 // set-jurisdictions
  std::vector<std::string> tags;       // set-jurisdictions (none: clear)
  // set-econ-ratios: "burn=5000,treasury=1000,proposer=2000,validators=2000" each
  std::uint64_t epoch_blocks = 0;
  std::string base_fee_split, tip_split, reward_split;
  std::string candidate_file;  // admit-validator: `metanode keys export-public` of the candidate's key
  std::string name;            // admit-validator: its name in the validator set (default: the key's)
  std::string feed_file;       // create-feed: the feed's spec as JSON
};

// "burn=5000,treasury=1000,proposer=2000,validators=2000" (missing parts are 0) as the JSON
// split the economics module reads.
core::Result<json> split_option(const std::string& text, const std::string& option) {
  json out = json::object();
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find(',', at);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(at, end - at);
    const auto eq = part.find('=');
    std::uint64_t bps = 0;
    if (eq == std::string::npos || std::from_chars(part.data() + eq + 1, part.data() + part.size(), bps).ec != std::errc()) {
      return core::make_error(core::ErrorCode::kInvalidArgument,
                              option + ": '" + part + "' is not NAME=BASIS_POINTS (burn, treasury, proposer, validators)");
    }
    out[part.substr(0, eq)] = bps;
    at = end + 1;
  }
  for (const char* name : {"burn", "treasury", "proposer", "validators"}) {
    if (!out.contains(name)) out[name] = 0;
  }
  return out;
}

struct ApproveOptions {
  SendOptions send;
  std::uint64_t id = 0;
};

struct ListOptions {
  ClientOptions client;
  bool all = false;
  std::uint32_t limit = 20;
  std::string address;
};

// The node runs these checks too; failing here says why before anything is signed.
int send_proposal(Io& io, SendOptions send, const modules::GovProposal& p) {
  const modules::Governance gov;
  const ledger::Payload payload = modules::gov_propose_payload(p);
  if (auto st = gov.check_payload(payload, crypto::Address{}); !st.ok()) return fail(io, st.error());
  return run_send(io, std::move(send), payload);
}

// The candidate of admit-validator, from the JSON `metanode keys export-public` writes.
core::Result<modules::ValidatorCandidate> read_candidate(const std::string& path, const std::string& name) {
  const auto bad = [&path](const std::string& why) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "--public-key-file " + path + ": " + why);
  };
  std::ifstream in(path);
  if (!in) return bad("cannot be read");
  const json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("ed25519_public_key") || !doc["ed25519_public_key"].is_string() ||
      !doc.contains("mldsa65_public_key") || !doc["mldsa65_public_key"].is_string()) {
    return bad("not the JSON `metanode keys export-public` writes (ed25519_public_key, mldsa65_public_key)");
  }
  modules::ValidatorCandidate c;
  auto key = crypto::PublicKey::from_hex(doc["ed25519_public_key"].get<std::string>());
  if (!key.ok()) return bad("ed25519_public_key: " + key.error().message);
  c.key = *key;
  auto mldsa = core::array_from_hex<crypto::kMldsaPublicKeyBytes>(doc["mldsa65_public_key"].get<std::string>());
  if (!mldsa.ok()) return bad("mldsa65_public_key: " + mldsa.error().message);
  c.mldsa.bytes = *mldsa;
  c.name = !name.empty() ? name : doc.value("name", std::string());
  if (auto st = c.check(); !st.ok()) return core::make_error(core::ErrorCode::kInvalidArgument, "--name: " + st.error().message);
  return c;
}

int run_propose(Io& io, ProposeOptions opts, modules::GovAction action) {
  modules::GovProposal p;
  p.action = action;
  if (action == modules::GovAction::kCreateFeed) {
    std::ifstream in(opts.feed_file);
    if (!in) return fail(io, core::make_error(core::ErrorCode::kNotFound, "--file " + opts.feed_file + ": cannot be read"));
    const json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, "--file " + opts.feed_file + " is not JSON"));
    auto spec = modules::FeedSpec::from_json(doc);
    if (!spec.ok()) return fail(io, core::make_error(spec.error().code, "--file " + opts.feed_file + ": " + spec.error().message));
    p.feed = std::move(spec).value();
    p.expiry_blocks = opts.expiry_blocks;
    return send_proposal(io, std::move(opts.send), p);
  }
  if (action == modules::GovAction::kAdmitValidator) {
    auto candidate = read_candidate(opts.candidate_file, opts.name);
    if (!candidate.ok()) return fail(io, candidate.error());
    p.candidate = *candidate;
    p.subject = crypto::Address::from_public_key(p.candidate.key);
    p.expiry_blocks = opts.expiry_blocks;
    return send_proposal(io, std::move(opts.send), p);
  }
  if (action == modules::GovAction::kSetEconRatios) {
    json ratios{{"epoch_blocks", opts.epoch_blocks}};
    for (const auto& [field, text, option] : {std::tuple{"base_fee_split", &opts.base_fee_split, "--base-fee-split"},
                                              std::tuple{"tip_split", &opts.tip_split, "--tip-split"},
                                              std::tuple{"reward_split", &opts.reward_split, "--reward-split"}}) {
      auto split = split_option(*text, option);
      if (!split.ok()) return fail(io, split.error());
      ratios[field] = *split;
    }
    auto parsed = modules::EconRatios::from_json(ratios);
    if (!parsed.ok()) return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, parsed.error().message));
    p.econ = *parsed;
    p.expiry_blocks = opts.expiry_blocks;
    return send_proposal(io, std::move(opts.send), p);
  }
  if (action != modules::GovAction::kSetJurisdictions) {
    if (auto st = modules::check_role_name(opts.role); !st.ok()) return fail(io, st.error());
    if (opts.description.size() > modules::kRoleDescriptionBytesMax) {
      return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, "--description: at most 200 bytes"));
    }
  }
  p.role = opts.role;
  p.description = opts.description;
  p.expiry_blocks = opts.expiry_blocks;
  if (action == modules::GovAction::kSetJurisdictions) {
    // Limits first: the encoder takes only what fits.
    for (const auto& tag : opts.tags) {
      if (auto st = modules::check_jurisdiction(tag); !st.ok()) return fail(io, st.error());
    }
    if (opts.tags.size() > modules::kJurisdictionsMax) {
      return fail(io, core::make_error(core::ErrorCode::kInvalidArgument,
                                       "--tags: at most " + std::to_string(modules::kJurisdictionsMax) + " tags"));
    }
    if (opts.service.size() > modules::kServiceNameBytesMax || (!opts.service.empty() && !modules::check_role_name(opts.service).ok())) {
      return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, "--service: 1-32 of a-z, 0-9, '_' and '-'"));
    }
    p.service = opts.service;
    p.jurisdictions = opts.tags;
    std::sort(p.jurisdictions.begin(), p.jurisdictions.end());
    p.jurisdictions.erase(std::unique(p.jurisdictions.begin(), p.jurisdictions.end()), p.jurisdictions.end());
  }
  if (action != modules::GovAction::kCreateRole && !(action == modules::GovAction::kSetJurisdictions && !opts.service.empty())) {
    auto subject = crypto::Address::parse(opts.subject);
    if (!subject.ok()) return fail(io, core::make_error(subject.error().code, "--to: " + subject.error().message));
    p.subject = *subject;
  }
  return send_proposal(io, std::move(opts.send), p);
}

std::string short_address(const std::string& a) { return a.size() > 20 ? a.substr(0, 12) + "…" + a.substr(a.size() - 6) : a; }

int run_proposals(Io& io, ListOptions opts) {
  if (auto st = prepare_signer(io, opts.client); !st.ok()) return fail(io, st.error());
  const std::string target = fmt::format("/v1/gov/proposals?status={}&limit={}", opts.all ? "all" : "open", opts.limit);
  auto doc = call(opts.client, "GET", target);
  if (!doc.ok()) return fail(io, doc.error());
  if (opts.client.json_output) {
    io.out << doc->dump(2) << "\n";
    return kExitOk;
  }
  const json& list = (*doc)["proposals"];
  io.out << fmt::format("{} proposal(s) at height {} (council: {} of {})\n", list.size(),
                        (*doc)["height"].get<std::uint64_t>(), (*doc)["council"]["threshold"].get<std::uint32_t>(),
                        (*doc)["council"]["members"].size());
  if (list.empty()) return kExitOk;
  io.out << fmt::format("{:>4}  {:<11} {:<12} {:<22} {:>9}  {:<9} {}\n", "id", "action", "role", "subject", "approvals",
                        "status", "expires at");
  for (const json& p : list) {
    // set_jurisdictions: the tags in the role column, the service (or the account) as subject.
    std::string role = p.value("role", std::string());
    if (p.contains("jurisdictions")) {
      role.clear();
      for (const json& t : p["jurisdictions"]) role += (role.empty() ? "" : ",") + t.get<std::string>();
      if (role.empty()) role = "(clear)";
    }
    const std::string subject = p.contains("service") ? "service " + p["service"].get<std::string>()
                                                      : short_address(p.value("subject", std::string("-")));
    io.out << fmt::format("{:>4}  {:<11} {:<12} {:<22} {:>9}  {:<9} {}\n", p["id"].get<std::uint64_t>(),
                          p["action"].get<std::string>(), role, subject,
                          fmt::format("{}/{}", p["approvals"].size(), (*doc)["council"]["threshold"].get<std::uint32_t>()),
                          p["status"].get<std::string>(), p["expiry_height"].get<std::uint64_t>());
  }
  return kExitOk;
}

int run_roles(Io& io, ListOptions opts) {
  if (auto st = prepare_signer(io, opts.client); !st.ok()) return fail(io, st.error());
  if (!opts.address.empty()) {
    auto address = crypto::Address::parse(opts.address);
    if (!address.ok()) return fail(io, address.error());
    auto doc = call(opts.client, "GET", "/v1/gov/roles/" + address->to_string());
    if (!doc.ok()) return fail(io, doc.error());
    if (opts.client.json_output) {
      io.out << doc->dump(2) << "\n";
      return kExitOk;
    }
    const json& roles = (*doc)["roles"];
    io.out << fmt::format("{} at height {}: ", address->to_string(), (*doc)["height"].get<std::uint64_t>());
    if (roles.empty()) io.out << "no roles";
    for (std::size_t i = 0; i < roles.size(); ++i) io.out << (i ? ", " : "") << roles[i].get<std::string>();
    io.out << fmt::format("\n(state root {}, proof with {} siblings; GET /v1/state/gov/holder:{} for the entry)\n",
                          (*doc)["state_root"].get<std::string>(), (*doc)["proof"]["siblings"].size(),
                          address->to_string());
    return kExitOk;
  }
  auto doc = call(opts.client, "GET", "/v1/gov/roles");
  if (!doc.ok()) return fail(io, doc.error());
  if (opts.client.json_output) {
    io.out << doc->dump(2) << "\n";
    return kExitOk;
  }
  io.out << fmt::format("roles at height {}\n", (*doc)["height"].get<std::uint64_t>());
  for (const json& r : (*doc)["roles"]) {
    io.out << fmt::format("  {:<14} {:<10} {} holder(s)\n", r["role"].get<std::string>(),
                          r["builtin"].get<bool>() ? "built-in" : "custom", r["holders"].size());
    for (const json& h : r["holders"]) io.out << "      " << h.get<std::string>() << "\n";
  }
  const json& council = (*doc)["council"];
  if (council.is_null()) {
    io.out << "no admin council: no role can be granted on this chain\n";
  } else {
    io.out << fmt::format("admin council: {} of {}\n", council["threshold"].get<std::uint32_t>(), council["members"].size());
    for (const json& m : council["members"]) io.out << "      " << m.get<std::string>() << "\n";
  }
  return kExitOk;
}

void add_propose(CLI::App* propose, Io& io, std::function<int()>& dispatch, std::string name, modules::GovAction action) {
  auto o = std::make_shared<ProposeOptions>();
  std::string what = action == modules::GovAction::kGrant    ? "Propose granting a role to an address"
                     : action == modules::GovAction::kRevoke ? "Propose revoking a role from an address"
                     : action == modules::GovAction::kCreateRole
                         ? "Propose creating a custom role"
                     : action == modules::GovAction::kSetEconRatios
                         ? "Propose the economics' split ratios and epoch length (in force from the end of the epoch in progress)"
                     : action == modules::GovAction::kAdmitValidator
                         ? "Propose admitting a validator candidate (it joins the set at the first epoch end after it bonds stake)"
                     : action == modules::GovAction::kCreateFeed
                         ? "Propose an oracle feed: its sources, decimals, deviation threshold, heartbeat and bounds"
                         : "Propose the jurisdiction tags of an account or a service (audit events and reports carry them)";
  CLI::App* cmd = propose->add_subcommand(name, what + " (signed by a council member's key; counts as its approval)");
  add_send_options(cmd, o->send, /*bid_required=*/false);
  if (action == modules::GovAction::kSetEconRatios) {
    cmd->add_option("--epoch-blocks", o->epoch_blocks, "Blocks per epoch (rewards are paid at each epoch's end)")->required();
    cmd->add_option("--base-fee-split", o->base_fee_split, "Where base fees go: burn=BPS,treasury=BPS,proposer=BPS,validators=BPS (10000 in all)")->required();
    cmd->add_option("--tip-split", o->tip_split, "Where tips go, the same way")->required();
    cmd->add_option("--reward-split", o->reward_split, "Where block rewards go (never burned)")->required();
    cmd->add_option("--expiry-blocks", o->expiry_blocks, "Blocks during which approvals count")->capture_default_str();
    cmd->footer("Example: metanode gov propose set-econ-ratios --epoch-blocks 100 --base-fee-split burn=5000,treasury=1000,"
                "proposer=2000,validators=2000 --tip-split proposer=5000,validators=5000 --reward-split "
                "treasury=1000,proposer=4500,validators=4500 --from council-1 --home ./devnet/node0 --wait");
    cmd->callback([&io, &dispatch, o, action] { dispatch = [&io, o, action] { return run_propose(io, *o, action); }; });
    return;
  }
  if (action == modules::GovAction::kCreateFeed) {
    cmd->add_option("--file", o->feed_file, "The feed as JSON: {\"id\", \"description\", \"sources\": [{\"url\", \"pointer\"}], "
                                             "\"decimals\", \"deviation_bps\", \"heartbeat_ms\", \"max_age_ms\", \"min_value\", \"max_value\"}")
        ->required();
    cmd->add_option("--expiry-blocks", o->expiry_blocks, "Blocks during which approvals count")->capture_default_str();
    cmd->footer("Example feed: {\"id\": \"eur-usd\", \"sources\": [{\"url\": \"https://example.com/eur\", \"pointer\": \"/rate\"}], "
                "\"decimals\": 4, \"deviation_bps\": 50, \"heartbeat_ms\": 60000}. Operators are the holders of role "
                "oracle: metanode gov propose grant --role oracle --to mn1…");
    cmd->callback([&io, &dispatch, o, action] { dispatch = [&io, o, action] { return run_propose(io, *o, action); }; });
    return;
  }
  if (action == modules::GovAction::kAdmitValidator) {
    cmd->add_option("--public-key-file", o->candidate_file,
                    "The candidate's public keys: the JSON of `metanode keys export-public NAME` on its machine")
        ->required();
    cmd->add_option("--name", o->name, "Its name in the validator set (default: the key's name)");
    cmd->add_option("--expiry-blocks", o->expiry_blocks, "Blocks during which approvals count")->capture_default_str();
    cmd->footer("Then the candidate bonds stake from its own key: metanode econ stake --amount N --from KEY; it votes from "
                "the first epoch end after that (metanode econ validators shows the sets).");
    cmd->callback([&io, &dispatch, o, action] { dispatch = [&io, o, action] { return run_propose(io, *o, action); }; });
    return;
  }
  if (action == modules::GovAction::kSetJurisdictions) {
    auto* to = cmd->add_option("--to,--address", o->subject, "The account whose jurisdictions are set (mn1…)");
    auto* service = cmd->add_option("--service", o->service, "Or the service (ledger, proofs, …)");
    to->excludes(service);
    cmd->add_option("--tags", o->tags, "Jurisdiction tags, comma-separated (EU,US-NY); none clears them")->delimiter(',');
    cmd->add_option("--expiry-blocks", o->expiry_blocks, "Blocks during which approvals count")->capture_default_str();
    cmd->callback([&io, &dispatch, o, action] {
      dispatch = [&io, o, action] {
        if (o->subject.empty() && o->service.empty()) {
          return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, "name an account (--to) or a service (--service)"));
        }
        return run_propose(io, *o, action);
      };
    });
    return;
  }
  cmd->add_option("--role", o->role, "Role name (admin, operator, auditor, validator, user, oracle, or a custom one)")->required();
  if (action == modules::GovAction::kCreateRole) {
    cmd->add_option("--description", o->description, "What the role is for (up to 200 bytes)")->required();
  } else {
    cmd->add_option("--to,--address", o->subject, "The address whose role changes (mn1…)")->required();
  }
  cmd->add_option("--expiry-blocks", o->expiry_blocks, "Blocks during which approvals count")->capture_default_str();
  cmd->callback([&io, &dispatch, o, action] { dispatch = [&io, o, action] { return run_propose(io, *o, action); }; });
}

}  // namespace

void add_gov_commands(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  CLI::App* gov = app.add_subcommand("gov", "Governance: roles granted by the admin council (m-of-n approvals on chain)");
  gov->require_subcommand(1);
  CLI::App* propose =
      gov->add_subcommand("propose", "Propose a role change (grant, revoke or create-role) or jurisdiction tags");
  propose->require_subcommand(1);
  add_propose(propose, io, dispatch, "grant", modules::GovAction::kGrant);
  add_propose(propose, io, dispatch, "revoke", modules::GovAction::kRevoke);
  add_propose(propose, io, dispatch, "create-role", modules::GovAction::kCreateRole);
  add_propose(propose, io, dispatch, "set-jurisdictions", modules::GovAction::kSetJurisdictions);
  add_propose(propose, io, dispatch, "set-econ-ratios", modules::GovAction::kSetEconRatios);
  add_propose(propose, io, dispatch, "admit-validator", modules::GovAction::kAdmitValidator);
  add_propose(propose, io, dispatch, "create-feed", modules::GovAction::kCreateFeed);

  auto a = std::make_shared<ApproveOptions>();
  CLI::App* approve = gov->add_subcommand("approve", "Approve a proposal (it takes effect with the m-th approval)");
  add_send_options(approve, a->send, /*bid_required=*/false);
  approve->add_option("id", a->id, "Proposal id")->required();
  approve->callback([&io, &dispatch, a] {
    dispatch = [&io, a] { return run_send(io, a->send, modules::gov_approve_payload(a->id)); };
  });

  auto p = std::make_shared<ListOptions>();
  CLI::App* proposals = gov->add_subcommand("proposals", "List open proposals (--all: recent ones of any status)");
  add_client_options(proposals, p->client);
  proposals->add_flag("--all", p->all, "Include executed, failed and expired proposals");
  proposals->add_option("--limit", p->limit, "Most recent proposals to list (1-200)")->capture_default_str()->check(CLI::Range(1, 200));
  proposals->callback([&io, &dispatch, p] { dispatch = [&io, p] { return run_proposals(io, *p); }; });

  auto r = std::make_shared<ListOptions>();
  CLI::App* roles = gov->add_subcommand("roles", "Every role, its holders and the council; or one address's roles with a proof");
  add_client_options(roles, r->client);
  roles->add_option("address", r->address, "Address (mn1…) whose roles to show");
  roles->callback([&io, &dispatch, r] { dispatch = [&io, r] { return run_roles(io, *r); }; });
}

}  // namespace metanode::cli
