// Answers to clients that speak XTMP (method "status" today).
#include "node/runtime/consensus_runtime.hpp"
#include "node/runtime/internal.hpp"

#include <nlohmann/json.hpp>

namespace metanode::node {

void ConsensusRuntime::answer_client(const crypto::PublicKey& peer, std::uint32_t stream, core::ByteView request) {
  const std::string method(request.begin(), request.end());
  nlohmann::json reply;
  if (method == "status") {
    const auto head = chain_.head();
    const auto s = status();
    reply = {{"chain_id", chain_.genesis().chain_id},
             {"height", head.height},
             {"block_hash", core::to_hex(head.block_hash)},
             {"round", s.round},
             {"peers_connected", s.peers_connected}};
  } else {
    reply = {{"error", {{"code", "invalid_argument"}, {"message", "unknown method '" + method + "' (try \"status\")"}}}};
  }
  const std::string text = reply.dump();
  transport_->send(peer, net::FrameType::kResponse, stream, core::as_bytes(text));
}

}  // namespace metanode::node
