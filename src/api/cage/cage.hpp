// The Cage: the middleware in front of every route of every listener. For each request, after the
// router matched its route: who is calling (an RFC 9421 signed request names a wallet address,
// request_auth.hpp; otherwise only the client's IP address is known), whether the ONE route
// table lets that caller in (public, or the roles that may call it, read from the committed role
// table), whether the caller is within its rate (token buckets per identity and per address,
// 429 with Retry-After), then the route, then security headers on the answer. Every decision goes
// to an audit sink. Refusals are JSON errors with stable codes: auth_* (401), auth_forbidden
// (403), rate_limited (429), auth_busy (503).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/cage/request_auth.hpp"
#include "api/http/http_server.hpp"

namespace metanode::api::cage {

// Who may call a route: anyone (public), or a signed request from an address holding one of
// `roles`.
struct Access {
  bool is_public = false;
  std::vector<std::string> roles;
  static Access open() { return Access{true, {}}; }
  static Access roles_of(std::vector<std::string> roles) { return Access{false, std::move(roles)}; }
};

// The one table: (method, route pattern) -> access. A route absent from it is refused (403):
// forgetting an entry closes a route, never opens it.
class RouteTable {
 public:
  void add(std::string method, std::string pattern, Access access);
  const Access* find(std::string_view method, std::string_view pattern) const;
  const std::map<std::pair<std::string, std::string>, Access>& entries() const { return entries_; }

 private:
  std::map<std::pair<std::string, std::string>, Access> entries_;
};

// One decision, as the audit trail records it (never bodies or secrets).
struct Decision {
  std::int64_t unix_ms = 0;
  std::string identity;        // the signer's address, or empty
  std::string client_address;  // IP address
  std::string method;
  std::string route;
  bool allowed = false;
  std::string reason;          // "public", "role:auditor", or the refusal code
  unsigned status = 0;         // what was answered
  std::string request_digest;  // hex BLAKE3 of method, target and body
  std::string service;         // the service whose listener took the request ("ledger", ...), if named
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Records a decision; returns a ticket for when_durable.
  virtual std::uint64_t record(const Decision& decision) = 0;
  // Calls `then(true)` once the decision of `ticket` is durable (a sink that keeps nothing on
  // disk: at once), `then(false)` if it never will be. The Cage holds the answer until then.
  virtual void when_durable(std::uint64_t ticket, std::function<void(bool)> then) {
    (void)ticket;
    then(true);
  }
};

struct CagePolicy {
  AuthPolicy auth;
  std::size_t nonce_cache_capacity = 200'000;
  // Token buckets: requests per second and burst, per signed identity and per client address
  // (unsigned requests). 0 disables.
  double identity_rate_per_s = 1'000;
  double identity_burst = 2'000;
  double address_rate_per_s = 1'000;
  double address_burst = 2'000;
  // Client addresses that are not rate-limited: the node's own host by default (its operator's
  // tools, the devnet bench and the local console); remote clients always are.
  std::vector<std::string> rate_exempt_addresses = {"127.0.0.1", "::1"};
  std::size_t buckets_max = 100'000;  // least recently used buckets are dropped past this
  std::string scheme = "http";        // what @target-uri's scheme is (https behind a TLS proxy)
  // Sign the answer to a request that asks (Accept-Signature) with the node's key: RFC 9421 on
  // the response, bound to the request and its signature (http_signature.hpp sign_response).
  // Needs the node key given to the Cage. Asked for, not by default: it costs a signature.
  bool sign_responses = true;
};

// The roles an address holds now (the committed role table).
using RoleLookup = std::function<std::vector<std::string>(const crypto::Address&)>;
using UnixClock = std::function<std::int64_t()>;  // unix milliseconds

class Cage {
 public:
  // `node_key`, when given, signs answers (CagePolicy::sign_responses); it must outlive the Cage.
  Cage(RouteTable table, RoleLookup roles, AuditSink& audit, CagePolicy policy = {}, UnixClock clock = {},
       const crypto::KeyPair* node_key = nullptr);

  // The middleware to install first on a router (ServiceHost::use); `service` names the service
  // of that listener in each decision (one Cage serves every listener of a node).
  Middleware middleware(std::string service = {});
  // Decisions by outcome, for /metrics (Prometheus text).
  std::string metrics_text() const;

 private:
  Response handle(Request& request, const Next& next, const std::string& service);
  // Takes one token from `key`'s bucket; the seconds until one is available when empty.
  std::optional<double> take_token(const std::string& key, double rate, double burst, std::int64_t now_ms);
  // Adds Content-Digest, Metanode-Key, Signature-Input and Signature to `response`.
  void sign(Response& response, const MessageView& request, std::string_view request_label,
            std::string_view label, std::int64_t now_ms) const;

  RouteTable table_;
  RoleLookup roles_;
  AuditSink& audit_;
  CagePolicy policy_;
  UnixClock clock_;
  const crypto::KeyPair* node_key_;
  std::string node_keyid_;
  std::string node_key_hex_;
  NonceCache nonces_;

  struct Bucket {
    double tokens = 0;
    std::int64_t updated_ms = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
  std::map<std::string, std::uint64_t> outcomes_;  // "allowed", or the refusal code -> count
};

// Security headers every answer carries.
void add_security_headers(Response& response);

}  // namespace metanode::api::cage
