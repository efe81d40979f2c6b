#include "api/cage/request_auth.hpp"

#include <algorithm>

namespace metanode::api::cage {
namespace {

AuthOutcome refuse(AuthRefusal refusal, std::string message) { return AuthOutcome{std::nullopt, refusal, std::move(message)}; }

bool covers(const SignatureParams& p, std::string_view component) {
  return std::find(p.components.begin(), p.components.end(), component) != p.components.end();
}

}  // namespace

std::string_view auth_refusal_code(AuthRefusal refusal) {
  switch (refusal) {
    case AuthRefusal::kUnsigned: return "auth_unsigned";
    case AuthRefusal::kMalformed: return "auth_malformed";
    case AuthRefusal::kAlgorithm: return "auth_algorithm";
    case AuthRefusal::kCoverage: return "auth_coverage";
    case AuthRefusal::kKey: return "auth_key";
    case AuthRefusal::kWindow: return "auth_window";
    case AuthRefusal::kReplay: return "auth_replay";
    case AuthRefusal::kDigest: return "auth_digest";
    case AuthRefusal::kSignature: return "auth_signature";
    case AuthRefusal::kCacheFull: return "auth_busy";
    case AuthRefusal::kWrongChain: return "auth_wrong_chain";
  }
  return "auth_malformed";
}

std::string chain_tag(const core::Hash32& genesis_digest) { return "metanode:" + core::to_hex(genesis_digest); }

void NonceCache::evict_expired(std::int64_t now_s) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first < now_s) {
    seen_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

NonceCache::Result NonceCache::remember(std::string_view keyid, std::string_view nonce, std::int64_t forget_after_s,
                                        std::int64_t now_s) {
  std::string key;
  key.reserve(keyid.size() + 1 + nonce.size());
  key.append(keyid).append(1, '\n').append(nonce);
  std::lock_guard lock(mutex_);
  evict_expired(now_s);
  if (seen_.contains(key)) return Result::kSeen;
  if (seen_.size() >= capacity_) return Result::kFull;
  seen_.emplace(key, forget_after_s);
  by_expiry_.emplace(forget_after_s, std::move(key));
  return Result::kFresh;
}

std::size_t NonceCache::size() const {
  std::lock_guard lock(mutex_);
  return seen_.size();
}

AuthOutcome authenticate(const MessageView& view, std::string_view body, const std::optional<std::string>& signature_input,
                         const std::optional<std::string>& signature, std::int64_t now_s, NonceCache& nonces,
                         const AuthPolicy& policy) {
  if (!signature_input && !signature) return refuse(AuthRefusal::kUnsigned, "this route needs a signed request (RFC 9421)");
  if (!signature_input || !signature) {
    return refuse(AuthRefusal::kMalformed, "a signed request carries both Signature-Input and Signature");
  }
  auto received = read_signature(*signature_input, *signature);
  if (!received.ok()) return refuse(AuthRefusal::kMalformed, received.error().message);
  const SignatureParams& p = received->params;
  for (const SfItem& item : p.list.items) {
    if (!item.params.empty()) {
      return refuse(AuthRefusal::kMalformed, "a request's covered components take no parameters (" +
                                                 serialize_sf_item(item) + ")");
    }
  }
  if (p.alg.empty()) return refuse(AuthRefusal::kAlgorithm, "the signature must name alg=\"ed25519\"");
  if (p.alg != "ed25519") return refuse(AuthRefusal::kAlgorithm, "algorithm '" + p.alg + "' is not accepted (only ed25519)");
  if (!p.created) return refuse(AuthRefusal::kMalformed, "the signature has no created parameter");
  if (p.nonce.empty() || p.nonce.size() > policy.nonce_bytes_max) {
    return refuse(AuthRefusal::kMalformed, "the signature needs a nonce of 1-" + std::to_string(policy.nonce_bytes_max) + " bytes");
  }
  if (p.keyid.empty()) return refuse(AuthRefusal::kMalformed, "the signature has no keyid (the signer's address)");
  if (!policy.chain_tag.empty() && p.tag != policy.chain_tag) {
    return refuse(AuthRefusal::kWrongChain,
                  (p.tag.empty() ? std::string("the signature has no tag") : "the signature is for '" + p.tag + "'") +
                      "; this node's chain wants tag=\"" + policy.chain_tag + "\" (\"metanode:\" + the genesis digest)");
  }
  if (!covers(p, "@method")) return refuse(AuthRefusal::kCoverage, "the signature must cover @method");
  if (!covers(p, "@target-uri") && !(covers(p, "@path") && covers(p, "@query"))) {
    return refuse(AuthRefusal::kCoverage, "the signature must cover @target-uri (or @path and @query)");
  }
  if (!covers(p, kKeyHeader)) return refuse(AuthRefusal::kCoverage, "the signature must cover the Metanode-Key header");
  const auto digest = view.header ? view.header("content-digest") : std::nullopt;
  if (!body.empty() || digest) {
    if (!digest) return refuse(AuthRefusal::kDigest, "a request with a body carries its Content-Digest");
    if (!covers(p, "content-digest")) return refuse(AuthRefusal::kCoverage, "the signature must cover content-digest");
    if (auto st = check_content_digest(*digest, body); !st.ok()) return refuse(AuthRefusal::kDigest, st.error().message);
  }

  const auto key_text = view.header ? view.header(kKeyHeader) : std::nullopt;
  if (!key_text) return refuse(AuthRefusal::kKey, "the Metanode-Key header (the signer's public key, hex) is missing");
  auto key = crypto::PublicKey::from_hex(*key_text);
  if (!key.ok()) return refuse(AuthRefusal::kKey, "Metanode-Key: " + key.error().message);
  auto keyid = crypto::Address::parse(p.keyid);
  if (!keyid.ok()) return refuse(AuthRefusal::kKey, "keyid: " + keyid.error().message);
  if (crypto::Address::from_public_key(*key) != *keyid) {
    return refuse(AuthRefusal::kKey, "Metanode-Key is not the key of address " + p.keyid);
  }

  const std::int64_t created = *p.created;
  if (created > now_s + policy.window_s || created < now_s - policy.window_s) {
    return refuse(AuthRefusal::kWindow, "created " + std::to_string(created) + " is more than " +
                                            std::to_string(policy.window_s) + " s from the node's clock (" +
                                            std::to_string(now_s) + ")");
  }
  if (p.expires && *p.expires < now_s) return refuse(AuthRefusal::kWindow, "the signature expired");

  auto base = signature_base(view, p);
  if (!base.ok()) return refuse(AuthRefusal::kMalformed, base.error().message);
  if (!crypto::verify_raw(*key, core::as_bytes(*base), received->signature)) {
    return refuse(AuthRefusal::kSignature, "the signature does not verify");
  }
  // Only a verified request may take a nonce: forged ones must not fill the cache.
  switch (nonces.remember(p.keyid, p.nonce, created + policy.window_s, now_s)) {
    case NonceCache::Result::kSeen:
      return refuse(AuthRefusal::kReplay, "nonce '" + p.nonce + "' was used by this key within the window");
    case NonceCache::Result::kFull:
      return refuse(AuthRefusal::kCacheFull, "too many signed requests in the window; retry shortly");
    case NonceCache::Result::kFresh:
      break;
  }
  return AuthOutcome{Identity{*keyid, *key, p.nonce, p.label}, AuthRefusal::kUnsigned, {}};
}

}  // namespace metanode::api::cage
