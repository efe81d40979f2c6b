// Transaction gossip: admitted transactions go to every validator in batches a few milliseconds
// wide; gossiped batches from peers are admitted like submissions.
#include "node/runtime/consensus_runtime.hpp"
#include "node/runtime/internal.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace metanode::node {

using consensus::ConsensusPayload;
using consensus::Finality;
using namespace runtime_internal;

void ConsensusRuntime::on_admitted(const std::vector<ledger::Transaction>& txs) {
  if (!started_) return;
  bool schedule = false;
  {
    std::lock_guard lock(gossip_mutex_);
    if (epoch_size_.load() != 1) gossip_queue_.insert(gossip_queue_.end(), txs.begin(), txs.end());
    if (!gossip_scheduled_ && !gossip_queue_.empty()) {
      gossip_scheduled_ = true;
      schedule = true;
    }
  }
  if (schedule) {
    // A few milliseconds of batching: one frame carries many transactions.
    boost::asio::post(ctx_, [this] {
      gossip_timer_.expires_after(std::chrono::milliseconds(5));
      gossip_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) flush_gossip();
      });
    });
  }
  poke_proposer();
}

void ConsensusRuntime::flush_gossip() {
  std::vector<ledger::Transaction> txs;
  {
    std::lock_guard lock(gossip_mutex_);
    txs.swap(gossip_queue_);
    gossip_scheduled_ = false;
  }
  send_gossip(txs, nullptr);
}

// In frames of at most kGossipBatchMax transactions, to `to` or (null) to every linked peer.
bool ConsensusRuntime::send_gossip(const std::vector<ledger::Transaction>& txs, const crypto::PublicKey* to) {
  for (std::size_t i = 0; i < txs.size(); i += kGossipBatchMax) {
    const std::size_t end = std::min(txs.size(), i + kGossipBatchMax);
    core::Writer w(sizeof(std::uint32_t) + (end - i) * ledger::Transaction::kEncodeReserveBytes);
    w.u32(static_cast<std::uint32_t>(end - i));
    for (std::size_t k = i; k < end; ++k) txs[k].encode(w);
    if (to == nullptr) {
      transport_->broadcast(net::FrameType::kTxGossip, 0, w.data());
    } else if (!transport_->send(*to, net::FrameType::kTxGossip, 0, w.data())) {
      return false;
    }
  }
  return true;
}

// A link came up: the peer gets every transaction pending here. Gossip reaches only the peers
// linked at the time, so what this node admitted while the peer was away (or before its own links
// formed, just after a start) would otherwise stay here alone and be lost if this node died.
void ConsensusRuntime::gossip_pool_to(const crypto::PublicKey& peer) {
  const auto txs = host_.pending_in_nonce_order(kPoolHandoverMax);
  if (send_gossip(txs, &peer) && !txs.empty()) spdlog::debug("tx gossip: handed {} pending transactions to {}", txs.size(), peer.to_hex().substr(0, 12));
}

void ConsensusRuntime::on_gossip_frame(const crypto::PublicKey& peer, net::Frame frame) {
  host_.post_work([this, peer, bytes = std::move(frame.payload)] {
    core::Reader r(bytes);
    auto count = r.u32();
    if (!count.ok() || *count > kGossipBatchMax) {
      spdlog::warn("tx gossip from {} malformed: dropped", peer.to_hex().substr(0, 12));
      return;
    }
    std::vector<ledger::Transaction> txs;
    txs.reserve(*count);
    for (std::uint32_t i = 0; i < *count; ++i) {
      auto tx = ledger::Transaction::decode(r);
      if (!tx.ok()) {
        spdlog::warn("tx gossip from {} malformed: {}", peer.to_hex().substr(0, 12), tx.error().message);
        break;
      }
      txs.push_back(std::move(*tx));
    }
    host_.admit_from_peer(std::move(txs));
    poke_proposer();
  });
}

void ConsensusRuntime::poke_proposer() {
  if (!payload_poke_pending_.exchange(true)) {
    boost::asio::post(ctx_, [this] {
      payload_poke_pending_ = false;
      try_payload();
    });
  }
}

}  // namespace metanode::node
