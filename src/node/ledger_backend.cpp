#include "node/ledger_backend.hpp"

#include <sstream>

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
  gauge("ed25519_verifications_total", "Ed25519 signature verifications done by this process.", "counter",
        crypto::verifications_total());
  out << pool_.metrics_text();
  if (has_runtime_) {
    const auto rs = runtime_status_();
    gauge("consensus_round", "Current IBFT round or HotStuff view.", "gauge", rs.round);
    gauge("consensus_rounds_timed_out_total", "Rounds or views that timed out.", "counter", rs.rounds_timed_out);
    gauge("consensus_messages_refused_total", "Consensus messages refused (bad signature, malformed, ...).", "counter",
          rs.messages_refused);
    gauge("sync_replies_refused_total", "Block sync replies refused (e.g. a forged certificate).", "counter",
          rs.syncs_refused);
    gauge("peers_connected", "Authenticated XTMP links.", "gauge", rs.peers_connected);
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
