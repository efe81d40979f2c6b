#include "bpci/audit_anchor.hpp"

#include <spdlog/spdlog.h>

#include <sstream>

#include "core/arith.hpp"
#include "modules/audit/audit.hpp"
#include "modules/module_set.hpp"
#include "node/audit_anchor.hpp"
#include "services/ledger/ledger_json.hpp"
#include "services/proofs/proof_check.hpp"

namespace metanode::bpci {
namespace {
using nlohmann::json;
constexpr std::uint64_t kAnchorBid = 1;
constexpr auto kInFlightFor = std::chrono::seconds(60);  // then the anchor is sent again
}  // namespace

HttpAnchorer::HttpAnchorer(storage::AuditLog& log, const ledger::Genesis& genesis, const crypto::KeyPair& key,
                           Call call, std::chrono::milliseconds interval)
    : log_(log),
      genesis_(genesis),
      key_(key),
      address_(crypto::Address::from_public_key(key.public_key())),
      call_(std::move(call)),
      interval_(interval) {}

HttpAnchorer::~HttpAnchorer() { stop(); }

void HttpAnchorer::start() {
  if (interval_.count() <= 0) return;  // anchor_once only when asked
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, interval_, [this] { return stopping_; });
      if (stopping_ || halted_) continue;
      lock.unlock();
      auto st = anchor_once();
      lock.lock();
      if (!st.ok() && st.error().message != last_error_) {
        spdlog::warn("bpci: audit anchor: {}", st.error().message);
        last_error_ = st.error().message;
      }
      if (st.ok()) last_error_.clear();
    }
  });
}

void HttpAnchorer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

core::Status HttpAnchorer::anchor_once() {
  if (!log_.latest_checkpoint()) return {};
  // The chain's anchor of this log, proven to a certified header: a node cannot make BPCI believe
  // another one.
  MN_TRY_ASSIGN(const json answer, call_("GET", "/v1/state/audit/anchor:" + address_.to_string(), ""));
  // At height 0 there is nothing to prove: the genesis holds no anchor (and block 0 has no
  // certificate until the chain moves; the anchor's own transaction moves it).
  const bool at_genesis = answer.value("height", std::uint64_t{1}) == 0 && !answer.value("exists", false);
  if (auto st = at_genesis ? core::Result<std::string>(std::string()) : services::verify_state_answer(answer, genesis_);
      !st.ok()) {
    return core::make_error(st.error().code, "the node's answer for BPCI's anchor does not verify: " + st.error().message);
  }
  std::optional<modules::AnchorRecord> anchored;
  if (answer.value("exists", false)) {
    MN_TRY_ASSIGN(const core::Bytes value, core::from_hex(answer.value("value_hex", std::string())));
    MN_TRY_ASSIGN(anchored, core::decode<modules::AnchorRecord>(value));
  }
  const std::uint64_t anchored_size = anchored ? anchored->size : 0;
  {
    std::lock_guard lock(mutex_);
    anchored_size_ = anchored_size;
    anchored_height_ = anchored ? anchored->height : 0;
    if (in_flight_ && in_flight_->first <= anchored_size) in_flight_.reset();
  }
  MN_TRY_ASSIGN(auto next, node::next_anchor(log_, anchored));
  if (next.halt) {
    std::lock_guard lock(mutex_);
    if (!halted_) spdlog::error("bpci: {}: anchoring stops (a log whose history changed can never be anchored again)", *next.halt);
    halted_ = true;
    return {};
  }
  if (!next.anchor) return {};
  {
    std::lock_guard lock(mutex_);
    if (in_flight_ && std::chrono::steady_clock::now() - in_flight_->second < kInFlightFor) return {};
  }
  const modules::AuditAnchor& anchor = *next.anchor;
  MN_TRY_ASSIGN(const json account, call_("GET", "/v1/accounts/" + address_.to_string(), ""));
  MN_TRY_ASSIGN(const json mempool, call_("GET", "/v1/mempool?levels=0", ""));
  ledger::Transaction tx;
  tx.chain_id = genesis_.chain_id;
  MN_TRY_ASSIGN(tx.nonce, ledger::u64_from_json(account.value("next_nonce", json()), "next_nonce"));
  MN_TRY_ASSIGN(const std::uint64_t balance, ledger::u64_from_json(account.value("balance", json()), "balance"));
  MN_TRY_ASSIGN(const std::uint64_t base_fee, ledger::u64_from_json(mempool.value("base_fee", json()), "base_fee"));
  std::uint64_t bid_min = kAnchorBid;
  if (mempool.contains("bid_min")) {
    MN_TRY_ASSIGN(bid_min, ledger::u64_from_json(mempool["bid_min"], "bid_min"));
  }
  tx.bid = std::max(kAnchorBid, bid_min);
  tx.max_fee = core::saturating_add(core::saturating_mul(2, base_fee), tx.bid);
  if (balance < tx.max_fee) {
    return core::make_error(core::ErrorCode::kTxInsufficientBalance,
                            "account " + address_.to_string() + " cannot pay an anchor's fee (balance " +
                                std::to_string(balance) + ", fee up to " + std::to_string(tx.max_fee) +
                                "): BPCI's audit log is not anchored on chain until it is funded");
  }
  tx.payload = modules::audit_anchor_payload(anchor);
  tx.sign_single(key_, genesis_.digest());
  tx.seal();
  auto sent = call_("POST", "/v1/txs", services::to_json(tx, modules::standard_modules()).dump());
  std::lock_guard lock(mutex_);
  if (!sent.ok()) {
    ++refused_;
    return core::make_error(sent.error().code, "the anchor of " + std::to_string(anchor.size) +
                                                   " events was not admitted: " + sent.error().message);
  }
  ++submitted_;
  in_flight_ = std::make_pair(anchor.size, std::chrono::steady_clock::now());
  return {};
}

json HttpAnchorer::status_json() const {
  std::lock_guard lock(mutex_);
  return {{"address", address_.to_string()},  {"anchored_size", anchored_size_}, {"anchored_height", anchored_height_},
          {"submitted", submitted_},          {"refused", refused_},             {"halted", halted_},
          {"last_error", last_error_.empty() ? json(nullptr) : json(last_error_)}};
}

std::string HttpAnchorer::metrics_text() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  out << "# HELP metanode_audit_anchors_submitted_total Anchor transactions BPCI submitted for its audit log.\n"
      << "# TYPE metanode_audit_anchors_submitted_total counter\nmetanode_audit_anchors_submitted_total " << submitted_
      << "\n# HELP metanode_audit_anchors_refused_total Anchor transactions a node refused.\n"
      << "# TYPE metanode_audit_anchors_refused_total counter\nmetanode_audit_anchors_refused_total " << refused_
      << "\n# HELP metanode_audit_anchored_events Events of BPCI's audit log the chain anchors.\n"
      << "# TYPE metanode_audit_anchored_events gauge\nmetanode_audit_anchored_events " << anchored_size_
      << "\n# HELP metanode_audit_anchoring_halted 1 when the log no longer extends its anchor.\n"
      << "# TYPE metanode_audit_anchoring_halted gauge\nmetanode_audit_anchoring_halted " << (halted_ ? 1 : 0) << "\n";
  return out.str();
}

}  // namespace metanode::bpci
