#include "cli/registry_commands.hpp"

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "cli/chain_client.hpp"
#include "modules/registry/registry.hpp"

namespace metanode::cli {
namespace {

using nlohmann::json;

struct LookupOptions {
  ClientOptions client;
  std::string name;
  std::string kind;
};

struct LeaseOptions {
  SendOptions send;
  modules::LeaseRequest request;
};

void print_lease(Io& io, const json& l) {
  io.out << fmt::format("{:<32} {:<10} {}\n", l.value("name", ""), l.value("kind", ""), l.value("endpoint", ""));
  io.out << fmt::format("    owner {}, expires at height {} ({} blocks left), renewed {} time(s)\n", l.value("owner", ""),
                        l.value("expiry_height", 0), l.value("blocks_left", 0), l.value("renewals", 0));
  if (!l.value("metadata", std::string()).empty()) io.out << "    metadata " << l.value("metadata", "") << "\n";
}

int run_lookup(Io& io, const LookupOptions& o) {
  std::string target;
  if (!o.name.empty()) {
    if (auto st = modules::check_service_name(o.name); !st.ok()) return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, st.error().message));
    target = "/v1/registry/services/" + o.name;
  } else {
    if (!o.kind.empty()) {
      if (auto st = modules::check_service_kind(o.kind); !st.ok()) return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, st.error().message));
    }
    target = o.kind.empty() ? "/v1/registry/services" : "/v1/registry/services?kind=" + o.kind;
  }
  auto doc = call(service_url_of(o.client, 3), "GET", target, "", nullptr);
  if (!doc.ok()) return fail(io, doc.error());
  std::vector<const json*> proofs;
  if (doc->contains("services")) {
    for (const json& l : (*doc)["services"]) proofs.push_back(&l["proof"]);
  } else {
    proofs.push_back(&(*doc)["proof"]);
  }
  if (o.client.json_output) {
    io.out << doc->dump(2) << "\n";
  } else if (doc->contains("services")) {
    io.out << fmt::format("{} lease(s) at height {}\n", (*doc)["services"].size(), doc->value("height", 0));
    for (const json& l : (*doc)["services"]) print_lease(io, l);
  } else {
    print_lease(io, *doc);
  }
  if (auto st = verify_state_proofs(o.client, proofs, io); !st.ok()) return fail(io, st.error());
  return kExitOk;
}

}  // namespace

void add_registry_commands(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  CLI::App* registry = app.add_subcommand("registry", "Service discovery on chain: leases of names with a TTL, renewed by heartbeat");
  registry->require_subcommand(1);
  for (const std::string kind : {"register", "renew", "deregister"}) {
    auto o = std::make_shared<LeaseOptions>();
    CLI::App* cmd = registry->add_subcommand(
        kind, kind == "register"   ? "Lease a name for a number of blocks: its kind, endpoint and metadata (your key owns it)"
              : kind == "renew"    ? "Extend a lease you own by a number of blocks from now (a heartbeat)"
                                   : "Give a lease up at once");
    add_send_options(cmd, o->send, /*bid_required=*/false);
    cmd->add_option("--name", o->request.name, "The service's name (a-z, 0-9, '.', '-')")->required();
    if (kind == "register") {
      cmd->add_option("--kind", o->request.kind, "Its kind (http, grpc, storage, …)")->required();
      cmd->add_option("--endpoint", o->request.endpoint, "Where it answers (a URL or host:port)")->required();
      cmd->add_option("--metadata", o->request.metadata, "Free text, up to 1024 bytes (JSON is usual)");
    }
    if (kind != "deregister") {
      cmd->add_option("--ttl-blocks", o->request.ttl_blocks, "Blocks until it expires unless renewed")->required()->check(CLI::Range(1, 1'000'000));
    }
    cmd->callback([&io, &dispatch, o, kind] {
      dispatch = [&io, o, kind]() -> int {
        const ledger::Payload payload = kind == "register" ? modules::register_payload(o->request)
                                        : kind == "renew"  ? modules::renew_payload(o->request.name, o->request.ttl_blocks)
                                                           : modules::deregister_payload(o->request.name);
        if (auto st = modules::RegistryModule().check_payload(payload, crypto::Address{}); !st.ok()) {
          return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, st.error().message));
        }
        return run_send(io, o->send, payload);
      };
    });
  }
  auto o = std::make_shared<LookupOptions>();
  CLI::App* lookup = registry->add_subcommand("lookup", "One lease by name, or the live leases (of one kind with --kind), proven with --verify");
  lookup->add_option("name", o->name, "The service's name (none: list)");
  lookup->add_option("--kind", o->kind, "List the leases of this kind");
  lookup->add_option("--node", o->client.node_url, "The registry service's URL (default: --home's config, port base + 3; else http://127.0.0.1:9003)");
  lookup->add_option("--home", o->client.home, "A node home (its config names the port, its genesis is what --verify trusts)");
  lookup->add_option("--genesis", o->client.genesis_file, "The genesis --verify trusts (default: --home's)");
  lookup->add_flag("--verify", o->client.verify, "Check every lease against its proof and a signed header");
  lookup->add_flag("--json", o->client.json_output, "Print the service's JSON");
  lookup->callback([&io, &dispatch, o] { dispatch = [&io, o] { return run_lookup(io, *o); }; });
}

}  // namespace metanode::cli
