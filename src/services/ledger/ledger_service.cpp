#include "services/ledger/ledger_service.hpp"

#include <charconv>
#include <sstream>

#include "mempool/refusal.hpp"
#include "modules/governance/governance.hpp"
#include "services/ledger/ledger_json.hpp"

namespace metanode::services {

using api::error_response;
using api::Request;
using api::Response;

using nlohmann::json;

namespace {

// Never throws on text that is not UTF-8 (it is replaced): an answer must always be writable.
std::string json_text(const json& doc) { return doc.dump(-1, ' ', false, json::error_handler_t::replace); }

Response ok_json(const json& doc, unsigned status = 200) {
  return Response{status, "application/json", json_text(doc), {}};
}

core::Result<core::Hash32> hash_param(const Request& req, const std::string& name) {
  auto h = core::array_from_hex<32>(req.params.at(name));
  if (!h.ok()) return core::make_error(core::ErrorCode::kInvalidHex, name + ": " + h.error().message);
  return h;
}

core::Result<ledger::Transaction> parse_submission(const Request& req, const ledger::ModuleSet& modules) {
  if (req.body.size() > kSubmitBodyBytesMax) {
    return core::make_error(core::ErrorCode::kTxTooLarge, "body larger than " + std::to_string(kSubmitBodyBytesMax));
  }
  if (req.content_type.rfind("application/octet-stream", 0) == 0) {
    if (req.body.size() > ledger::kTxBytesMax) {
      return core::make_error(core::ErrorCode::kTxTooLarge, "transaction larger than " +
                                                                std::to_string(ledger::kTxBytesMax) + " bytes");
    }
    auto tx = core::decode<ledger::Transaction>(core::as_bytes(req.body));
    if (!tx.ok()) return core::make_error(core::ErrorCode::kTxMalformed, tx.error().to_string());
    return tx;
  }
  json doc = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return core::make_error(core::ErrorCode::kTxMalformed, "body is not valid JSON");
  MN_TRY_ASSIGN(ledger::Transaction tx, transaction_from_json(doc, modules));
  if (core::encode(tx).size() > ledger::kTxBytesMax) {
    return core::make_error(core::ErrorCode::kTxTooLarge, "transaction larger than " +
                                                              std::to_string(ledger::kTxBytesMax) + " bytes");
  }
  return tx;
}

// An admission refusal: the error, plus the stage that refused it and whether a consensus rule
// or this node's policy did.
Response refusal_response(const core::Error& error) {
  const mempool::Refusal refusal = mempool::refusal_of(error.code);
  const json doc = {{"error",
                     {{"code", error.code_name()},
                      {"number", static_cast<int>(error.code)},
                      {"message", error.message},
                      {"stage", refusal.stage},
                      {"rule", refusal.rule}}}};
  return Response{api::http_status_for(error.code), "application/json", json_text(doc), {}};
}

Response submit(LedgerBackend& backend, const Request& req) {
  auto tx = parse_submission(req, backend.chain().modules());
  if (!tx.ok()) return error_response(tx.error());
  auto admitted = backend.submit(std::move(tx).value());
  if (!admitted.ok()) return refusal_response(admitted.error());
  json doc = {{"hash", core::to_hex(admitted->hash)}, {"status", "pending"}};
  if (admitted->replaced) doc["replaced"] = core::to_hex(*admitted->replaced);
  if (!admitted->evicted.empty()) {
    json evicted = json::array();
    for (const auto& h : admitted->evicted) evicted.push_back(core::to_hex(h));
    doc["evicted"] = evicted;
  }
  return ok_json(doc, 202);
}

Response submit_batch(LedgerBackend& backend, const Request& req) {
  if (req.content_type.rfind("application/octet-stream", 0) != 0) {
    return error_response(415, "unsupported_media_type", "batch submission takes application/octet-stream");
  }
  core::Reader reader(core::as_bytes(req.body));
  auto blobs = reader.vector<core::Bytes>(kBatchTxsMax, [](core::Reader& r) { return r.bytes(ledger::kTxBytesMax); });
  if (!blobs.ok()) return error_response(core::make_error(core::ErrorCode::kTxMalformed, blobs.error().to_string()));
  if (auto st = reader.finish(); !st.ok()) return error_response(core::make_error(core::ErrorCode::kTxMalformed, st.error().to_string()));
  std::vector<ledger::Transaction> txs;
  txs.reserve(blobs->size());
  json rejected = json::array();
  std::vector<std::size_t> index_of;  // position in the batch of each decoded transaction
  for (std::size_t i = 0; i < blobs->size(); ++i) {
    auto tx = core::decode<ledger::Transaction>((*blobs)[i]);
    if (!tx.ok()) {
      rejected.push_back({{"index", i}, {"code", "tx_malformed"}, {"message", tx.error().to_string()}});
      continue;
    }
    index_of.push_back(i);
    txs.push_back(std::move(tx).value());
  }
  const auto results = backend.submit_batch(std::move(txs));
  std::size_t accepted = 0;
  for (std::size_t k = 0; k < results.size(); ++k) {
    if (results[k].ok()) {
      ++accepted;
    } else {
      const mempool::Refusal refusal = mempool::refusal_of(results[k].error().code);
      rejected.push_back({{"index", index_of[k]},
                          {"code", results[k].error().code_name()},
                          {"message", results[k].error().message},
                          {"stage", refusal.stage},
                          {"rule", refusal.rule}});
    }
  }
  return ok_json({{"accepted", accepted}, {"rejected", rejected}}, 202);
}

// The newest block with a header certificate (the head's may still be gathering its signatures).
// Looks back at most kCertifiedLookbackMax blocks.
constexpr std::uint64_t kCertifiedLookbackMax = 256;
core::Result<std::uint64_t> newest_certified(const ledger::Chain& chain) {
  const std::uint64_t head = chain.head().height;
  for (std::uint64_t h = head; h + kCertifiedLookbackMax > head; --h) {
    MN_TRY_ASSIGN(auto cert, chain.certificate(h));
    if (cert.has_value() || h == 0) return h;
  }
  return core::make_error(core::ErrorCode::kNotFound, "no block of the last " + std::to_string(kCertifiedLookbackMax) +
                                                          " has a header certificate yet");
}

// ?height=H: a block height, or "certified" for the newest block with a header certificate
// (nullopt when absent: the head).
core::Result<std::optional<std::uint64_t>> height_param(const Request& req, const ledger::Chain& chain) {
  auto h = req.query_param("height");
  if (!h) return std::optional<std::uint64_t>{};
  if (*h == "certified") {
    MN_TRY_ASSIGN(const std::uint64_t certified, newest_certified(chain));
    return std::optional<std::uint64_t>{certified};
  }
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(h->data(), h->data() + h->size(), value);
  if (h->empty() || ec != std::errc() || ptr != h->data() + h->size()) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "height must be a block height or 'certified'");
  }
  return std::optional<std::uint64_t>{value};
}

// Why a pending transaction is not in a block yet, as its submitter reads it: its max fee no
// longer covers the base fee (it waits until the base fee falls), an earlier nonce is missing,
// or it is in line at the tip it pays.
json pending_reason(LedgerBackend& backend, const ledger::Transaction& tx) {
  const std::uint64_t base_fee = backend.chain().head().base_fee_next;
  if (tx.max_fee < base_fee) {
    return {{"code", "tx_fee_too_low"},
            {"base_fee", ledger::u64_to_json(base_fee)},
            {"message", "max_fee " + std::to_string(tx.max_fee) + " does not cover the base fee " + std::to_string(base_fee) +
                            ": it waits until the base fee falls to " + std::to_string(tx.max_fee) +
                            " (or send a replacement with a higher max_fee)"}};
  }
  const std::uint64_t tip = std::min(tx.bid, tx.max_fee - base_fee);
  auto account = ledger::read_account(backend.chain(), tx.sender());
  if (account.ok() && tx.nonce > account->nonce) {
    return {{"code", "tx_nonce_gap"},
            {"base_fee", ledger::u64_to_json(base_fee)},
            {"tip", ledger::u64_to_json(tip)},
            {"message", "nonce " + std::to_string(tx.nonce) + " waits for the sender's transactions from nonce " +
                            std::to_string(account->nonce)}};
  }
  return {{"code", "in_line"},
          {"base_fee", ledger::u64_to_json(base_fee)},
          {"tip", ledger::u64_to_json(tip)},
          {"message", "in line for a block at a tip of " + std::to_string(tip) + " over the base fee " +
                          std::to_string(base_fee) + " (higher tips are proposed first)"}};
}

Response get_tx(LedgerBackend& backend, const Request& req) {
  auto hash = hash_param(req, "hash");
  if (!hash.ok()) return error_response(hash.error());
  // The mempool before the chain: the producer writes a block and only then removes its
  // transactions from the pool, so a transaction absent from the pool here is either on the
  // chain already (found below) or not coming. Asking the chain first left a window (chain not
  // yet, pool no longer) in which a transaction being committed answered 404.
  const ledger::ModuleSet& modules = backend.chain().modules();
  if (auto pending = backend.pending(*hash)) {
    return ok_json({{"status", "pending"}, {"waiting", pending_reason(backend, *pending)}, {"tx", to_json(*pending, modules)}});
  }
  auto record = backend.chain().find_tx(*hash);
  if (!record.ok()) return error_response(record.error());
  if (record->has_value()) {
    const ledger::TxRecord& r = **record;
    auto block = signed_header_json(backend.chain(), r.height);
    if (!block.ok()) return error_response(block.error());
    auto receipts = backend.chain().receipts(r.height);
    if (!receipts.ok()) return error_response(receipts.error());
    std::vector<core::Hash32> leaves;
    leaves.reserve(receipts->size());
    for (const auto& receipt : *receipts) leaves.push_back(merkle::leaf_hash(receipt.hash()));
    auto receipt_proof = merkle::inclusion_proof(leaves, r.index);
    if (!receipt_proof.ok()) return error_response(receipt_proof.error());
    return ok_json({{"status", "committed"},
                    {"height", r.height},
                    {"index", r.index},
                    {"tx", to_json(r.tx, modules)},
                    {"receipt", to_json(r.receipt, modules)},
                    {"tx_root", core::to_hex(r.tx_root)},
                    {"inclusion_proof", to_json(r.proof)},
                    {"receipt_proof", to_json(*receipt_proof)},
                    {"block", *block}});
  }
  if (auto dropped = backend.dropped(*hash)) {
    return ok_json({{"status", "dropped"},
                    {"error", {{"code", dropped->code_name()}, {"number", static_cast<int>(dropped->code)},
                               {"message", dropped->message}}}});
  }
  return error_response(404, "not_found", "no transaction " + req.params.at("hash"));
}

Response get_block(LedgerBackend& backend, const Request& req) {
  const std::string& which = req.params.at("height");
  std::uint64_t height = 0;
  if (which == "latest") {
    height = backend.chain().head().height;
  } else {
    const auto [ptr, ec] = std::from_chars(which.data(), which.data() + which.size(), height);
    if (ec != std::errc() || ptr != which.data() + which.size()) {
      return error_response(400, "invalid_argument", "block height must be a number or 'latest'");
    }
  }
  auto block = backend.chain().block(height);
  if (!block.ok()) return error_response(block.error());
  if (!block->has_value()) {
    return error_response(404, "not_found", "no block at height " + std::to_string(height) + " (head is " +
                                                std::to_string(backend.chain().head().height) + ")");
  }
  const bool full = req.query_param("full").value_or("") == "true";
  json doc = block_to_json(**block, full, backend.chain().modules());
  auto certificate = backend.chain().certificate(height);
  if (!certificate.ok()) return error_response(certificate.error());
  doc["certificate"] = certificate->has_value() ? to_json(**certificate) : json(nullptr);
  auto epochs = epoch_transitions_json(backend.chain(), height);
  if (!epochs.ok()) return error_response(epochs.error());
  doc["epochs"] = std::move(*epochs);
  if (req.query_param("receipts").value_or("") == "true") {
    auto receipts = backend.chain().receipts(height);
    if (!receipts.ok()) return error_response(receipts.error());
    json list = json::array();
    for (const auto& r : *receipts) list.push_back(to_json(r, backend.chain().modules()));
    doc["receipts"] = list;
  }
  return ok_json(doc);
}

Response get_account(LedgerBackend& backend, const Request& req) {
  auto address = crypto::Address::parse(req.params.at("address"));
  if (!address.ok()) return error_response(address.error());
  auto height = height_param(req, backend.chain());
  if (!height.ok()) return error_response(height.error());
  auto record = backend.chain().account_with_proof(*address, *height);
  if (!record.ok()) return error_response(record.error());
  auto next = backend.next_nonce(*address);
  if (!next.ok()) return error_response(next.error());
  auto block = signed_header_json(backend.chain(), record->height);
  if (!block.ok()) return error_response(block.error());
  return ok_json({{"address", address->to_string()},
                  {"exists", record->exists},
                  {"balance", ledger::u64_to_json(record->account.balance)},
                  {"nonce", ledger::u64_to_json(record->account.nonce)},
                  {"next_nonce", ledger::u64_to_json(*next)},
                  {"height", record->height},
                  {"state_root", core::to_hex(record->state_root)},
                  {"tree_key", core::to_hex(record->tree_key)},
                  {"proof", to_json(record->proof)},
                  {"value", record->exists ? json(core::to_hex(core::encode(record->account))) : json(nullptr)},
                  {"block", *block}});
}

// GET /v1/state/{module}/{key}[?height=H]: one module entry and its proof. The key is in the
// module's text form (hex by default; the bank takes addresses).
Response get_state(LedgerBackend& backend, const Request& req) {
  const std::string& name = req.params.at("module");
  const ledger::Module* module = backend.chain().modules().find(name);
  if (module == nullptr) return error_response(404, "not_found", "no module '" + name + "' on this chain");
  auto key = module->key_from_text(req.params.at("key"));
  if (!key.ok()) return error_response(400, "invalid_argument", "key: " + key.error().message);
  if (key->size() > ledger::kStateKeyBytesMax) {
    return error_response(400, "invalid_argument", "a state key is at most " + std::to_string(ledger::kStateKeyBytesMax) +
                                                       " bytes");
  }
  auto height = height_param(req, backend.chain());
  if (!height.ok()) return error_response(height.error());
  auto doc = state_answer(backend.chain(), *module, *key, *height);
  if (!doc.ok()) return error_response(doc.error());
  return ok_json(*doc);
}

Response get_mempool(LedgerBackend& backend, const Request& req) {
  std::size_t levels = 20;
  if (auto l = req.query_param("levels")) {
    const auto [ptr, ec] = std::from_chars(l->data(), l->data() + l->size(), levels);
    if (ec != std::errc() || levels > 1000) return error_response(400, "invalid_argument", "levels must be 0-1000");
  }
  const MempoolStatus s = backend.mempool_status(levels);
  json ladder = json::array();
  for (const auto& level : s.ladder) ladder.push_back({{"bid", ledger::u64_to_json(level.bid)}, {"count", level.count}});
  return ok_json({{"pending", s.pending}, {"bytes", s.bytes}, {"base_fee", ledger::u64_to_json(s.base_fee)},
                  {"bid_min", ledger::u64_to_json(s.bid_min)},
                  {"bid_ladder", ladder}});
}

// ---- governance (the gov module's committed state) ----

json council_json(const std::optional<modules::Council>& council) {
  if (!council) return nullptr;
  json members = json::array();
  for (const auto& m : council->members) members.push_back(m.to_string());
  return {{"threshold", council->threshold}, {"members", members}};
}

// GET /v1/gov/roles: every role with its holders, and the council, at the head.
Response get_gov_roles(LedgerBackend& backend, const Request&) {
  const ledger::Chain& chain = backend.chain();
  const std::uint64_t height = chain.head().height;
  auto names = modules::role_names(chain);
  if (!names.ok()) return error_response(names.error());
  json roles = json::array();
  for (const auto& name : *names) {
    auto role = modules::read_role(chain, name);
    if (!role.ok()) return error_response(role.error());
    if (!role->has_value()) continue;
    json holders = json::array();
    for (const auto& h : (*role)->holders) holders.push_back(h.to_string());
    roles.push_back({{"role", name}, {"description", (*role)->description}, {"builtin", (*role)->builtin}, {"holders", holders}});
  }
  auto council = modules::read_council(chain);
  if (!council.ok()) return error_response(council.error());
  return ok_json({{"height", height}, {"roles", roles}, {"council", council_json(*council)}});
}

// GET /v1/gov/roles/{address}[?height=H]: one address's roles with the proof of its entry (an
// address without roles has none: the proof is then of non-inclusion).
Response get_gov_roles_of(LedgerBackend& backend, const Request& req) {
  auto address = crypto::Address::parse(req.params.at("address"));
  if (!address.ok()) return error_response(400, "invalid_address", address.error().message);
  auto height = height_param(req, backend.chain());
  if (!height.ok()) return error_response(height.error());
  const ledger::Module* gov = backend.chain().modules().find(modules::kGovModule);
  if (gov == nullptr) return error_response(404, "not_found", "this chain has no gov module");
  auto record = backend.chain().entry_with_proof(modules::kGovModule, modules::gov_holder_key(*address), *height);
  if (!record.ok()) return error_response(record.error());
  std::vector<std::string> roles;
  if (record->value) {
    auto holder = core::decode<modules::HolderRecord>(*record->value);
    if (!holder.ok()) return error_response(core::make_error(core::ErrorCode::kStateCorrupt, holder.error().to_string()));
    roles = holder->roles;
  }
  auto block = signed_header_json(backend.chain(), record->height);
  if (!block.ok()) return error_response(block.error());
  json doc = to_json(*record, *gov);
  doc["address"] = address->to_string();
  doc["roles"] = roles;
  doc["block"] = *block;
  return ok_json(doc);
}

// GET /v1/gov/proposals[?status=open|all][&limit=N]: the newest proposals first, with their
// status at the head (an open one past its expiry height reads "expired").
Response get_gov_proposals(LedgerBackend& backend, const Request& req) {
  const std::string status = std::string(req.query_param("status").value_or("open"));
  if (status != "open" && status != "all") return error_response(400, "invalid_argument", "status must be open or all");
  std::size_t limit = 20;
  if (auto l = req.query_param("limit")) {
    const auto [ptr, ec] = std::from_chars(l->data(), l->data() + l->size(), limit);
    if (ec != std::errc() || ptr != l->data() + l->size() || limit < 1 || limit > 200) {
      return error_response(400, "invalid_argument", "limit must be 1-200");
    }
  }
  const ledger::Chain& chain = backend.chain();
  const std::uint64_t height = chain.head().height;
  auto next = modules::next_proposal_id(chain);
  if (!next.ok()) return error_response(next.error());
  auto council = modules::read_council(chain);
  if (!council.ok()) return error_response(council.error());
  json list = json::array();
  // Open proposals are bounded by their expiry; a walk of the newest kScanMax finds them all
  // unless thousands were made within one expiry window.
  constexpr std::uint64_t kScanMax = 5'000;
  for (std::uint64_t id = *next; id > 1 && *next - id < kScanMax && list.size() < limit; --id) {
    auto p = modules::read_proposal(chain, id - 1);
    if (!p.ok()) return error_response(p.error());
    if (!p->has_value()) continue;
    if (status == "open" && (*p)->status_at(height) != "open") continue;
    list.push_back(modules::gov_proposal_to_json(**p, height));
  }
  return ok_json({{"height", height}, {"next_id", *next}, {"council", council_json(*council)}, {"proposals", list}});
}

// GET /v1/gov/proposals/{id}[?height=H]: one proposal with the proof of its entry.
Response get_gov_proposal(LedgerBackend& backend, const Request& req) {
  const std::string& text = req.params.at("id");
  std::uint64_t id = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return error_response(400, "invalid_argument", "a proposal id is a number");
  }
  auto height = height_param(req, backend.chain());
  if (!height.ok()) return error_response(height.error());
  const ledger::Module* gov = backend.chain().modules().find(modules::kGovModule);
  if (gov == nullptr) return error_response(404, "not_found", "this chain has no gov module");
  auto record = backend.chain().entry_with_proof(modules::kGovModule, modules::gov_proposal_key(id), *height);
  if (!record.ok()) return error_response(record.error());
  if (!record->value) return error_response(404, "gov_unknown_proposal", "no proposal " + text);
  auto proposal = core::decode<modules::ProposalRecord>(*record->value);
  if (!proposal.ok()) return error_response(core::make_error(core::ErrorCode::kStateCorrupt, proposal.error().to_string()));
  auto block = signed_header_json(backend.chain(), record->height);
  if (!block.ok()) return error_response(block.error());
  json doc = to_json(*record, *gov);
  doc["proposal"] = modules::gov_proposal_to_json(*proposal, record->height);
  doc["block"] = *block;
  return ok_json(doc);
}

}  // namespace

void LedgerService::add_routes(api::Router& router) {
  LedgerBackend& backend = backend_;
  router.add("POST", "/v1/txs", [&backend](const Request& req) { return submit(backend, req); });
  router.add("POST", "/v1/txs/batch", [&backend](const Request& req) { return submit_batch(backend, req); });
  router.add("GET", "/v1/txs/{hash}", [&backend](const Request& req) { return get_tx(backend, req); });
  router.add("GET", "/v1/blocks/{height}", [&backend](const Request& req) { return get_block(backend, req); });
  router.add("GET", "/v1/accounts/{address}", [&backend](const Request& req) { return get_account(backend, req); });
  router.add("GET", "/v1/state/{module}/{key}", [&backend](const Request& req) { return get_state(backend, req); });
  router.add("GET", "/v1/mempool", [&backend](const Request& req) { return get_mempool(backend, req); });
  router.add("GET", "/v1/gov/roles", [&backend](const Request& req) { return get_gov_roles(backend, req); });
  router.add("GET", "/v1/gov/roles/{address}", [&backend](const Request& req) { return get_gov_roles_of(backend, req); });
  router.add("GET", "/v1/gov/proposals", [&backend](const Request& req) { return get_gov_proposals(backend, req); });
  router.add("GET", "/v1/gov/proposals/{id}", [&backend](const Request& req) { return get_gov_proposal(backend, req); });
  // The event stream (add_websockets): its upgrades pass the middleware like every request.
  router.add("GET", "/v1/events", api::websocket_route());
}

api::HttpLimits LedgerService::limits() const {
  api::HttpLimits limits;
  limits.body_bytes_max = kSubmitBodyBytesMax;
  limits.body_bytes_max_by_path["/v1/txs/batch"] = kBatchBodyBytesMax;
  return limits;
}

json LedgerService::health() const {
  const auto head = backend_.chain().head();
  json body = {{"status", "ok"}, {"chain_id", backend_.chain().genesis().chain_id},
               {"genesis_digest", core::to_hex(backend_.chain().genesis_digest())}, {"height", head.height},
               {"block_hash", core::to_hex(head.block_hash)}};
  const json identity = backend_.node_identity();
  for (const auto& [key, value] : identity.items()) body[key] = value;
  return body;
}

std::string LedgerService::metrics_text() const {
  std::ostringstream out;
  out << backend_.metrics_text();
  out << "# HELP metanode_event_subscribers WebSocket subscribers of /v1/events.\n"
      << "# TYPE metanode_event_subscribers gauge\n"
      << "metanode_event_subscribers " << events_.subscribers() << "\n";
  return out.str();
}

}  // namespace metanode::services
