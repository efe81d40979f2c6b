#include "services/oracle/oracle_service.hpp"

#include <charconv>
#include <sstream>

#include "modules/governance/governance.hpp"
#include "modules/oracle/oracle.hpp"
#include "services/ledger/ledger_json.hpp"

namespace metanode::services {
namespace {

using api::Request;
using api::Response;
using nlohmann::json;

Response ok(const json& doc) {
  return Response{200, "application/json", doc.dump(-1, ' ', false, json::error_handler_t::replace), {}};
}

// A scaled integer as the decimal it stands for ("123.45" for 12345 with 2 decimals).
std::string decimal(std::int64_t value, std::uint8_t decimals) {
  const bool negative = value < 0;
  std::string digits = std::to_string(value);
  if (negative) digits.erase(0, 1);
  if (decimals == 0) return (negative ? "-" : "") + digits;
  if (digits.size() <= decimals) digits.insert(0, decimals + 1 - digits.size(), '0');
  digits.insert(digits.size() - decimals, ".");
  return (negative ? "-" : "") + digits;
}

}  // namespace

void OracleService::add_routes(api::Router& router) {
  router.add("GET", "/v1/feeds", [this](const Request& r) { return feeds(r); });
  router.add("GET", "/v1/feeds/{id}/latest", [this](const Request& r) { return latest(r); });
  router.add("GET", "/v1/feeds/{id}/rounds/{round}", [this](const Request& r) { return round(r); });
}

Response OracleService::feeds(const Request&) const {
  const std::uint64_t height = chain_.head().height;
  const ledger::Module* gov = chain_.modules().find(modules::kGovModule);
  const ledger::Module* oracle = chain_.modules().find(modules::kOracleModule);
  auto ids = modules::read_feed_ids(chain_);
  if (!ids.ok()) return api::error_response(ids.error());
  auto operators = modules::read_oracle_operators(chain_);
  if (!operators.ok()) return api::error_response(operators.error());
  json list = json::array();
  for (const auto& id : *ids) {
    auto spec = modules::read_feed_spec(chain_, id);
    if (!spec.ok()) return api::error_response(spec.error());
    if (!*spec) return api::error_response(core::make_error(core::ErrorCode::kStateCorrupt, "feed '" + id + "' has no spec"));
    auto state = modules::read_feed_state(chain_, id);
    if (!state.ok()) return api::error_response(state.error());
    auto spec_proof = state_answer(chain_, *gov, modules::gov_feed_key(id), height);
    if (!spec_proof.ok()) return api::error_response(spec_proof.error());
    auto state_proof = state_answer(chain_, *oracle, modules::oracle_feed_key(id), height);
    if (!state_proof.ok()) return api::error_response(state_proof.error());
    json item = (*spec)->to_json();
    item["spec_proof"] = *spec_proof;
    item["latest"] = *state ? (*state)->to_json() : json(nullptr);
    if (*state) item["latest"]["value"] = decimal((*state)->median, (*spec)->decimals);
    item["latest_proof"] = *state_proof;
    list.push_back(std::move(item));
  }
  json ops = json::array();
  for (const auto& a : *operators) ops.push_back(a.to_string());
  return ok({{"height", height}, {"operators", ops}, {"quorum", modules::oracle_quorum(operators->size())}, {"feeds", list}});
}

Response OracleService::round_answer(const std::string& feed, std::uint64_t n) const {
  const std::uint64_t height = chain_.head().height;
  auto spec = modules::read_feed_spec(chain_, feed);
  if (!spec.ok()) return api::error_response(spec.error());
  if (!*spec) return api::error_response(404, "not_found", "no feed '" + feed + "'");
  auto record = modules::read_round(chain_, feed, n);
  if (!record.ok()) return api::error_response(record.error());
  if (!*record) return api::error_response(404, "not_found", "feed '" + feed + "' has no round " + std::to_string(n));
  const ledger::Module* oracle = chain_.modules().find(modules::kOracleModule);
  auto proof = state_answer(chain_, *oracle, modules::oracle_round_key(feed, n), height);
  if (!proof.ok()) return api::error_response(proof.error());
  json doc = (*record)->to_json();
  doc["feed"] = feed;
  doc["decimals"] = (*spec)->decimals;
  doc["value"] = decimal((*record)->median, (*spec)->decimals);
  for (auto& o : doc["observations"]) o["decimal"] = decimal(std::stoll(o["value"].get<std::string>()), (*spec)->decimals);
  doc["proof"] = *proof;
  return ok(doc);
}

Response OracleService::latest(const Request& req) const {
  const std::string id = req.params.at("id");
  if (auto st = modules::check_feed_id(id); !st.ok()) return api::error_response(400, "invalid_argument", st.error().message);
  auto state = modules::read_feed_state(chain_, id);
  if (!state.ok()) return api::error_response(state.error());
  if (!*state) {
    auto spec = modules::read_feed_spec(chain_, id);
    if (spec.ok() && *spec) return api::error_response(404, "not_found", "feed '" + id + "' has no round yet");
    return api::error_response(404, "not_found", "no feed '" + id + "'");
  }
  return round_answer(id, (*state)->round);
}

Response OracleService::round(const Request& req) const {
  const std::string id = req.params.at("id");
  if (auto st = modules::check_feed_id(id); !st.ok()) return api::error_response(400, "invalid_argument", st.error().message);
  const std::string& text = req.params.at("round");
  std::uint64_t n = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr != text.data() + text.size() || n == 0) {
    return api::error_response(400, "invalid_argument", "round must be a number from 1");
  }
  return round_answer(id, n);
}

json OracleService::health() const {
  auto ids = modules::read_feed_ids(chain_);
  json doc = {{"status", ids.ok() ? "ok" : "degraded"}, {"height", chain_.head().height}};
  if (ids.ok()) doc["feeds"] = ids->size();
  else doc["error"] = ids.error().message;
  return doc;
}

std::string OracleService::metrics_text() const {
  auto ids = modules::read_feed_ids(chain_);
  if (!ids.ok()) return {};
  std::ostringstream out;
  out << "# HELP metanode_oracle_feeds Feeds on chain.\n# TYPE metanode_oracle_feeds gauge\nmetanode_oracle_feeds " << ids->size() << "\n";
  out << "# HELP metanode_oracle_round The latest round of each feed.\n# TYPE metanode_oracle_round gauge\n";
  for (const auto& id : *ids) {
    auto state = modules::read_feed_state(chain_, id);
    if (state.ok()) out << "metanode_oracle_round{feed=\"" << id << "\"} " << (*state ? (*state)->round : 0) << "\n";
  }
  out << "# HELP metanode_oracle_round_age_ms Milliseconds since each feed's latest round, by the head's time.\n"
      << "# TYPE metanode_oracle_round_age_ms gauge\n";
  const std::int64_t now = chain_.head().timestamp_unix_ms;
  for (const auto& id : *ids) {
    auto state = modules::read_feed_state(chain_, id);
    if (state.ok() && *state) out << "metanode_oracle_round_age_ms{feed=\"" << id << "\"} " << (now - (*state)->round_unix_ms) << "\n";
  }
  return out.str();
}

json OracleService::openapi_paths() const {
  const json err = openapi_error_response();
  const auto get = [&err](const std::string& summary, json parameters = json::array()) {
    return json{{"get",
                 {{"summary", summary},
                  {"parameters", std::move(parameters)},
                  {"responses", {{"200", openapi_json_response("the answer", {{"type", "object"}})}, {"400", err}, {"404", err}}}}}};
  };
  const json id{{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}};
  const json round{{"name", "round"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "integer"}}}};
  return {
      {"/v1/feeds", get("Every feed: its spec (sources, decimals, deviation threshold, heartbeat, bounds) with the proof "
                        "of governance's entry, its latest round (median, time) with its proof; the operators and the "
                        "quorum a report needs")},
      {"/v1/feeds/{id}/latest", get("The feed's latest round: the median, as stored (scaled by 10^decimals) and as a "
                                    "decimal, and every signed observation, with the round's proof",
                                    json::array({id}))},
      {"/v1/feeds/{id}/rounds/{round}", get("One round of the feed, with its proof", json::array({id, round}))},
  };
}

}  // namespace metanode::services
