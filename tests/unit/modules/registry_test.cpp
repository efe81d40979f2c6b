// The registry module through the real executor: a lease registered with a TTL in blocks is
// found by name and by kind, renewed by its owner only, expires at the end of its expiry height on
// every node alike (and a renewed one does not), and is taken by no other owner while it lives;
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
  std::map<crypto::Address, std::uint64_t> nonces;
  std::uint64_t height = 0;
  std::vector<ledger::Event> events;

  RegistryChain() {
    ledger::Genesis g;
    g.chain_id = "registry";
    g.accounts.push_back({addr(alice), 1'000'000});
    g.accounts.push_back({addr(bob), 1'000'000});
    EXPECT_TRUE(state.init_genesis(executor.modules(), g).ok());
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
};

LeaseRequest api_lease(std::uint64_t ttl) { return {"billing.api", "http", "https://billing.example.com", R"({"version": 2})", ttl}; }

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
  for (const LeaseRequest& bad : {LeaseRequest{"Bad Name", "http", "x", "", 5}, LeaseRequest{"ok", "HTTP", "x", "", 5},
                                  LeaseRequest{"ok", "http", "", "", 5}, LeaseRequest{"ok", "http", "x", "", 0},
                                  LeaseRequest{"ok", "http", "x", "", kLeaseBlocksMax + 1}}) {
    EXPECT_EQ(m.check_payload(register_payload(bad), addr(c.alice)).error().code, core::ErrorCode::kTxMalformed) << bad.name;
  }
  EXPECT_EQ(m.check_payload(ledger::Payload{"registry", "lookup", {}}, addr(c.alice)).error().code, core::ErrorCode::kTxUnknownPayload);
  // JSON both ways; text keys.
  const json fields = m.payload_to_json(register_payload(api_lease(7)));
  EXPECT_EQ(m.payload_from_json("register", fields).value(), register_payload(api_lease(7)).data);
  EXPECT_EQ(m.payload_from_json("renew", {{"name", "billing.api"}, {"ttl_blocks", "9"}}).value(), renew_payload("billing.api", 9).data);
  EXPECT_EQ(m.payload_from_json("register", {{"name", "x"}}).error().code, core::ErrorCode::kTxMalformed);
  EXPECT_EQ(m.key_from_text("svc:billing.api").value(), registry_lease_key("billing.api"));
  EXPECT_EQ(m.key_from_text("kind:grpc").value(), registry_kind_key("grpc"));
  EXPECT_EQ(m.key_from_text("svc:Bad").error().code, core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace metanode::modules
