#include "api/cage/cage.hpp"

#include <algorithm>
#include <cmath>

#include "crypto/encoding.hpp"

namespace metanode::api::cage {
namespace {

constexpr std::string_view kUnmatched = "unmatched";
// What a client is asked to sign (RFC 9421 section 5.1), on every 401, with the chain's tag.
constexpr std::string_view kAcceptSignature =
    R"(sig1=("@method" "@target-uri" "content-digest" "metanode-key");alg="ed25519")";

std::int64_t system_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// sha-256 of method, target and body: names the request in the audit trail without keeping it.
std::string request_digest(const Request& r) {
  std::string text = r.method + " " + r.path + (r.query.empty() ? "" : "?" + r.query) + "\n" + r.body;
  return core::to_hex(crypto::sha256(core::as_bytes(text)));
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

void RouteTable::add(std::string method, std::string pattern, Access access) {
  entries_[{std::move(method), std::move(pattern)}] = std::move(access);
}

const Access* RouteTable::find(std::string_view method, std::string_view pattern) const {
  const auto it = entries_.find({std::string(method), std::string(pattern)});
  return it == entries_.end() ? nullptr : &it->second;
}

// A route may set its own Content-Security-Policy and Cache-Control (the console's pages and
// assets); every other answer gets the strictest.
void add_security_headers(Response& response) {
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  if (!find_header(response.headers, "content-security-policy")) {
    response.headers.emplace_back("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  }
  if (!find_header(response.headers, "cache-control")) response.headers.emplace_back("Cache-Control", "no-store");
}

Cage::Cage(RouteTable table, RoleLookup roles, AuditSink& audit, CagePolicy policy, UnixClock clock,
           const crypto::KeyPair* node_key)
    : table_(std::move(table)),
      roles_(std::move(roles)),
      audit_(audit),
      policy_(std::move(policy)),
      clock_(clock ? std::move(clock) : UnixClock(system_unix_ms)),
      node_key_(policy_.sign_responses ? node_key : nullptr),
      nonces_(policy_.nonce_cache_capacity) {
  if (node_key_ != nullptr) {
    node_keyid_ = crypto::Address::from_public_key(node_key_->public_key()).to_string();
    node_key_hex_ = node_key_->public_key().to_hex();
  }
}

void Cage::sign(Response& response, const MessageView& request, std::string_view request_label, std::string_view label,
                std::int64_t now_ms) const {
  response.headers.emplace_back("Content-Digest", content_digest(response.body));
  response.headers.emplace_back("Metanode-Key", node_key_hex_);
  MessageView view;
  view.status = response.status;
  view.header = [&response](std::string_view name) -> std::optional<std::string> {
    if (name == "content-type") return response.content_type;
    return find_header(response.headers, name);
  };
  const SignatureHeaders h = sign_response(view, request, {"content-type", "content-digest", std::string(kKeyHeader)},
                                           request_label, *node_key_, node_keyid_, now_ms / 1000, label,
                                           policy_.auth.chain_tag);
  if (h.signature.empty()) return;
  response.headers.emplace_back("Signature-Input", h.signature_input);
  response.headers.emplace_back("Signature", h.signature);
}

Middleware Cage::middleware(std::string service) {
  return [this, service = std::move(service)](Request& request, const Next& next) { return handle(request, next, service); };
}

std::optional<double> Cage::take_token(const std::string& key, double rate, double burst, std::int64_t now_ms) {
  if (rate <= 0) return std::nullopt;
  std::lock_guard lock(mutex_);
  if (buckets_.size() >= policy_.buckets_max && !buckets_.contains(key)) {
    // Drop the buckets that have refilled completely: they hold no state worth keeping.
    std::erase_if(buckets_, [&](const auto& entry) {
      const double refilled = entry.second.tokens + rate * static_cast<double>(now_ms - entry.second.updated_ms) / 1000.0;
      return refilled >= burst;
    });
  }
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst, now_ms});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min(burst, b.tokens + rate * static_cast<double>(std::max<std::int64_t>(0, now_ms - b.updated_ms)) / 1000.0);
    b.updated_ms = now_ms;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  return (1.0 - b.tokens) / rate;
}

Response Cage::handle(Request& request, const Next& next, const std::string& service) {
  request.identity.clear();  // only a signature this Cage verified names one
  const std::int64_t now_ms = clock_();
  Decision d;
  d.unix_ms = now_ms;
  d.service = service;
  d.client_address = request.remote_address;
  d.method = request.method;
  d.route = request.route;
  d.request_digest = request_digest(request);
  // The request as a signature sees it (its own, and the answer's ";req" components): made only
  // for a signed request or one that asks for a signed answer, not on every public read.
  std::optional<MessageView> view;
  const auto signature_view = [&]() -> const MessageView& {
    if (!view) {
      view.emplace();
      view->method = request.method;
      view->scheme = policy_.scheme;
      view->authority = std::string(request.header("host").value_or(""));
      view->path = request.path;
      view->query = request.query;
      view->header = [&request](std::string_view name) -> std::optional<std::string> {
        auto v = request.header(name);
        return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
      };
    }
    return *view;
  };
  std::optional<Identity> who;
  // The answer is signed when the client asks (Accept-Signature, RFC 9421 section 5.1: its first
  // label names the answer's signature); never when the request's own signature was refused.
  const auto accept_signature = request.header("accept-signature");
  bool sign_answer = node_key_ != nullptr && accept_signature.has_value();
  auto finish = [&](Response response, bool allowed, std::string reason) {
    add_security_headers(response);
    d.allowed = allowed;
    d.reason = std::move(reason);
    d.status = response.status;
    {
      std::lock_guard lock(mutex_);
      ++outcomes_[allowed ? "allowed" : d.reason];
    }
    // The answer leaves only once its decision is durable (a SIGKILL after it was sent loses
    // nothing an auditor should see).
    const std::uint64_t ticket = audit_.record(d);
    response.hold = [&audit = audit_, ticket](std::function<void(bool)> send) {
      audit.when_durable(ticket, std::move(send));
    };
    if (sign_answer) {
      std::string label = "sig1";
      if (auto asked = parse_sf_dictionary(*accept_signature); asked.ok() && !asked->empty()) label = asked->front().first;
      sign(response, signature_view(), who ? std::string_view(who->label) : std::string_view(), label, now_ms);
    }
    return response;
  };
  auto refuse = [&](unsigned status, std::string_view code, const std::string& message) {
    Response r = error_response(status, code, message);
    if (status == 401) {
      r.headers.emplace_back("Accept-Signature", policy_.auth.chain_tag.empty()
                                                      ? std::string(kAcceptSignature)
                                                      : std::string(kAcceptSignature) + ";tag=\"" + policy_.auth.chain_tag + "\"");
    }
    return finish(std::move(r), false, std::string(code));
  };

  // Who: a signed request names its address (a bad signature is refused on any route).
  const auto signature_input = request.header("signature-input");
  const auto signature = request.header("signature");
  if (signature_input || signature) {
    const auto as_string = [](std::optional<std::string_view> v) {
      return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
    };
    AuthOutcome outcome = authenticate(signature_view(), request.body, as_string(signature_input), as_string(signature), now_ms / 1000,
                                       nonces_, policy_.auth);
    if (!outcome.ok()) {
      sign_answer = false;
      return refuse(outcome.refusal == AuthRefusal::kCacheFull ? 503 : 401, auth_refusal_code(outcome.refusal),
                    outcome.message);
    }
    who = std::move(outcome.identity);
    d.identity = who->address.to_string();
    request.identity = d.identity;
  }

  // May it: the route table, then the caller's roles.
  std::string reason = "public";
  if (request.route != kUnmatched) {
    const Access* access = table_.find(request.method, request.route);
    if (access == nullptr) {
      return refuse(403, "auth_forbidden", request.method + " " + request.route + " is not in the Cage's route table");
    }
    if (!access->is_public) {
      if (!who) {
        return refuse(401, "auth_unsigned", request.method + " " + request.route +
                                                " needs a signed request (RFC 9421) from an address holding one of: " +
                                                join(access->roles));
      }
      const std::vector<std::string> held = roles_(who->address);
      const auto granted = std::find_first_of(access->roles.begin(), access->roles.end(), held.begin(), held.end());
      if (granted == access->roles.end()) {
        return refuse(403, "auth_forbidden", who->address.to_string() + " holds none of the roles " + request.method + " " +
                                                 request.route + " needs (" + join(access->roles) + ")");
      }
      reason = "role:" + *granted;
    }
  }

  // How often: per signed identity, else per client address.
  const bool signed_caller = who.has_value();
  const auto& exempt = policy_.rate_exempt_addresses;
  if (std::find(exempt.begin(), exempt.end(), request.remote_address) != exempt.end()) {
    return finish(next(request), true, reason);
  }
  const std::string bucket = signed_caller ? "id:" + d.identity : "ip:" + request.remote_address;
  if (auto wait = take_token(bucket, signed_caller ? policy_.identity_rate_per_s : policy_.address_rate_per_s,
                             signed_caller ? policy_.identity_burst : policy_.address_burst, now_ms)) {
    Response r = error_response(429, "rate_limited", "too many requests from " + (signed_caller ? d.identity : request.remote_address) +
                                                         "; retry after the time in Retry-After");
    r.headers.emplace_back("Retry-After", std::to_string(static_cast<std::int64_t>(std::ceil(*wait))));
    return finish(std::move(r), false, "rate_limited");
  }
  return finish(next(request), true, reason);
}

std::string Cage::metrics_text() const {
  std::lock_guard lock(mutex_);
  std::string out = "# HELP metanode_cage_decisions_total Requests the Cage let through (allowed) or refused, by code\n"
                    "# TYPE metanode_cage_decisions_total counter\n";
  for (const auto& [outcome, count] : outcomes_) {
    out += "metanode_cage_decisions_total{outcome=\"" + outcome + "\"} " + std::to_string(count) + "\n";
  }
  out += "# HELP metanode_cage_nonces Live entries in the replay cache\n# TYPE metanode_cage_nonces gauge\n";
  out += "metanode_cage_nonces " + std::to_string(nonces_.size()) + "\n";
  return out;
}

}  // namespace metanode::api::cage
