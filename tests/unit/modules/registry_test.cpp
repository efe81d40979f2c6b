// The registry module through the real executor: a lease registered with a TTL in blocks is
// found by name and by kind, renewed by its owner only, expires at the end of its expiry height on
// every node alike (and a renewed one does not), and is taken by no other owner while it lives; a
// lease with a TTL in seconds expires at the first block whose chain time reaches it (also when
// the chain resumes after a long stop); the operators' health results and the lease's status;
// every refusal with its stable code; the JSON forms.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "ledger/executor.hpp"
#include "modules/module_set.hpp"
#include "modules/registry/registry.hpp"
#include "support/map_state.hpp"

namespace metanode::modules {
namespace {

using nlohmann::json;
using testing::MapState;

const core::Hash32 kGenesisDigest = core::hash(core::Domain::Test, core::as_bytes("registry genesis"));
crypto::Address addr(const crypto::KeyPair& k) { return crypto::Address::from_public_key(k.public_key()); }
constexpr auto kAccepted = static_cast<core::ErrorCode>(0);

struct RegistryChain {
  ledger::Executor executor{standard_modules()};
  MapState state;
  crypto::KeyPair alice = crypto::KeyPair::generate(), bob = crypto::KeyPair::generate();
  std::vector<crypto::KeyPair> operators;  // role "oracle": they report health
  std::map<crypto::Address, std::uint64_t> nonces;
  std::uint64_t height = 0;
  std::int64_t now_ms = 1'800'000'000'000;
  std::int64_t block_ms = 1'000;  // chain time between blocks
  std::vector<ledger::Event> events;

  RegistryChain() {
    ledger::Genesis g;
    g.chain_id = "registry";
    g.accounts.push_back({addr(alice), 1'000'000});
    g.accounts.push_back({addr(bob), 1'000'000});
    json grants = json::object();
    for (int i = 0; i < 3; ++i) {
      operators.push_back(crypto::KeyPair::generate());
      grants[addr(operators.back()).to_string()] = {"oracle"};
      g.accounts.push_back({addr(operators.back()), 1'000'000});
    }
    g.modules["gov"] = json{{"council", {{"threshold", 1}, {"members", {addr(alice).to_string()}}}}, {"grants", grants}}.dump();
    auto st = state.init_genesis(executor.modules(), g);
    EXPECT_TRUE(st.ok()) << st.error().to_string();
  }

  // One block; the first transaction's outcome (none: an empty block).
  core::ErrorCode block(const crypto::KeyPair* from = nullptr, std::optional<ledger::Payload> payload = std::nullopt) {
    std::vector<ledger::Transaction> txs;
    if (from != nullptr) {
      ledger::Transaction t;
      t.chain_id = "registry";
      t.nonce = nonces[addr(*from)]++;
      t.bid = 1;
      t.max_fee = 100;
      t.payload = *payload;
      t.sign_single(*from, kGenesisDigest);
      txs.push_back(std::move(t));
    }
    ledger::BlockContext ctx;
    ctx.chain = {"registry", kGenesisDigest};
    ctx.height = ++height;
    now_ms += block_ms;
    ctx.timestamp_unix_ms = now_ms;
    ctx.base_fee = 1;
    ctx.proposer = addr(alice);
    auto r = executor.execute(state, std::move(txs), ctx, ledger::ExecutionMode::kVerify);
    if (!r.ok()) {
      ADD_FAILURE() << r.error().to_string();
      return core::ErrorCode::kInternal;
    }
    state.apply(r->changed);
    if (r->receipts.empty()) return kAccepted;
    events = r->receipts.at(0).events;
    return static_cast<core::ErrorCode>(r->receipts.at(0).error_code);
  }

  std::optional<Lease> lease(const std::string& name) { return read_lease(state, name).value(); }
  std::optional<json> cursor() {
    auto bytes = state.get(ledger::state_tree_key(kRegistryModule, RegistryModule().key_from_text("expt_cursor").value())).value();
    if (!bytes) return std::nullopt;
    return RegistryModule().value_to_json(RegistryModule().key_from_text("expt_cursor").value(), *bytes);
  }
};

LeaseRequest api_lease(std::uint64_t ttl) {
  LeaseRequest q;
  q.name = "billing.api";
  q.kind = "http";
  q.endpoint = "https://billing.example.com";
  q.metadata = R"({"version": 2})";
  q.ttl_blocks = ttl;
  return q;
}
LeaseRequest timed_lease(const std::string& name, std::uint64_t seconds) {
  LeaseRequest q = api_lease(0);
  q.name = name;
  q.ttl_seconds = seconds;
  q.health_check = "tcp://127.0.0.1:9999";
  return q;
}
LeaseRequest bad_lease(std::string name, std::string kind, std::string endpoint, std::uint64_t blocks, std::uint64_t seconds = 0,
                       std::string check = "") {
  LeaseRequest q;
  q.name = std::move(name);
  q.kind = std::move(kind);
  q.endpoint = std::move(endpoint);
  q.ttl_blocks = blocks;
  q.ttl_seconds = seconds;
  q.health_check = std::move(check);
  return q;
}

TEST(Registry, ALeaseIsFoundByNameAndKindAndExpiresAtItsHeightUnlessRenewed) {
  RegistryChain c;
  ASSERT_EQ(c.block(&c.alice, register_payload(api_lease(5))), kAccepted);  // height 1: expires at the end of 6
  const Lease l = c.lease("billing.api").value();
  EXPECT_EQ(l.owner, addr(c.alice));
  EXPECT_EQ(l.expiry_height, 6u);
  EXPECT_EQ(read_kind(c.state, "http").value(), std::vector<std::string>{"billing.api"});
  EXPECT_EQ(read_kinds(c.state).value(), std::vector<std::string>{"http"});
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].kind, "registered");
  // Another owner cannot take it, renew it or remove it while it lives.
  EXPECT_EQ(c.block(&c.bob, register_payload(api_lease(5))), core::ErrorCode::kRegistryNameTaken);
  EXPECT_EQ(c.block(&c.bob, renew_payload("billing.api", 5)), core::ErrorCode::kRegistryNotOwner);
  EXPECT_EQ(c.block(&c.bob, deregister_payload("billing.api")), core::ErrorCode::kRegistryNotOwner);
  EXPECT_EQ(c.block(&c.bob, renew_payload("nothing.here", 5)), core::ErrorCode::kRegistryUnknownName);
  // Height 5: still there; height 6 ends it.
  ASSERT_EQ(c.height, 5u);
  EXPECT_TRUE(c.lease("billing.api").has_value());
  c.block();
  EXPECT_FALSE(c.lease("billing.api").has_value());
  EXPECT_TRUE(read_kind(c.state, "http").value().empty());
  EXPECT_TRUE(read_kinds(c.state).value().empty());
  // Now bob may take the name; a renewal at height 8 moves his expiry from 10 to 13.
  ASSERT_EQ(c.block(&c.bob, register_payload(api_lease(3))), kAccepted);  // height 7: expiry 10
  ASSERT_EQ(c.block(&c.bob, renew_payload("billing.api", 5)), kAccepted);  // height 8: expiry 13
  EXPECT_EQ(c.lease("billing.api")->renewals, 1u);
  while (c.height < 10) c.block();
  EXPECT_TRUE(c.lease("billing.api").has_value()) << "a renewed lease expired at its old height";
  while (c.height < 13) c.block();
  EXPECT_FALSE(c.lease("billing.api").has_value());
  // Deregistering removes it at once.
  ASSERT_EQ(c.block(&c.alice, register_payload(api_lease(100))), kAccepted);
  ASSERT_EQ(c.block(&c.alice, deregister_payload("billing.api")), kAccepted);
  EXPECT_FALSE(c.lease("billing.api").has_value());
  EXPECT_TRUE(read_kinds(c.state).value().empty());
}

TEST(Registry, ReRegisteringMovesAKindAndBadRequestsAreRefused) {
  RegistryChain c;
  ASSERT_EQ(c.block(&c.alice, register_payload(api_lease(10))), kAccepted);
  LeaseRequest grpc = api_lease(10);
  grpc.kind = "grpc";
  ASSERT_EQ(c.block(&c.alice, register_payload(grpc)), kAccepted);
  EXPECT_TRUE(read_kind(c.state, "http").value().empty());
  EXPECT_EQ(read_kind(c.state, "grpc").value(), std::vector<std::string>{"billing.api"});
  EXPECT_EQ(read_kinds(c.state).value(), std::vector<std::string>{"grpc"});
  const RegistryModule m;
  for (const LeaseRequest& bad :
       {bad_lease("Bad Name", "http", "x", 5), bad_lease("ok", "HTTP", "x", 5), bad_lease("ok", "http", "", 5),
        bad_lease("ok", "http", "x", 0), bad_lease("ok", "http", "x", kLeaseBlocksMax + 1), bad_lease("ok", "http", "x", 5, 5),
        bad_lease("ok", "http", "x", 0, kLeaseSecondsMax + 1), bad_lease("ok", "http", "x", 5, 0, "ftp://x"),
        bad_lease("ok", "http", "x", 5, 0, "tcp://host"), bad_lease("ok", "http", "x", 5, 0, "tcp://host:0"),
        bad_lease("ok", "http", "x", 5, 0, "tcp://host:99999"), bad_lease("ok", "http", "x", 5, 0, "http://a b"),
        bad_lease("ok", "http", "x\n", 5)}) {
    EXPECT_EQ(m.check_payload(register_payload(bad), addr(c.alice)).error().code, core::ErrorCode::kTxMalformed)
        << bad.name << " " << bad.endpoint << " " << bad.health_check << " " << bad.ttl_blocks << "/" << bad.ttl_seconds;
  }
  for (const std::string_view good : {"http://127.0.0.1:8080/health", "https://billing.example.com/", "tcp://db.internal:5432"}) {
    EXPECT_TRUE(check_health_check(good).ok()) << good;
  }
  EXPECT_EQ(m.check_payload(ledger::Payload{"registry", "lookup", {}}, addr(c.alice)).error().code, core::ErrorCode::kTxUnknownPayload);
  // JSON both ways; text keys.
  const json fields = m.payload_to_json(register_payload(api_lease(7)));
  EXPECT_EQ(m.payload_from_json("register", fields).value(), register_payload(api_lease(7)).data);
  EXPECT_EQ(m.payload_from_json("renew", {{"name", "billing.api"}, {"ttl_blocks", "9"}}).value(), renew_payload("billing.api", 9).data);
  EXPECT_EQ(m.payload_from_json("renew", {{"name", "billing.api"}, {"ttl_seconds", 30}}).value(), renew_payload("billing.api", 0, 30).data);
  const json timed = m.payload_to_json(register_payload(timed_lease("db", 60)));
  EXPECT_EQ(timed.at("ttl_seconds"), 60);
  EXPECT_FALSE(timed.contains("ttl_blocks"));
  EXPECT_EQ(m.payload_from_json("register", timed).value(), register_payload(timed_lease("db", 60)).data);
  const HealthBatch batch{{{"db", false, "connection refused"}, {"billing.api", true, ""}}};
  EXPECT_EQ(m.payload_from_json("health", m.payload_to_json(health_payload(batch))).value(), health_payload(batch).data);
  EXPECT_EQ(m.payload_from_json("health", {{"results", {{{"name", "db"}, {"ok", "yes"}}}}}).error().code, core::ErrorCode::kTxMalformed);
  EXPECT_EQ(m.payload_from_json("register", {{"name", "x"}}).error().code, core::ErrorCode::kTxMalformed);
  EXPECT_EQ(m.key_from_text("svc:billing.api").value(), registry_lease_key("billing.api"));
  EXPECT_EQ(m.key_from_text("kind:grpc").value(), registry_kind_key("grpc"));
  EXPECT_EQ(m.key_from_text("svc:Bad").error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(m.key_from_text("health:db").value(), registry_health_key("db"));
  EXPECT_TRUE(m.key_from_text("expt:1800000000").ok());
  EXPECT_TRUE(m.key_from_text("expt_cursor").ok());
}

TEST(Registry, ALeaseInSecondsExpiresByChainTimeAndARenewedOneDoesNot) {
  RegistryChain c;
  const std::int64_t registered_at = c.now_ms + c.block_ms;
  ASSERT_EQ(c.block(&c.alice, register_payload(timed_lease("db", 10))), kAccepted);
  const Lease l = c.lease("db").value();
  EXPECT_EQ(l.expiry_height, 0u);
  EXPECT_EQ(l.expiry_unix_ms, registered_at + 10'000);
  EXPECT_EQ(c.cursor()->at("live"), 1);
  ASSERT_EQ(c.block(&c.alice, register_payload(timed_lease("cache", 4))), kAccepted);
  // Blocks every 3 s: the chain's time, not the number of blocks, decides.
  c.block_ms = 3'000;
  c.block();  // +3 s after cache's registration: 4 s not reached
  EXPECT_TRUE(c.lease("cache").has_value());
  c.block();  // +6 s: cache is gone at this block's end, db (+10 s from its block) lives
  EXPECT_FALSE(c.lease("cache").has_value());
  ASSERT_TRUE(c.lease("db").has_value());
  ASSERT_EQ(c.block(&c.alice, renew_payload("db", 0, 10)), kAccepted);  // db now ends 10 s after this block
  const std::int64_t renewed_expiry = c.now_ms + 10'000;
  EXPECT_EQ(c.lease("db")->expiry_unix_ms, renewed_expiry);
  while (c.now_ms + c.block_ms < renewed_expiry) {
    c.block();
    EXPECT_TRUE(c.lease("db").has_value()) << "expired before its time, at " << c.now_ms;
  }
  c.block();
  EXPECT_FALSE(c.lease("db").has_value());
  EXPECT_TRUE(read_kinds(c.state).value().empty());
  EXPECT_FALSE(c.cursor().has_value()) << "the cursor outlived the last time-TTL lease";
  // A lease can move from seconds to blocks and back; the count of time leases follows.
  ASSERT_EQ(c.block(&c.alice, register_payload(timed_lease("db", 100))), kAccepted);
  ASSERT_EQ(c.block(&c.alice, renew_payload("db", 5)), kAccepted);
  EXPECT_FALSE(c.cursor().has_value());
  EXPECT_EQ(c.lease("db")->expiry_height, c.height + 5);
  ASSERT_EQ(c.block(&c.alice, renew_payload("db", 0, 100)), kAccepted);
  EXPECT_EQ(c.cursor()->at("live"), 1);
  ASSERT_EQ(c.block(&c.alice, deregister_payload("db")), kAccepted);
  EXPECT_FALSE(c.cursor().has_value());
}

TEST(Registry, AChainThatResumesAfterALongStopExpiresTimeLeasesOverAFewBlocks) {
  RegistryChain c;
  ASSERT_EQ(c.block(&c.alice, register_payload(timed_lease("a", 60))), kAccepted);
  ASSERT_EQ(c.block(&c.alice, register_payload(timed_lease("b", 3 * kTimeBucketsPerBlock))), kAccepted);
  // A day without blocks: the next block walks 4,096 seconds of buckets, so "a" goes at once.
  c.block_ms = 24 * 3600 * 1000;
  c.block();
  EXPECT_FALSE(c.lease("a").has_value());
  EXPECT_TRUE(c.lease("b").has_value()) << "the cursor walked more than its bound in one block";
  c.block_ms = 1'000;
  for (int i = 0; i < 4 && c.lease("b").has_value(); ++i) c.block();
  EXPECT_FALSE(c.lease("b").has_value());
  EXPECT_FALSE(c.cursor().has_value());
}

TEST(Registry, OperatorsReportHealthAndTheStatusFollowsTheirMajority) {
  RegistryChain c;
  ASSERT_EQ(c.block(&c.alice, register_payload(timed_lease("db", 600))), kAccepted);
  ASSERT_EQ(c.block(&c.alice, register_payload(api_lease(600))), kAccepted);  // no check
  const auto status = [&c] {
    auto h = read_health(c.state, "db").value();
    return h ? h->status() : std::string("unknown");
  };
  EXPECT_EQ(status(), "unknown");
  const auto report = [&c](int op, bool ok, const std::string& name = "db") {
    return c.block(&c.operators[op], health_payload(HealthBatch{{{name, ok, ok ? "" : "connection refused"}}}));
  };
  ASSERT_EQ(report(0, true), kAccepted);
  EXPECT_EQ(status(), "up");
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(RegistryModule().event_to_json(c.events[0]).at("status"), "up");
  ASSERT_EQ(report(1, false), kAccepted);
  EXPECT_EQ(status(), "down") << "one up and one down is not a majority up";
  ASSERT_EQ(report(2, false), kAccepted);
  EXPECT_EQ(status(), "down");
  ASSERT_EQ(report(1, true), kAccepted);
  ASSERT_EQ(report(2, true), kAccepted);
  EXPECT_EQ(status(), "up");
  EXPECT_EQ(read_health(c.state, "db").value()->reports.size(), 3u) << "one result per operator";
  // The same result again changes nothing a watcher needs: no event.
  ASSERT_EQ(report(2, true), kAccepted);
  EXPECT_TRUE(c.events.empty());
  // Only operators report; a lease without a check or gone is skipped.
  EXPECT_EQ(c.block(&c.bob, health_payload(HealthBatch{{{"db", false, ""}}})), core::ErrorCode::kOracleNotOperator);
  ASSERT_EQ(report(0, false, "billing.api"), kAccepted);
  EXPECT_FALSE(read_health(c.state, "billing.api").value().has_value());
  EXPECT_EQ(RegistryModule().check_payload(health_payload(HealthBatch{{{"db", true, ""}, {"db", false, ""}}}), addr(c.operators[0]))
                .error()
                .code,
            core::ErrorCode::kTxMalformed);
  EXPECT_EQ(RegistryModule().check_payload(health_payload(HealthBatch{}), addr(c.operators[0])).error().code,
            core::ErrorCode::kTxMalformed);
  // Another check clears what the operators saw of the old one; deregistering clears it too.
  LeaseRequest moved = timed_lease("db", 600);
  moved.health_check = "tcp://127.0.0.1:9998";
  ASSERT_EQ(c.block(&c.alice, register_payload(moved)), kAccepted);
  EXPECT_EQ(status(), "unknown");
  ASSERT_EQ(report(0, true), kAccepted);
  ASSERT_EQ(c.block(&c.alice, deregister_payload("db")), kAccepted);
  EXPECT_FALSE(read_health(c.state, "db").value().has_value());
}

}  // namespace
}  // namespace metanode::modules
