#include "node/ledger_backend.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/clock.hpp"
#include "core/version.hpp"
#include "crypto/ed25519.hpp"

namespace metanode::node {

core::Result<mempool::AdmitResult> NodeLedgerBackend::submit(ledger::Transaction tx) {
  auto results = submit_batch({std::move(tx)});
  return std::move(results.front());
}

std::vector<core::Result<mempool::AdmitResult>> NodeLedgerBackend::submit_batch(std::vector<ledger::Transaction> txs) {
  return pool_.admit(std::move(txs), TxPool::Source::kClient);
}

services::MempoolStatus NodeLedgerBackend::mempool_status(std::size_t levels_max) const {
  const TxPool::Status pool = pool_.status(levels_max);
  services::MempoolStatus s;
  s.base_fee = chain_.head().base_fee_next;
  s.bid_min = pool_.config().bid_min;
  s.pending = pool.pending;
  s.bytes = pool.bytes;
  s.ladder = pool.ladder;
  return s;
}

void NodeLedgerBackend::on_block(const ledger::ProducedBlock& produced) {
  blocks_applied_.fetch_add(1, std::memory_order_relaxed);
  txs_committed_.fetch_add(produced.stored.block.txs.size(), std::memory_order_relaxed);
  const std::int64_t now = core::SystemClock().now_unix_ms();
  last_commit_unix_ms_.store(now, std::memory_order_relaxed);
  commit_latency_ms_.store(std::max<std::int64_t>(0, now - produced.stored.block.header.timestamp_unix_ms),
                           std::memory_order_relaxed);
}

namespace {

// CPU seconds (user + system) and resident bytes of this process, from /proc/self (Linux).
std::pair<double, std::uint64_t> process_usage() {
  double cpu_s = 0;
  std::uint64_t rss = 0;
  std::ifstream stat("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces, so start after its closing ')').
  if (const auto close = text.rfind(')'); close != std::string::npos) {
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    std::uint64_t utime = 0;
    std::uint64_t stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
      if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    cpu_s = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0;
  std::uint64_t resident = 0;
  if (statm >> pages >> resident) rss = resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return {cpu_s, rss};
}

}  // namespace

nlohmann::json NodeLedgerBackend::node_identity() const {
  nlohmann::json out = {{"node_key", node_key_.to_hex()}, {"role", role_}};
  if (has_runtime_) out["xtmp_port"] = runtime_status_().xtmp_port;
  return out;
}

std::string NodeLedgerBackend::metrics_text() const {
  const auto head = chain_.head();
  std::ostringstream out;
  auto gauge = [&out](const char* name, const char* help, const char* type, auto value) {
    out << "# HELP metanode_" << name << " " << help << "\n# TYPE metanode_" << name << " " << type << "\n"
        << "metanode_" << name << " " << value << "\n";
  };
  gauge("block_height", "Height of the latest committed block.", "gauge", head.height);
  gauge("base_fee", "Base fee of the next block.", "gauge", head.base_fee_next);
  gauge("txs_committed_total", "Transactions committed in blocks by this node.", "counter", txs_committed_.load());
  gauge("blocks_produced_total", "Blocks applied by this node.", "counter", blocks_applied_.load());
  gauge("last_commit_unix_ms", "When this node applied its newest block (unix ms; 0: none since start).", "gauge",
        last_commit_unix_ms_.load());
  gauge("commit_latency_ms", "How long after its proposal time this node applied its newest block.", "gauge",
        commit_latency_ms_.load());
  const auto [cpu_s, rss] = process_usage();
  out << "# HELP process_cpu_seconds_total User and system CPU time of this process.\n"
      << "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total " << cpu_s << "\n"
      << "# HELP process_resident_memory_bytes Resident memory of this process.\n"
      << "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes " << rss << "\n"
      << "# HELP metanode_build_info The running version (value 1).\n# TYPE metanode_build_info gauge\n"
      << "metanode_build_info{version=\"" << core::kVersion << "\"} 1\n";
  gauge("ed25519_verifications_total", "Ed25519 signature verifications done by this process.", "counter",
        crypto::verifications_total());
  out << pool_.metrics_text();
  if (has_runtime_) {
    const auto rs = runtime_status_();
    gauge("consensus_round", "Current IBFT round or HotStuff view.", "gauge", rs.round);
    gauge("consensus_rounds_timed_out_total", "Rounds or views that timed out.", "counter", rs.rounds_timed_out);
    gauge("consensus_messages_refused_total", "Consensus messages refused (bad signature, malformed, ...).", "counter",
          rs.messages_refused);
    gauge("consensus_messages_from_non_validators_total", "Consensus messages from a key outside the validator set.",
          "counter", rs.messages_from_non_validators);
    gauge("consensus_equivocations_seen_total", "Conflicting votes of one validator for one height and round, seen here.",
          "counter", rs.equivocations_seen);
    gauge("sync_replies_refused_total", "Block sync replies refused (e.g. a forged certificate).", "counter",
          rs.syncs_refused);
    gauge("peers_connected", "Authenticated XTMP links.", "gauge", rs.peers_connected);
    gauge("full_node", "1 on a full node (follows the chain, does not vote), 0 on a validator.", "gauge",
          rs.full_node ? 1 : 0);
    gauge("consensus_failed", "1 when storage failed or this node's state differs from a quorum's, and the validator stopped voting.",
          "gauge", rs.failed ? 1 : 0);
    gauge("certified_height", "Newest block with a header certificate (a quorum's signatures over its header).", "gauge",
          rs.certified_height);
    gauge("header_certificates_total", "Header certificates gathered or fetched by this node.", "counter",
          rs.certificates_gathered);
    gauge("header_signatures_refused_total", "Header signatures or certificates refused (forged, unknown signer, ...).",
          "counter", rs.header_signatures_refused);
  }
  return out.str();
}

}  // namespace metanode::node
