#include "node/audit_log.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "crypto/address.hpp"
#include "modules/governance/governance.hpp"

namespace metanode::node {
namespace {

using nlohmann::json;

constexpr std::size_t kEventsPageMax = 500;
constexpr std::size_t kScanMax = 10'000;  // events looked at per page of a filtered query
constexpr std::size_t kTagCacheMax = 10'000;  // actors whose jurisdictions are remembered

api::Response bad_request(const std::string& why) { return api::error_response(400, "invalid_argument", why); }
api::Response ok_json(const json& body) { return api::Response{200, "application/json", body.dump(), {}}; }

// A query parameter as an unsigned or signed integer: nullopt when absent, an error when not a
// number.
template <typename T>
core::Result<std::optional<T>> number_param(const api::Request& request, std::string_view name) {
  const auto text = request.query_param(name);
  if (!text) return std::optional<T>{};
  T value{};
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) {
    return core::make_error(core::ErrorCode::kInvalidArgument, std::string(name) + " must be an integer, not '" + *text + "'");
  }
  return std::optional<T>{value};
}

template <typename T>
core::Result<T> path_number(const api::Request& request, const std::string& name) {
  const auto it = request.params.find(name);
  T value{};
  if (it == request.params.end()) return core::make_error(core::ErrorCode::kInvalidArgument, name + " is missing");
  const auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  if (ec != std::errc() || end != it->second.data() + it->second.size()) {
    return core::make_error(core::ErrorCode::kInvalidArgument, name + " must be an integer, not '" + it->second + "'");
  }
  return value;
}

json hashes_to_json(const std::vector<core::Hash32>& path) {
  json out = json::array();
  for (const auto& h : path) out.push_back(core::to_hex(h));
  return out;
}

json inclusion_to_json(const merkle::InclusionProof& proof) {
  return {{"index", proof.index}, {"tree_size", proof.tree_size}, {"path", hashes_to_json(proof.path)}};
}

// The checkpoint proofs go to: the one of `tree_size` when asked (kNotFound when none has it), else
// the newest (nullopt before the first).
core::Result<std::optional<storage::AuditCheckpoint>> anchor_of(const storage::AuditLog& log,
                                                                std::optional<std::uint64_t> tree_size) {
  if (!tree_size) return log.latest_checkpoint();
  MN_TRY_ASSIGN(auto stored, log.checkpoint_at(*tree_size));
  if (!stored) return core::make_error(core::ErrorCode::kNotFound, "no checkpoint of size " + std::to_string(*tree_size));
  return stored;
}

bool matches(const storage::AuditEvent& e, const std::optional<std::string>& actor, const std::optional<std::string>& action,
             const std::optional<std::string>& jurisdiction) {
  if (actor && e.actor != *actor) return false;
  if (action) {
    // "governance.*" matches every governance action.
    if (!action->empty() && action->back() == '*') {
      if (!e.action.starts_with(std::string_view(*action).substr(0, action->size() - 1))) return false;
    } else if (e.action != *action) {
      return false;
    }
  }
  if (jurisdiction && std::find(e.jurisdictions.begin(), e.jurisdictions.end(), *jurisdiction) == e.jurisdictions.end()) {
    return false;
  }
  return true;
}

}  // namespace

json audit_event_to_json(const storage::StoredAuditEvent& stored) {
  const storage::AuditEvent& e = stored.event;
  return {{"index", stored.index},
          {"unix_ms", e.unix_ms},
          {"action", e.action},
          {"actor", e.actor},
          {"source", e.source},
          {"subject", e.subject},
          {"outcome", e.outcome},
          {"detail", e.detail},
          {"status", e.status},
          {"digest", e.digest},
          {"jurisdictions", e.jurisdictions},
          {"bytes", core::to_hex(stored.bytes)},
          {"leaf_hash", core::to_hex(storage::audit_leaf_hash(stored.bytes))}};
}

json audit_checkpoint_to_json(const storage::AuditCheckpoint& checkpoint) {
  const auto unix_ms = checkpoint.body.unix_ms();
  return {{"origin", checkpoint.body.origin},
          {"size", checkpoint.body.size},
          {"root", core::to_hex(checkpoint.body.root)},
          {"unix_ms", unix_ms ? json(*unix_ms) : json(nullptr)},
          {"note", checkpoint.note}};
}

json AuditTrail::checkpoint_json(const storage::AuditCheckpoint& checkpoint) const {
  json doc = audit_checkpoint_to_json(checkpoint);
  // The witnesses' cosignatures, when any came: the note with their lines appended.
  if (auto lines = log_.cosignature_lines(checkpoint.body.size); lines.ok() && !lines->empty()) {
    doc["cosigned_note"] = checkpoint.note + *lines;
  }
  return doc;
}

std::vector<std::string> AuditTrail::tags_of(const std::string& actor, bool service) {
  const auto& lookup = service ? service_jurisdictions_ : jurisdictions_;
  if (!lookup) return {};
  const std::string key = (service ? "service:" : "") + actor;  // never an address's text
  {
    std::lock_guard lock(tags_mutex_);
    if (auto it = tags_cache_.find(key); it != tags_cache_.end()) return it->second;
  }
  std::vector<std::string> tags = lookup(actor);
  std::lock_guard lock(tags_mutex_);
  if (tags_cache_.size() >= kTagCacheMax) tags_cache_.clear();
  tags_cache_.emplace(key, tags);
  return tags;
}

std::uint64_t AuditTrail::record(const api::cage::Decision& d) {
  storage::AuditEvent e;
  e.unix_ms = d.unix_ms;
  e.action = "http.request";
  e.actor = d.identity.empty() ? d.client_address : d.identity;
  e.source = d.client_address;
  e.subject = d.method + " " + d.route;
  e.outcome = d.allowed ? "allowed" : "refused";
  e.detail = d.reason;
  e.status = d.status;
  e.digest = d.request_digest;
  if (!d.identity.empty()) e.jurisdictions = tags_of(d.identity);
  if (!d.service.empty()) {
    for (auto& tag : tags_of(d.service, /*service=*/true)) e.jurisdictions.push_back(std::move(tag));
    std::sort(e.jurisdictions.begin(), e.jurisdictions.end());
    e.jurisdictions.erase(std::unique(e.jurisdictions.begin(), e.jurisdictions.end()), e.jurisdictions.end());
    if (e.jurisdictions.size() > storage::AuditEvent::kJurisdictionsMax) e.jurisdictions.resize(storage::AuditEvent::kJurisdictionsMax);
  }
  if (!d.allowed) {
    spdlog::info("cage: refused {} {} from {}{}: {} ({})", d.method, d.route, d.client_address,
                 d.identity.empty() ? std::string() : " as " + d.identity, d.reason, d.status);
  }
  return log_.append(std::move(e));
}

void AuditTrail::when_durable(std::uint64_t ticket, std::function<void(bool)> then) {
  log_.when_durable(ticket, std::move(then));
}

void AuditTrail::on_block(const ledger::ProducedBlock& produced) {
  const auto& block = produced.stored.block;
  const auto& h = block.header;
  storage::AuditEvent commit;
  commit.unix_ms = 0;  // now: when this node committed it
  commit.action = "block.commit";
  commit.actor = crypto::Address::from_public_key(h.proposer).to_string();
  commit.subject = "block " + std::to_string(h.height) + " (" + std::to_string(h.tx_count) + " transactions)";
  commit.outcome = "committed";
  commit.digest = core::to_hex(produced.stored.commit.block_hash);
  log_.append(std::move(commit));
  // Governance may have changed someone's jurisdictions: read them afresh from now on.
  const bool governance = std::any_of(block.txs.begin(), block.txs.end(),
                                      [](const ledger::Transaction& tx) { return tx.payload.module == modules::kGovModule; });
  if (governance) {
    std::lock_guard lock(tags_mutex_);
    tags_cache_.clear();
  }
  for (std::size_t i = 0; i < block.txs.size() && i < produced.receipts.size(); ++i) {
    const ledger::Transaction& tx = block.txs[i];
    if (tx.payload.module != modules::kGovModule) continue;
    const ledger::Receipt& receipt = produced.receipts[i];
    storage::AuditEvent g;
    g.action = "governance." + tx.payload.kind;
    g.actor = tx.sender().to_string();
    const ledger::Module* module = modules_.find(tx.payload.module);
    g.subject = module != nullptr ? module->payload_to_json(tx.payload).dump() : core::to_hex(tx.payload.data);
    g.outcome = receipt.status == ledger::ReceiptStatus::kSuccess ? "applied" : "failed";
    g.detail = receipt.status == ledger::ReceiptStatus::kSuccess ? "block " + std::to_string(h.height) : receipt.error_message;
    g.digest = core::to_hex(receipt.tx_hash);
    g.jurisdictions = tags_of(g.actor);
    log_.append(std::move(g));
  }
}

void AuditTrail::lifecycle(std::string_view action, const core::Hash32& config_digest, std::string_view node_address,
                           std::string_view subject) {
  storage::AuditEvent e;
  e.action = std::string(action);
  e.actor = std::string(node_address);
  e.subject = std::string(subject);
  e.outcome = "ok";
  e.digest = core::to_hex(config_digest);
  log_.append(std::move(e));
}

void AuditTrail::peer_refused(const crypto::PublicKey& key, std::string_view why) {
  storage::AuditEvent e;
  e.action = "xtmp.refused";
  e.actor = crypto::Address::from_public_key(key).to_string();
  e.subject = "xtmp link";
  e.outcome = "refused";
  e.detail = std::string(why);
  e.digest = key.to_hex();
  log_.append(std::move(e));
}

api::Response AuditTrail::checkpoint(const api::Request&) const {
  const auto latest = log_.latest_checkpoint();
  if (!latest) return api::error_response(404, "not_found", "no checkpoint yet (the first comes after the first events)");
  json body = checkpoint_json(*latest);
  body["log_size"] = log_.size();
  return ok_json(body);
}

api::Response AuditTrail::checkpoints(const api::Request& request) const {
  auto from = number_param<std::uint64_t>(request, "from");
  auto to = number_param<std::uint64_t>(request, "to");
  auto limit = number_param<std::size_t>(request, "limit");
  for (const auto* r : {&from, &to}) {
    if (!r->ok()) return api::error_response(r->error());
  }
  if (!limit.ok()) return api::error_response(limit.error());
  const std::size_t count = limit->value_or(100);
  if (count < 1 || count > 1000) return bad_request("limit must be 1-1000");
  auto sizes = log_.checkpoint_sizes(from->value_or(0), to->value_or(~std::uint64_t{0}), count);
  if (!sizes.ok()) return api::error_response(sizes.error());
  return ok_json({{"sizes", *sizes}});
}

api::Response AuditTrail::checkpoint_of_size(const api::Request& request) const {
  auto size = path_number<std::uint64_t>(request, "size");
  if (!size.ok()) return api::error_response(size.error());
  auto checkpoint = anchor_of(log_, *size);
  if (!checkpoint.ok()) return api::error_response(checkpoint.error());
  return ok_json(checkpoint_json(**checkpoint));
}

api::Response AuditTrail::events(const api::Request& request) const {
  auto from_ms = number_param<std::int64_t>(request, "from_ms");
  auto to_ms = number_param<std::int64_t>(request, "to_ms");
  auto cursor = number_param<std::uint64_t>(request, "cursor");
  auto limit = number_param<std::size_t>(request, "limit");
  auto tree_size = number_param<std::uint64_t>(request, "tree_size");
  if (!from_ms.ok()) return api::error_response(from_ms.error());
  if (!to_ms.ok()) return api::error_response(to_ms.error());
  if (!cursor.ok()) return api::error_response(cursor.error());
  if (!limit.ok()) return api::error_response(limit.error());
  if (!tree_size.ok()) return api::error_response(tree_size.error());
  const std::size_t count = limit->value_or(100);
  if (count < 1 || count > kEventsPageMax) return bad_request("limit must be 1-" + std::to_string(kEventsPageMax));
  const auto actor = request.query_param("actor");
  const auto action = request.query_param("action");
  const auto jurisdiction = request.query_param("jurisdiction");

  // Proofs go to a signed checkpoint: the one asked for, or the newest.
  auto anchored = anchor_of(log_, *tree_size);
  if (!anchored.ok()) return api::error_response(anchored.error());
  const std::optional<storage::AuditCheckpoint>& anchor = *anchored;
  const std::uint64_t proof_size = anchor ? anchor->body.size : 0;

  std::uint64_t index = 0;
  if (*cursor) {
    index = **cursor;
  } else if (*from_ms) {
    auto first = log_.first_at_or_after(**from_ms);
    if (!first.ok()) return api::error_response(first.error());
    index = *first;
  }
  const std::uint64_t size = log_.size();
  json events = json::array();
  std::optional<std::uint64_t> next;
  for (std::size_t scanned = 0; index < size; ++index, ++scanned) {
    if (scanned == kScanMax || events.size() == count) {
      next = index;
      break;
    }
    auto stored = log_.event(index);
    if (!stored.ok()) return api::error_response(stored.error());
    if (*to_ms && stored->event.unix_ms > **to_ms) break;
    if (!matches(stored->event, actor, action, jurisdiction)) continue;
    json item = audit_event_to_json(*stored);
    if (index < proof_size) {
      auto proof = log_.inclusion_proof(index, proof_size);
      if (!proof.ok()) return api::error_response(proof.error());
      item["proof"] = inclusion_to_json(*proof);
    } else {
      item["proof"] = nullptr;  // newer than the checkpoint: proven by the next one
    }
    events.push_back(std::move(item));
  }
  return ok_json({{"events", std::move(events)},
                  {"next_cursor", next ? json(*next) : json(nullptr)},
                  {"log_size", size},
                  {"checkpoint", anchor ? checkpoint_json(*anchor) : json(nullptr)}});
}

api::Response AuditTrail::event(const api::Request& request) const {
  auto index = path_number<std::uint64_t>(request, "index");
  if (!index.ok()) return api::error_response(index.error());
  auto tree_size = number_param<std::uint64_t>(request, "tree_size");
  if (!tree_size.ok()) return api::error_response(tree_size.error());
  auto stored = log_.event(*index);
  if (!stored.ok()) return api::error_response(stored.error());
  auto anchored = anchor_of(log_, *tree_size);
  if (!anchored.ok()) return api::error_response(anchored.error());
  const std::optional<storage::AuditCheckpoint>& anchor = *anchored;
  json body = audit_event_to_json(*stored);
  body["proof"] = nullptr;
  if (anchor && *index < anchor->body.size) {
    auto proof = log_.inclusion_proof(*index, anchor->body.size);
    if (!proof.ok()) return api::error_response(proof.error());
    body["proof"] = inclusion_to_json(*proof);
  }
  body["checkpoint"] = anchor ? checkpoint_json(*anchor) : json(nullptr);
  return ok_json(body);
}

api::Response AuditTrail::consistency(const api::Request& request) const {
  auto from = number_param<std::uint64_t>(request, "from");
  auto to = number_param<std::uint64_t>(request, "to");
  if (!from.ok()) return api::error_response(from.error());
  if (!to.ok()) return api::error_response(to.error());
  if (!*from || !*to) return bad_request("from and to (tree sizes) are required");
  auto proof = log_.consistency_proof(**from, **to);
  if (!proof.ok()) return api::error_response(proof.error());
  auto old_root = log_.root_at(**from);
  auto new_root = log_.root_at(**to);
  if (!old_root.ok()) return api::error_response(old_root.error());
  if (!new_root.ok()) return api::error_response(new_root.error());
  return ok_json({{"old_size", proof->old_size},
                  {"new_size", proof->new_size},
                  {"old_root", core::to_hex(*old_root)},
                  {"new_root", core::to_hex(*new_root)},
                  {"path", hashes_to_json(proof->path)}});
}

api::Response AuditTrail::decisions(const api::Request& request) const {
  auto limit = number_param<std::size_t>(request, "limit");
  if (!limit.ok() || limit->value_or(100) < 1 || limit->value_or(100) > 1000) return bad_request("limit must be 1-1000");
  const std::size_t count = limit->value_or(100);
  json out = json::array();
  const std::uint64_t size = log_.size();
  for (std::uint64_t i = size, scanned = 0; i > 0 && out.size() < count && scanned < 20 * kScanMax; --i, ++scanned) {
    auto stored = log_.event(i - 1);
    if (!stored.ok()) return api::error_response(stored.error());
    const storage::AuditEvent& e = stored->event;
    if (e.action != "http.request") continue;
    const auto space = e.subject.find(' ');
    out.push_back({{"index", stored->index},
                   {"unix_ms", e.unix_ms},
                   {"identity", e.actor != e.source ? json(e.actor) : json(nullptr)},
                   {"client_address", e.source},
                   {"method", e.subject.substr(0, space)},
                   {"route", space == std::string::npos ? std::string() : e.subject.substr(space + 1)},
                   {"allowed", e.outcome == "allowed"},
                   {"reason", e.detail},
                   {"status", e.status},
                   {"request_digest", e.digest}});
  }
  return ok_json({{"decisions", std::move(out)}});
}

std::uint64_t RecentDecisions::record(const api::cage::Decision& d) {
  if (!d.allowed) {
    spdlog::info("cage: refused {} {} from {}{}: {} ({})", d.method, d.route, d.client_address,
                 d.identity.empty() ? std::string() : " as " + d.identity, d.reason, d.status);
  }
  std::lock_guard lock(mutex_);
  decisions_.push_back(d);
  while (decisions_.size() > capacity_) decisions_.pop_front();
  return recorded_++;
}

json RecentDecisions::to_json(std::size_t limit) const {
  std::lock_guard lock(mutex_);
  json out = json::array();
  for (auto it = decisions_.rbegin(); it != decisions_.rend() && out.size() < limit; ++it) {
    out.push_back({{"unix_ms", it->unix_ms},
                   {"identity", it->identity.empty() ? json(nullptr) : json(it->identity)},
                   {"client_address", it->client_address},
                   {"method", it->method},
                   {"route", it->route},
                   {"allowed", it->allowed},
                   {"reason", it->reason},
                   {"status", it->status},
                   {"request_digest", it->request_digest}});
  }
  return out;
}

}  // namespace metanode::node
