// Property tests for signed requests (RFC 9421, the Cage's scheme): a request signed as a client
// signs it is accepted, and changing any one covered component afterwards (method, scheme,
// authority, path, query, body, the key header, the digest, or a signature parameter) makes it
// fail, whatever the request.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "api/cage/request_auth.hpp"

namespace metanode::api::cage {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

struct Message {
  std::string method, scheme, authority, path, query, body;
  std::map<std::string, std::string> headers;
  MessageView view() const {
    MessageView v{method, scheme, authority, path, query, {}};
    v.header = [this](std::string_view name) -> std::optional<std::string> {
      const auto it = headers.find(std::string(name));
      return it == headers.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    return v;
  }
};

// Printable text without the characters that end a header line or a path segment.
std::string gen_text(std::size_t min, std::size_t max) {
  const auto size = *rc::gen::inRange<std::size_t>(min, max + 1);
  return *rc::gen::container<std::string>(size, rc::gen::inRange<char>('!', '~' + 1));
}

std::string gen_token(std::size_t max) {
  const auto size = *rc::gen::inRange<std::size_t>(1, max + 1);
  return *rc::gen::container<std::string>(size, rc::gen::elementOf(std::string("abcdefghijklmnopqrstuvwxyz0123456789-")));
}

AuthOutcome check(const Message& m, NonceCache& nonces) {
  const auto input = m.headers.find("signature-input");
  const auto sig = m.headers.find("signature");
  return authenticate(m.view(), m.body, input == m.headers.end() ? std::nullopt : std::optional<std::string>(input->second),
                      sig == m.headers.end() ? std::nullopt : std::optional<std::string>(sig->second), kNow, nonces);
}

// Replaces the first `from` in `text` with `to` (the text must hold it).
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  RC_ASSERT(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

RC_GTEST_PROP(SignedRequestProperty, ChangingAnyCoveredComponentMakesItFail, ()) {
  crypto::Seed seed{};
  const auto seed_bytes = *rc::gen::container<std::vector<std::uint8_t>>(seed.size(), rc::gen::arbitrary<std::uint8_t>());
  std::copy(seed_bytes.begin(), seed_bytes.end(), seed.begin());
  const crypto::KeyPair key = crypto::KeyPair::from_seed(seed);
  const std::string keyid = crypto::Address::from_public_key(key.public_key()).to_string();

  Message m;
  m.method = *rc::gen::elementOf(std::vector<std::string>{"GET", "POST", "PUT", "DELETE", "PATCH"});
  m.scheme = *rc::gen::elementOf(std::vector<std::string>{"http", "https"});
  m.authority = gen_token(20) + ":" + std::to_string(*rc::gen::inRange(1, 65536));
  m.path = "/" + gen_token(12) + "/" + gen_token(12);
  m.query = *rc::gen::element(true, false) ? gen_token(8) + "=" + gen_token(8) : "";
  m.body = *rc::gen::element(true, false) ? gen_text(1, 200) : "";
  m.headers["metanode-key"] = key.public_key().to_hex();
  std::vector<std::string> covered = {"@method", "@target-uri", "metanode-key"};
  if (!m.body.empty()) {
    m.headers["content-digest"] = content_digest(m.body);
    covered.push_back("content-digest");
  }
  const std::string nonce = gen_token(24);
  const SignatureHeaders h = sign_message(m.view(), covered, key, keyid, kNow, nonce);
  m.headers["signature-input"] = h.signature_input;
  m.headers["signature"] = h.signature;
  {
    NonceCache nonces(16);
    const AuthOutcome accepted = check(m, nonces);
    RC_ASSERT(accepted.ok());
    RC_ASSERT(accepted.identity->address.to_string() == keyid);
  }

  // One change to one covered component.
  Message changed = m;
  const int which = *rc::gen::inRange(0, m.body.empty() ? 10 : 12);
  switch (which) {
    case 0: changed.method = m.method == "GET" ? "HEAD" : "GET"; break;
    case 1: changed.scheme = m.scheme == "http" ? "https" : "http"; break;
    case 2: changed.authority = "x" + m.authority; break;
    case 3: changed.path = m.path + "/" + gen_token(4); break;
    case 4: changed.query = m.query + (m.query.empty() ? "" : "&") + gen_token(4) + "=1"; break;
    case 5: changed.headers["metanode-key"] = crypto::KeyPair::generate().public_key().to_hex(); break;
    case 6:
      changed.headers["signature-input"] = replaced(m.headers["signature-input"], "created=" + std::to_string(kNow),
                                                    "created=" + std::to_string(kNow - *rc::gen::inRange(1, 30)));
      break;
    case 7:
      changed.headers["signature-input"] = replaced(m.headers["signature-input"], "nonce=\"" + nonce + "\"",
                                                    "nonce=\"" + nonce + "x\"");
      break;
    case 8: {
      const std::string other = crypto::Address::from_public_key(crypto::KeyPair::generate().public_key()).to_string();
      changed.headers["signature-input"] = replaced(m.headers["signature-input"], keyid, other);
      break;
    }
    case 9:  // a body added to a request signed without one
      changed.body = m.body + gen_text(1, 20);
      break;
    case 10:  // another body under the signed digest
      changed.body = m.body + gen_text(1, 20);
      break;
    case 11:  // another body with its own digest, under the old signature
      changed.body = m.body + gen_text(1, 20);
      changed.headers["content-digest"] = content_digest(changed.body);
      break;
  }
  NonceCache nonces(16);
  const AuthOutcome refused = check(changed, nonces);
  RC_ASSERT(!refused.ok());
}

}  // namespace
}  // namespace metanode::api::cage
