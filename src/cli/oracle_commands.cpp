#include "cli/oracle_commands.hpp"

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "cli/chain_client.hpp"
#include "modules/oracle/feed_spec.hpp"

namespace metanode::cli {
namespace {

using nlohmann::json;

struct OracleOptions {
  ClientOptions client;
  std::string feed;
  std::uint64_t round = 0;
};

core::Result<json> get(const OracleOptions& opts, const std::string& target) {
  return call(service_url_of(opts.client, 2), "GET", target, "", nullptr);
}

core::Status verify_proofs(const OracleOptions& opts, const std::vector<const json*>& proofs, Io& io) {
  return verify_state_proofs(opts.client, proofs, io);
}

int run_feeds(Io& io, const OracleOptions& opts) {
  auto doc = get(opts, "/v1/feeds");
  if (!doc.ok()) return fail(io, doc.error());
  std::vector<const json*> proofs;
  for (const json& f : (*doc)["feeds"]) {
    proofs.push_back(&f["spec_proof"]);
    proofs.push_back(&f["latest_proof"]);
  }
  if (opts.client.json_output) {
    io.out << doc->dump(2) << "\n";
  } else {
    io.out << fmt::format("{} operator(s) (role oracle); a round needs {} observations; height {}\n", (*doc)["operators"].size(),
                          doc->value("quorum", 0), doc->value("height", 0));
    if ((*doc)["feeds"].empty()) io.out << "no feed yet (the council creates one: metanode gov propose create-feed --file F)\n";
    for (const json& f : (*doc)["feeds"]) {
      const json& latest = f["latest"];
      io.out << fmt::format("{:<20} {:>24}  round {:>6}  {} source(s), {} decimals, deviation {:.2f}%, heartbeat {} s\n",
                            f.value("id", ""), latest.is_null() ? std::string("(no round yet)") : latest.value("value", ""),
                            latest.is_null() ? 0 : latest.value("round", 0), f["sources"].size(), f.value("decimals", 0),
                            f.value("deviation_bps", 0) / 100.0, f.value("heartbeat_ms", 0) / 1000);
    }
  }
  if (auto st = verify_proofs(opts, proofs, io); !st.ok()) return fail(io, st.error());
  return kExitOk;
}

int run_round(Io& io, const OracleOptions& opts) {
  if (auto st = modules::check_feed_id(opts.feed); !st.ok()) return fail(io, st.error());
  const std::string target =
      opts.round == 0 ? "/v1/feeds/" + opts.feed + "/latest" : "/v1/feeds/" + opts.feed + "/rounds/" + std::to_string(opts.round);
  auto doc = get(opts, target);
  if (!doc.ok()) return fail(io, doc.error());
  if (opts.client.json_output) {
    io.out << doc->dump(2) << "\n";
  } else {
    io.out << fmt::format("{} round {}: {} (median of {} observations; block {}, reported by {})\n", opts.feed,
                          doc->value("round", 0), doc->value("value", ""), (*doc)["observations"].size(), doc->value("height", 0),
                          doc->value("reporter", ""));
    for (const json& o : (*doc)["observations"]) {
      io.out << fmt::format("  {:<64} {:>24}  observed at {}\n", o.value("address", ""), o.value("decimal", ""),
                            o.value("observed_unix_ms", 0));
    }
  }
  if (auto st = verify_proofs(opts, {&(*doc)["proof"]}, io); !st.ok()) return fail(io, st.error());
  return kExitOk;
}

void add_options(CLI::App* cmd, OracleOptions& o) {
  cmd->add_option("--node", o.client.node_url,
                  "The oracle service's URL (default: --home's config, port base + 2; else http://127.0.0.1:9002)");
  cmd->add_option("--home", o.client.home, "A node home (its config names the port, its genesis is what --verify trusts)");
  cmd->add_option("--genesis", o.client.genesis_file, "The genesis --verify trusts (default: --home's)");
  cmd->add_flag("--verify", o.client.verify, "Check every value that is state against its proof and a signed header");
  cmd->add_flag("--json", o.client.json_output, "Print the service's JSON");
}

}  // namespace

void add_oracle_commands(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  CLI::App* oracle = app.add_subcommand("oracle", "The oracle service: feeds and their rounds (medians of signed observations)");
  oracle->require_subcommand(1);
  {
    auto o = std::make_shared<OracleOptions>();
    CLI::App* cmd = oracle->add_subcommand("feeds", "Every feed: its spec and latest value (with --verify: proven)");
    add_options(cmd, *o);
    cmd->callback([&io, &dispatch, o] { dispatch = [&io, o] { return run_feeds(io, *o); }; });
  }
  {
    auto o = std::make_shared<OracleOptions>();
    CLI::App* cmd = oracle->add_subcommand("latest", "A feed's latest round: the median and every signed observation");
    add_options(cmd, *o);
    cmd->add_option("feed", o->feed, "The feed's id")->required();
    cmd->callback([&io, &dispatch, o] { dispatch = [&io, o] { return run_round(io, *o); }; });
  }
  {
    auto o = std::make_shared<OracleOptions>();
    CLI::App* cmd = oracle->add_subcommand("round", "One round of a feed");
    add_options(cmd, *o);
    cmd->add_option("feed", o->feed, "The feed's id")->required();
    cmd->add_option("round", o->round, "The round (from 1)")->required()->check(CLI::PositiveNumber);
    cmd->callback([&io, &dispatch, o] { dispatch = [&io, o] { return run_round(io, *o); }; });
  }
}

}  // namespace metanode::cli
