// The Cage as middleware on a real Router: public routes, role-gated routes, every refusal with
// its status and code, rate limits with Retry-After, security headers, and one audit decision per
// request. (Real-HTTP tests over every service's routes come with the Cage on every listener.)
#include <gtest/gtest.h>

#include <map>

#include "api/cage/cage.hpp"

namespace metanode::api::cage {
namespace {

struct Recorder final : AuditSink {
  std::uint64_t record(const Decision& d) override {
    decisions.push_back(d);
    return decisions.size();
  }
  std::vector<Decision> decisions;
};

crypto::Address addr(const crypto::KeyPair& k) { return crypto::Address::from_public_key(k.public_key()); }

struct Fixture {
  crypto::KeyPair auditor = crypto::KeyPair::from_seed(crypto::Seed{21});
  crypto::KeyPair user = crypto::KeyPair::from_seed(crypto::Seed{22});
  std::map<crypto::Address, std::vector<std::string>> roles{{addr(auditor), {"auditor"}}, {addr(user), {"user"}}};
  Recorder audit;
  std::int64_t now_ms = 1'700'000'000'000;
  CagePolicy policy;
  std::unique_ptr<Cage> cage;
  Router router;

  explicit Fixture(CagePolicy p = {}, const crypto::KeyPair* node_key = nullptr) : policy(p) {
    RouteTable table;
    table.add("GET", "/v1/blocks/{height}", Access::open());
    table.add("GET", "/v1/audit/decisions", Access::roles_of({"auditor", "admin"}));
    table.add("POST", "/v1/admin/thing", Access::roles_of({"admin"}));
    table.add("GET", "/v1/whoami", Access::open());
    cage = std::make_unique<Cage>(table, [this](const crypto::Address& a) { return roles.count(a) ? roles[a] : std::vector<std::string>{}; },
                                  audit, policy, [this] { return now_ms; }, node_key);
    router.use(cage->middleware());
    router.add("GET", "/v1/blocks/{height}", [](const Request&) { return Response{200, "application/json", "{}", {}}; });
    router.add("GET", "/v1/audit/decisions", [](const Request&) { return Response{200, "application/json", "[]", {}}; });
    router.add("POST", "/v1/admin/thing", [](const Request&) { return Response{200, "application/json", "{}", {}}; });
    router.add("GET", "/v1/forgotten", [](const Request&) { return Response{200, "application/json", "{}", {}}; });
    router.add("GET", "/v1/whoami", [](const Request& r) { return Response{200, "text/plain", r.identity, {}}; });
  }

  Request request(std::string method, std::string path, std::string body = "") {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    r.remote_address = "10.0.0.7";
    r.headers["host"] = "127.0.0.1:9001";
    return r;
  }
  // Signs `r` as a client does (the nonce must be fresh per request), tagged for the Cage's chain
  // unless `tag` says otherwise.
  void sign(Request& r, const crypto::KeyPair& key, const std::string& nonce, std::int64_t created_s = 0,
            std::optional<std::string> tag = std::nullopt) {
    std::vector<std::string> covered = {"@method", "@target-uri", "metanode-key"};
    if (!r.body.empty()) {
      r.headers["content-digest"] = content_digest(r.body);
      covered.push_back("content-digest");
    }
    r.headers["metanode-key"] = key.public_key().to_hex();
    MessageView view{r.method, "http", r.headers["host"], r.path, r.query, [&r](std::string_view n) -> std::optional<std::string> {
                       auto it = r.headers.find(std::string(n));
                       return it == r.headers.end() ? std::nullopt : std::optional<std::string>(it->second);
                     }};
    const auto h = sign_message(view, covered, key, addr(key).to_string(), created_s ? created_s : now_ms / 1000, nonce,
                                "sig1", tag.value_or(policy.auth.chain_tag));
    r.headers["signature-input"] = h.signature_input;
    r.headers["signature"] = h.signature;
  }
  Response send(Request r) { return router.dispatch(r); }
};

std::string code_of(const Response& r) {
  const auto at = r.body.find("\"code\":\"");
  if (at == std::string::npos) return "";
  return r.body.substr(at + 8, r.body.find('"', at + 8) - at - 8);
}

std::optional<std::string> header_of(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

// The views a client checks a signed answer with: the request it sent, and the response.
MessageView request_view_of(const Request& r) {
  return MessageView{r.method, "http", std::string(r.header("host").value_or("")), r.path, r.query,
                     [&r](std::string_view n) -> std::optional<std::string> {
                       auto got = r.header(n);
                       return got ? std::optional<std::string>(std::string(*got)) : std::nullopt;
                     }};
}

MessageView response_view_of(const Response& res) {
  MessageView v;
  v.status = res.status;
  v.header = [&res](std::string_view n) -> std::optional<std::string> {
    if (n == "content-type") return res.content_type;
    for (const auto& [k, value] : res.headers) {
      std::string lower = k;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == n) return value;
    }
    return std::nullopt;
  };
  return v;
}

TEST(Cage, PublicRoutesNeedNoSignatureAndEveryAnswerCarriesSecurityHeaders) {
  Fixture f;
  const Response r = f.send(f.request("GET", "/v1/blocks/5"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(header_of(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header_of(r, "Cache-Control"), "no-store");
  ASSERT_EQ(f.audit.decisions.size(), 1u);
  EXPECT_TRUE(f.audit.decisions[0].allowed);
  EXPECT_EQ(f.audit.decisions[0].reason, "public");
  EXPECT_EQ(f.audit.decisions[0].route, "/v1/blocks/{height}");
  EXPECT_EQ(f.audit.decisions[0].request_digest.size(), 64u);
}

TEST(Cage, RoleGatedRoutesNeedASignedRequestFromAnAddressWithTheRole) {
  Fixture f;
  Response r = f.send(f.request("GET", "/v1/audit/decisions"));
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(code_of(r), "auth_unsigned");
  EXPECT_TRUE(header_of(r, "Accept-Signature").has_value());

  Request as_user = f.request("GET", "/v1/audit/decisions");
  f.sign(as_user, f.user, "u1");
  r = f.send(as_user);
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(code_of(r), "auth_forbidden");

  Request as_auditor = f.request("GET", "/v1/audit/decisions");
  f.sign(as_auditor, f.auditor, "a1");
  r = f.send(as_auditor);
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(f.audit.decisions.back().reason, "role:auditor");
  EXPECT_EQ(f.audit.decisions.back().identity, addr(f.auditor).to_string());

  // The role is read at each request: revoked, the same key is refused.
  f.roles.erase(addr(f.auditor));
  Request after_revoke = f.request("GET", "/v1/audit/decisions");
  f.sign(after_revoke, f.auditor, "a2");
  EXPECT_EQ(f.send(after_revoke).status, 403u);
}

TEST(Cage, ReplayedExpiredTamperedAndUnlistedRequestsAreRefusedWithTheirCodes) {
  Fixture f;
  Request ok = f.request("POST", "/v1/admin/thing", R"({"x":1})");
  f.roles[addr(f.auditor)].push_back("admin");
  f.sign(ok, f.auditor, "n1");
  EXPECT_EQ(f.send(ok).status, 200u);
  Response replay = f.send(ok);
  EXPECT_EQ(replay.status, 401u);
  EXPECT_EQ(code_of(replay), "auth_replay");

  Request old = f.request("POST", "/v1/admin/thing", R"({"x":1})");
  f.sign(old, f.auditor, "n2", f.now_ms / 1000 - 31);
  EXPECT_EQ(code_of(f.send(old)), "auth_window");
  Request future = f.request("POST", "/v1/admin/thing", R"({"x":1})");
  f.sign(future, f.auditor, "n3", f.now_ms / 1000 + 31);
  EXPECT_EQ(code_of(f.send(future)), "auth_window");

  Request swapped = f.request("POST", "/v1/admin/thing", R"({"x":1})");
  f.sign(swapped, f.auditor, "n4");
  swapped.body = R"({"x":2})";
  EXPECT_EQ(code_of(f.send(swapped)), "auth_digest");

  Request header_changed = f.request("POST", "/v1/admin/thing", R"({"x":1})");
  f.sign(header_changed, f.auditor, "n5");
  header_changed.headers["host"] = "evil.example:9001";  // @target-uri covers the authority
  EXPECT_EQ(code_of(f.send(header_changed)), "auth_signature");

  // A route the table does not list is closed, even to a signed admin.
  Request forgotten = f.request("GET", "/v1/forgotten");
  f.sign(forgotten, f.auditor, "n6");
  const Response closed = f.send(forgotten);
  EXPECT_EQ(closed.status, 403u);
  EXPECT_EQ(code_of(closed), "auth_forbidden");

  for (const auto& d : f.audit.decisions) EXPECT_FALSE(d.request_digest.empty());
  const std::string metrics = f.cage->metrics_text();
  EXPECT_NE(metrics.find("metanode_cage_decisions_total{outcome=\"auth_replay\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("metanode_cage_decisions_total{outcome=\"allowed\"} 1"), std::string::npos) << metrics;
}

TEST(Cage, RateLimitsPerAddressAnswer429WithRetryAfterAndRefill) {
  CagePolicy p;
  p.address_rate_per_s = 2;
  p.address_burst = 3;
  Fixture f(p);
  Request local = f.request("GET", "/v1/blocks/1");
  local.remote_address = "127.0.0.1";  // the node's own host is exempt by default
  for (int i = 0; i < 10; ++i) EXPECT_EQ(f.send(local).status, 200u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(f.send(f.request("GET", "/v1/blocks/1")).status, 200u);
  const Response limited = f.send(f.request("GET", "/v1/blocks/1"));
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(code_of(limited), "rate_limited");
  EXPECT_EQ(header_of(limited, "Retry-After"), "1");
  Request elsewhere = f.request("GET", "/v1/blocks/1");
  elsewhere.remote_address = "10.0.0.8";  // another client is not affected
  EXPECT_EQ(f.send(elsewhere).status, 200u);
  f.now_ms += 500;  // one token back at 2 per second
  EXPECT_EQ(f.send(f.request("GET", "/v1/blocks/1")).status, 200u);
  EXPECT_EQ(f.send(f.request("GET", "/v1/blocks/1")).status, 429u);
}

TEST(Cage, AnswersToSignedRequestsCarryTheNodesSignatureBoundToTheRequest) {
  const crypto::KeyPair node = crypto::KeyPair::from_seed(crypto::Seed{40});
  Fixture f({}, &node);
  const auto view_of = request_view_of;
  const auto response_view = response_view_of;

  // Signed, without asking: the answer is not signed (a signature costs the node one).
  Request quiet = f.request("GET", "/v1/audit/decisions");
  f.sign(quiet, f.auditor, "n-0");
  const Response unsigned_answer = f.send(quiet);
  EXPECT_EQ(unsigned_answer.status, 200u);
  EXPECT_FALSE(header_of(unsigned_answer, "Signature").has_value());

  Request r = f.request("GET", "/v1/audit/decisions");
  r.headers["accept-signature"] = R"(sig1=("@status" "content-digest");alg="ed25519")";
  f.sign(r, f.auditor, "n-1");
  const Response res = f.send(r);
  ASSERT_EQ(res.status, 200u) << res.body;
  ASSERT_TRUE(header_of(res, "Signature").has_value());
  EXPECT_EQ(header_of(res, "Metanode-Key"), node.public_key().to_hex());
  EXPECT_EQ(header_of(res, "Content-Digest"), content_digest(res.body));
  const std::string input = *header_of(res, "Signature-Input");
  EXPECT_NE(input.find(R"("signature";req;key="sig1")"), std::string::npos) << input;
  EXPECT_NE(input.find("keyid=\"" + addr(node).to_string() + "\""), std::string::npos) << input;
  EXPECT_TRUE(verify_response(response_view(res), view_of(r), input, *header_of(res, "Signature"), node.public_key()).ok());
  // Bound to that request: another request's view does not verify it.
  Request other = f.request("GET", "/v1/audit/decisions");
  f.sign(other, f.auditor, "n-2");
  EXPECT_FALSE(verify_response(response_view(res), view_of(other), input, *header_of(res, "Signature"), node.public_key()).ok());

  // Unsigned and not asked: no signature. Unsigned but asked: signed, under the asked label.
  EXPECT_FALSE(header_of(f.send(f.request("GET", "/v1/blocks/1")), "Signature").has_value());
  Request asking = f.request("GET", "/v1/blocks/1");
  asking.headers["accept-signature"] = R"(resp=("@status" "content-digest");alg="ed25519")";
  const Response signed_public = f.send(asking);
  ASSERT_TRUE(header_of(signed_public, "Signature-Input").has_value());
  EXPECT_EQ(header_of(signed_public, "Signature-Input")->rfind("resp=", 0), 0u);
  EXPECT_TRUE(verify_response(response_view(signed_public), view_of(asking), *header_of(signed_public, "Signature-Input"),
                              *header_of(signed_public, "Signature"), node.public_key())
                  .ok());
  // A refused signature is not vouched for.
  Request replayed = r;
  const Response refused = f.send(replayed);
  EXPECT_EQ(refused.status, 401u);
  EXPECT_FALSE(header_of(refused, "Signature").has_value());
  // Off by policy: nothing signed.
  CagePolicy off;
  off.sign_responses = false;
  Fixture g(off, &node);
  Request again = g.request("GET", "/v1/audit/decisions");
  again.headers["accept-signature"] = R"(sig1=("@status");alg="ed25519")";
  g.sign(again, g.auditor, "n-3");
  EXPECT_FALSE(header_of(g.send(again), "Signature").has_value());
}

TEST(Cage, ASignatureMadeForAnotherChainIsRefusedAndAnswersCarryTheChainsTag) {
  const crypto::KeyPair node = crypto::KeyPair::from_seed(crypto::Seed{41});
  core::Hash32 this_genesis{};
  this_genesis[0] = 1;
  core::Hash32 other_genesis = this_genesis;
  other_genesis[31] = 1;  // a genesis differing in anything has another digest
  CagePolicy policy;
  policy.auth.chain_tag = chain_tag(this_genesis);
  EXPECT_EQ(policy.auth.chain_tag, "metanode:" + core::to_hex(this_genesis));
  Fixture f(policy, &node);

  // Tagged for another chain, or not tagged: refused before any role is looked at.
  Request foreign = f.request("GET", "/v1/audit/decisions");
  f.sign(foreign, f.auditor, "c-1", 0, chain_tag(other_genesis));
  Response r = f.send(foreign);
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(code_of(r), "auth_wrong_chain");
  EXPECT_NE(r.body.find(policy.auth.chain_tag), std::string::npos) << r.body;  // says which tag it wants
  Request untagged = f.request("GET", "/v1/audit/decisions");
  f.sign(untagged, f.auditor, "c-2", 0, std::string());
  EXPECT_EQ(code_of(f.send(untagged)), "auth_wrong_chain");
  // A 401 tells the client the tag to sign with.
  const Response unsigned_answer = f.send(f.request("GET", "/v1/audit/decisions"));
  ASSERT_TRUE(header_of(unsigned_answer, "Accept-Signature").has_value());
  EXPECT_NE(header_of(unsigned_answer, "Accept-Signature")->find("tag=\"" + policy.auth.chain_tag + "\""), std::string::npos);

  // Tagged for this chain: accepted; the node's answer carries the same tag, and a client that
  // expects another chain's tag refuses it.
  Request ours = f.request("GET", "/v1/audit/decisions");
  ours.headers["accept-signature"] = R"(sig1=("@status" "content-digest");alg="ed25519")";
  f.sign(ours, f.auditor, "c-3");
  r = f.send(ours);
  ASSERT_EQ(r.status, 200u) << r.body;
  const std::string input = *header_of(r, "Signature-Input");
  EXPECT_NE(input.find("tag=\"" + policy.auth.chain_tag + "\""), std::string::npos) << input;
  const MessageView response = response_view_of(r);
  const MessageView request = request_view_of(ours);
  const std::string signature = *header_of(r, "Signature");
  EXPECT_TRUE(verify_response(response, request, input, signature, node.public_key(), {}, policy.auth.chain_tag).ok());
  const auto wrong = verify_response(response, request, input, signature, node.public_key(), {}, chain_tag(other_genesis));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, core::ErrorCode::kBadSignature);
}

TEST(Cage, HandlersLearnTheSignersAddressOnlyFromAVerifiedSignature) {
  Fixture f;
  Request unsigned_request = f.request("GET", "/v1/whoami");
  unsigned_request.identity = "mn1forged";  // nothing a client sends can set it
  EXPECT_EQ(f.send(unsigned_request).body, "");
  Request signed_request = f.request("GET", "/v1/whoami");
  f.sign(signed_request, f.user, "who-1");
  EXPECT_EQ(f.send(signed_request).body, addr(f.user).to_string());
}

}  // namespace
}  // namespace metanode::api::cage
