#include "cli/registry_commands.hpp"

#include <fmt/format.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>
#include <set>
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

struct WatchOptions {
  ClientOptions client;
  std::string kind;
  std::string name;
  std::uint64_t count = 0;      // stop after this many changes (0: run until interrupted)
  std::uint32_t timeout_s = 0;  // fail when no change came for this long (0: wait forever)
};

std::string expiry_text(const json& l) {
  if (l.value("ttl", std::string("blocks")) == "seconds") {
    return fmt::format("expires at unix ms {}{}", l.value("expiry_unix_ms", std::int64_t{0}),
                       l.contains("seconds_left") ? fmt::format(" ({} s left)", l.value("seconds_left", std::int64_t{0})) : "");
  }
  return fmt::format("expires at height {}{}", l.value("expiry_height", std::uint64_t{0}),
                     l.contains("blocks_left") ? fmt::format(" ({} blocks left)", l.value("blocks_left", std::uint64_t{0})) : "");
}

void print_lease(Io& io, const json& l) {
  const std::string health = l.contains("health") ? l["health"].value("status", "") : "";
  io.out << fmt::format("{:<32} {:<10} {:<8} {}\n", l.value("name", ""), l.value("kind", ""), health, l.value("endpoint", ""));
  io.out << fmt::format("    owner {}, {}, renewed {} time(s)\n", l.value("owner", ""), expiry_text(l), l.value("renewals", 0));
  if (!l.value("health_check", std::string()).empty()) {
    io.out << "    health check " << l.value("health_check", "");
    if (l.contains("health")) {
      for (const json& r : l["health"]["reports"]) {
        io.out << fmt::format("\n      {} {} at height {}{}", r.value("reporter", ""), r.value("ok", false) ? "up" : "down",
                              r.value("height", 0), r.value("detail", std::string()).empty() ? "" : ": " + r.value("detail", ""));
      }
    }
    io.out << "\n";
  }
  if (!l.value("metadata", std::string()).empty()) io.out << "    metadata " << l.value("metadata", "") << "\n";
}

// One change as a line: "height 42  registered  billing.api (http) …".
void print_change(Io& io, const json& c) {
  const std::string type = c.value("type", "");
  std::string what;
  if (type == "health") {
    what = fmt::format("{} is {} ({} says {}{})", c.value("name", ""), c.value("status", ""), c.value("reporter", ""),
                       c.value("ok", false) ? "up" : "down", c.value("detail", std::string()).empty() ? "" : ": " + c.value("detail", ""));
  } else if (type == "expired") {
    what = c.value("name", "");
  } else {
    what = fmt::format("{} ({}) {}, owner {}, {}", c.value("name", ""), c.value("service_kind", ""), c.value("endpoint", ""),
                       c.value("owner", ""), expiry_text(c));
  }
  io.out << fmt::format("height {:<8} {:<12} {}\n", c.value("height", std::uint64_t{0}), type, what) << std::flush;
}

int run_watch(Io& io, const WatchOptions& o) {
  namespace beast = boost::beast;
  namespace websocket = beast::websocket;
  if (!o.name.empty()) {
    if (auto st = modules::check_service_name(o.name); !st.ok()) return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, st.error().message));
  }
  if (!o.kind.empty()) {
    if (auto st = modules::check_service_kind(o.kind); !st.ok()) return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, st.error().message));
  }
  const std::string base = service_url_of(o.client, 3);
  // The names of the kind watched: the live ones now, and those its changes name from here on.
  std::set<std::string> of_kind;
  if (!o.kind.empty()) {
    auto doc = call(base, "GET", "/v1/registry/services?kind=" + o.kind, "", nullptr);
    if (!doc.ok()) return fail(io, doc.error());
    for (const json& l : (*doc)["services"]) of_kind.insert(l.value("name", ""));
  }
  auto endpoint = split_url(base);
  if (!endpoint.ok()) return fail(io, endpoint.error());
  try {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::resolver resolver(ioc);
    websocket::stream<beast::tcp_stream> ws(ioc);
    beast::get_lowest_layer(ws).connect(resolver.resolve(endpoint->first, endpoint->second));
    if (o.timeout_s > 0) {
      const timeval tv{static_cast<time_t>(o.timeout_s), 0};
      ::setsockopt(beast::get_lowest_layer(ws).socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ws.handshake(endpoint->first, "/v1/registry/watch");
    if (!o.client.json_output) io.err << "watching " << base << "/v1/registry/watch (Ctrl-C to stop)\n";
    beast::flat_buffer buffer;
    std::uint64_t shown = 0;
    while (o.count == 0 || shown < o.count) {
      beast::error_code ec;
      ws.read(buffer, ec);
      if (ec == beast::error::timeout || ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
        return fail(io, core::make_error(core::ErrorCode::kIo, fmt::format("no change in {} s", o.timeout_s)));
      }
      if (ec) return fail(io, core::make_error(core::ErrorCode::kIo, "the watch ended: " + ec.message()));
      const json change = json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
      buffer.consume(buffer.size());
      if (change.is_discarded()) continue;
      const std::string name = change.value("name", "");
      if (!o.name.empty() && name != o.name) continue;
      if (!o.kind.empty()) {
        if (change.contains("service_kind")) {
          if (change.value("service_kind", "") == o.kind) {
            of_kind.insert(name);
          } else {
            of_kind.erase(name);  // moved to another kind
            continue;
          }
        } else if (!of_kind.contains(name)) {
          continue;
        }
      }
      if (o.client.json_output) {
        io.out << change.dump() << "\n" << std::flush;
      } else {
        print_change(io, change);
      }
      ++shown;
    }
  } catch (const std::exception& e) {
    return fail(io, core::make_error(core::ErrorCode::kIo, std::string("watching ") + base + ": " + e.what()));
  }
  return kExitOk;
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
        kind, kind == "register"   ? "Lease a name for a number of blocks or seconds: its kind, endpoint, metadata and health check (your key owns it)"
              : kind == "renew"    ? "Extend a lease you own by a number of blocks or seconds from now (a heartbeat)"
                                   : "Give a lease up at once");
    add_send_options(cmd, o->send, /*bid_required=*/false);
    cmd->add_option("--name", o->request.name, "The service's name (a-z, 0-9, '.', '-')")->required();
    if (kind == "register") {
      cmd->add_option("--kind", o->request.kind, "Its kind (http, grpc, storage, …)")->required();
      cmd->add_option("--endpoint", o->request.endpoint, "Where it answers (a URL or host:port)")->required();
      cmd->add_option("--metadata", o->request.metadata, "Free text, up to 1024 bytes (JSON is usual)");
      cmd->add_option("--health-check", o->request.health_check,
                      "What the oracle operators' nodes probe: http(s)://… must answer 200, tcp://HOST:PORT must accept");
    }
    if (kind != "deregister") {
      auto* blocks = cmd->add_option("--ttl-blocks", o->request.ttl_blocks, "Blocks until it expires unless renewed")
                         ->check(CLI::Range(std::uint64_t{1}, modules::kLeaseBlocksMax));
      auto* seconds = cmd->add_option("--ttl-seconds", o->request.ttl_seconds, "Seconds of chain time until it expires unless renewed")
                          ->check(CLI::Range(std::uint64_t{1}, modules::kLeaseSecondsMax));
      blocks->excludes(seconds);
    }
    cmd->callback([&io, &dispatch, o, kind] {
      dispatch = [&io, o, kind]() -> int {
        if (kind != "deregister" && o->request.ttl_blocks == 0 && o->request.ttl_seconds == 0) {
          return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, "give the lease's TTL: --ttl-blocks N or --ttl-seconds N"));
        }
        const ledger::Payload payload =
            kind == "register" ? modules::register_payload(o->request)
            : kind == "renew"  ? modules::renew_payload(o->request.name, o->request.ttl_blocks, o->request.ttl_seconds)
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
  auto w = std::make_shared<WatchOptions>();
  CLI::App* watch = registry->add_subcommand("watch", "Print each change to the registry as blocks commit (registered, renewed, "
                                                      "deregistered, expired, health), over the service's WebSocket");
  watch->add_option("--name", w->name, "Only this lease's changes");
  watch->add_option("--kind", w->kind, "Only the changes of leases of this kind");
  watch->add_option("--count", w->count, "Stop after this many changes (default: run until interrupted)");
  watch->add_option("--timeout", w->timeout_s, "Fail when no change comes for this many seconds (default: wait)");
  watch->add_option("--node", w->client.node_url, "The registry service's URL (default: --home's config, port base + 3; else http://127.0.0.1:9003)");
  watch->add_option("--home", w->client.home, "A node home (its config names the port)");
  watch->add_flag("--json", w->client.json_output, "Print each change's JSON, one per line");
  watch->callback([&io, &dispatch, w] { dispatch = [&io, w] { return run_watch(io, *w); }; });
}

}  // namespace metanode::cli
