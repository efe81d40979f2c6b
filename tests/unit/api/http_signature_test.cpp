// The Cage's standards pieces: RFC 8941 structured fields (parsing strictly, serialising
// canonically), the RFC 9421 signature base and ed25519 signatures over it, and RFC 9530
// Content-Digest. Any change to a covered component must make the signature fail.
#include <gtest/gtest.h>

#include <map>

#include "api/cage/http_signature.hpp"
#include "api/cage/request_auth.hpp"
#include "api/cage/structured_fields.hpp"
#include "crypto/encoding.hpp"

namespace metanode::api::cage {
namespace {

TEST(StructuredFields, ParsesDictionariesOfItemsAndInnerListsAndSerialisesCanonically) {
  auto d = parse_sf_dictionary(R"(sig1=("@method" "@path" "content-digest");created=1618884473;keyid="test-key";alg="ed25519", b=?0,  c, n=-42;x)");
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  ASSERT_EQ(d->size(), 4u);
  const auto& list = std::get<SfInnerList>((*d)[0].second);
  ASSERT_EQ(list.items.size(), 3u);
  EXPECT_EQ(std::get<std::string>(list.items[2].value), "content-digest");
  EXPECT_EQ(*sf_param<std::int64_t>(list.params, "created"), 1618884473);
  EXPECT_EQ(*sf_param<std::string>(list.params, "keyid"), "test-key");
  EXPECT_EQ(serialize_sf_inner_list(list),
            R"(("@method" "@path" "content-digest");created=1618884473;keyid="test-key";alg="ed25519")");
  EXPECT_EQ(std::get<bool>(std::get<SfItem>((*d)[1].second).value), false);
  EXPECT_EQ(std::get<bool>(std::get<SfItem>((*d)[2].second).value), true);
  const auto& n = std::get<SfItem>((*d)[3].second);
  EXPECT_EQ(std::get<std::int64_t>(n.value), -42);
  EXPECT_EQ(serialize_sf_item(n), "-42;x");
  EXPECT_EQ(serialize_sf_bare(std::string("a\"b\\c")), R"("a\"b\\c")");

  auto bytes = parse_sf_dictionary("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
  ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
  EXPECT_EQ(std::get<core::Bytes>(std::get<SfItem>((*bytes)[0].second).value).size(), 32u);
  // An empty byte sequence is valid (RFC 8941 section 3.3.5); found by the HTTP fuzzer, which
  // saw it decoded into a null buffer.
  auto empty = parse_sf_dictionary("full=::");
  ASSERT_TRUE(empty.ok()) << empty.error().to_string();
  EXPECT_TRUE(std::get<core::Bytes>(std::get<SfItem>((*empty)[0].second).value).empty());
  EXPECT_EQ(crypto::base64_decode("").value(), core::Bytes{});
}

TEST(StructuredFields, RefusesWhatTheRfcDoesNotAllow) {
  for (std::string_view bad : {"A=1", "a=1,", "a=1 b=2", "a=(1 2", "a=\"unterminated", "a=\"bad\\escape\"",
                               "a=1.5", "a=1234567890123456", "a=:not base64!:", "a=?2", "a=(\"x\"\"y\")", "a=@",
                               "a=1;B=2"}) {
    EXPECT_FALSE(parse_sf_dictionary(bad).ok()) << bad;
  }
}

struct Request {
  std::string method = "POST", scheme = "http", authority = "127.0.0.1:9001", path = "/v1/gov/roles", query = "x=1";
  std::map<std::string, std::string> headers;
  std::string body = R"({"hello": "world"})";
  MessageView view() const {
    MessageView v{method, scheme, authority, path, query, {}};
    v.header = [this](std::string_view name) -> std::optional<std::string> {
      auto it = headers.find(std::string(name));
      if (it == headers.end()) return std::nullopt;
      return it->second;
    };
    return v;
  }
};

TEST(HttpSignature, TheSignatureBaseIsTheRfcsLineByLineForm) {
  Request r;
  r.headers["content-digest"] = content_digest(r.body);
  SignatureParams p;
  p.components = {"@method", "@target-uri", "@authority", "@path", "@query", "content-digest"};
  for (const auto& c : p.components) p.list.items.push_back(SfItem{c, {}});
  p.list.params = {{"created", std::int64_t{1700000000}}, {"keyid", std::string("mn1abc")}, {"alg", std::string("ed25519")}};
  auto base = signature_base(r.view(), p);
  ASSERT_TRUE(base.ok()) << base.error().to_string();
  EXPECT_EQ(*base, "\"@method\": POST\n"
                   "\"@target-uri\": http://127.0.0.1:9001/v1/gov/roles?x=1\n"
                   "\"@authority\": 127.0.0.1:9001\n"
                   "\"@path\": /v1/gov/roles\n"
                   "\"@query\": ?x=1\n"
                   "\"content-digest\": " + r.headers["content-digest"] + "\n"
                   "\"@signature-params\": (\"@method\" \"@target-uri\" \"@authority\" \"@path\" \"@query\" "
                   "\"content-digest\");created=1700000000;keyid=\"mn1abc\";alg=\"ed25519\"");
  p.list.items.push_back(SfItem{std::string("x-absent"), {}});
  EXPECT_FALSE(signature_base(r.view(), p).ok());
  p.list.items = {SfItem{std::string("@method"), {}}, SfItem{std::string("@method"), {}}};
  EXPECT_FALSE(signature_base(r.view(), p).ok());
  p.list.items = {SfItem{std::string("@method"), {{"req", true}}}};
  EXPECT_FALSE(signature_base(r.view(), p).ok()) << "req outside a response";
}

// RFC 9530 appendix B: the digest of {"hello": "world"}.
TEST(HttpSignature, ContentDigestMatchesTheRfcExampleAndRefusesAnotherBody) {
  EXPECT_EQ(content_digest(R"({"hello": "world"})"), "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
  EXPECT_TRUE(check_content_digest("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", R"({"hello": "world"})").ok());
  auto swapped = check_content_digest("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", R"({"hello": "there"})");
  ASSERT_FALSE(swapped.ok());
  EXPECT_EQ(swapped.error().code, core::ErrorCode::kBadSignature);
  EXPECT_EQ(check_content_digest("md5=:AAAA:", "x").error().code, core::ErrorCode::kInvalidArgument);
}

TEST(HttpSignature, ASignedRequestVerifiesAndAnyChangeToACoveredComponentBreaksIt) {
  const crypto::KeyPair key = crypto::KeyPair::from_seed(crypto::Seed{3});
  const std::string keyid = crypto::Address::from_public_key(key.public_key()).to_string();
  Request r;
  r.headers["content-digest"] = content_digest(r.body);
  r.headers[std::string(kKeyHeader)] = key.public_key().to_hex();
  const std::vector<std::string> covered = {"@method", "@target-uri", "content-digest", std::string(kKeyHeader)};
  const SignatureHeaders h = sign_message(r.view(), covered, key, keyid, 1700000000, "n-1");
  ASSERT_FALSE(h.signature.empty());

  auto verifies = [&](const Request& req, const SignatureHeaders& headers) {
    auto got = read_signature(headers.signature_input, headers.signature);
    if (!got.ok()) return false;
    auto base = signature_base(req.view(), got->params);
    return base.ok() && crypto::verify_raw(key.public_key(), core::as_bytes(*base), got->signature);
  };
  ASSERT_TRUE(verifies(r, h));
  auto got = read_signature(h.signature_input, h.signature).value();
  EXPECT_EQ(got.params.keyid, keyid);
  EXPECT_EQ(got.params.alg, "ed25519");
  EXPECT_EQ(got.params.nonce, "n-1");
  EXPECT_EQ(*got.params.created, 1700000000);

  const std::vector<std::function<void(Request&)>> changes = {
      [](Request& q) { q.method = "PUT"; },
      [](Request& q) { q.path = "/v1/gov/proposals"; },
      [](Request& q) { q.query = "x=2"; },
      [](Request& q) { q.authority = "127.0.0.1:9101"; },
      [](Request& q) { q.scheme = "https"; },
      [](Request& q) { q.headers["content-digest"] = content_digest("other"); },
      [](Request& q) { q.headers[std::string(kKeyHeader)] = crypto::KeyPair::generate().public_key().to_hex(); },
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    Request changed = r;
    changes[i](changed);
    EXPECT_FALSE(verifies(changed, h)) << "change " << i;
  }
  // The metadata is signed too: another created, nonce or keyid in Signature-Input fails.
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"created=1700000000", "created=1700000001"}, {"nonce=\"n-1\"", "nonce=\"n-2\""}, {keyid, keyid + "x"}}) {
    SignatureHeaders altered = h;
    altered.signature_input.replace(altered.signature_input.find(from), from.size(), to);
    EXPECT_FALSE(verifies(r, altered)) << to;
  }
  // Uncovered headers may change.
  Request extra = r;
  extra.headers["user-agent"] = "curl";
  EXPECT_TRUE(verifies(extra, h));
}

TEST(HttpSignature, AResponseSignatureBindsTheAnswerToTheRequestItAnswers) {
  const crypto::KeyPair client = crypto::KeyPair::from_seed(crypto::Seed{3});
  const crypto::KeyPair node = crypto::KeyPair::from_seed(crypto::Seed{4});
  Request req;
  req.headers["content-digest"] = content_digest(req.body);
  req.headers[std::string(kKeyHeader)] = client.public_key().to_hex();
  const SignatureHeaders signed_req =
      sign_message(req.view(), {"@method", "@target-uri", "content-digest", std::string(kKeyHeader)}, client,
                   crypto::Address::from_public_key(client.public_key()).to_string(), 1700000000, "n-1");
  req.headers["signature-input"] = signed_req.signature_input;
  req.headers["signature"] = signed_req.signature;

  Request res;  // its view's method..query are unused; status and headers are the response's
  res.body = R"({"roles":["auditor"]})";
  res.headers["content-type"] = "application/json";
  res.headers["content-digest"] = content_digest(res.body);
  res.headers[std::string(kKeyHeader)] = node.public_key().to_hex();
  const auto view_of = [](const Request& r, unsigned status) {
    MessageView v = r.view();
    v.status = status;
    return v;
  };
  const std::vector<std::string> fields = {"content-type", "content-digest", std::string(kKeyHeader)};
  const std::string node_id = crypto::Address::from_public_key(node.public_key()).to_string();
  const SignatureHeaders h = sign_response(view_of(res, 200), req.view(), fields, "sig1", node, node_id, 1700000001);
  ASSERT_FALSE(h.signature.empty());
  EXPECT_NE(h.signature_input.find(R"("@method";req "@target-uri";req "signature";req;key="sig1")"), std::string::npos)
      << h.signature_input;
  ASSERT_TRUE(verify_response(view_of(res, 200), req.view(), h.signature_input, h.signature, node.public_key()).ok());

  // Another status, body, request, or request signature: it does not verify.
  EXPECT_FALSE(verify_response(view_of(res, 404), req.view(), h.signature_input, h.signature, node.public_key()).ok());
  Request other_body = res;
  other_body.headers["content-digest"] = content_digest(R"({"roles":[]})");
  EXPECT_FALSE(verify_response(view_of(other_body, 200), req.view(), h.signature_input, h.signature, node.public_key()).ok());
  Request other_req = req;
  other_req.path = "/v1/gov/proposals";
  EXPECT_FALSE(verify_response(view_of(res, 200), other_req.view(), h.signature_input, h.signature, node.public_key()).ok());
  Request resigned = req;
  resigned.headers["signature"] = sign_message(req.view(), {"@method", "@target-uri", "content-digest", std::string(kKeyHeader)},
                                               client, crypto::Address::from_public_key(client.public_key()).to_string(),
                                               1700000000, "n-2")
                                      .signature;
  EXPECT_FALSE(verify_response(view_of(res, 200), resigned.view(), h.signature_input, h.signature, node.public_key()).ok());
  EXPECT_FALSE(verify_response(view_of(res, 200), req.view(), h.signature_input, h.signature, client.public_key()).ok());

  // An unsigned request's answer binds its method and target only.
  Request plain = req;
  plain.headers.erase("signature");
  plain.headers.erase("signature-input");
  const SignatureHeaders h2 = sign_response(view_of(res, 200), plain.view(), fields, "", node, node_id, 1700000001);
  EXPECT_EQ(h2.signature_input.find("signature"), std::string::npos) << h2.signature_input;
  EXPECT_TRUE(verify_response(view_of(res, 200), plain.view(), h2.signature_input, h2.signature, node.public_key()).ok());
}

// A client's signed request, built the way the CLI will: key, covered components, created, nonce.
struct Signed {
  Request request;
  SignatureHeaders headers;
};

Signed signed_request(const crypto::KeyPair& key, std::int64_t created, std::string nonce,
                      std::vector<std::string> covered = {"@method", "@target-uri", "content-digest", "metanode-key"}) {
  Signed s;
  s.request.headers["content-digest"] = content_digest(s.request.body);
  s.request.headers["metanode-key"] = key.public_key().to_hex();
  s.headers = sign_message(s.request.view(), covered, key, crypto::Address::from_public_key(key.public_key()).to_string(),
                           created, nonce);
  return s;
}

AuthOutcome check(const Signed& s, std::int64_t now, NonceCache& cache) {
  return authenticate(s.request.view(), s.request.body, s.headers.signature_input, s.headers.signature, now, cache);
}

TEST(RequestAuth, AcceptsAFreshSignedRequestOnceAndNamesTheSigner) {
  const crypto::KeyPair key = crypto::KeyPair::from_seed(crypto::Seed{5});
  NonceCache cache(100);
  const Signed s = signed_request(key, 1'000, "n1");
  const AuthOutcome first = check(s, 1'010, cache);
  ASSERT_TRUE(first.ok()) << first.message;
  EXPECT_EQ(first.identity->address, crypto::Address::from_public_key(key.public_key()));
  const AuthOutcome again = check(s, 1'011, cache);
  EXPECT_EQ(again.refusal, AuthRefusal::kReplay);
  EXPECT_EQ(auth_refusal_code(again.refusal), "auth_replay");
  // Another nonce from the same key is fine; the replayed one is forgotten once its window ends,
  // when `created` alone refuses it.
  EXPECT_TRUE(check(signed_request(key, 1'000, "n2"), 1'012, cache).ok());
  EXPECT_EQ(check(s, 1'031, cache).refusal, AuthRefusal::kWindow);
}

TEST(RequestAuth, EachWayOfGettingItWrongHasItsCode) {
  const crypto::KeyPair key = crypto::KeyPair::from_seed(crypto::Seed{6});
  const std::int64_t now = 50'000;
  auto outcome = [&](const Signed& s) {
    NonceCache cache(100);
    return check(s, now, cache);
  };
  Signed unsigned_request = signed_request(key, now, "a");
  EXPECT_EQ(authenticate(unsigned_request.request.view(), unsigned_request.request.body, std::nullopt, std::nullopt, now,
                         *std::make_unique<NonceCache>(10))
                .refusal,
            AuthRefusal::kUnsigned);
  EXPECT_EQ(outcome(signed_request(key, now - 31, "b")).refusal, AuthRefusal::kWindow);  // expired created
  EXPECT_EQ(outcome(signed_request(key, now + 31, "c")).refusal, AuthRefusal::kWindow);  // future created
  EXPECT_TRUE(outcome(signed_request(key, now + 29, "d")).ok());                        // clock skew inside the window

  Signed swapped = signed_request(key, now, "e");
  swapped.request.body = R"({"hello": "there"})";  // body swapped after signing
  EXPECT_EQ(outcome(swapped).refusal, AuthRefusal::kDigest);
  Signed redigested = swapped;
  redigested.request.headers["content-digest"] = content_digest(swapped.request.body);  // digest fixed, signature not
  EXPECT_EQ(outcome(redigested).refusal, AuthRefusal::kSignature);
  Signed moved = signed_request(key, now, "f");
  moved.request.path = "/v1/admin";  // a covered component changed
  EXPECT_EQ(outcome(moved).refusal, AuthRefusal::kSignature);

  EXPECT_EQ(outcome(signed_request(key, now, "g", {"@method", "@path", "content-digest", "metanode-key"})).refusal,
            AuthRefusal::kCoverage);  // @path without @query
  EXPECT_EQ(outcome(signed_request(key, now, "h", {"@method", "@target-uri", "metanode-key"})).refusal,
            AuthRefusal::kCoverage);  // a body whose digest is not covered
  EXPECT_EQ(outcome(signed_request(key, now, "i", {"@method", "@target-uri", "content-digest"})).refusal,
            AuthRefusal::kCoverage);  // the key header not covered

  Signed other_key = signed_request(key, now, "j");
  other_key.request.headers["metanode-key"] = crypto::KeyPair::from_seed(crypto::Seed{7}).public_key().to_hex();
  EXPECT_EQ(outcome(other_key).refusal, AuthRefusal::kKey);  // not keyid's key
  Signed hmac = signed_request(key, now, "k");
  hmac.headers.signature_input.replace(hmac.headers.signature_input.find("ed25519"), 7, "hmac-sha256");
  EXPECT_EQ(outcome(hmac).refusal, AuthRefusal::kAlgorithm);
  Signed garbage = signed_request(key, now, "l");
  garbage.headers.signature = "sig1=:not-base64:";
  EXPECT_EQ(outcome(garbage).refusal, AuthRefusal::kMalformed);
}

TEST(RequestAuth, AFullReplayCacheRefusesInsteadOfForgetting) {
  const crypto::KeyPair key = crypto::KeyPair::from_seed(crypto::Seed{8});
  NonceCache cache(2);
  EXPECT_TRUE(check(signed_request(key, 100, "1"), 100, cache).ok());
  EXPECT_TRUE(check(signed_request(key, 100, "2"), 100, cache).ok());
  EXPECT_EQ(check(signed_request(key, 100, "3"), 100, cache).refusal, AuthRefusal::kCacheFull);
  EXPECT_EQ(check(signed_request(key, 100, "1"), 100, cache).refusal, AuthRefusal::kReplay) << "still remembered";
  // Once the first two are past their window they are forgotten, and there is room again.
  EXPECT_TRUE(check(signed_request(key, 140, "3"), 140, cache).ok());
  EXPECT_EQ(cache.size(), 1u);
}

}  // namespace
}  // namespace metanode::api::cage
