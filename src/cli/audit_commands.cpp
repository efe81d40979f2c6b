#include "cli/audit_commands.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/chain_client.hpp"

namespace metanode::cli {
namespace {

using nlohmann::json;

struct DecisionsOptions {
  ClientOptions client;
  std::uint32_t limit = 50;
  bool refused_only = false;
};

std::string utc_time(std::int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, unix_ms % 1000);
}

int run_decisions(Io& io, DecisionsOptions opts) {
  if (auto st = prepare_signer(io, opts.client); !st.ok()) return fail(io, st.error());
  auto doc = call(opts.client, "GET", fmt::format("/v1/audit/decisions?limit={}", opts.limit));
  if (!doc.ok()) return fail(io, doc.error());
  json decisions = json::array();
  for (const json& d : (*doc)["decisions"]) {
    if (!opts.refused_only || !d.value("allowed", true)) decisions.push_back(d);
  }
  if (opts.client.json_output) {
    io.out << json{{"decisions", decisions}}.dump(2) << "\n";
    return kExitOk;
  }
  io.out << fmt::format("{} decision(s), newest first\n", decisions.size());
  if (decisions.empty()) return kExitOk;
  io.out << fmt::format("{:<23}  {:<6} {:<28} {:>6}  {:<16} {}\n", "time (UTC)", "method", "route", "status", "reason",
                        "caller");
  for (const json& d : decisions) {
    const std::string caller =
        d["identity"].is_string() ? d["identity"].get<std::string>() : "(unsigned) " + d.value("client_address", std::string());
    io.out << fmt::format("{:<23}  {:<6} {:<28} {:>6}  {:<16} {}\n", utc_time(d.value("unix_ms", std::int64_t{0})),
                          d.value("method", std::string()), d.value("route", std::string()),
                          d.value("status", 0u), d.value("reason", std::string()), caller);
  }
  return kExitOk;
}

}  // namespace

void add_audit_commands(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  CLI::App* audit = app.add_subcommand("audit", "What auditors read: the Cage's decisions (needs --as KEY with the auditor or admin role)");
  audit->require_subcommand(1);
  auto d = std::make_shared<DecisionsOptions>();
  CLI::App* decisions = audit->add_subcommand(
      "decisions", "The node's latest Cage decisions (who called what, allowed or why refused), newest first");
  add_client_options(decisions, d->client);
  decisions->add_option("--limit", d->limit, "How many (1-1000)")->capture_default_str()->check(CLI::Range(1, 1000));
  decisions->add_flag("--refused", d->refused_only, "Only refusals");
  decisions->callback([&io, &dispatch, d] { dispatch = [&io, d] { return run_decisions(io, *d); }; });
}

}  // namespace metanode::cli
