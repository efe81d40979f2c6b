#include "services/proofs/proofs_service.hpp"

#include <sstream>

#include "services/proofs/proof_check.hpp"

namespace metanode::services {
namespace {

using nlohmann::json;

constexpr std::size_t kClaimBytesMax = std::size_t{8} << 20;  // a block answer with its transactions

// What each kind takes (GET /v1/verify/kinds and the OpenAPI document).
const std::map<std::string_view, std::string_view>& kind_help() {
  static const std::map<std::string_view, std::string_view> help = {
      {"block", "{block: a GET /v1/blocks/{h} answer}: its header certificate"},
      {"tx", "{hash, answer: a GET /v1/txs/{hash} answer}: the transaction and its receipt in a certified block"},
      {"account", "{address, answer: a GET /v1/accounts/{address} answer}: the account record in a certified state root"},
      {"state", "{answer: a GET /v1/state/{module}/{key} answer}: any module's entry, or its absence"},
      {"certificate", "{header, certificate: canonical encodings, hex}: a quorum of the genesis validators signed it"},
      {"checkpoint", "{note}: an audit checkpoint signed by the validator its origin names (Ed25519 and ML-DSA-65)"},
      {"audit-event", "{event: an item of GET /v1/audit/events, checkpoint: note}: the event is in the checkpoint"},
      {"audit-consistency", "{old: note, new: note, proof: a GET /v1/audit/consistency answer}: new extends old"},
      {"signature", "{public_key, message, signature, domain?}: Ed25519 (over hash(domain, message), or raw)"},
      {"hybrid-signature", "{public_key: {ed25519, mldsa}, signature: {ed25519, mldsa}, message, domain}: both verify"},
      {"multisig", "{policy: {threshold, signers}, signatures: [{signer, signature}], message, domain}: m of n signed"},
  };
  return help;
}

}  // namespace

api::Response ProofsService::verify(const api::Request& request) {
  const json claim = json::parse(request.body, nullptr, false);
  if (claim.is_discarded()) return api::error_response(400, "invalid_argument", "the body is not JSON");
  auto checked = verify_claim(claim, genesis_);
  if (!checked.ok() && checked.error().code == core::ErrorCode::kInvalidArgument) {
    return api::error_response(checked.error());
  }
  const std::string kind = claim.value("kind", std::string());
  {
    std::lock_guard lock(mutex_);
    ++outcomes_[kind + (checked.ok() ? " valid" : " invalid")];
  }
  json body = {{"kind", kind}, {"valid", checked.ok()}};
  if (checked.ok()) {
    body["summary"] = *checked;
  } else {
    body["code"] = std::string(core::error_code_name(checked.error().code));
    body["reason"] = checked.error().message;
  }
  return api::Response{200, "application/json", body.dump()};
}

void ProofsService::add_routes(api::Router& router) {
  router.add("POST", "/v1/verify", [this](const api::Request& req) { return verify(req); });
  router.add("GET", "/v1/verify/kinds", [](const api::Request&) {
    json kinds = json::object();
    for (const auto& [kind, help] : kind_help()) kinds[std::string(kind)] = help;
    return api::Response{200, "application/json", json{{"kinds", kinds}}.dump()};
  });
}

api::HttpLimits ProofsService::limits() const {
  api::HttpLimits limits;
  limits.body_bytes_max_by_path["/v1/verify"] = kClaimBytesMax;
  return limits;
}

json ProofsService::openapi_paths() const {
  json kinds = json::array();
  std::string described;
  for (const auto& [kind, help] : kind_help()) {
    kinds.push_back(kind);
    described += "\n- `" + std::string(kind) + "` " + std::string(help);
  }
  json paths;
  paths["/v1/verify"]["post"] = {
      {"summary", "Check one proof against the genesis (public)"},
      {"description", "The claim names its kind; the answer is 200 with valid true and a summary, or valid false with "
                      "the error code and the reason (which field or signature is wrong). 400 invalid_argument for "
                      "a body that is not a claim (not JSON, no or an unknown kind, a missing or malformed field)." +
                          described},
      {"requestBody",
       {{"required", true},
        {"content",
         {{"application/json",
           {{"schema", {{"type", "object"}, {"required", json::array({"kind"})},
                        {"properties", {{"kind", {{"type", "string"}, {"enum", kinds}}}}}}}}}}}}},
      {"responses",
       {{"200", openapi_json_response("verdict", {{"type", "object"},
                                                  {"properties",
                                                   {{"kind", {{"type", "string"}}},
                                                    {"valid", {{"type", "boolean"}}},
                                                    {"summary", {{"type", "string"}}},
                                                    {"code", {{"type", "string"}}},
                                                    {"reason", {{"type", "string"}}}}}})},
        {"400", openapi_error_response()},
        {"413", openapi_error_response()}}}};
  paths["/v1/verify/kinds"]["get"] = {
      {"summary", "The kinds of claim and what each takes (public)"},
      {"responses", {{"200", openapi_json_response("kinds", {{"type", "object"}})}}}};
  return paths;
}

json ProofsService::health() const {
  return {{"status", "ok"},
          {"service", "proofs"},
          {"chain_id", genesis_.chain_id},
          {"genesis_digest", core::to_hex(genesis_.digest())},
          {"validators", genesis_.validators.size()}};
}

std::string ProofsService::metrics_text() const {
  std::ostringstream out;
  out << "# HELP metanode_proofs_checked_total Claims checked, by kind and verdict.\n"
      << "# TYPE metanode_proofs_checked_total counter\n";
  std::lock_guard lock(mutex_);
  for (const auto& [key, count] : outcomes_) {
    const auto space = key.rfind(' ');
    out << "metanode_proofs_checked_total{kind=\"" << key.substr(0, space) << "\",verdict=\"" << key.substr(space + 1)
        << "\"} " << count << "\n";
  }
  return out.str();
}

}  // namespace metanode::services
