// Who signed a request: the Cage's check of an RFC 9421 signed request (http_signature.hpp for
// the headers). A request is accepted as signed by the wallet address `keyid` when:
//   - Signature-Input and Signature carry one ed25519 signature (alg="ed25519" is required);
//   - it covers "@method", "@target-uri" (or both "@path" and "@query"), the Metanode-Key header,
//     and "content-digest" whenever the request has a body (whose digest must then match it);
//   - the Metanode-Key public key hashes to keyid, and the signature verifies over the base;
//   - its tag parameter is the node's chain_tag (when the policy names one): the signature is
//     for this chain, so it is refused by a node of any chain whose genesis differs in any field;
//   - `created` is within the window around the node's clock (±30 s by default), `expires` (if
//     any) has not passed, and the nonce was not seen from that keyid within the window (a
//     bounded cache: full of live entries, it refuses rather than forget one).
// Each refusal has a stable code (auth_*), which the Cage answers with 401 (503 for a full cache).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/cage/http_signature.hpp"

namespace metanode::api::cage {

enum class AuthRefusal : std::uint8_t {
  kUnsigned,     // no Signature-Input / Signature headers
  kMalformed,    // headers or parameters that do not parse, or a missing parameter
  kAlgorithm,    // alg absent or not "ed25519"
  kCoverage,     // a component the policy requires is not covered
  kKey,          // Metanode-Key absent, malformed, or not keyid's key
  kWindow,       // created outside the window, or expired
  kReplay,       // nonce seen from this keyid within the window
  kDigest,       // Content-Digest absent for a body, malformed, or not the body's
  kSignature,    // the signature does not verify
  kCacheFull,    // the replay cache holds only live entries
  kWrongChain,   // tag absent or not this chain's chain_tag
};
// "auth_unsigned", "auth_malformed", ...: the code in the Cage's JSON error.
std::string_view auth_refusal_code(AuthRefusal refusal);

struct Identity {
  crypto::Address address;
  crypto::PublicKey key;
  std::string nonce;
  std::string label;  // the signature's label in Signature-Input ("sig1")
};

struct AuthOutcome {
  std::optional<Identity> identity;  // set when accepted
  AuthRefusal refusal = AuthRefusal::kUnsigned;
  std::string message;
  bool ok() const { return identity.has_value(); }
};

struct AuthPolicy {
  std::int64_t window_s = 30;
  std::size_t nonce_bytes_max = 128;
  // The tag every signature must carry (chain_tag of the node's genesis); empty: no tag needed.
  std::string chain_tag;
};

// "metanode:" + the genesis digest in hex: the RFC 9421 tag that binds a request or response
// signature to one chain (the genesis digest commits to every genesis field).
std::string chain_tag(const core::Hash32& genesis_digest);

// (keyid, nonce) pairs seen within their window; thread-safe, at most `capacity` live entries.
class NonceCache {
 public:
  explicit NonceCache(std::size_t capacity) : capacity_(capacity) {}
  enum class Result { kFresh, kSeen, kFull };
  // Remembers the pair until `forget_after_s` (unix seconds) when it is new.
  Result remember(std::string_view keyid, std::string_view nonce, std::int64_t forget_after_s, std::int64_t now_s);
  std::size_t size() const;

 private:
  void evict_expired(std::int64_t now_s);
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::int64_t> seen_;    // keyid '\n' nonce -> forget after
  std::multimap<std::int64_t, std::string> by_expiry_;
};

// `signature_input` and `signature`: the headers' values, when present. `now_s`: unix seconds.
AuthOutcome authenticate(const MessageView& view, std::string_view body, const std::optional<std::string>& signature_input,
                         const std::optional<std::string>& signature, std::int64_t now_s, NonceCache& nonces,
                         const AuthPolicy& policy = {});

}  // namespace metanode::api::cage
