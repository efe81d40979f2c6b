// The Cage's cost per request (bench/README.md, "The Cage"): one request through a Router with
// the Cage in front of a handler that answers a small JSON body, unsigned against signed (the
// signature checked, the nonce remembered, roles looked up), and signed asking for the node's
// signature on the answer (Accept-Signature). Requests are signed before timing, each with its
// own nonce.
#include <benchmark/benchmark.h>

#include <chrono>
#include <deque>

#include "api/cage/cage.hpp"

namespace metanode::api::cage {
namespace {

struct NullSink final : AuditSink {
  std::uint64_t record(const Decision&) override { return 0; }
};

const crypto::KeyPair& client_key() {
  static const crypto::KeyPair key = crypto::KeyPair::from_seed(crypto::Seed{9});
  return key;
}
const crypto::KeyPair& node_key() {
  static const crypto::KeyPair key = crypto::KeyPair::from_seed(crypto::Seed{10});
  return key;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Setup {
  NullSink sink;
  std::unique_ptr<Cage> cage;
  Router router;
  explicit Setup(const std::vector<std::string>& roles) {
    RouteTable table;
    table.add("GET", "/v1/blocks/{height}", Access::open());
    table.add("GET", "/v1/audit/decisions", Access::roles_of({"auditor", "admin"}));
    CagePolicy policy;
    policy.nonce_cache_capacity = 10'000'000;
    cage = std::make_unique<Cage>(
        table, [roles](const crypto::Address&) { return roles; }, sink, policy, UnixClock{}, &node_key());
    router.use(cage->middleware());
    const std::string body = R"({"height":7,"hash":"00000000000000000000000000000000000000000000000000000000000000aa"})";
    router.add("GET", "/v1/blocks/{height}", [body](const Request&) { return Response{200, "application/json", body, {}}; });
    router.add("GET", "/v1/audit/decisions", [body](const Request&) { return Response{200, "application/json", body, {}}; });
  }
};

Request make_request(const std::string& path) {
  Request r;
  r.method = "GET";
  r.path = path;
  r.remote_address = "127.0.0.1";
  r.headers["host"] = "127.0.0.1:9001";
  return r;
}

Request make_signed(const std::string& path, std::uint64_t n, bool ask_signature) {
  Request r = make_request(path);
  if (ask_signature) r.headers["accept-signature"] = R"(sig1=("@status" "content-digest");alg="ed25519")";
  r.headers["metanode-key"] = client_key().public_key().to_hex();
  MessageView view{r.method, "http", r.headers["host"], r.path, r.query, [&r](std::string_view name) -> std::optional<std::string> {
                     const auto it = r.headers.find(std::string(name));
                     return it == r.headers.end() ? std::nullopt : std::optional<std::string>(it->second);
                   }};
  const auto h = sign_message(view, {"@method", "@target-uri", "metanode-key"}, client_key(),
                              crypto::Address::from_public_key(client_key().public_key()).to_string(), now_ms() / 1000,
                              "bench-" + std::to_string(n));
  r.headers["signature-input"] = h.signature_input;
  r.headers["signature"] = h.signature;
  return r;
}

void BM_CageUnsigned(benchmark::State& state) {
  Setup s({});
  const Request base = make_request("/v1/blocks/7");
  for (auto _ : state) {
    Request r = base;
    benchmark::DoNotOptimize(s.router.dispatch(r));
  }
}
BENCHMARK(BM_CageUnsigned);

// Signed requests, signed ahead in batches outside the timing (each nonce is accepted once).
void run_signed(benchmark::State& state, bool ask_signature, const std::string& path) {
  Setup s({"auditor"});
  std::uint64_t n = 0;
  std::deque<Request> ready;
  for (auto _ : state) {
    if (ready.empty()) {
      state.PauseTiming();
      for (int i = 0; i < 1'000; ++i) ready.push_back(make_signed(path, n++, ask_signature));
      state.ResumeTiming();
    }
    Request r = std::move(ready.front());
    ready.pop_front();
    const Response res = s.router.dispatch(r);
    if (res.status != 200) state.SkipWithError("a signed request was refused");
    if (ask_signature && res.headers.size() < 8) state.SkipWithError("the answer was not signed");
    benchmark::DoNotOptimize(res);
  }
}

void BM_CageSignedPublicRoute(benchmark::State& state) { run_signed(state, false, "/v1/blocks/7"); }
BENCHMARK(BM_CageSignedPublicRoute);
void BM_CageSignedRoleRoute(benchmark::State& state) { run_signed(state, false, "/v1/audit/decisions"); }
BENCHMARK(BM_CageSignedRoleRoute);
void BM_CageSignedRoleRouteSignedAnswer(benchmark::State& state) { run_signed(state, true, "/v1/audit/decisions"); }
BENCHMARK(BM_CageSignedRoleRouteSignedAnswer);

}  // namespace
}  // namespace metanode::api::cage

BENCHMARK_MAIN();
